//! Source-system mappings.
//!
//! Registers arrive as exports of Abilita, Pro Consona, Effica and the like,
//! with Finnish or Swedish headers, local code values and local date and
//! number formats. A mapping (one TOML file per source system, see
//! `mappings/`) says, for each model table, which header holds which model
//! column, which local values mean which canonical code, which columns hold
//! personal data that must be dropped, and how the system writes its files.
//! The ingest reads with mappings; the synthetic generator writes with them,
//! so every shipped dialect is exercised both ways.
//!
//! This crate only parses and checks mappings against the model: it does no
//! I/O beyond reading a mapping file.

pub mod draft;
mod encoding;

pub use encoding::{Encoding, UnknownEncoding};

use peitto_model::{ColumnSpec, Kind, TableSpec, codes};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Mappings shipped with peitto, by id.
pub const BUILTIN: &[(&str, &str)] = &[
    ("pro_consona", include_str!("../mappings/pro_consona.toml")),
    ("abilita", include_str!("../mappings/abilita.toml")),
    ("reference", include_str!("../mappings/reference.toml")),
];

/// A mapping that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    /// The TOML did not parse or lacks a field.
    #[error("mapping {source_name}: {message}")]
    Syntax {
        /// Mapping id or file.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// The mapping names something the model does not have, or omits a required column.
    #[error("mapping {mapping}: {message}")]
    Model {
        /// Mapping id.
        mapping: String,
        /// What is wrong.
        message: String,
    },
    /// No built-in mapping has this id and no such file exists.
    #[error(
        "no mapping called {0:?} (built in: pro_consona, abilita, reference; or give a path to a .toml file)"
    )]
    Unknown(String),
    /// Reading the mapping file failed.
    #[error("cannot read mapping {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// How dates are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum DateStyle {
    /// `d.m.yyyy`
    #[serde(rename = "d.m.yyyy")]
    Finnish,
    /// `yyyy-mm-dd`
    #[serde(rename = "yyyy-mm-dd")]
    Iso,
}

/// File type a system exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// Delimited text.
    Csv,
    /// Excel workbook.
    Xlsx,
}

/// How a system writes files. The reader detects delimiter and encoding by
/// itself; these settings say what the synthetic generator writes.
#[derive(Debug, Clone, Deserialize)]
pub struct Format {
    /// Field delimiter.
    pub delimiter: char,
    /// Text encoding.
    pub encoding: Encoding,
    /// Date style.
    pub date_style: DateStyle,
    /// Decimal separator, `,` or `.`.
    pub decimal: char,
    /// Default file type.
    pub file_format: FileFormat,
}

/// What a dropped column holds: used for reporting and by the synthetic generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dropped {
    /// A person's name.
    Name,
    /// A postal address.
    Address,
    /// A telephone number.
    Phone,
    /// Free text written by a worker.
    FreeText,
}

/// How one model table is found in a source system's export.
#[derive(Debug, Clone)]
pub struct TableMapping {
    /// The model table.
    pub table: &'static TableSpec,
    /// File name stem the system (and the synthetic generator) uses.
    pub file: String,
    /// File type, where it differs from the mapping's default.
    pub file_format: FileFormat,
    /// Sheet name in a workbook, if the system names one.
    pub sheet: Option<String>,
    /// Source header for each mapped model column, in the export's column order.
    pub columns: Vec<(String, &'static ColumnSpec)>,
    /// Source headers holding personal data that is never stored.
    pub dropped: Vec<(String, Dropped)>,
}

impl TableMapping {
    /// The source header for model column `name`.
    #[must_use]
    pub fn header_of(&self, name: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(_, c)| c.name == name)
            .map(|(h, _)| h.as_str())
    }
}

