//! The memory regime a run measured in: the data's size against
//! shared_buffers and the machine's memory, and how much of each query's
//! work PostgreSQL found in its own cache. A verdict measured with every
//! page in shared_buffers can turn once production's data outgrows them.

use crate::results::RunResults;
use crate::seed::size::human;

/// Bytes of a size setting as `current_setting` shows it (`512MB`,
/// `128kB`, `1GB`, `8TB`, or a bare number of bytes).
pub fn setting_bytes(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "kB" => 1 << 10,
        "MB" => 1 << 20,
        "GB" => 1 << 30,
        "TB" => 1 << 40,
        _ => return None,
    };
    number.checked_mul(factor)
}

/// One sentence on where the data sat: within shared_buffers, within the
/// machine's memory (for a server on this machine), or beyond it; none
/// where the sizes are unknown.
pub fn regime(r: &RunResults) -> Option<String> {
    let data = u64::try_from(r.candidates.first()?.cost.database_bytes)
        .ok()
        .filter(|b| *b > 0)?;
    let written = r.server.settings.get("shared_buffers")?;
    let buffers = setting_bytes(written)?;
    let ram = r.machine.memory_bytes.filter(|_| r.server.throwaway);
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
    let gib = |b: u64| format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64);
    Some(match ram {
        _ if data <= buffers => format!(
            "{sizes}: once read, every page stays in PostgreSQL's own cache. A production database larger than its shared_buffers reads from the OS cache or disk, where these latencies (and verdicts on scans) can differ."
        ),
        Some(ram) if data <= ram => format!(
            "{sizes} but fits in this machine's memory ({}): reads past shared_buffers came from the OS cache, not the disk.",
            gib(ram)
        ),
        Some(ram) => format!(
            "{sizes} and this machine's memory ({}): reads reached the disk.",
            gib(ram)
        ),
        None => format!("{sizes}: reads past them came from the server's OS cache or disk."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_settings_read_as_postgresql_writes_them() {
        assert_eq!(setting_bytes("512MB"), Some(512 << 20));
        assert_eq!(setting_bytes("128kB"), Some(128 << 10));
        assert_eq!(setting_bytes("8GB"), Some(8 << 30));
        assert_eq!(setting_bytes("8192"), Some(8192));
        assert_eq!(setting_bytes("lots"), None);
        assert_eq!(setting_bytes("5 parsecs"), None);
    }

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
