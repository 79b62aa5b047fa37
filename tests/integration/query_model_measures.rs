//! The closed query model of `peitto query`, attacked (continued): one
//! mechanism for own SQL, measures keyed by their own persons, nothing
//! aggregated over released rows, joins on stored keys only, no table
//! functions, the grid from the domains, and the limits.

use crate::common::{measures, ok};
use crate::query_model::{assert_refused, keys, lone_birth_month, run};

#[test]
fn own_sql_is_released_under_cell_key_policies_only() {
    let sql = "SELECT sex, COUNT(*) AS n FROM person GROUP BY sex";
    for policy in ["thl", "ely", "public"] {
        assert_refused(sql, &["--policy", policy], &["suppression_policy"]);
    }
    run(sql, &["--policy", "adhoc"]).unwrap();
}

#[test]
fn copies_and_rewrites_of_a_measure_get_the_same_value() {
    // Forty copies of one filtered count: averaging them gains nothing.
    let copies: Vec<String> = (0..40)
        .map(|i| {
            format!("COUNT(DISTINCT CASE WHEN form = 'LAITOSHOITO' THEN person_key END) AS c{i}")
        })
        .collect();
    let doc = run(
        &format!(
            "SELECT municipality_code, {} FROM cw_placement GROUP BY municipality_code",
            copies.join(", ")
        ),
        &[],
    )
    .unwrap();
    for row in doc["rows"].as_array().unwrap() {
        let cells = row.as_array().unwrap();
        let first = &cells[1];
        assert!(cells[1..].iter().all(|c| c == first), "{row}");
    }
    // The same persons, however the condition is written.
    let rewrites = [
        "SELECT municipality_code, COUNT(DISTINCT person_key) AS n FROM cw_placement WHERE form = 'LAITOSHOITO' GROUP BY municipality_code",
        "SELECT municipality_code, COUNT(DISTINCT person_key) FILTER (WHERE form = 'LAITOSHOITO') AS n FROM cw_placement GROUP BY municipality_code",
        "SELECT municipality_code, COUNT(DISTINCT CASE WHEN form IN ('LAITOSHOITO') THEN person_key END) AS n FROM cw_placement GROUP BY municipality_code",
        "SELECT municipality_code, COUNT(DISTINCT CASE WHEN NOT (form <> 'LAITOSHOITO') THEN person_key ELSE NULL END) AS n FROM cw_placement GROUP BY municipality_code",
    ];
    let answers: Vec<Vec<(String, Option<f64>)>> = rewrites
        .iter()
        .map(|s| measures(&run(s, &[]).unwrap()))
        .collect();
    for a in &answers[1..] {
        assert_eq!(a, &answers[0]);
    }
    // Rows of a table of persons are persons.
    let rows = measures(&run("SELECT sex, COUNT(*) AS n FROM person GROUP BY sex", &[]).unwrap());
    let persons = measures(
        &run(
            "SELECT sex, COUNT(DISTINCT person_key) AS n FROM person GROUP BY sex",
            &[],
        )
        .unwrap(),
    );
    let ones = measures(&run("SELECT sex, SUM(1) AS n FROM person GROUP BY sex", &[]).unwrap());
    assert_eq!(rows, persons);
    assert_eq!(rows, ones);
}

