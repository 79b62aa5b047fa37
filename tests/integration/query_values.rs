//! A person's dates and amounts set against each other other than by a
//! condition: counted distinct, grouped by, or united with fixed values.
//!
//! A tester of this model (2026-12-07) united a person's received dates
//! with a fixed day (`UNION ALL SELECT person_key, DATE '2024-10-26'`) and
//! asked for the persons whose number of distinct dates did not grow: the
//! persons with a notification received on that very day (8 published
//! against 10 in the data; the days before and after it were withheld).
//! The same count over a person's received and decision dates gave the
//! notifications decided on the day they came (89 against 88), the shape
//! the rules for conditions refuse as `decision_date = received_date`;
//! and a fixed day beside a month's placement starts, grouped by the day
//! of the month, padded the 15th's cell with 266 other persons, so the
//! four-person boundary could be aimed at one day.

use crate::query_model::{assert_all_refused, assert_all_run};

#[test]
fn a_persons_values_are_not_united_with_fixed_ones() {
    assert_all_refused(
        &[
            // The tester's questions.
            "SELECT COUNT(DISTINCT a.person_key) AS persons FROM (SELECT person_key, COUNT(DISTINCT d) AS cd FROM (SELECT person_key, received_date AS d FROM cw_notification UNION ALL SELECT person_key, DATE '2024-10-26' AS d FROM cw_notification) u GROUP BY person_key) a JOIN (SELECT person_key, COUNT(DISTINCT received_date) AS cs FROM cw_notification GROUP BY person_key) b ON a.person_key = b.person_key WHERE (b.cs = 1 AND a.cd = 1) OR (b.cs = 2 AND a.cd = 2)",
            "SELECT EXTRACT(DAY FROM d) AS day, COUNT(DISTINCT person_key) AS persons FROM (SELECT person_key, start AS d FROM cw_placement WHERE EXTRACT(YEAR FROM start) = 2025 AND EXTRACT(MONTH FROM start) = 3 UNION ALL SELECT person_key, DATE '2025-03-15' AS d FROM cw_placement WHERE form = 'LAITOSHOITO') u GROUP BY 1",
            // A birth date and an amount beside a fixed one.
            "SELECT COUNT(*) AS n FROM (SELECT person_key, COUNT(*) AS c FROM (SELECT person_key, birth_date AS d FROM person UNION ALL SELECT person_key, DATE '2012-03-15' FROM person) u GROUP BY person_key) t WHERE c = 2",
            "SELECT EXTRACT(YEAR FROM d) AS y, COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, birth_date AS d FROM person UNION ALL SELECT person_key, DATE '2012-03-01' FROM person) u GROUP BY 1",
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, amount_eur AS x FROM service_decision UNION ALL SELECT person_key, 1700.16 FROM service_decision) u WHERE x > 1000",
            // The day of the month of a fixed day, and NULL beside a date.
            "SELECT d, COUNT(DISTINCT person_key) AS persons FROM (SELECT person_key, EXTRACT(DAY FROM start) AS d FROM cw_placement UNION ALL SELECT person_key, EXTRACT(DAY FROM DATE '2025-03-15') FROM cw_placement WHERE form = 'LAITOSHOITO') u GROUP BY 1",
            "SELECT EXTRACT(YEAR FROM d) AS y, COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, start AS d FROM cw_placement UNION ALL SELECT person_key, NULL FROM cw_legal_basis) u GROUP BY 1",
        ],
        &["person_values_compared"],
    );
    // A person's dates from two tables, each a person's own: a union as
    // planners write it.
    assert_all_run(&[
        "SELECT EXTRACT(YEAR FROM d) AS y, COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, start AS d FROM cw_placement UNION ALL SELECT person_key, start FROM cw_legal_basis) u GROUP BY 1",
        "SELECT EXTRACT(YEAR FROM d) AS y, COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, start AS d, municipality_code AS m FROM cw_placement UNION ALL SELECT person_key, start, municipality_code FROM cw_legal_basis) u WHERE m = '285' GROUP BY 1",
    ]);
}

