//! A throwaway PostgreSQL cluster: initdb into a temporary directory, start
//! on a private socket and a free loopback port, stop and delete on drop.
//!
//! PostgreSQL refuses to run as root, so when schemabench runs as root the
//! server runs as an unprivileged account (`postgres` where it exists).
//!
//! It admits only schemabench: every login needs a random per-cluster
//! password (SCRAM-SHA-256, no `trust` line anywhere), which is never
//! printed; the socket directory is its owner's alone, and `--keep` leaves
//! the password in a 0600 passfile rather than on a command line.

use std::ffi::OsStr;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::cgroup::{MemoryCgroup, server_processes};

/// Why a throwaway cluster could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no PostgreSQL server binaries found (looked in $PG_BIN, `pg_config --bindir`, PATH and /usr/lib/postgresql/*/bin). \
         Install them, e.g. `apt-get install postgresql-15 postgresql-contrib-15`, set PG_BIN to the folder holding initdb, \
         or pass --database-url to use an existing server"
    )]
    BinariesNotFound,
    #[error(
        "running as root, but there is no unprivileged account to run PostgreSQL as (create a `postgres` user, or set SCHEMABENCH_PG_USER)"
    )]
    NoServerUser,
    #[error("{step} failed: {detail}")]
    Step { step: &'static str, detail: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The cluster's password: printed by nothing, `Debug` included.
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl Secret {
    /// 32 random hexadecimal digits: no character needs quoting anywhere.
    fn random() -> Self {
        let bytes: [u8; 16] = rand::random();
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }
}

/// A running throwaway cluster. Dropping it stops the server and deletes its
/// files, unless [`EmbeddedCluster::keep`] was called.
#[derive(Debug)]
pub struct EmbeddedCluster {
    bin: PathBuf,
    root: PathBuf,
    pub socket_dir: PathBuf,
    pub port: u16,
    /// The unprivileged account the server runs as, when we are root:
    /// (uid, gid, name).
    run_as: Option<(u32, u32, String)>,
    password: Secret,
    keep: bool,
    /// The memory asked for the server (`--server-memory`): shared_buffers
    /// a quarter of it, and its processes capped at it where cgroups allow.
    memory: Option<u64>,
    /// The cgroup that caps it, or why there is none.
    cgroup: Option<Result<MemoryCgroup, String>>,
}

/// Looks for the server binaries in the documented order.
pub fn find_server_binaries() -> Result<PathBuf, ClusterError> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("PG_BIN").map(PathBuf::from)
        && has_initdb(&dir)
    {
        return Ok(dir);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_initdb(&dir) {
            return Ok(dir);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_initdb(&dir) {
                // Follow symlinks so postgres itself is found beside initdb.
                let real = std::fs::canonicalize(dir.join("initdb")).ok();
                return Ok(real
                    .and_then(|p| p.parent().map(Path::to_owned))
                    .unwrap_or(dir));
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            has_initdb(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or(ClusterError::BinariesNotFound)
}

/// The account to run the server as, or `None` when we are not root.
fn server_account() -> Result<Option<(u32, u32, String)>, ClusterError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    let name = std::env::var("SCHEMABENCH_PG_USER").unwrap_or_else(|_| "postgres".to_owned());
    match nix::unistd::User::from_name(&name) {
        Ok(Some(user)) => Ok(Some((user.uid.as_raw(), user.gid.as_raw(), name))),
        _ => Err(ClusterError::NoServerUser),
    }
}

fn free_port() -> Result<u16, ClusterError> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Folder name prefix of every throwaway cluster.
const CLUSTER_PREFIX: &str = "schemabench-pg-";

/// The file in a cluster's folder naming the schemabench process it serves.
const OWNER_FILE: &str = "owner";

/// Removes the folders (and stops the servers) of throwaway clusters whose
/// schemabench process is gone: what is left when schemabench, its
/// watchdog and the server were all killed at once. A folder is reclaimed
/// only when it names its owner, that process no longer exists, and it was
/// not kept (`--keep`); anything else is left alone.
fn reclaim_leftovers(temp: &Path, bin: &Path, run_as: Option<&(u32, u32, String)>) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for root in entries.flatten().map(|e| e.path()) {
        let ours = root
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(CLUSTER_PREFIX));
        let owner = std::fs::read_to_string(root.join(OWNER_FILE))
            .ok()
            .and_then(|pid| pid.trim().parse::<u32>().ok());
        let abandoned = owner.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists());
        if !ours || !abandoned || root.join("keep").exists() {
            continue;
        }
        // A server that outlived its owner is stopped first.
        let mut stop = Command::new(bin.join("pg_ctl"));
        if let Some((uid, gid, _)) = run_as {
            stop.uid(*uid).gid(*gid);
        }
        let _ = stop
            .args(["stop", "-m", "immediate", "-D"])
            .arg(root.join("data"))
            .current_dir(temp)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&root);
    }
}

