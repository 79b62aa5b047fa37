//! The closed query model on an in-memory engine: the grammar's verdicts
//! and a release end to end, without a store or the binary.

use super::*;
use crate::test_support::{engine, runtime, seven_women_two_men};

fn verdict(sql: &str) -> Result<grammar::Checked, QueryError> {
    runtime().block_on(check(&engine(&[]), sql, &BTreeMap::new()))
}

fn refusal(sql: &str) -> &'static str {
    match verdict(sql) {
        Err(QueryError::Refused(r)) => r.code(),
        Err(other) => panic!("{sql}: {other}"),
        Ok(_) => panic!("{sql}: allowed"),
    }
}

#[test]
fn dimensions_need_a_declared_domain() {
    assert_eq!(
        refusal("SELECT CAST(birth_date AS VARCHAR) AS b, COUNT(*) FROM person GROUP BY 1"),
        "no_domain"
    );
    assert_eq!(
        refusal("SELECT birth_date, COUNT(*) FROM person GROUP BY 1"),
        "groups_by_identifier"
    );
    let ok = verdict(
        "SELECT sex, EXTRACT(YEAR FROM birth_date) AS y, CASE WHEN age_at_year_end(birth_date, 2025) < 7 THEN 'small' ELSE 'big' END AS a, COUNT(*) FROM person GROUP BY 1, 2, 3",
    )
    .unwrap();
    let domains = &ok.aggregates[0].domains;
    assert!(matches!(domains[0], roles::Domain::Codes(_)));
    assert_eq!(domains[1], roles::Domain::Years);
    assert!(matches!(&domains[2], roles::Domain::Literals(v) if v.len() == 2));
}

#[test]
fn identifiers_only_join_and_count() {
    for sql in [
        "SELECT sex, COUNT(*) FROM person WHERE person_key LIKE 'a%' GROUP BY sex",
        "SELECT length(person_key) AS l, COUNT(*) FROM person GROUP BY 1",
        "SELECT sex, COUNT(*) FROM person WHERE CAST(person_key AS VARCHAR) = 'x' GROUP BY sex",
    ] {
        assert_eq!(refusal(sql), "identifier_expression", "{sql}");
    }
    assert_eq!(
        refusal(
            "SELECT a.sex, COUNT(*) FROM person a JOIN cw_placement b ON a.person_key = b.placement_id GROUP BY 1"
        ),
        "join_loses_unit"
    );
    verdict("SELECT a.sex, COUNT(DISTINCT a.person_key) FROM person a JOIN cw_placement b ON a.person_key = b.person_key GROUP BY 1").unwrap();
}

#[test]
fn measures_are_declared_and_classified() {
    let checked = verdict(
        "SELECT municipality_code, COUNT(DISTINCT person_key) AS a, COUNT(*) AS b, SUM(CASE WHEN billed_days > 7 THEN 10 ELSE 0 END) AS c, SUM(amount_eur) AS d, AVG(unit_price) FILTER (WHERE billed_days > 0) AS e FROM care_invoice_line GROUP BY 1",
    )
    .unwrap();
    let m: Vec<&Measure> = checked.aggregates[0]
        .measures
        .iter()
        .map(|m| &m.measure)
        .collect();
    assert_eq!(m[0], &Measure::Persons);
    assert_eq!(m[1], &Measure::Records { scale: 1.0 });
    assert_eq!(m[2], &Measure::Records { scale: 10.0 });
    assert!(matches!(m[3], Measure::Sum(_)));
    assert!(matches!(m[4], Measure::Avg(_)));
    assert!(checked.aggregates[0].measures[2].filter.is_some());
    assert_eq!(
        refusal("SELECT municipality_code, SUM(amount_eur * 2) FROM care_invoice_line GROUP BY 1"),
        "measure_not_declared"
    );
    assert_eq!(
        refusal("SELECT municipality_code, MIN(amount_eur) FROM care_invoice_line GROUP BY 1"),
        "person_value_aggregate"
    );
}

