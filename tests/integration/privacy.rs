//! No raw identifier reaches the store; pseudonyms link within a project and
//! not across projects.

use crate::common::*;
use arrow::array::{Array, AsArray};
use calamine::{Data, Reader, Xlsx, open_workbook};
use peitto_mapping::Mapping;
use std::collections::HashSet;

/// Every value of a henkilötunnus or dropped column in the sample files.
fn sensitive_values() -> HashSet<String> {
    let mappings = Mapping::builtins().unwrap();
    let mut headers = HashSet::new();
    for m in &mappings {
        for t in &m.tables {
            for (h, c) in &t.columns {
                if c.kind == peitto_model::Kind::Person {
                    headers.insert(h.to_lowercase());
                }
            }
            for (h, _) in &t.dropped {
                headers.insert(h.to_lowercase());
            }
        }
    }
    let mut values = HashSet::new();
    // Reference data (population, organisations) names no person.
    for path in walk(&sample_data())
        .into_iter()
        .filter(|p| !p.starts_with(sample_data().join("reference")))
    {
        let ext = path.extension().unwrap().to_str().unwrap();
        let rows: Vec<Vec<String>> = match ext {
            "csv" => {
                let bytes = std::fs::read(&path).unwrap();
                let text = match std::str::from_utf8(&bytes) {
                    Ok(t) => t.trim_start_matches('\u{feff}').to_owned(),
                    Err(_) if bytes.starts_with(b"\xEF\xBB\xBF") => {
                        String::from_utf8_lossy(&bytes[3..]).into_owned()
                    }
                    Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
                };
                let delimiter = if text.lines().next().unwrap().contains(';') {
                    b';'
                } else {
                    b','
                };
                csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    .has_headers(false)
                    .flexible(true)
                    .from_reader(text.as_bytes())
                    .records()
                    .map(|r| r.unwrap().iter().map(str::to_owned).collect())
                    .collect()
            }
            "xlsx" => {
                let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
                let name = wb.sheet_names()[0].clone();
                let range = wb.worksheet_range(&name).unwrap();
                range
                    .rows()
                    .map(|r| {
                        r.iter()
                            .map(|c| match c {
                                Data::String(s) => s.clone(),
                                other => other.to_string(),
                            })
                            .collect()
                    })
                    .collect()
            }
            _ => continue,
        };
        let header: Vec<String> = rows[0].iter().map(|h| h.to_lowercase()).collect();
        for row in &rows[1..] {
            for (i, v) in row.iter().enumerate() {
                if header.get(i).is_some_and(|h| headers.contains(h)) && v.trim().len() >= 6 {
                    values.insert(v.trim().to_owned());
                }
            }
        }
    }
    values
}

