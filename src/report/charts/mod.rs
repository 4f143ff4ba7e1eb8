//! Inline SVG charts drawn with plotters. Log axes are drawn as linear axes
//! over log10 of the values, with labels turned back into values, so every
//! chart shares one code path.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::results::Latencies;

mod ratios;

pub use ratios::{RatioRow, ratios};

/// Why a chart could not be drawn (the report says so in its place).
#[derive(Debug, thiserror::Error)]
#[error("cannot draw chart {title}: {message}")]
pub struct ChartError {
    pub title: String,
    pub message: String,
}

/// One colour per configuration, the same in every chart: the baseline is
/// blue; red and green are kept for verdicts.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x59, 0x59, 0x59),
    RGBColor(0x8c, 0xd1, 0x7d),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// The colour of the configuration at `index` (0 is the baseline).
pub fn color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// `#rrggbb` of a configuration, for HTML beside the charts.
pub fn css_color(index: usize) -> String {
    let RGBColor(r, g, b) = color(index);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// One line of a chart.
pub struct Series {
    pub name: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
}

/// How an axis maps values.
#[derive(Clone, Copy)]
pub enum Scale {
    Linear,
    Log,
}

/// An axis: its title (with units), scale and label format.
pub struct Axis {
    pub title: String,
    pub scale: Scale,
    pub format: fn(f64) -> String,
}

impl Axis {
    pub fn new(title: &str, scale: Scale, format: fn(f64) -> String) -> Self {
        Self {
            title: title.to_owned(),
            scale,
            format,
        }
    }
}

/// One line per configuration, its points computed from its histogram.
fn lines_of(
    series: &[(String, RGBColor, &Latencies)],
    points: impl Fn(&Latencies) -> Vec<(f64, f64)>,
) -> Vec<Series> {
    series
        .iter()
        .map(|(name, color, h)| Series {
            name: name.clone(),
            color: *color,
            points: points(h),
        })
        .collect()
}

impl Scale {
    fn plot(self, v: f64) -> f64 {
        match self {
            Self::Linear => v,
            Self::Log => v.max(1e-9).log10(),
        }
    }

    fn unplot(self, v: f64) -> f64 {
        match self {
            Self::Linear => v,
            Self::Log => 10f64.powf(v),
        }
    }
}

const WIDTH: u32 = 760;
/// The column beside a line chart that holds its legend.
pub const LEGEND_WIDTH: u32 = 170;
const HEIGHT: u32 = 360;
const FONT: &str = "sans-serif";

fn fail(title: &str) -> impl Fn(String) -> ChartError + '_ {
    move |message| ChartError {
        title: title.to_owned(),
        message,
    }
}

/// Smallest and largest of `values`, padded so a flat line stays visible.
fn bounds(values: impl Iterator<Item = f64>, scale: Scale, from_zero: bool) -> (f64, f64) {
    let (mut lo, mut hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return (0.0, 1.0);
    }
    if from_zero && matches!(scale, Scale::Linear) {
        lo = lo.min(0.0);
    }
    let pad = match scale {
        Scale::Linear => ((hi - lo) * 0.05).max(hi.abs() * 0.05).max(1e-6),
        Scale::Log => 0.1,
    };
    if !(from_zero && lo == 0.0) {
        lo -= pad;
    }
    hi += pad;
    (lo, hi)
}