/// A parsed, model-checked source-system mapping.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// Stable id, e.g. `pro_consona`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Language of the headers (`fi`, `sv`).
    pub language: String,
    /// How the system writes files.
    pub format: Format,
    /// Tables this system exports.
    pub tables: Vec<TableMapping>,
    true_words: Vec<String>,
    false_words: Vec<String>,
    /// (code list, lower-case local value) → canonical code.
    decode: HashMap<(&'static str, String), &'static str>,
    /// (code list, canonical) → the local value written first in the mapping.
    encode: HashMap<(&'static str, &'static str), String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    id: String,
    name: String,
    language: String,
    format: Format,
    #[serde(default)]
    booleans: Option<RawBooleans>,
    #[serde(default)]
    codes: BTreeMap<String, toml::Table>,
    tables: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBooleans {
    #[serde(rename = "true")]
    yes: Vec<String>,
    #[serde(rename = "false")]
    no: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    file: String,
    #[serde(default)]
    file_format: Option<FileFormat>,
    #[serde(default)]
    sheet: Option<String>,
    columns: toml::Table,
    #[serde(default)]
    drop: toml::Table,
}

fn normalise(value: &str) -> String {
    value.trim().to_lowercase()
}

impl Mapping {
    /// A built-in mapping by id, or a mapping file by path.
    ///
    /// # Errors
    /// If neither exists or the mapping is invalid.
    pub fn load(id_or_path: &str) -> Result<Mapping, MappingError> {
        if let Some((_, text)) = BUILTIN.iter().find(|(id, _)| *id == id_or_path) {
            return Mapping::from_toml(id_or_path, text);
        }
        let path = Path::new(id_or_path);
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(path).map_err(|source| MappingError::Io {
                path: id_or_path.to_owned(),
                source,
            })?;
            return Mapping::from_toml(id_or_path, &text);
        }
        Err(MappingError::Unknown(id_or_path.to_owned()))
    }

    /// Every built-in mapping.
    ///
    /// # Errors
    /// Only if a shipped mapping is broken (tests prevent that).
    pub fn builtins() -> Result<Vec<Mapping>, MappingError> {
        BUILTIN
            .iter()
            .map(|(id, text)| Mapping::from_toml(id, text))
            .collect()
    }

    /// Parses and checks a mapping.
    ///
    /// # Errors
    /// On TOML errors, unknown tables, columns or codes, and required model
    /// columns left unmapped.
    pub fn from_toml(source_name: &str, text: &str) -> Result<Mapping, MappingError> {
        let syntax = |message: String| MappingError::Syntax {
            source_name: source_name.to_owned(),
            message,
        };
        let raw: RawMapping = toml::from_str(text).map_err(|e| syntax(e.to_string()))?;
        let model = |message: String| MappingError::Model {
            mapping: raw.id.clone(),
            message,
        };
        if !matches!(raw.format.delimiter, ';' | ',' | '\t') {
            return Err(model(format!(
                "delimiter {:?} is not ; , or tab",
                raw.format.delimiter
            )));
        }
        if !matches!(raw.format.decimal, ',' | '.') {
            return Err(model(format!(
                "decimal separator {:?} is not , or .",
                raw.format.decimal
            )));
        }

        let mut decode = HashMap::new();
        let mut encode = HashMap::new();
        for (list_name, values) in &raw.codes {
            let list = codes::by_name(list_name)
                .ok_or_else(|| model(format!("unknown code list {list_name:?}")))?;
            for (canonical, locals) in values {
                let canonical = list
                    .codes
                    .iter()
                    .find(|c| c.code == canonical)
                    .map(|c| c.code)
                    .ok_or_else(|| {
                        model(format!("code list {list_name} has no code {canonical:?}"))
                    })?;
                let locals: Vec<String> = match locals {
                    toml::Value::String(s) => vec![s.clone()],
                    toml::Value::Array(items) => items
                        .iter()
                        .map(|v| v.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            model(format!("{list_name}.{canonical}: values must be strings"))
                        })?,
                    _ => {
                        return Err(model(format!(
                            "{list_name}.{canonical}: values must be strings"
                        )));
                    }
                };
                if let Some(first) = locals.first() {
                    encode.insert((list.name, canonical), first.clone());
                }
                for local in locals {
                    if let Some(previous) = decode.insert((list.name, normalise(&local)), canonical)
                        && previous != canonical
                    {
                        return Err(model(format!(
                            "{list_name}: {local:?} maps to both {previous} and {canonical}"
                        )));
                    }
                }
            }
        }

        let mut tables = Vec::new();
        for (table_name, value) in &raw.tables {
            let spec = peitto_model::table(table_name)
                .filter(|t| t.from_source)
                .ok_or_else(|| model(format!("no source table {table_name:?} in the model")))?;
            let raw_table: RawTable = value
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| model(format!("{table_name}: {e}")))?;
            let mut columns = Vec::new();
            for (column, header) in &raw_table.columns {
                let spec_column = spec
                    .column(column)
                    .ok_or_else(|| model(format!("{table_name} has no column {column:?}")))?;
                let header = header.as_str().ok_or_else(|| {
                    model(format!("{table_name}.{column}: header must be a string"))
                })?;
                columns.push((header.to_owned(), spec_column));
            }
            for required in spec.columns.iter().filter(|c| c.required) {
                if !columns.iter().any(|(_, c)| c.name == required.name) {
                    return Err(model(format!(
                        "{table_name}: required column {} is not mapped",
                        required.name
                    )));
                }
            }
            let mut dropped = Vec::new();
            for (header, kind) in &raw_table.drop {
                let kind: Dropped = kind.clone().try_into().map_err(|e: toml::de::Error| {
                    model(format!("{table_name}.drop.{header}: {e}"))
                })?;
                dropped.push((header.clone(), kind));
            }
            let mut seen = std::collections::HashSet::new();
            for header in columns
                .iter()
                .map(|(h, _)| h)
                .chain(dropped.iter().map(|(h, _)| h))
            {
                if !seen.insert(normalise(header)) {
                    return Err(model(format!(
                        "{table_name}: header {header:?} is used twice"
                    )));
                }
            }
            tables.push(TableMapping {
                table: spec,
                file: raw_table.file,
                file_format: raw_table.file_format.unwrap_or(raw.format.file_format),
                sheet: raw_table.sheet,
                columns,
                dropped,
            });
        }

        let (true_words, false_words) = match raw.booleans {
            Some(b) => (b.yes, b.no),
            None => (
                vec!["true".into(), "1".into()],
                vec!["false".into(), "0".into()],
            ),
        };
        Ok(Mapping {
            id: raw.id,
            name: raw.name,
            language: raw.language,
            format: raw.format,
            tables,
            true_words: true_words.iter().map(|w| normalise(w)).collect(),
            false_words: false_words.iter().map(|w| normalise(w)).collect(),
            decode,
            encode,
        })
    }

    /// The table mapping for model table `name`.
    #[must_use]
    pub fn table(&self, name: &str) -> Option<&TableMapping> {
        self.tables.iter().find(|t| t.table.name == name)
    }

    /// The canonical code a local value means, if any. Canonical codes are
    /// accepted as they are too, so peitto's own exports read back.
    #[must_use]
    pub fn decode_code(
        &self,
        list: &'static peitto_model::CodeList,
        local: &str,
    ) -> Option<&'static str> {
        let key = normalise(local);
        if let Some(code) = self.decode.get(&(list.name, key)) {
            return Some(code);
        }
        let trimmed = local.trim();
        list.codes
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(trimmed))
            .map(|c| c.code)
    }

    /// The local value the system writes for a canonical code.
    #[must_use]
    pub fn encode_code<'a>(
        &'a self,
        list: &'static peitto_model::CodeList,
        canonical: &'a str,
    ) -> &'a str {
        self.encode
            .get(&(list.name, canonical))
            .map_or(canonical, String::as_str)
    }

    /// Reads a yes/no value in the system's words (`true`/`false` always work).
    #[must_use]
    pub fn parse_bool(&self, value: &str) -> Option<bool> {
        let v = normalise(value);
        if self.true_words.contains(&v) || v == "true" {
            Some(true)
        } else if self.false_words.contains(&v) || v == "false" {
            Some(false)
        } else {
            None
        }
    }

    /// The word the system writes for a yes/no value.
    #[must_use]
    pub fn bool_word(&self, value: bool) -> &str {
        let words = if value {
            &self.true_words
        } else {
            &self.false_words
        };
        words
            .first()
            .map_or(if value { "true" } else { "false" }, String::as_str)
    }
}

