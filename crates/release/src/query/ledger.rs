//! The differencing ledger: a released cell whose persons lie near an
//! earlier answer's gets that earlier answer.
//!
//! The cell key method gives the same persons the same number, and that
//! alone is an oracle: a pad of five or more persons, plus a target only
//! when a condition holds (`WHERE pad OR (target's class AND secret)`),
//! publishes the pad's number exactly when the condition is false; a
//! municipality's count less a class of one person differences the person
//! out; a withheld pad of one to four persons plus the target tells the
//! pad's size. So every cell-measure with contributors is compared with
//! the *anchors* of this project (the earlier fresh answers, by anyone):
//!
//! - the contributors give a set of elements, one per person, of a *kind*
//!   (see [`identity`]): sets are compared only with sets of their kind;
//! - fewer persons than the policy's minimum: withheld as always, and kept
//!   as an anchor without a value when no anchor of its kind lies within
//!   [`NEAR`] persons of it;
//! - otherwise, the earliest anchor of the kind whose symmetric difference
//!   with the set has at most [`NEAR`] elements gives its value (none:
//!   withheld); when there is none the fresh value is published and the
//!   set becomes an anchor with that value.
//!
//! Only fresh sets become anchors, so anchors of a kind are at least
//! `NEAR + 1` apart and "the earliest anchor within `NEAR`" does not move:
//! repeats and rewrites of one query get the same answer, whatever ran in
//! between.
//!
//! **Saved reports' withheld cells.** A saved report under suppression
//! publishes exact values around the cells it withholds; an own query's
//! value of (nearly) the same persons would give one back. The persons of
//! each such cell are kept as an anchor of the count kind marked as a
//! report's ([`Ledger::record_withheld`]), and an own query withholds every
//! cell, of any measure, whose persons lie within [`NEAR`] of one. Only
//! the exact set was withheld before, and that was an oracle (found by an
//! attacker of this model, 2026-12-06): the cell's definition less a
//! target when a condition holds answered `..` exactly when it did not.
//!
//! **Answers before a report.** A report run after a query treats a cell
//! within [`NEAR`] persons of a published answer as known
//! ([`Answers`]); for a sum whose contributions differ the persons alone
//! are kept too, as a record of their own kind that no query is ever
//! compared with.
//!
//! **Kinds.** What the cell key method publishes depends on the persons
//! and, unless every contributor adds the same, on their contributions.
//! A cell whose contributors all add the same value `c` (every count of
//! persons, rows when everyone has as many, a sum of a constant) is of
//! the one *count* kind, its elements the persons, and keeps the persons'
//! perturbed count: it publishes `c` times it, exactly as the cell key
//! method would, so that a count and a sum of a constant never disagree,
//! whichever measure made the anchor. Other cells are of their quantity's
//! kind (rows with their cap, a sum with its bounds), each element mixing
//! the person with their capped rows or clamped sum: a filter that changes
//! contributions gives a far set, adding or removing one person's
//! contribution moves the set by one or two.
//!
//! **Records.** No person is stored. An anchor keeps its kind, size,
//! value, its five smallest elements, and a sketch: its characteristic
//! polynomial `∏(z − x)` over GF(2⁶¹ − 1) at twelve fixed points. Two sets
//! with sketches `a` and `b` differ by `P = ∏(A∖B)` over `Q = ∏(B∖A)`, so
//! `a·Q = b·P` at every point; the distance is the least degree `|P| + |Q|`
//! (its parity and difference fixed by the sizes) for which that linear
//! system has a solution. A near set is always found; a far set passes
//! twelve equations in at most four unknowns only by chance (for pseudonyms
//! the attacker cannot choose, at worst of the order of the sets' sizes over
//! 2⁶¹ per comparison).
//! Unlike an invertible Bloom lookup table, whose peeling fails for two
//! differing persons of the same cells, this test is exact for small
//! differences. A record is 176 bytes (kind, size, value and flags (a
//! value; a report's withheld cell), five
//! elements, twelve points, checksum): a national query of a few thousand
//! fresh cells adds under a megabyte; a repeat adds nothing.
//!
//! **Candidates.** An inverted index maps each anchor's five smallest
//! elements (all, for a set of fewer) to the anchor; a set looks up its
//! own five smallest. If `|A∖B| ≤ 4` and `|B∖A| ≤ 4` and `B` has five or
//! more elements, let `x` be the smallest element of `B` in `A`: every
//! element of `B` below `x` lies in `B∖A`, so `x` is among `B`'s five
//! smallest, and every element of `A` below `x` lies in `A∖B`, so `x` is
//! among `A`'s five smallest. If `B` has fewer than five, all are indexed
//! and `A` of five or more shares one by the same argument; two disjoint
//! sets of fewer than five persons each are not compared, and both are
//! withheld anyway.
//!
//! **File.** `audit/released-cells`: a header (magic, version) and fixed
//! records, appended once per query after protection and before the
//! answer is shown (`sync_all`). An exclusive lock on the file is held
//! from loading to the append, so two planners' queries take turns
//! comparing and recording their cells; a query runs its SQL before it
//! takes the lock ([`Ledger::deferred`]), so it waits only for another's
//! comparisons, not for its SQL. A
//! crash mid-append leaves a partial or torn last record: it is ignored
//! and overwritten by the next append.
//!
//! **What is left.** Whether an answer was snapped tells that its set lies
//! within four persons of an earlier one, and the boundary builds sets of
//! exactly known small size itself: an attacker of this model
//! (2026-12-07) grew a pad by a prefix of birth month × sex × municipality
//! cells until its answer changed (16 queries, a set of exactly four),
//! then asked one query per bit whether a target was in a cell (six of
//! six right), and with a sum, whether a target's days reached a class
//! (a pad of equal contributions likewise moves to another kind when a
//! target with a different contribution joins it). Randomising the
//! boundary per set only multiplies the queries per bit by a small
//! factor; the remedy is the budget below.
//! And sets five or more apart get independent noise: a planner who
//! writes many different sets around one small group (for each of many
//! splits `B₁, B₂` of about ten persons, `|A ∪ B₁| + |A ∪ B₂| − |B₁ ∪ B₂|`,
//! as `FILTER`s of one query) and averages a few hundred such estimates
//! recovers a withheld count of one to four persons (found by an attacker
//! of this model, 2026-12-06). The threshold itself is an oracle too for
//! an attacker who knows four persons of the data exactly (a condition
//! each of them alone meets): an anchor `S`, then `S` with the four and
//! with a target when a condition holds, is answered with `S`'s value
//! exactly when the condition is false (the same attacker, the same
//! day); the cells saved reports withheld have the same boundary. Noise
//! that stays small for every set cannot stop either: whatever answers
//! sets that differ by one person alike or apart, many sets answered with
//! errors of a few persons give the persons back (Dinur and Nissim, 2003).
//! Only a budget on what a project may ask, with noise that grows with
//! it, stops them; until then `peitto query` is for trusted planners.
//!
//! The file holds each anchor's true size next to its sketch: it is as
//! sensitive as the store, and lives with it in the owner-only `audit/`.

