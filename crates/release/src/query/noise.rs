//! Protection of a planner's own cells: the frequency rule and the cell
//! key method, keyed by the persons who contribute to each measure.
//!
//! A measure's contributors are the persons with at least one row that
//! the measure counts (after its filter) and, for a sum, a sum other than
//! zero ([`contributes`]). Fewer than the policy's minimum (none included)
//! and the cell is withheld. Otherwise the published value
//! depends only on those persons and their contributions, never on how
//! the SQL was written: copies and rewrites of a measure get the same
//! value, and a sum of a constant gets exactly the constant times the
//! published count.

use peitto_sdc::Policy;
use peitto_sdc::cellkey::{self, PTable};

/// What one person contributes to one protected quantity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Quantity {
    /// The person (a count of persons).
    Person,
    /// Rows, each worth `scale`; each person's rows capped at `cap`.
    Rows {
        /// Value of a row.
        scale: f64,
        /// Most rows one person adds to a cell.
        cap: f64,
    },
    /// The person's sum, clamped to `[lo, hi]`.
    Sum {
        /// Smallest contribution.
        lo: f64,
        /// Largest contribution.
        hi: f64,
    },
}

/// One contributor: the keys of their pseudonym and (sum of values, rows
/// counted).
#[derive(Debug, Clone, Copy)]
pub struct Contribution {
    /// The pseudonym's record key of the cell key method
    /// (`cellkey::record_key`).
    pub record: u64,
    /// The pseudonym's hash (`withheld::person_hash`): the ledger's and the
    /// withheld sets' element.
    pub hash: u64,
    /// Sum of the values of the person's rows.
    pub sum: f64,
    /// Rows counted.
    pub rows: u64,
}

/// The published value of one quantity, or `None` when withheld; and the
/// true value (for the release's own accounting, never published).
#[must_use]
pub fn publish(
    quantity: Quantity,
    persons: &[Contribution],
    policy: &Policy,
    ptable: &PTable,
) -> (Option<f64>, f64) {
    let contributors: Vec<&Contribution> = persons
        .iter()
        .filter(|c| contributes(quantity, c))
        .collect();
    let values: Vec<f64> = contributors.iter().map(|c| value(quantity, c)).collect();
    let truth: f64 = values.iter().sum();
    let n = contributors.len() as u64;
    if n < policy.min_frequency.max(1) {
        return (None, truth);
    }
    let keys: Vec<u64> = contributors.iter().map(|c| c.record).collect();
    let cell_key = cellkey::cell_key(keys.iter().copied(), ptable.modulus);
    let count = ptable.perturb(n, cell_key) as f64;
    if let Some(first) = constant(&values).filter(|_| counted(quantity)) {
        // Every contributor adds the same: a count times that value, and
        // exactly the published count times it, so that a sum of a
        // constant and a count never disagree.
        return (Some(round(first * count)), truth);
    }
    let largest = values.iter().fold(0.0_f64, |a, v| a.max(v.abs()));
    let u = magnitude_key(&keys, &values, largest);
    // Noise of 50–150 % of the largest contribution, its sign and size
    // from the contributors and the shape of their contributions alone:
    // scaled copies of a measure get scaled noise, differencing two sums
    // that differ by one person leaves that person's part uncertain by
    // about its own size.
    let sign = if u < 0.5 { -1.0 } else { 1.0 };
    let size = 0.5 + 2.0 * (u % 0.5);
    let noisy = truth + sign * size * largest;
    let published = match quantity {
        // Rows stay whole rows.
        Quantity::Rows { scale, .. } if scale != 0.0 => (noisy / scale).round().max(0.0) * scale,
        _ => round(noisy),
    };
    (Some(published), truth)
}

/// Whether `c` is one of the persons behind `quantity`: a row the measure
/// counts and something added. A person who adds nothing is not: twenty
/// persons of whom one had a day in a one-day window were a cell of
/// twenty, and its sum (or its nil when the one was not there) told that
/// one apart (an attacker read every placed child's birth date so,
/// 2026-12-07).
pub(crate) fn contributes(quantity: Quantity, c: &Contribution) -> bool {
    c.rows > 0 && value(quantity, c) != 0.0
}

/// Whether equal contributions to `quantity` make a count: persons, and
/// rows (a sum of a constant is rows). A declared measure's sum is never
/// one: published as the value times the count when everyone added the
/// same, an average was exactly that value, which told that every child of
/// a cell had all of March's days, and a window moved a day at a time
/// until the average stopped being whole found the youngest child's birth
/// date (an attacker of this model, 2026-12-07).
pub(crate) fn counted(quantity: Quantity) -> bool {
    !matches!(quantity, Quantity::Sum { .. })
}