#[test]
fn a_persons_dates_are_not_counted_distinct() {
    assert_all_refused(
        &[
            // Decided on the day it came: one distinct date of two.
            "SELECT COUNT(*) AS persons FROM (SELECT person_key, COUNT(*) AS c, COUNT(DISTINCT d) AS cd FROM (SELECT person_key, received_date AS d FROM cw_notification UNION ALL SELECT person_key, decision_date AS d FROM cw_notification WHERE decision_date IS NOT NULL) u GROUP BY person_key) t WHERE c = 2 AND cd = 1",
            // Two placements begun on one day.
            "SELECT COUNT(*) AS persons FROM (SELECT person_key, COUNT(*) AS c, COUNT(DISTINCT start) AS cd FROM cw_placement GROUP BY person_key) t WHERE c = 2 AND cd = 1",
            "SELECT COUNT(*) AS persons FROM (SELECT person_key, SUM(DISTINCT amount_eur) AS s, SUM(amount_eur) AS t FROM care_invoice_line GROUP BY person_key) x WHERE s > 1000",
            // The same count through a grouping or a DISTINCT by the date.
            "SELECT COUNT(*) AS persons FROM (SELECT person_key, COUNT(*) AS cd FROM (SELECT person_key, start FROM cw_placement GROUP BY person_key, start) g GROUP BY person_key) t WHERE cd = 1",
            "SELECT COUNT(*) AS persons FROM (SELECT person_key, COUNT(*) AS cd FROM (SELECT DISTINCT person_key, start FROM cw_placement) g GROUP BY person_key) t WHERE cd = 1",
            "SELECT COUNT(*) AS persons FROM (SELECT person_key, COUNT(*) AS cd FROM (SELECT person_key, received_date AS d FROM cw_notification UNION SELECT person_key, decision_date FROM cw_notification) g GROUP BY person_key) t WHERE cd = 1",
            "SELECT COUNT(*) AS persons FROM (SELECT person_key, COUNT(*) AS cd FROM (SELECT DISTINCT person_key, EXTRACT(DAY FROM start) AS d FROM cw_placement) g GROUP BY person_key) t WHERE cd = 1",
        ],
        &["person_values_compared"],
    );
    // A person's records and classes, counted distinct, as planners ask.
    assert_all_run(&[
        "SELECT CASE WHEN n > 1 THEN 'several' ELSE 'one' END AS k, COUNT(DISTINCT person_key) AS persons FROM (SELECT person_key, COUNT(DISTINCT placement_id) AS n FROM cw_placement GROUP BY person_key) t GROUP BY 1",
        "SELECT CASE WHEN n > 1 THEN 'several' ELSE 'one' END AS k, COUNT(DISTINCT person_key) AS persons FROM (SELECT person_key, COUNT(DISTINCT form) AS n FROM cw_placement GROUP BY person_key) t GROUP BY 1",
        "SELECT CASE WHEN n > 1 THEN 'several' ELSE 'one' END AS k, COUNT(DISTINCT person_key) AS persons FROM (SELECT person_key, COUNT(DISTINCT EXTRACT(YEAR FROM start)) AS n FROM cw_placement GROUP BY person_key) t GROUP BY 1",
        "SELECT form, COUNT(DISTINCT person_key) AS n FROM (SELECT DISTINCT person_key, form FROM cw_placement) t GROUP BY 1",
    ]);
}

#[test]
fn set_operations_do_not_match_a_persons_dates() {
    // INTERSECT and EXCEPT match rows on every column: a received date
    // matched with a decision date is "decided on the day it came".
    crate::query_model::assert_all_refused(
        &[
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, received_date AS d FROM cw_notification INTERSECT SELECT person_key, decision_date FROM cw_notification) t",
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, received_date AS d FROM cw_notification INTERSECT ALL SELECT person_key, decision_date FROM cw_notification) t",
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, received_date AS d FROM cw_notification EXCEPT SELECT person_key, decision_date FROM cw_notification) t",
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, received_date AS d FROM cw_notification EXCEPT ALL SELECT person_key, decision_date FROM cw_notification) t",
            "SELECT COUNT(DISTINCT person_key) AS n FROM (SELECT person_key, amount_eur AS x FROM care_invoice_line INTERSECT SELECT person_key, amount_eur FROM service_decision) t",
        ],
        &[
            "person_values_compared",
            "fine_condition",
            "subquery",
            "unsupported",
        ],
    );
}
