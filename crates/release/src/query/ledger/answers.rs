//! Own queries' published counts, as a saved report sees them.
//!
//! After a report has run, a query within [`NEAR`] persons of a cell it
//! withheld is withheld ([`Ledger::record_withheld`]). A query answered
//! *before* the report ran has no such cell to meet: its published count
//! of (nearly) a cell's persons, beside the report's exact totals, would
//! narrow the cell the report then withholds to within the query's noise
//! (found by an attacker of this model, 2026-12-07). So a report treats a
//! count cell whose persons lie within [`NEAR`] of an earlier published
//! answer as known to the attacker, as it treats a cell another report
//! published: never hidden, and its pattern must protect every primary
//! with that cell known. Taking the noisy answer for the exact value
//! only ever asks for more protection. The same holds for a sum (euros,
//! days): the ledger keeps the persons of each published sum whose
//! contributions differ as well, and a report's cell of a sum within
//! [`NEAR`] persons of one is known, whatever the query summed (taking
//! another quantity of the same persons for this one, again, only asks
//! for more).

use super::{COUNT_KIND, Ledger, NEAR, POINTS, SUM_PERSONS_KIND, Set, distance};
use peitto_store::fast_hash::FxHashMap;
use std::sync::Arc;

/// The persons of a project's own queries' published answers, indexed
/// like the ledger: of counts (the count kind, a value), and of sums and
/// rows whose contributions differ.
#[derive(Debug, Clone, Default)]
pub struct Answers {
    counts: Arc<Inner>,
    sums: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Each answer's size and sketch.
    sets: Vec<(u64, [u64; POINTS])>,
    /// Each answer's smallest elements to the answers.
    index: FxHashMap<u64, Vec<u32>>,
}

impl Ledger {
    /// The counts of persons own queries published, for a saved report
    /// released while this ledger is held (so that no query answers
    /// between reading them and recording the report's withheld cells).
    #[must_use]
    pub fn answers(&self) -> Answers {
        let of = |kind: u64| {
            let mut inner = Inner::default();
            for a in self
                .anchors
                .iter()
                .filter(|a| a.kind == kind && a.value.is_some() && !a.report)
            {
                let id = u32::try_from(inner.sets.len()).unwrap_or(u32::MAX);
                for e in &a.bottom[..(a.n as usize).min(a.bottom.len())] {
                    inner.index.entry(*e).or_default().push(id);
                }
                inner.sets.push((a.n, a.sketch));
            }
            Arc::new(inner)
        };
        Answers {
            counts: of(COUNT_KIND),
            sums: of(SUM_PERSONS_KIND),
        }
    }
}

impl Answers {
    /// Whether no answer was published.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.counts.sets.is_empty() && self.sums.sets.is_empty()
    }

    /// Whether a published count lies within [`NEAR`] persons of a cell of
    /// `n` persons whose smallest hashes (`withheld::person_hash`) are
    /// `smallest` (ascending, the five smallest or all). `persons` gives
    /// all of them; it is called only when an answer of a size within
    /// [`NEAR`] shares one of the smallest, which for sets more than
    /// [`NEAR`] apart is rare.
    pub fn near(&self, n: u64, smallest: &[u64], persons: impl FnOnce() -> Vec<u64>) -> bool {
        self.counts.near(n, smallest, persons)
    }

    /// [`Answers::near`] for a cell of a sum (euros, days): whether a sum
    /// or rows of unequal contributions was published for (nearly) its
    /// persons. Of which quantity is not kept: any is taken as this one.
    pub fn near_sum(&self, n: u64, smallest: &[u64], persons: impl FnOnce() -> Vec<u64>) -> bool {
        self.sums.near(n, smallest, persons)
    }
}

impl Inner {
    fn near(&self, n: u64, smallest: &[u64], persons: impl FnOnce() -> Vec<u64>) -> bool {
        let mut candidates: Vec<u32> = smallest
            .iter()
            .filter_map(|e| self.index.get(e))
            .flatten()
            .copied()
            .filter(|&i| self.sets[i as usize].0.abs_diff(n) <= NEAR)
            .collect();
        if candidates.is_empty() {
            return false;
        }
        candidates.sort_unstable();
        candidates.dedup();
        let set = Set::new(COUNT_KIND, persons());
        candidates.into_iter().any(|i| {
            let (an, sketch) = &self.sets[i as usize];
            distance((*an, sketch), (set.n, &set.sketch)).is_some()
        })
    }
}
