//! The dashboard's charts as SVG: horizontal bars for a comparison (areas,
//! categories) and a line for a time series. Drawn here rather than with
//! the report charts so the page can make each withheld value a focusable
//! mark with its explanation, and write axis numbers in the page's language.

use crate::format::format_number;
use peitto_i18n::Lang;
use std::fmt::Write as _;

/// Okabe–Ito colours: told apart with every common colour-vision deficiency.
const BLUE: &str = "#0072B2";
const ORANGE: &str = "#E69F00";
const VERMILION: &str = "#D55E00";
const WIDTH: f64 = 640.0;

/// One value on a chart.
#[derive(Debug, Clone)]
pub struct Point {
    /// Category or year, as shown.
    pub label: String,
    /// The published value; `None` withheld.
    pub value: Option<f64>,
    /// Drawn in the highlight colour (the chosen area among its peers).
    pub highlight: bool,
}

/// What a chart shows and how withheld values are explained.
#[derive(Debug, Clone)]
pub struct Chart<'a> {
    /// What the values are (axis title).
    pub unit: &'a str,
    /// The values, in order.
    pub points: Vec<Point>,
    /// Language of the numbers.
    pub lang: Lang,
    /// Symbol of a withheld value.
    pub symbol: &'a str,
    /// One line on why a value is withheld.
    pub note: &'a str,
}

/// Text safe inside SVG (element content and attribute values).
#[must_use]
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Round tick values from 0 up to at least `max`: steps of 1, 2 or 5 × 10ⁿ.
fn ticks(max: f64) -> Vec<f64> {
    if max <= 0.0 || !max.is_finite() {
        return vec![0.0, 1.0];
    }
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let mut out = vec![0.0];
    while out.last().is_some_and(|t| *t < max) {
        out.push(out.len() as f64 * step);
    }
    out
}

/// The mark of a withheld value: focusable, with its explanation for the
/// page's tooltip (`data-note`), for screen readers and as an SVG title.
fn withheld_mark(out: &mut String, chart: &Chart, label: &str, x: f64, y: f64) {
    let note = escape(&format!("{} {}", chart.symbol, chart.note));
    let _ = write!(
        out,
        r#"<g class="withheld" tabindex="0" role="img" aria-label="{l}: {note}" data-note="{n}"><title>{note}</title><rect x="{x:.1}" y="{ry:.1}" width="22" height="16" fill="url(#hatch)" stroke="{VERMILION}"/><text x="{tx:.1}" y="{y:.1}" font-weight="bold" fill="{VERMILION}">{s}</text></g>"#,
        l = escape(label),
        n = escape(chart.note),
        ry = y - 12.0,
        tx = x + 26.0,
        s = escape(chart.symbol),
    );
}

fn open(out: &mut String, height: f64, chart: &Chart) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" font-family="system-ui, 'DejaVu Sans', sans-serif" font-size="12"><defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="{VERMILION}" stroke-width="2"/></pattern></defs><text x="4" y="14" fill="#333">{u}</text>"##,
        u = escape(chart.unit),
    );
}

/// Horizontal bars, one per point, labelled on the left with the value at
/// the end of the bar.
#[must_use]
pub fn bars(chart: &Chart) -> String {
    let label_w = 230.0;
    let right = WIDTH - 70.0;
    let row = 26.0;
    let top = 30.0;
    let height = top + row * chart.points.len() as f64 + 28.0;
    let max = chart
        .points
        .iter()
        .filter_map(|p| p.value)
        .fold(0.0, f64::max);
    let ticks = ticks(max);
    let scale_max = ticks.last().copied().unwrap_or(1.0);
    let x_of = |v: f64| label_w + (right - label_w) * v / scale_max;
    let mut out = String::new();
    open(&mut out, height, chart);
    let axis_y = top + row * chart.points.len() as f64;
    for t in &ticks {
        let x = x_of(*t);
        let _ = write!(
            out,
            r##"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{axis_y}" stroke="#ddd"/><text class="tick" x="{x:.1}" y="{ty}" text-anchor="middle" fill="#333">{v}</text>"##,
            ty = axis_y + 16.0,
            v = format_number(chart.lang, *t),
        );
    }
    for (i, p) in chart.points.iter().enumerate() {
        let y = top + row * i as f64;
        let base = y + row * 0.65;
        let _ = write!(
            out,
            r##"<text x="{lx}" y="{base:.1}" text-anchor="end" fill="#1a1a1a"{b}>{l}</text>"##,
            lx = label_w - 8.0,
            b = if p.highlight {
                r#" font-weight="bold""#
            } else {
                ""
            },
            l = escape(&p.label),
        );
        match p.value {
            Some(v) => {
                let w = (x_of(v) - label_w).max(if v > 0.0 { 1.0 } else { 0.0 });
                let shown = if v == 0.0 {
                    "-".to_owned()
                } else {
                    format_number(chart.lang, v)
                };
                let _ = write!(
                    out,
                    r##"<g class="mark"><title>{l}: {shown}</title><rect class="bar" x="{label_w}" y="{ry:.1}" width="{w:.1}" height="{h:.1}" fill="{c}"/><text x="{tx:.1}" y="{base:.1}" fill="#1a1a1a">{shown}</text></g>"##,
                    l = escape(&p.label),
                    ry = y + 4.0,
                    h = row - 8.0,
                    c = if p.highlight { ORANGE } else { BLUE },
                    tx = label_w + w + 4.0,
                );
            }
            None => withheld_mark(&mut out, chart, &p.label, label_w, base),
        }
    }
    let _ = write!(
        out,
        r##"<line x1="{label_w}" y1="{top}" x2="{label_w}" y2="{axis_y}" stroke="#333"/></svg>"##
    );
    out
}

