//! Saved reports that count the same persons in a cell protect it alike,
//! in whichever order they run. An attacker read 239 placed children in
//! the total of `placement_day_bands`, the same children as the grand
//! total `placed_children` withheld, and with its published girls had the
//! boys.

use crate::common::{fresh_sample, ok, peitto, report_json};
use serde_json::Value;

/// The children of the row whose dimension values are `key` in a
/// report's JSON release (None when withheld).
fn children(doc: &Value, key: &[&str]) -> Option<f64> {
    let names = crate::common::column_names(doc);
    let at = names.iter().position(|n| *n == "children").unwrap();
    let dims: Vec<usize> = doc["columns"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, c)| c["role"] == "dimension")
        .map(|(i, _)| i)
        .collect();
    let row = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| {
            dims.iter().zip(key).all(|(&d, want)| {
                let cell = &row[d];
                match cell["value"].as_str() {
                    Some(v) => v == *want,
                    None => cell["status"] == "total" && *want == "TOTAL",
                }
            })
        })
        .unwrap_or_else(|| panic!("no row {key:?}"));
    let cell = &row[at];
    (cell["status"] != "suppressed").then(|| cell["value"].as_f64().unwrap())
}

#[test]
fn two_reports_counting_the_same_children_withhold_or_publish_them_both() {
    for order in [
        ["placed_children", "placement_day_bands"],
        ["placement_day_bands", "placed_children"],
    ] {
        let (_tmp, project) = fresh_sample();
        let mut released: Vec<(&str, Value)> = Vec::new();
        for report in order {
            released.push((report, report_json(&project, report, 2025)));
        }
        let doc = |id: &str| &released.iter().find(|(r, _)| *r == id).unwrap().1;
        // Every child placed in 2025: the whole country's row of both sexes
        // and all ages, and the total of the placement-time bands.
        let placed = children(doc("placed_children"), &["SSS", "TOTAL", "TOTAL"]);
        let bands = children(doc("placement_day_bands"), &["TOTAL"]);
        assert_eq!(placed, bands, "run in the order {order:?}");
    }
}

/// Running a report again never publishes a cell it withheld before: an
/// attacker who ran `placed_children`, then `placement_day_bands`, then
/// `placed_children` again had two patterns of one table, which together
/// tell more than either.
#[test]
fn a_report_run_again_after_another_publishes_the_same_pattern() {
    let (_tmp, project) = fresh_sample();
    let first = report_json(&project, "placed_children", 2023);
    report_json(&project, "placement_day_bands", 2023);
    report_json(&project, "children_in_care", 2023);
    let again = report_json(&project, "placed_children", 2023);
    assert_eq!(again["rows"], first["rows"]);
}

/// Within one report too: `integration_outcomes` published the persons
/// followed up at three months (11) and withheld the same persons at six,
/// and `actual_cost_claims` a month's total and withheld the county's cell
/// of the same claimants. Run again, the report then saw its own published
/// cell known and could release nothing, for good. Cells of the same
/// persons now share their status, and a report runs again.
#[test]
fn a_report_with_cells_of_the_same_persons_runs_again() {
    let (_tmp, project) = fresh_sample();
    let p = project.to_str().unwrap();
    for (report, year) in [
        ("integration_outcomes", "2024"),
        ("actual_cost_claims", "2023"),
    ] {
        ok(&peitto(&["--project", p, "report", report, "--year", year]));
        ok(&peitto(&["--project", p, "report", report, "--year", year]));
    }
    ok(&peitto(&[
        "--project",
        p,
        "report",
        "--all",
        "--year",
        "2024",
    ]));
}

#[test]
fn a_report_released_under_two_policies_publishes_one_pattern() {
    // The ELY package releases `actual_cost_claims` under its policy and
    // `report --all` under the report's own: two patterns of one table,
    // which differed in empty cells (a zero published in one, withheld
    // to protect a small cell in the other). Empty cells have no persons
    // to link them by, so they are linked by their place in the report
    // and year; the second release keeps the first one's pattern.
    let (_tmp, project) = fresh_sample();
    let p = project.to_str().unwrap();
    // Each row's cells: withheld or not.
    let withheld = |doc: &Value| -> Vec<Vec<bool>> {
        doc["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                row.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["status"] == "suppressed")
                    .collect()
            })
            .collect()
    };
    for year in ["2023", "2024", "2025"] {
        let read = |dir: &str| -> Value {
            let path = project
                .join("out")
                .join(dir)
                .join("actual_cost_claims.json");
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
        };
        ok(&peitto(&[
            "--project",
            p,
            "report",
            "--package",
            "ely-kotoutuminen",
            "--year",
            year,
        ]));
        ok(&peitto(&[
            "--project",
            p,
            "report",
            "--all",
            "--year",
            year,
        ]));
        let package = read(&format!("ely-kotoutuminen-{year}/fi"));
        let all = read(&format!("reports-{year}"));
        let (a, b) = (withheld(&package), withheld(&all));
        assert_eq!(a.len(), b.len());
        for (n, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(
                x, y,
                "{year}: {} and {}",
                package["rows"][n], all["rows"][n]
            );
        }
    }
}
