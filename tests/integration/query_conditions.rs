//! Conditions on person data say only which declared class a value is in.
//!
//! The cell key method gives the same persons the same number, so a cell
//! padded with known persons, plus a target only when a condition holds,
//! answers whether the condition holds: the published number changes or
//! not. With conditions of any precision that searches one person's value
//! (an amount to the euro in a few dozen queries). These attacks try every
//! form of a fine condition; the coarse forms a planner needs still run.

use crate::query_model::{
    assert_all_refused, assert_all_run, assert_refused, run, unique_birth_date,
};

#[test]
fn the_padding_search_for_one_persons_amount_is_refused() {
    let d = unique_birth_date();
    for t in ["1234", "1234.5", "999"] {
        // Five or more known persons (a municipality's) published either
        // way, and the target added only when its amount passes t.
        assert_refused(
            &format!(
                "SELECT COUNT(DISTINCT p.person_key) AS n FROM person p JOIN service_decision s ON s.person_key = p.person_key WHERE s.municipality_code = '285' OR (p.birth_date = DATE '{d}' AND s.amount_eur > {t})"
            ),
            &[],
            &["fine_condition"],
        );
        // The same search in a measure's filter or a CASE.
        assert_refused(
            &format!(
                "SELECT COUNT(DISTINCT s.person_key) FILTER (WHERE s.municipality_code = '285' OR s.amount_eur > {t}) AS n FROM service_decision s"
            ),
            &[],
            &["fine_condition"],
        );
        assert_refused(
            &format!(
                "SELECT CASE WHEN amount_eur > {t} THEN 'a' ELSE 'b' END AS bin, COUNT(DISTINCT person_key) AS n FROM service_decision GROUP BY 1"
            ),
            &[],
            &["fine_condition"],
        );
    }
}

#[test]
fn dates_are_compared_only_at_month_boundaries() {
    let d = unique_birth_date();
    for sql in [
        format!("SELECT sex, COUNT(*) AS n FROM person WHERE birth_date = DATE '{d}' GROUP BY sex"),
        format!("SELECT sex, COUNT(*) AS n FROM person WHERE birth_date <= DATE '{d}' GROUP BY sex"),
        "SELECT sex, COUNT(*) AS n FROM person WHERE birth_date < DATE '2012-03-17' GROUP BY sex".into(),
        "SELECT sex, COUNT(*) AS n FROM person WHERE birth_date BETWEEN DATE '2012-03-01' AND DATE '2012-03-17' GROUP BY sex".into(),
        "SELECT sex, COUNT(*) AS n FROM person WHERE birth_date IN (DATE '2012-03-01') GROUP BY sex".into(),
        "SELECT sex, COUNT(*) AS n FROM person WHERE birth_date <> DATE '2012-03-01' GROUP BY sex".into(),
        // A day of the month, a week or a weekday picks out days.
        "SELECT sex, COUNT(*) AS n FROM person WHERE EXTRACT(DAY FROM birth_date) = 17 GROUP BY sex".into(),
        "SELECT sex, COUNT(*) AS n FROM person WHERE EXTRACT(WEEK FROM birth_date) = 11 AND EXTRACT(DOW FROM birth_date) = 3 GROUP BY sex".into(),
        // Moved by a day count off the grid, then compared.
        "SELECT outcome, COUNT(*) AS n FROM cw_notification WHERE received_date + INTERVAL '33 days' > decision_date GROUP BY 1".into(),
        "SELECT outcome, COUNT(*) AS n FROM cw_notification WHERE add_working_days(received_date, 33) > decision_date GROUP BY 1".into(),
        "SELECT outcome, COUNT(*) AS n FROM cw_notification WHERE time_limit_end(received_date, 33) > decision_date GROUP BY 1".into(),
    ] {
        assert_refused(&sql, &[], &["fine_condition"]);
    }
    // What planners write: years, months, periods overlapping a year.
    assert_all_run(&[
        "SELECT sex, COUNT(*) AS n FROM person WHERE birth_date >= DATE '2010-01-01' AND birth_date <= DATE '2012-12-31' GROUP BY sex",
        "SELECT form, COUNT(*) AS n FROM cw_placement WHERE start <= DATE '2025-12-31' AND (\"end\" IS NULL OR \"end\" >= DATE '2025-01-01') GROUP BY form",
        "SELECT form, COUNT(*) AS n FROM cw_placement WHERE start BETWEEN DATE '2025-01-01' AND DATE '2025-06-30' GROUP BY form",
        "SELECT outcome, COUNT(*) AS n FROM cw_notification WHERE decision_date <= add_months(received_date, 3) GROUP BY 1",
        // The statutory limits (LsL 26 §): 7 working days counted.
        "SELECT outcome, COUNT(*) AS n FROM cw_notification WHERE working_days_after(received_date, decision_date) <= 7 GROUP BY 1",
        "SELECT outcome, COUNT(*) AS n FROM cw_notification WHERE assessment_end <= add_months(received_date, 3) GROUP BY 1",
        "SELECT EXTRACT(MONTH FROM received_date) AS m, COUNT(*) AS n FROM cw_notification WHERE EXTRACT(YEAR FROM received_date) = 2025 GROUP BY 1",
    ]);
}

