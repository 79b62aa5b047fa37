//! The dashboard's logic, compiled to WebAssembly.
//!
//! This crate owns what a manager sees: it reads the dashboard bundle (a
//! JSON manifest and one Arrow IPC file per protected table), selects the
//! cells that match the current filters (year, area, placement form, age
//! band, sex), and renders each table as an HTML table and a chart (the same
//! chart code the reports use), with numbers formatted for the language
//! (fi and sv `1 234,5`, en `1,234.5`) and withheld values as the policy's
//! symbol. It only *selects* among precomputed, protected cells: it never
//! adds, subtracts or derives anything, so nothing on the page can be more
//! revealing than the released tables. No DataFusion: the module stays small.

use arrow_array::{Array, Float64Array, Int32Array, RecordBatch, StringArray};
use peitto_i18n::{Lang, text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use wasm_bindgen::prelude::*;

/// The bundle's manifest.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Manifest {
    /// Hash of the dashboard build's entry in the release log.
    pub release: String,
    /// Policy names the tables were released under.
    pub policy: String,
    /// Symbol of a withheld value.
    pub symbol: String,
    /// Pages, in menu order.
    pub pages: Vec<Page>,
    /// Tables.
    pub tables: Vec<TableInfo>,
    /// Area names by code (as the tables write it) and language code.
    #[serde(default)]
    pub areas: BTreeMap<String, BTreeMap<String, String>>,
}

/// A page of the dashboard.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Page {
    /// Stable id (in the URL).
    pub id: String,
    /// Table ids shown on it.
    pub tables: Vec<String>,
}

/// One protected table of the bundle.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TableInfo {
    /// Report id.
    pub id: String,
    /// File in the bundle.
    pub file: String,
    /// Titles by language code.
    pub titles: BTreeMap<String, String>,
    /// Columns in file order.
    pub columns: Vec<ColumnInfo>,
    /// Dimension along the chart's axis.
    pub axis: String,
    /// Measures drawn.
    pub measures: Vec<String>,
}

/// A column of a bundled table.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ColumnInfo {
    /// Name.
    pub name: String,
    /// `dimension` or `measure`.
    pub role: String,
    /// The filter that selects it (`year`, `area`, `form`, `age`, `sex`), if any.
    pub filter: Option<String>,
    /// Labels by language code.
    pub labels: BTreeMap<String, String>,
}

/// The filters a manager sets, in the URL.
pub const FILTERS: [&str; 5] = ["year", "area", "form", "age", "sex"];

/// A cell value as bundled: text (dimension; `None` the total) or number
/// (measure; `None` withheld).
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(Option<String>),
    Number(Option<f64>),
}

#[derive(Debug, Clone)]
struct Loaded {
    info: TableInfo,
    rows: Vec<Vec<Cell>>,
}

/// What the page shows for a state.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct View {
    /// Page title.
    pub title: String,
    /// The filters that apply on this page, with their options.
    pub filters: Vec<FilterView>,
    /// One section per table.
    pub sections: Vec<Section>,
    /// The legend of symbols.
    pub legend: Vec<(String, String)>,
}

/// A filter control.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FilterView {
    /// `year`, `area`, …
    pub kind: String,
    /// Label in the language.
    pub label: String,
    /// (value, label); the value `""` is the total.
    pub options: Vec<(String, String)>,
    /// Current value.
    pub value: String,
}

/// One table's chart and table.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Section {
    /// Table id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Chart, SVG.
    pub svg: String,
    /// Column headings.
    pub headings: Vec<String>,
    /// Cells as shown (numbers formatted, withheld as the symbol).
    pub rows: Vec<Vec<String>>,
    /// What is shown, as CSV with the active filters and the footnote.
    pub csv: String,
}