/// Lines on two axes, the legend beside the plot. Long on purpose: one
/// chart drawn in plotters' order (bounds, mesh, series, legend).
pub fn line_chart(
    title: &str,
    x: &Axis,
    y: &Axis,
    series: &[Series],
) -> Result<String, ChartError> {
    let err = fail(title);
    let plotted: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|s| {
            s.points
                .iter()
                .filter(|(a, b)| a.is_finite() && b.is_finite())
                .filter(|(a, b)| {
                    (matches!(x.scale, Scale::Linear) || *a > 0.0)
                        && (matches!(y.scale, Scale::Linear) || *b > 0.0)
                })
                .map(|(a, b)| (x.scale.plot(*a), y.scale.plot(*b)))
                .collect()
        })
        .collect();
    let (x0, x1) = bounds(plotted.iter().flatten().map(|p| p.0), x.scale, false);
    let (y0, y1) = bounds(plotted.iter().flatten().map(|p| p.1), y.scale, true);
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (WIDTH + LEGEND_WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        let (plot, legend) = root.split_horizontally(WIDTH);
        let mut chart = ChartBuilder::on(&plot)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(46)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| err(e.to_string()))?;
        let (xs, ys) = (x.scale, y.scale);
        let (xf, yf) = (x.format, y.format);
        let (x_log, y_log) = (matches!(xs, Scale::Log), matches!(ys, Scale::Log));
        let (x_text, y_text) = (|v: &f64| xf(xs.unplot(*v)), |v: &f64| yf(ys.unplot(*v)));
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(x.title.as_str())
            .y_desc(y.title.as_str())
            .x_labels(if x_log { 0 } else { 8 })
            .y_labels(if y_log { 0 } else { 8 })
            .x_label_formatter(&x_text)
            .y_label_formatter(&y_text)
            .label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .light_line_style(RGBColor(0xee, 0xee, 0xee))
            .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd));
        // Log axes tick at values a reader rounds to (1, 2, 5 per decade),
        // not at plotters' even steps in log space (3.16, 31.6).
        if x_log {
            mesh.disable_x_mesh();
        }
        if y_log {
            mesh.disable_y_mesh();
        }
        mesh.draw().map_err(|e| err(e.to_string()))?;
        let rule = RGBColor(0xe6, 0xe6, 0xe6).stroke_width(1);
        // Each tick: its rule across the plot, where its label hangs, the
        // label and how it is anchored there.
        let x_ticks = (if x_log { log_ticks(x0, x1) } else { Vec::new() })
            .into_iter()
            .map(|v| {
                let at = v.log10();
                (
                    [(at, y0), (at, y1)],
                    (at, y0),
                    xf(v),
                    (0, 8),
                    (HPos::Center, VPos::Top),
                )
            });
        let y_ticks = (if y_log { log_ticks(y0, y1) } else { Vec::new() })
            .into_iter()
            .map(|v| {
                let at = v.log10();
                (
                    [(x0, at), (x1, at)],
                    (x0, at),
                    yf(v),
                    (-8, 0),
                    (HPos::Right, VPos::Center),
                )
            });
        for (ends, hang, text, (dx, dy), (h, v)) in x_ticks.chain(y_ticks) {
            chart
                .draw_series(std::iter::once(PathElement::new(ends.to_vec(), rule)))
                .map_err(|e| err(e.to_string()))?;
            let (px, py) = chart.backend_coord(&hang);
            let style = TextStyle::from((FONT, 15).into_font()).pos(Pos::new(h, v));
            root.draw(&Text::new(text, (px + dx, py + dy), style))
                .map_err(|e| err(e.to_string()))?;
        }
        for (s, points) in series.iter().zip(plotted) {
            chart
                .draw_series(LineSeries::new(points, s.color.stroke_width(2)))
                .map_err(|e| err(e.to_string()))?;
        }
        // The legend in its own column right of the plot, where it can
        // cover no line.
        for (i, s) in series.iter().enumerate() {
            let y = 48 + 22 * i as i32;
            legend
                .draw(&PathElement::new(
                    vec![(4, y), (24, y)],
                    s.color.stroke_width(3),
                ))
                .map_err(|e| err(e.to_string()))?;
            legend
                .draw(&Text::new(
                    s.name.clone(),
                    (30, y - 8),
                    (FONT, 14).into_font(),
                ))
                .map_err(|e| err(e.to_string()))?;
        }
        root.present().map_err(|e| err(e.to_string()))?;
    }
    Ok(svg)
}

/// Milliseconds with the precision their size needs.
pub fn format_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

