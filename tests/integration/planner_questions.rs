//! What a planner can ask `peitto query` under the closed query model: the
//! questions of the README's "What you can ask" come back as protected
//! tables, and random queries of the allowed grammar keep the model's
//! promises (no small count published, rewrites get the same numbers, the
//! rows come from the domains, not from the data).

use crate::common::{ok, on_sample};
use serde_json::Value;
use std::collections::BTreeMap;

/// The questions of the README, each with the columns its answer has.
const QUESTIONS: &[(&str, &[&str])] = &[
    (
        // Children placed during 2025 by municipality and age band.
        "SELECT pl.municipality_code, CASE WHEN age_at_year_end(p.birth_date, 2025) < 7 THEN '0-6' \
         WHEN age_at_year_end(p.birth_date, 2025) < 13 THEN '7-12' ELSE '13-17' END AS age_band, \
         COUNT(DISTINCT pl.person_key) AS children FROM cw_placement pl JOIN person p ON p.person_key = pl.person_key \
         WHERE pl.start <= DATE '2025-12-31' AND (pl.\"end\" IS NULL OR pl.\"end\" >= DATE '2025-01-01') GROUP BY 1, 2",
        &["municipality_code", "age_band", "children"],
    ),
    (
        // Placements started by form and year.
        "SELECT form, EXTRACT(YEAR FROM start) AS year, COUNT(*) AS placements FROM cw_placement \
         WHERE EXTRACT(YEAR FROM start) BETWEEN 2023 AND 2025 GROUP BY 1, 2",
        &["form", "year", "placements"],
    ),
    (
        // Care costs invoiced by placement form.
        "SELECT pl.form, SUM(l.amount_eur) AS euros FROM care_invoice_line l \
         JOIN cw_placement pl ON pl.placement_id = l.placement_id GROUP BY pl.form",
        &["form", "euros"],
    ),
    (
        // Placement days in 2025 by form (the first and the last day counted).
        "SELECT form, SUM(care_days(start, \"end\", DATE '2025-01-01', DATE '2026-01-01', 'INCLUSIVE')) AS days \
         FROM cw_placement GROUP BY form",
        &["form", "days"],
    ),
    (
        // Notifications by month and outcome.
        "SELECT EXTRACT(MONTH FROM received_date) AS month, outcome, COUNT(*) AS notifications \
         FROM cw_notification WHERE EXTRACT(YEAR FROM received_date) = 2025 \
         AND (opened_by IS NULL OR opened_by = 'ILMOITUS') GROUP BY 1, 2",
        &["month", "outcome", "notifications"],
    ),
    (
        // Share of notifications decided within 7 working days.
        "SELECT municipality_code, w * 100.0 / n AS share_within_7 FROM (SELECT municipality_code, \
         COUNT(*) FILTER (WHERE working_days_after(received_date, decision_date) <= 7) AS w, COUNT(*) AS n \
         FROM cw_notification WHERE EXTRACT(YEAR FROM received_date) = 2025 \
         AND (opened_by IS NULL OR opened_by = 'ILMOITUS') GROUP BY municipality_code) t",
        &["municipality_code", "share_within_7"],
    ),
    (
        // Integration clients whose initial assessment started within 3 months of their home municipality.
        "SELECT c.municipality_code, COUNT(DISTINCT c.person_key) AS clients FROM integration_client c \
         JOIN integration_service s ON s.person_key = c.person_key \
         WHERE s.kind = 'ALKUKARTOITUS' AND s.start <= add_months(c.home_municipality_date, 3) GROUP BY 1",
        &["municipality_code", "clients"],
    ),
    (
        // Integration clients by permit basis and sex.
        "SELECT c.permit_basis, p.sex, COUNT(DISTINCT c.person_key) AS clients FROM integration_client c \
         JOIN person p ON p.person_key = c.person_key GROUP BY 1, 2",
        &["permit_basis", "sex", "clients"],
    ),
    (
        // Average daily price by form.
        "SELECT form, AVG(unit_price) AS avg_price FROM care_invoice_line l \
         JOIN cw_placement pl ON pl.placement_id = l.placement_id GROUP BY form",
        &["form", "avg_price"],
    ),
    (
        // Persons with service decisions by domain and result.
        "SELECT domain, result, COUNT(DISTINCT person_key) AS persons FROM service_decision \
         WHERE EXTRACT(YEAR FROM decision_date) = 2025 GROUP BY 1, 2",
        &["domain", "result", "persons"],
    ),
    (
        // Children placed per 1 000 children of the population (Statistics Finland's area codes).
        "SELECT c.municipality_code, c.children * 1000.0 / p.pop AS per_1000 FROM (SELECT municipality_code, \
         COUNT(DISTINCT person_key) AS children FROM cw_placement WHERE start <= DATE '2025-12-31' \
         AND (\"end\" IS NULL OR \"end\" >= DATE '2025-01-01') GROUP BY municipality_code) c \
         JOIN (SELECT area_code, SUM(persons) AS pop FROM population WHERE year = 2025 AND age < 18 GROUP BY area_code) p \
         ON p.area_code = 'KU' || c.municipality_code",
        &["municipality_code", "per_1000"],
    ),
];

