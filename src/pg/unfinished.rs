//! Databases this process created and has not finished with: one still
//! being seeded, the copies of a run. A process that fails or is
//! interrupted (Ctrl-C, SIGTERM) drops them on its way out, so nothing
//! half-made stays on a server schemabench does not own. A throwaway
//! cluster needs none of this: it goes as a whole.

use std::sync::Mutex;

use tokio_postgres::Config;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::database;

/// How to reach the existing server again, and what to drop there.
struct Unfinished {
    /// The maintenance database's settings, the TLS connector and the
    /// server as messages name it.
    reach: Option<(Config, MakeRustlsConnect, String)>,
    databases: Vec<String>,
}

static UNFINISHED: Mutex<Unfinished> = Mutex::new(Unfinished {
    reach: None,
    databases: Vec::new(),
});

fn with<T>(f: impl FnOnce(&mut Unfinished) -> T) -> T {
    let mut guard = UNFINISHED.lock().unwrap_or_else(|e| e.into_inner());
    f(&mut guard)
}

/// The existing server this process works on.
pub(super) fn reach(config: Config, tls: MakeRustlsConnect, described: String) {
    with(|u| u.reach = Some((config, tls, described)));
}

/// A database just created, not finished yet.
pub(super) fn started(name: &str) {
    with(|u| u.databases.push(name.to_owned()));
}

/// A database dropped, or made to stay (a seeded database, kept copies).
pub fn finished(name: &str) {
    with(|u| u.databases.retain(|d| d != name));
}

/// Drops every unfinished database on the existing server, as far as it
/// can be reached; what cannot be dropped the next run of the scenario
/// reclaims by its marker.
pub async fn drop_unfinished() {
    let (reach, names) = with(|u| (u.reach.clone(), std::mem::take(&mut u.databases)));
    let Some((config, tls, described)) = reach else {
        return;
    };
    if names.is_empty() {
        return;
    }
    let Ok(admin) = super::connect(&config, &tls, &described).await else {
        return;
    };
    for name in names {
        if database::drop_owned(&admin, &name).await.is_ok() {
            eprintln!("dropped {name}, which this run had not finished");
        }
    }
}