#[test]
fn days_weeks_and_weekdays_are_no_dimension() {
    // A grid of days is a condition on each day at once: two questions
    // whose persons differ by a known person show, in the cell of one day
    // answered anew or as before, whether that person's date fell on it;
    // and a few days' class from any two forms is one day by the weekday
    // (a tester's weekend after the 7th working day, 2026-12-08).
    crate::query_model::assert_all_refused(
        &[
            "SELECT EXTRACT(DOW FROM received_date) AS d, COUNT(*) AS n FROM cw_notification GROUP BY 1",
            "SELECT EXTRACT(ISODOW FROM decision_date) AS d, COUNT(*) AS n FROM cw_notification GROUP BY 1",
            "SELECT EXTRACT(WEEK FROM decision_date) AS w, COUNT(*) AS n FROM cw_notification WHERE EXTRACT(YEAR FROM decision_date) = 2025 GROUP BY 1",
            "SELECT EXTRACT(DAY FROM start) AS d, COUNT(DISTINCT person_key) AS n FROM cw_placement GROUP BY 1",
            "SELECT date_part('dow', received_date) AS d, COUNT(*) AS n FROM cw_notification GROUP BY 1",
        ],
        &["no_domain"],
    );
}

#[test]
fn measures_are_cut_only_at_their_bin_edges() {
    assert_all_refused(
        &[
            "SELECT domain, COUNT(*) AS n FROM service_decision WHERE amount_eur > 1234 GROUP BY 1",
            "SELECT domain, COUNT(*) AS n FROM service_decision WHERE amount_eur BETWEEN 100 AND 250 GROUP BY 1",
            "SELECT domain, COUNT(*) AS n FROM service_decision WHERE amount_eur IN (1234.5, 100) GROUP BY 1",
            "SELECT domain, COUNT(*) AS n FROM service_decision WHERE amount_eur >= 1000.01 GROUP BY 1",
            "SELECT domain, COUNT(*) AS n FROM service_decision WHERE CAST(amount_eur AS DOUBLE) > 300 GROUP BY 1",
            // Arithmetic would move the edge: 3 × amount > 1000 is amount > 333.3.
            "SELECT domain, COUNT(*) AS n FROM service_decision WHERE amount_eur * 3 > 1000 GROUP BY 1",
            "SELECT domain, COUNT(*) AS n FROM service_decision WHERE amount_eur + 766 > 2000 GROUP BY 1",
            // Two values of a person against each other.
            "SELECT form, COUNT(*) AS n FROM care_invoice_line l JOIN cw_placement pl ON pl.placement_id = l.placement_id WHERE l.amount_eur > l.unit_price GROUP BY 1",
            "SELECT form, COUNT(*) AS n FROM care_invoice_line l JOIN cw_placement pl ON pl.placement_id = l.placement_id WHERE l.billed_days > 33 GROUP BY 1",
            "SELECT outcome, COUNT(*) AS n FROM cw_notification WHERE working_days_after(received_date, decision_date) <= 33 GROUP BY 1",
            // Each day is not a class: an isolated person's 6 billed days
            // would be read exactly (found by a black-box attacker).
            "SELECT form, COUNT(*) AS n FROM care_invoice_line l JOIN cw_placement pl ON pl.placement_id = l.placement_id WHERE l.billed_days = 6 GROUP BY 1",
            "SELECT form, COUNT(*) AS n FROM care_invoice_line l JOIN cw_placement pl ON pl.placement_id = l.placement_id WHERE l.billed_days > 5 GROUP BY 1",
            "SELECT domain, COUNT(*) AS n FROM service_decision WHERE amount_eur = 1000 GROUP BY 1",
        ],
        &["fine_condition"],
    );
    assert_all_run(&[
        "SELECT domain, COUNT(*) AS n FROM service_decision WHERE amount_eur > 1000 GROUP BY 1",
        "SELECT domain, COUNT(*) AS n FROM service_decision WHERE amount_eur > 100 AND amount_eur <= 200 GROUP BY 1",
        "SELECT domain, CASE WHEN amount_eur <= 500 THEN 'small' WHEN amount_eur <= 5000 THEN 'medium' ELSE 'large' END AS size, COUNT(*) AS n FROM service_decision GROUP BY 1, 2",
        "SELECT outcome, COUNT(*) FILTER (WHERE working_days_after(received_date, decision_date) <= 7) AS n FROM cw_notification GROUP BY 1",
        "SELECT form, COUNT(*) AS n FROM care_invoice_line l JOIN cw_placement pl ON pl.placement_id = l.placement_id WHERE l.billed_days > 30 GROUP BY 1",
        "SELECT form, COUNT(*) AS n FROM care_invoice_line l JOIN cw_placement pl ON pl.placement_id = l.placement_id WHERE l.billed_days >= 1 GROUP BY 1",
        // A person's number of records is a class of its own.
        "SELECT CASE WHEN n = 1 THEN 'one' WHEN n = 2 THEN 'two' ELSE 'more' END AS placements, COUNT(*) AS children FROM (SELECT person_key, COUNT(*) AS n FROM cw_placement GROUP BY person_key) t GROUP BY 1",
    ]);
}