use super::noise::{self, Contribution, Quantity};
use crate::Withheld;
use peitto_sdc::Policy;
use peitto_sdc::cellkey::PTable;
use peitto_store::fast_hash::FxHashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The most persons by which a set may differ from an anchor to get its
/// answer.
pub const NEAR: u64 = 4;

/// Elements of an anchor indexed, and of a set looked up.
const BOTTOM: usize = 5;
/// Points of the characteristic polynomial kept.
const POINTS: usize = 12;
/// GF(2⁶¹ − 1).
const P: u64 = (1 << 61) - 1;
/// Elements map above the points, so that no factor is zero.
const FIRST_ELEMENT: u64 = 16;

const MAGIC: &[u8; 8] = b"PEITTOLG";
const VERSION: u32 = 1;
const HEADER: u64 = 16;
/// kind, n, flags, value, bottom, sketch, checksum.
const WORDS: usize = 4 + BOTTOM + POINTS + 1;
const RECORD: u64 = (WORDS * 8) as u64;

/// The kind of every cell whose contributors all add the same.
const COUNT_KIND: u64 = 0x636f_756e_7473_0001;

/// The persons of a published sum (or rows) whose contributions differ:
/// never an answer to a query, only what a saved report compares its
/// cells of euros with ([`Answers`]).
const SUM_PERSONS_KIND: u64 = 0x7375_6d70_6572_0001;

/// A sum a saved report published, each element a person with their
/// contribution ([`sum_element`]): a query's sum within [`NEAR`] of one
/// is given the report's sum.
const REPORT_SUM_KIND: u64 = 0x7270_7473_756d_0001;

