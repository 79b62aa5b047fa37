//! Saved reports' release path on an in-memory engine: what the plan
//! analysis refuses, and what a suppression release publishes.

use super::*;
use crate::explained::Why;
use crate::test_support::{runtime, seven_women_two_men};
use peitto_sdc::Policy;

fn spec(totals: &[&str]) -> Spec {
    Spec {
        policy: Policy::builtin("thl").unwrap(),
        totals: totals
            .iter()
            .map(|d| {
                (
                    (*d).to_owned(),
                    Totals {
                        total: TOTAL.to_owned(),
                        parents: Vec::new(),
                    },
                )
            })
            .collect(),
        of_which: Vec::new(),
        discrepancies: Vec::new(),
        linked: Default::default(),
    }
}

fn released(sql: &str, totals: &[&str]) -> Result<Released, ReleaseError> {
    runtime().block_on(release(
        &seven_women_two_men(),
        sql,
        &BTreeMap::new(),
        &spec(totals),
    ))
}

fn refused(sql: &str) -> Refusal {
    match released(sql, &[]) {
        Err(ReleaseError::Refused(r)) => r,
        Err(other) => panic!("{sql}: {other}"),
        Ok(_) => panic!("{sql}: released"),
    }
}

#[test]
fn row_level_and_one_person_results_are_refused_before_anything_runs() {
    assert!(matches!(
        refused("SELECT person_key, sex FROM person"),
        Refusal::RowLevel
    ));
    let r = refused("SELECT person_key, COUNT(*) FROM person GROUP BY person_key");
    assert!(
        matches!(r, Refusal::GroupsByIdentifier { .. } | Refusal::RowLevel),
        "{r:?}"
    );
    assert!(matches!(
        refused("SELECT sex, MAX(birth_date) FROM person GROUP BY sex"),
        Refusal::PersonValueAggregate { .. }
    ));
    // LIMIT choosing persons is refused; LIMIT over protected rows is not.
    assert!(matches!(
        refused("SELECT sex, COUNT(*) FROM (SELECT * FROM person LIMIT 1) GROUP BY sex"),
        Refusal::Limit
    ));
    assert!(released("SELECT sex, COUNT(*) FROM person GROUP BY sex LIMIT 1", &[]).is_ok());
}

#[test]
fn a_small_cell_and_the_cell_that_would_give_it_away_are_both_withheld() {
    let r = released(
        "SELECT sex, COUNT(DISTINCT person_key) AS persons FROM person GROUP BY sex",
        &["sex"],
    )
    .unwrap();
    // Two men (under THL's threshold) are withheld; seven women alone
    // would give the men away through the published total, so one more
    // cell goes.
    let shown: Vec<Option<f64>> = r.table.rows.iter().map(|row| row[1].number()).collect();
    assert_eq!(r.table.rows.len(), 3, "{:?}", r.table.rows);
    assert!(!shown.contains(&Some(2.0)), "{shown:?}");
    assert!(r.suppressed >= 2, "{}", r.suppressed);
    let total = r
        .table
        .rows
        .iter()
        .find(|row| row[0] == Value::Total)
        .unwrap();
    assert_eq!(total[1].number(), Some(9.0));
    assert!(!r.withheld_persons.is_empty());
}

/// The first measure less the second, in every row where both are published.
fn differences(r: &Released) -> Vec<f64> {
    r.table
        .rows
        .iter()
        .filter_map(|row| Some(row[1].number()? - row[2].number()?))
        .collect()
}

#[test]
fn a_part_and_its_whole_never_leave_a_small_remainder_published() {
    // Everyone counts in `n`, all but one woman in `part`: the total row,
    // 9 and 8, says that exactly one person is not in the part (an
    // attacker of the saved reports found such a row in after-care
    // clients, "of them placed").
    let sql = "SELECT sex, COUNT(*) AS n, \
               SUM(CASE WHEN person_key = 'p0' THEN 0 ELSE 1 END) AS part \
               FROM person GROUP BY sex";
    let plain = released(sql, &["sex"]).unwrap();
    assert!(differences(&plain).contains(&1.0), "{:?}", plain.table.rows);
    let mut of_which = spec(&["sex"]);
    of_which.of_which = vec![peitto_engine::report::OfWhich {
        parts: vec![(1, "part".to_owned())],
        whole: "n".to_owned(),
    }];
    let engine = seven_women_two_men();
    let r = runtime()
        .block_on(release(&engine, sql, &BTreeMap::new(), &of_which))
        .unwrap();
    let left = differences(&r);
    assert!(
        left.iter().all(|d| *d == 0.0 || *d >= 5.0),
        "{left:?} in {:?}",
        r.table.rows
    );
    // A pair naming a measure the query lacks is the report's error.
    of_which.of_which[0].parts[0].1 = "placed".to_owned();
    assert!(
        runtime()
            .block_on(release(&engine, sql, &BTreeMap::new(), &of_which))
            .is_err()
    );
}

#[test]
fn a_difference_of_two_measures_never_shows_one_persons_discrepancy() {
    // Everyone is expected 700 and paid 700 but one woman, paid nothing:
    // a published difference of 700 would say one person was not paid (an
    // attacker read such a row in the compensation reconciliation).
    let sql = "SELECT sex, SUM(700) AS expected, \
               SUM(CASE WHEN person_key = 'p0' THEN 0 ELSE 700 END) AS paid \
               FROM person GROUP BY sex";
    let plain = released(sql, &["sex"]).unwrap();
    assert!(
        differences(&plain).contains(&700.0),
        "{:?}",
        plain.table.rows
    );
    let mut spec = spec(&["sex"]);
    spec.discrepancies = vec![("expected".to_owned(), "paid".to_owned())];
    let r = runtime()
        .block_on(release(
            &seven_women_two_men(),
            sql,
            &BTreeMap::new(),
            &spec,
        ))
        .unwrap();
    assert!(
        differences(&r).iter().all(|d| *d == 0.0),
        "{:?}",
        r.table.rows
    );
}

#[test]
fn cells_withheld_for_the_same_persons_elsewhere_say_so() {
    // Slice `a` withholds the seven women (to protect the two men);
    // slice `b` counts the same seven women, and would give them back.
    // Its cells are withheld too, and the audit folder's reasons say why
    // (no measure of them is unsafe or protects anything on its own).
    let r = released(
        "SELECT slice, sex, COUNT(DISTINCT person_key) AS persons FROM ( \
         SELECT 'a' AS slice, sex, person_key FROM person \
         UNION ALL SELECT 'b' AS slice, sex, person_key FROM person WHERE sex = '2') \
         GROUP BY slice, sex",
        &["sex"],
    )
    .unwrap();
    let women_of = |slice: &str| {
        r.table
            .rows
            .iter()
            .find(|row| row[0] == Value::Text(slice.into()) && row[1] == Value::Text("2".into()))
            .map(|row| row[2].number())
    };
    assert_eq!(women_of("a"), Some(None), "{:?}", r.table.rows);
    assert_eq!(women_of("b"), Some(None), "{:?}", r.table.rows);
    let same: Vec<&crate::explained::Explanation> = r
        .explanations
        .iter()
        .filter(|e| e.measures.iter().all(|(_, why)| *why == Why::SamePersons))
        .collect();
    assert!(
        same.iter()
            .any(|e| e.cell.contains(&("slice".into(), "b".into()))),
        "{:?}",
        r.explanations
    );
    // Every withheld cell has its reason.
    assert_eq!(
        r.explanations.len(),
        r.table
            .rows
            .iter()
            .filter(|row| row[2].number().is_none())
            .count(),
        "{:?}",
        r.explanations
    );
}