/// A number as the language writes it: fi and sv `1 234,5` (no-break
/// space), en `1,234.5`; up to two decimals.
#[must_use]
pub fn format_number(lang: Lang, v: f64) -> String {
    let negative = v < 0.0;
    let rounded = (v.abs() * 100.0).round() / 100.0;
    let mut whole = format!("{:.0}", rounded.trunc());
    let frac = format!("{:.2}", rounded.fract());
    let frac = frac
        .trim_start_matches('0')
        .trim_start_matches('.')
        .trim_end_matches('0')
        .to_owned();
    let (group, point) = match lang {
        Lang::En => (",", "."),
        Lang::Fi | Lang::Sv => ("\u{a0}", ","),
    };
    let mut grouped = String::new();
    while whole.len() > 3 {
        let tail = whole.split_off(whole.len() - 3);
        grouped = format!("{group}{tail}{grouped}");
    }
    let mut out = format!("{}{whole}{grouped}", if negative { "-" } else { "" });
    if !frac.is_empty() {
        out.push_str(point);
        out.push_str(&frac);
    }
    out
}

fn lang_of(code: &str) -> Lang {
    code.parse().unwrap_or(Lang::Fi)
}

/// The dashboard state: page, language and filter values.
pub type State = BTreeMap<String, String>;

/// The bundle in memory.
#[derive(Debug, Clone)]
pub struct Bundle {
    manifest: Manifest,
    tables: Vec<Loaded>,
}

