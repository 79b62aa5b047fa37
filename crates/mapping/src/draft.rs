//! A first mapping for an extract in a layout peitto has not seen: headers
//! matched to the model's columns by name (Finnish, Swedish and English
//! terms, and every header the shipped mappings use), the extract's code
//! values matched to the model's codes where they can be and listed for
//! the user where they cannot, and every other column proposed for `drop`
//! (never stored). The result is TOML to edit, then check with
//! `peitto mapping check`. No I/O: the caller reads the extract.

use crate::{DateStyle, Encoding, FileFormat, Mapping, code_list_of};
use peitto_model::{CodeList, ColumnSpec, Kind, TableSpec};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What the caller read from the extract.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    /// Header texts, in file order.
    pub headers: Vec<String>,
    /// Distinct non-blank values of each column (same order), bounded.
    pub values: Vec<Vec<String>>,
    /// With how many persons each of `values` was seen (same order, at
    /// most [`LISTED_FROM`] counted; a row without an identity code is a
    /// person of its own; missing means often). A draft lists as code
    /// values only those seen with [`LISTED_FROM`] persons or more.
    pub seen: Vec<Vec<usize>>,
    /// Detected delimiter (CSV).
    pub delimiter: Option<char>,
    /// Detected encoding (CSV).
    pub encoding: Option<Encoding>,
    /// Workbook rather than CSV.
    pub workbook: bool,
}

/// Persons a value must be seen with before a draft lists it as a code
/// value: a code is shared by many persons, while a value of one or two
/// persons in a code column is as likely a name or an address typed into
/// the wrong field (repeated on each of that person's rows), and a draft
/// is a file meant to be edited and shared.
pub const LISTED_FROM: usize = 3;

/// Whether a draft may write `value` of column `h` out: seen often enough
/// and without the digits of a date, an amount or an identity code.
fn listable(sample: &Sample, h: usize, i: usize, value: &str) -> bool {
    let often = sample
        .seen
        .get(h)
        .and_then(|s| s.get(i))
        .is_none_or(|&n| n >= LISTED_FROM);
    often && value.chars().filter(char::is_ascii_digit).count() < 4
}

/// Terms for model columns beyond their names and the shipped mappings'
/// headers: common English, Finnish and Swedish words of other systems.
const TERMS: &[(&str, &[&str])] = &[
    (
        "person_key",
        &[
            "personal identity code",
            "henkilötunnus",
            "hetu",
            "personbeteckning",
            "social security number",
            "ssn",
        ],
    ),
    (
        "municipality_code",
        &["municipality", "kunta", "kommun", "kuntanumero"],
    ),
    ("start", &["start date", "begins", "alku", "början", "from"]),
    ("end", &["end date", "ends", "loppu", "slut", "until"]),
    (
        "provider_id",
        &[
            "provider",
            "business id",
            "y-tunnus",
            "fo-nummer",
            "tuottaja",
        ],
    ),
    (
        "form",
        &["placement type", "placement form", "type of care"],
    ),
    ("basis_id", &["legal basis id", "basis id", "peruste id"]),
    ("placement_id", &["placement id", "placement number"]),
];

/// Header words of personal data: never stored, proposed for `drop`.
const PERSONAL: &[(&str, &[&str])] = &[
    ("name", &["name", "nimi", "namn", "guardian", "huoltaja"]),
    (
        "address",
        &["address", "osoite", "adress", "street", "postal"],
    ),
    ("phone", &["phone", "puhelin", "telefon", "mobile", "gsm"]),
];

/// Letters and digits only, lower case: `Placement ID` and `placement_id`
/// compare equal.
fn key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How well `header` names a column known by `terms`: 0 not at all.
fn score(header: &str, terms: &[String]) -> usize {
    let h = key(header);
    terms
        .iter()
        .map(|t| {
            let t = key(t);
            if t.is_empty() || h.is_empty() {
                0
            } else if h == t {
                1000
            } else if t.len() >= 4 && h.contains(&t) {
                100 + t.len()
            } else {
                0
            }
        })
        .max()
        .unwrap_or(0)
}

