//! Charts of protected tables.
//!
//! This crate owns how a released table is drawn: bars (a value per
//! municipality, placement form, age group…) and lines (a value per month
//! or year), in a colour-blind-safe palette (Okabe–Ito), with the bundled
//! DejaVu Sans registered at start so no system font is needed. A withheld
//! value is drawn as a gap marked with the policy's symbol, never as a zero.
//! It knows nothing of how values were protected: it is given only what
//! was published. SVG works everywhere, the browser included (the
//! dashboard calls the same code); PNG needs the `png` feature.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use std::sync::Once;

/// Okabe–Ito colours, distinguishable with the common colour-vision deficiencies.
pub const PALETTE: [(u8, u8, u8); 7] = [
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (240, 228, 66),
];

#[cfg(not(target_arch = "wasm32"))]
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Bars or lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A bar per category (first series only).
    Bars,
    /// A line per series across the categories.
    Lines,
}

/// One series: a value per category, `None` where withheld.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Values in category order.
    pub values: Vec<Option<f64>>,
}

/// A chart to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Title above the plot.
    pub title: String,
    /// Bars or lines.
    pub kind: Kind,
    /// Category labels along the x axis.
    pub categories: Vec<String>,
    /// The series.
    pub series: Vec<Series>,
    /// Label of the y axis.
    pub y_label: String,
    /// Symbol drawn where a value is withheld.
    pub symbol: String,
    /// Footnote under the plot (the legend of the symbol).
    pub note: String,
    /// The language whose way the axis numbers are written (`5 000`,
    /// `1,5` in Finnish and Swedish).
    pub lang: peitto_i18n::Lang,
}

/// Drawing failed.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// plotters' error, as text (its type is generic over the backend).
    #[error("chart: {0}")]
    Draw(String),
}

fn err<E: std::fmt::Debug>(e: E) -> ChartError {
    ChartError::Draw(format!("{e:?}"))
}

/// Registers the bundled font (once per process). In the browser plotters
/// measures text with the page's own fonts, so nothing is registered there.
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are compiled in and known to parse: a failure here is a
        // build defect the tests catch (text would then be missing).
        #[cfg(not(target_arch = "wasm32"))]
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

fn color(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    chart: &Chart,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    register_font();
    root.fill(&WHITE).map_err(err)?;
    let (plot, foot) = root.split_vertically(root.dim_in_pixel().1.saturating_sub(28));
    foot.draw(&Text::new(
        chart.note.clone(),
        (10, 6),
        (FAMILY, 13).into_font().color(&BLACK.mix(0.8)),
    ))
    .map_err(err)?;
    let n = chart.categories.len().max(1);
    let max = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0_f64, |a, v| a.max(*v));
    let min = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0_f64, |a, v| a.min(*v));
    let top = if max > 0.0 { max * 1.1 } else { 1.0 };
    let bottom = min * 1.1;
    let mut c = ChartBuilder::on(&plot)
        .caption(&chart.title, (FAMILY, 18))
        .margin(12)
        .x_label_area_size(70)
        .y_label_area_size(70)
        .build_cartesian_2d((0..n).into_segmented(), bottom..top)
        .map_err(err)?;
    let labels = chart.categories.clone();
    c.configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                labels.get(*i).cloned().unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .x_label_style((FAMILY, 12))
        .y_label_style((FAMILY, 12))
        .y_label_formatter(&|v| {
            peitto_i18n::format_number(*v, peitto_i18n::Style::Display(chart.lang))
        })
        .y_desc(&chart.y_label)
        .draw()
        .map_err(err)?;
    let symbol_style = (FAMILY, 15).into_font().color(&BLACK);
    match chart.kind {
        Kind::Bars => {
            if let Some(s) = chart.series.first() {
                let fill = color(0).filled();
                c.draw_series(s.values.iter().enumerate().filter_map(|(i, v)| {
                    v.map(|v| {
                        let mut bar = Rectangle::new(
                            [
                                (SegmentValue::Exact(i), 0.0),
                                (SegmentValue::Exact(i + 1), v),
                            ],
                            fill,
                        );
                        bar.set_margin(0, 0, 6, 6);
                        bar
                    })
                }))
                .map_err(err)?;
            }
        }
        Kind::Lines => {
            for (k, s) in chart.series.iter().enumerate() {
                // Each unbroken run is its own line: a withheld value is a gap.
                let mut runs: Vec<Vec<(SegmentValue<usize>, f64)>> = vec![Vec::new()];
                for (i, v) in s.values.iter().enumerate() {
                    match v {
                        Some(v) => runs
                            .last_mut()
                            .map(|r| r.push((SegmentValue::CenterOf(i), *v)))
                            .unwrap_or_default(),
                        None => runs.push(Vec::new()),
                    }
                }
                let style = color(k).stroke_width(2);
                let mut first = true;
                for run in runs.into_iter().filter(|r| !r.is_empty()) {
                    let points = run.clone();
                    let drawn = c.draw_series(LineSeries::new(run, style)).map_err(err)?;
                    if first {
                        let name = s.name.clone();
                        drawn.label(name).legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 18, y)], color(k).stroke_width(2))
                        });
                        first = false;
                    }
                    c.draw_series(
                        points
                            .into_iter()
                            .map(|p| Circle::new(p, 3, color(k).filled())),
                    )
                    .map_err(err)?;
                }
            }
            if chart.series.len() > 1 {
                c.configure_series_labels()
                    .background_style(WHITE.mix(0.9))
                    .border_style(BLACK.mix(0.3))
                    .label_font((FAMILY, 12))
                    .draw()
                    .map_err(err)?;
            }
        }
    }
    // The symbol where any series is withheld, at the foot of the category.
    let withheld: Vec<usize> = (0..n)
        .filter(|i| {
            chart
                .series
                .iter()
                .take(if chart.kind == Kind::Bars {
                    1
                } else {
                    usize::MAX
                })
                .any(|s| s.values.get(*i).is_some_and(Option::is_none))
        })
        .collect();
    c.draw_series(withheld.into_iter().map(|i| {
        Text::new(
            chart.symbol.clone(),
            (SegmentValue::CenterOf(i), (top - bottom) * 0.02),
            symbol_style.clone(),
        )
    }))
    .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// The chart as SVG text.