/// Why a bundle could not be read.
#[derive(Debug)]
pub struct BundleError(pub String);

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Bundle {
    /// A bundle from its manifest; tables are added with [`Bundle::add_table`].
    ///
    /// # Errors
    /// If the manifest is not valid JSON of the expected shape.
    pub fn new(manifest: &str) -> Result<Bundle, BundleError> {
        let manifest: Manifest =
            serde_json::from_str(manifest).map_err(|e| BundleError(e.to_string()))?;
        Ok(Bundle {
            manifest,
            tables: Vec::new(),
        })
    }

    /// The manifest.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Reads one table's Arrow IPC file.
    ///
    /// # Errors
    /// If the table is not in the manifest or the bytes are not Arrow IPC of
    /// its columns.
    pub fn add_table(&mut self, id: &str, ipc: &[u8]) -> Result<(), BundleError> {
        let info = self
            .manifest
            .tables
            .iter()
            .find(|t| t.id == id)
            .cloned()
            .ok_or_else(|| BundleError(format!("no table {id} in the manifest")))?;
        let reader =
            arrow_ipc::reader::FileReader::try_new(std::io::Cursor::new(ipc.to_vec()), None)
                .map_err(|e| BundleError(format!("{id}: {e}")))?;
        let mut rows = Vec::new();
        for batch in reader {
            let batch: RecordBatch = batch.map_err(|e| BundleError(format!("{id}: {e}")))?;
            for r in 0..batch.num_rows() {
                let mut row = Vec::new();
                for (c, col) in info.columns.iter().enumerate() {
                    let array = batch.column(c);
                    let cell = if col.role == "dimension" {
                        if let Some(s) = array.as_any().downcast_ref::<StringArray>() {
                            Cell::Text((!s.is_null(r)).then(|| s.value(r).to_owned()))
                        } else if let Some(i) = array.as_any().downcast_ref::<Int32Array>() {
                            Cell::Text((!i.is_null(r)).then(|| i.value(r).to_string()))
                        } else {
                            return Err(BundleError(format!("{id}.{}: not text", col.name)));
                        }
                    } else {
                        let f = array
                            .as_any()
                            .downcast_ref::<Float64Array>()
                            .ok_or_else(|| {
                                BundleError(format!("{id}.{}: not a number", col.name))
                            })?;
                        Cell::Number((!f.is_null(r)).then(|| f.value(r)))
                    };
                    row.push(cell);
                }
                rows.push(row);
            }
        }
        self.tables.retain(|t| t.info.id != id);
        self.tables.push(Loaded { info, rows });
        Ok(())
    }

    fn column_label(col: &ColumnInfo, lang: Lang) -> String {
        col.labels
            .get(lang.code())
            .cloned()
            .unwrap_or_else(|| col.name.clone())
    }

    /// An area's name in `lang` (else in Finnish), or its code.
    fn area_label(&self, code: &str, lang: Lang) -> String {
        self.manifest
            .areas
            .get(code)
            .and_then(|names| names.get(lang.code()).or_else(|| names.get("fi")))
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    /// A cell as shown in column `col`: areas by name.
    fn show_in(&self, col: &ColumnInfo, cell: &Cell, lang: Lang) -> String {
        match cell {
            Cell::Text(Some(code)) if col.filter.as_deref() == Some("area") && code != "SSS" => {
                self.area_label(code, lang)
            }
            _ => Self::show(cell, lang, &self.manifest.symbol),
        }
    }

    fn show(cell: &Cell, lang: Lang, symbol: &str) -> String {
        match cell {
            Cell::Text(Some(s)) => s.clone(),
            Cell::Text(None) => text(lang, "label.total").to_owned(),
            Cell::Number(Some(v)) if *v == 0.0 => "-".to_owned(),
            Cell::Number(Some(v)) => format_number(lang, *v),
            Cell::Number(None) => symbol.to_owned(),
        }
    }

    /// What the page shows for `state` (keys `page`, `lang` and the filters;
    /// a missing or empty filter is the total).
    #[must_use]
    pub fn view(&self, state: &State) -> View {
        let lang = lang_of(state.get("lang").map_or("fi", String::as_str));
        let page = state
            .get("page")
            .and_then(|p| self.manifest.pages.iter().find(|x| &x.id == p))
            .or_else(|| self.manifest.pages.first());
        let Some(page) = page else {
            return View {
                title: String::new(),
                filters: Vec::new(),
                sections: Vec::new(),
                legend: Vec::new(),
            };
        };
        let tables: Vec<&Loaded> = page
            .tables
            .iter()
            .filter_map(|id| self.tables.iter().find(|t| &t.info.id == id))
            .collect();
        let filters = FILTERS
            .iter()
            .filter_map(|kind| self.filter_view(&tables, kind, state, lang))
            .collect();
        let sections = tables
            .iter()
            .map(|t| self.section(t, state, lang))
            .collect();
        View {
            title: text(lang, &format!("dashboard.page_{}", page.id)).to_owned(),
            filters,
            sections,
            legend: vec![
                (
                    self.manifest.symbol.clone(),
                    text(lang, "legend.suppressed").to_owned(),
                ),
                ("-".to_owned(), text(lang, "legend.nil").to_owned()),
            ],
        }
    }

    fn filter_view(
        &self,
        tables: &[&Loaded],
        kind: &str,
        state: &State,
        lang: Lang,
    ) -> Option<FilterView> {
        let mut values: Vec<String> = Vec::new();
        let mut has_total = false;
        let mut found = false;
        for t in tables {
            for (c, col) in t.info.columns.iter().enumerate() {
                if col.filter.as_deref() != Some(kind) {
                    continue;
                }
                found = true;
                for row in &t.rows {
                    match &row[c] {
                        Cell::Text(Some(v)) if !values.contains(v) => values.push(v.clone()),
                        Cell::Text(None) => has_total = true,
                        _ => {}
                    }
                }
            }
        }
        if !found {
            return None;
        }
        values.sort();
        let mut options = Vec::new();
        if has_total {
            options.push((String::new(), text(lang, "label.total").to_owned()));
        }
        // An area's total is a code of its own: SSS, all areas.
        let all_areas = values.iter().any(|v| v == "SSS");
        options.extend(values.into_iter().map(|v| {
            let label = if v == "SSS" {
                text(lang, "label.all_areas").to_owned()
            } else if kind == "area" {
                self.area_label(&v, lang)
            } else {
                v.clone()
            };
            (v, label)
        }));
        let default = if kind == "year" {
            options.last().map(|o| o.0.clone()).unwrap_or_default()
        } else if has_total {
            String::new()
        } else if all_areas {
            "SSS".to_owned()
        } else {
            options.first().map(|o| o.0.clone()).unwrap_or_default()
        };
        let value = state
            .get(kind)
            .filter(|v| options.iter().any(|o| &o.0 == *v))
            .cloned()
            .unwrap_or(default);
        Some(FilterView {
            kind: kind.to_owned(),
            label: text(lang, &format!("dashboard.filter_{kind}")).to_owned(),
            options,
            value,
        })
    }

    /// Rows of `t` that match the state: each filtered dimension at the
    /// chosen value (its total when none is chosen), the chart's axis free.
    fn selected<'a>(&self, t: &'a Loaded, state: &State, tables: &[&Loaded]) -> Vec<&'a Vec<Cell>> {
        // Per column: the value it must have (`None`: the total), or no
        // condition (not filtered, or the chart's axis). The filter's
        // default stands where the state has none: the latest year, all
        // areas, the total.
        let conditions: Vec<Option<Option<String>>> = t
            .info
            .columns
            .iter()
            .map(|col| {
                let kind = col.filter.as_deref()?;
                if col.name == t.info.axis {
                    return None;
                }
                Some(
                    self.filter_view(tables, kind, state, Lang::En)
                        .map(|f| f.value)
                        .filter(|v| !v.is_empty()),
                )
            })
            .collect();
        t.rows
            .iter()
            .filter(|row| {
                conditions
                    .iter()
                    .zip(row.iter())
                    .all(|(cond, cell)| match (cond, cell) {
                        (None, _) | (_, Cell::Number(_)) => true,
                        (Some(want), Cell::Text(v)) => v == want,
                    })
            })
            .collect()
    }

    fn section(&self, t: &Loaded, state: &State, lang: Lang) -> Section {
        let symbol = &self.manifest.symbol;
        let rows = self.selected(t, state, &[t]);
        let headings: Vec<String> = t
            .info
            .columns
            .iter()
            .map(|c| Self::column_label(c, lang))
            .collect();
        let shown: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&t.info.columns)
                    .map(|(c, col)| self.show_in(col, c, lang))
                    .collect()
            })
            .collect();
        let title = t
            .info
            .titles
            .get(lang.code())
            .cloned()
            .unwrap_or_else(|| t.info.id.clone());
        // The chart: the axis' non-total values, the other free dimensions
        // at their totals where the table has them.
        let axis = t.info.columns.iter().position(|c| c.name == t.info.axis);
        let free: Vec<usize> = t
            .info
            .columns
            .iter()
            .enumerate()
            .filter(|(i, c)| c.role == "dimension" && c.filter.is_none() && Some(*i) != axis)
            .map(|(i, _)| i)
            .collect();
        let chart_rows: Vec<&&Vec<Cell>> = rows
            .iter()
            .filter(|r| axis.is_some_and(|a| r[a] != Cell::Text(None)))
            .filter(|r| free.iter().all(|&f| r[f] == Cell::Text(None)))
            .collect();
        let measures: Vec<usize> = t
            .info
            .measures
            .iter()
            .filter_map(|m| t.info.columns.iter().position(|c| &c.name == m))
            .collect();
        let over_time = t.info.axis == "year" || t.info.axis.contains("month");
        let chart = peitto_chart::Chart {
            title: title.clone(),
            kind: if over_time {
                peitto_chart::Kind::Lines
            } else {
                peitto_chart::Kind::Bars
            },
            categories: chart_rows
                .iter()
                .map(|r| {
                    axis.map(|a| self.show_in(&t.info.columns[a], &r[a], lang))
                        .unwrap_or_default()
                })
                .collect(),
            series: measures
                .iter()
                .map(|&m| peitto_chart::Series {
                    name: Self::column_label(&t.info.columns[m], lang),
                    values: chart_rows
                        .iter()
                        .map(|r| match r[m] {
                            Cell::Number(v) => v,
                            Cell::Text(_) => None,
                        })
                        .collect(),
                })
                .collect(),
            y_label: measures
                .first()
                .map(|&m| Self::column_label(&t.info.columns[m], lang))
                .unwrap_or_default(),
            symbol: symbol.clone(),
            note: format!("{symbol} {}", text(lang, "legend.suppressed")),
        };
        let svg = if chart.categories.is_empty() {
            String::new()
        } else {
            peitto_chart::svg(&chart, 720, 400).unwrap_or_default()
        };
        let mut csv = String::new();
        let active: Vec<String> = FILTERS
            .iter()
            .filter_map(|k| {
                state
                    .get(*k)
                    .filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={v}"))
            })
            .collect();
        let _ = writeln!(csv, "# {title}");
        let _ = writeln!(
            csv,
            "# {}: {}",
            text(lang, "dashboard.filters"),
            if active.is_empty() {
                "-".to_owned()
            } else {
                active.join(", ")
            }
        );
        let quote = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_owned()
            }
        };
        let _ = writeln!(
            csv,
            "{}",
            headings
                .iter()
                .map(|h| quote(h))
                .collect::<Vec<_>>()
                .join(",")
        );
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .map(|c| match c {
                    // Plain numbers in CSV, whatever the page's language.
                    Cell::Number(Some(v)) => v.to_string(),
                    other => quote(&Self::show(other, lang, symbol)),
                })
                .collect();
            let _ = writeln!(csv, "{}", cells.join(","));
        }
        let _ = writeln!(csv, "# {symbol} {}", text(lang, "legend.suppressed"));
        Section {
            id: t.info.id.clone(),
            title,
            svg,
            headings,
            rows: shown,
            csv,
        }
    }
}