#[test]
fn no_raw_henkilotunnus_or_name_anywhere_in_the_store() {
    let (_tmp, project) = project();
    ok(&ingest(&project, &[&sample_data()]));
    let sensitive = sensitive_values();
    assert!(sensitive.len() > 5000, "collected {}", sensitive.len());
    assert!(
        sensitive
            .iter()
            .any(|v| peitto_hetu::Hetu::parse(v).is_ok()),
        "codes were collected"
    );
    assert!(
        sensitive
            .iter()
            .any(|v| v.contains(' ') && !v.contains('.')),
        "names were collected"
    );
    // 1. The bytes of every file under store/ and audit/. Every value is at
    // least 6 bytes, so index them by their first 6 and check each position.
    let mut by_prefix: std::collections::HashMap<&[u8], Vec<&[u8]>> =
        std::collections::HashMap::new();
    for v in &sensitive {
        by_prefix
            .entry(&v.as_bytes()[..6])
            .or_default()
            .push(v.as_bytes());
    }
    let find = |bytes: &[u8]| -> Option<String> {
        (0..bytes.len().saturating_sub(5)).find_map(|i| {
            by_prefix
                .get(&bytes[i..i + 6])
                .and_then(|c| c.iter().find(|v| bytes[i..].starts_with(v)))
                .map(|v| String::from_utf8_lossy(v).into_owned())
        })
    };
    let mut scanned = 0;
    for dir in ["store", "audit"] {
        for path in walk(&project.join(dir)) {
            let found = find(&std::fs::read(&path).unwrap());
            assert!(found.is_none(), "{} contains {found:?}", path.display());
            scanned += 1;
        }
    }
    // The same scan does find them where rejected rows are kept whole.
    let quarantined = walk(&project.join("quarantine"));
    assert!(
        quarantined
            .iter()
            .any(|p| find(&std::fs::read(p).unwrap()).is_some()),
        "the scan finds nothing at all"
    );
    assert!(scanned > 10);
    // 2. Parquet compresses, so also scan every decoded text value.
    for t in peitto_model::tables() {
        for batch in table(&project, t.name) {
            for column in batch.columns() {
                if let Some(strings) = column.as_string_opt::<i32>() {
                    for i in 0..strings.len() {
                        if !strings.is_null(i) {
                            let value = strings.value(i);
                            assert!(!sensitive.contains(value), "{}: stored {value:?}", t.name);
                            assert!(
                                peitto_hetu::Hetu::parse(value).is_err(),
                                "{}: stored a henkilötunnus",
                                t.name
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn pseudonyms_link_tables_within_a_project_but_not_across_projects() {
    let (_t1, a) = project();
    let (_t2, b) = project();
    ok(&ingest(&a, &[&sample_data()]));
    ok(&ingest(&b, &[&sample_data()]));
    let keys = |p: &std::path::Path, t: &str| -> HashSet<String> {
        strings(&table(p, t), "person_key")
            .into_iter()
            .flatten()
            .collect()
    };
    let persons_a = keys(&a, "person");
    for t in peitto_model::tables()
        .iter()
        .filter(|t| t.from_source && t.has_person())
    {
        let k = keys(&a, t.name);
        assert!(!k.is_empty(), "{}", t.name);
        assert!(
            k.is_subset(&persons_a),
            "{}: a person_key with no person row",
            t.name
        );
    }
    // Invoice lines and placements are about the same children.
    let placed = keys(&a, "cw_placement");
    let billed = keys(&a, "care_invoice_line");
    let shared = billed.intersection(&placed).count();
    assert!(
        shared * 10 >= billed.len() * 9,
        "{shared} of {} billed children link to placements",
        billed.len()
    );
    // Another project's key gives unrelated pseudonyms.
    assert!(keys(&b, "person").is_disjoint(&persons_a));
    assert_eq!(keys(&b, "person").len(), persons_a.len());
}

#[test]
fn birth_date_sex_and_temporary_flag_come_from_the_code() {
    let (_tmp, project) = project();
    let file = project.join("asiakkaat.csv");
    // 131052-308T: woman born 13.10.1952, normal range; 010594Y9032: man, temporary.
    write_cp1252(
        &file,
        "Henkilötunnus;Sukunimi;Kotikunta;Alkaen;Päättyen\r\n131052-308T;Mäkinen;285;1.1.2020;\r\n010594Y9032;Laine;285;1.1.2021;\r\n",
    );
    ok(&ingest(&project, &[&file]));
    let key = peitto_project::Project::open(&project)
        .unwrap()
        .key()
        .unwrap();
    let mut pseudo = peitto_ingest::pseudo::Pseudonymiser::new(&key);
    let persons = table(&project, "person");
    let keys = strings(&persons, "person_key");
    let sexes = strings(&persons, "sex");
    let births: Vec<i32> = persons
        .iter()
        .flat_map(|b| {
            b.column_by_name("birth_date")
                .unwrap()
                .as_primitive::<arrow::datatypes::Date32Type>()
                .values()
                .to_vec()
        })
        .collect();
    let temps: Vec<bool> = persons
        .iter()
        .flat_map(|b| {
            b.column_by_name("hetu_temporary")
                .unwrap()
                .as_boolean()
                .iter()
                .map(Option::unwrap)
                .collect::<Vec<_>>()
        })
        .collect();
    for (code, sex, birth, temporary) in [
        ("131052-308T", "2", (1952, 10, 13), false),
        ("010594Y9032", "1", (1994, 5, 1), true),
    ] {
        let p = pseudo.person(&peitto_hetu::Hetu::parse(code).unwrap());
        let i = keys
            .iter()
            .position(|k| k.as_deref() == Some(std::str::from_utf8(&p).unwrap()))
            .expect("person stored");
        assert_eq!(sexes[i].as_deref(), Some(sex));
        assert_eq!(
            births[i],
            peitto_model::Date::from_ymd(birth.0, birth.1, birth.2)
                .unwrap()
                .0
        );
        assert_eq!(temps[i], temporary);
    }
}
