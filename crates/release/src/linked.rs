//! Cells of saved reports linked through their persons (linked tables
//! across reports).
//!
//! Two reports may count the same persons in a cell each: the children
//! placed in a year are the grand total of `placed_children` and of
//! `placement_day_bands`. Protected one at a time, one report could
//! withhold what the other publishes, and its published cells with the
//! other's value give the withheld one back. So every cell of a count
//! series (each person contributes 0 or 1, so the same persons are the
//! same value) is recorded by the hash of its persons, published or
//! withheld, with its report; a later release of another report treats a
//! cell published there as known to the attacker (never hidden, and the
//! pattern must hold with it known) and a cell withheld there as a
//! primary of its own. A report's own earlier runs count too (a cell it
//! withheld stays withheld, with no range of its own: the same data gives
//! it the same pattern, and other data seldom the same persons).

use std::collections::BTreeSet;
use std::collections::HashSet;
use std::fmt::Write;
use std::path::Path;

/// Count cells of saved reports, by the hash of their persons.
#[derive(Debug, Clone, Default)]
pub struct ReportCells {
    published: HashSet<u64>,
    withheld: HashSet<u64>,
    /// Withheld by an earlier run of the report being released.
    withheld_here: HashSet<u64>,
    /// Counts of persons own queries published ([`crate::query::Answers`]).
    answers: crate::query::ledger::Answers,
    /// The report and its parameters (`placed_children year=2025`):
    /// empty cells have no persons to key them by, so they are keyed by
    /// their place in this release ([`ReportCells::empty`]).
    scope: String,
}

/// The range (percent of its value) a cell another report withheld must
/// keep here: that report's pattern relied on it being unknown.
pub const LINKED_RANGE: f64 = 10.0;

/// One recorded cell: `hash p|w report`.
fn parse(line: &str) -> Option<(u64, bool, &str)> {
    let mut parts = line.split(' ');
    let hash = u64::from_str_radix(parts.next()?, 16).ok()?;
    let shown = match parts.next()? {
        "p" => true,
        "w" => false,
        _ => return None,
    };
    Some((hash, shown, parts.next()?))
}

/// The cells recorded in `path` (none when it does not exist yet).
fn read(path: &Path) -> std::io::Result<Vec<(u64, bool, String)>> {
    crate::withheld::read_or_empty(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (hash, shown, by) = parse(line).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "not a recorded cell")
            })?;
            Ok((hash, shown, by.to_owned()))
        })
        .collect()
}

impl ReportCells {
    /// The cells kept in `path` (none when the file does not exist yet),
    /// for releasing `report`: its own earlier runs' too, so that running a
    /// report again never publishes a cell it withheld before (two
    /// patterns of one table together tell more than either).
    ///
    /// # Errors
    /// If the file cannot be read or a line is not a recorded cell.
    pub fn load(path: &Path, report: &str) -> std::io::Result<ReportCells> {
        let mut cells = ReportCells {
            scope: report.to_owned(),
            ..ReportCells::default()
        };
        for (hash, shown, by) in read(path)? {
            if shown {
                cells.published.insert(hash);
            } else if by == report {
                cells.withheld_here.insert(hash);
            } else {
                cells.withheld.insert(hash);
            }
        }
        Ok(cells)
    }

    /// Adds `cells` ((persons' hash, published)) of `report` to `path`,
    /// written to a temporary file and renamed over it: a crash leaves the
    /// old list or the new one.
    ///
    /// # Errors
    /// On I/O errors, or a line of the file that is not a recorded cell.
    pub fn record(path: &Path, report: &str, cells: &[(u64, bool)]) -> std::io::Result<()> {
        if cells.is_empty() {
            return Ok(());
        }
        let mut all: BTreeSet<(u64, bool, String)> = read(path)?.into_iter().collect();
        all.extend(
            cells
                .iter()
                .map(|&(h, shown)| (h, shown, report.to_owned())),
        );
        let mut text = String::new();
        for (hash, shown, by) in &all {
            let _ = writeln!(text, "{hash:016x} {} {by}", if *shown { "p" } else { "w" });
        }
        crate::withheld::write_atomic(path, &text)
    }

    /// These cells with the counts own queries published (read while the
    /// ledger is held, until the report's withheld cells are recorded).
    #[must_use]
    pub fn with_answers(mut self, answers: crate::query::ledger::Answers) -> ReportCells {
        self.answers = answers;
        self
    }

    /// These cells for a release of the report with `params` (`year=2025`).
    #[must_use]
    pub fn with_params(mut self, params: &str) -> ReportCells {
        self.scope = format!("{} {params}", self.scope);
        self
    }