#[test]
fn a_refusal_for_a_fine_condition_does_not_depend_on_the_data() {
    // The same condition on a birth date one person has and on one nobody
    // has: the same refusal, only the date in it differs.
    let d = unique_birth_date();
    let sql = "SELECT sex, COUNT(*) AS n FROM person WHERE birth_date = DATE '{d}' GROUP BY sex";
    let present = run(&sql.replace("{d}", &d), &[]).unwrap_err();
    let absent = run(&sql.replace("{d}", "1901-01-01"), &[]).unwrap_err();
    assert_eq!(present.replace(&d, "D"), absent.replace("1901-01-01", "D"));
}

#[test]
fn an_equality_written_another_way_is_the_equality() {
    // A tester of this model (2026-12-07) picked children by exact birth
    // date and invoice lines by exact price or days through NULLIF, which
    // is `=` by another name, and the greatest and least of a date and a
    // fixed day meet only on that day.
    let d = unique_birth_date();
    for sql in [
        format!(
            "SELECT sex, COUNT(*) AS n FROM person WHERE NULLIF(birth_date, DATE '{d}') IS NULL GROUP BY sex"
        ),
        format!(
            "SELECT sex, COUNT(*) AS n FROM person WHERE NULLIF(DATE '{d}', birth_date) IS NULL GROUP BY sex"
        ),
        format!(
            "SELECT sex, COUNT(*) AS n FROM person WHERE NOT (NULLIF(birth_date, DATE '{d}') IS NOT NULL) GROUP BY sex"
        ),
        format!(
            "SELECT CASE WHEN NULLIF(birth_date, DATE '{d}') IS NULL THEN 'T' ELSE 'R' END AS bin, COUNT(*) AS n FROM person GROUP BY 1"
        ),
        "SELECT municipality_code, COUNT(DISTINCT person_key) AS n FROM care_invoice_line WHERE NULLIF(billed_days, 29) IS NULL GROUP BY 1".to_owned(),
        "SELECT municipality_code, COUNT(DISTINCT person_key) AS n FROM care_invoice_line WHERE NULLIF(unit_price, 315.55) IS NULL GROUP BY 1".to_owned(),
        // A month's first day, met by the greatest and least of a date.
        "SELECT sex, COUNT(*) AS n FROM person WHERE GREATEST(birth_date, DATE '2015-03-01') <= LEAST(birth_date, DATE '2015-03-01') GROUP BY sex".to_owned(),
        "SELECT sex, COUNT(*) AS n FROM person WHERE GREATEST(birth_date, DATE '2015-03-01') = LEAST(birth_date, DATE '2015-03-01') GROUP BY sex".to_owned(),
    ] {
        assert_refused(&sql, &[], &["fine_condition"]);
    }
    // Month-level uses of the same functions still run.
    assert_all_run(&[
        "SELECT sex, COUNT(*) AS n FROM person WHERE GREATEST(birth_date, DATE '2015-03-01') < DATE '2016-01-01' GROUP BY sex",
        "SELECT form, COUNT(*) AS n FROM cw_placement WHERE COALESCE(\"end\", DATE '2025-12-31') >= DATE '2025-01-01' GROUP BY form",
    ]);
}

