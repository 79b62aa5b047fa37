//! Differencing, padding and size oracles against `peitto query`, written
//! down as attacks: an answer whose persons differ by one to four from an
//! earlier answer's (by anyone, in the project) gets that earlier answer,
//! and the ledger that says so survives processes and crashes.
//!
//! Each test runs on its own copy of the sample project: the ledger makes
//! an answer depend on what was asked before in the project.

use crate::common::{fresh_sample as fresh, measures, ok, peitto, sample_project, table};
use crate::query_model::month_condition;
use arrow::array::{Array, AsArray};
use std::collections::BTreeMap;
use std::path::Path;

/// The measures of a released answer: (status, value) per cell.
pub(crate) fn answer(project: &Path, sql: &str) -> Vec<(String, Option<f64>)> {
    let out = peitto(&[
        "--project",
        project.to_str().unwrap(),
        "query",
        sql,
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&ok(&out)).expect("JSON");
    measures(&doc)
}

/// The one value of a single-cell answer (`None`: withheld).
pub(crate) fn value(project: &Path, sql: &str) -> Option<f64> {
    let cells = answer(project, sql);
    assert_eq!(cells.len(), 1, "{sql}");
    cells[0].1
}

/// A person of the sample: birth month (`YYYY-MM`) and municipalities.
struct Person {
    month: String,
    municipalities: Vec<String>,
}

/// The sample's persons by pseudonym, with the municipalities they lived
/// in.
fn persons() -> BTreeMap<String, Person> {
    let text = |b: &arrow::array::RecordBatch, name: &str| {
        arrow::compute::cast(
            b.column_by_name(name).unwrap(),
            &arrow::datatypes::DataType::Utf8,
        )
        .unwrap()
    };
    let mut out: BTreeMap<String, Person> = BTreeMap::new();
    for b in table(sample_project(), "person") {
        let (keys, dates) = (text(&b, "person_key"), text(&b, "birth_date"));
        let (keys, dates) = (keys.as_string::<i32>(), dates.as_string::<i32>());
        for i in 0..b.num_rows() {
            out.entry(keys.value(i).to_owned()).or_insert(Person {
                month: dates.value(i)[..7].to_owned(),
                municipalities: Vec::new(),
            });
        }
    }
    for b in table(sample_project(), "person_residence") {
        let (keys, places) = (text(&b, "person_key"), text(&b, "municipality_code"));
        let (keys, places) = (keys.as_string::<i32>(), places.as_string::<i32>());
        for i in 0..b.num_rows() {
            if let Some(p) = out.get_mut(keys.value(i))
                && !places.is_null(i)
                && !p.municipalities.contains(&places.value(i).to_owned())
            {
                p.municipalities.push(places.value(i).to_owned());
            }
        }
    }
    out
}

/// Persons who alone were born in their month, (pseudonym, month), and
/// who have rows in `table`.
fn lone(table_name: &str) -> Vec<(String, String)> {
    let keys = crate::common::keys_in(table_name);
    let all = persons();
    let mut by_month: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (key, p) in &all {
        by_month.entry(&p.month).or_default().push(key);
    }
    by_month
        .into_iter()
        .filter(|(_, ks)| ks.len() == 1 && keys.contains(ks[0]))
        .map(|(m, ks)| (ks[0].to_owned(), m.to_owned()))
        .collect()
}

/// The person count of a municipality, and of the same less persons born
/// in `months`.
fn municipality_less(code: &str, months: &[&str]) -> String {
    let mut sql = format!(
        "SELECT COUNT(DISTINCT r.person_key) AS n FROM person_residence r JOIN person p ON p.person_key = r.person_key WHERE r.municipality_code = '{code}'"
    );
    for m in months {
        sql.push_str(&format!(
            " AND NOT ({})",
            month_condition(m, "p.birth_date")
        ));
    }
    sql
}

/// A lone person's municipality and month, and four more lone persons of
/// that municipality.
fn target_and_others() -> (String, String, Vec<String>) {
    let all = persons();
    let lone = lone("person_residence");
    let mut by_place: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (key, month) in &lone {
        if let [place] = all[key].municipalities.as_slice() {
            by_place.entry(place).or_default().push(month);
        }
    }
    let (place, months) = by_place.into_iter().max_by_key(|(_, ms)| ms.len()).unwrap();
    assert!(
        months.len() >= 6,
        "lone persons of {place}: {}",
        months.len()
    );
    (
        place.to_owned(),
        months[0].to_owned(),
        months[1..].iter().map(|m| (*m).to_owned()).collect(),
    )
}

#[test]
fn differencing_out_one_person_gives_the_earlier_answer() {
    let (_tmp, project) = fresh();
    let (place, target, _) = target_and_others();
    let all = value(&project, &municipality_less(&place, &[]));
    assert!(all.is_some());
    let less = municipality_less(&place, &[&target]);
    assert_eq!(value(&project, &less), all, "{less}");
    // Repeats, and rewrites of the snapped question, in later processes.
    assert_eq!(value(&project, &less), all);
    let rewrites = [
        format!(
            "SELECT COUNT(DISTINCT r.person_key) FILTER (WHERE NOT ({})) AS n FROM person_residence r JOIN person p ON p.person_key = r.person_key WHERE r.municipality_code = '{place}'",
            month_condition(&target, "p.birth_date")
        ),
        format!(
            "SELECT COUNT(DISTINCT p.person_key) AS n FROM person AS p JOIN person_residence AS r ON r.person_key = p.person_key WHERE r.municipality_code IN ('{place}') AND 1 = 1 AND NOT ({})",
            month_condition(&target, "p.birth_date")
        ),
    ];
    for sql in &rewrites {
        assert_eq!(value(&project, sql), all, "{sql}");
    }
    // The other way round in a project of its own: the smaller set first,
    // then the larger gets its answer.
    let (_tmp2, other) = fresh();
    let first = value(&other, &less);
    assert_eq!(value(&other, &municipality_less(&place, &[])), first);
}

#[test]
fn a_set_five_persons_from_every_earlier_answer_gets_its_own_value() {
    let (_tmp, project) = fresh();
    let (place, target, others) = target_and_others();
    let five: Vec<&str> = std::iter::once(target.as_str())
        .chain(others.iter().map(String::as_str).take(4))
        .collect();
    let far = municipality_less(&place, &five);
    // Its value as the first question of a project.
    let (_tmp2, alone) = fresh();
    let own = value(&alone, &far);
    assert!(own.is_some());
    value(&project, &municipality_less(&place, &[]));
    assert_eq!(value(&project, &far), own);
    // And a grid: each municipality's own count, the first time asked.
    let grid = "SELECT municipality_code, COUNT(DISTINCT person_key) AS n FROM person_residence GROUP BY 1";
    assert_eq!(answer(&project, grid), answer(&alone, grid));
}

/// Each placed child's forms of placement.
fn forms_by_person() -> BTreeMap<String, Vec<String>> {
    let batches = table(sample_project(), "cw_placement");
    let keys = crate::common::strings(&batches, "person_key");
    let forms = crate::common::strings(&batches, "form");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, f) in keys.into_iter().zip(forms) {
        if let (Some(k), Some(f)) = (k, f) {
            out.entry(k).or_default().push(f);
        }
    }
    out
}

