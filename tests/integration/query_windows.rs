//! Windows of days in measures, and persons who add nothing to a sum: a
//! black-box attacker of the closed query model (2026-12-07) read every
//! placed child's birth date, and the withheld cells of
//! `urgent_and_new_care_orders`, from
//! `AVG(care_days(p.birth_date, p.birth_date, DATE 'd', DATE 'd+1', …))`:
//! the window cut birth dates at a day, the children outside it counted
//! towards the cell's size, and a sum of nobody's days was shown as nil.

use crate::common::{on_sample, sample_project};
use std::collections::{BTreeMap, BTreeSet};

/// (exit status, stdout, stderr) of a JSON query on the sample project.
fn query(sql: &str) -> (bool, serde_json::Value, String) {
    let out = on_sample(&["query", sql, "--format", "json"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let doc = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.success(), doc, err)
}

/// A placement of the sample project's store, its dates as `YYYY-MM-DD`.
struct Placement {
    person: String,
    place: String,
    form: String,
    start: String,
    end: Option<String>,
}

/// Every placement of the sample project's store.
fn placements() -> Vec<Placement> {
    use crate::common::strings;
    let batches =
        peitto_store::read_table(&sample_project().join("store"), "cw_placement").unwrap();
    let dates = |column: &str| -> Vec<Option<String>> {
        let text: Vec<_> = batches
            .iter()
            .map(|b| {
                let c = arrow::compute::cast(
                    b.column_by_name(column).unwrap(),
                    &arrow::datatypes::DataType::Utf8,
                )
                .unwrap();
                arrow::record_batch::RecordBatch::try_from_iter([(column, c)]).unwrap()
            })
            .collect();
        strings(&text, column)
    };
    let (starts, ends) = (dates("start"), dates("end"));
    strings(&batches, "person_key")
        .into_iter()
        .zip(strings(&batches, "municipality_code"))
        .zip(strings(&batches, "form"))
        .zip(starts.into_iter().zip(ends))
        .map(|(((person, place), form), (start, end))| Placement {
            person: person.unwrap(),
            place: place.unwrap(),
            form: form.unwrap(),
            start: start.unwrap(),
            end,
        })
        .collect()
}

/// Birth dates (`YYYY-MM-DD`) of the children placed by each municipality
/// in the sample project's store, with their pseudonyms.
fn placed_births() -> BTreeMap<String, BTreeMap<String, String>> {
    let born: BTreeMap<String, String> = crate::common::persons()
        .into_iter()
        .map(|p| (p.key, p.birth_date))
        .collect();
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for p in placements() {
        let birth = born[&p.person].clone();
        out.entry(p.place).or_default().insert(p.person, birth);
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
    // The day however written (a second tester's finding: only literals
    // were checked), and a month's last day to the next month's first.
    let written_as = |a: &str, b: &str| {
        format!(
            "SELECT pl.municipality_code, AVG(care_days(p.birth_date, p.birth_date, {a}, {b}, 'INCLUSIVE')) AS x \
             FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key GROUP BY 1"
        )
    };
    let ymd = |d: &str| d.replace('-', ", ").replace(", 0", ", ");
    let prev_month_end = peitto_model::date::Date::parse(&format!("{month}-01"))
        .unwrap()
        .add_days(-1)
        .to_string();
    for sql in [
        window(&day, &next, "AVG"),
        window(&day, &next, "SUM"),
        written_as(
            &format!("make_date({})", ymd(&day)),
            &format!("make_date({})", ymd(&next)),
        ),
        written_as(&format!("to_date('{day}')"), &format!("to_date('{next}')")),
        written_as(
            &format!("arrow_cast('{day}', 'Date32')"),
            &format!("arrow_cast('{next}', 'Date32')"),
        ),
        written_as(
            &format!("DATE '{prev_month_end}'"),
            &format!("DATE '{month}-01'"),
        ),
        // The same day chosen by a condition.
        written_as(
            &format!(
                "CASE WHEN p.sex = '1' THEN DATE '{prev_month_end}' ELSE DATE '{prev_month_end}' END"
            ),
            &format!("DATE '{month}-01'"),
        ),
        // A condition of one day through a window.
        format!(
            "SELECT pl.municipality_code, COUNT(DISTINCT pl.person_key) FILTER (WHERE care_days(p.birth_date, p.birth_date, make_date({}), make_date({}), 'INCLUSIVE') > 0) AS n \
             FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key GROUP BY 1",
            ymd(&day),
            ymd(&next)
        ),
        // A condition comparing with a day made of constants.
        format!(
            "SELECT sex, COUNT(*) AS n FROM person WHERE birth_date >= make_date({}) AND birth_date < make_date({}) GROUP BY 1",
            ymd(&day),
            ymd(&next)
        ),
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
    // A parameter's day, through a function.
    let out = on_sample(&[
        "query",
        &written_as("to_date($a)", "to_date($b)"),
        "--param",
        &format!("a={day}"),
        "--param",
        &format!("b={next}"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("condition on person data"),
        "{err}"
    );
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

/// Each person's placements (start, end) as days.
type Placements = BTreeMap<String, Vec<(i32, Option<i32>)>>;

/// Days from the store's `YYYY-MM-DD` text.
fn day(text: &str) -> i32 {
    peitto_model::date::Date::parse(text).unwrap().0
}

#[test]
fn an_average_of_equal_days_is_not_their_exact_value() {
    // A second tester's finding: when every child of a cell had all of
    // March's days the average was exactly 31, which said so of each, and
    // moving a window a day at a time until the average stopped being
    // whole found the youngest child's birth date.
    let (march, april) = (day("2025-03-01"), day("2025-04-01"));
    // Per (municipality, form): each person's placements touching March.
    let mut cells: BTreeMap<(String, String), Placements> = BTreeMap::new();
    for p in placements() {
        let (start, end) = (day(&p.start), p.end.as_deref().map(day));
        if start >= april || end.is_some_and(|e| e < march) {
            continue;
        }
        cells
            .entry((p.place, p.form))
            .or_default()
            .entry(p.person)
            .or_default()
            .push((start, end));
    }
    // Cells of five or more children, each with one placement covering
    // all of March: every child adds 31 days, whatever the day rule.
    let whole: BTreeSet<(String, String)> = cells
        .iter()
        .filter(|(_, persons)| {
            persons.len() >= 5
                && persons.values().all(|p| {
                    p.len() == 1 && p[0].0 <= march && p[0].1.is_none_or(|e| e >= april - 1)
                })
        })
        .map(|(k, _)| k.clone())
        .collect();
    assert!(!whole.is_empty(), "the sample has such cells");
    let (ok, doc, err) = query(
        "SELECT municipality_code, form, AVG(care_days(start, \"end\", DATE '2025-03-01', DATE '2025-04-01', 'INCLUSIVE')) \
         FILTER (WHERE start < DATE '2025-04-01' AND (\"end\" IS NULL OR \"end\" >= DATE '2025-03-01')) AS avg_days \
         FROM cw_placement GROUP BY 1, 2",
    );
    assert!(ok, "{err}");
    let mut seen = 0;
    for row in doc["rows"].as_array().unwrap() {
        let cells = row.as_array().unwrap();
        let key = (
            cells[0]["value"].as_str().unwrap_or_default().to_owned(),
            cells[1]["value"].as_str().unwrap_or_default().to_owned(),
        );
        if !whole.contains(&key) {
            continue;
        }
        if let Some(avg) = cells[2]["value"].as_f64() {
            seen += 1;
            assert!((avg - 31.0).abs() > 1e-9, "{key:?}: exactly 31");
        }
    }
    assert!(seen > 0, "a cell of whole months was published");
}
