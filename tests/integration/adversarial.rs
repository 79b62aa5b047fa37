//! Queries that try to get a person out of `peitto query`. Each is refused
//! with the message of its reason, or returns only protected cells.

use crate::common::{measures, ok, on_sample, sample_project};
use peitto_i18n::{Lang, text};
use serde_json::Value;

/// Refused queries and the reason each must be refused for. Several
/// reasons are accepted where two checks both catch the trick (the first
/// to meet it in the plan answers).
const REFUSED: &[(&str, &[&str])] = &[
    ("SELECT * FROM person", &["row_level"]),
    ("SELECT person_key, birth_date FROM person", &["row_level"]),
    (
        "SELECT pl.*, p.birth_date FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key",
        &["row_level"],
    ),
    (
        "SELECT person_key, COUNT(*) FROM cw_placement GROUP BY person_key",
        &["row_level"],
    ),
    (
        "SELECT person_key FROM cw_placement GROUP BY person_key HAVING COUNT(*) > 3",
        &["row_level"],
    ),
    (
        "SELECT p.birth_date, pl.municipality_code, COUNT(*) FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key GROUP BY p.birth_date, pl.municipality_code",
        &["groups_by_identifier"],
    ),
    (
        "SELECT placement_id, COUNT(*) FROM cw_placement GROUP BY placement_id",
        &["groups_by_identifier"],
    ),
    (
        "SELECT substr(person_key, 1, 8) AS k, COUNT(*) FROM person GROUP BY substr(person_key, 1, 8)",
        &[
            "groups_by_identifier",
            "identifier_expression",
            "not_allowed",
        ],
    ),
    (
        "SELECT length(notification_id) AS l, COUNT(*) FROM cw_notification GROUP BY length(notification_id)",
        &["groups_by_identifier", "identifier_expression"],
    ),
    (
        "SELECT b, COUNT(*) FROM (SELECT birth_date AS b, person_key FROM person) t GROUP BY b",
        &["groups_by_identifier"],
    ),
    (
        "SELECT MAX(amount_eur) FROM care_invoice_line",
        &["person_value_aggregate"],
    ),
    (
        "SELECT municipality_code, MIN(start) FROM cw_placement GROUP BY municipality_code",
        &["person_value_aggregate"],
    ),
    (
        "SELECT string_agg(person_key, ',') FROM person",
        &["person_value_aggregate"],
    ),
    (
        "SELECT sex, array_agg(birth_date) FROM person GROUP BY sex",
        &["person_value_aggregate"],
    ),
    (
        "SELECT first_value(amount_eur ORDER BY amount_eur DESC) FROM care_invoice_line",
        &["person_value_aggregate"],
    ),
    (
        "SELECT median(amount_eur) FROM care_invoice_line",
        &["person_value_aggregate"],
    ),
    (
        "SELECT COUNT(DISTINCT birth_date) FROM person",
        &["distinct_other"],
    ),
    (
        "SELECT sex, COUNT(*) FROM (SELECT sex, person_key, ROW_NUMBER() OVER (ORDER BY birth_date) AS rn FROM person) t WHERE rn = 1 GROUP BY sex",
        &["window"],
    ),
    (
        "SELECT sex, SUM(s) FROM (SELECT sex, person_key, SUM(1) OVER (PARTITION BY sex) AS s FROM person) t GROUP BY sex",
        &["window"],
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
        "SELECT a.municipality_code, COUNT(*) FROM cw_placement a JOIN cw_placement b ON a.municipality_code = b.municipality_code AND a.start = b.start GROUP BY a.municipality_code",
        &["join_loses_unit"],
    ),
    (
        "SELECT sex, COUNT(*) FROM person WHERE birth_date IN (SELECT birth_date FROM person WHERE sex = '1') GROUP BY sex",
        &["join_loses_unit", "subquery"],
    ),
    (
        "SELECT sex, COUNT(*) FROM person WHERE birth_date = (SELECT MAX(birth_date) FROM person) GROUP BY sex",
        &["person_value_aggregate", "mixes_levels", "subquery"],
    ),
    (
        "SELECT p.sex, x.c FROM person p JOIN (SELECT sex, COUNT(*) AS c FROM person GROUP BY sex) x ON x.sex = p.sex",
        &["mixes_levels"],
    ),
    (
        "SELECT COUNT(*) FROM (SELECT * FROM person ORDER BY birth_date LIMIT 1) t",
        &["limit"],
    ),
    (
        "SELECT SUM(amount_eur) FROM (SELECT * FROM care_invoice_line ORDER BY amount_eur DESC LIMIT 1 OFFSET 4) t",
        &["limit"],
    ),
    (
        "SELECT sex, COUNT(*) FROM (SELECT sex FROM person UNION ALL SELECT sex FROM person) t GROUP BY sex",
        &["no_privacy_unit"],
    ),
    (
        "SELECT c, COUNT(*) FROM (SELECT municipality_code AS c FROM cw_placement) t GROUP BY c",
        &["no_privacy_unit"],
    ),
    (
        "SELECT sex, COUNT(*) FROM person GROUP BY ROLLUP(sex)",
        &["grouping_sets"],
    ),
    (
        "CREATE TABLE leak AS SELECT * FROM person",
        &["unsupported"],
    ),
    (
        "COPY (SELECT * FROM person) TO '/tmp/peitto-leak.csv'",
        &["unsupported"],
    ),
    ("EXPLAIN SELECT * FROM person", &["unsupported"]),
];

