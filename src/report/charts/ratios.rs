//! The ratio chart: each query's candidate-to-baseline ratio with its
//! interval, on a log axis centred on 1x, coloured by verdict.

use plotters::prelude::*;

use super::{ChartError, FONT, WIDTH, fail};
use crate::results::Verdict;

fn verdict_color(v: Verdict) -> RGBColor {
    match v {
        Verdict::Faster => RGBColor(0x2e, 0x8b, 0x3e),
        Verdict::Slower => RGBColor(0xd6, 0x27, 0x28),
        Verdict::NoChange => RGBColor(0x80, 0x80, 0x80),
        Verdict::Inconclusive => RGBColor(0xe0, 0x9b, 0x00),
    }
}

/// One row of a ratio chart.
pub struct RatioRow {
    pub label: String,
    pub ratio: f64,
    pub low: f64,
    pub high: f64,
    pub verdict: Verdict,
}

/// Ratios to the baseline with their confidence intervals as whiskers, on
/// a log axis centred on 1, coloured by verdict; the grey band is the
/// noise threshold. Long on purpose: one chart drawn in plotters' order
/// (axis, mesh, noise band, tick rules, then each row: whisker and point).
pub fn ratios(
    title: &str,
    axis: &str,
    rows: &[RatioRow],
    noise: f64,
) -> Result<String, ChartError> {
    let err = fail(title);
    let log = |v: f64| {
        if v.is_finite() && v > 0.0 {
            v.log10()
        } else {
            0.0
        }
    };
    let band = (1.0 + noise).log10();
    // The axis fits the ratios, not the widest whisker: a 0.01x-100x axis
    // hides both the band and every effect; whiskers beyond it end in an
    // arrow.
    let extent = rows
        .iter()
        .map(|r| log(r.ratio).abs() * 1.5)
        .fold(band * 4.0, f64::max)
        .min(1.0);
    let height = 70 + 22 * rows.len().max(1) as u32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let n = rows.len() as f64;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .margin_right(24)
            .x_label_area_size(42)
            .y_label_area_size(230)
            .build_cartesian_2d(-extent..extent, -0.5..(n - 0.5).max(0.5))
            .map_err(|e| err(e.to_string()))?;
        let labels: Vec<String> = rows.iter().map(|r| r.label.clone()).collect();
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(axis)
            .x_labels(0)
            .y_labels(rows.len().max(1))
            .y_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 0.01 && i >= 0.0 && i < n {
                    labels
                        .get((n - 1.0 - i) as usize)
                        .cloned()
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .draw()
            .map_err(|e| err(e.to_string()))?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(-band, -0.5), (band, n - 0.5)],
                RGBColor(0xdd, 0xdd, 0xdd).filled(),
            )))
            .map_err(|e| err(e.to_string()))?;
        // Round ticks (0.5x, 1x, 2x), each with a light rule.
        for tick in ratio_ticks(extent) {
            let x = tick.log10();
            let rule = if tick == 1.0 {
                BLACK.stroke_width(1)
            } else {
                RGBColor(0xe6, 0xe6, 0xe6).stroke_width(1)
            };
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, -0.5), (x, n - 0.5)],
                    rule,
                )))
                .map_err(|e| err(e.to_string()))?;
            let (px, py) = chart.backend_coord(&(x, -0.5));
            root.draw(&Text::new(
                format!("{tick}×"),
                (px - 12, py + 6),
                (FONT, 14).into_font(),
            ))
            .map_err(|e| err(e.to_string()))?;
        }
        let clamp = |v: f64| log(v).clamp(-extent, extent);
        let head = extent * 0.04;
        // The first row on top.
        for (i, r) in rows.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            let c = verdict_color(r.verdict);
            let (low, high) = (clamp(r.low), clamp(r.high));
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(low, y), (high, y)],
                    c.stroke_width(2),
                )))
                .map_err(|e| err(e.to_string()))?;
            // A cap where the whisker ends, an arrow where the axis cut it.
            for (end, cut, dir) in [
                (low, log(r.low) < -extent, -1.0),
                (high, log(r.high) > extent, 1.0),
            ] {
                let shape = if cut {
                    vec![
                        (end, y),
                        (end - dir * head, y - 0.22),
                        (end - dir * head, y + 0.22),
                    ]
                } else {
                    vec![(end, y - 0.2), (end, y + 0.2)]
                };
                if cut {
                    chart
                        .draw_series(std::iter::once(Polygon::new(shape, c.filled())))
                        .map_err(|e| err(e.to_string()))?;
                } else {
                    chart
                        .draw_series(std::iter::once(PathElement::new(shape, c.stroke_width(2))))
                        .map_err(|e| err(e.to_string()))?;
                }
            }
            chart
                .draw_series(std::iter::once(Circle::new(
                    (clamp(r.ratio), y),
                    4,
                    c.filled(),
                )))
                .map_err(|e| err(e.to_string()))?;
        }
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}

/// Where a ratio axis may put its ticks, roundest first: values a reader
/// rounds to.
const RATIO_TICKS: [f64; 13] = [
    1.0, 2.0, 0.5, 10.0, 0.1, 5.0, 0.2, 1.25, 0.8, 1.1, 0.9, 1.05, 0.95,
];

/// The roundest ticks within `extent` (log10) of 1 that keep a readable
/// distance from each other.
fn ratio_ticks(extent: f64) -> Vec<f64> {
    let mut kept: Vec<f64> = Vec::new();
    for tick in RATIO_TICKS {
        let x = f64::log10(tick);
        if x.abs() <= extent && kept.iter().all(|k| (k.log10() - x).abs() >= extent * 0.22) {
            kept.push(tick);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_axes_tick_round_values_that_do_not_crowd() {
        // 0.1x to 10x: no 1.05x beside 1x.
        assert_eq!(ratio_ticks(1.0), [1.0, 2.0, 0.5, 10.0, 0.1, 5.0, 0.2]);
        // Within the 5% band's four widths: the steps a reader rounds to.
        assert_eq!(
            ratio_ticks(1.05f64.log10() * 4.0),
            [1.0, 1.1, 0.9, 1.05, 0.95]
        );
        // 0.76x to 1.32x: 1.05x would crowd 1x and 1.1x.
        assert_eq!(ratio_ticks(0.12), [1.0, 1.25, 0.8, 1.1, 0.9]);
    }
}