impl EmbeddedCluster {
    /// Creates and starts a new cluster; returns once it accepts connections.
    pub fn start() -> Result<Self, ClusterError> {
        Self::start_with(None)
    }

    /// [`start`](Self::start), sized for `memory` bytes when given: a
    /// server of that size as a cloud plan would configure it
    /// (shared_buffers a quarter, effective_cache_size three quarters), its
    /// processes held to it by a memory cgroup where this machine allows.
    pub fn start_with(memory: Option<u64>) -> Result<Self, ClusterError> {
        let bin = find_server_binaries()?;
        let run_as = server_account()?;
        reclaim_leftovers(&std::env::temp_dir(), &bin, run_as.as_ref());
        let root = tempfile::Builder::new()
            .prefix(CLUSTER_PREFIX)
            .tempdir()?
            .keep();
        std::fs::write(root.join(OWNER_FILE), std::process::id().to_string())?;
        let cluster = EmbeddedCluster {
            bin,
            socket_dir: root.join("socket"),
            root,
            port: free_port()?,
            run_as,
            password: Secret::random(),
            keep: false,
            memory,
            cgroup: None,
        };
        std::fs::create_dir_all(&cluster.socket_dir)?;
        // initdb reads the password from a file the server account owns,
        // deleted as soon as the cluster exists.
        let pwfile = cluster.root.join("pwfile");
        std::fs::write(&pwfile, &cluster.password.0)?;
        for (path, mode) in [
            (&cluster.root, 0o700),
            (&cluster.socket_dir, 0o700),
            (&pwfile, 0o600),
        ] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
            if let Some((uid, gid, _)) = &cluster.run_as {
                nix::unistd::chown(path, Some((*uid).into()), Some((*gid).into()))
                    .map_err(std::io::Error::from)?;
            }
        }
        let initialised = cluster.init(&pwfile);
        std::fs::remove_file(&pwfile)?;
        initialised?;
        cluster.make_certificate()?;
        cluster.launch()?;
        cluster.watch_owner()?;
        let mut cluster = cluster;
        if let Some(limit) = memory {
            cluster.cgroup = Some(server_processes(&cluster.data_dir()).and_then(|pids| {
                MemoryCgroup::confine(&format!("schemabench-{}", cluster.port), limit, &pids)
            }));
        }
        Ok(cluster)
    }

    /// The memory cap in force on the server's processes, or why the one
    /// asked for could not be set; none when none was asked for.
    pub fn memory_cap(&self) -> Option<Result<u64, &str>> {
        let limit = self.memory?;
        Some(match self.cgroup.as_ref()? {
            Ok(_) => Ok(limit),
            Err(reason) => Err(reason.as_str()),
        })
    }

    /// Starts a small watchdog that stops the server and deletes its files
    /// once this process is gone, however it ends (even SIGKILL, or a test
    /// binary that never drops its shared cluster). `keep` disarms it.
    fn watch_owner(&self) -> Result<(), ClusterError> {
        let script = r#"while [ -d "/proc/$1" ]; do sleep 1; done
[ -e "$2/keep" ] && exit 0
"$3/pg_ctl" stop -m immediate -D "$2/data" >/dev/null 2>&1
rm -rf "$2""#;
        let mut cmd = Command::new("sh");
        self.as_server_user(&mut cmd);
        cmd.current_dir(&self.root)
            .arg("-c")
            .arg(script)
            .arg("schemabench-watchdog")
            .arg(std::process::id().to_string())
            .arg(&self.root)
            .arg(&self.bin)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()?;
        Ok(())
    }

    fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// Runs `cmd` as the server's account when we are root.
    fn as_server_user(&self, cmd: &mut Command) {
        if let Some((uid, gid, _)) = &self.run_as {
            cmd.uid(*uid).gid(*gid);
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin.join(program));
        self.as_server_user(&mut cmd);
        // A cwd the server account may enter; root's home may not be.
        cmd.current_dir(&self.root);
        cmd
    }

    fn run(&self, step: &'static str, mut cmd: Command) -> Result<(), ClusterError> {
        let out = cmd.stdin(Stdio::null()).output()?;
        if out.status.success() {
            Ok(())
        } else {
            Err(ClusterError::Step {
                step,
                detail: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stderr).trim(),
                    self.log_tail()
                ),
            })
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(8).collect();
        if tail.is_empty() {
            String::new()
        } else {
            format!(
                "\nserver log:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            )
        }
    }

    fn init(&self, pwfile: &Path) -> Result<(), ClusterError> {
        let mut cmd = self.command("initdb");
        cmd.args([
            "-U",
            "postgres",
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .arg("-D")
        .arg(self.data_dir());
        self.run("initdb", cmd)
    }

    /// A certificate authority of the cluster's own and a server
    /// certificate it signed for `localhost` and 127.0.0.1: the TCP port
    /// speaks TLS, as a hosted server does, and a client can check it with
    /// `sslmode=verify-full sslrootcert=<ca_certificate>`.
    fn make_certificate(&self) -> Result<(), ClusterError> {
        let failed = |e: rcgen::Error| ClusterError::Step {
            step: "making the cluster's TLS certificate",
            detail: e.to_string(),
        };
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name.push(
            rcgen::DnType::CommonName,
            "schemabench throwaway cluster CA",
        );
        let ca_key = rcgen::KeyPair::generate().map_err(failed)?;
        let ca = rcgen::CertifiedIssuer::self_signed(ca, ca_key).map_err(failed)?;
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let key = rcgen::KeyPair::generate().map_err(failed)?;
        let cert = rcgen::CertificateParams::new(names)
            .and_then(|params| params.signed_by(&key, &ca))
            .map_err(failed)?;
        for (file, text, mode) in [
            ("ca.crt", ca.pem(), 0o644),
            ("server.crt", cert.pem(), 0o644),
            ("server.key", key.serialize_pem(), 0o600),
        ] {
            let path = self.root.join(file);
            std::fs::write(&path, text)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
            if let Some((uid, gid, _)) = &self.run_as {
                nix::unistd::chown(&path, Some((*uid).into()), Some((*gid).into()))
                    .map_err(std::io::Error::from)?;
            }
        }
        Ok(())
    }

    /// The certificate authority the cluster's TLS certificate chains to.
    pub fn ca_certificate(&self) -> PathBuf {
        self.root.join("ca.crt")
    }

    /// The superuser's password, for schemabench's own connections.
    pub fn password(&self) -> &str {
        &self.password.0
    }

    fn launch(&self) -> Result<(), ClusterError> {
        let options = [
            format!("-c port={}", self.port),
            "-c listen_addresses=127.0.0.1".to_owned(),
            "-c ssl=on".to_owned(),
            format!(
                "-c ssl_cert_file={}",
                self.root.join("server.crt").display()
            ),
            format!("-c ssl_key_file={}", self.root.join("server.key").display()),
            format!("-c unix_socket_directories={}", self.socket_dir.display()),
            "-c unix_socket_permissions=0700".to_owned(),
            "-c password_encryption=scram-sha-256".to_owned(),
            "-c shared_preload_libraries=pg_stat_statements".to_owned(),
            "-c track_io_timing=on".to_owned(),
            "-c max_connections=200".to_owned(),
            format!(
                "-c shared_buffers={}MB",
                self.memory.map_or(512, |m| ((m / 4) >> 20).max(16))
            ),
            "-c maintenance_work_mem=256MB".to_owned(),
            "-c max_wal_size=4GB".to_owned(),
        ]
        .into_iter()
        .chain(
            self.memory
                .map(|m| format!("-c effective_cache_size={}MB", ((m / 4 * 3) >> 20).max(48))),
        )
        .collect::<Vec<_>>()
        .join(" ");
        let mut cmd = self.command("pg_ctl");
        cmd.arg("start")
            .arg("-w")
            .args(["-t", "60"])
            .arg("-D")
            .arg(self.data_dir())
            .arg("-l")
            .arg(self.root.join("server.log"))
            .arg("-o")
            .arg(options)
            // Its own process group: Ctrl-C reaches schemabench, which then
            // stops the server in order (and `--keep` survives Ctrl-C).
            .process_group(0);
        self.run("pg_ctl start", cmd)?;
        self.wait_ready()
    }

    fn wait_ready(&self) -> Result<(), ClusterError> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut cmd = self.command("pg_isready");
            cmd.arg("-h").arg(&self.socket_dir).args([
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-q",
            ]);
            if cmd.status().is_ok_and(|s| s.success()) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(ClusterError::Step {
                    step: "waiting for the server",
                    detail: format!("no connection after 30 s{}", self.log_tail()),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Leave the server running after schemabench exits, with a passfile
    /// (owner-only) for the user to connect with.
    pub fn keep(&mut self) -> std::io::Result<()> {
        self.keep = true;
        std::fs::write(self.root.join("keep"), b"")?;
        let passfile = self.passfile();
        let lines: String = ["postgres", "authenticator"]
            .iter()
            .map(|user| format!("*:{}:*:{user}:{}\n", self.port, self.password.0))
            .collect();
        std::fs::write(&passfile, lines)?;
        std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o600))
    }

    /// Where `keep` leaves the password, in libpq's passfile format.
    pub fn passfile(&self) -> PathBuf {
        self.root.join("passfile")
    }

    /// A `psql` command line that connects to this cluster, the password
    /// read from the passfile.
    pub fn psql_hint(&self, database: &str) -> String {
        let as_user = self
            .run_as
            .as_ref()
            .map(|(_, _, name)| format!("runuser -u {name} -- "))
            .unwrap_or_default();
        format!(
            "PGPASSFILE={} psql -h {} -p {} -U postgres {database}   # stop with: {as_user}{} stop -D {}",
            self.passfile().display(),
            self.socket_dir.display(),
            self.port,
            self.bin.join("pg_ctl").display(),
            self.data_dir().display()
        )
    }

    /// The libpq-style host (the socket directory) for clients.
    pub fn host(&self) -> &OsStr {
        self.socket_dir.as_os_str()
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        let mut cmd = self.command("pg_ctl");
        cmd.args(["stop", "-m", "fast", "-w", "-D"])
            .arg(self.data_dir());
        let _ = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_abandoned_unkept_clusters_of_ours_are_reclaimed() {
        let temp = tempfile::tempdir().expect("tempdir");
        let dead = {
            let mut child = Command::new("true").spawn().expect("spawn");
            let pid = child.id();
            child.wait().expect("wait");
            pid
        };
        let live = std::process::id();
        let folder = |name: &str, owner: Option<u32>, kept: bool| {
            let root = temp.path().join(name);
            std::fs::create_dir_all(root.join("data")).expect("folder");
            if let Some(pid) = owner {
                std::fs::write(root.join(OWNER_FILE), pid.to_string()).expect("owner");
            }
            if kept {
                std::fs::write(root.join("keep"), b"").expect("keep");
            }
        };
        folder("schemabench-pg-abandoned", Some(dead), false);
        folder("schemabench-pg-running", Some(live), false);
        folder("schemabench-pg-kept", Some(dead), true);
        folder("schemabench-pg-unknown", None, false);
        folder("someone-else", Some(dead), false);
        reclaim_leftovers(temp.path(), Path::new("/nonexistent"), None);
        let mut left: Vec<String> = std::fs::read_dir(temp.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "schemabench-pg-kept",
                "schemabench-pg-running",
                "schemabench-pg-unknown",
                "someone-else"
            ]
        );
    }
}
