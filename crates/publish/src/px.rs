//! PX (PC-Axis 2013), the format PxWeb reads: Statistics Finland's and
//! THL's own tables are published in it.

use super::{Meta, label, legend, number, roles, show};
use peitto_i18n::{Lang, text};
use peitto_table::{Table, Value};
use std::collections::HashMap;
use std::fmt::Write as _;

fn px_quote(s: &str) -> String {
    format!("\"{}\"", super::printable(s).replace('"', "'"))
}

fn px_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| px_quote(s))
        .collect::<Vec<_>>()
        .join(",")
}

/// PX (PC-Axis 2013) with fi, sv and en texts: the dimensions as the stub,
/// the measures as the heading, every combination of the dimensions'
/// values in the data cube (`"-"` where the table has no row), withheld
/// values as the policy's symbol in quotes, as PX allows.
#[must_use]
pub fn px(table: &Table, meta: &Meta, created: &str) -> Vec<u8> {
    let (dims, measures) = roles(table);
    let base = Lang::Fi;
    let value_text = |v: &Value, lang: Lang| show(v, meta, lang, false, false);
    // Values of each dimension in the order they first appear.
    let mut values: Vec<Vec<Value>> = vec![Vec::new(); dims.len()];
    for row in &table.rows {
        for (i, &c) in dims.iter().enumerate() {
            if !values[i].contains(&row[c]) {
                values[i].push(row[c].clone());
            }
        }
    }
    let mut index: HashMap<Vec<String>, &Vec<Value>> = HashMap::new();
    for row in &table.rows {
        index.insert(
            dims.iter().map(|&c| value_text(&row[c], base)).collect(),
            row,
        );
    }
    let mut out = String::new();
    let mut kw = |k: &str, v: String| {
        let _ = writeln!(out, "{k}={v};");
    };
    kw("CHARSET", px_quote("ANSI"));
    kw("AXIS-VERSION", px_quote("2013"));
    kw("CODEPAGE", px_quote("utf-8"));
    kw("LANGUAGE", px_quote(base.code()));
    kw(
        "LANGUAGES",
        px_list(
            &Lang::ALL
                .iter()
                .map(|l| l.code().to_owned())
                .collect::<Vec<_>>(),
        ),
    );
    kw("CREATION-DATE", px_quote(created));
    kw("DECIMALS", "2".to_owned());
    kw("SHOWDECIMALS", "2".to_owned());
    kw("MATRIX", px_quote(&meta.id));
    kw("SUBJECT-CODE", px_quote("peitto"));
    let measure_var = |lang: Lang| text(lang, "px.measures").to_owned();
    for lang in Lang::ALL {
        let s = if lang == base {
            String::new()
        } else {
            format!("[{}]", lang.code())
        };
        kw(
            &format!("SUBJECT-AREA{s}"),
            px_quote(text(lang, "px.subject")),
        );
        kw(&format!("TITLE{s}"), px_quote(meta.title(lang)));
        kw(&format!("CONTENTS{s}"), px_quote(meta.title(lang)));
        kw(
            &format!("UNITS{s}"),
            px_quote(&if meta.unit.is_empty() {
                "-".to_owned()
            } else {
                crate::cover::unit_text(meta, lang)
            }),
        );
        let stub: Vec<String> = dims
            .iter()
            .map(|&c| label(lang, &table.columns[c].name))
            .collect();
        kw(&format!("STUB{s}"), px_list(&stub));
        kw(&format!("HEADING{s}"), px_quote(&measure_var(lang)));
        for (i, name) in stub.iter().enumerate() {
            let vals: Vec<String> = values[i].iter().map(|v| value_text(v, lang)).collect();
            kw(&format!("VALUES{s}({})", px_quote(name)), px_list(&vals));
        }
        let ms: Vec<String> = measures
            .iter()
            .map(|&c| label(lang, &table.columns[c].name))
            .collect();
        kw(
            &format!("VALUES{s}({})", px_quote(&measure_var(lang))),
            px_list(&ms),
        );
        let note: Vec<String> = legend(meta, lang)
            .into_iter()
            .map(|(sym, m)| format!("{sym} {m}"))
            .collect();
        kw(&format!("NOTE{s}"), px_quote(&note.join(". ")));
    }
    kw("DATASYMBOL2", px_quote(&meta.symbol));
    kw("DATASYMBOLNIL", px_quote("-"));
    out.push_str("DATA=\n");
    let mut combos: Vec<Vec<String>> = vec![Vec::new()];
    for vals in &values {
        combos = combos
            .into_iter()
            .flat_map(|p| {
                vals.iter().map(move |v| {
                    let mut k = p.clone();
                    k.push(value_text(v, base));
                    k
                })
            })
            .collect();
    }
    for combo in combos {
        let row = index.get(&combo);
        let cells: Vec<String> = measures
            .iter()
            .map(|&c| match row.map(|r| &r[c]) {
                Some(Value::Suppressed) => px_quote(&meta.symbol),
                Some(Value::Int(i)) => i.to_string(),
                Some(Value::Number(x)) => number(*x, false),
                Some(Value::Text(t)) => px_quote(t),
                Some(Value::Total) | None => px_quote("-"),
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join(" "));
    }
    out.push_str(";\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use peitto_table::OutColumn;

    #[test]
    fn units_are_in_each_language_of_the_file() {
        // Every PX file said UNITS="persons" in Finnish and Swedish too.
        let table = Table {
            columns: vec![
                OutColumn {
                    name: "form".to_owned(),
                    dimension: true,
                },
                OutColumn {
                    name: "days".to_owned(),
                    dimension: false,
                },
            ],
            rows: vec![vec![Value::Text("A".to_owned()), Value::Int(12)]],
        };
        let meta = Meta {
            id: "t".to_owned(),
            symbol: "..".to_owned(),
            unit: "days; euros per day".to_owned(),
            ..Meta::default()
        };
        let file = String::from_utf8(px(&table, &meta, "20261207 10:00")).unwrap();
        let unit = |key: &str| {
            file.lines()
                .find(|l| l.starts_with(&format!("{key}=")))
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(unit("UNITS"), "UNITS=\"päivää; euroa päivässä\";");
        assert_eq!(unit("UNITS[sv]"), "UNITS[sv]=\"dagar; euro per dag\";");
        assert_eq!(unit("UNITS[en]"), "UNITS[en]=\"days; euros per day\";");
    }
}
