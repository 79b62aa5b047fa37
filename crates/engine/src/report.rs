//! Saved reports: `queries/*.sql`, each a SQL statement under a header of
//! `-- key: value` lines (id, titles in fi/sv/en, unit, dimensions with
//! their hierarchies, measures, the privacy-unit column, the disclosure
//! policy, parameters). Parameters are named placeholders (`$year`) bound
//! at run time, never pasted into the text.

use crate::EngineError;
use std::collections::BTreeMap;
use std::path::Path;

/// A parsed saved report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Stable id (the file stem).
    pub id: String,
    /// Header fields by key (`title.fi`, `dimensions`, `policy`, …).
    pub header: BTreeMap<String, String>,
    /// The SQL.
    pub sql: String,
}

/// Header keys every report must have.
pub const REQUIRED: &[&str] = &[
    "id",
    "title.fi",
    "title.sv",
    "title.en",
    "description",
    "unit",
    "dimensions",
    "measures",
    "privacy_unit",
    "policy",
    "params",
];

impl Report {
    /// Parses a report's text.
    ///
    /// # Errors
    /// If a required header key is missing or the id differs from `id`.
    pub fn parse(id: &str, text: &str) -> Result<Report, EngineError> {
        let mut header = BTreeMap::new();
        let mut sql = String::new();
        // The header is the leading run of `-- key: value` lines whose key is
        // a name (`title.fi`, `privacy_unit`); the first other line, such as
        // a comment in prose ("-- The months as VALUES: …"), starts the SQL.
        let mut in_header = true;
        for line in text.lines() {
            let field = line
                .strip_prefix("--")
                .map(str::trim)
                .and_then(|l| l.split_once(':'))
                .filter(|(k, _)| is_header_key(k.trim()));
            match field {
                Some((k, v)) if in_header => {
                    header.insert(k.trim().to_owned(), v.trim().to_owned());
                }
                _ => {
                    in_header &= line.trim().is_empty();
                    sql.push_str(line);
                    sql.push('\n');
                }
            }
        }
        for key in REQUIRED {
            if !header.contains_key(*key) {
                return Err(EngineError::Report(format!(
                    "report {id}: the header lacks {key:?}"
                )));
            }
        }
        if header.get("id").map(String::as_str) != Some(id) {
            return Err(EngineError::Report(format!(
                "report {id}: its id line says {:?}",
                header.get("id")
            )));
        }
        Ok(Report {
            id: id.to_owned(),
            header,
            sql: sql.trim().to_owned(),
        })
    }

    /// Loads `dir/ID.sql`.
    ///
    /// # Errors
    /// If the file is missing or malformed.
    pub fn load(dir: &Path, id: &str) -> Result<Report, EngineError> {
        let path = dir.join(format!("{id}.sql"));
        let text = std::fs::read_to_string(&path)
            .map_err(|e| EngineError::Report(format!("{}: {e}", path.display())))?;
        Report::parse(id, &text)
    }