/// What one contributor adds to `quantity`: 1, their capped rows times
/// the row's value, or their clamped sum.
pub(crate) fn value(quantity: Quantity, c: &Contribution) -> f64 {
    // counts are far below 2^52
    match quantity {
        Quantity::Person => 1.0,
        Quantity::Rows { scale, cap } => (c.rows as f64).min(cap) * scale,
        Quantity::Sum { lo, hi } => c.sum.clamp(lo, hi),
    }
}

/// The value every contributor adds, when they all add the same: the
/// published value is then that value times the persons' perturbed count.
pub(crate) fn constant(values: &[f64]) -> Option<f64> {
    let first = *values.first()?;
    values
        .iter()
        .all(|v| (v - first).abs() <= f64::EPSILON * first.abs().max(1.0))
        .then_some(first)
}

pub(crate) fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A number in [0, 1) from the contributors' record keys and their
/// contributions relative to the largest (so a scaled copy has the same).
fn magnitude_key(keys: &[u64], values: &[f64], largest: f64) -> f64 {
    let mut acc: u64 = 0;
    for (k, v) in keys.iter().zip(values) {
        let q = if largest > 0.0 {
            (v / largest * 1_000_000.0).round() as i64
        } else {
            0
        };
        let mixed = splitmix(k ^ (q as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        acc = acc.wrapping_add(mixed);
    }
    // 53 random bits: exact in an f64.
    (splitmix(acc) >> 11) as f64 / (1_u64 << 53) as f64
}

pub(crate) fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persons(names: &[&'static str], sums: &[f64]) -> Vec<Contribution> {
        names
            .iter()
            .zip(sums)
            .map(|(n, s)| Contribution {
                record: cellkey::record_key(n.as_bytes(), PTable::peitto_v1().modulus),
                hash: crate::withheld::person_hash(n),
                sum: *s,
                rows: 1,
            })
            .collect()
    }

    const NAMES: [&str; 7] = ["a", "b", "c", "d", "e", "f", "g"];

    #[test]
    fn fewer_contributors_than_the_threshold_are_withheld_whatever_the_group() {
        let policy = Policy::builtin("adhoc").unwrap();
        let ptable = PTable::peitto_v1();
        let mut p = persons(&NAMES, &[1.0; 7]);
        // Only three persons have a row the measure counts.
        for c in &mut p[3..] {
            c.rows = 0;
        }
        assert_eq!(publish(Quantity::Person, &p, &policy, &ptable).0, None);
        assert_eq!(
            publish(
                Quantity::Rows {
                    scale: 10.0,
                    cap: 1e9
                },
                &p,
                &policy,
                &ptable
            )
            .0,
            None
        );
    }

    #[test]
    fn a_sum_of_a_constant_is_the_constant_times_the_published_count() {
        let policy = Policy::builtin("adhoc").unwrap();
        let ptable = PTable::peitto_v1();
        let p = persons(&NAMES, &[0.0; 7]);
        let count = publish(Quantity::Person, &p, &policy, &ptable).0.unwrap();
        let tens = publish(
            Quantity::Rows {
                scale: 10.0,
                cap: 1e9,
            },
            &p,
            &policy,
            &ptable,
        )
        .0
        .unwrap();
        assert!((tens - 10.0 * count).abs() < 1e-9);
    }

    #[test]
    fn scaled_contributions_get_scaled_noise() {
        let policy = Policy::builtin("adhoc").unwrap();
        let ptable = PTable::peitto_v1();
        let sums = [10.0, 250.0, 31.5, 4.0, 77.0, 12.0, 900.0];
        let one = publish(
            Quantity::Sum { lo: 0.0, hi: 1e9 },
            &persons(&NAMES, &sums),
            &policy,
            &ptable,
        )
        .0
        .unwrap();
        let doubled: Vec<f64> = sums.iter().map(|s| s * 2.0).collect();
        let two = publish(
            Quantity::Sum { lo: 0.0, hi: 1e9 },
            &persons(&NAMES, &doubled),
            &policy,
            &ptable,
        )
        .0
        .unwrap();
        assert!((two - 2.0 * one).abs() < 0.02, "{one} {two}");
        let truth: f64 = sums.iter().sum();
        // The noise is at least half the largest contribution.
        assert!((one - truth).abs() >= 450.0 - 0.01, "{one} {truth}");
    }

    #[test]
    fn contributions_are_clamped_to_the_declared_bounds() {
        let policy = Policy::builtin("adhoc").unwrap();
        let ptable = PTable::peitto_v1();
        let p = persons(&NAMES, &[5e9; 7]);
        let (published, truth) =
            publish(Quantity::Sum { lo: 0.0, hi: 100.0 }, &p, &policy, &ptable);
        assert!((truth - 700.0).abs() < 1e-9);
        // Noise of half to one and a half of the largest clamped value,
        // even when everyone adds the same.
        let noise = (published.unwrap() - truth).abs();
        assert!((50.0..=150.0).contains(&noise), "{published:?}");
    }
}
