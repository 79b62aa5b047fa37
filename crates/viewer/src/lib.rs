//! The dashboard's logic, compiled to WebAssembly.
//!
//! This crate owns what a manager sees: it reads the dashboard bundle (a
//! JSON manifest and one Arrow IPC file per protected table) and, for the
//! page, language, year and area chosen, builds a headline row of key
//! figures with the change from last year, time series over the years, a
//! comparison of the areas at one level (counties of the country, or
//! municipalities of a county) as counts and rates per 1 000, and
//! breakdowns by category, each as a chart and a table with names (from the
//! code lists and the organisation register, carried in the manifest)
//! instead of codes, numbers written the language's way and every withheld
//! value marked with the policy's symbol and a one-line explanation. The
//! bundle is written here too ([`bundle`]), beside the code that reads it.
//!
//! It only *selects* among precomputed, protected cells: it never adds
//! cells up or derives a figure that could reveal a withheld one. The one
//! arithmetic it does is the change from last year, the difference of two
//! published cells of the same series shown beside both, and never with a
//! withheld value. No DataFusion: the module stays small.

pub mod bundle;
mod csv;
mod format;
mod svg;
mod view;

pub use format::{format_change, format_number};
pub use view::{Cell as CellView, Figure as FigureView, FilterView, Section, View};

use arrow_array::{Array, Float64Array, Int32Array, RecordBatch, StringArray};
use peitto_i18n::{Lang, text};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;

/// Names by language code.
pub type Names = BTreeMap<String, String>;

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
    pub areas: BTreeMap<String, Names>,
    /// Each area's parent: a municipality's wellbeing county, a county's
    /// `SSS` (all areas). Sets the level of an area comparison.
    #[serde(default)]
    pub parents: BTreeMap<String, String>,
    /// Category names by column, code and language code (from the model's
    /// code lists).
    #[serde(default)]
    pub codes: BTreeMap<String, BTreeMap<String, Names>>,
}

/// A page of the dashboard: one topic.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Page {
    /// Stable id (in the URL).
    pub id: String,
    /// Key figures at the top.
    pub headline: Vec<Figure>,
    /// Charts with their tables, in order.
    pub blocks: Vec<Block>,
}

/// A key figure: one measure of a table at the chosen year and area, every
/// other dimension at its total.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Figure {
    /// Table id.
    pub table: String,
    /// Measure column.
    pub measure: String,
}

/// What a block shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BlockKind {
    /// The measures over the years, for the chosen area.
    Trend,
    /// The areas at one level below (or beside) the chosen one.
    Areas,
    /// The categories of `axis` for the chosen year and area.
    Breakdown,
}

/// A chart with its table.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Block {
    /// Table id.
    pub table: String,
    /// What it shows.
    pub kind: BlockKind,
    /// The dimension along the chart (`year` for a trend).
    pub axis: String,
    /// Measures: one chart each, all in the table.
    pub measures: Vec<String>,
}

/// One protected table of the bundle.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TableInfo {
    /// Report id.
    pub id: String,
    /// File in the bundle.
    pub file: String,
    /// Titles by language code.
    pub titles: Names,
    /// Columns in file order.
    pub columns: Vec<ColumnInfo>,
}

/// A column of a bundled table.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ColumnInfo {
    /// Name.
    pub name: String,
    /// `dimension` or `measure`.
    pub role: String,
    /// The filter that selects it (`year`, `area`, `age`, `sex`), if any.
    pub filter: Option<String>,
    /// Labels by language code.
    pub labels: Names,
}

/// The filters a manager sets, in the URL.
pub const FILTERS: [&str; 4] = ["year", "area", "age", "sex"];

/// The code of all areas together.
pub const ALL_AREAS: &str = "SSS";

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

impl Loaded {
    fn column(&self, name: &str) -> Option<usize> {
        self.info.columns.iter().position(|c| c.name == name)
    }

    fn column_of_filter(&self, kind: &str) -> Option<usize> {
        self.info
            .columns
            .iter()
            .position(|c| c.filter.as_deref() == Some(kind))
    }

    fn title(&self, lang: Lang) -> String {
        self.info
            .titles
            .get(lang.code())
            .filter(|t| !t.is_empty())
            .cloned()
            .unwrap_or_else(|| self.info.id.clone())
    }
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

    fn table(&self, id: &str) -> Option<&Loaded> {
        self.tables.iter().find(|t| t.info.id == id)
    }

    fn column_label(col: &ColumnInfo, lang: Lang) -> String {
        col.labels
            .get(lang.code())
            .cloned()
            .unwrap_or_else(|| col.name.clone())
    }

    /// An area's name in `lang` (else in Finnish), or its code.
    fn area_label(&self, code: &str, lang: Lang) -> String {
        if code == ALL_AREAS {
            return text(lang, "label.all_areas").to_owned();
        }
        self.manifest
            .areas
            .get(code)
            .and_then(|names| names.get(lang.code()).or_else(|| names.get("fi")))
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    }

    /// A dimension value as shown in column `col`: areas and coded
    /// categories by name, the total as "Total".
    fn value_label(&self, col: &ColumnInfo, value: Option<&str>, lang: Lang) -> String {
        let Some(code) = value else {
            return text(lang, "label.total").to_owned();
        };
        if col.filter.as_deref() == Some("area") {
            return self.area_label(code, lang);
        }
        self.manifest
            .codes
            .get(&col.name)
            .and_then(|codes| codes.get(code))
            .and_then(|names| names.get(lang.code()).or_else(|| names.get("en")))
            .cloned()
            .unwrap_or_else(|| code.to_owned())
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
mod tests;
