//! The viewer on a small bundle: what it selects, names and marks.

use crate::{Bundle, State};
use arrow_array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use std::sync::Arc;

const MANIFEST: &str = r#"{
  "release": "abc", "policy": "thl", "symbol": "..",
  "pages": [{"id": "placements",
    "headline": [{"table": "placed", "measure": "children"}],
    "blocks": [
      {"table": "placed", "kind": "areas", "axis": "municipality_code", "measures": ["children", "per_1000"]},
      {"table": "placed", "kind": "trend", "axis": "year", "measures": ["children"]},
      {"table": "placed", "kind": "breakdown", "axis": "form", "measures": ["children"]}]}],
  "tables": [{"id": "placed", "file": "placed.arrow", "titles": {"fi": "Sijoitetut"},
    "columns": [
      {"name": "year", "role": "dimension", "filter": "year", "labels": {}},
      {"name": "municipality_code", "role": "dimension", "filter": "area", "labels": {}},
      {"name": "form", "role": "dimension", "filter": null, "labels": {}},
      {"name": "children", "role": "measure", "filter": null, "labels": {}},
      {"name": "per_1000", "role": "measure", "filter": null, "labels": {}}]}],
  "areas": {"HV01": {"fi": "Pohjanmaa", "sv": "Österbotten"}, "HV02": {"fi": "Lappi", "sv": "Lappland"},
            "001": {"fi": "Pietarsaari", "sv": "Jakobstad"}, "002": {"fi": "Vaasa", "sv": "Vasa"}},
  "parents": {"001": "HV01", "002": "HV01", "HV01": "SSS", "HV02": "SSS"},
  "codes": {"form": {"LAITOSHOITO": {"fi": "Laitoshoito", "sv": "Anstaltsvård"}}}
}"#;

/// (year, area, form, children, per 1 000); `None` form: the total.
type Row = (
    i32,
    &'static str,
    Option<&'static str>,
    Option<f64>,
    Option<f64>,
);

const ROWS: &[Row] = &[
    (2024, "SSS", None, Some(40.0), Some(4.0)),
    (2025, "SSS", None, Some(52.0), Some(5.2)),
    (2025, "HV01", None, Some(30.0), Some(6.0)),
    (2025, "HV02", None, Some(22.0), Some(4.4)),
    (2025, "001", None, None, None),
    (2025, "002", None, Some(27.0), Some(6.1)),
    (2025, "SSS", Some("LAITOSHOITO"), Some(11.0), None),
];

fn bundle() -> Bundle {
    let schema = Arc::new(Schema::new(vec![
        Field::new("year", DataType::Int32, false),
        Field::new("municipality_code", DataType::Utf8, true),
        Field::new("form", DataType::Utf8, true),
        Field::new("children", DataType::Float64, true),
        Field::new("per_1000", DataType::Float64, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from_iter_values(ROWS.iter().map(|r| r.0))),
        Arc::new(StringArray::from_iter(ROWS.iter().map(|r| Some(r.1)))),
        Arc::new(StringArray::from_iter(ROWS.iter().map(|r| r.2))),
        Arc::new(Float64Array::from_iter(ROWS.iter().map(|r| r.3))),
        Arc::new(Float64Array::from_iter(ROWS.iter().map(|r| r.4))),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let mut bytes = Vec::new();
    let mut w = arrow_ipc::writer::FileWriter::try_new(&mut bytes, &schema).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    drop(w);
    let mut b = Bundle::new(MANIFEST).unwrap();
    b.add_table("placed", &bytes).unwrap();
    b
}

fn state(pairs: &[(&str, &str)]) -> State {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn texts(rows: &[Vec<crate::CellView>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| r.iter().map(|c| c.text.clone()).collect())
        .collect()
}

#[test]
fn all_areas_compares_the_counties_by_name_one_level() {
    let view = bundle().view(&state(&[("lang", "sv")]));
    let areas = &view.sections[0];
    assert_eq!(
        texts(&areas.rows),
        [["Lappland", "22", "4,4"], ["Österbotten", "30", "6"]]
    );
    assert_eq!(areas.charts.len(), 2, "count and rate charts");
}

#[test]
fn a_county_shows_its_municipalities_and_a_municipality_its_peers() {
    let b = bundle();
    for area in ["HV01", "001"] {
        let view = b.view(&state(&[("lang", "fi"), ("area", area)]));
        let rows = &view.sections[0].rows;
        assert_eq!(texts(rows)[0], ["Pietarsaari", "..", ".."]);
        assert!(rows[0][1].withheld && !rows[1][1].withheld);
        assert_eq!(texts(rows)[1][0], "Vaasa");
    }
}

#[test]
fn every_number_shown_is_a_released_cell() {
    let view = bundle().view(&state(&[("lang", "en")]));
    let released: Vec<f64> = ROWS.iter().flat_map(|r| [r.3, r.4]).flatten().collect();
    for s in &view.sections {
        for row in &s.rows {
            for cell in row.iter().filter(|c| c.numeric && !c.withheld) {
                let v: f64 = cell.text.replace(',', "").parse().unwrap();
                assert!(
                    released.contains(&v),
                    "{} is not a released cell",
                    cell.text
                );
            }
        }
    }
    // The breakdown: categories by name, the total left out.
    assert_eq!(texts(&view.sections[2].rows), [["LAITOSHOITO", "11"]]);
    let fi = bundle().view(&state(&[("lang", "fi")]));
    assert_eq!(texts(&fi.sections[2].rows), [["Laitoshoito", "11"]]);
}

#[test]
fn the_headline_has_last_years_value_and_the_change() {
    let view = bundle().view(&state(&[("lang", "fi")]));
    let f = &view.headline[0];
    assert_eq!(f.value.text, "52");
    assert!(f.change.starts_with("2024: 40"), "{}", f.change);
    assert!(f.change.contains("+12"), "{}", f.change);
    // A withheld value has no change.
    let view = bundle().view(&state(&[("lang", "fi"), ("area", "001")]));
    assert!(view.headline[0].value.withheld);
}

#[test]
fn the_csv_holds_the_rows_shown() {
    let view = bundle().view(&state(&[("lang", "fi"), ("area", "HV01")]));
    let s = &view.sections[0];
    let data: Vec<&str> = s.csv.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(data.len(), 1 + s.rows.len());
    assert_eq!(data[1], "Pietarsaari,..,..");
    assert_eq!(data[2], "Vaasa,27,6.1");
}
