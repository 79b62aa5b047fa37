//! Saved reports whose rows are few persons or tables of euros, and the
//! project settings no report may loosen: `care_costs`' year totals and
//! its rows of a few children, and the disclosure policies of peitto.toml.

use crate::common::{ok, peitto, report_json};
use crate::release::{Measures, cells, json};
use arrow::array::{Array, AsArray, RecordBatch};
use peitto_i18n::Lang;
use std::path::Path;

/// The rows of report `id`'s SQL cut before its CTE `at` and ended with
/// `rest` (more CTEs and a SELECT over person-level rows), run unprotected
/// for `year`: what each person contributes, for checking the release.
fn person_rows(project: &Path, id: &str, at: &str, rest: &str, year: i64) -> Vec<RecordBatch> {
    let report = peitto_engine::report::builtin()
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap();
    let cut = report.sql.find(at).unwrap();
    let sql = format!("{}{rest}", &report.sql[..cut]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let engine = peitto_engine::Engine::open(&project.join("store"))
            .await
            .unwrap();
        let mut params = std::collections::BTreeMap::new();
        params.insert("year".to_owned(), peitto_engine::Scalar::Int64(Some(year)));
        engine.sql(&sql, &params).await.unwrap()
    })
}

/// Column `i` of `batch` as text.
fn text(batch: &RecordBatch, i: usize) -> Vec<String> {
    let column = arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Utf8).unwrap();
    let column = column.as_string::<i32>();
    (0..column.len())
        .map(|r| column.value(r).to_owned())
        .collect()
}

/// Column `i` of `batch` as numbers.
fn numbers(batch: &RecordBatch, i: usize) -> Vec<f64> {
    let column =
        arrow::compute::cast(batch.column(i), &arrow::datatypes::DataType::Float64).unwrap();
    column
        .as_primitive::<arrow::datatypes::Float64Type>()
        .values()
        .to_vec()
}

/// `care_costs`' year-total rows reconcile billing against placements for
/// the whole year: their placement days are the year's, not nil (the total
/// rows carry no month, and a join on the month used to miss them).
#[test]
fn care_costs_year_totals_carry_the_years_placement_days() {
    let (_tmp, project) = crate::common::fresh_sample();
    let doc = report_json(&project, "care_costs", 2025);
    let names: Vec<&str> = crate::common::column_names(&doc);
    let at = |n: &str| {
        // Measures only: `cells` keys rows by their dimensions.
        names
            .iter()
            .filter(|c| !["form", "provider_id", "month"].contains(c))
            .position(|c| *c == n)
            .unwrap()
    };
    let (billed, days, difference) = (at("billed_days"), at("placement_days"), at("difference"));
    let (_, by_key) = cells(&doc);
    let mut checked = 0;
    for (key, total) in by_key.iter().filter(|(k, _)| k[2] == "TOTAL") {
        let months: Vec<&Measures> = by_key
            .iter()
            .filter(|(k, _)| k[..2] == key[..2] && k[2] != "TOTAL")
            .map(|(_, m)| m)
            .collect();
        let month_days: Vec<Option<f64>> = months.iter().map(|m| m[days].1).collect();
        let published = |c: &(String, Option<f64>)| c.0 != "suppressed";
        if month_days.iter().any(|d| d.is_some_and(|d| d > 0.0)) {
            assert_ne!(total[days].0, "nil", "{key:?}: the year has placement days");
        }
        // Placement days are never negative: the year holds at least the
        // published months' days, and exactly their sum where every month
        // is published; the difference is billed less placed.
        if published(&total[days]) {
            let year = total[days].1.unwrap_or(0.0);
            let sum: f64 = month_days.iter().map(|d| d.unwrap_or(0.0)).sum();
            if months.iter().all(|m| published(&m[days])) {
                assert_eq!(year, sum, "{key:?}");
            } else {
                assert!(year >= sum, "{key:?}: {year} < {sum}");
            }
            if let (Some(b), Some(d)) = (total[billed].1, total[difference].1) {
                assert_eq!(d, b - year, "{key:?}");
            }
            checked += usize::from(sum > 0.0);
        }
    }
    assert!(checked > 0, "no year total with placement days was checked");
}

