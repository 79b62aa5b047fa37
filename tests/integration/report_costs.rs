//! Saved reports whose rows are few persons or tables of euros, and the
//! project settings no report may loosen: `care_costs`' year totals and
//! its rows of a few children, and the disclosure policies of peitto.toml.

use crate::common::{ok, peitto};
use crate::release::{Measures, cells, json};
use peitto_i18n::Lang;

/// `care_costs`' year-total rows reconcile billing against placements for
/// the whole year: their placement days are the year's, not nil (the total
/// rows carry no month, and a join on the month used to miss them).
#[test]
fn care_costs_year_totals_carry_the_years_placement_days() {
    let (_tmp, project) = crate::common::fresh_sample();
    let p = project.to_str().unwrap();
    ok(&peitto(&[
        "--project",
        p,
        "report",
        "care_costs",
        "--year",
        "2025",
    ]));
    let doc = json(&project.join("out/care_costs-2025/care_costs.json"));
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
    assert!(!project.join("out/placed_children-2025").exists());
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
