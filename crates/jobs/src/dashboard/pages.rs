//! The dashboard's pages: which saved reports each topic shows, how, and
//! the names the viewer puts on codes.

use peitto_i18n::Lang;
use peitto_viewer::bundle::RATE;
use peitto_viewer::{Block, BlockKind, Figure, Names, Page};
use std::collections::BTreeMap;

/// A block of a page: a report, what it shows, along which dimension,
/// which measures.
struct BlockSpec {
    report: &'static str,
    kind: BlockKind,
    axis: &'static str,
    measures: &'static [&'static str],
}

/// A topic's page: key figures (report, measure), then the blocks.
struct PageSpec {
    id: &'static str,
    headline: &'static [(&'static str, &'static str)],
    blocks: &'static [BlockSpec],
}

const fn block(
    report: &'static str,
    kind: BlockKind,
    axis: &'static str,
    measures: &'static [&'static str],
) -> BlockSpec {
    BlockSpec {
        report,
        kind,
        axis,
        measures,
    }
}

use BlockKind::{Areas, Breakdown, Trend};

const AREA: &str = "municipality_code";

const PAGES: &[PageSpec] = &[
    PageSpec {
        id: "placements",
        headline: &[
            ("placed_children", "children"),
            ("placed_children", RATE),
            ("children_in_care", "in_care_31_12"),
            ("placement_days_by_form", "days"),
        ],
        blocks: &[
            block("placed_children", Trend, "year", &["children", RATE]),
            block("placed_children", Areas, AREA, &["children", RATE]),
            block(
                "children_in_care",
                Breakdown,
                "form",
                &["children_in_care", "in_care_31_12"],
            ),
            block("placement_days_by_form", Breakdown, "form", &["days"]),
        ],
    },
    PageSpec {
        id: "coverage",
        headline: &[
            ("county_social_assistance_25_64", "recipients"),
            ("county_social_assistance_25_64", RATE),
            ("notifications_and_children", "notifications"),
            ("notifications_and_children", RATE),
        ],
        blocks: &[
            block(
                "county_social_assistance_25_64",
                Trend,
                "year",
                &["recipients", RATE],
            ),
            block(
                "county_social_assistance_25_64",
                Areas,
                AREA,
                &["recipients", RATE],
            ),
            block(
                "notifications_and_children",
                Areas,
                AREA,
                &["children", RATE],
            ),
        ],
    },
    PageSpec {
        id: "integration",
        headline: &[
            ("integration_services_within_months", "new_clients"),
            ("integration_services_within_months", "planned_within"),
            ("integration_services_within_months", "planned_percent"),
        ],
        blocks: &[
            block(
                "integration_services_within_months",
                Trend,
                "year",
                &["new_clients"],
            ),
            block(
                "integration_services_within_months",
                Areas,
                AREA,
                &["new_clients", "planned_percent"],
            ),
        ],
    },
    PageSpec {
        id: "costs",
        headline: &[
            ("care_costs_by_form", "euros"),
            ("care_costs_by_form", "billed_days"),
            ("care_costs_by_form", "euros_per_day"),
        ],
        blocks: &[
            block("care_costs_by_form", Trend, "year", &["euros"]),
            block(
                "care_costs_by_form",
                Breakdown,
                "form",
                &["euros", "billed_days"],
            ),
            block("care_costs_by_form", Breakdown, "month", &["euros"]),
        ],
    },
];

/// Tables with a rate per 1 000: (report, the count it divides).
const RATES: &[(&str, &str)] = &[
    ("placed_children", "children"),
    ("county_social_assistance_25_64", "recipients"),
    ("notifications_and_children", "children"),
];

/// Columns named from a code list of the model.
const CODED: &[(&str, &str)] = &[
    ("sex", "sex"),
    ("form", "placement_form"),
    ("status", "outcome_status"),
    ("compensation_type", "compensation_type"),
];

/// The reports the pages use, each once, in page order.
pub(crate) fn reports_used() -> Vec<&'static str> {
    let mut out: Vec<&str> = Vec::new();
    for p in PAGES {
        for id in p
            .headline
            .iter()
            .map(|h| h.0)
            .chain(p.blocks.iter().map(|b| b.report))
        {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// Category names for the manifest: column → code → language → name.
pub(crate) fn code_names() -> BTreeMap<String, BTreeMap<String, Names>> {
    let mut out: BTreeMap<String, BTreeMap<String, Names>> = BTreeMap::new();
    for (column, list) in CODED {
        let Some(codes) = peitto_model::codes::by_name(list) else {
            continue;
        };
        for code in codes.codes {
            let names: Names = Lang::ALL
                .iter()
                .filter_map(|l| {
                    peitto_model::codes::name(list, code.code, l.code())
                        .map(|n| (l.code().to_owned(), n.to_owned()))
                })
                .collect();
            if !names.is_empty() {
                out.entry((*column).to_owned())
                    .or_default()
                    .insert(code.code.to_owned(), names);
            }
        }
    }
    out
}

/// The pages as the manifest carries them.
pub(crate) fn manifest_pages() -> Vec<Page> {
    PAGES
        .iter()
        .map(|p| Page {
            id: p.id.to_owned(),
            headline: p
                .headline
                .iter()
                .map(|(table, measure)| Figure {
                    table: (*table).to_owned(),
                    measure: (*measure).to_owned(),
                })
                .collect(),
            blocks: p
                .blocks
                .iter()
                .map(|b| Block {
                    table: b.report.to_owned(),
                    kind: b.kind,
                    axis: b.axis.to_owned(),
                    measures: b.measures.iter().map(|m| (*m).to_owned()).collect(),
                })
                .collect(),
        })
        .collect()
}

/// The count a table's rate per 1 000 divides, if it has one.
pub(crate) fn rate_of(report: &str) -> Option<&'static str> {
    RATES.iter().find(|r| r.0 == report).map(|r| r.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_reads_saved_reports_with_the_columns_it_names() {
        let reports = peitto_engine::report::builtin().unwrap();
        for id in reports_used() {
            assert!(reports.iter().any(|r| r.id == id), "no saved report {id}");
        }
        for (report, count) in RATES {
            assert!(reports_used().contains(report), "{report}");
            assert!(
                PAGES.iter().any(|p| p.headline.contains(&(report, count))
                    || p.blocks
                        .iter()
                        .any(|b| b.report == *report && b.measures.contains(count))),
                "{report}: {count} is shown nowhere"
            );
        }
        assert!(!code_names().is_empty());
        assert_eq!(manifest_pages().len(), PAGES.len());
    }
}