/// A row of `care_costs` (placement form × provider) with one to four
/// children shows nothing month by month: an attacker read one child's
/// placement months at a named provider from which months were published
/// empty (`-`) and which withheld.
#[test]
fn care_costs_rows_of_a_few_children_do_not_show_their_months() {
    let (_tmp, project) = crate::common::fresh_sample();
    let p = project.to_str().unwrap();
    crate::common::add_author(&project, &crate::common::whoami());
    ok(&peitto(&[
        "--project",
        p,
        "report",
        "care_costs",
        "--year",
        "2025",
    ]));
    let persons = ok(&peitto(&[
        "--project",
        p,
        "sql",
        "SELECT form, provider_id, COUNT(DISTINCT person_key) AS n FROM ( \
           SELECT pl.form, pl.provider_id, il.person_key FROM care_invoice_line il \
           JOIN cw_placement pl ON pl.placement_id = il.placement_id \
           WHERE il.period_start >= DATE '2025-01-01' AND il.period_start < DATE '2026-01-01' \
           UNION ALL \
           SELECT form, provider_id, person_key FROM cw_placement \
           WHERE care_days(start, \"end\", DATE '2025-01-01', DATE '2026-01-01', 'ARRIVAL_NOT_DEPARTURE') > 0 \
         ) AS t GROUP BY 1, 2",
    ]));
    let few: Vec<(String, String)> = persons
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split('|').map(str::trim).collect();
            let n: u64 = f.get(3)?.parse().ok()?;
            (1..=4)
                .contains(&n)
                .then(|| (format!("\"{}\"", f[1]), format!("\"{}\"", f[2])))
        })
        .collect();
    assert!(
        !few.is_empty(),
        "the sample has rows of one to four children"
    );
    let (_, by_key) = cells(&json(&project.join("out/care_costs-2025/care_costs.json")));
    let mut rows = 0;
    for (form, provider) in &few {
        for (key, measures) in by_key
            .iter()
            .filter(|(k, _)| &k[0] == form && &k[1] == provider)
        {
            rows += 1;
            for (status, _) in measures {
                assert_eq!(status, "suppressed", "{key:?}: {measures:?}");
            }
        }
    }
    assert!(rows > 0, "no row of a few children in the release");
}

