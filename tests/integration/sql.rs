//! Register SQL over a real store: `peitto sql` for report authors only, and
//! the saved reports running on the ingested sample data.

use crate::common::*;

#[test]
fn sql_is_for_listed_authors_only() {
    let (_tmp, project) = project();
    ok(&ingest(&project, &[&sample_data()]));
    let query = [
        "--project",
        project.to_str().unwrap(),
        "sql",
        "SELECT COUNT(*) AS n FROM cw_placement",
    ];
    let refused = peitto(&query);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("peitto query") && stderr.contains(&whoami()),
        "{stderr}"
    );
    assert!(refused.stdout.is_empty(), "nothing unprotected is printed");

    add_author(&project, &whoami());
    let out = peitto(&query);
    let stdout = ok(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("UNPROTECTED"));
    assert!(
        stdout.contains(&rows(&project, "cw_placement").to_string()),
        "{stdout}"
    );
}

#[test]
fn saved_reports_run_on_the_sample_store_with_bound_parameters() {
    let (_tmp, project) = project();
    ok(&ingest(&project, &[&sample_data()]));
    add_author(&project, &whoami());
    let reports = peitto_engine::report::Report::all(&root().join("queries")).unwrap();
    assert!(!reports.is_empty());
    let report = reports.iter().find(|r| r.id == "placed_children").unwrap();
    assert_eq!(report.params(), vec!["year"]);
    assert_eq!(report.header.policy, "thl");
    let out = ok(&peitto(&[
        "--project",
        project.to_str().unwrap(),
        "sql",
        &report.sql,
        "--param",
        "year=2025",
    ]));
    // Every municipality of the sample appears, each row with a population and a percentage.
    for code in ["285", "240", "895", "598"] {
        assert!(
            out.contains(&format!("| {code} ")),
            "{code} missing:\n{out}"
        );
    }
    assert!(
        !out.contains("NULL"),
        "every age and sex has a population row:\n{out}"
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let total: i64 = runtime.block_on(async {
        let engine = peitto_engine::Engine::open(&project.join("store"))
            .await
            .unwrap();
        let params = [("year".to_owned(), peitto_engine::Scalar::Int64(Some(2025)))]
            .into_iter()
            .collect();
        let batches = engine.sql(&report.sql, &params).await.unwrap();
        batches
            .iter()
            .map(|b| {
                use arrow::array::AsArray;
                b.column_by_name("children")
                    .unwrap()
                    .as_primitive::<arrow::datatypes::Int64Type>()
                    .iter()
                    .flatten()
                    .sum::<i64>()
            })
            .sum()
    });
    assert!(total > 100, "{total} children placed in 2025 in the sample");
}

#[test]
fn compensation_rates_come_from_peitto_toml() {
    let (_tmp, project) = project();
    add_author(&project, &whoami());
    // A child of 8 in a window that covers March 2027.
    let month = [
        "--project",
        project.to_str().unwrap(),
        "sql",
        "SELECT compensation_month(DATE '2019-01-01', DATE '2027-03-01', \
         DATE '2026-06-01', DATE '2028-06-01') * 12 AS yearly",
    ];
    assert!(ok(&peitto(&month)).contains("1955"), "the built-in rate");
    // New rates from 2027 on: that month uses them, 2026 keeps the old ones.
    let config = project.join("peitto.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text = text.replacen(
        "[[compensation.rates]]",
        "[[compensation.rates]]\nfrom_year = 2027\nunder_7 = 7000\nfrom_7 = 2100\n\n[[compensation.rates]]",
        1,
    );
    std::fs::write(&config, text).unwrap();
    assert!(ok(&peitto(&month)).contains("2100"), "the configured rate");
    let earlier: Vec<String> = month
        .iter()
        .map(|a| a.replace("DATE '2027-03-01'", "DATE '2026-12-01'"))
        .collect();
    let earlier: Vec<&str> = earlier.iter().map(String::as_str).collect();
    assert!(ok(&peitto(&earlier)).contains("1955"), "the rate of 2026");
}

#[test]
fn the_working_day_rule_is_a_parameter_with_the_statutory_rule_by_default() {
    let (_tmp, project) = project();
    ok(&ingest(&project, &[&sample_data()]));
    let report = peitto_engine::report::Report::all(&root().join("queries"))
        .unwrap()
        .into_iter()
        .find(|r| r.id == "notification_time_limits")
        .unwrap();
    assert_eq!(report.params(), vec!["from", "until", "working_day_rule"]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // (matters opened, decided in 7 working days) over all municipalities.
    let run = |params: std::collections::BTreeMap<String, peitto_engine::Scalar>| {
        runtime.block_on(async {
            let engine = peitto_engine::Engine::open(&project.join("store"))
                .await
                .unwrap();
            let batches = engine.sql(&report.sql, &params).await.unwrap();
            let sum = |column: &str| -> Option<i64> {
                use arrow::array::{Array, AsArray};
                let mut total = None;
                for b in &batches {
                    let c = b
                        .column_by_name(column)
                        .unwrap()
                        .as_primitive::<arrow::datatypes::Int64Type>();
                    for i in 0..c.len() {
                        if c.is_valid(i) {
                            total = Some(total.unwrap_or(0) + c.value(i));
                        }
                    }
                }
                total
            };
            (sum("matters_opened"), sum("decided_in_7"))
        })
    };
    let with_rule = |rule: &str| {
        let mut params = report.params_for_year(2025);
        params.insert(
            "working_day_rule".to_owned(),
            peitto_engine::Scalar::Utf8(Some(rule.to_owned())),
        );
        run(params)
    };
    // A release binds what params_for_year gives: the default rule, the
    // Act on the Calculation of Statutory Time Limits (150/1930).
    let released = run(report.params_for_year(2025));
    let statutory = with_rule("STATUTORY");
    let eves_off = with_rule("EVES_OFF");
    let eves_working = with_rule("EVES_WORKING");
    assert_eq!(released, statutory);
    let (Some(matters), Some(off)) = eves_off else {
        panic!("no matters in the sample: {eves_off:?}");
    };
    assert!(matters > 50 && off > 0 && off <= matters, "{eves_off:?}");
    // The rule changes which matters were in time, never which were opened.
    assert_eq!(statutory.0, Some(matters));
    assert_eq!(eves_working.0, Some(matters));
    // Counting the Eves as working days can only make decisions later; the
    // statutory limit never ends later than the count with the Eves off.
    assert!(eves_working.1.unwrap() <= off, "{eves_working:?}");
    assert!(statutory.1.unwrap() <= off, "{statutory:?} {eves_off:?}");
    // An unknown rule gives no 7-day figure.
    assert_eq!(with_rule("EVES").1, None);
}
