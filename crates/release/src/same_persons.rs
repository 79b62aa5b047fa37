//! Count cells of the same persons in different slices of a saved
//! report's table share their status: the same persons are the same
//! number, so one shown would give a withheld one away.

use crate::cells::Counts;
use crate::partials::CellRow;
use std::collections::BTreeSet;

/// A shown cell: its rows, its counts' persons, and why it would be withheld.
pub(crate) type Shown = (
    std::ops::Range<usize>,
    Vec<u64>,
    crate::explained::Explanation,
);

/// Cells of counts with the same persons in different slices of a table
/// (the persons followed up at three months and at six, when the months
/// have no total): one shown gives a withheld one away, so the shown ones
/// are withheld too (`shown`: each shown cell's rows, its counts' persons
/// and why it would be withheld). Within a slice this is done before the
/// rows are made.
pub(crate) fn same_persons_alike(rows: &mut [CellRow], counts: &mut Counts, shown: &[Shown]) {
    let withheld = |cells: &[(u64, bool)]| -> BTreeSet<u64> {
        cells
            .iter()
            .filter(|(_, published)| !published)
            .map(|(h, _)| *h)
            .collect()
    };
    let before = withheld(&counts.count_cells);
    for (at, persons, why) in shown {
        if !persons.iter().any(|h| before.contains(h)) {
            continue;
        }
        counts.explanations.push(why.clone());
        for (n, row) in rows[at.clone()].iter_mut().enumerate() {
            for value in &mut row.1 {
                if n == 0 {
                    counts.suppressed += 1;
                    counts.hidden.extend(*value);
                }
                *value = None;
            }
        }
        counts
            .count_cells
            .extend(persons.iter().map(|&h| (h, false)));
    }
    let now = withheld(&counts.count_cells);
    counts
        .count_cells
        .retain(|(h, published)| !published || !now.contains(h));
    // The counts of a few persons recorded for `query`: only those still
    // published.
    counts
        .published_persons
        .retain(|(h, _, _)| !now.contains(h));
    counts
        .published_sums
        .retain(|(hs, _, _)| !hs.iter().any(|h| now.contains(h)));
}