/// A line over the points (years), broken where a value is withheld, with
/// the withheld value's mark on the axis at its place.
#[must_use]
pub fn line(chart: &Chart) -> String {
    let (left, right, top, bottom) = (70.0, WIDTH - 30.0, 30.0, 230.0);
    let height = bottom + 40.0;
    let max = chart
        .points
        .iter()
        .filter_map(|p| p.value)
        .fold(0.0, f64::max);
    let ticks = ticks(max);
    let scale_max = ticks.last().copied().unwrap_or(1.0);
    let n = chart.points.len().max(1) as f64;
    let x_of = |i: usize| left + (right - left) * (i as f64 + 0.5) / n;
    let y_of = |v: f64| bottom - (bottom - top) * v / scale_max;
    let mut out = String::new();
    open(&mut out, height, chart);
    for t in &ticks {
        let y = y_of(*t);
        let _ = write!(
            out,
            r##"<line x1="{left}" y1="{y:.1}" x2="{right}" y2="{y:.1}" stroke="#ddd"/><text class="tick" x="{tx}" y="{ty:.1}" text-anchor="end" fill="#333">{v}</text>"##,
            tx = left - 6.0,
            ty = y + 4.0,
            v = format_number(chart.lang, *t),
        );
    }
    // Segments of consecutive published values.
    let mut segment: Vec<(f64, f64)> = Vec::new();
    let mut segments = Vec::new();
    for (i, p) in chart.points.iter().enumerate() {
        match p.value {
            Some(v) => segment.push((x_of(i), y_of(v))),
            None => segments.push(std::mem::take(&mut segment)),
        }
    }
    segments.push(segment);
    for s in segments.iter().filter(|s| s.len() > 1) {
        let pts: Vec<String> = s.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{BLUE}" stroke-width="2.5"/>"#,
            pts.join(" ")
        );
    }
    for (i, p) in chart.points.iter().enumerate() {
        let x = x_of(i);
        let _ = write!(
            out,
            r##"<text x="{x:.1}" y="{ly}" text-anchor="middle" fill="#1a1a1a">{l}</text>"##,
            ly = bottom + 18.0,
            l = escape(&p.label),
        );
        match p.value {
            Some(v) => {
                let shown = format_number(chart.lang, v);
                let _ = write!(
                    out,
                    r##"<g class="mark"><title>{l}: {shown}</title><circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{BLUE}"/><text x="{x:.1}" y="{ty:.1}" text-anchor="middle" fill="#1a1a1a">{shown}</text></g>"##,
                    l = escape(&p.label),
                    y = y_of(v),
                    ty = y_of(v) - 8.0,
                );
            }
            None => withheld_mark(&mut out, chart, &p.label, x - 11.0, bottom - 4.0),
        }
    }
    let _ = write!(
        out,
        r##"<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/></svg>"##
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(values: &[Option<f64>]) -> Chart<'static> {
        Chart {
            unit: "Lapset",
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| Point {
                    label: format!("Alue {i}"),
                    value: *v,
                    highlight: false,
                })
                .collect(),
            lang: Lang::Fi,
            symbol: "..",
            note: "Salattu",
        }
    }

    #[test]
    fn ticks_are_round_and_cover_the_maximum() {
        let t = ticks(1234.0);
        assert_eq!(t.first(), Some(&0.0));
        assert!(*t.last().unwrap() >= 1234.0);
        assert!(t.len() <= 7);
        let step = t[1];
        let lead = step / 10f64.powf(step.log10().floor());
        assert!([1.0, 2.0, 5.0].iter().any(|m| (lead - m).abs() < 1e-9));
    }

    #[test]
    fn a_withheld_value_is_a_focusable_explained_mark() {
        for svg in [
            bars(&chart(&[Some(3.0), None, Some(5.0)])),
            line(&chart(&[Some(3.0), None, Some(5.0)])),
        ] {
            assert_eq!(svg.matches("class=\"withheld\"").count(), 1);
            assert!(svg.contains("tabindex=\"0\""));
            assert!(svg.contains("data-note=\"Salattu\""));
            assert_eq!(svg.matches("class=\"mark\"").count(), 2);
        }
    }

    #[test]
    fn axis_numbers_use_the_languages_separators() {
        let svg = bars(&chart(&[Some(12_000.0)]));
        assert!(svg.contains(">12\u{a0}000<"), "{svg}");
    }

    #[test]
    fn labels_are_escaped() {
        let mut c = chart(&[Some(1.0)]);
        c.points[0].label = "A & <B>".into();
        assert!(bars(&c).contains("A &amp; &lt;B&gt;"));
    }
}
