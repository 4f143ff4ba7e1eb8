//! Databases this process created and has not finished with: one still
//! being seeded, the copies of a run. A process that fails or is
//! interrupted (Ctrl-C, SIGTERM) drops them on its way out, so nothing
//! half-made stays on a server schemabench does not own. A throwaway
//! cluster needs none of this: it goes as a whole. This is the register;
//! `database::drop_unfinished` does the dropping.

use std::sync::Mutex;

use tokio_postgres::Config;
use tokio_postgres_rustls::MakeRustlsConnect;

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

/// What is unfinished, taken for dropping ([`super::database::drop_unfinished`]):
/// how to reach the existing server again, and the databases' names. None
/// on a throwaway cluster, or with nothing unfinished.
pub(super) fn take() -> Option<(Config, MakeRustlsConnect, String, Vec<String>)> {
    let (reach, names) = with(|u| (u.reach.clone(), std::mem::take(&mut u.databases)));
    let (config, tls, described) = reach?;
    (!names.is_empty()).then_some((config, tls, described, names))
}
