//! What a page shows for a state: the filters, the headline figures and a
//! chart with its table per block. Selection only (see the crate doc).

use crate::format::{format_change, format_number};
use crate::svg::{self, Chart, Point};
use crate::{ALL_AREAS, BlockKind, Bundle, Cell as Stored, FILTERS, Loaded, State, lang_of};
use peitto_i18n::{Lang, format as tr, text};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the page shows for a state.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct View {
    /// Page title.
    pub title: String,
    /// The filters that apply on this page, with their options.
    pub filters: Vec<FilterView>,
    /// Key figures for the chosen year and area.
    pub headline: Vec<Figure>,
    /// One section per block.
    pub sections: Vec<Section>,
    /// The legend of symbols.
    pub legend: Vec<(String, String)>,
    /// Why a value is withheld, in one line (the marks' explanation).
    pub withheld_note: String,
}

/// A filter control.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FilterView {
    /// `year`, `area`, …
    pub kind: String,
    /// Label in the language.
    pub label: String,
    /// (value, label); the value `""` is the total.
    pub options: Vec<(String, String)>,
    /// Current value.
    pub value: String,
}

/// A value as shown.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cell {
    /// Text on the page (numbers formatted, withheld as the symbol).
    pub text: String,
    /// A number (right-aligned).
    pub numeric: bool,
    /// Withheld: the page adds the explanation.
    pub withheld: bool,
}

/// A key figure with the change from last year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Figure {
    /// What it counts.
    pub label: String,
    /// The table it comes from, and its area where that is not the chosen one.
    pub context: String,
    /// The value for the chosen year.
    pub value: Cell,
    /// Last year's value and the change (`2024: 230 (+20)`), or empty.
    pub change: String,
}

/// One block: its charts and table.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Section {
    /// Stable id (`table-kind-axis`).
    pub id: String,
    /// `trend`, `areas` or `breakdown`.
    pub kind: String,
    /// Title with the level, area and year.
    pub title: String,
    /// Charts, SVG: one per measure.
    pub charts: Vec<String>,
    /// Column headings.
    pub headings: Vec<String>,
    /// Cells as shown.
    pub rows: Vec<Vec<Cell>>,
    /// The cells shown, as CSV with the filters and the footnote.
    pub csv: String,
}

/// Filter values as chosen: `None` is the total.
pub(crate) type Chosen = BTreeMap<String, Option<String>>;

impl Bundle {
    fn shown_number(&self, v: Option<f64>, lang: Lang) -> Cell {
        match v {
            None => Cell {
                text: self.manifest.symbol.clone(),
                numeric: true,
                withheld: true,
            },
            Some(0.0) => Cell {
                text: "-".to_owned(),
                numeric: true,
                withheld: false,
            },
            Some(x) => Cell {
                text: format_number(lang, x),
                numeric: true,
                withheld: false,
            },
        }
    }

    /// What the page shows for `state` (keys `page`, `lang` and the filters;
    /// a missing filter takes its default: the latest year, all areas, the
    /// totals).
    #[must_use]
    pub fn view(&self, state: &State) -> View {
        let lang = lang_of(state.get("lang").map_or("fi", String::as_str));
        let withheld_note = text(lang, "board.withheld_note").to_owned();
        let legend = vec![
            (
                self.manifest.symbol.clone(),
                text(lang, "legend.suppressed").to_owned(),
            ),
            ("-".to_owned(), text(lang, "legend.nil").to_owned()),
        ];
        let page = state
            .get("page")
            .and_then(|p| self.manifest.pages.iter().find(|x| &x.id == p))
            .or_else(|| self.manifest.pages.first());
        let Some(page) = page else {
            return View {
                title: String::new(),
                filters: Vec::new(),
                headline: Vec::new(),
                sections: Vec::new(),
                legend,
                withheld_note,
            };
        };
        let mut ids: Vec<&str> = page.headline.iter().map(|f| f.table.as_str()).collect();
        ids.extend(page.blocks.iter().map(|b| b.table.as_str()));
        ids.dedup();
        let tables: Vec<&Loaded> = self
            .tables
            .iter()
            .filter(|t| ids.contains(&t.info.id.as_str()))
            .collect();
        let filters: Vec<FilterView> = FILTERS
            .iter()
            .filter_map(|kind| self.filter_view(&tables, kind, state, lang))
            .collect();
        let chosen: Chosen = filters
            .iter()
            .map(|f| {
                (
                    f.kind.clone(),
                    (!f.value.is_empty()).then(|| f.value.clone()),
                )
            })
            .collect();
        let headline = page
            .headline
            .iter()
            .filter_map(|f| {
                let t = self.table(&f.table)?;
                self.figure(t, &f.measure, &chosen, &filters, lang)
            })
            .collect();
        let sections = page
            .blocks
            .iter()
            .filter_map(|b| {
                let t = self.table(&b.table)?;
                Some(self.section(t, b, &chosen, &filters, lang))
            })
            .collect();
        View {
            title: text(lang, &format!("board.page_{}", page.id)).to_owned(),
            filters,
            headline,
            sections,
            legend,
            withheld_note,
        }
    }