#[test]
fn a_pad_that_takes_the_target_in_only_when_a_condition_holds_tells_nothing() {
    let (key, target) = lone("cw_placement").into_iter().next().unwrap();
    let placed = forms_by_person();
    let mut forms: Vec<String> = placed.values().flatten().cloned().collect();
    forms.sort();
    forms.dedup();
    // One condition holds for the target and one does not.
    assert!(forms.iter().any(|f| placed[&key].contains(f)));
    assert!(forms.iter().any(|f| !placed[&key].contains(f)));
    // The pad: the placed children born in another year, eight or more.
    let all = persons();
    let mut by_year: BTreeMap<&str, usize> = BTreeMap::new();
    for k in placed.keys() {
        *by_year.entry(&all[k].month[..4]).or_default() += 1;
    }
    let (pad_year, _) = by_year
        .into_iter()
        .filter(|(y, n)| *y != &target[..4] && *n >= 8)
        .max_by_key(|(_, n)| *n)
        .unwrap();
    let join = "FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key";
    let pad = format!("EXTRACT(YEAR FROM p.birth_date) = {pad_year}");
    let oracle = |form: &str| {
        format!(
            "SELECT COUNT(DISTINCT pl.person_key) AS n {join} WHERE ({pad}) OR (({}) AND pl.form = '{form}')",
            month_condition(&target, "p.birth_date")
        )
    };
    // Whether the target has a placement of a form or not, the same
    // number: the pad's, asked before or not at all.
    for pad_first in [true, false] {
        let (_tmp, project) = fresh();
        let pad_value = pad_first.then(|| {
            value(
                &project,
                &format!("SELECT COUNT(DISTINCT pl.person_key) AS n {join} WHERE {pad}"),
            )
        });
        let answers: Vec<Option<f64>> = forms.iter().map(|f| value(&project, &oracle(f))).collect();
        assert!(answers[0].is_some(), "the pad is published");
        assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
        if let Some(v) = pad_value {
            assert_eq!(answers[0], v);
        }
    }
}