///
/// # Errors
/// If plotters cannot draw it.
pub fn svg(chart: &Chart, width: u32, height: u32) -> Result<String, ChartError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw(root, chart)?;
    }
    Ok(out)
}

/// The chart as a PNG file at `path`.
///
/// # Errors
/// If plotters cannot draw or write it.
#[cfg(feature = "png")]
pub fn png(
    chart: &Chart,
    width: u32,
    height: u32,
    path: &std::path::Path,
) -> Result<(), ChartError> {
    let root = BitMapBackend::new(path, (width, height)).into_drawing_area();
    draw(root, chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(kind: Kind) -> Chart {
        Chart {
            title: "Sijoitetut lapset".into(),
            kind,
            categories: vec!["Kotka".into(), "Kemi".into(), "Joroinen".into()],
            series: vec![
                Series {
                    name: "2025".into(),
                    values: vec![Some(120.0), None, Some(40.5)],
                },
                Series {
                    name: "2024".into(),
                    values: vec![Some(110.0), Some(60.0), None],
                },
            ],
            y_label: "Lapsia".into(),
            symbol: "..".into(),
            lang: peitto_i18n::Lang::Fi,
            note: ".. salassapidettävä".into(),
        }
    }

    #[test]
    fn axis_numbers_are_written_the_languages_way() {
        // The axis said 5000.0, 10000.0 in a Finnish chart.
        let mut c = chart(Kind::Bars);
        c.series[0].values = vec![Some(35_000.0), None, Some(12_000.0)];
        let fi = svg(&c, 640, 400).unwrap();
        assert!(!fi.contains("5000.0") && !fi.contains("10000"), "{fi}");
        assert!(
            ["10\u{a0}000", "10&#160;000", "10&nbsp;000"]
                .iter()
                .any(|t| fi.contains(t)),
            "{fi}"
        );
        c.lang = peitto_i18n::Lang::En;
        let en = svg(&c, 640, 400).unwrap();
        assert!(en.contains("10,000"), "{en}");
    }

    #[test]
    fn bars_leave_a_withheld_value_as_a_marked_gap() {
        let s = svg(&chart(Kind::Bars), 640, 400).unwrap();
        assert!(s.starts_with("<svg"));
        // Two bars for two published values, none for the withheld one.
        let bars = s.matches("<rect").count();
        let blue = s.matches("fill=\"#0072B2\"").count();
        assert_eq!(blue, 2, "{bars} rects");
        // The symbol and the footnote are there as text.
        assert_eq!(s.matches("\n..\n</text>").count(), 1);
        assert!(s.contains("salassapidettävä"));
        assert!(s.contains("Joroinen"));
    }

    #[test]
    fn lines_break_at_a_withheld_value() {
        let s = svg(&chart(Kind::Lines), 640, 400).unwrap();
        // Points per polyline of a colour (the legend's sample line included).
        let lines = |colour: &str| -> Vec<usize> {
            s.lines()
                .filter(|l| l.starts_with("<polyline") && l.contains(colour))
                .map(|l| {
                    l.split("points=\"")
                        .nth(1)
                        .unwrap()
                        .split_whitespace()
                        .count()
                        - 1
                })
                .collect()
        };
        // Series 1 is published at 0 and 2, withheld at 1: two separate
        // one-point runs, never a line across the gap.
        let first = lines("#0072B2");
        assert_eq!(&first[..2], &[1, 1]);
        // Series 2 runs 0–1 unbroken and is withheld at 2.
        assert_eq!(lines("#E69F00")[0], 2);
        assert_eq!(s.matches("\n..\n</text>").count(), 2);
    }
}
