//! Writing the dashboard bundle, beside [`crate::Bundle`] that reads it:
//! each protected table across years as one Arrow IPC file, and the
//! scripts a page opened from a plain folder (`file://`, where fetch is
//! refused) loads instead.

use crate::{BundleError, ColumnInfo};
use arrow_array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use base64::Engine as _;
use peitto_i18n::{Lang, text};
use peitto_table::{Table, Value};
use std::sync::Arc;

/// The derived rate column: persons per 1 000 of the same-age population.
pub const RATE: &str = "per_1000";

/// The filter (`year`, `area`, `age`, `sex`) that selects a dimension column.
#[must_use]
pub fn filter_of(column: &str) -> Option<&'static str> {
    match column {
        "year" => Some("year"),
        "municipality_code" => Some("area"),
        "age" | "age_group" => Some("age"),
        "sex" => Some("sex"),
        _ => None,
    }
}

/// Persons per 1 000 of the population, from two published cells (`None`
/// where either is withheld or there is no population); one decimal, as
/// the page shows it.
#[must_use]
pub fn per_1000(count: Option<f64>, population: Option<f64>) -> Option<f64> {
    match (count, population) {
        (Some(c), Some(p)) if p > 0.0 => Some((c * 10_000.0 / p).round() / 10.0),
        _ => None,
    }
}

fn err(e: impl std::fmt::Display) -> BundleError {
    BundleError(e.to_string())
}

