//! The memory regime a run measured in: the data's size against
//! shared_buffers and the machine's memory, and how much of each query's
//! work PostgreSQL found in its own cache. A verdict measured with every
//! page in shared_buffers can turn once production's data outgrows them.

use crate::results::RunResults;
use crate::scenario::units::parse_bytes;
use crate::seed::size::{human, human_binary};

/// One sentence on where the data sat: within shared_buffers, within the
/// machine's memory (for a server on this machine), or beyond it; none
/// where the sizes are unknown.
pub fn regime(r: &RunResults) -> Option<String> {
    let data = u64::try_from(r.candidates.first()?.cost.database_bytes)
        .ok()
        .filter(|b| *b > 0)?;
    let written = r.server.settings.get("shared_buffers")?;
    let buffers = parse_bytes(written)?;
    let ram = server_memory(r);
    let sizes = format!(
        "The data ({} per copy) {} shared_buffers ({})",
        human(data),
        if data <= buffers {
            "fits in"
        } else {
            "is larger than"
        },
        written
    );
    Some(match ram {
        _ if data <= buffers => format!(
            "{sizes}: once read, every page stays in PostgreSQL's own cache. A production database larger than its shared_buffers reads from the OS cache or disk, where these latencies (and verdicts on scans) can differ."
        ),
        Some((ram, what)) if data <= ram => format!(
            "{sizes} but fits in {what} ({}): reads past shared_buffers came from the OS cache, not the disk.",
            human_binary(ram)
        ),
        Some((ram, what)) => format!(
            "{sizes} and {what} ({}): reads reached the disk.",
            human_binary(ram)
        ),
        None => format!("{sizes}: reads past them came from the server's OS cache or disk."),
    })
}

/// The memory the run's server had, and what it was: the cluster's own
/// cap where it had one, else this machine's memory (which a server
/// elsewhere does not share, so none is known for it).
pub fn server_memory(r: &RunResults) -> Option<(u64, &'static str)> {
    r.server
        .memory_limit_bytes
        .map(|b| (b, "the cluster's memory cap"))
        .or_else(|| {
            r.machine
                .memory_bytes
                .filter(|_| r.server.throwaway)
                .map(|b| (b, "this machine's memory"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_regime_says_where_the_data_sat() {
        let mut r = crate::report::fixture();
        r.server
            .settings
            .insert("shared_buffers".into(), "512MB".into());
        r.server.throwaway = true;
        r.machine.memory_bytes = Some(24 << 30);
        r.candidates[0].cost.database_bytes = 17_700_000;
        let text = regime(&r).expect("sizes known");
        assert!(
            text.starts_with("The data (17.7 MB per copy) fits in shared_buffers (512MB)"),
            "{text}"
        );
        r.candidates[0].cost.database_bytes = 7_000_000_000;
        let text = regime(&r).expect("sizes known");
        assert!(
            text.contains("is larger than shared_buffers")
                && text.contains("OS cache, not the disk"),
            "{text}"
        );
        r.candidates[0].cost.database_bytes = 31_000_000_000;
        assert!(
            regime(&r)
                .expect("sizes known")
                .contains("reads reached the disk")
        );
        r.server.settings.remove("shared_buffers");
        assert_eq!(regime(&r), None);
    }
}
