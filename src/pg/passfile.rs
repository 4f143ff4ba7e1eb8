//! A password the URL leaves out, found where libpq looks for it: the
//! `PGPASSWORD` variable, then the password file (`PGPASSFILE`, else
//! `~/.pgpass`). So a URL written into a CI file or a shell history needs
//! no password at all.

use std::path::PathBuf;

use tokio_postgres::Config;
use tokio_postgres::config::Host;

/// Where libpq reads passwords from, when the URL has none.
fn passfile() -> Option<PathBuf> {
    std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pgpass")))
}

/// One field of a password file line: `\:` and `\\` escaped, `*` any.
fn fields(line: &str) -> Vec<String> {
    let (mut out, mut field) = (Vec::new(), String::new());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => field.extend(chars.next()),
            ':' => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    out.push(field);
    out
}

/// The password of the first line of `text` (a password file) that matches
/// host, port, database and user, as libpq matches them.
fn lookup(text: &str, host: &str, port: &str, database: &str, user: &str) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(fields)
        .find(|f| {
            f.len() == 5
                && [host, port, database, user]
                    .iter()
                    .zip(f)
                    .all(|(want, have)| have == "*" || have == want)
        })
        .map(|mut f| f.remove(4))
}

/// Fills in `config`'s password from `PGPASSWORD` or the password file
/// when its URL has none.
pub fn fill_password(config: &mut Config) {
    if config.get_password().is_some() {
        return;
    }
    if let Ok(password) = std::env::var("PGPASSWORD") {
        config.password(password);
        return;
    }
    let Some(text) = passfile().and_then(|p| std::fs::read_to_string(p).ok()) else {
        return;
    };
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        // libpq matches a socket as `localhost`.
        Some(Host::Unix(_)) | None => "localhost".to_owned(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default().to_owned();
    let database = config.get_dbname().unwrap_or(&user).to_owned();
    if let Some(password) = lookup(&text, &host, &port, &database, &user) {
        config.password(password);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_file_line_matches_as_libpq_matches_it() {
        let file = "# comment\n\
                    db.example.com:5432:other:me:wrong\n\
                    db.example.com:*:app:me:s\\:ecret\n\
                    *:*:*:*:fallback\n";
        assert_eq!(
            lookup(file, "db.example.com", "6543", "app", "me").as_deref(),
            Some("s:ecret")
        );
        assert_eq!(
            lookup(file, "elsewhere", "5432", "app", "ro").as_deref(),
            Some("fallback")
        );
        assert_eq!(lookup("a:b:c\n", "a", "b", "c", "d"), None);
    }
}