#[test]
fn magnitudes_cannot_be_solved_for() {
    // A sum of a constant is the constant times the protected count.
    let doc = run(
        "SELECT municipality_code, COUNT(DISTINCT CASE WHEN form = 'LAITOSHOITO' THEN person_key END) AS n, SUM(CASE WHEN form = 'LAITOSHOITO' THEN 10.0 ELSE 0 END) AS s FROM (SELECT DISTINCT person_key, municipality_code, form FROM cw_placement) t GROUP BY municipality_code",
        &[],
    )
    .unwrap();
    for row in doc["rows"].as_array().unwrap() {
        let (n, s) = (row[1]["value"].as_f64(), row[2]["value"].as_f64());
        match (n, s) {
            (Some(n), Some(s)) => assert!((s - 10.0 * n).abs() < 1e-6, "{row}"),
            (None, None) => {}
            _ => panic!("count and constant sum disagree: {row}"),
        }
    }
    for (sql, codes) in [
        (
            "SELECT form, SUM(amount_eur * 2) FROM care_invoice_line il JOIN cw_placement pl ON pl.placement_id = il.placement_id GROUP BY form",
            &["measure_not_declared"][..],
        ),
        (
            "SELECT municipality_code, SUM(amount_eur + 0) FROM care_invoice_line GROUP BY 1",
            &["measure_not_declared"],
        ),
        (
            "SELECT municipality_code, SUM(CASE WHEN billed_days > 3 THEN amount_eur ELSE 1 END) FROM care_invoice_line GROUP BY 1",
            &["measure_not_declared"],
        ),
        (
            "SELECT municipality_code, SUM(CAST(provider_id AS DOUBLE)) FROM care_invoice_line GROUP BY 1",
            &["may_fail", "measure_not_declared"],
        ),
        (
            "SELECT municipality_code, SUM(EXTRACT(YEAR FROM period_start)) FROM care_invoice_line GROUP BY 1",
            &["measure_not_declared"],
        ),
        (
            "SELECT municipality_code, AVG(DISTINCT amount_eur) FROM care_invoice_line GROUP BY 1",
            &["distinct_other"],
        ),
        (
            "SELECT municipality_code, MAX(amount_eur) FROM care_invoice_line GROUP BY 1",
            &["person_value_aggregate"],
        ),
        (
            "SELECT municipality_code, stddev(amount_eur) FROM care_invoice_line GROUP BY 1",
            &["person_value_aggregate"],
        ),
    ] {
        assert_refused(sql, &[], codes);
    }
    // One person's amounts: withheld, however measured.
    let lone = lone_birth_month("care_invoice_line", "p.birth_date");
    let doc = run(
        &format!("SELECT il.municipality_code, SUM(il.amount_eur) AS s, AVG(il.amount_eur) AS a, COUNT(*) AS n FROM care_invoice_line il JOIN person p ON p.person_key = il.person_key WHERE {lone} GROUP BY 1"),
        &[],
    )
    .unwrap();
    assert!(
        measures(&doc)
            .iter()
            .all(|(s, v)| s == "suppressed" && v.is_none())
    );
}

#[test]
fn nothing_aggregates_over_released_rows() {
    let inner =
        "SELECT municipality_code, COUNT(*) AS c FROM cw_placement GROUP BY municipality_code";
    for sql in [
        format!("SELECT COUNT(*) FROM ({inner}) t"),
        format!("SELECT string_agg(municipality_code, ',') FROM ({inner}) t"),
        format!("SELECT municipality_code, c, SUM(c) OVER () AS s FROM ({inner}) t"),
        format!("SELECT DISTINCT c FROM ({inner}) t"),
        format!("SELECT c, COUNT(*) FROM ({inner}) t GROUP BY c"),
        format!("SELECT MAX(c) FROM ({inner}) t"),
    ] {
        assert_refused(&sql, &[], &["aggregate_over_protected"]);
    }
    // Per-row arithmetic after the aggregate is fine.
    let doc = run(&format!("SELECT municipality_code, c, c * 2 AS twice FROM ({inner}) t ORDER BY municipality_code"), &[]).unwrap();
    for row in doc["rows"].as_array().unwrap() {
        match (row[1]["value"].as_f64(), row[2]["value"].as_f64()) {
            (Some(c), Some(t)) => assert!((t - 2.0 * c).abs() < 1e-9),
            (None, None) => {}
            _ => panic!("{row}"),
        }
    }
}

#[test]
fn joins_keep_the_person_only_on_stored_keys() {
    for (sql, codes) in [
        (
            "SELECT a.sex, COUNT(*) FROM person a JOIN care_invoice_line c ON left(a.person_key, 0) = left(c.line_id, 0) GROUP BY a.sex",
            &["join_loses_unit", "identifier_expression", "not_allowed"][..],
        ),
        (
            "SELECT a.sex, COUNT(*) FROM person a JOIN care_invoice_line c ON a.person_key = c.line_id GROUP BY a.sex",
            &["join_loses_unit"],
        ),
        (
            "SELECT a.sex, COUNT(*) FROM person a JOIN person b ON a.birth_date = b.birth_date GROUP BY a.sex",
            &["join_loses_unit"],
        ),
        (
            "SELECT a.sex, COUNT(*) FROM person a, person b GROUP BY a.sex",
            &["join_loses_unit"],
        ),
        (
            "SELECT pl.form, COUNT(*) FROM cw_placement pl JOIN care_invoice_line il ON il.placement_id = pl.basis_id GROUP BY pl.form",
            &["join_loses_unit"],
        ),
        (
            "SELECT o.name_fi, COUNT(*) FROM person p JOIN organisation o ON o.code = p.person_key GROUP BY 1",
            &["join_loses_unit"],
        ),
        (
            "SELECT pl.form, COUNT(*) FROM cw_placement pl JOIN organisation o ON o.code = substr(pl.municipality_code, 1, 3) GROUP BY 1",
            &["join_on_expression", "not_allowed"],
        ),
        (
            "SELECT pl.form, COUNT(*) FROM cw_placement pl JOIN cw_placement b ON pl.person_key = b.person_key AND pl.start < b.start JOIN person p ON p.birth_date = pl.start GROUP BY 1",
            &["join_loses_unit"],
        ),
    ] {
        assert_refused(sql, &[], codes);
    }
    // The joins a planner needs still work.
    run("SELECT pl.form, SUM(il.amount_eur) AS euros FROM care_invoice_line il JOIN cw_placement pl ON pl.placement_id = il.placement_id GROUP BY pl.form", &[]).unwrap();
    run("SELECT o.parent_code AS county, COUNT(DISTINCT pl.person_key) AS children FROM cw_placement pl JOIN organisation o ON o.code = pl.municipality_code WHERE o.org_type = 'KUNTA' GROUP BY 1", &[]).unwrap();
}

