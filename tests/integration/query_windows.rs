//! Windows of days in measures, and persons who add nothing to a sum: a
//! black-box attacker of the closed query model (2026-12-07) read every
//! placed child's birth date, and the withheld cells of
//! `urgent_and_new_care_orders`, from
//! `AVG(care_days(p.birth_date, p.birth_date, DATE 'd', DATE 'd+1', …))`:
//! the window cut birth dates at a day, the children outside it counted
//! towards the cell's size, and a sum of nobody's days was shown as nil.

use crate::common::{on_sample, sample_project};
use arrow::array::AsArray;
use std::collections::{BTreeMap, BTreeSet};

/// (exit status, stdout, stderr) of a JSON query on the sample project.
fn query(sql: &str) -> (bool, serde_json::Value, String) {
    let out = on_sample(&["query", sql, "--format", "json"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.success(), doc, err)
}

/// Birth dates (`YYYY-MM-DD`) of the children placed by each municipality
/// in the sample project's store, with their pseudonyms.
fn placed_births() -> BTreeMap<String, BTreeMap<String, String>> {
    let store = sample_project().join("store");
    let born: BTreeMap<String, String> = crate::common::persons()
        .into_iter()
        .map(|p| (p.key, p.birth_date))
        .collect();
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for b in peitto_store::read_table(&store, "cw_placement").unwrap() {
        let keys = b.column_by_name("person_key").unwrap().as_string::<i32>();
        let places = b
            .column_by_name("municipality_code")
            .unwrap()
            .as_string::<i32>();
        for i in 0..b.num_rows() {
            let key = keys.value(i);
            out.entry(places.value(i).to_owned())
                .or_default()
                .insert(key.to_owned(), born[key].clone());
        }
    }
    out
}

/// The first day of the month after `ym` (`YYYY-MM`).
fn next_month(ym: &str) -> String {
    let (y, m) = ym.split_once('-').unwrap();
    let (y, m): (i32, u32) = (y.parse().unwrap(), m.parse().unwrap());
    if m == 12 {
        format!("{}-01-01", y + 1)
    } else {
        format!("{y}-{:02}-01", m + 1)
    }
}

#[test]
fn a_window_of_fixed_days_in_a_measure_is_refused() {
    let births = placed_births();
    // A day on which a placed child of the sample was born.
    let day = births
        .values()
        .flat_map(|m| m.values())
        .find(|d| !d.ends_with("-01"))
        .unwrap()
        .clone();
    let next = peitto_model::date::Date::parse(&day)
        .unwrap()
        .add_days(1)
        .to_string();
    let month = &day[..7];
    let window = |a: &str, b: &str, of: &str| {
        format!(
            "SELECT pl.municipality_code, {of}(care_days(p.birth_date, p.birth_date, DATE '{a}', DATE '{b}', 'INCLUSIVE')) AS x \
             FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key GROUP BY 1"
        )
    };
    for sql in [
        window(&day, &next, "AVG"),
        window(&day, &next, "SUM"),
        // A placement's own dates against a window of one day.
        format!(
            "SELECT form, SUM(care_days(start, \"end\", DATE '{day}', DATE '{next}', 'STATISTICAL')) AS d FROM cw_placement GROUP BY 1"
        ),
        // Month edges, but the birth date moved by days.
        format!(
            "SELECT pl.municipality_code, AVG(care_days(p.birth_date + INTERVAL '3 days', p.birth_date + INTERVAL '3 days', DATE '{month}-01', DATE '{}', 'INCLUSIVE')) AS x \
             FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key GROUP BY 1",
            next_month(month)
        ),
    ] {
        let (ok, doc, err) = query(&sql);
        assert!(!ok, "released: {sql}\n{doc}");
        assert!(
            err.contains("condition on person data"),
            "not named as a fine condition: {err}"
        );
    }
    // A window of whole months is a measure as the README uses it.
    let (ok, _, err) = query(&window(&format!("{month}-01"), &next_month(month), "AVG"));
    assert!(ok, "{err}");
}

#[test]
fn persons_who_add_nothing_to_a_sum_do_not_make_its_cell() {
    let births = placed_births();
    // Months of birth in a year with several placed children born, each
    // as a measure over every municipality's placed children.
    let year = "2013";
    let months: Vec<String> = (1..=12).map(|m| format!("{year}-{m:02}")).collect();
    let columns: Vec<String> = months
        .iter()
        .map(|m| {
            format!(
                "AVG(care_days(p.birth_date, p.birth_date, DATE '{m}-01', DATE '{}', 'INCLUSIVE')) AS \"{m}\"",
                next_month(m)
            )
        })
        .collect();
    let sql = format!(
        "SELECT pl.municipality_code, {} FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key GROUP BY 1",
        columns.join(", ")
    );
    let (ok, doc, err) = query(&sql);
    assert!(ok, "{err}");
    let mut checked = BTreeSet::new();
    for row in doc["rows"].as_array().unwrap() {
        let cells = row.as_array().unwrap();
        let place = cells[0]["value"].as_str().unwrap();
        let placed = births.get(place).map_or(0, BTreeMap::len);
        for (m, cell) in months.iter().zip(&cells[1..]) {
            let born = births
                .get(place)
                .map_or(0, |b| b.values().filter(|d| d.starts_with(m)).count());
            let status = cell["status"].as_str().unwrap();
            // Nil would say that nobody was born that month, a value of a
            // cell of one to four children would say who: both withheld,
            // however many children the municipality placed.
            assert_ne!(status, "nil", "{place} {m}: nil tells who was not born");
            if born < 5 {
                assert_eq!(
                    status, "suppressed",
                    "{place} {m}: {born} of {placed} children born, published"
                );
                checked.insert(born);
            }
        }
    }
    // The sample has both months with nobody and months with one to four.
    assert!(checked.contains(&0) && checked.iter().any(|&n| (1..5).contains(&n)));
}