    /// Every report in `dir`, by id.
    ///
    /// # Errors
    /// If one is malformed.
    pub fn all(dir: &Path) -> Result<Vec<Report>, EngineError> {
        let mut ids: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| EngineError::Report(format!("{}: {e}", dir.display())))?
            .filter_map(|e| {
                e.ok()?
                    .path()
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .collect();
        ids.sort();
        ids.iter().map(|id| Report::load(dir, id)).collect()
    }

    /// The parameters for a statistical year: `year`; `from` and `until`
    /// (1.1. of the year and of the next); `months` 3.
    #[must_use]
    pub fn params_for_year(&self, year: i32) -> BTreeMap<String, datafusion::common::ScalarValue> {
        use datafusion::common::ScalarValue;
        self.params()
            .into_iter()
            .map(|p| {
                let v = match p {
                    "year" => ScalarValue::Int64(Some(i64::from(year))),
                    "from" => ScalarValue::Utf8(Some(format!("{year}-01-01"))),
                    "until" => ScalarValue::Utf8(Some(format!("{}-01-01", year + 1))),
                    "months" => ScalarValue::Int64(Some(3)),
                    other => ScalarValue::Utf8(Some(other.to_owned())),
                };
                (p.to_owned(), v)
            })
            .collect()
    }

    /// Names of the parameters the report takes.
    #[must_use]
    pub fn params(&self) -> Vec<&str> {
        self.header
            .get("params")
            .map(|p| {
                p.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Whether `key` can name a header field: lower-case letters, digits, `_`
/// and `.`, as in `title.fi`.
fn is_header_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
}

/// The saved reports that ship with peitto (`queries/` of the repository),
/// compiled in so a project needs no copy of them.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "actual_cost_claims",
        include_str!("../../../queries/actual_cost_claims.sql"),
    ),
    (
        "after_care_clients",
        include_str!("../../../queries/after_care_clients.sql"),
    ),
    (
        "care_costs",
        include_str!("../../../queries/care_costs.sql"),
    ),
    (
        "care_costs_by_form",
        include_str!("../../../queries/care_costs_by_form.sql"),
    ),
    (
        "children_in_care",
        include_str!("../../../queries/children_in_care.sql"),
    ),
    (
        "compensation_reconciliation",
        include_str!("../../../queries/compensation_reconciliation.sql"),
    ),
    (
        "county_social_assistance_25_64",
        include_str!("../../../queries/county_social_assistance_25_64.sql"),
    ),
    (
        "integration_outcomes",
        include_str!("../../../queries/integration_outcomes.sql"),
    ),
    (
        "integration_services_within_months",
        include_str!("../../../queries/integration_services_within_months.sql"),
    ),
    (
        "notification_time_limits",
        include_str!("../../../queries/notification_time_limits.sql"),
    ),
    (
        "notifications_and_children",
        include_str!("../../../queries/notifications_and_children.sql"),
    ),
    (
        "open_care_clients",
        include_str!("../../../queries/open_care_clients.sql"),
    ),
    (
        "placed_children",
        include_str!("../../../queries/placed_children.sql"),
    ),
    (
        "placement_day_bands",
        include_str!("../../../queries/placement_day_bands.sql"),
    ),
    (
        "placement_days_by_form",
        include_str!("../../../queries/placement_days_by_form.sql"),
    ),
    (
        "sotkanet_social_assistance_25_64",
        include_str!("../../../queries/sotkanet_social_assistance_25_64.sql"),
    ),
    (
        "urgent_and_new_care_orders",
        include_str!("../../../queries/urgent_and_new_care_orders.sql"),
    ),
];

/// Every built-in report, parsed.
///
/// # Errors
/// If one is malformed (a build defect the tests catch).
pub fn builtin() -> Result<Vec<Report>, EngineError> {
    BUILTIN
        .iter()
        .map(|(id, text)| Report::parse(id, text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "-- id: r\n-- title.fi: T\n-- title.sv: T\n-- title.en: T\n\
        -- description: D\n-- unit: u\n-- dimensions: d\n-- measures: m\n\
        -- privacy_unit: person_key\n-- policy: thl\n-- params: year\n";

    #[test]
    fn a_comment_in_prose_after_the_header_is_part_of_the_sql() {
        let text = format!("{HEADER}-- Note: the months as VALUES\nSELECT 1\n-- later: x\n");
        let report = Report::parse("r", &text).unwrap();
        assert!(!report.header.contains_key("Note"));
        assert!(!report.header.contains_key("later"));
        assert_eq!(report.params(), vec!["year"]);
        assert!(
            report.sql.starts_with("-- Note: the months"),
            "{}",
            report.sql
        );
        assert!(report.sql.ends_with("-- later: x"), "{}", report.sql);
    }

    #[test]
    fn every_builtin_report_names_its_source_and_choices() {
        let known: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .chain(["source", "choices"])
            .collect();
        for report in builtin().unwrap() {
            for key in report.header.keys() {
                assert!(known.contains(&key.as_str()), "{}: {key}", report.id);
            }
            // The SQL starts with a statement, so that it can be given to
            // `peitto sql` as it is (an argument starting with `--` reads as
            // an option).
            assert!(!report.sql.starts_with('-'), "{}", report.id);
            for key in ["source", "choices"] {
                assert!(
                    report.header.get(key).is_some_and(|v| !v.is_empty()),
                    "{}: no {key}",
                    report.id
                );
            }
        }
    }
}