#[test]
fn statements_and_table_functions_are_refused() {
    for (sql, codes) in [
        (
            "SELECT COUNT(*) FROM generate_series(1, 100000000000)",
            &["table_function"][..],
        ),
        (
            "SELECT COUNT(*) FROM range(1, 100000000000) r JOIN person p ON true GROUP BY p.sex",
            &["table_function", "join_loses_unit"],
        ),
        (
            "SELECT sex, COUNT(*) FROM person, unnest([1, 2, 3]) GROUP BY sex",
            &["table_function", "join_loses_unit"],
        ),
        (
            "CREATE TABLE leak AS SELECT * FROM person",
            &["unsupported"],
        ),
        (
            "COPY (SELECT * FROM person) TO '/tmp/peitto-leak-2.csv'",
            &["unsupported"],
        ),
        ("EXPLAIN SELECT * FROM person", &["unsupported"]),
        ("INSERT INTO person SELECT * FROM person", &["unsupported"]),
        (
            "SELECT * FROM information_schema.columns",
            &["table_function"],
        ),
    ] {
        assert_refused(sql, &[], codes);
    }
    assert!(!std::path::Path::new("/tmp/peitto-leak-2.csv").exists());
}

#[test]
fn the_grid_comes_from_the_domains_not_the_data() {
    let all = run("SELECT form, EXTRACT(YEAR FROM start) AS y, COUNT(DISTINCT person_key) AS n FROM cw_placement WHERE EXTRACT(YEAR FROM start) = 2025 GROUP BY 1, 2", &[]).unwrap();
    let none = run("SELECT form, EXTRACT(YEAR FROM start) AS y, COUNT(DISTINCT person_key) AS n FROM cw_placement WHERE EXTRACT(YEAR FROM start) = 2025 AND 1 = 0 GROUP BY 1, 2", &[]).unwrap();
    assert_eq!(keys(&all), keys(&none));
    // Every placement form of the code list, for the one year asked.
    assert_eq!(
        keys(&all).len(),
        peitto_model::codes::PLACEMENT_FORM.codes.len()
    );
    assert!(
        measures(&none)
            .iter()
            .all(|(s, v)| s == "suppressed" && v.is_none())
    );
    // Bins the query declares are its rows.
    let doc = run("SELECT CASE WHEN billed_days > 21 THEN 'long' WHEN billed_days > 0 THEN 'short' ELSE 'none' END AS k, COUNT(*) AS n FROM care_invoice_line GROUP BY 1", &[]).unwrap();
    let mut k: Vec<String> = keys(&doc).into_iter().map(|r| r[0].clone()).collect();
    k.sort();
    assert_eq!(k, ["\"long\"", "\"none\"", "\"short\""]);
}

#[test]
fn a_query_past_its_memory_limit_releases_nothing() {
    let (_tmp, dir) = crate::common::project();
    ok(&crate::common::ingest(
        &dir,
        &[&crate::common::sample_data()],
    ));
    let config = dir.join("peitto.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("memory_limit_mib = 4096", "memory_limit_mib = 0"),
    )
    .unwrap();
    let out = crate::common::peitto(&[
        "--project",
        dir.to_str().unwrap(),
        "query",
        "SELECT municipality_code, COUNT(DISTINCT person_key) AS n FROM care_invoice_line GROUP BY 1",
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("memory"), "{stderr}");
}