    /// The key of an empty count cell, at `place` (its slice's and its
    /// own codes) in this report with these parameters. The same persons
    /// are the same number, and no persons are zero, in any report; but a
    /// zero is linked to nothing else, and the same place of the same
    /// report for the same year is the same zero whichever policy
    /// released it (the ELY package and `report --all`): one published,
    /// the other withheld, two patterns of one table tell more than
    /// either.
    #[must_use]
    pub fn empty(&self, place: &[&str]) -> u64 {
        let mut text = format!("empty\u{1f}{}", self.scope);
        for code in place {
            text.push('\u{1f}');
            text.push_str(code);
        }
        crate::withheld::person_hash(&text)
    }

    /// [`ReportCells::empty`] of cell `c` of `release`, a table of the
    /// slice with codes `slice`.
    #[must_use]
    pub fn empty_at(&self, slice: &[String], release: &peitto_sdc::Release, c: usize) -> u64 {
        let place: Vec<&str> = slice
            .iter()
            .map(String::as_str)
            .chain(release.codes(c))
            .collect();
        self.empty(&place)
    }

    /// Whether an own query published a count within a few persons of a
    /// cell's `n` persons, whose smallest hashes are `smallest`
    /// ([`crate::query::Answers::near`]).
    pub fn answered_near(
        &self,
        n: u64,
        smallest: &[u64],
        persons: impl FnOnce() -> Vec<u64>,
    ) -> bool {
        self.answers.near(n, smallest, persons)
    }

    /// [`ReportCells::answered_near`] for a cell of a sum
    /// ([`crate::query::Answers::near_sum`]).
    pub fn answered_near_sum(
        &self,
        n: u64,
        smallest: &[u64],
        persons: impl FnOnce() -> Vec<u64>,
    ) -> bool {
        self.answers.near_sum(n, smallest, persons)
    }

    /// Whether another report published a count cell of exactly these persons.
    #[must_use]
    pub fn published(&self, persons: u64) -> bool {
        self.published.contains(&persons)
    }

    /// Whether a report withheld a count cell of exactly these persons:
    /// the range in percent of its value it must keep here ([`LINKED_RANGE`]
    /// for another report's, none for the report's own earlier run).
    #[must_use]
    pub fn withheld(&self, persons: u64) -> Option<f64> {
        if self.withheld.contains(&persons) {
            Some(LINKED_RANGE)
        } else if self.withheld_here.contains(&persons) {
            Some(0.0)
        } else {
            None
        }
    }
}

/// Protects `release` keeping every cell an earlier run of its report
/// withheld (linked with no range of its own) withheld: first as if new,
/// so that a rerun on the same data gives the same pattern with its own
/// reasons, and only where that pattern publishes one of them, again with
/// them as primaries.
///
/// # Errors
/// As [`peitto_sdc::protect_explained`].
pub(crate) fn protect_as_before(
    release: &mut peitto_sdc::Release,
    policy: &peitto_sdc::Policy,
) -> Result<(peitto_sdc::Audit, Vec<peitto_sdc::Reason>), peitto_sdc::SdcError> {
    let earlier: Vec<usize> = (0..release.cells.len())
        .filter(|&c| release.cells[c].linked == Some(0.0))
        .collect();
    if !earlier.is_empty() {
        let mut first = release.clone();
        for &c in &earlier {
            first.cells[c].linked = None;
        }
        if let Ok((audit, why)) = peitto_sdc::protect_explained(&mut first, policy)
            && audit.passed()
            && earlier.iter().all(|&c| first.cells[c].status.suppressed())
        {
            *release = first;
            return Ok((audit, why));
        }
    }
    peitto_sdc::protect_explained(release, policy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_of_every_report_are_read_back_another_reports_withheld_with_a_range() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report-cells");
        ReportCells::record(&path, "a", &[(1, true), (2, false)]).unwrap();
        ReportCells::record(&path, "b", &[(3, true), (2, false)]).unwrap();
        let for_c = ReportCells::load(&path, "c").unwrap();
        assert!(for_c.published(1) && for_c.published(3) && !for_c.published(2));
        assert_eq!(for_c.withheld(2), Some(LINKED_RANGE));
        assert_eq!(for_c.withheld(1), None);
        // A report's own earlier run counts too: withheld again, with no
        // range of its own, and its published cells are known.
        ReportCells::record(&path, "a", &[(4, false)]).unwrap();
        let for_a = ReportCells::load(&path, "a").unwrap();
        assert!(for_a.published(1) && for_a.published(3));
        assert_eq!(for_a.withheld(2), Some(LINKED_RANGE));
        assert_eq!(for_a.withheld(4), Some(0.0));
        std::fs::write(&path, "zz p a\n").unwrap();
        assert!(ReportCells::load(&path, "c").is_err());
    }
}
