//! A memory limit on a throwaway cluster: its processes in a memory cgroup
//! of their own, so the server's share of the OS page cache is capped too
//! and a small data set meets the memory pressure a large one would. Linux
//! only, and only where this process may create cgroups (root, or a
//! delegated cgroup v2 subtree); elsewhere the reason is returned.

use std::path::{Path, PathBuf};

/// A cgroup made for one cluster, removed (once empty) on drop.
#[derive(Debug)]
pub struct MemoryCgroup {
    dir: PathBuf,
}

/// Where this process's memory cgroup is: cgroup v1's memory hierarchy, or
/// the unified (v2) one, with the file that caps it.
fn own_memory_cgroup() -> Result<(PathBuf, &'static str), String> {
    let own = std::fs::read_to_string("/proc/self/cgroup")
        .map_err(|e| format!("cannot read /proc/self/cgroup ({e})"))?;
    for line in own.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next(), parts.next(), parts.next());
        let path = path.unwrap_or("/").trim_start_matches('/');
        if controllers.is_some_and(|c| c.split(',').any(|c| c == "memory")) {
            return Ok((
                Path::new("/sys/fs/cgroup/memory").join(path),
                "memory.limit_in_bytes",
            ));
        }
    }
    // cgroup v2: one hierarchy ("0::/path"), mounted at /sys/fs/cgroup or
    // /sys/fs/cgroup/unified beside v1 controllers.
    let path = own
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .ok_or("no memory cgroup controller on this machine")?
        .trim_start_matches('/');
    for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
        let dir = Path::new(root).join(path);
        let controllers = std::fs::read_to_string(dir.join("cgroup.controllers"));
        if controllers.is_ok_and(|c| c.split_whitespace().any(|c| c == "memory")) {
            return Ok((dir, "memory.max"));
        }
    }
    Err("no memory cgroup controller is delegated to this process".to_owned())
}

impl MemoryCgroup {
    /// Moves `pids` (the cluster's processes) into a new cgroup capped at
    /// `limit` bytes.
    pub fn confine(name: &str, limit: u64, pids: &[u32]) -> Result<Self, String> {
        let (parent, cap) = own_memory_cgroup()?;
        let dir = parent.join(name);
        std::fs::create_dir(&dir)
            .map_err(|e| format!("cannot create cgroup {} ({e})", dir.display()))?;
        let cgroup = Self { dir };
        let write = |file: &str, value: String| {
            std::fs::write(cgroup.dir.join(file), value)
                .map_err(|e| format!("cannot write {} ({e})", cgroup.dir.join(file).display()))
        };
        write(cap, limit.to_string())?;
        for pid in pids {
            write("cgroup.procs", pid.to_string())?;
        }
        Ok(cgroup)
    }
}

impl Drop for MemoryCgroup {
    /// A cgroup is removed with rmdir once empty. `pg_ctl stop -w` returns
    /// when the postmaster removed its pid file, which it does before its
    /// last exit steps: the rmdir is busy until it has left (seen on CI).
    /// Whatever still lives after a wait is moved to the parent cgroup, so
    /// the folder never outlives the run.
    fn drop(&mut self) {
        let busy = |dir: &Path| {
            matches!(std::fs::remove_dir(dir),
                Err(e) if e.kind() == std::io::ErrorKind::ResourceBusy)
        };
        for _ in 0..100 {
            if !busy(&self.dir) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if let (Some(parent), Ok(procs)) = (
            self.dir.parent(),
            std::fs::read_to_string(self.dir.join("cgroup.procs")),
        ) {
            for pid in procs.lines() {
                let _ = std::fs::write(parent.join("cgroup.procs"), pid);
            }
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The processes of a server: its postmaster (the first line of
/// `postmaster.pid`) and the postmaster's children.
pub fn server_processes(data_dir: &Path) -> Result<Vec<u32>, String> {
    let pidfile = std::fs::read_to_string(data_dir.join("postmaster.pid"))
        .map_err(|e| format!("cannot read postmaster.pid ({e})"))?;
    let postmaster: u32 = pidfile
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .ok_or("postmaster.pid names no process")?;
    let mut pids = vec![postmaster];
    for entry in std::fs::read_dir("/proc").map_err(|e| format!("cannot list /proc ({e})"))? {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        // Field 4 of /proc/PID/stat is the parent; the name before it is
        // in parentheses and may hold spaces.
        let parent = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|s| {
                s.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
            });
        if parent == Some(postmaster) {
            pids.push(pid);
        }
    }
    Ok(pids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_and_its_children_are_found_from_a_pid_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .expect("spawn");
        std::fs::write(
            dir.path().join("postmaster.pid"),
            format!("{}\n/data\n", std::process::id()),
        )
        .expect("write");
        let pids = server_processes(dir.path()).expect("processes");
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(pids[0], std::process::id());
        assert!(pids.contains(&child.id()), "{pids:?}");
    }

    /// A process that outlives the server (or is slow to leave) does not
    /// keep the cgroup's folder: it is moved to the parent cgroup first.
    #[test]
    fn a_cgroup_is_removed_even_while_a_process_still_lives_in_it() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn");
        let name = format!("schemabench-test-{}", std::process::id());
        let confined = MemoryCgroup::confine(&name, 64 << 20, &[child.id()]);
        let Ok(cgroup) = confined else {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("no cgroup here: {confined:?}");
            return;
        };
        let dir = cgroup.dir.clone();
        drop(cgroup);
        let alive = child.try_wait().expect("wait").is_none();
        let _ = child.kill();
        let _ = child.wait();
        assert!(!dir.exists(), "{} is left", dir.display());
        assert!(alive, "the process was moved, not killed");
    }
}