#[test]
fn a_withheld_pad_with_the_target_stays_withheld() {
    let (_, target, others) = target_and_others();
    let months: Vec<String> = others.into_iter().take(4).collect();
    let condition = |ms: &[&str]| {
        ms.iter()
            .map(|m| format!("({})", month_condition(m, "birth_date")))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    let pad: Vec<&str> = months.iter().map(String::as_str).collect();
    let mut with_target = pad.clone();
    with_target.push(&target);
    let count = |ms: &[&str]| {
        format!(
            "SELECT COUNT(DISTINCT person_key) AS n FROM person WHERE {}",
            condition(ms)
        )
    };
    // Five persons asked first: published.
    let (_tmp, alone) = fresh();
    assert!(value(&alone, &count(&with_target)).is_some());
    // After the pad of one to four, withheld: its size is not told.
    for size in 1..=4 {
        let (_tmp, project) = fresh();
        let pad = &pad[..size];
        assert_eq!(value(&project, &count(pad)), None);
        let mut grown = pad.to_vec();
        grown.push(&target);
        // Grown to five by more lone persons when the pad is smaller.
        grown.extend(months[size..].iter().map(String::as_str).take(4 - size));
        assert_eq!(grown.len(), 5);
        if size == 4 {
            assert_eq!(grown, with_target);
        }
        assert_eq!(value(&project, &count(&grown)), None, "pad of {size}");
    }
}

#[test]
fn the_ledger_persists_and_survives_a_cut_last_record() {
    let (_tmp, project) = fresh();
    let (place, target, others) = target_and_others();
    let ledger = project.join("audit/released-cells");
    assert!(!ledger.exists());
    let all = value(&project, &municipality_less(&place, &[]));
    let header_and_one = std::fs::metadata(&ledger).unwrap().len();
    // A far question adds a record; a near one adds none.
    let five: Vec<&str> = std::iter::once(target.as_str())
        .chain(others.iter().map(String::as_str).take(4))
        .collect();
    let far = municipality_less(&place, &five);
    let far_value = value(&project, &far);
    let record = std::fs::metadata(&ledger).unwrap().len() - header_and_one;
    assert!(record > 0);
    value(&project, &municipality_less(&place, &[&target]));
    assert_eq!(
        std::fs::metadata(&ledger).unwrap().len(),
        header_and_one + record
    );
    // A crash in the middle of the last append: the rest still loads.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&ledger)
        .unwrap();
    f.set_len(header_and_one + record / 2).unwrap();
    drop(f);
    assert_eq!(value(&project, &municipality_less(&place, &[&target])), all);
    // The lost answer is made again, the same, and kept again.
    assert_eq!(value(&project, &far), far_value);
    assert_eq!(
        std::fs::metadata(&ledger).unwrap().len(),
        header_and_one + record
    );
    // A ledger that cannot be read: nothing is shown.
    std::fs::write(&ledger, b"not a ledger at all, just words").unwrap();
    let out = peitto(&[
        "--project",
        project.to_str().unwrap(),
        "query",
        &municipality_less(&place, &[]),
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("released-cells"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_cell_near_one_a_saved_report_withheld_is_withheld_too() {
    // `after_care_clients` withholds its 18–20 row (eleven persons in the
    // sample, withheld to protect another). An attacker of this model
    // asked that row's definition less a target when a condition held:
    // only the exact set was withheld, so `..` said "the condition is
    // false" and a number said "true". Now the row less one to four
    // persons is withheld too.
    let (_tmp, project) = fresh();
    let p = project.to_str().unwrap();
    crate::common::add_author(&project, &crate::common::whoami());
    ok(&peitto(&[
        "--project",
        p,
        "report",
        "after_care_clients",
        "--year",
        "2025",
    ]));
    let cell = "FROM cw_legal_basis b JOIN person p ON p.person_key = b.person_key \
                WHERE b.basis = 'JALKIHUOLTO' \
                AND care_days(b.start, b.\"end\", DATE '2025-01-01', DATE '2026-01-01', 'INCLUSIVE') > 0 \
                AND age_at_year_end(p.birth_date, 2025) BETWEEN 18 AND 20";
    // The row's persons by municipality, as the report's author sees them.
    let by_municipality = ok(&peitto(&[
        "--project",
        p,
        "sql",
        &format!(
            "SELECT b.municipality_code AS m, COUNT(DISTINCT b.person_key) AS n {cell} GROUP BY 1"
        ),
    ]));
    let counts: Vec<(String, u64)> = by_municipality
        .lines()
        .filter_map(|l| {
            // `| 240 | 1 |` rows of the text table.
            let f: Vec<&str> = l.split('|').map(str::trim).collect();
            let n = f.get(2)?.parse().ok()?;
            Some((f[1].to_owned(), n))
        })
        .collect();
    let total: u64 = counts.iter().map(|c| c.1).sum();
    assert!(
        total >= 5,
        "the row is a secondary, not too small: {by_municipality}"
    );
    let mut small: Vec<&(String, u64)> = counts.iter().filter(|c| c.1 <= 4).collect();
    small.sort_by_key(|c| c.1);
    let lone = small
        .first()
        .expect("a municipality with one to four of them");
    // Asked first, before the row itself (which would then be an earlier
    // answer without a value, and withhold what lies near it anyway).
    let count = format!("SELECT COUNT(DISTINCT b.person_key) AS n {cell}");
    let less = format!("{count} AND NOT b.municipality_code = '{}'", lone.0);
    assert_eq!(
        value(&project, &less),
        None,
        "the row less {} persons",
        lone.1
    );
    assert_eq!(value(&project, &count), None, "the report's row itself");
    // Five or more away it is a cell of its own.
    let far: Vec<String> = small
        .iter()
        .scan(0, |n, c| {
            let before = *n;
            *n += c.1;
            (before < 5).then(|| format!("'{}'", c.0))
        })
        .collect();
    let gone: u64 = small.iter().take(far.len()).map(|c| c.1).sum();
    if gone >= 5 && total - gone >= 5 {
        let away = format!(
            "{count} AND b.municipality_code NOT IN ({})",
            far.join(", ")
        );
        assert!(value(&project, &away).is_some(), "{away}");
    }
}

#[test]
fn a_measure_of_a_report_row_withheld_for_another_measure_is_withheld_too() {
    // `urgent_and_new_care_orders` withholds its 13–15 row: the row's
    // persons are the urgently placed and those with a new care order.
    // An attacker asked for the urgently placed alone by age group and
    // had the row's withheld count (10), which with the report's
    // published 16–17 and 18 gave the rest. Each measure's persons of a
    // withheld row are now withheld apart.
    let (_tmp, project) = fresh();
    let p = project.to_str().unwrap();
    let doc = crate::common::report_json(&project, "urgent_and_new_care_orders", 2025);
    let names = crate::common::column_names(&doc);
    let urgent_at = names.iter().position(|n| *n == "urgent").unwrap();
    let withheld: Vec<String> = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row[urgent_at]["status"] == "suppressed")
        .filter_map(|row| row[0]["value"].as_str().map(str::to_owned))
        .collect();
    assert!(
        !withheld.is_empty(),
        "the sample's report withholds an age group"
    );
    let group = "CASE WHEN age_at_year_end(p.birth_date, 2025) <= 2 THEN '0-2' \
                 WHEN age_at_year_end(p.birth_date, 2025) <= 6 THEN '3-6' \
                 WHEN age_at_year_end(p.birth_date, 2025) <= 12 THEN '7-12' \
                 WHEN age_at_year_end(p.birth_date, 2025) <= 15 THEN '13-15' \
                 WHEN age_at_year_end(p.birth_date, 2025) <= 17 THEN '16-17' \
                 WHEN age_at_year_end(p.birth_date, 2025) = 18 THEN '18' END";
    let sql = format!(
        "SELECT {group} AS age_group, COUNT(DISTINCT b.person_key) AS urgent \
         FROM cw_legal_basis b JOIN person p ON p.person_key = b.person_key \
         WHERE b.basis = 'KIIREELLINEN' AND b.start <= DATE '2025-12-31' \
         AND (b.\"end\" IS NULL OR b.\"end\" >= DATE '2025-01-01') GROUP BY 1"
    );
    let out = ok(&peitto(&[
        "--project",
        p,
        "query",
        &sql,
        "--format",
        "json",
    ]));
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    for row in doc["rows"].as_array().unwrap() {
        let Some(code) = row[0]["value"].as_str() else {
            continue;
        };
        if withheld.iter().any(|w| w == code) {
            assert_eq!(row[1]["status"], "suppressed", "age group {code}: {out}");
        }
    }
}