#[test]
fn operations_that_can_fail_on_data_are_refused_before_running() {
    for sql in [
        "SELECT municipality_code, COUNT(*) FROM care_invoice_line WHERE 100 / billed_days > 1 GROUP BY 1",
        "SELECT municipality_code, COUNT(*) FROM care_invoice_line WHERE billed_days / 0 > 1 GROUP BY 1",
        "SELECT municipality_code, COUNT(*) FROM cw_placement WHERE CAST(provider_id AS INT) > 1 GROUP BY 1",
    ] {
        assert_eq!(refusal(sql), "may_fail", "{sql}");
    }
    // Total, so they cannot fail; but a condition on them is finer than a
    // declared class (billed_days / 7 > 1.3 is billed_days > 9.1).
    for sql in [
        "SELECT municipality_code, COUNT(*) FROM care_invoice_line WHERE billed_days / 7 > 1 GROUP BY 1",
        "SELECT municipality_code, COUNT(*) FROM cw_placement WHERE TRY_CAST(provider_id AS INT) > 1 GROUP BY 1",
    ] {
        assert_eq!(refusal(sql), "fine_condition", "{sql}");
    }
    verdict("SELECT municipality_code, COUNT(*) FROM care_invoice_line WHERE billed_days > 7 GROUP BY 1").unwrap();
    verdict("SELECT municipality_code, COUNT(*) FROM cw_placement WHERE provider_id IS NOT NULL GROUP BY 1").unwrap();
}

#[test]
fn nothing_runs_over_released_rows_but_per_row_arithmetic() {
    let inner = "SELECT sex, COUNT(*) AS n FROM person GROUP BY sex";
    assert_eq!(
        refusal(&format!("SELECT SUM(n) FROM ({inner}) t")),
        "aggregate_over_protected"
    );
    assert_eq!(
        refusal(&format!(
            "SELECT sex, n, RANK() OVER (ORDER BY n) FROM ({inner}) t"
        )),
        "aggregate_over_protected"
    );
    verdict(&format!(
        "SELECT sex, n * 1000.0 / 5 AS r FROM ({inner}) t WHERE n > 3 ORDER BY r"
    ))
    .unwrap();
}

#[test]
fn a_release_lists_the_whole_grid_and_withholds_small_cells() {
    // Seven women and two men.
    let engine = seven_women_two_men();
    let rt = runtime();
    let policy = Policy::builtin("adhoc").unwrap();
    let released = rt
        .block_on(query(
            &engine,
            "SELECT sex, COUNT(*) AS n FROM person GROUP BY sex",
            &BTreeMap::new(),
            &policy,
            &Limits::default(),
            &Withheld::default(),
            &mut Ledger::default(),
        ))
        .unwrap();
    let rows = &released.table.rows;
    assert_eq!(rows.len(), 2, "both sexes of the code list");
    assert_eq!(rows[0][0], crate::Value::Text("1".into()));
    assert_eq!(rows[0][1], crate::Value::Suppressed);
    assert!(matches!(
        rows[1][1],
        crate::Value::Int(_) | crate::Value::Number(_)
    ));
    assert_eq!(released.hidden, vec![2.0]);
    // The same table for a filter that keeps nobody: the same rows.
    let none = rt
        .block_on(query(
            &engine,
            "SELECT sex, COUNT(*) AS n FROM person WHERE birth_date >= DATE '2100-01-01' GROUP BY sex",
            &BTreeMap::new(),
            &policy,
            &Limits::default(),
            &Withheld::default(),
            &mut Ledger::default(),
        ))
        .unwrap();
    assert_eq!(none.table.rows.len(), 2);
    assert!(
        none.table
            .rows
            .iter()
            .all(|r| r[1] == crate::Value::Suppressed)
    );
    // A filter on a dimension restricts its domain, whatever the data holds.
    let women = rt
        .block_on(query(
            &engine,
            "SELECT sex, COUNT(*) AS n FROM person WHERE sex = '2' GROUP BY sex",
            &BTreeMap::new(),
            &policy,
            &Limits::default(),
            &Withheld::default(),
            &mut Ledger::default(),
        ))
        .unwrap();
    assert_eq!(women.table.rows.len(), 1);
    assert_eq!(women.table.rows[0][0], crate::Value::Text("2".into()));
    // A suppression policy is for saved reports only.
    let thl = Policy::builtin("thl").unwrap();
    let refused = rt.block_on(query(
        &engine,
        "SELECT sex, COUNT(*) AS n FROM person GROUP BY sex",
        &BTreeMap::new(),
        &thl,
        &Limits::default(),
        &Withheld::default(),
        &mut Ledger::default(),
    ));
    assert!(matches!(
        refused,
        Err(QueryError::Refused(Refusal::SuppressionPolicy))
    ));
}

