//! The counts and sums of a few persons a saved report published, for
//! `query` to answer nearly the same persons with the report's number
//! instead of fresh noise: padding a withheld small group with published
//! cells tells nothing.

use crate::contributors::{FEW, Stat};
use std::collections::BTreeSet;

/// A count of a few persons a report published: the persons' set hash,
/// their hashes, the count.
pub(crate) type PublishedCount = (u64, Vec<u64>, f64);

/// A sum of a few persons a report published: the set hashes of its
/// cell's counts (to drop it if the cell is withheld later), its elements
/// ([`crate::query::sum_element`] of each person and contribution), the
/// sum.
pub(crate) type PublishedSum = (Vec<u64>, Vec<u64>, f64);

/// The published counts of a few persons ([`FEW`] at most, the policy's
/// minimum at least), each person counted once, of the published
/// quantities' `releases` (`magnitudes` says which are sums), for `query`
/// to give nearly the same persons this exact count instead of fresh
/// noise (a pad of a withheld small group); and the published sums of a
/// few persons, for the same with a sum. `index` gives a cell's stats by
/// key; `hidden` whether it is withheld (or never shown).
pub(crate) fn published_few(
    releases: &[peitto_sdc::Release],
    magnitudes: &[bool],
    stats: &[Vec<Stat>],
    index: impl Fn(&Vec<usize>) -> Option<usize>,
    hidden: impl Fn(&Vec<usize>) -> bool,
    min_frequency: u64,
) -> (Vec<PublishedCount>, Vec<PublishedSum>) {
    let (mut counts, mut sums) = (Vec::new(), Vec::new());
    for (q, release) in releases.iter().enumerate() {
        // A shown cell's stats and their index, with at most `FEW` persons.
        let shown = |c: usize| -> Option<(usize, &Stat)> {
            let cell = &release.cells[c];
            let i = index(&cell.key)?;
            let stat = &stats[i][q];
            (!hidden(&cell.key) && stat.contributors <= FEW).then_some((i, stat))
        };
        if magnitudes[q] {
            for (c, (i, stat)) in (0..release.cells.len()).filter_map(|c| Some((c, shown(c)?))) {
                if stat.contributors == 0 || stat.few.len() != stat.few_values.len() {
                    continue;
                }
                let cell_counts = stats[i]
                    .iter()
                    .zip(magnitudes)
                    .filter(|(s, magnitude)| !**magnitude && s.contributors > 0)
                    .map(|(s, _)| s.persons)
                    .collect();
                let elements = stat
                    .few
                    .iter()
                    .zip(&stat.few_values)
                    .map(|(&h, &v)| crate::query::sum_element(h, v))
                    .collect();
                sums.push((cell_counts, elements, release.cells[c].value));
            }
            continue;
        }
        // A count published exactly, of at least the policy's minimum.
        let published = |c: usize| -> Option<&Stat> {
            let (_, stat) = shown(c)?;
            (stat.contributors >= min_frequency
                && release.cells[c].value == stat.contributors as f64)
                .then_some(stat)
        };
        for stat in (0..release.cells.len()).filter_map(published) {
            counts.push((stat.persons, stat.few.clone(), stat.contributors as f64));
        }
        // Unions of a relation's published parts beside a withheld one:
        // "0–6 or 18" less the published 0–2 and 3–6 told the withheld
        // 18-year-olds within the noise (an attacker of this model).
        for relation in &release.relations {
            let withheld = relation
                .parts
                .iter()
                .any(|&p| hidden(&release.cells[p].key));
            if withheld {
                let parts: Vec<&Stat> = relation
                    .parts
                    .iter()
                    .filter_map(|&p| published(p))
                    .collect();
                counts.extend(unions(&parts));
            }
        }
    }
    (counts, sums)
}

/// Parts of one relation published beside a withheld one, taken two or
/// more at a time (every combination of up to [`UNION_PARTS`] parts, runs
/// of neighbours beyond) while their persons are disjoint and at most
/// [`FEW`]: (set hash, hashes, count), the count the sum of the parts'
/// (known from them, so nothing new).
fn unions(parts: &[&Stat]) -> Vec<(u64, Vec<u64>, f64)> {
    let join = |chosen: &[&Stat]| -> Option<(u64, Vec<u64>, f64)> {
        let n: u64 = chosen.iter().map(|s| s.contributors).sum();
        if n > FEW {
            return None;
        }
        let persons: BTreeSet<u64> = chosen.iter().flat_map(|s| s.few.iter().copied()).collect();
        // Overlapping parts (a person counted in two): their union's
        // count is not known from the published cells.
        (persons.len() as u64 == n).then(|| {
            let hash = chosen.iter().fold(0u64, |h, s| h.wrapping_add(s.persons));
            (hash, persons.into_iter().collect(), n as f64)
        })
    };
    let mut out = Vec::new();
    if parts.len() <= UNION_PARTS {
        for mask in 1u32..(1 << parts.len()) {
            if mask.count_ones() >= 2 {
                let chosen: Vec<&Stat> = (0..parts.len())
                    .filter(|i| mask & (1 << i) != 0)
                    .map(|i| parts[i])
                    .collect();
                out.extend(join(&chosen));
            }
        }
    } else {
        for start in 0..parts.len() {
            for end in start + 2..=parts.len() {
                out.extend(join(&parts[start..end]));
            }
        }
    }
    out
}

/// The most published parts of a relation whose every combination is
/// recorded (2⁸ − 9 = 247 unions at most; parts of at least the policy's
/// minimum within [`FEW`] persons are fewer anyway at common minimums).
const UNION_PARTS: usize = 8;