/// The bundle, for JavaScript.
#[wasm_bindgen]
pub struct Viewer {
    bundle: Bundle,
}

#[wasm_bindgen]
impl Viewer {
    /// A viewer of the bundle with this manifest (JSON).
    ///
    /// # Errors
    /// If the manifest cannot be read.
    #[wasm_bindgen(constructor)]
    pub fn new(manifest: &str) -> Result<Viewer, JsError> {
        Ok(Viewer {
            bundle: Bundle::new(manifest).map_err(|e| JsError::new(&e.0))?,
        })
    }

    /// Adds a table from its Arrow IPC bytes.
    ///
    /// # Errors
    /// If the bytes are not the table's Arrow IPC file.
    pub fn add_table(&mut self, id: &str, ipc: &[u8]) -> Result<(), JsError> {
        self.bundle
            .add_table(id, ipc)
            .map_err(|e| JsError::new(&e.0))
    }

    /// The view of a state (JSON object of strings) as JSON.
    ///
    /// # Errors
    /// If the state is not a JSON object of strings.
    pub fn view(&self, state: &str) -> Result<String, JsError> {
        let state: State = serde_json::from_str(state).map_err(|e| JsError::new(&e.to_string()))?;
        serde_json::to_string(&self.bundle.view(&state)).map_err(|e| JsError::new(&e.to_string()))
    }

    /// A catalogue text (page names, buttons) in a language.
    #[must_use]
    pub fn text(&self, lang: &str, key: &str) -> String {
        text(lang_of(lang), key).to_owned()
    }

    /// A number as the language writes it.
    #[must_use]
    pub fn format_number(&self, lang: &str, value: f64) -> String {
        format_number(lang_of(lang), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_languages_way() {
        assert_eq!(format_number(Lang::Fi, 1234.5), "1\u{a0}234,5");
        assert_eq!(format_number(Lang::Sv, 1_234_567.0), "1\u{a0}234\u{a0}567");
        assert_eq!(format_number(Lang::En, 1234.5), "1,234.5");
        assert_eq!(format_number(Lang::En, -0.25), "-0.25");
        assert_eq!(format_number(Lang::Fi, 12.0), "12");
    }
}
