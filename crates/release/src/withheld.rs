//! The persons behind cells a saved report withheld, so that a planner's
//! own query does not publish the same cell.
//!
//! A saved report under a suppression policy publishes exact values around
//! a withheld cell; the cell key method's value of the same cell would
//! give the withheld one back to within its noise (the total less the
//! published parts less the perturbed value). Each withheld cell is kept
//! as a hash of the set of its persons' pseudonyms (a sum of a hash per
//! person: the same for the same persons in any order); `query` withholds
//! a cell whose persons hash to one of them. The hashes are of keyed
//! pseudonyms, so they say nothing outside the project.

use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

/// Person-set hashes of withheld cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Withheld(BTreeSet<u64>);

impl Withheld {
    /// The hashes kept in `path` (none when it does not exist yet).
    ///
    /// # Errors
    /// If the file cannot be read or is not one hexadecimal hash per line.
    pub fn load(path: &Path) -> std::io::Result<Withheld> {
        read_or_empty(path)?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                u64::from_str_radix(l.trim(), 16)
                    .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not a hash"))
            })
            .collect::<Result<_, _>>()
            .map(Withheld)
    }

    /// Adds the cells of `persons` (each cell's persons, by
    /// `person_hash`) to the hashes in `path`, written to a temporary
    /// file and renamed over it: a crash leaves the old list or the new one.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn record(path: &Path, persons: &[Vec<u64>]) -> std::io::Result<()> {
        if persons.is_empty() {
            return Ok(());
        }
        let mut all = Withheld::load(path)?;
        all.0
            .extend(persons.iter().map(|p| set_hash(p.iter().copied())));
        let mut text = String::with_capacity(17 * all.0.len());
        for h in &all.0 {
            let _ = writeln!(text, "{h:016x}");
        }
        write_atomic(path, &text)
    }

    /// Whether a cell of exactly these persons was withheld.
    #[must_use]
    pub fn contains(&self, set: u64) -> bool {
        self.0.contains(&set)
    }

    /// How many cells are kept.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none are.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The hash of one person's pseudonym.
pub(crate) fn person_hash(name: &str) -> u64 {
    let digest = Sha256::digest(name.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// The text of `path`, empty when it does not exist yet (nothing recorded).
pub(crate) fn read_or_empty(path: &Path) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        read => read,
    }
}

/// Writes `text` to `path` (its folder made if needed) so that a crash
/// leaves the old file or the new one, never a mix.
pub(crate) fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    peitto_store::write_atomic(path, text.as_bytes()).map_err(std::io::Error::other)
}

/// The hash of a set of persons, from their hashes (each person once).
pub(crate) fn set_hash(persons: impl IntoIterator<Item = u64>) -> u64 {
    persons.into_iter().fold(0u64, u64::wrapping_add)
}

/// Where a published total of `release` has two or more withheld parts,
/// the persons of those parts together, one set per kind of persons
/// (`width`: all of a cell's persons, then each series'): the total less
/// its published parts is their sum, so a query of their union (the
/// urgently placed of 13–17 beside a report withholding 13–15, 16–17 and
/// 18) would give the rest back exactly. `persons` gives a withheld
/// cell's sets by its key.
pub(crate) fn unions_of_parts<'a>(
    release: &peitto_sdc::Release,
    hidden: impl Fn(&Vec<usize>) -> bool,
    persons: impl Fn(&Vec<usize>) -> Option<&'a Vec<BTreeSet<u32>>>,
    width: usize,
) -> Vec<BTreeSet<u32>> {
    let mut unions = Vec::new();
    for relation in &release.relations {
        let parts: Vec<&Vec<BTreeSet<u32>>> = relation
            .parts
            .iter()
            .map(|&p| &release.cells[p].key)
            .filter(|key| hidden(key))
            .filter_map(&persons)
            .collect();
        if hidden(&release.cells[relation.total].key) || parts.len() < 2 {
            continue;
        }
        for k in 0..width {
            unions.push(
                parts
                    .iter()
                    .flat_map(|sets| sets[k].iter().copied())
                    .collect(),
            );
        }
    }
    unions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_hashes_the_same_in_any_order_and_differs_by_one_person() {
        let h = |names: &[&str]| set_hash(names.iter().map(|n| person_hash(n)));
        assert_eq!(h(&["a", "b", "c"]), h(&["c", "a", "b"]));
        assert_ne!(h(&["a", "b", "c"]), h(&["a", "b"]));
        assert_ne!(h(&["a", "b", "c"]), h(&["a", "b", "d"]));
    }

    #[test]
    fn recorded_sets_are_kept_across_loads() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("audit/withheld");
        assert!(Withheld::load(&path).unwrap().is_empty());
        // Cells of one person each: a set's hash is its one person's.
        Withheld::record(&path, &[vec![3], vec![1]]).unwrap();
        Withheld::record(&path, &[vec![1], vec![u64::MAX]]).unwrap();
        let w = Withheld::load(&path).unwrap();
        assert_eq!(w.len(), 3);
        assert!(w.contains(u64::MAX) && w.contains(3) && !w.contains(2));
    }
}