    fn filter_view(
        &self,
        tables: &[&Loaded],
        kind: &str,
        state: &State,
        lang: Lang,
    ) -> Option<FilterView> {
        let mut values: Vec<String> = Vec::new();
        let mut has_total = false;
        let mut column = None;
        for t in tables {
            let Some(c) = t.column_of_filter(kind) else {
                continue;
            };
            column.get_or_insert(&t.info.columns[c]);
            for row in &t.rows {
                match &row[c] {
                    Stored::Text(Some(v)) if !values.contains(v) => values.push(v.clone()),
                    Stored::Text(None) => has_total = true,
                    _ => {}
                }
            }
        }
        let column = column?;
        // Numbers in numeric order (ages 0, 1, …, 17), other codes as text.
        values.sort_by(|a, b| match (a.parse::<i64>(), b.parse::<i64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => a.cmp(b),
        });
        let mut options = Vec::new();
        if has_total {
            options.push((String::new(), text(lang, "label.total").to_owned()));
        }
        // All areas first, then the counties, each followed by its
        // municipalities: the list reads as the hierarchy.
        if kind == "area" {
            let parent = |v: &str| self.manifest.parents.get(v).cloned();
            let mut ordered: Vec<String> =
                values.iter().filter(|v| *v == ALL_AREAS).cloned().collect();
            let counties: Vec<&String> = values
                .iter()
                .filter(|v| parent(v).as_deref() == Some(ALL_AREAS))
                .collect();
            for c in &counties {
                ordered.push((*c).clone());
                ordered.extend(
                    values
                        .iter()
                        .filter(|v| parent(v).as_ref() == Some(*c))
                        .cloned(),
                );
            }
            let rest: Vec<String> = values
                .iter()
                .filter(|v| !ordered.contains(v))
                .cloned()
                .collect();
            ordered.extend(rest);
            values = ordered;
        }
        options.extend(values.into_iter().map(|v| {
            let label = self.value_label(column, Some(&v), lang);
            let label = if kind == "area"
                && self
                    .manifest
                    .parents
                    .get(&v)
                    .is_some_and(|p| p != ALL_AREAS)
            {
                // Municipalities indented under their county.
                format!("\u{a0}\u{a0}{label}")
            } else {
                label
            };
            (v, label)
        }));
        let default = if kind == "year" {
            options.last().map(|o| o.0.clone()).unwrap_or_default()
        } else if options.iter().any(|o| o.0 == ALL_AREAS) {
            ALL_AREAS.to_owned()
        } else if has_total {
            String::new()
        } else {
            options.first().map(|o| o.0.clone()).unwrap_or_default()
        };
        let value = state
            .get(kind)
            .filter(|v| options.iter().any(|o| &o.0 == *v))
            .cloned()
            .unwrap_or(default);
        Some(FilterView {
            kind: kind.to_owned(),
            label: text(lang, &format!("dashboard.filter_{kind}")).to_owned(),
            options,
            value,
        })
    }

