//! Where `peitto report` publishes: a subset of reports has its own folder
//! and never replaces the files `--all` published (found by a black-box
//! tester: two reports run together replaced `reports-YEAR`, deleting the
//! other fifteen reports' files).

use crate::common::{ok, on_sample, sample_project};

#[test]
fn a_subset_of_reports_leaves_the_other_reports_files_in_place() {
    let out = |name: &str| sample_project().join("out").join(name);
    ok(&on_sample(&["report", "--all", "--year", "2022"]));
    let all = out("reports-2022");
    let others = all.join("children_in_care.json");
    assert!(others.is_file());
    ok(&on_sample(&[
        "report",
        "placed_children",
        "care_costs",
        "--year",
        "2022",
    ]));
    // The subset's folder, named by its reports in order, whatever order
    // they were asked in.
    let subset = out("care_costs+placed_children-2022");
    assert!(subset.join("care_costs.json").is_file());
    assert!(subset.join("placed_children.json").is_file());
    assert!(!subset.join("children_in_care.json").exists());
    // `--all`'s files are all still there.
    assert!(others.is_file(), "the subset replaced reports-2022");
    assert!(all.join("care_costs.json").is_file());
}