/// One earlier fresh answer.
#[derive(Debug, Clone, PartialEq)]
struct Anchor {
    kind: u64,
    n: u64,
    /// The count (count kind, in persons), rows (rows kind, in rows) or
    /// sum published; `None` when withheld.
    value: Option<f64>,
    /// The smallest elements, ascending (`min(n, 5)` of them).
    bottom: [u64; BOTTOM],
    sketch: [u64; POINTS],
    /// The persons of a cell a saved report withheld: a cell of any kind
    /// whose persons lie within [`NEAR`] of them is withheld.
    report: bool,
}

/// A cell's set of elements, ready to compare.
struct Set {
    kind: u64,
    n: u64,
    bottom: [u64; BOTTOM],
    sketch: [u64; POINTS],
}

impl Set {
    fn new(kind: u64, mut elements: Vec<u64>) -> Set {
        let n = elements.len() as u64;
        let k = BOTTOM.min(elements.len());
        if k > 0 && k < elements.len() {
            elements.select_nth_unstable(k - 1);
        }
        let mut bottom = [0; BOTTOM];
        bottom[..k].copy_from_slice(&elements[..k]);
        bottom[..k].sort_unstable();
        Set {
            kind,
            n,
            bottom,
            sketch: sketch(&elements),
        }
    }

    fn smallest(&self) -> &[u64] {
        &self.bottom[..(self.n as usize).min(BOTTOM)]
    }
}

/// The answers released in a project, and the lock that makes one query
/// at a time use them.
#[derive(Debug, Default)]
pub struct Ledger {
    /// The locked file; none for a ledger kept in memory only, or one
    /// not opened yet.
    file: Option<File>,
    /// Where a [`Ledger::deferred`] ledger is opened by [`Ledger::ready`].
    deferred: Option<PathBuf>,
    anchors: Vec<Anchor>,
    index: FxHashMap<(u64, u64), Vec<u32>>,
    /// Anchors already in the file.
    saved: usize,
    /// Anchors of cells saved reports withheld.
    reports: usize,
    /// Anchors of sums saved reports published.
    report_sums: usize,
}