/// A planner who can edit peitto.toml set `min_frequency = 1` under
/// `[policies.thl]` and `[policies.adhoc]` and had cells of one child
/// published. A project may make a built-in policy stricter, never
/// looser: nothing is released under a loosened one.
#[test]
fn a_project_setting_cannot_loosen_a_disclosure_policy() {
    let (_tmp, project) = crate::common::fresh_sample();
    let p = project.to_str().unwrap();
    let config = project.join("peitto.toml");
    let original = std::fs::read_to_string(&config).unwrap();
    // The copy holds what other tests released on the sample.
    let released = project.join("out/placed_children-2025");
    if released.exists() {
        std::fs::remove_dir_all(&released).unwrap();
    }
    for (section, command) in [
        (
            "[policies.thl]",
            vec!["report", "placed_children", "--year", "2025"],
        ),
        (
            "[policies.adhoc]",
            vec![
                "query",
                "SELECT municipality_code, COUNT(DISTINCT person_key) AS n FROM cw_placement GROUP BY 1",
            ],
        ),
    ] {
        // The section's own min_frequency line, set to 1.
        let at = original.find(section).unwrap();
        let line = at + original[at..].find("min_frequency = 5").unwrap();
        let loosened = format!(
            "{}min_frequency = 1{}",
            &original[..line],
            &original[line + "min_frequency = 5".len()..]
        );
        std::fs::write(&config, loosened).unwrap();
        let mut args = vec!["--project", p];
        args.extend(command.iter().copied());
        let out = peitto(&args);
        assert!(!out.status.success(), "{section}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let name = &section["[policies.".len()..section.len() - 1];
        let expected = peitto_i18n::format(
            Lang::En,
            "policy.loosened",
            &[("name", &name), ("field", &"min_frequency")],
        );
        assert!(stderr.contains(&expected), "{stderr}");
        std::fs::write(&config, &original).unwrap();
    }
    assert!(!released.exists());
    // A policy of the project's own name is held to a built-in one of its
    // method: a cell-key policy of three persons for `query --policy mine`
    // published a count of three.
    std::fs::write(
        &config,
        format!(
            "{original}\n[policies.mine]\nmethod = \"cell_key\"\nmin_frequency = 3\nzeros_unsafe = true\n"
        ),
    )
    .unwrap();
    let out = peitto(&[
        "--project",
        p,
        "query",
        "--policy",
        "mine",
        "SELECT municipality_code, COUNT(DISTINCT person_key) AS n FROM cw_placement GROUP BY 1",
    ]);
    assert!(!out.status.success());
    let expected = peitto_i18n::format(
        Lang::En,
        "policy.loosened",
        &[("name", &"mine"), ("field", &"min_frequency")],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&expected));
    // Stricter is allowed.
    std::fs::write(
        &config,
        original.replacen("min_frequency = 5", "min_frequency = 7", 1),
    )
    .unwrap();
    ok(&peitto(&[
        "--project",
        p,
        "report",
        "placed_children",
        "--year",
        "2025",
    ]));
}

/// Each person's expected euros by leaf of `compensation_reconciliation`
/// (month, recipient, type, municipality), from the report's own SQL.
type Lines = Vec<(String, String, String, String, String, f64)>;

fn compensation_lines(project: &Path, year: i64) -> Lines {
    let rest = "per_person AS (SELECT month_start AS m, recipient AS r, \
                compensation_type AS t, municipality_code AS k, person_key AS p, \
                SUM(expected_eur) AS e FROM lines GROUP BY 1, 2, 3, 4, 5) \
                SELECT m, r, t, k, p, e FROM per_person WHERE e <> 0";
    let mut out = Vec::new();
    for b in person_rows(
        project,
        "compensation_reconciliation",
        "by_type AS (",
        rest,
        year,
    ) {
        let (m, r, t, k, p) = (
            text(&b, 0),
            text(&b, 1),
            text(&b, 2),
            text(&b, 3),
            text(&b, 4),
        );
        for (row, e) in numbers(&b, 5).into_iter().enumerate() {
            out.push((
                m[row].clone(),
                r[row].clone(),
                t[row].clone(),
                k[row].clone(),
                p[row].clone(),
                e,
            ));
        }
    }
    out
}

/// `compensation_reconciliation`'s euros are sums of a few fixed rates (a
/// twelfth of a yearly rate by age group and recipient, a flat 700 €), so
/// a published sum divided by the rates gives the persons at each rate
/// back. An attacker read one initial assessment (withheld in its own
/// cell) from Kotka's October 2024 total, and four children under seven
/// from a county's month. No row is published where some rate has one to
/// four persons.
#[test]
fn compensation_totals_do_not_give_away_a_few_persons_at_one_rate() {
    let (_tmp, project) = crate::common::fresh_sample();
    let mut checked = 0;
    for year in [2024, 2025] {
        let doc = report_json(&project, "compensation_reconciliation", year);
        let lines = compensation_lines(&project, year);
        assert!(!lines.is_empty());
        let (_, by_key) = cells(&doc);
        for (key, measures) in &by_key {
            // Rows of one municipality and month; recipient and type may be totals.
            let unquote = |k: &String| k.trim_matches('"').to_owned();
            let (month, recipient, kind, area) = (
                unquote(&key[0]),
                unquote(&key[1]),
                unquote(&key[2]),
                unquote(&key[3]),
            );
            if month == "TOTAL" || area.len() != 3 {
                continue;
            }
            // Persons at each amount in the row's leaves.
            let mut at: Vec<(f64, std::collections::BTreeSet<&str>)> = Vec::new();
            for (m, r, t, k, person, e) in &lines {
                let inside = m.starts_with(&month[..7.min(month.len())])
                    && (recipient == "TOTAL" || *r == recipient)
                    && (kind == "TOTAL" || *t == kind)
                    && *k == area;
                if !inside {
                    continue;
                }
                match at
                    .iter_mut()
                    .find(|(a, _)| (a - e).abs() < 1e-6 * e.abs().max(1.0))
                {
                    Some((_, persons)) => {
                        persons.insert(person);
                    }
                    None => at.push((*e, [person.as_str()].into())),
                }
            }
            if at
                .iter()
                .any(|(_, persons)| (1..=4).contains(&persons.len()))
            {
                checked += 1;
                let expected = &measures[0];
                assert_eq!(expected.0, "suppressed", "{key:?}: {at:?}");
            }
        }
    }
    assert!(checked > 0, "no row with a few persons at one rate");
}

/// `care_costs` shows billed days less placement days: a row where one
/// to four children were billed more or fewer days than they were placed
/// is that child's own billing gap (an attacker read −31, one child's
/// missing May invoice, and with the month before, the child's daily
/// price). Such a row is withheld.
#[test]
fn care_costs_never_shows_a_few_childrens_own_billing_gap() {
    let (_tmp, project) = crate::common::fresh_sample();
    let doc = report_json(&project, "care_costs", 2025);
    // Each person's billed less placed days by form, provider and month.
    let rest = "gaps AS (SELECT form, provider_id, month_start AS m, person_key, \
                SUM(billed_days) - SUM(placement_days) AS gap FROM both_kinds GROUP BY 1, 2, 3, 4) \
                SELECT form, provider_id, m, COUNT(*) AS n FROM gaps WHERE gap <> 0 GROUP BY 1, 2, 3";
    let mut few = Vec::new();
    for b in person_rows(&project, "care_costs", "summed AS (", rest, 2025) {
        let (form, provider, month) = (text(&b, 0), text(&b, 1), text(&b, 2));
        for (row, n) in numbers(&b, 3).into_iter().enumerate() {
            if (1.0..=4.0).contains(&n) {
                let quoted = |v: &str| format!("\"{v}\"");
                few.push(vec![
                    quoted(&form[row]),
                    quoted(&provider[row]),
                    quoted(&month[row]),
                ]);
            }
        }
    }
    assert!(
        !few.is_empty(),
        "the sample has months of a few children's gaps"
    );
    let names = crate::common::column_names(&doc);
    let at = names
        .iter()
        .filter(|c| !["form", "provider_id", "month"].contains(c))
        .position(|c| *c == "difference")
        .unwrap();
    let (_, by_key) = cells(&doc);
    let mut checked = 0;
    for key in &few {
        if let Some(measures) = by_key.get(key) {
            checked += 1;
            assert_eq!(measures[at].0, "suppressed", "{key:?}: {measures:?}");
        }
    }
    assert!(checked > 0, "none of those rows is in the release");
}