/// The message a refusal with `code` prints, in English, without its
/// `{detail}` placeholder.
fn reason_text(code: &str) -> String {
    let key = format!("refusal.{code}");
    let why = text(Lang::En, &key);
    why.split("{detail}")
        .next()
        .unwrap_or(why)
        .trim()
        .to_owned()
}

#[test]
fn thirty_three_extraction_attempts_are_refused_for_their_reason() {
    assert!(REFUSED.len() >= 30);
    let mut wrong = Vec::new();
    for (sql, reasons) in REFUSED {
        let out = on_sample(&["query", sql, "--format", "json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{sql}\nwas released:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            out.stdout.is_empty(),
            "{sql}: a refused query printed something"
        );
        let matched: Vec<&&str> = reasons
            .iter()
            .filter(|code| {
                let hint_key = format!("refusal.{code}_hint");
                let hint = text(Lang::En, &hint_key);
                let why = reason_text(code);
                // The message says why and what to write instead.
                (!why.is_empty() && stderr.contains(&why) || why.is_empty())
                    && stderr.contains(hint)
            })
            .collect();
        if matched.is_empty() {
            wrong.push(format!("{sql}\nnot refused for {reasons:?}:\n{stderr}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // A refused query never ran: COPY wrote nothing.
    assert!(!std::path::Path::new("/tmp/peitto-leak.csv").exists());
}

#[test]
fn every_refusal_reason_has_a_message_and_a_hint_in_three_languages() {
    let codes = [
        "row_level",
        "groups_by_identifier",
        "person_value_aggregate",
        "distinct_other",
        "join_loses_unit",
        "no_privacy_unit",
        "window",
        "subquery",
        "limit",
        "mixes_levels",
        "grouping_sets",
        "unsupported",
        "identifier_expression",
        "may_fail",
        "not_allowed",
        "no_domain",
        "measure_not_declared",
        "aggregate_over_protected",
        "table_function",
        "join_on_expression",
        "grid_too_large",
        "suppression_policy",
        "join_fan_out",
        "too_long",
        "missing_parameter",
    ];
    for code in codes {
        for lang in Lang::ALL {
            for key in [format!("refusal.{code}"), format!("refusal.{code}_hint")] {
                assert!(peitto_i18n::has(&key), "{key}");
                assert_ne!(text(lang, &key), key);
            }
        }
    }
}

fn released(sql: &str) -> Value {
    let out = on_sample(&["query", sql, "--format", "json"]);
    serde_json::from_str(&ok(&out)).expect("JSON")
}

/// Counts never show 1 or 2 persons, and withheld cells carry no value.
fn assert_protected_counts(sql: &str) -> Value {
    let doc = released(sql);
    assert_eq!(doc["perturbed"], true, "{sql}");
    let cells = measures(&doc);
    assert!(!cells.is_empty(), "{sql}");
    for (status, value) in cells {
        match status.as_str() {
            "suppressed" => assert!(value.is_none()),
            _ => {
                let v = value.unwrap();
                assert!(v != 1.0 && v != 2.0, "{sql}: a count of {v} was published");
            }
        }
    }
    doc
}

#[test]
fn aggregates_over_persons_come_back_protected() {
    for sql in [
        "SELECT municipality_code, COUNT(DISTINCT person_key) AS children FROM cw_placement GROUP BY municipality_code",
        "SELECT pl.municipality_code, age_at_year_end(p.birth_date, 2025) AS age, COUNT(*) AS n FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key GROUP BY 1, 2",
        "SELECT CASE WHEN n = 1 THEN 'one' WHEN n = 2 THEN 'two' ELSE 'more' END AS placements, COUNT(*) AS children FROM (SELECT person_key, COUNT(*) AS n FROM cw_placement GROUP BY person_key) t GROUP BY 1",
        "SELECT sex, COUNT(*) FROM person WHERE person_key IN (SELECT person_key FROM cw_placement) GROUP BY sex",
    ] {
        assert_protected_counts(sql);
    }
}

/// `sql` is refused, and the message gives `code`'s reason.
fn assert_refused_for(sql: &str, code: &str) {
    let out = on_sample(&["query", sql, "--format", "json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && out.stdout.is_empty(),
        "{sql} was released"
    );
    assert!(
        stderr.contains(&reason_text(code)),
        "{sql}: not {code}:\n{stderr}"
    );
}

#[test]
fn sql_after_the_aggregate_sees_only_protected_values() {
    let inner =
        "SELECT municipality_code, COUNT(*) AS c FROM cw_placement GROUP BY municipality_code";
    let cells = |doc: &Value| -> Vec<(String, Option<f64>)> {
        doc["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[0]["value"].to_string(), r[1]["value"].as_f64()))
            .collect()
    };
    let published = cells(&released(inner));
    // Per-row arithmetic runs on the published values: withheld stays withheld.
    let doubled = cells(&released(&format!(
        "SELECT municipality_code, c * 2 AS d FROM ({inner}) t"
    )));
    assert_eq!(doubled.len(), published.len());
    for ((m, v), (m2, d)) in published.iter().zip(&doubled) {
        assert_eq!(m, m2);
        assert_eq!(v.map(|v| v * 2.0), *d, "{m}");
    }
    // Tabulating or listing the protected rows again is refused.
    for outer in [
        format!("SELECT c, COUNT(*) AS municipalities FROM ({inner}) t GROUP BY c"),
        format!("SELECT COUNT(*) FROM ({inner}) t"),
        format!("SELECT string_agg(municipality_code, ',') FROM ({inner}) t"),
    ] {
        assert_refused_for(&outer, "aggregate_over_protected");
    }
}

/// Birth dates (as `YYYY-MM-DD`) that exactly one person of `table` has,
/// with that person's sex, in a stable order, from the store itself.
fn unique_birth_dates(table: &str) -> Vec<(String, String)> {
    let in_table = crate::common::keys_in(table);
    let mut by_date: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for p in crate::common::persons() {
        if in_table.contains(&p.key) {
            by_date.entry(p.birth_date).or_default().push(p.sex);
        }
    }
    by_date
        .into_iter()
        .filter(|(_, sexes)| sexes.len() == 1)
        .map(|(date, sexes)| (date, sexes[0].clone()))
        .collect()
}

/// Month of birth and sex that exactly one person of `table` has, as a
/// condition a query may write (`p` is the person table), with that
/// person's pseudonym, in a stable order.
fn lone_by_birth_month(table: &str) -> Vec<(String, String)> {
    let in_table = crate::common::keys_in(table);
    let mut by_month: std::collections::BTreeMap<(String, String), Vec<String>> =
        Default::default();
    for p in crate::common::persons() {
        if in_table.contains(&p.key) {
            by_month
                .entry((p.birth_date[..7].to_owned(), p.sex))
                .or_default()
                .push(p.key);
        }
    }
    by_month
        .into_iter()
        .filter(|(_, keys)| keys.len() == 1)
        .map(|((month, sex), keys)| {
            let (y, m) = month.split_once('-').unwrap();
            (
                format!(
                    "(EXTRACT(YEAR FROM p.birth_date) = {y} AND EXTRACT(MONTH FROM p.birth_date) = {} AND p.sex = '{sex}')",
                    m.trim_start_matches('0')
                ),
                keys[0].clone(),
            )
        })
        .collect()
}

#[test]
fn a_query_about_one_person_is_withheld() {
    // A pseudonym cannot be filtered on at all.
    let key = &placed_persons()[0];
    assert_refused_for(
        &format!("SELECT sex, COUNT(*) AS n FROM person WHERE person_key = '{key}' GROUP BY sex"),
        "identifier_expression",
    );
    // A birth date to the day is finer than any declared class.
    let (date, sex) = &unique_birth_dates("cw_placement")[0];
    assert_refused_for(
        &format!(
            "SELECT p.sex, COUNT(*) AS n FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key \
             WHERE p.birth_date = DATE '{date}' AND p.sex = '{sex}' GROUP BY p.sex"
        ),
        "fine_condition",
    );
    // Declared classes that single out one person leave a cell of one:
    // withheld, whatever is measured.
    let (lone, _) = &lone_by_birth_month("cw_placement")[0];
    let doc = released(&format!(
        "SELECT p.sex, COUNT(*) AS n, SUM(1) AS s, COUNT(DISTINCT p.person_key) AS persons \
         FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key \
         WHERE {lone} GROUP BY p.sex"
    ));
    let cells = measures(&doc);
    assert!(!cells.is_empty());
    assert!(
        cells
            .iter()
            .all(|(status, v)| status == "suppressed" && v.is_none()),
        "{cells:?}"
    );
}

#[test]
fn repeating_a_query_returns_the_same_numbers() {
    let sql = "SELECT form, COUNT(DISTINCT person_key) AS children, SUM(1) AS rows_ FROM cw_placement GROUP BY form";
    let a = ok(&on_sample(&["query", sql, "--format", "csv"]));
    let b = ok(&on_sample(&["query", sql, "--format", "csv"]));
    assert_eq!(a, b);
}

/// Persons with placements, in a stable order, from the store itself.
fn placed_persons() -> Vec<String> {
    crate::common::keys_in("cw_placement").into_iter().collect()
}

#[test]
fn differencing_two_overlapping_counts_does_not_reveal_the_person_left_out() {
    let join = "FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key";
    let all = assert_protected_counts(&format!(
        "SELECT COUNT(DISTINCT pl.person_key) AS children {join}"
    ));
    let value = |doc: &Value| measures(doc)[0].1.unwrap();
    let total = value(&all);
    // The attacker leaves out one person at a time (by a month of birth
    // and sex only they have): the truth differs by exactly 1 each time,
    // the published counts must not.
    let mut differences = Vec::new();
    // The sample project's key is fixed (common.rs), so every run makes the
    // same perturbations; with the table's noise a difference is exact with
    // chance at most 0.4, and 150 tries make the verdict about the method,
    // not about one lucky key.
    for (lone, _) in lone_by_birth_month("cw_placement").iter().take(150) {
        let doc = assert_protected_counts(&format!(
            "SELECT COUNT(DISTINCT pl.person_key) AS children {join} WHERE NOT {lone}"
        ));
        differences.push(total - value(&doc));
    }
    assert!(differences.len() >= 30, "too few placed persons to test");
    let exact = differences.iter().filter(|d| **d == 1.0).count();
    assert!(
        exact < differences.len() / 2,
        "differences {differences:?} reveal who was left out"
    );
}

#[test]
fn differencing_two_overlapping_sums_does_not_reveal_the_amount() {
    let store = sample_project().join("store");
    let join = "FROM care_invoice_line l JOIN person p ON p.person_key = l.person_key";
    let total = measures(&released(&format!(
        "SELECT SUM(l.amount_eur) AS euros {join}"
    )))[0]
        .1
        .unwrap();
    // The true amount billed to each person, read from the store.
    let batches = peitto_store::read_table(&store, "care_invoice_line").unwrap();
    let mut by_person: std::collections::BTreeMap<String, f64> = Default::default();
    for b in &batches {
        use arrow::array::{Array, AsArray};
        let keys = b.column_by_name("person_key").unwrap().as_string::<i32>();
        let euros = arrow::compute::cast(
            b.column_by_name("amount_eur").unwrap(),
            &arrow::datatypes::DataType::Float64,
        )
        .unwrap();
        let euros = euros.as_primitive::<arrow::datatypes::Float64Type>();
        for i in 0..b.num_rows() {
            if !keys.is_null(i) && !euros.is_null(i) {
                *by_person.entry(keys.value(i).to_owned()).or_default() += euros.value(i);
            }
        }
    }
    let singles = lone_by_birth_month("care_invoice_line");
    assert!(singles.len() >= 8);
    for (lone, key) in singles.iter().take(8) {
        let truth = by_person[key];
        let without = measures(&released(&format!(
            "SELECT SUM(l.amount_eur) AS euros {join} WHERE NOT {lone}"
        )))[0]
            .1
            .unwrap();
        let derived = total - without;
        assert!(
            (derived - truth).abs() > 0.01,
            "the difference {derived} equals the person's true amount {truth}"
        );
    }
}