impl Ledger {
    /// Opens (creating) the ledger at `path`, locks it exclusively (waiting
    /// for another query to finish), and loads its anchors. A trailing
    /// partial or torn record is ignored.
    ///
    /// # Errors
    /// On I/O errors, or a file that is not a ledger or is damaged before
    /// its last record.
    pub fn open(path: &Path) -> std::io::Result<Ledger> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        file.lock()?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let mut ledger = Ledger::default();
        if (bytes.len() as u64) < HEADER {
            // New, or a crash while the header was written.
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            file.write_all(&header())?;
            file.sync_all()?;
        } else {
            if bytes[..HEADER as usize] != header() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "not a ledger of released cells of this version",
                ));
            }
            let records: Vec<&[u8]> = bytes[HEADER as usize..]
                .chunks_exact(RECORD as usize)
                .collect();
            for (i, record) in records.iter().enumerate() {
                match decode(record) {
                    Some(anchor) => ledger.push(anchor),
                    // A torn last record: a crash mid-append.
                    None if i + 1 == records.len() => break,
                    None => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            "a damaged record of released cells",
                        ));
                    }
                }
            }
        }
        ledger.saved = ledger.anchors.len();
        ledger.file = Some(file);
        Ok(ledger)
    }

    /// A ledger at `path` that is opened, locked and loaded only by
    /// [`Ledger::ready`]: a query runs its SQL first and takes the lock
    /// only to compare and record its cells, so a second planner does not
    /// wait for the first one's SQL.
    #[must_use]
    pub fn deferred(path: &Path) -> Ledger {
        Ledger {
            deferred: Some(path.to_path_buf()),
            ..Ledger::default()
        }
    }

    /// Opens a [`Ledger::deferred`] ledger (waiting for the lock); nothing
    /// for one already open or kept in memory.
    ///
    /// # Errors
    /// As [`Ledger::open`].
    pub fn ready(&mut self) -> std::io::Result<()> {
        if let Some(path) = self.deferred.take() {
            *self = Ledger::open(&path)?;
        }
        Ok(())
    }

    /// How many anchors there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Appends the anchors added since loading to the file and syncs it
    /// (nothing for a ledger in memory). The lock is kept until the ledger
    /// is dropped.
    ///
    /// # Errors
    /// On I/O errors: the answer must not be shown then.
    pub fn save(&mut self) -> std::io::Result<()> {
        if self.deferred.is_some() {
            // Never used: nothing to record.
            return Ok(());
        }
        let Some(file) = &mut self.file else {
            self.saved = self.anchors.len();
            return Ok(());
        };
        if self.saved == self.anchors.len() {
            return Ok(());
        }
        let start = HEADER + self.saved as u64 * RECORD;
        // Drops a partial record a crash left.
        if file.metadata()?.len() != start {
            file.set_len(start)?;
        }
        file.seek(SeekFrom::Start(start))?;
        let mut out = Vec::with_capacity((self.anchors.len() - self.saved) * RECORD as usize);
        for anchor in &self.anchors[self.saved..] {
            out.extend_from_slice(&encode(anchor));
        }
        file.write_all(&out)?;
        file.sync_all()?;
        self.saved = self.anchors.len();
        Ok(())
    }

    /// The published value of one cell-measure (`None`: withheld) and its
    /// true value (never published), the cell compared with the anchors
    /// and kept as one when fresh.
    pub(crate) fn protect(
        &mut self,
        quantity: Quantity,
        persons: &[Contribution],
        (policy, ptable, withheld): (&Policy, &PTable, &Withheld),
    ) -> (Option<f64>, f64) {
        let (contributors, who): (Vec<&Contribution>, Vec<u64>) = persons
            .iter()
            .filter(|c| noise::contributes(quantity, c))
            .map(|c| (c, c.hash))
            .unzip();
        if contributors.is_empty() {
            return noise::publish(quantity, persons, policy, ptable);
        }
        // The cell key method runs only for a fresh answer; a snapped or
        // withheld cell needs only the truth (the release's accounting).
        let truth: f64 = contributors.iter().map(|c| noise::value(quantity, c)).sum();
        let reported = !withheld.is_empty()
            && withheld.contains(crate::withheld::set_hash(who.iter().copied()));
        let (kind, elements, unit) = identity(quantity, &contributors, who);
        let set = Set::new(kind, elements);
        // The persons alone, for the cells saved reports withheld (any
        // measure of nearly their persons would give one back): a set of
        // the count kind is its persons already.
        if self.reports > 0 {
            let near_report = if set.kind == COUNT_KIND {
                self.near_report(&set)
            } else {
                self.near_report(&Set::new(
                    COUNT_KIND,
                    contributors.iter().map(|c| c.hash).collect(),
                ))
            };
            if near_report {
                return (None, truth);
            }
        }
        if let Quantity::Sum { .. } = quantity
            && set.kind != COUNT_KIND
            && let Some(value) = self.published_sum(&contributors)
        {
            return (Some(value), truth);
        }
        let near = self.nearest(&set);
        if set.n < policy.min_frequency.max(1) {
            if near.is_none() {
                self.add(&set, None);
            }
            return (None, truth);
        }
        if let Some(i) = near {
            let value = self.anchors[i].value.filter(|_| !reported);
            return (value.map(|v| unit.publish(v)), truth);
        }
        // The contributors alone, for every number kept with their set: a
        // count of all with rows kept beside a set of those with days gave
        // later questions another cell's number (an attacker's finding).
        let persons: Vec<Contribution> = contributors.iter().map(|c| **c).collect();
        let persons = persons.as_slice();
        let (fresh, _) = noise::publish(quantity, persons, policy, ptable);
        let published = fresh.filter(|_| !reported);
        let kept = match unit {
            // A count of persons is its own perturbed count.
            Unit::Times(_) if quantity == Quantity::Person => fresh,
            // The persons' perturbed count: the cell key method publishes
            // the contribution times it.
            Unit::Times(_) => noise::publish(Quantity::Person, persons, policy, ptable).0,
            Unit::Rows(scale) => published.map(|v| (v / scale).round()),
            Unit::Same => published,
        };
        self.add(&set, kept.filter(|_| !reported));
        if set.kind != COUNT_KIND && published.is_some() {
            // Its persons too, for a saved report of euros run later.
            let persons = Set::new(
                SUM_PERSONS_KIND,
                contributors.iter().map(|c| c.hash).collect(),
            );
            if !self.recorded(&persons) {
                self.add(&persons, published);
            }
        }
        (published, truth)
    }

    /// The earliest anchor of `set`'s kind within [`NEAR`] of it.
    fn nearest(&self, set: &Set) -> Option<usize> {
        let mut candidates: Vec<usize> = self.candidates(set).collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates.into_iter().find(|&i| {
            let a = &self.anchors[i];
            distance((a.n, &a.sketch), (set.n, &set.sketch)).is_some()
        })
    }

    /// The anchors of `set`'s kind that share one of its smallest
    /// elements (with repeats): every anchor within [`NEAR`] of it is
    /// among them (the module doc's **Candidates**).
    fn candidates<'a>(&'a self, set: &'a Set) -> impl Iterator<Item = usize> + 'a {
        set.smallest()
            .iter()
            .filter_map(|e| self.index.get(&(set.kind, *e)))
            .flatten()
            .map(|&i| i as usize)
    }

    /// Whether an anchor of exactly `set` (its kind, its elements) is kept.
    fn recorded(&self, set: &Set) -> bool {
        self.candidates(set).any(|i| {
            let a = &self.anchors[i];
            distance((a.n, &a.sketch), (set.n, &set.sketch)) == Some(0)
        })
    }

    fn add(&mut self, set: &Set, value: Option<f64>) {
        self.push(anchor(set, value, false));
    }

    fn push(&mut self, anchor: Anchor) {
        self.reports += usize::from(anchor.report);
        self.report_sums += usize::from(anchor.kind == REPORT_SUM_KIND);
        let id = u32::try_from(self.anchors.len()).unwrap_or(u32::MAX);
        for e in &anchor.bottom[..(anchor.n as usize).min(BOTTOM)] {
            self.index.entry((anchor.kind, *e)).or_default().push(id);
        }
        self.anchors.push(anchor);
    }
}

