//! Why each withheld cell is withheld, for the statistician who has to
//! answer a recipient's question about a table.
//!
//! A primary is withheld by its rule. A secondary is withheld for the
//! primaries whose protection it carries: the passing check shows each
//! primary protected by a point the attacker cannot rule out (a change of
//! withheld cells that keeps every relation true and moves the primary as
//! far as its protection asks), and a secondary the point moves is one the
//! primary needs. A secondary no point moves is withheld with a cell it
//! equals (a county of one municipality), or it stays for the primaries of
//! its group of withheld cells (the fallback's pattern, where trimming did
//! not publish it again).
//!
//! These reasons tell primaries from secondaries, which narrows a withheld
//! count to 1–4 persons: they are for the statistician's audit folder,
//! never for a released table.

use crate::audit::ShownBy;
use crate::neighbourhood::{Links, component};
use crate::table::{PrimaryReason, Release, Status};
use std::collections::BTreeSet;

/// Why a cell is published or withheld.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// Published.
    Published,
    /// Unsafe on its own, by this rule.
    Primary(PrimaryReason),
    /// Withheld so that these primary cells (indices, in order) cannot be
    /// recomputed or narrowed.
    Secondary(Vec<usize>),
}

/// The reason of every cell of a protected release, from the points that
/// showed its primaries protected (`shown`) and the classes of equal cells
/// (`equal_to(i)`: the cells equal to `i`, `i` included, or none).
pub(crate) fn reasons<'a>(
    release: &Release,
    links: &Links,
    shown: &ShownBy,
    equal_to: impl Fn(usize) -> &'a [usize],
) -> Vec<Reason> {
    let n = release.cells.len();
    let is_primary = |i: usize| matches!(release.cells[i].status, Status::Primary(_));
    let mut protects: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (&p, proof) in shown {
        for moved in proof.iter().flatten() {
            for &m in moved {
                if release.cells[m].status == Status::Secondary {
                    protects[m].insert(p);
                }
            }
        }
    }
    let hidden: Vec<bool> = release
        .cells
        .iter()
        .map(|c| c.status.suppressed())
        .collect();
    for s in 0..n {
        if release.cells[s].status != Status::Secondary || !protects[s].is_empty() {
            continue;
        }
        let mut found: BTreeSet<usize> = BTreeSet::new();
        for &m in equal_to(s) {
            if is_primary(m) {
                found.insert(m);
            }
            found.extend(&protects[m]);
        }
        if found.is_empty() {
            found.extend(
                component(release, links, &hidden, s)
                    .into_iter()
                    .filter(|&c| is_primary(c)),
            );
        }
        protects[s] = found;
    }
    release
        .cells
        .iter()
        .zip(protects)
        .map(|(cell, p)| match cell.status {
            Status::Safe => Reason::Published,
            Status::Primary(rule) => Reason::Primary(rule),
            Status::Secondary => Reason::Secondary(p.into_iter().collect()),
        })
        .collect()
}
