//! Why each withheld cell of a saved report is withheld, in the report's
//! own dimensions, for the statistician's audit folder.
//!
//! Telling a primary from a secondary narrows a withheld count to 1–4
//! persons, so these never go into a released package: the job writes
//! them under `audit/`, beside the release log entry they belong to.

use peitto_sdc::{Reason, Release};
use std::collections::HashMap;

/// A cell in the report's dimensions: (output column, code) pairs, the
/// total of a dimension as [`crate::TOTAL`].
pub type CellCodes = Vec<(String, String)>;

/// Why one measure of a withheld cell is withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Unsafe on its own by this primary rule (`frequency`, `dominance`, …).
    Primary(&'static str),
    /// Withheld so that these primary cells cannot be recomputed.
    Secondary(Vec<CellCodes>),
    /// Safe in this measure, withheld because another measure of the same
    /// cell is (one pattern for all measures of a table).
    OtherMeasure,
    /// Safe in every measure, withheld because a count of the same persons
    /// is withheld elsewhere in the table (the same persons are the same
    /// number: one shown would give the other away).
    SamePersons,
}

/// One withheld cell and why, measure by measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The cell.
    pub cell: CellCodes,
    /// (measure column, why) for each measure of the cell.
    pub measures: Vec<(String, Why)>,
}

/// The name a column of the aggregate has in the released table: through
/// each name the plan gives it on the way out (`COUNT(*) AS children`).
pub(crate) fn shown_name(name: &str, aliases: &HashMap<String, String>) -> String {
    let mut at = name;
    for _ in 0..8 {
        match aliases.get(at) {
            Some(next) if next != at => at = next,
            _ => break,
        }
    }
    at.to_owned()
}

/// The cell of a slice's table in the report's dimensions: the table's own
/// codes for the dimensions it totals over (`inner`, in order), the
/// slice's codes for the rest.
pub(crate) fn codes_of(
    release: &Release,
    cell: usize,
    names: &[String],
    inner: &[usize],
    slice: &[String],
) -> CellCodes {
    let own = release.codes(cell);
    let mut outer = slice.iter();
    names
        .iter()
        .enumerate()
        .map(|(d, name)| {
            let code = match inner.iter().position(|&i| i == d) {
                Some(pos) => own.get(pos).map_or_else(String::new, |c| (*c).to_owned()),
                None => outer.next().cloned().unwrap_or_default(),
            };
            (name.clone(), code)
        })
        .collect()
}

/// Why the measure of cell `i` in `release` is withheld, given the reasons
/// [`peitto_sdc::protect_explained`] gave for it.
pub(crate) fn why(
    release: &Release,
    reasons: &[Reason],
    i: usize,
    names: &[String],
    inner: &[usize],
    slice: &[String],
) -> Why {
    match &reasons[i] {
        Reason::Published => Why::OtherMeasure,
        Reason::Primary(rule) => Why::Primary(rule.as_str()),
        Reason::Secondary(protects) => Why::Secondary(
            protects
                .iter()
                .map(|&p| codes_of(release, p, names, inner, slice))
                .collect(),
        ),
    }
}

/// Cell `cell` of `release` withheld in every series because a count of
/// the same persons is withheld in another slice of the table.
pub(crate) fn same_persons(
    release: &Release,
    cell: usize,
    series: &[String],
    (names, inner, slice): (&[String], &[usize], &[String]),
) -> Explanation {
    Explanation {
        cell: codes_of(release, cell, names, inner, slice),
        measures: series
            .iter()
            .map(|name| (name.clone(), Why::SamePersons))
            .collect(),
    }
}

/// Each quantity's protected table, the reasons of its cells, and its cells by key.
pub(crate) type ProtectedTables<'a> = (
    &'a [Release],
    &'a [Vec<peitto_sdc::Reason>],
    &'a [HashMap<&'a Vec<usize>, usize>],
);

/// Why a withheld cell (`key`) is withheld, measure by measure
/// (`tables`: each quantity's protected table, its reasons and its cells
/// by key; `series`: the protected series by their names in the output,
/// remainders of `of_which` pairs after the measures; `place`: the
/// dimensions' names in the output, the dimensions the tables total over
/// and the slice's codes for the rest).
pub(crate) fn explain(
    tables: ProtectedTables<'_>,
    key: &Vec<usize>,
    series: &[String],
    place: (&[String], &[usize], &[String]),
) -> Explanation {
    let (releases, reasons, index) = tables;
    let (names, inner, slice) = place;
    let first = &releases[0];
    let i = index[0].get(key).copied().unwrap_or(0);
    let mut measures: Vec<(String, Why)> = Vec::new();
    for (q, name) in series.iter().enumerate() {
        let why = match index[q].get(key) {
            Some(&c) => why(&releases[q], &reasons[q], c, names, inner, slice),
            None => Why::OtherMeasure,
        };
        if !measures.contains(&(name.clone(), why.clone())) {
            measures.push((name.clone(), why));
        }
    }
    // No measure withheld on its own: a count of the same persons is.
    if measures.iter().all(|(_, why)| *why == Why::OtherMeasure) {
        for (_, why) in &mut measures {
            *why = Why::SamePersons;
        }
    }
    Explanation {
        cell: codes_of(first, i, names, inner, slice),
        measures,
    }
}