/// Whether `column` of this kind needs a code list decode.
#[must_use]
pub fn code_list_of(column: &ColumnSpec) -> Option<&'static peitto_model::CodeList> {
    match column.kind {
        Kind::Code(list) | Kind::IntCode(list) => Some(list),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_parse_and_cover_the_model() {
        let all = Mapping::builtins().unwrap();
        assert_eq!(all.len(), BUILTIN.len());
        // Both register dialects map every source table that holds persons.
        for id in ["pro_consona", "abilita"] {
            let m = all.iter().find(|m| m.id == id).unwrap();
            for t in peitto_model::tables()
                .iter()
                .filter(|t| t.from_source && t.has_person())
            {
                assert!(m.table(t.name).is_some(), "{id} lacks {}", t.name);
            }
        }
    }

    #[test]
    fn every_code_of_every_mapped_code_column_has_a_local_value() {
        for m in Mapping::builtins().unwrap() {
            for t in &m.tables {
                for (_, column) in &t.columns {
                    if let Some(list) = code_list_of(column) {
                        for code in list.codes {
                            let local = m.encode_code(list, code.code);
                            assert_eq!(
                                m.decode_code(list, local),
                                Some(code.code),
                                "{} {}",
                                m.id,
                                code.code
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn encodings_are_named_by_their_whatwg_labels() {
        for label in ["utf-8", "UTF-8", " utf8 ", "unicode-1-1-utf-8"] {
            assert_eq!(label.parse::<Encoding>(), Ok(Encoding::Utf8), "{label}");
        }
        for label in ["windows-1252", "latin1", "ISO-8859-1", "cp1252", "us-ascii"] {
            assert_eq!(
                label.parse::<Encoding>(),
                Ok(Encoding::Windows1252),
                "{label}"
            );
        }
        assert_eq!("utf-8-bom".parse::<Encoding>(), Ok(Encoding::Utf8Bom));
        assert!("ebcdic".parse::<Encoding>().is_err());
        // As a mapping writes it.
        let text = |enc: &str| {
            format!(
                "id = \"x\"\nname = \"x\"\nlanguage = \"fi\"\n[format]\ndelimiter = \";\"\nencoding = \"{enc}\"\ndate_style = \"d.m.yyyy\"\ndecimal = \",\"\nfile_format = \"csv\"\n[tables.population]\nfile = \"p\"\ncolumns = {{ year = \"V\", area_code = \"A\", age = \"I\", sex = \"S\", persons = \"N\" }}\n"
            )
        };
        assert_eq!(
            Mapping::from_toml("x", &text("utf-8"))
                .unwrap()
                .format
                .encoding,
            Encoding::Utf8
        );
        let err = Mapping::from_toml("x", &text("koi8-r"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown encoding"), "{err}");
    }

    #[test]
    fn rejects_a_mapping_missing_a_required_column() {
        let text = r#"
id = "x"
name = "x"
language = "fi"
[format]
delimiter = ";"
encoding = "utf8"
date_style = "d.m.yyyy"
decimal = ","
file_format = "csv"
[tables.cw_placement]
file = "s"
columns = { placement_id = "Id", person_key = "Hetu" }
"#;
        let err = Mapping::from_toml("x", text).unwrap_err().to_string();
        assert!(err.contains("required column start"), "{err}");
    }

    #[test]
    fn rejects_unknown_codes_and_columns() {
        let base = |extra: &str| {
            format!(
                "id = \"x\"\nname = \"x\"\nlanguage = \"fi\"\n[format]\ndelimiter = \";\"\nencoding = \"utf8\"\ndate_style = \"d.m.yyyy\"\ndecimal = \",\"\nfile_format = \"csv\"\n{extra}\n[tables.population]\nfile = \"p\"\ncolumns = {{ year = \"V\", area_code = \"A\", age = \"I\", sex = \"S\", persons = \"N\" }}\n"
            )
        };
        assert!(Mapping::from_toml("x", &base("")).is_ok());
        let err = Mapping::from_toml("x", &base("[codes.sex]\nX = [\"x\"]"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no code \"X\""), "{err}");
        let err = Mapping::from_toml("x", &base("[codes.nope]\nX = [\"x\"]"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown code list"), "{err}");
    }
}