#[test]
fn a_prefix_of_a_persons_value_is_a_condition_on_it() {
    // A tester (2026-12-07) padded a set of four with
    // `starts_with(CAST(birth_date AS VARCHAR), 'YYYY-MM-DD')` and read,
    // one question each, whether a child born that day had a disability
    // service decision or an urgent placement (8 of 8 right).
    let d = unique_birth_date();
    for sql in [
        format!(
            "SELECT sex, COUNT(*) AS n FROM person WHERE EXTRACT(YEAR FROM birth_date) = 2000 OR starts_with(CAST(birth_date AS VARCHAR), '{d}') GROUP BY sex"
        ),
        "SELECT sex, COUNT(*) AS n FROM person WHERE ends_with(CAST(birth_date AS VARCHAR), '-11') GROUP BY sex".to_owned(),
        "SELECT form, COUNT(*) AS n FROM cw_placement WHERE NOT starts_with(CAST(start AS VARCHAR), '2025-02-28') GROUP BY form".to_owned(),
        "SELECT domain, COUNT(*) AS n FROM service_decision WHERE starts_with(CAST(amount_eur AS VARCHAR), '162.92') GROUP BY domain".to_owned(),
        "SELECT CASE WHEN starts_with(CAST(EXTRACT(DAY FROM birth_date) AS VARCHAR), '11') THEN 'a' ELSE 'b' END AS bin, COUNT(*) AS n FROM person GROUP BY 1".to_owned(),
    ] {
        assert_refused(&sql, &[], &["fine_condition"]);
    }
}

#[test]
fn two_bounds_at_one_edge_are_not_an_equality() {
    // A tester (2026-12-07) kept only invoice lines of exactly 7 days with
    // `billed_days BETWEEN 7 AND 7`, which `= 7` is refused as: a query
    // cuts a grain of measures with one kind of bound only.
    assert_all_refused(
        &[
            "SELECT form, COUNT(*) AS n FROM care_invoice_line l JOIN cw_placement pl ON pl.placement_id = l.placement_id WHERE l.billed_days BETWEEN 7 AND 7 GROUP BY 1",
            "SELECT form, COUNT(*) AS n FROM care_invoice_line l JOIN cw_placement pl ON pl.placement_id = l.placement_id WHERE l.billed_days >= 7 AND l.billed_days <= 7 GROUP BY 1",
            "SELECT form, COUNT(*) AS n FROM care_invoice_line l JOIN cw_placement pl ON pl.placement_id = l.placement_id WHERE NOT (l.billed_days < 7 OR l.billed_days > 7) GROUP BY 1",
            "SELECT domain, COUNT(*) AS n FROM service_decision WHERE amount_eur >= 1000 AND amount_eur <= 1000 GROUP BY 1",
        ],
        &["fine_condition"],
    );
    // One kind of bound, at declared edges, still cuts classes.
    assert_all_run(&[
        "SELECT form, COUNT(*) AS n FROM care_invoice_line l JOIN cw_placement pl ON pl.placement_id = l.placement_id WHERE l.billed_days > 7 AND l.billed_days <= 14 GROUP BY 1",
        "SELECT form, COUNT(*) AS n FROM care_invoice_line l JOIN cw_placement pl ON pl.placement_id = l.placement_id WHERE l.billed_days >= 8 AND l.billed_days < 15 GROUP BY 1",
        "SELECT outcome, COUNT(*) FILTER (WHERE working_days_after(received_date, decision_date) <= 7) AS n FROM cw_notification GROUP BY 1",
    ]);
}

