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
    /// The header, parsed.
    pub header: Header,
    /// The SQL.
    pub sql: String,
}

/// Titles in the three languages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Titles {
    /// Finnish.
    pub fi: String,
    /// Swedish.
    pub sv: String,
    /// English.
    pub en: String,
}

impl Titles {
    /// The title in the language with this code (`fi`, `sv`, `en`).
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&str> {
        match code {
            "fi" => Some(&self.fi),
            "sv" => Some(&self.sv),
            "en" => Some(&self.en),
            _ => None,
        }
    }
}

/// What totals a dimension publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rollup {
    /// None: the dimension's categories only.
    None,
    /// One total over all categories (`form (… > total)`).
    Total,
    /// Areas: municipality, wellbeing county (hyvinvointialue), whole
    /// country (`municipality_code (municipality > wellbeing county >
    /// whole country)`), from the organisation register.
    Areas,
}

/// A dimension as the header declares it:
/// `name (members > total level > …)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dimension {
    /// The output column.
    pub name: String,
    /// Its categories as the header describes them (`1–12`,
    /// `PERHEHOITO, …`); empty where the header lists none.
    pub members: String,
    /// The totals published above the categories.
    pub rollup: Rollup,
}

/// The area hierarchy's levels above the municipality, as headers write them.
const AREA_LEVELS: [&str; 2] = ["wellbeing county", "whole country"];

impl Dimension {
    fn parse(item: &str) -> Result<Dimension, String> {
        let (name, inner) = match item.split_once('(') {
            Some((name, rest)) => (
                name.trim(),
                rest.trim_end()
                    .strip_suffix(')')
                    .ok_or_else(|| format!("{item:?}: no closing parenthesis"))?,
            ),
            None => (item.trim(), ""),
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!("{item:?}: a dimension is a column name"));
        }
        let mut levels = inner.split('>').map(str::trim);
        let members = levels.next().unwrap_or_default().to_owned();
        let above: Vec<&str> = levels.collect();
        let rollup = match above.as_slice() {
            [] => Rollup::None,
            [_] => Rollup::Total,
            levels if levels == AREA_LEVELS => Rollup::Areas,
            _ => {
                return Err(format!(
                    "{item:?}: the hierarchies are `… > total` and `municipality > {}`",
                    AREA_LEVELS.join(" > ")
                ));
            }
        };
        Ok(Dimension {
            name: name.to_owned(),
            members,
            rollup,
        })
    }
}

/// A saved report's header, parsed once: every field a report must have,
/// typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    /// Titles.
    pub titles: Titles,
    /// Definition and source, in English.
    pub description: String,
    /// Units of the measures (`persons; euros`).
    pub unit: String,
    /// Dimensions, in output order.
    pub dimensions: Vec<Dimension>,
    /// The measures as the header describes them.
    pub measures: String,
    /// The column that identifies a person.
    pub privacy_unit: String,
    /// The disclosure policy it is released under.
    pub policy: String,
    /// Parameter names.
    pub params: Vec<String>,
    /// The official statistic it follows, with a link.
    pub source: String,
    /// Every choice the report makes where the definition leaves one.
    pub choices: String,
    /// Measures that count a part of another in the same cell (`placed <
    /// clients`: of the clients, those placed): the whole less the part is
    /// protected as a cell of its own.
    pub of_which: Vec<OfWhich>,
    /// Pairs of measures whose difference the report shows (`expected_eur
    /// <> paid_eur`): the persons with more in one than in the other, each
    /// way, are protected like a count of their own.
    pub discrepancies: Vec<(String, String)>,
}

/// A part of a measure in the same cell: `part < whole`, or parts that
/// overlap, `a + b - both < whole` (those in `a` or `b`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfWhich {
    /// The part's measures, each with its sign (+1 or −1).
    pub parts: Vec<(i32, String)>,
    /// The whole's measure.
    pub whole: String,
}

