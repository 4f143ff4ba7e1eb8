//! HdrHistogram's percentile-distribution text (`.hgrm`), the format that
//! HdrHistogram's plotter and most latency tooling read. Values in ms.

use std::fmt::Write;

use super::Latencies;

/// Reporting steps per half-distance to 100%, as HdrHistogram's default.
const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// Renders the percentile distribution of a microsecond histogram in
/// milliseconds.
pub fn percentile_distribution(h: &Latencies) -> String {
    let ms = |us: u64| us as f64 / 1000.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    if !h.is_empty() {
        let mut total = 0u64;
        for v in h.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
            let q = v.quantile_iterated_to();
            total += v.count_since_last_iteration();
            let value = ms(h.highest_equivalent(v.value_iterated_to()));
            if q < 1.0 {
                let _ = writeln!(
                    out,
                    "{value:>12.3} {q:>14.12} {total:>10} {:>14.2}",
                    1.0 / (1.0 - q)
                );
            } else {
                let _ = writeln!(out, "{value:>12.3} {q:>14.12} {total:>10}");
            }
        }
    }
    let _ = writeln!(
        out,
        "#[Mean    = {:>12.3}, StdDeviation   = {:>12.3}]",
        h.mean() / 1000.0,
        h.stdev() / 1000.0
    );
    let _ = writeln!(
        out,
        "#[Max     = {:>12.3}, Total count    = {:>12}]",
        ms(h.max()),
        h.len()
    );
    // HdrHistogram's sub-bucket count: the power of two above 2 * 10^digits.
    let sub_buckets = 1u64 << (2.0 * 10f64.powi(i32::from(h.sigfig()))).log2().ceil() as u32;
    let _ = writeln!(
        out,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        h.buckets(),
        sub_buckets
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::new_histogram;

    #[test]
    fn distribution_has_the_standard_columns_and_footer() {
        let mut h = new_histogram();
        for us in 1..=1000u64 {
            crate::results::record_latency(&mut h, us * 10, 1);
        }
        let text = percentile_distribution(&h);
        let mut lines = text.lines();
        assert_eq!(
            lines
                .next()
                .map(|l| l.split_whitespace().collect::<Vec<_>>()),
            Some(vec![
                "Value",
                "Percentile",
                "TotalCount",
                "1/(1-Percentile)"
            ])
        );
        let rows: Vec<Vec<f64>> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .skip(1)
            .map(|l| {
                l.split_whitespace()
                    .filter_map(|f| f.parse().ok())
                    .collect()
            })
            .collect();
        let first = rows.first().expect("rows");
        let last = rows.last().expect("rows");
        assert!((first[0] - 0.010).abs() < 1e-3, "first value {first:?}");
        assert!((last[0] - 10.0).abs() < 0.02, "last value {last:?}");
        assert_eq!(last[1], 1.0);
        assert_eq!(last[2], 1000.0);
        assert!(
            rows.windows(2)
                .all(|w| w[0][1] <= w[1][1] && w[0][2] <= w[1][2]),
            "monotone"
        );
        assert!(
            text.contains("#[Max     =       10.007, Total count    =         1000]"),
            "{text}"
        );
    }
}