fn released(sql: &str) -> Value {
    let out = on_sample(&["query", sql, "--format", "json", "--lang", "en"]);
    serde_json::from_str(&ok(&out)).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Rows as (dimension values, measure values), a withheld measure as `None`.
type Rows = BTreeMap<Vec<String>, Vec<Option<f64>>>;

fn rows(doc: &Value) -> Rows {
    let measure: Vec<bool> = doc["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"] == "measure")
        .collect();
    let mut out = Rows::new();
    for row in doc["rows"].as_array().unwrap() {
        let (mut keys, mut values) = (Vec::new(), Vec::new());
        for (cell, m) in row.as_array().unwrap().iter().zip(&measure) {
            if *m {
                values.push(cell["value"].as_f64());
            } else {
                keys.push(cell["value"].to_string());
            }
        }
        out.insert(keys, values);
    }
    out
}

#[test]
fn the_readme_questions_are_answered_with_protected_tables() {
    let readme = std::fs::read_to_string(crate::common::root().join("README.md")).unwrap();
    for (sql, columns) in QUESTIONS {
        let doc = released(sql);
        let names = crate::common::column_names(&doc);
        assert_eq!(&names, columns, "{sql}");
        let table = rows(&doc);
        assert!(!table.is_empty(), "{sql}: no rows");
        // Some cell of every answer is published: the question is useful.
        assert!(
            table.values().flatten().any(Option::is_some),
            "{sql}: everything withheld"
        );
        // Each question is the README's own: one it documents, not one kept here only.
        let first = sql.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
        assert!(
            readme
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .contains(&first),
            "README does not show: {first}"
        );
    }
}

/// A small deterministic generator (xorshift): the same queries every run.
struct Gen(u64);

impl Gen {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let n = u64::try_from(items.len()).unwrap();
        &items[usize::try_from(self.0 % n).unwrap()]
    }
}

/// A register table: its name, dimensions with a declared domain, filters
/// on its data, and a filter that keeps nobody.
struct Source {
    table: &'static str,
    dims: &'static [&'static str],
    filters: &'static [&'static str],
    nobody: &'static str,
}

const SOURCES: &[Source] = &[
    Source {
        table: "cw_placement",
        dims: &["form", "municipality_code", "EXTRACT(YEAR FROM start)"],
        filters: &[
            "start >= DATE '2024-01-01'",
            "\"end\" IS NULL",
            "form <> 'MUU'",
        ],
        nobody: "start >= DATE '2100-01-01'",
    },
    Source {
        table: "cw_notification",
        dims: &[
            "outcome",
            "municipality_code",
            "EXTRACT(QUARTER FROM received_date)",
        ],
        filters: &[
            "received_date >= DATE '2025-01-01'",
            "decision_date IS NOT NULL",
            "working_days_after(received_date, decision_date) > 7",
        ],
        nobody: "received_date >= DATE '2100-01-01'",
    },
    Source {
        table: "service_decision",
        dims: &["domain", "result", "municipality_code"],
        filters: &["decision_date < DATE '2025-07-01'", "result = 'MYONTEINEN'"],
        nobody: "decision_date >= DATE '2100-01-01'",
    },
];