impl OfWhich {
    fn parse(text: &str) -> Option<OfWhich> {
        let (left, whole) = text.split_once('<')?;
        let whole = whole.trim();
        let mut parts = Vec::new();
        let mut sign = 1;
        let mut name = String::new();
        for c in left.chars().chain(std::iter::once('+')) {
            match c {
                '+' | '-' => {
                    let n = name.trim();
                    if !is_name(n) {
                        return None;
                    }
                    parts.push((sign, n.to_owned()));
                    name.clear();
                    sign = if c == '-' { -1 } else { 1 };
                }
                c => name.push(c),
            }
        }
        (is_name(whole) && parts.first().is_some_and(|p| p.0 > 0)).then(|| OfWhich {
            parts,
            whole: whole.to_owned(),
        })
    }

    /// `a + b - both < whole`, as the header writes it.
    #[must_use]
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (i, (sign, name)) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push_str(if *sign < 0 { " - " } else { " + " });
            }
            out.push_str(name);
        }
        format!("{out} < {}", self.whole)
    }
}

/// Whether `n` can name a measure (letters, digits, `_`).
fn is_name(n: &str) -> bool {
    !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The entries of a `;`-separated header list.
fn entries(list: &str) -> impl Iterator<Item = &str> {
    list.split(';').map(str::trim).filter(|e| !e.is_empty())
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

/// Header keys a report may have besides.
pub const OPTIONAL: &[&str] = &["source", "choices", "of_which", "discrepancies"];

impl Header {
    fn parse(id: &str, mut fields: BTreeMap<String, String>) -> Result<Header, EngineError> {
        let bad = |detail: String| EngineError::Report(format!("report {id}: {detail}"));
        for key in REQUIRED {
            if !fields.contains_key(*key) {
                return Err(bad(format!("the header lacks {key:?}")));
            }
        }
        if let Some(key) = fields
            .keys()
            .find(|k| !REQUIRED.contains(&k.as_str()) && !OPTIONAL.contains(&k.as_str()))
        {
            return Err(bad(format!("the header has an unknown field {key:?}")));
        }
        if fields.get("id").map(String::as_str) != Some(id) {
            return Err(bad(format!("its id line says {:?}", fields.get("id"))));
        }
        let mut take = |key: &str| fields.remove(key).unwrap_or_default();
        let dimensions = entries(&take("dimensions"))
            .map(Dimension::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        let of_which = entries(&take("of_which"))
            .map(|pair| {
                OfWhich::parse(pair)
                    .ok_or_else(|| bad(format!("of_which {pair:?} is not \"part < whole\"")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let discrepancies = entries(&take("discrepancies"))
            .map(|pair| {
                pair.split_once("<>")
                    .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
                    .filter(|(a, b)| is_name(a) && is_name(b))
                    .ok_or_else(|| bad(format!("discrepancies {pair:?} is not \"a <> b\"")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let params = take("params")
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Ok(Header {
            titles: Titles {
                fi: take("title.fi"),
                sv: take("title.sv"),
                en: take("title.en"),
            },
            description: take("description"),
            unit: take("unit"),
            dimensions,
            measures: take("measures"),
            privacy_unit: take("privacy_unit"),
            policy: take("policy"),
            params,
            source: take("source"),
            choices: take("choices"),
            of_which,
            discrepancies,
        })
    }
}

impl Report {
    /// Parses a report's text.
    ///
    /// # Errors
    /// If a required header key is missing, a key is unknown, a dimension
    /// is malformed, or the id differs from `id`.
    pub fn parse(id: &str, text: &str) -> Result<Report, EngineError> {
        let mut fields = BTreeMap::new();
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
                    fields.insert(k.trim().to_owned(), v.trim().to_owned());
                }
                _ => {
                    in_header &= line.trim().is_empty();
                    sql.push_str(line);
                    sql.push('\n');
                }
            }
        }
        Ok(Report {
            id: id.to_owned(),
            header: Header::parse(id, fields)?,
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
        self.header.params.iter().map(String::as_str).collect()
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
        assert_eq!(report.params(), vec!["year"]);
        assert!(
            report.sql.starts_with("-- Note: the months"),
            "{}",
            report.sql
        );
        assert!(report.sql.ends_with("-- later: x"), "{}", report.sql);
    }

    #[test]
    fn of_which_pairs_are_read_as_part_and_whole() {
        let text = format!("-- of_which: placed < clients; new <n\n{HEADER}SELECT 1\n");
        let report = Report::parse("r", &text).unwrap();
        let texts: Vec<String> = report.header.of_which.iter().map(OfWhich::text).collect();
        assert_eq!(texts, vec!["placed < clients", "new < n"]);
        let overlap = format!("-- of_which: a + b - both < all\n{HEADER}SELECT 1\n");
        let report = Report::parse("r", &overlap).unwrap();
        assert_eq!(
            report.header.of_which[0].parts,
            vec![
                (1, "a".to_owned()),
                (1, "b".to_owned()),
                (-1, "both".to_owned())
            ]
        );
        let pair = format!("-- discrepancies: expected_eur <> paid_eur\n{HEADER}SELECT 1\n");
        assert_eq!(
            Report::parse("r", &pair).unwrap().header.discrepancies,
            vec![("expected_eur".to_owned(), "paid_eur".to_owned())]
        );
        for bad in ["expected_eur paid_eur", "a <> b c"] {
            let text = format!("-- discrepancies: {bad}\n{HEADER}SELECT 1\n");
            assert!(Report::parse("r", &text).is_err(), "{bad}");
        }
        for bad in [
            "placed clients",
            "- placed < clients",
            "placed + < clients",
            "a < b c",
        ] {
            let text = format!("-- of_which: {bad}\n{HEADER}SELECT 1\n");
            assert!(Report::parse("r", &text).is_err(), "{bad}");
        }
        assert!(
            Report::parse("r", &format!("{HEADER}SELECT 1"))
                .unwrap()
                .header
                .of_which
                .is_empty()
        );
    }

    #[test]
    fn every_builtin_report_names_its_source_and_choices() {
        for report in builtin().unwrap() {
            // The SQL starts with a statement, so that it can be given to
            // `peitto sql` as it is (an argument starting with `--` reads as
            // an option).
            assert!(!report.sql.starts_with('-'), "{}", report.id);
            let h = &report.header;
            assert!(!h.source.is_empty(), "{}: no source", report.id);
            assert!(!h.choices.is_empty(), "{}: no choices", report.id);
            assert!(!h.dimensions.is_empty(), "{}: no dimensions", report.id);
            assert_eq!(h.privacy_unit, "person_key", "{}", report.id);
            assert!(["thl", "ely"].contains(&h.policy.as_str()), "{}", report.id);
        }
    }

    #[test]
    fn dimensions_are_parsed_with_their_totals() {
        let text = HEADER.replace(
            "-- dimensions: d\n",
            "-- dimensions: month (1–12 > year); provider_id; municipality_code \
             (municipality > wellbeing county > whole country)\n",
        );
        let r = Report::parse("r", &format!("{text}SELECT 1")).unwrap();
        let dims: Vec<(&str, &str, Rollup)> = r
            .header
            .dimensions
            .iter()
            .map(|d| (d.name.as_str(), d.members.as_str(), d.rollup))
            .collect();
        assert_eq!(
            dims,
            vec![
                ("month", "1–12", Rollup::Total),
                ("provider_id", "", Rollup::None),
                ("municipality_code", "municipality", Rollup::Areas),
            ]
        );
        assert_eq!(r.header.titles.get("sv"), Some("T"));
    }

    #[test]
    fn a_malformed_header_is_refused_with_what_is_wrong() {
        let cases = [
            (HEADER.replace("-- policy: thl\n", ""), "lacks \"policy\""),
            (format!("{HEADER}-- polcy: thl\n"), "unknown field"),
            (
                HEADER.replace("-- dimensions: d\n", "-- dimensions: area (a > b > c)\n"),
                "hierarchies",
            ),
            (
                HEADER.replace("-- dimensions: d\n", "-- dimensions: form (a > total\n"),
                "parenthesis",
            ),
            (HEADER.replace("-- id: r\n", "-- id: s\n"), "id line"),
        ];
        for (text, expected) in cases {
            let e = Report::parse("r", &format!("{text}SELECT 1")).unwrap_err();
            assert!(e.to_string().contains(expected), "{e}");
        }
    }
}
