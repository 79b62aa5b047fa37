//! Saved reports with "of which" columns (`of_which: part < whole` in the
//! header): no released row may publish a whole and its part that differ
//! by one to four persons, the total row included. An attacker of the
//! saved reports read "44 after-care clients, 43 of them placed" in the
//! total of `after_care_clients`: exactly one was not.

use crate::common::{fresh_sample, ok, peitto, root};
use serde_json::Value;

#[test]
fn no_report_publishes_a_whole_and_its_part_a_few_persons_apart() {
    let (_tmp, project) = fresh_sample();
    ok(&peitto(&[
        "--project",
        project.to_str().unwrap(),
        "report",
        "--all",
        "--year",
        "2025",
    ]));
    let reports = peitto_engine::report::Report::all(&root().join("queries")).unwrap();
    let mut pairs_seen = 0;
    for report in reports.iter().filter(|r| !r.header.of_which.is_empty()) {
        let path = project
            .join("out/reports-2025")
            .join(format!("{}.json", report.id));
        let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let names: Vec<&str> = doc["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        for (part, whole) in &report.header.of_which {
            let at = |name: &str| {
                names
                    .iter()
                    .position(|n| n == &name)
                    .unwrap_or_else(|| panic!("{}: no column {name}", report.id))
            };
            let (p, w) = (at(part), at(whole));
            for row in doc["rows"].as_array().unwrap() {
                let value = |i: usize| row[i]["value"].as_f64();
                if let (Some(p), Some(w)) = (value(p), value(w)) {
                    pairs_seen += 1;
                    let left = w - p;
                    assert!(
                        left == 0.0 || left >= 5.0,
                        "{}: {whole} {w} and {part} {p} published in {row}",
                        report.id
                    );
                }
            }
        }
    }
    // Not vacuous: some pairs are published.
    assert!(pairs_seen > 0);
}
