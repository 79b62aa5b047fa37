//! Output files of protected tables.
//!
//! This crate owns how a protected table ([`peitto_table::Table`]) is
//! written for people and programs: CSV as Finnish Excel opens it (`;`,
//! decimal comma, UTF-8 BOM) and as RFC 4180 describes it, XLSX with typed
//! numbers and a legend sheet, JSON with each cell's status, PX (PC-Axis,
//! the format of PxWeb that Statistics Finland and THL publish in) with
//! fi/sv/en texts, and plain text for the terminal. It only renders: a
//! withheld value is never in its input, only the fact that it is withheld,
//! shown as the policy's symbol with the legend.
//!
//! It also owns how a release goes out: [`Publication`] writes and hashes
//! each file, enters the release in the log (the only caller of
//! [`peitto_auditlog::append`]) and then puts the files in place; the
//! statutory [`PACKAGES`] and their cover pages. It does not compile
//! DataFusion: its input is a [`peitto_table::Table`].

use peitto_i18n::{Lang, text};
use peitto_table::{Table, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

mod cover;
mod package;
mod publication;
mod px;

pub use cover::{Cover, cover, file_names};
use cover::{definition, unit_text};
pub use package::{PACKAGES, Package};
pub use publication::{Log, Publication, PublicationError, Target};
pub use px::px;

/// What the files say about a table besides its cells.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// Stable id (report id or `query`).
    pub id: String,
    /// Titles by language.
    pub titles: BTreeMap<Lang, String>,
    /// Definition and source.
    pub description: String,
    /// Unit of the measures.
    pub unit: String,
    /// Policy name.
    pub policy: String,
    /// Symbol of a withheld value.
    pub symbol: String,
    /// Whether published values are perturbed (cell key method).
    pub perturbed: bool,
    /// Parameters the table was made with (year…), as text.
    pub params: String,
}

impl Meta {
    /// The title in `lang`, else any title, else the id.
    #[must_use]
    pub fn title(&self, lang: Lang) -> &str {
        self.titles
            .get(&lang)
            .or_else(|| self.titles.values().next())
            .map_or(self.id.as_str(), String::as_str)
    }
}

/// A file could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The XLSX writer failed.
    #[error("XLSX: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// JSON failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A chart could not be drawn.
    #[error(transparent)]
    Chart(#[from] peitto_chart::ChartError),
    /// A file could not be written or read.
    #[error("{0}")]
    Io(String),
}

/// A CSV dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `;`, decimal comma, UTF-8 with BOM: what Excel in Finland opens directly.
    FinnishExcel,
    /// `,`, decimal point, UTF-8 without BOM, CRLF (RFC 4180).
    Rfc4180,
}

/// A column's heading: the catalogue's label, else the SQL name.
#[must_use]
pub fn label(lang: Lang, column: &str) -> String {
    peitto_i18n::column_label(lang, column)
}

/// The legend lines: the symbol, nil and (when used) perturbation.
#[must_use]
pub fn legend(meta: &Meta, lang: Lang) -> Vec<(String, String)> {
    let mut out = vec![
        (
            meta.symbol.clone(),
            text(lang, "legend.suppressed").to_owned(),
        ),
        ("-".to_owned(), text(lang, "legend.nil").to_owned()),
    ];
    if meta.perturbed {
        out.push(("~".to_owned(), text(lang, "legend.perturbed").to_owned()));
    }
    out
}

/// A stored text as a published label: control and bidirectional
/// formatting characters become spaces, so that no value breaks a line of
/// a PX or CSV file or reverses what a reader sees.
#[must_use]
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi { ' ' } else { c }
        })
        .collect()
}

/// A label as a spreadsheet opens a CSV file without running it: text
/// beginning like a formula (`=`, `+`, `-`, `@`) gets a leading apostrophe,
/// as OWASP recommends against formula injection. The nil symbol `-` alone
/// is no formula.
fn inert(s: String) -> String {
    if s.len() > 1 && s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s
    }
}

fn number(v: f64, decimal_comma: bool) -> String {
    peitto_i18n::format_number(v, peitto_i18n::Style::File { decimal_comma })
}

