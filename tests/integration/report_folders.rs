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

#[test]
fn a_year_no_register_can_have_is_refused_before_anything_is_written() {
    // A typo's 20205 made a folder and a release of empty tables, and a
    // dashboard of 10 000 years would run until stopped.
    let out = sample_project().join("out");
    for args in [
        &["report", "placed_children", "--year", "20205"][..],
        &["report", "--all", "--year=-5"][..],
        &[
            "dashboard",
            "build",
            "--out",
            "/nonexistent/board",
            "--years",
            "10000",
        ][..],
    ] {
        let o = on_sample(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--year"),
            "{args:?}"
        );
    }
    assert!(!out.join("placed_children-20205").exists());
}

#[test]
fn a_year_that_has_not_ended_gets_no_saved_report() {
    // Reports of years not over are nested (a later year's children still
    // placed are an earlier one's less those whose placement ended): an
    // attacker differenced 2026 and 2027 to two boys that placed_children
    // 2025 withholds. Whatever year it is now, next year is not over.
    let next = peitto_jobs::last_complete_year(peitto_jobs::now_seconds()) + 2;
    let year = next.to_string();
    for args in [
        &["report", "placed_children", "--year", &year][..],
        &[
            "--lang",
            "fi",
            "report",
            "--package",
            "thl-lastensuojelu",
            "--year",
            &year,
        ][..],
    ] {
        let o = on_sample(args);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&year)
                && (stderr.contains("not ended") || stderr.contains("ei ole päättynyt")),
            "{stderr}"
        );
    }
    let out = sample_project().join("out");
    assert!(!out.join(format!("placed_children-{year}")).exists());
    assert!(!out.join(format!("thl-lastensuojelu-{year}")).exists());
}