fn terms_of(table: &TableSpec, column: &ColumnSpec, builtins: &[Mapping]) -> Vec<String> {
    let mut terms = vec![column.name.to_owned(), column.name.replace('_', " ")];
    // The model's own Finnish term: the doc up to its colon.
    if let Some((fi, _)) = column.doc.split_once(':') {
        terms.push(fi.to_owned());
    }
    for m in builtins {
        if let Some(h) = m.table(table.name).and_then(|t| t.header_of(column.name)) {
            terms.push(h.to_owned());
        }
    }
    if let Some((_, extra)) = TERMS.iter().find(|(c, _)| *c == column.name) {
        terms.extend(extra.iter().map(|t| (*t).to_owned()));
    }
    terms
}

/// The canonical code a local value likely means.
fn guess_code(list: &'static CodeList, value: &str, builtins: &[Mapping]) -> Option<&'static str> {
    if let Some(code) = builtins.iter().find_map(|m| m.decode_code(list, value)) {
        return Some(code);
    }
    let v = key(value);
    let names = |code: &'static str| {
        let mut n: Vec<String> = ["fi", "sv", "en"]
            .iter()
            .filter_map(|l| peitto_model::codes::name(list.name, code, l))
            .map(key)
            .collect();
        n.push(key(code));
        if let Some((fi, en)) = list
            .codes
            .iter()
            .find(|c| c.code == code)
            .and_then(|c| c.doc.split_once(':'))
        {
            n.push(key(fi));
            n.push(key(en));
        }
        n
    };
    let exact: Vec<&'static str> = list
        .codes
        .iter()
        .map(|c| c.code)
        .filter(|c| names(c).contains(&v))
        .collect();
    if let [one] = exact.as_slice() {
        return Some(one);
    }
    // An abbreviation: the start of exactly one code's name.
    if v.chars().count() >= 3 {
        let prefixed: Vec<&'static str> = list
            .codes
            .iter()
            .map(|c| c.code)
            .filter(|c| names(c).iter().any(|n| n.starts_with(&v)))
            .collect();
        if let [one] = prefixed.as_slice() {
            return Some(one);
        }
    }
    None
}

fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A mapping TOML for `table` from an extract's sample.
#[must_use]
// one file, written top to bottom
pub fn draft(table: &'static TableSpec, id: &str, file: &str, sample: &Sample) -> String {
    let builtins = Mapping::builtins().unwrap_or_default();
    // Every (score, header, column), best first; each header and column once.
    let mut candidates: Vec<(usize, usize, &'static ColumnSpec)> = Vec::new();
    for column in table.columns {
        let terms = terms_of(table, column, &builtins);
        for (h, header) in sample.headers.iter().enumerate() {
            let s = score(header, &terms);
            if s > 0 {
                candidates.push((s, h, column));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut matched: BTreeMap<usize, &'static ColumnSpec> = BTreeMap::new();
    for (_, h, column) in candidates {
        if !matched.contains_key(&h) && !matched.values().any(|c| c.name == column.name) {
            matched.insert(h, column);
        }
    }
    // The values of a column a draft may list, and how many it holds back.
    let values_of = |column: &str| -> (Vec<String>, usize) {
        let Some((&h, _)) = matched.iter().find(|(_, c)| c.name == column) else {
            return (Vec::new(), 0);
        };
        let all = sample.values.get(h).map_or(&[][..], Vec::as_slice);
        let listed: Vec<String> = all
            .iter()
            .enumerate()
            .filter(|(i, v)| listable(sample, h, *i, v))
            .map(|(_, v)| v.clone())
            .collect();
        let held = all.len() - listed.len();
        (listed, held)
    };
    let date_style = matched
        .iter()
        .filter(|(_, c)| c.kind == Kind::Date)
        .flat_map(|(h, _)| sample.values.get(*h).into_iter().flatten())
        .find_map(|v| {
            if v.contains('.') {
                Some(DateStyle::Finnish)
            } else if v.contains('-') {
                Some(DateStyle::Iso)
            } else {
                None
            }
        })
        .unwrap_or(DateStyle::Iso);
    let decimal = if matched
        .iter()
        .filter(|(_, c)| c.kind == Kind::Euro)
        .flat_map(|(h, _)| sample.values.get(*h).into_iter().flatten())
        .any(|v| v.contains(','))
    {
        ','
    } else {
        '.'
    };
    let delimiter = sample.delimiter.unwrap_or(';');
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Drafted by `peitto mapping draft` for table {}. Check it, give every\n\
         # value the extract holds its code (see [codes.*] below), then run\n\
         # `peitto mapping check` on this file and the extract.",
        table.name
    );
    let _ = writeln!(out, "id = {}", quoted(id));
    let _ = writeln!(out, "name = {}", quoted(id));
    let _ = writeln!(out, "language = \"fi\"\n");
    let _ = writeln!(out, "[format]");
    let _ = writeln!(
        out,
        "delimiter = {}",
        quoted(if delimiter == '\t' {
            "\t"
        } else {
            match delimiter {
                ',' => ",",
                _ => ";",
            }
        })
    );
    let _ = writeln!(
        out,
        "encoding = {}",
        quoted(sample.encoding.unwrap_or(Encoding::Utf8).label())
    );
    let _ = writeln!(
        out,
        "date_style = {}",
        quoted(match date_style {
            DateStyle::Finnish => "d.m.yyyy",
            DateStyle::Iso => "yyyy-mm-dd",
        })
    );
    let _ = writeln!(out, "decimal = {}", quoted(&decimal.to_string()));
    let file_format = if sample.workbook {
        FileFormat::Xlsx
    } else {
        FileFormat::Csv
    };
    let _ = writeln!(
        out,
        "file_format = {}\n",
        quoted(match file_format {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
        })
    );
    // Yes/no words, where a yes/no column is mapped.
    let bools: Vec<String> = matched
        .iter()
        .filter(|(_, c)| c.kind == Kind::Bool)
        .flat_map(|(_, c)| values_of(c.name).0)
        .collect();
    if !bools.is_empty() {
        let yes = ["k", "kyllä", "yes", "y", "ja", "j", "x", "true", "1"];
        let (t, f): (Vec<String>, Vec<String>) = bools
            .into_iter()
            .partition(|v| yes.contains(&v.trim().to_lowercase().as_str()));
        let list = |v: &[String]| v.iter().map(|s| quoted(s)).collect::<Vec<_>>().join(", ");
        let _ = writeln!(
            out,
            "[booleans]\ntrue = [{}]\nfalse = [{}]\n",
            list(&t),
            list(&f)
        );
    }
    // Code values.
    for column in matched.values() {
        let Some(list) = code_list_of(column) else {
            continue;
        };
        let mut by_code: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        let mut unmatched = Vec::new();
        let (values, held) = values_of(column.name);
        for v in values {
            match guess_code(list, &v, &builtins) {
                Some(code) => by_code.entry(code).or_default().push(v),
                None => unmatched.push(v),
            }
        }
        let _ = writeln!(out, "[codes.{}]\n# {}", list.name, list.doc);
        for code in list.codes {
            let locals = by_code.get(code.code).cloned().unwrap_or_default();
            let _ = writeln!(
                out,
                "{} = [{}]  # {}",
                quoted(code.code),
                locals
                    .iter()
                    .map(|s| quoted(s))
                    .collect::<Vec<_>>()
                    .join(", "),
                code.doc
            );
        }
        if !unmatched.is_empty() {
            let _ = writeln!(
                out,
                "# Values in the extract matched to no code: add each to its code's list above.\n\
                 # unmatched: {}",
                unmatched
                    .iter()
                    .map(|s| quoted(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if held > 0 {
            let _ = writeln!(
                out,
                "# {held} other values, each seen with fewer than {LISTED_FROM} persons or with digits, are not \
                 listed: they may be personal data typed into this column. `peitto mapping check` \
                 reports their rows."
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "[tables.{}]", table.name);
    let _ = writeln!(out, "file = {}\n", quoted(file));
    let _ = writeln!(out, "[tables.{}.columns]", table.name);
    for column in table.columns {
        let header = matched
            .iter()
            .find(|(_, c)| c.name == column.name)
            .and_then(|(h, _)| sample.headers.get(*h));
        match header {
            Some(h) => {
                let _ = writeln!(out, "{} = {}  # {}", column.name, quoted(h), column.doc);
            }
            None => {
                let _ = writeln!(
                    out,
                    "# {} = \"\"  # {}{}: no header matched",
                    column.name,
                    if column.required { "REQUIRED. " } else { "" },
                    column.doc
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\n# Columns never stored: personal data, and whatever the model does not hold.\n[tables.{}.drop]",
        table.name
    );
    for (h, header) in sample.headers.iter().enumerate() {
        if matched.contains_key(&h) {
            continue;
        }
        let k = key(header);
        let kind = PERSONAL
            .iter()
            .find(|(_, words)| words.iter().any(|w| k.contains(&key(w))))
            .map_or("free_text", |(kind, _)| kind);
        let _ = writeln!(out, "{} = {}", quoted(header), quoted(kind));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(headers: &[&str], values: &[&[&str]]) -> Sample {
        Sample {
            headers: headers.iter().map(|s| (*s).to_owned()).collect(),
            values: values
                .iter()
                .map(|v| v.iter().map(|s| (*s).to_owned()).collect())
                .collect(),
            seen: Vec::new(),
            delimiter: Some(','),
            encoding: Some(Encoding::Utf8),
            workbook: false,
        }
    }

    #[test]
    fn values_of_one_or_two_rows_or_with_digits_are_not_listed() {
        let table = peitto_model::table("cw_placement").unwrap();
        let mut s = sample(
            &["Personal identity code", "Placement type"],
            &[
                &["010101A900B"],
                &[
                    "Fosterhem",
                    "Maija Meikäläinen",
                    "Kauppakatu 76 B 6",
                    "150790 123H",
                ],
            ],
        );
        s.seen = vec![vec![1], vec![4, 1, 1, 9]];
        let text = draft(table, "effica", "placements", &s);
        assert!(text.contains("# unmatched: \"Fosterhem\"\n"), "{text}");
        for personal in ["Maija", "Kauppakatu", "123H", "010101A900B"] {
            assert!(!text.contains(personal), "{personal}: {text}");
        }
        assert!(text.contains("# 3 other values"), "{text}");
    }

    #[test]
    fn english_headers_and_personal_data_are_recognised() {
        let table = peitto_model::table("cw_placement").unwrap();
        let s = sample(
            &[
                "Placement ID",
                "Personal identity code",
                "Legal basis ID",
                "Placement type",
                "Start date",
                "End date",
                "Provider business ID",
                "Placing municipality",
                "Guardian name",
            ],
            &[
                &["P1"],
                &["010101A900B"],
                &["B1"],
                &["perhehoito", "LAITOS", "Weird"],
                &["2025-01-01"],
                &["2025-02-01"],
                &["1234567-8"],
                &["285"],
                &["Maija"],
            ],
        );
        let text = draft(table, "effica", "placements", &s);
        let mapping = Mapping::from_toml("draft", &text).unwrap();
        let t = mapping.table("cw_placement").unwrap();
        assert_eq!(t.header_of("person_key"), Some("Personal identity code"));
        assert_eq!(t.header_of("form"), Some("Placement type"));
        assert_eq!(t.header_of("start"), Some("Start date"));
        assert_eq!(t.header_of("end"), Some("End date"));
        assert_eq!(
            t.header_of("municipality_code"),
            Some("Placing municipality")
        );
        assert!(
            t.dropped
                .iter()
                .any(|(h, k)| h == "Guardian name" && *k == crate::Dropped::Name)
        );
        let form = peitto_model::codes::by_name("placement_form").unwrap();
        assert_eq!(mapping.decode_code(form, "perhehoito"), Some("PERHEHOITO"));
        assert_eq!(mapping.decode_code(form, "LAITOS"), Some("LAITOSHOITO"));
        assert!(text.contains("# unmatched: \"Weird\""), "{text}");
        assert_eq!(mapping.format.date_style, DateStyle::Iso);
    }
}