/// One table across years, as Arrow IPC: `year`, the dimensions as text
/// (NULL: the total), the measures as numbers (NULL: withheld), and with
/// `rate` (the count it divides by `population`) the rate per 1 000 last.
/// Returns the columns as the manifest describes them, and the bytes.
///
/// # Errors
/// If there is no year, or `rate` names a column the table lacks.
pub fn encode_table(
    id: &str,
    by_year: &[(i32, Table)],
    rate: Option<&str>,
) -> Result<(Vec<ColumnInfo>, Vec<u8>), BundleError> {
    let first = &by_year
        .first()
        .ok_or_else(|| BundleError(format!("{id}: no year")))?
        .1;
    let mut columns = vec![("year".to_owned(), true)];
    columns.extend(first.columns.iter().map(|c| (c.name.clone(), c.dimension)));
    let mut fields = vec![Field::new("year", DataType::Int32, false)];
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let years: Vec<i32> = by_year
        .iter()
        .flat_map(|(y, t)| std::iter::repeat_n(*y, t.rows.len()))
        .collect();
    arrays.push(Arc::new(Int32Array::from(years)));
    for (c, col) in first.columns.iter().enumerate() {
        let cells = by_year
            .iter()
            .flat_map(|(_, t)| t.rows.iter().map(move |r| &r[c]));
        if col.dimension {
            fields.push(Field::new(&col.name, DataType::Utf8, true));
            let values: Vec<Option<String>> = cells.map(Value::code).collect();
            arrays.push(Arc::new(StringArray::from(values)));
        } else {
            fields.push(Field::new(&col.name, DataType::Float64, true));
            let values: Vec<Option<f64>> = cells.map(Value::number).collect();
            arrays.push(Arc::new(Float64Array::from(values)));
        }
    }
    if let Some(count) = rate {
        let at = |name: &str| {
            first
                .column(name)
                .ok_or_else(|| BundleError(format!("{id}: no column {name}")))
        };
        let (c, p) = (at(count)?, at("population")?);
        let values: Vec<Option<f64>> = by_year
            .iter()
            .flat_map(|(_, t)| t.rows.iter())
            .map(|r| per_1000(r[c].number(), r[p].number()))
            .collect();
        fields.push(Field::new(RATE, DataType::Float64, true));
        arrays.push(Arc::new(Float64Array::from(values)));
        columns.push((RATE.to_owned(), false));
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(err)?;
    let mut bytes = Vec::new();
    {
        let mut w = arrow_ipc::writer::FileWriter::try_new(&mut bytes, &schema).map_err(err)?;
        w.write(&batch).map_err(err)?;
        w.finish().map_err(err)?;
    }
    let infos = columns
        .into_iter()
        .map(|(name, dimension)| ColumnInfo {
            labels: Lang::ALL
                .iter()
                .map(|l| {
                    let label = if name == RATE {
                        text(*l, "board.per_1000").to_owned()
                    } else {
                        peitto_i18n::column_label(*l, &name)
                    };
                    (l.code().to_owned(), label)
                })
                .collect(),
            filter: if dimension {
                filter_of(&name).map(str::to_owned)
            } else {
                None
            },
            role: if dimension { "dimension" } else { "measure" }.to_owned(),
            name,
        })
        .collect();
    Ok((infos, bytes))
}

/// `bytes` in standard base64.
#[must_use]
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The bundle as a script (`data/bundle.js`): the manifest and every
/// table's IPC bytes in base64.
#[must_use]
pub fn bundle_script(manifest_json: &str, tables: &[(String, Vec<u8>)]) -> String {
    let encoded: serde_json::Map<String, serde_json::Value> = tables
        .iter()
        .map(|(id, bytes)| (id.clone(), serde_json::Value::String(base64(bytes))))
        .collect();
    format!(
        "window.PEITTO_BUNDLE = {{\"manifest\": {manifest_json}, \"tables\": {}}};\n",
        serde_json::Value::Object(encoded)
    )
}

/// The viewer's WebAssembly as a script (`viewer/wasm.js`).
#[must_use]
pub fn wasm_script(wasm: &[u8]) -> String {
    format!("window.PEITTO_WASM = \"{}\";\n", base64(wasm))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Bundle, Manifest, TableInfo};
    use peitto_table::OutColumn;

    fn table(children: Value, population: Value) -> Table {
        Table {
            columns: vec![
                OutColumn {
                    name: "municipality_code".into(),
                    dimension: true,
                },
                OutColumn {
                    name: "children".into(),
                    dimension: false,
                },
                OutColumn {
                    name: "population".into(),
                    dimension: false,
                },
            ],
            rows: vec![
                vec![Value::Text("285".into()), children, population],
                vec![Value::Total, Value::Int(40), Value::Int(8000)],
            ],
        }
    }

    #[test]
    fn a_table_written_is_read_back_with_withheld_cells_and_rates() {
        let by_year = vec![
            (2024, table(Value::Suppressed, Value::Int(2000))),
            (2025, table(Value::Int(12), Value::Int(2000))),
        ];
        let (columns, bytes) = encode_table("placed_children", &by_year, Some("children")).unwrap();
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["year", "municipality_code", "children", "population", RATE]
        );
        assert_eq!(columns[1].filter.as_deref(), Some("area"));
        let manifest = Manifest {
            release: "h".into(),
            policy: "thl".into(),
            symbol: "..".into(),
            pages: Vec::new(),
            tables: vec![TableInfo {
                id: "placed_children".into(),
                file: "data/placed_children.arrow".into(),
                titles: Default::default(),
                columns,
            }],
            areas: Default::default(),
            parents: Default::default(),
            codes: Default::default(),
        };
        let mut bundle = Bundle::new(&serde_json::to_string(&manifest).unwrap()).unwrap();
        bundle.add_table("placed_children", &bytes).unwrap();
        let loaded = bundle.table("placed_children").unwrap();
        assert_eq!(loaded.rows.len(), 4);
        use crate::Cell;
        // 2024's withheld count stays withheld, and so does its rate.
        assert_eq!(loaded.rows[0][2], Cell::Number(None));
        assert_eq!(loaded.rows[0][4], Cell::Number(None));
        assert_eq!(loaded.rows[1][1], Cell::Text(None));
        assert_eq!(loaded.rows[2][2], Cell::Number(Some(12.0)));
        assert_eq!(loaded.rows[2][4], Cell::Number(Some(6.0)));
        assert!(encode_table("x", &by_year, Some("persons")).is_err());
        assert!(encode_table("x", &[], None).is_err());
    }

    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert!(wasm_script(b"foo").contains("\"Zm9v\""));
        let script = bundle_script("{}", &[("t".into(), b"fo".to_vec())]);
        assert_eq!(
            script,
            "window.PEITTO_BUNDLE = {\"manifest\": {}, \"tables\": {\"t\":\"Zm8=\"}};\n"
        );
    }
}