#[test]
fn a_subquery_hides_nothing_of_how_a_date_was_computed() {
    // Each of these is a condition at a day, written below the comparison:
    // a date moved by days, a fixed date in GREATEST and LEAST, an age at a
    // month's first day, in a subquery, a per-person aggregate or a union
    // branch (accepted before, 2026-12-07).
    assert_all_refused(
        &[
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, birth_date + INTERVAL '3 days' AS s FROM person) t WHERE s >= DATE '2010-03-01' AND s < DATE '2010-04-01'",
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, birth_date + INTERVAL '1 month 3 days' AS s FROM person) t WHERE s >= DATE '2010-03-01'",
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, GREATEST(birth_date, DATE '2010-03-17') AS g, LEAST(birth_date, DATE '2010-03-17') AS l FROM person) t WHERE g <= l",
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, age_at(birth_date, DATE '2025-06-01') AS a FROM person) t WHERE a >= 18",
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, MIN(birth_date + INTERVAL '3 days') AS s FROM person GROUP BY person_key) t WHERE s >= DATE '2010-03-01'",
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, MIN(birth_date) AS b FROM person GROUP BY person_key) t WHERE age_at(b, DATE '2025-06-01') >= 18",
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, birth_date AS s FROM person UNION ALL SELECT person_key, birth_date + INTERVAL '3 days' AS s FROM person) t WHERE s >= DATE '2010-03-01'",
            "SELECT p.sex, COUNT(DISTINCT p.person_key) AS n FROM (SELECT person_key, sex, birth_date + INTERVAL '3 days' AS s FROM person) p JOIN cw_placement pl ON pl.person_key = p.person_key WHERE pl.start >= p.s GROUP BY 1",
        ],
        &["fine_condition"],
    );
    // What planners write in subqueries still runs.
    assert_all_run(&[
        "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, add_months(birth_date, 216) AS adult FROM person) t WHERE adult <= DATE '2025-12-31'",
        "SELECT form, COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, form, COALESCE(\"end\", DATE '2025-12-31') AS until FROM cw_placement) t WHERE until >= DATE '2025-01-01' GROUP BY 1",
        "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, age_at(birth_date, DATE '2025-12-31') AS a FROM person) t WHERE a >= 18",
    ]);
}

#[test]
fn an_age_is_cut_at_a_months_end_only() {
    // Age 18 on 1 June and 17 on 31 May: born on 1 June 2007 exactly. And
    // an age on 28 February of a common year tells 29 February apart.
    assert_all_refused(
        &[
            "SELECT COUNT(DISTINCT person_key) AS n FROM person WHERE age_at(birth_date, DATE '2025-06-01') >= 18 AND age_at(birth_date, DATE '2025-05-31') < 18",
            "SELECT sex, COUNT(DISTINCT person_key) AS n FROM person WHERE age_at(birth_date, DATE '2025-02-28') >= 17 GROUP BY 1",
            "SELECT CASE WHEN age_at(birth_date, DATE '2025-06-01') = 18 THEN 'a' ELSE 'b' END AS k, COUNT(DISTINCT person_key) AS n FROM person GROUP BY 1",
        ],
        &["fine_condition"],
    );
    // Joined with the population's ages, which the query then filters.
    assert_refused(
        "SELECT COUNT(DISTINCT t.person_key) AS n FROM (SELECT person_key, CAST(age_at(birth_date, DATE '2025-06-01') AS BIGINT) AS a FROM person) t JOIN (SELECT age FROM population WHERE year = 2025 AND area_code = 'SSS' AND sex = '1') pop ON pop.age = t.a WHERE pop.age = 18",
        &[],
        &["fine_condition"],
    );
    assert_all_run(&[
        "SELECT COUNT(DISTINCT person_key) AS n FROM person WHERE age_at(birth_date, DATE '2025-05-31') >= 18",
        "SELECT sex, COUNT(DISTINCT person_key) AS n FROM person WHERE age_at_year_end(birth_date, 2025) BETWEEN 13 AND 17 GROUP BY 1",
    ]);
}

#[test]
fn two_of_a_persons_values_may_be_equal() {
    // Placed by the municipality that decided the legal basis, or not
    // before it began: conditions on two of a person's own values, which
    // the engine makes join keys; they were refused as a join of
    // different persons while `>= AND <=` ran. (Two dates on the same day
    // is a class of one day: `query_durations::no_days_apart_is_one_order`.)
    assert_all_run(&[
        "SELECT pl.form, COUNT(DISTINCT pl.person_key) AS n FROM cw_placement pl JOIN cw_legal_basis b ON b.person_key = pl.person_key WHERE pl.municipality_code = b.municipality_code GROUP BY 1",
        "SELECT pl.form, COUNT(DISTINCT pl.person_key) AS n FROM cw_placement pl JOIN cw_legal_basis b ON b.basis_id = pl.basis_id WHERE pl.start >= b.start GROUP BY 1",
    ]);
    // Under the rules for conditions: moved off the grid, or against a day.
    assert_all_refused(
        &[
            "SELECT pl.form, COUNT(DISTINCT pl.person_key) AS n FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key WHERE pl.start + INTERVAL '3 days' = p.birth_date GROUP BY 1",
            "SELECT pl.form, COUNT(DISTINCT pl.person_key) AS n FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key AND pl.start = DATE '2025-03-01' GROUP BY 1",
        ],
        &["fine_condition"],
    );
    // Still no join without the person's key.
    assert_refused(
        "SELECT pl.form, COUNT(DISTINCT pl.person_key) AS n FROM cw_placement pl JOIN cw_legal_basis b ON b.municipality_code = pl.municipality_code GROUP BY 1",
        &[],
        &["join_loses_unit"],
    );
}