/// A value as text: the symbol for a withheld value, `-` for nil, the
/// language's total label for a total.
fn show(v: &Value, meta: &Meta, lang: Lang, decimal_comma: bool, measure: bool) -> String {
    match v {
        Value::Text(s) => printable(s),
        Value::Int(0) if measure => "-".to_owned(),
        Value::Int(i) => i.to_string(),
        Value::Number(x) if measure && *x == 0.0 => "-".to_owned(),
        Value::Number(x) => number(*x, decimal_comma),
        Value::Total => text(lang, "label.total").to_owned(),
        Value::Suppressed => meta.symbol.clone(),
    }
}

fn csv_field(s: &str, sep: char) -> String {
    if s.contains(sep) || s.contains('"') || s.contains('\n') || s.contains('\r') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// CSV in `dialect`: a header row, the cells, then a blank line and the
/// legend (symbol; meaning), as statistical agencies' CSV files end.
#[must_use]
pub fn csv(table: &Table, meta: &Meta, lang: Lang, dialect: Dialect) -> Vec<u8> {
    let (sep, comma) = match dialect {
        Dialect::FinnishExcel => (';', true),
        Dialect::Rfc4180 => (',', false),
    };
    let mut out = String::new();
    if dialect == Dialect::FinnishExcel {
        out.push('\u{feff}');
    }
    let line = |fields: Vec<String>| {
        fields
            .iter()
            .map(|f| csv_field(f, sep))
            .collect::<Vec<_>>()
            .join(&sep.to_string())
            + "\r\n"
    };
    // Column names are a planner's aliases: as inert as the labels.
    out.push_str(&line(
        table
            .columns
            .iter()
            .map(|c| inert(printable(&label(lang, &c.name))))
            .collect(),
    ));
    for row in &table.rows {
        out.push_str(&line(
            row.iter()
                .zip(&table.columns)
                .map(|(v, c)| match v {
                    Value::Text(_) => inert(show(v, meta, lang, comma, !c.dimension)),
                    _ => show(v, meta, lang, comma, !c.dimension),
                })
                .collect(),
        ));
    }
    out.push_str("\r\n");
    for (symbol, meaning) in legend(meta, lang) {
        out.push_str(&line(vec![symbol, meaning]));
    }
    out.into_bytes()
}

/// An aligned text table for the terminal, with the legend under it.
#[must_use]
pub fn text_table(table: &Table, meta: &Meta, lang: Lang) -> Vec<u8> {
    let mut cells: Vec<Vec<String>> =
        vec![table.columns.iter().map(|c| label(lang, &c.name)).collect()];
    for row in &table.rows {
        cells.push(
            row.iter()
                .zip(&table.columns)
                .map(|(v, c)| {
                    show(
                        v,
                        meta,
                        lang,
                        lang == Lang::Fi || lang == Lang::Sv,
                        !c.dimension,
                    )
                })
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..table.columns.len())
        .map(|c| {
            cells
                .iter()
                .map(|r| r[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in cells.iter().enumerate() {
        let parts: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| {
                if table.columns[c].dimension {
                    format!("{s:<w$}", w = widths[c])
                } else {
                    format!("{s:>w$}", w = widths[c])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", parts.join("  ").trim_end());
        if i == 0 {
            let _ = writeln!(
                out,
                "{}",
                "-".repeat(widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1))
            );
        }
    }
    for (symbol, meaning) in legend(meta, lang) {
        let _ = writeln!(out, "{symbol}  {meaning}");
    }
    out.into_bytes()
}

/// JSON: metadata, columns, and each cell with its status
/// (`published`, `nil`, `suppressed`, `total`); withheld cells have no value.
///
/// # Errors
/// Only if serialisation fails.
pub fn json(table: &Table, meta: &Meta, lang: Lang) -> Result<Vec<u8>, PublishError> {
    use serde_json::{Value as J, json};
    let rows: Vec<J> = table
        .rows
        .iter()
        .map(|row| {
            J::Array(
                row.iter()
                    .zip(&table.columns)
                    .map(|(v, c)| match v {
                        Value::Text(s) => json!({"value": printable(s), "status": "published"}),
                        Value::Int(i) => json!({"value": i, "status": if *i == 0 && !c.dimension {"nil"} else {"published"}}),
                        Value::Number(x) => json!({"value": x, "status": if *x == 0.0 && !c.dimension {"nil"} else {"published"}}),
                        Value::Total => json!({"status": "total", "label": text(lang, "label.total")}),
                        Value::Suppressed => json!({"status": "suppressed", "symbol": meta.symbol}),
                    })
                    .collect(),
            )
        })
        .collect();
    let doc = json!({
        "id": meta.id,
        "title": meta.titles.iter().map(|(l, t)| (l.code().to_owned(), J::String(t.clone()))).collect::<serde_json::Map<_, _>>(),
        "description": meta.description,
        "unit": meta.unit,
        "parameters": meta.params,
        "policy": meta.policy,
        "perturbed": meta.perturbed,
        "columns": table.columns.iter().map(|c| json!({
            "name": c.name,
            "label": label(lang, &c.name),
            "role": if c.dimension { "dimension" } else { "measure" },
        })).collect::<Vec<_>>(),
        "rows": rows,
        "legend": legend(meta, lang).into_iter().map(|(s, m)| json!({"symbol": s, "meaning": m})).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_vec_pretty(&doc)?;
    out.push(b'\n');
    Ok(out)
}

/// XLSX: the table on the first sheet with numbers as numbers (withheld
/// ones as the symbol, text), and a second sheet with the metadata and the
/// legend in fi/sv/en.
///
/// # Errors
/// If the workbook cannot be written.
pub fn xlsx(table: &Table, meta: &Meta, lang: Lang) -> Result<Vec<u8>, PublishError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let right = Format::new().set_align(rust_xlsxwriter::FormatAlign::Right);
    let sheet = book.add_worksheet();
    sheet.set_name(text(lang, "xlsx.data_sheet"))?;
    sheet.write_string_with_format(0, 0, meta.title(lang), &bold)?;
    let top = 2;
    for (c, col) in table.columns.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        sheet.write_string_with_format(top, c, label(lang, &col.name), &bold)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = top + 1 + u32::try_from(r).unwrap_or(u32::MAX - top - 1);
        for (c, (v, col)) in row.iter().zip(&table.columns).enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            match v {
                Value::Text(s) => {
                    sheet.write_string(r, c, printable(s))?;
                }
                Value::Int(i) if col.dimension => {
                    sheet.write_number(r, c, *i as f64)?;
                }
                Value::Int(i) => {
                    sheet.write_number(r, c, *i as f64)?;
                }
                Value::Number(x) => {
                    sheet.write_number(r, c, *x)?;
                }
                Value::Total => {
                    sheet.write_string(r, c, text(lang, "label.total"))?;
                }
                Value::Suppressed => {
                    sheet.write_string_with_format(r, c, &meta.symbol, &right)?;
                }
            }
        }
    }
    let info = book.add_worksheet();
    info.set_name(text(lang, "xlsx.info_sheet"))?;
    let mut r = 0;
    for l in Lang::ALL {
        info.write_string_with_format(r, 0, meta.title(l), &bold)?;
        r += 1;
    }
    r += 1;
    let rows = [
        (text(lang, "cover.description"), definition(meta, lang)),
        (text(lang, "cover.unit"), unit_text(meta, lang)),
        (text(lang, "cover.parameters"), meta.params.clone()),
        (text(lang, "cover.policy"), meta.policy.clone()),
    ];
    for (k, v) in rows {
        info.write_string_with_format(r, 0, k, &bold)?;
        info.write_string(r, 1, &v)?;
        r += 1;
    }
    r += 1;
    info.write_string_with_format(r, 0, text(lang, "cover.legend"), &bold)?;
    r += 1;
    for l in Lang::ALL {
        for (symbol, meaning) in legend(meta, l) {
            info.write_string(r, 0, &symbol)?;
            info.write_string(r, 1, &meaning)?;
            info.write_string(r, 2, l.code())?;
            r += 1;
        }
    }
    Ok(book.save_to_buffer()?)
}

/// Indices of the dimension columns and of the measure columns.
fn roles(table: &Table) -> (Vec<usize>, Vec<usize>) {
    (0..table.columns.len()).partition(|&c| table.columns[c].dimension)
}

/// Reports' file names: `ID.csv` (Finnish Excel), `ID.rfc4180.csv`,
/// `ID.xlsx`, `ID.json`, `ID.px`, in the order they are written.
///
/// # Errors
/// If the XLSX or JSON writer fails.
pub fn all_formats(
    table: &Table,
    meta: &Meta,
    lang: Lang,
    created: &str,
) -> Result<Vec<(String, Vec<u8>)>, PublishError> {
    Ok(vec![
        (
            format!("{}.csv", meta.id),
            csv(table, meta, lang, Dialect::FinnishExcel),
        ),
        (
            format!("{}.rfc4180.csv", meta.id),
            csv(table, meta, lang, Dialect::Rfc4180),
        ),
        (format!("{}.xlsx", meta.id), xlsx(table, meta, lang)?),
        (format!("{}.json", meta.id), json(table, meta, lang)?),
        (format!("{}.px", meta.id), px(table, meta, created)),
    ])
}

/// The report's main chart: the first dimension along the axis, the rows
/// where every other dimension is at its total; a line per measure over
/// months or years, else bars of the first measure. `None` when the table
/// has no such rows (a dimension without a published total).
#[must_use]
pub fn chart_of(table: &Table, meta: &Meta, lang: Lang) -> Option<peitto_chart::Chart> {
    let (dims, measures) = roles(table);
    let (&axis, others) = dims.split_first()?;
    let rows: Vec<&Vec<Value>> = table
        .rows
        .iter()
        .filter(|r| others.iter().all(|&d| r[d] == Value::Total) && r[axis] != Value::Total)
        .collect();
    if rows.is_empty() || measures.is_empty() {
        return None;
    }
    let name = &table.columns[axis].name;
    let over_time = name.contains("month") || name.contains("year");
    let kind = if over_time {
        peitto_chart::Kind::Lines
    } else {
        peitto_chart::Kind::Bars
    };
    let shown: Vec<usize> = if over_time {
        measures.clone()
    } else {
        measures[..1].to_vec()
    };
    Some(peitto_chart::Chart {
        title: meta.title(lang).to_owned(),
        kind,
        categories: rows
            .iter()
            .map(|r| show(&r[axis], meta, lang, false, false))
            .collect(),
        series: shown
            .iter()
            .map(|&m| peitto_chart::Series {
                name: label(lang, &table.columns[m].name),
                values: rows.iter().map(|r| r[m].number()).collect(),
            })
            .collect(),
        y_label: if shown.len() == 1 {
            label(lang, &table.columns[shown[0]].name)
        } else {
            unit_text(meta, lang)
        },
        symbol: meta.symbol.clone(),
        lang,
        note: legend(meta, lang)
            .into_iter()
            .take(1)
            .map(|(s, m)| format!("{s} {m}"))
            .collect(),
    })
}

/// The chart as SVG and PNG files (`ID.svg`, `ID.png`), if the table has one.
///
/// # Errors
/// If drawing fails.
pub fn charts(
    table: &Table,
    meta: &Meta,
    lang: Lang,
) -> Result<Vec<(String, Vec<u8>)>, PublishError> {
    let Some(chart) = chart_of(table, meta, lang) else {
        return Ok(Vec::new());
    };
    let svg = peitto_chart::svg(&chart, 900, 500)?;
    // The PNG is drawn to a file: in a folder of its own, made with a
    // random name that no one else can have made or linked (a predictable
    // name in /tmp let another user point it at the service's files).
    let dir = tempfile::Builder::new()
        .prefix("peitto-chart-")
        .tempdir()
        .map_err(|e| PublishError::Io(e.to_string()))?;
    let tmp = dir.path().join(format!("{}.png", meta.id));
    peitto_chart::png(&chart, 900, 500, &tmp)?;
    let png = std::fs::read(&tmp).map_err(|e| PublishError::Io(e.to_string()))?;
    Ok(vec![
        (format!("{}.svg", meta.id), svg.into_bytes()),
        (format!("{}.png", meta.id), png),
    ])
}