    /// The rows of `t` for the chosen filters: each filtered dimension at
    /// its chosen value, every other dimension at its total, `axis` free
    /// but not its total.
    fn rows<'a>(&self, t: &'a Loaded, chosen: &Chosen, axis: Option<usize>) -> Vec<&'a [Stored]> {
        let wants: Vec<Option<Option<String>>> = t
            .info
            .columns
            .iter()
            .enumerate()
            .map(|(c, col)| {
                if col.role != "dimension" {
                    return None;
                }
                if Some(c) == axis {
                    return None;
                }
                if let Some(v) = col.filter.as_ref().and_then(|k| chosen.get(k)) {
                    return Some(v.clone());
                }
                // Its total: where the table has none, nothing is shown
                // rather than one category passed off as all of them.
                Some(None)
            })
            .collect();
        t.rows
            .iter()
            .filter(|r| {
                axis.is_none_or(|a| r[a] != Stored::Text(None))
                    && wants.iter().zip(r.iter()).all(|(w, cell)| match (w, cell) {
                        (None, _) | (_, Stored::Number(_)) => true,
                        (Some(want), Stored::Text(v)) => v == want,
                    })
            })
            .map(Vec::as_slice)
            .collect()
    }

    pub(crate) fn number_at(row: &[Stored], c: usize) -> Option<f64> {
        match row.get(c) {
            Some(Stored::Number(v)) => *v,
            _ => None,
        }
    }

    /// The chosen area's name, or "all areas" for a table without areas.
    fn scope(&self, t: &Loaded, chosen: &Chosen, lang: Lang) -> String {
        match (t.column_of_filter("area"), chosen.get("area")) {
            (Some(_), Some(Some(area))) => self.area_label(area, lang),
            _ => self.area_label(ALL_AREAS, lang),
        }
    }

    fn figure(
        &self,
        t: &Loaded,
        measure: &str,
        chosen: &Chosen,
        filters: &[FilterView],
        lang: Lang,
    ) -> Option<Figure> {
        let m = t.column(measure)?;
        let current = self.rows(t, chosen, None).first().copied()?;
        let value = Self::number_at(current, m);
        // Last year: the year option before the chosen one, if it is the
        // calendar year before.
        let year = chosen.get("year").cloned().flatten();
        let previous_year = year
            .as_deref()
            .and_then(|y| y.parse::<i32>().ok())
            .map(|y| (y - 1).to_string())
            .filter(|p| {
                filters
                    .iter()
                    .any(|f| f.kind == "year" && f.options.iter().any(|o| &o.0 == p))
            });
        let change = previous_year
            .map(|p| {
                let mut before = chosen.clone();
                before.insert("year".to_owned(), Some(p.clone()));
                let previous = self
                    .rows(t, &before, None)
                    .first()
                    .and_then(|r| Self::number_at(r, m));
                let shown = self.shown_number(previous, lang).text;
                match (value, previous) {
                    (Some(now), Some(then)) => tr(
                        lang,
                        "board.change",
                        &[
                            ("year", &p),
                            ("value", &shown),
                            ("change", &format_change(lang, now - then)),
                        ],
                    ),
                    _ => tr(lang, "board.previous", &[("year", &p), ("value", &shown)]),
                }
            })
            .unwrap_or_default();
        Some(Figure {
            label: Self::column_label(&t.info.columns[m], lang),
            context: format!("{} · {}", t.title(lang), self.scope(t, chosen, lang)),
            value: self.shown_number(value, lang),
            change,
        })
    }

    /// Codes of the areas compared: the chosen area's children (counties of
    /// all areas, municipalities of a county), else its siblings.
    fn level(&self, codes: &[String], area: &str) -> (Vec<String>, String) {
        let parents = &self.manifest.parents;
        let children: Vec<String> = codes
            .iter()
            .filter(|c| parents.get(*c).is_some_and(|p| p == area))
            .cloned()
            .collect();
        if !children.is_empty() {
            return (children, area.to_owned());
        }
        if let Some(parent) = parents.get(area) {
            let siblings = codes
                .iter()
                .filter(|c| parents.get(*c) == Some(parent))
                .cloned()
                .collect();
            return (siblings, parent.clone());
        }
        // No hierarchy known: every area but the whole, under no parent.
        let all = codes.iter().filter(|c| *c != ALL_AREAS).cloned().collect();
        (all, String::new())
    }

    // one pass: select, title, charts, table, CSV
    fn section(
        &self,
        t: &Loaded,
        block: &crate::Block,
        chosen: &Chosen,
        filters: &[FilterView],
        lang: Lang,
    ) -> Section {
        let axis = t.column(&block.axis);
        let mut rows = self.rows(t, chosen, axis);
        let title = t.title(lang);
        let year = chosen.get("year").cloned().flatten().unwrap_or_default();
        let mut highlight = None;
        let title = match block.kind {
            BlockKind::Trend => {
                rows.sort_by_key(|r| match axis.map(|a| &r[a]) {
                    Some(Stored::Text(Some(y))) => y.parse::<i32>().unwrap_or(0),
                    _ => 0,
                });
                tr(
                    lang,
                    "board.trend",
                    &[("title", &title), ("area", &self.scope(t, chosen, lang))],
                )
            }
            BlockKind::Areas => {
                let area = chosen
                    .get("area")
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| ALL_AREAS.to_owned());
                let codes: Vec<String> = rows
                    .iter()
                    .filter_map(|r| match axis.map(|a| &r[a]) {
                        Some(Stored::Text(Some(c))) => Some(c.clone()),
                        _ => None,
                    })
                    .collect();
                let (level, parent) = self.level(&codes, &area);
                rows.retain(|r| match axis.map(|a| &r[a]) {
                    Some(Stored::Text(Some(c))) => level.contains(c),
                    _ => false,
                });
                if let Some(a) = axis {
                    let col = &t.info.columns[a];
                    rows.sort_by_cached_key(|r| match &r[a] {
                        Stored::Text(v) => self.value_label(col, v.as_deref(), lang),
                        Stored::Number(_) => String::new(),
                    });
                }
                highlight = Some(area);
                let key = if parent.is_empty() {
                    "board.areas_all"
                } else if parent == ALL_AREAS {
                    "board.areas_counties"
                } else {
                    "board.areas_municipalities"
                };
                tr(
                    lang,
                    key,
                    &[
                        ("title", &title),
                        ("area", &self.area_label(&parent, lang)),
                        ("year", &year),
                    ],
                )
            }
            BlockKind::Breakdown => tr(
                lang,
                "board.breakdown",
                &[
                    ("title", &title),
                    ("area", &self.scope(t, chosen, lang)),
                    ("year", &year),
                ],
            ),
        };
        let measures: Vec<usize> = block.measures.iter().filter_map(|m| t.column(m)).collect();
        let label_of = |r: &[Stored]| match axis.map(|a| (&t.info.columns[a], &r[a])) {
            Some((col, Stored::Text(v))) => self.value_label(col, v.as_deref(), lang),
            _ => String::new(),
        };
        let code_of = |r: &[Stored]| match axis.map(|a| &r[a]) {
            Some(Stored::Text(v)) => v.clone(),
            _ => None,
        };
        let note = text(lang, "board.withheld_note");
        let charts = if rows.is_empty() {
            Vec::new()
        } else {
            measures
                .iter()
                .map(|&m| {
                    let chart = Chart {
                        unit: &Self::column_label(&t.info.columns[m], lang),
                        points: rows
                            .iter()
                            .map(|r| Point {
                                label: label_of(r),
                                value: Self::number_at(r, m),
                                highlight: highlight.is_some() && code_of(r) == highlight,
                            })
                            .collect(),
                        lang,
                        symbol: &self.manifest.symbol,
                        note,
                    };
                    if block.kind == BlockKind::Trend {
                        svg::line(&chart)
                    } else {
                        svg::bars(&chart)
                    }
                })
                .collect()
        };
        // An area column names the level it shows ("Area"), not "Municipality".
        let mut headings = vec![
            axis.map(|a| {
                let col = &t.info.columns[a];
                if col.filter.as_deref() == Some("area") {
                    text(lang, "dashboard.filter_area").to_owned()
                } else {
                    Self::column_label(col, lang)
                }
            })
            .unwrap_or_default(),
        ];
        headings.extend(
            measures
                .iter()
                .map(|&m| Self::column_label(&t.info.columns[m], lang)),
        );
        let shown: Vec<Vec<Cell>> = rows
            .iter()
            .map(|r| {
                let mut cells = vec![Cell {
                    text: label_of(r),
                    numeric: false,
                    withheld: false,
                }];
                cells.extend(
                    measures
                        .iter()
                        .map(|&m| self.shown_number(Self::number_at(r, m), lang)),
                );
                cells
            })
            .collect();
        let csv = self.csv(&title, filters, &headings, &rows, &shown, &measures, lang);
        Section {
            id: format!(
                "{}-{}-{}",
                t.info.id,
                match block.kind {
                    BlockKind::Trend => "trend",
                    BlockKind::Areas => "areas",
                    BlockKind::Breakdown => "breakdown",
                },
                block.axis
            ),
            kind: match block.kind {
                BlockKind::Trend => "trend",
                BlockKind::Areas => "areas",
                BlockKind::Breakdown => "breakdown",
            }
            .to_owned(),
            title,
            charts,
            headings,
            rows: shown,
            csv,
        }
    }
}