#[test]
fn a_dimension_of_a_date_is_the_same_on_every_day_of_a_month() {
    // A tester (2026-12-08) grouped by a part of `GREATEST(start, DATE
    // '2025-03-04')`: the grid's cells were the placements begun on or
    // before the 4th and after it, and with four known persons as padding
    // a child's placement was read to the day (21 April) in 16 questions.
    // A dimension of a person's date takes the date as stored, moved by
    // whole months at most, and gives every day of a month one class.
    crate::query_model::assert_all_refused(
        &[
            "SELECT EXTRACT(MONTH FROM GREATEST(start, DATE '2025-03-04')) AS m, COUNT(DISTINCT person_key) AS n FROM cw_placement WHERE start <= DATE '2025-03-31' GROUP BY 1",
            "SELECT EXTRACT(MONTH FROM LEAST(start, DATE '2025-03-04')) AS m, COUNT(DISTINCT person_key) AS n FROM cw_placement GROUP BY 1",
            "SELECT EXTRACT(YEAR FROM COALESCE(\"end\", DATE '2025-03-04')) AS y, COUNT(DISTINCT person_key) AS n FROM cw_placement GROUP BY 1",
            "SELECT EXTRACT(MONTH FROM start + INTERVAL '1 day') AS m, COUNT(DISTINCT person_key) AS n FROM cw_placement GROUP BY 1",
            "SELECT EXTRACT(MONTH FROM GREATEST(\"end\", start + INTERVAL '2 days')) AS m, COUNT(DISTINCT person_key) AS n FROM cw_placement GROUP BY 1",
            "SELECT EXTRACT(YEAR FROM GREATEST(birth_date, DATE '2011-10-24')) AS y, COUNT(DISTINCT person_key) AS n FROM person GROUP BY 1",
            // Through a union and a subquery.
            "SELECT EXTRACT(MONTH FROM GREATEST(u.a, DATE '2025-01-22')) AS m, COUNT(DISTINCT u.person_key) AS n FROM (SELECT person_key, start AS a FROM cw_placement UNION ALL SELECT person_key, start FROM cw_legal_basis) u GROUP BY 1",
            // An age on a day the query chooses, as the grid.
            "SELECT age_at(birth_date, DATE '2025-03-04') AS a, COUNT(DISTINCT person_key) AS n FROM person GROUP BY 1",
            "SELECT age_at(t.b, DATE '2025-03-04') AS a, COUNT(DISTINCT t.person_key) AS n FROM (SELECT person_key, birth_date AS b FROM person) t GROUP BY 1",
            // Per person, then counted.
            "SELECT m, COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, EXTRACT(MONTH FROM GREATEST(start, DATE '2025-03-04')) AS m FROM cw_placement GROUP BY person_key, EXTRACT(MONTH FROM GREATEST(start, DATE '2025-03-04'))) t GROUP BY 1",
        ],
        &["fine_condition"],
    );
    crate::query_model::assert_all_run(&[
        "SELECT EXTRACT(YEAR FROM start) AS y, EXTRACT(MONTH FROM start) AS m, COUNT(DISTINCT person_key) AS n FROM cw_placement GROUP BY 1, 2",
        "SELECT EXTRACT(YEAR FROM add_months(start, 6)) AS y, COUNT(DISTINCT person_key) AS n FROM cw_placement GROUP BY 1",
        "SELECT age_at(birth_date, DATE '2025-12-31') AS a, COUNT(DISTINCT person_key) AS n FROM person GROUP BY 1",
        "SELECT EXTRACT(QUARTER FROM GREATEST(start, \"end\")) AS q, COUNT(DISTINCT person_key) AS n FROM cw_placement GROUP BY 1",
    ]);
}