#[test]
fn a_query_past_its_time_limit_releases_nothing() {
    let engine = engine(&[("a", "1", 1)]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let limits = Limits {
        time: Duration::from_nanos(1),
        ..Limits::default()
    };
    let out = rt.block_on(query(
        &engine,
        "SELECT sex, COUNT(*) AS n FROM person GROUP BY sex",
        &BTreeMap::new(),
        &Policy::builtin("adhoc").unwrap(),
        &limits,
        &Withheld::default(),
        &mut Ledger::default(),
    ));
    assert!(matches!(out, Err(QueryError::TimeLimit(_))), "{out:?}");
}

#[test]
fn engine_errors_never_reach_the_message() {
    let e = classify(
        &DataFusionError::Execution("value 2012-05-05 abcdef0123".into()),
        "",
        QueryError::Failed,
    );
    assert!(!e.to_string().contains("2012"));
    let e = classify(
        &DataFusionError::Plan("table 'secret_value' not found".into()),
        "SELECT 1",
        QueryError::Plan,
    );
    assert!(!e.to_string().contains("secret_value"));
}

#[test]
fn a_cell_a_saved_report_withheld_is_withheld_in_an_own_query_too() {
    // Seven women and two men: a report under suppression withholds the
    // men (2) and, to protect them, the women (7) beside the published total.
    let engine = seven_women_two_men();
    let rt = runtime();
    let sql = "SELECT sex, COUNT(*) AS n FROM person GROUP BY sex";
    let spec = crate::Spec {
        policy: Policy::builtin("thl").unwrap(),
        totals: BTreeMap::from([(
            "sex".to_owned(),
            crate::Totals {
                total: "S".into(),
                parents: vec![],
            },
        )]),
        of_which: Vec::new(),
        discrepancies: Vec::new(),
        linked: Default::default(),
    };
    let report = rt
        .block_on(crate::release(&engine, sql, &BTreeMap::new(), &spec))
        .unwrap();
    let women = |t: &crate::Table| {
        t.rows
            .iter()
            .find(|r| r[0] == crate::Value::Text("2".into()))
            .map(|r| r[1].clone())
            .unwrap()
    };
    assert_eq!(women(&report.table), crate::Value::Suppressed);
    // The total of 9 is published exactly: the women's perturbed count
    // would give the men's back to within the noise.
    let adhoc = Policy::builtin("adhoc").unwrap();
    let run = |withheld: &Withheld| {
        rt.block_on(query(
            &engine,
            sql,
            &BTreeMap::new(),
            &adhoc,
            &Limits::default(),
            withheld,
            &mut Ledger::default(),
        ))
        .unwrap()
    };
    assert_ne!(
        women(&run(&Withheld::default()).table),
        crate::Value::Suppressed
    );
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("withheld");
    Withheld::record(&path, &report.withheld_persons).unwrap();
    let recorded = Withheld::load(&path).unwrap();
    assert!(!recorded.is_empty());
    assert_eq!(women(&run(&recorded).table), crate::Value::Suppressed);
}
