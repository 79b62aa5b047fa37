//! What saved reports released, as own queries meet it: the persons of
//! the cells a report withheld (a query within [`NEAR`] persons of one is
//! withheld), and the counts and sums of a few persons it published (a
//! query within [`NEAR`] of one is given the report's number: padding a
//! withheld small group with a published cell tells nothing).

use super::{COUNT_KIND, Contribution, Ledger, NEAR, REPORT_SUM_KIND, Set, anchor, distance, mix};
use crate::contributors::FEW;

/// One person with their contribution to a sum, as a report's published
/// sum and a query's cell of a sum are compared: to the cent, so that
/// summing the same rows in another order gives the same element.
pub(crate) fn sum_element(person: u64, contribution: f64) -> u64 {
    // Cents of any register amount fit in i64; the cast saturates beyond.
    mix(&[3, person, (contribution * 100.0).round() as i64 as u64])
}

impl Ledger {
    /// Whether a cell a saved report withheld lies within [`NEAR`] of
    /// `persons` (a set of the count kind).
    pub(super) fn near_report(&self, persons: &Set) -> bool {
        self.report_within(persons, |d| d.is_some())
    }

    /// Whether a report's anchor lies at a distance from `persons` that
    /// `near` accepts (`None`: farther than [`NEAR`]).
    fn report_within(&self, persons: &Set, near: impl Fn(Option<u64>) -> bool) -> bool {
        debug_assert_eq!(persons.kind, COUNT_KIND);
        self.candidates(persons).any(|i| {
            let a = &self.anchors[i];
            a.report && near(distance((a.n, &a.sketch), (persons.n, &persons.sketch)))
        })
    }

    /// Records the persons (their hashes, `withheld::person_hash`) of cells
    /// a saved report withheld: from then on an own query withholds every
    /// cell whose persons lie within [`NEAR`] of one of them, whatever it
    /// measures. An exact check alone would be an oracle: a query of the
    /// cell's definition less a target when a condition holds answers
    /// `..` exactly when it does not. A cell recorded before is not
    /// recorded again.
    pub fn record_withheld(&mut self, cells: &[Vec<u64>]) {
        for persons in cells.iter().filter(|p| !p.is_empty()) {
            let set = Set::new(COUNT_KIND, persons.clone());
            if !self.report_within(&set, |d| d == Some(0)) {
                self.push(anchor(&set, None, true));
            }
        }
    }

    /// Records counts a saved report published, of `(persons, count)`: a
    /// query within [`NEAR`] persons of one is given that exact count
    /// (unless an earlier answer lies nearer in time), so padding a small
    /// group with a published cell tells nothing; the cells may be
    /// unions of published cells whose count is their sum. Recorded once.
    pub fn record_published(&mut self, cells: &[(Vec<u64>, f64)]) {
        for (persons, count) in cells.iter().filter(|(p, _)| !p.is_empty()) {
            let set = Set::new(COUNT_KIND, persons.clone());
            if !self.recorded(&set) {
                self.add(&set, Some(*count));
            }
        }
    }

    /// Records sums a saved report published, of `(elements, sum)`
    /// ([`sum_element`] of each person and contribution): a query's sum
    /// within [`NEAR`] of one is given the report's sum. Padding a
    /// withheld group with a published cell of euros or days gave the
    /// group's sum within the noise (an attacker of this model,
    /// 2026-12-07). Recorded once.
    pub fn record_published_sums(&mut self, cells: &[(Vec<u64>, f64)]) {
        for (elements, sum) in cells.iter().filter(|(e, _)| !e.is_empty()) {
            let set = Set::new(REPORT_SUM_KIND, elements.clone());
            if !self.recorded(&set) {
                self.add(&set, Some(*sum));
            }
        }
    }

    /// The sum a saved report published for a cell within [`NEAR`] of
    /// `contributors` (each with their own sum), the earliest.
    pub(super) fn published_sum(&self, contributors: &[&Contribution]) -> Option<f64> {
        // Reports record sums of at most `FEW` persons, as their
        // contributors are counted: those adding nought are none.
        let adding = contributors.iter().filter(|c| c.sum != 0.0);
        if self.report_sums == 0 || adding.clone().count() as u64 > FEW + NEAR {
            return None;
        }
        let set = Set::new(
            REPORT_SUM_KIND,
            adding.map(|c| sum_element(c.hash, c.sum)).collect(),
        );
        let i = self.nearest(&set)?;
        self.anchors[i].value
    }
}
