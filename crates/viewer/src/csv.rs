//! A section's cells as CSV: exactly the rows and columns its table shows.

use crate::view::{Cell, FilterView};
use crate::{Bundle, Cell as Stored};
use peitto_i18n::{Lang, text};
use std::fmt::Write as _;

/// A number as CSV writes it: as the page rounds it, with a point.
fn plain(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    let s = format!("{r}");
    if s == "-0" { "0".to_owned() } else { s }
}

impl Bundle {
    /// The section's cells as CSV: the same rows and columns as the table,
    /// names as shown, numbers as the page rounds them but with a point and
    /// no grouping, the symbol where withheld; the filters, the release and
    /// the symbol's meaning as `#` lines.
    #[allow(clippy::too_many_arguments)] // the section's parts, computed once
    pub(crate) fn csv(
        &self,
        title: &str,
        filters: &[FilterView],
        headings: &[String],
        rows: &[&[Stored]],
        shown: &[Vec<Cell>],
        measures: &[usize],
        lang: Lang,
    ) -> String {
        let quote = |s: &str| {
            if s.contains([',', '"', '\n', '#']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_owned()
            }
        };
        let active: Vec<String> = filters
            .iter()
            .map(|f| {
                let label = f
                    .options
                    .iter()
                    .find(|o| o.0 == f.value)
                    .map_or(f.value.as_str(), |o| o.1.trim_start_matches('\u{a0}'));
                format!("{}={} ({label})", f.kind, f.value)
            })
            .collect();
        let mut out = String::new();
        let _ = writeln!(out, "# {title}");
        let _ = writeln!(
            out,
            "# {}: {}",
            text(lang, "dashboard.filters"),
            active.join("; ")
        );
        let _ = writeln!(
            out,
            "# {}: {}",
            text(lang, "dashboard.release"),
            self.manifest.release
        );
        let _ = writeln!(
            out,
            "{}",
            headings
                .iter()
                .map(|h| quote(h))
                .collect::<Vec<_>>()
                .join(",")
        );
        for (r, cells) in rows.iter().zip(shown) {
            let mut line = vec![quote(&cells[0].text)];
            line.extend(measures.iter().map(|&m| match Self::number_at(r, m) {
                Some(v) => plain(v),
                None => self.manifest.symbol.clone(),
            }));
            let _ = writeln!(out, "{}", line.join(","));
        }
        let _ = writeln!(
            out,
            "# {} {}",
            self.manifest.symbol,
            text(lang, "legend.suppressed")
        );
        out
    }
}