/// `set` as an anchor with `value`: an earlier answer, or a saved report's
/// withheld cell (`report`).
fn anchor(set: &Set, value: Option<f64>, report: bool) -> Anchor {
    Anchor {
        kind: set.kind,
        n: set.n,
        value,
        bottom: set.bottom,
        sketch: set.sketch,
        report,
    }
}

/// How a kept value becomes the cell's published value.
#[derive(Debug, Clone, Copy)]
enum Unit {
    /// A count of persons, times what each adds.
    Times(f64),
    /// Rows, times a row's value.
    Rows(f64),
    /// The value itself.
    Same,
}

impl Unit {
    fn publish(self, kept: f64) -> f64 {
        match self {
            Unit::Times(c) => noise::round(c * kept),
            Unit::Rows(scale) => kept * scale,
            Unit::Same => kept,
        }
    }
}

/// A cell's kind, elements and unit: the count kind with the persons when
/// every contributor adds the same to a count ([`noise::counted`]), else the quantity's kind with each
/// person mixed with their contribution.
fn identity(
    quantity: Quantity,
    contributors: &[&Contribution],
    who: Vec<u64>,
) -> (u64, Vec<u64>, Unit) {
    let values: Vec<f64> = contributors
        .iter()
        .map(|c| noise::value(quantity, c))
        .collect();
    if let Some(c) = noise::constant(&values).filter(|_| noise::counted(quantity)) {
        return (COUNT_KIND, who, Unit::Times(c));
    }
    let (kind, unit) = match quantity {
        // Not the scale: a scaled count is the same rows.
        Quantity::Rows { scale, cap } => (mix(&[1, cap.to_bits()]), Unit::Rows(scale)),
        Quantity::Sum { lo, hi } => (mix(&[2, lo.to_bits(), hi.to_bits()]), Unit::Same),
        // Every person adds one: handled above.
        Quantity::Person => (COUNT_KIND, Unit::Times(1.0)),
    };
    let elements = contributors
        .iter()
        .zip(who)
        .map(|(c, h)| {
            let part = match quantity {
                Quantity::Rows { cap, .. } => (c.rows as f64).min(cap).to_bits(),
                Quantity::Sum { lo, hi } => c.sum.clamp(lo, hi).to_bits(),
                Quantity::Person => 0,
            };
            mix(&[h, part])
        })
        .collect();
    (kind, elements, unit)
}

fn mix(words: &[u64]) -> u64 {
    words.iter().fold(0x5eed_1ed9_e700_0000, |acc, w| {
        noise::splitmix(acc ^ noise::splitmix(*w))
    })
}

mod answers;
mod record;
mod reports;
mod sketch;
#[cfg(test)]
mod tests;

pub use answers::Answers;
use record::{decode, encode, header};
pub(crate) use reports::sum_element;
use sketch::{distance, sketch};