pub fn format_count(v: f64) -> String {
    if v.abs() >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// `1/(1-p)` back to a percentile label: 10 is 90%, 1000 is 99.9%.
fn format_percentile(v: f64) -> String {
    let p = (1.0 - 1.0 / v.max(1.0)) * 100.0;
    let digits = ((v.log10()).round() as i64 - 2).clamp(0, 4) as usize;
    format!("{p:.digits$}%")
}

fn format_percent(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// Latency against percentile on HdrHistogram's `1/(1-p)` log axis, one
/// line per configuration.
pub fn percentiles(
    title: &str,
    series: &[(String, RGBColor, &Latencies)],
) -> Result<String, ChartError> {
    let lines = lines_of(series, |h| {
        // Up to the percentile the sample can still resolve.
        let top = (h.len() as f64).max(2.0).log10().min(5.0);
        let steps = 80;
        (0..=steps)
            .map(|i| 10f64.powf(top * f64::from(i) / f64::from(steps)))
            .map(|x| (x, h.value_at_quantile(1.0 - 1.0 / x) as f64 / 1000.0))
            .collect()
    });
    line_chart(
        title,
        &Axis::new("percentile", Scale::Log, format_percentile),
        &Axis::new("latency (ms, log scale)", Scale::Log, format_ms),
        &lines,
    )
}

/// Share of requests per latency bucket (log-spaced), one line per
/// configuration, so runs of different lengths compare.
pub fn histogram(
    title: &str,
    series: &[(String, RGBColor, &Latencies)],
) -> Result<String, ChartError> {
    let lo = series
        .iter()
        .filter(|s| !s.2.is_empty())
        .map(|s| s.2.min())
        .min()
        .unwrap_or(1)
        .max(1) as f64;
    let hi = series.iter().map(|s| s.2.max()).max().unwrap_or(2).max(2) as f64;
    let buckets = 40;
    let step = ((hi / lo).log10() / f64::from(buckets)).max(1e-3);
    let lines = lines_of(series, |h| {
        let total = h.len().max(1) as f64;
        (0..buckets)
            .map(|i| {
                let from = lo * 10f64.powf(step * f64::from(i));
                let to = lo * 10f64.powf(step * f64::from(i + 1));
                let count = h.count_between(from as u64, to as u64) as f64;
                ((from * to).sqrt() / 1000.0, count / total)
            })
            .collect()
    });
    line_chart(
        title,
        &Axis::new("latency (ms, log scale)", Scale::Log, format_ms),
        &Axis::new("share of requests", Scale::Linear, format_percent),
        &lines,
    )
}

/// A value per second into a phase (the mean over its rounds), one line
/// per configuration.
pub fn over_time(
    title: &str,
    y_title: &str,
    series: Vec<Series>,
    y_ms: bool,
) -> Result<String, ChartError> {
    line_chart(
        title,
        &Axis::new(
            "seconds into the phase (mean over its rounds)",
            Scale::Linear,
            format_count,
        ),
        &Axis::new(
            y_title,
            Scale::Linear,
            if y_ms { format_ms } else { format_count },
        ),
        &series,
    )
}

/// Ticks of a log axis spanning `lo..hi` (log10): 1, 2 and 5 of every
/// decade, thinned to whole decades (then every other one) when they would
/// crowd.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let within = |steps: &[f64], every: i32| -> Vec<f64> {
        ((lo.floor() as i32)..=(hi.ceil() as i32))
            .filter(|k| k.rem_euclid(every) == 0)
            .flat_map(|k| steps.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| (lo..=hi).contains(&v.log10()))
            .collect()
    };
    [(&[1.0, 2.0, 5.0][..], 1), (&[1.0][..], 1), (&[1.0][..], 2)]
        .into_iter()
        .map(|(steps, every)| within(steps, every))
        .find(|ticks| ticks.len() <= 8)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axes_tick_one_two_five_and_thin_out_over_many_decades() {
        // 0.08 ms to 120 ms: four decades, too many for 1-2-5.
        assert_eq!(
            log_ticks(0.08f64.log10(), 120f64.log10()),
            [0.1, 1.0, 10.0, 100.0]
        );
        // 0.3 ms to 9 ms.
        assert_eq!(
            log_ticks(0.3f64.log10(), 9f64.log10()),
            [0.5, 1.0, 2.0, 5.0]
        );
        // Ten decades: every other one.
        assert_eq!(log_ticks(0.0, 10.0).len(), 6);
    }
}
