//! The neighbourhood of a withheld cell: which relations each cell takes
//! part in, and the sets of hidden cells around a target (its connected
//! component, a small set closing short cycles, a breadth-first ball) over
//! which the audit's LPs run. Kept apart from the audit so the search for
//! small LPs and the LPs themselves can be read on their own.

use crate::boxes::Grid;
use crate::table::Release;
use std::collections::{HashMap, HashSet};

/// Which relations each cell takes part in, built once per run so that
/// each LP touches only the relations of its own cells.
pub(crate) struct Links {
    of: Vec<Vec<usize>>,
    /// Cells by key, for the box searches (none for a sparse release).
    pub(crate) grid: Option<Grid>,
}

impl Links {
    pub(crate) fn new(release: &Release) -> Links {
        let mut of = vec![Vec::new(); release.cells.len()];
        for (r, relation) in release.relations.iter().enumerate() {
            for c in relation.cells() {
                of[c].push(r);
            }
        }
        for list in &mut of {
            list.dedup();
        }
        Links {
            of,
            grid: Grid::new(release),
        }
    }

    /// The relations cell `c` takes part in.
    pub(crate) fn of(&self, c: usize) -> &[usize] {
        &self.of[c]
    }

    /// The relations any of `cells` takes part in, each once, in order.
    pub(crate) fn touching(&self, cells: &[usize]) -> Vec<usize> {
        let mut relations: Vec<usize> = cells.iter().flat_map(|&c| self.of(c)).copied().collect();
        relations.sort_unstable();
        relations.dedup();
        relations
    }
}

/// The cells of relation `r`, total included.
pub(crate) fn members(release: &Release, r: usize) -> impl Iterator<Item = usize> + '_ {
    release.relations[r].cells()
}

/// Withheld cells, less those whose value the attacker is given.
pub(crate) fn hidden_cells(release: &Release, known: &[usize]) -> Vec<bool> {
    (0..release.cells.len())
        .map(|i| release.cells[i].status.suppressed() && !known.contains(&i))
        .collect()
}

/// Hidden cells connected to `target` through relations: only they can
/// move when the target moves, so the attacker's LP needs no others.
pub(crate) fn component(
    release: &Release,
    links: &Links,
    hidden: &[bool],
    target: usize,
) -> Vec<usize> {
    let mut seen = vec![false; release.cells.len()];
    let mut stack = vec![target];
    seen[target] = true;
    let mut out = Vec::new();
    while let Some(c) = stack.pop() {
        out.push(c);
        for &r in links.of(c) {
            for n in members(release, r) {
                if hidden[n] && !seen[n] {
                    seen[n] = true;
                    stack.push(n);
                }
            }
        }
    }
    out.sort_unstable();
    out
}

/// Largest neighbourhood [`near`] grows before giving way to the whole component.
const NEAR_CAP: usize = 200;

/// A small set of hidden cells around `target`: those sharing a relation
/// with it, then (twice) those tied to the set by two or more relations,
/// which closes the short cycles (a rectangle in two dimensions, a box in
/// three) through which a hidden cell usually moves.
pub(crate) fn near(release: &Release, links: &Links, hidden: &[bool], target: usize) -> Vec<usize> {
    let mut inside: HashSet<usize> = HashSet::from([target]);
    let mut set = vec![target];
    for &r in links.of(target) {
        for c in members(release, r) {
            if hidden[c] && inside.insert(c) {
                set.push(c);
            }
        }
    }
    for _ in 0..2 {
        let mut added: Vec<usize> =
            ties(release, links, &set, |m| hidden[m] && !inside.contains(&m))
                .into_iter()
                .filter_map(|(m, rs)| (rs.len() >= 2).then_some(m))
                .collect();
        if added.is_empty() || set.len() + added.len() > NEAR_CAP {
            break;
        }
        added.sort_unstable();
        for m in added {
            inside.insert(m);
            set.push(m);
        }
    }
    set.sort_unstable();
    set
}

/// For each cell that `open` accepts and that shares a relation with a
/// cell of `from`: those relations, each once, in order.
pub(crate) fn ties(
    release: &Release,
    links: &Links,
    from: &[usize],
    open: impl Fn(usize) -> bool,
) -> HashMap<usize, Vec<usize>> {
    let mut ties: HashMap<usize, Vec<usize>> = HashMap::new();
    for &c in from {
        for &r in links.of(c) {
            for m in members(release, r) {
                if open(m) {
                    ties.entry(m).or_default().push(r);
                }
            }
        }
    }
    for relations in ties.values_mut() {
        relations.sort_unstable();
        relations.dedup();
    }
    ties
}

/// The first `cap` hidden cells reached from `target` through relations, breadth first.
pub(crate) fn ball(
    release: &Release,
    links: &Links,
    hidden: &[bool],
    target: usize,
    cap: usize,
) -> Vec<usize> {
    let mut seen: HashSet<usize> = HashSet::from([target]);
    let mut queue = std::collections::VecDeque::from([target]);
    let mut out = Vec::new();
    while let Some(c) = queue.pop_front() {
        out.push(c);
        if out.len() + queue.len() >= cap {
            out.extend(queue);
            break;
        }
        for &r in links.of(c) {
            for n in members(release, r) {
                if hidden[n] && seen.insert(n) {
                    queue.push_back(n);
                }
            }
        }
    }
    out.sort_unstable();
    out
}