#[test]
fn random_allowed_queries_keep_the_promises_of_the_model() {
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    for _ in 0..12 {
        let s = g.pick(SOURCES);
        let d1 = *g.pick(s.dims);
        let d2 = *g.pick(s.dims);
        let dims = if d1 == d2 { vec![d1] } else { vec![d1, d2] };
        let filter = *g.pick(s.filters);
        let measure = *g.pick(&["COUNT(*)", "COUNT(DISTINCT person_key)"]);
        let select = dims.join(", ");
        let group: Vec<String> = (1..=dims.len()).map(|i| i.to_string()).collect();
        let group = group.join(", ");
        let base = format!(
            "SELECT {select}, {measure} AS n FROM {} WHERE {filter} GROUP BY {group}",
            s.table
        );
        let table = rows(&released(&base));
        // 1. A cell of fewer than 5 persons is withheld, and the noise
        //    moves a published count by at most 2: no 0, 1 or 2 comes out.
        for v in table.values().flatten().flatten() {
            assert!(*v >= 3.0, "{base}: published {v}");
        }
        // 2. Rewrites of the same question get the same numbers: an alias,
        //    a filter written as FILTER, a redundant condition.
        let rewrites = [
            format!(
                "SELECT {select}, {measure} AS n FROM {} AS t WHERE ({filter}) AND 1 = 1 GROUP BY {group}",
                s.table
            ),
            format!(
                "SELECT {select}, {} FILTER (WHERE {filter}) AS n FROM {} GROUP BY {group}",
                measure, s.table
            ),
        ];
        for sql in &rewrites {
            // A WHERE condition on a dimension narrows its domain, FILTER
            // does not: the extra rows of a rewrite keep nobody.
            let mut again = rows(&released(sql));
            let extra: Rows = again
                .extract_if(.., |k, _| !table.contains_key(k))
                .collect();
            assert_eq!(again, table, "{base}\nrewritten as\n{sql}");
            assert!(extra.values().flatten().all(Option::is_none), "{sql}");
        }
        // 3. The rows are the grid of the dimensions' domains: adding a
        //    filter that keeps nobody gives the same rows, all withheld.
        let empty = rows(&released(&format!(
            "SELECT {select}, {measure} AS n FROM {} WHERE {filter} AND {} GROUP BY {group}",
            s.table, s.nobody
        )));
        assert_eq!(
            empty.keys().collect::<Vec<_>>(),
            table.keys().collect::<Vec<_>>(),
            "{base}"
        );
        assert!(empty.values().flatten().all(Option::is_none), "{base}");
    }
}

#[test]
fn peitto_tables_shows_the_model_in_the_planners_language() {
    for (lang, not_expected) in [
        ("fi", "a person seen"),
        ("sv", "a person seen"),
        ("en", "henkilö seen"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_peitto"))
            .args(["--lang", lang, "tables"])
            .env_remove("PEITTO_LANG")
            .output()
            .unwrap();
        let listing = ok(&out);
        for t in peitto_model::tables() {
            assert!(
                listing.lines().any(|l| l == t.name),
                "{lang}: table {} not listed",
                t.name
            );
            let key = format!("tables.table_{}", t.name);
            assert!(peitto_i18n::has(&key), "{key}");
        }
        assert!(!listing.contains(not_expected), "{lang}: {not_expected}");
        // Every column says what it may be used for.
        assert!(listing.contains("person_key") && listing.contains("COUNT(DISTINCT person_key)"));
    }
    let out = crate::common::peitto(&["tables", "nosuchtable"]);
    assert!(!out.status.success());
}
