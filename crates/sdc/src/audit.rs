//! The audit: what an attacker can derive about each withheld cell from
//! everything published, by linear programming over all relations of all
//! linked tables, with non-negativity, the published values (zeros
//! included) and, optionally, the knowledge that non-empty cells hold at
//! least one person. It does not look at how the pattern was chosen.

use crate::SdcError;
use crate::lp::{Bound, INF, Lp};
use crate::policy::Policy;
use crate::table::{Release, Status};
use std::collections::HashMap;

/// The values an attacker cannot rule out for a withheld cell.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Smallest feasible value.
    pub lower: f64,
    /// Largest feasible value (infinite when unbounded).
    pub upper: f64,
}

/// A primary cell the attacker can pin down too closely.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The cell.
    pub cell: usize,
    /// What the attacker can derive.
    pub interval: Interval,
    /// The singleton whose contributor knows its value, if the failure needs that knowledge.
    pub singleton: Option<usize>,
}

/// The audit's findings.
#[derive(Debug, Clone, PartialEq)]
pub struct Audit {
    /// Interval of every withheld cell (None for published cells).
    pub intervals: Vec<Option<Interval>>,
    /// Primary cells not protected enough.
    pub failures: Vec<Failure>,
}

impl Audit {
    /// Whether every primary is protected.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The attacker's a-priori lower bound for a cell.
pub(crate) fn lower_bound(release: &Release, policy: &Policy, i: usize) -> f64 {
    let cell = &release.cells[i];
    if !release.magnitude && policy.nonempty_known && cell.contributors > 0 {
        1.0
    } else {
        0.0
    }
}

/// Which attacker optimum to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sides {
    /// Smallest and largest value.
    Both,
    /// Only what the cell's protection requirement needs (the other side is
    /// reported as the value itself).
    Needed,
}

/// Hidden cells connected to `target` through relations: only they can
/// move when the target moves, so the attacker's LP needs no others.
fn component(release: &Release, hidden: &[bool], target: usize) -> Vec<usize> {
    let mut by_cell: HashMap<usize, Vec<usize>> = HashMap::new();
    for (r, relation) in release.relations.iter().enumerate() {
        for c in relation.parts.iter().copied().chain([relation.total]) {
            if hidden[c] {
                by_cell.entry(c).or_default().push(r);
            }
        }
    }
    let mut seen = vec![false; release.cells.len()];
    let mut stack = vec![target];
    seen[target] = true;
    let mut out = Vec::new();
    while let Some(c) = stack.pop() {
        out.push(c);
        for &r in by_cell.get(&c).map(Vec::as_slice).unwrap_or_default() {
            let relation = &release.relations[r];
            for n in relation.parts.iter().copied().chain([relation.total]) {
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

/// Bounds of cell `target` given everything published plus the cells in `known`.
pub(crate) fn bounds(
    release: &Release,
    policy: &Policy,
    known: &[usize],
    target: usize,
) -> Result<Interval, SdcError> {
    bounds_sides(release, policy, known, target, Sides::Both)
}

/// Bounds of cell `target`, computing only the sides asked for.
pub(crate) fn bounds_sides(
    release: &Release,
    policy: &Policy,
    known: &[usize],
    target: usize,
    sides: Sides,
) -> Result<Interval, SdcError> {
    let hidden: Vec<bool> = (0..release.cells.len())
        .map(|i| release.cells[i].status.suppressed() && !known.contains(&i))
        .collect();
    let value = release.cells[target].value;
    if !hidden[target] {
        return Ok(Interval {
            lower: value,
            upper: value,
        });
    }
    let members = component(release, &hidden, target);
    let (up, down) = release.cells[target].protection;
    let wanted = match sides {
        Sides::Both => [true, true],
        Sides::Needed => [down > 0.0, up > 0.0],
    };
    let mut result = [value, value];
    for (slot, maximise) in [(0, false), (1, true)] {
        if !wanted[slot] {
            continue;
        }
        let mut lp = Lp::new(maximise);
        let mut vars = HashMap::new();
        for &i in &members {
            let objective = if i == target { 1.0 } else { 0.0 };
            vars.insert(i, lp.var(objective, lower_bound(release, policy, i), INF));
        }
        for relation in &release.relations {
            if !relation
                .parts
                .iter()
                .chain([&relation.total])
                .any(|c| vars.contains_key(c))
            {
                continue;
            }
            let mut terms = Vec::new();
            let mut rhs = 0.0;
            for (cell, coef) in relation
                .parts
                .iter()
                .map(|&p| (p, 1.0))
                .chain([(relation.total, -1.0)])
            {
                match vars.get(&cell) {
                    Some(&v) => terms.push((v, coef)),
                    None => rhs -= coef * release.cells[cell].value,
                }
            }
            lp.eq(&terms, rhs);
        }
        result[slot] = match lp.solve_bound(vars[&target])? {
            Bound::Value(v) => v,
            Bound::Unbounded => {
                if maximise {
                    INF
                } else {
                    lower_bound(release, policy, target)
                }
            }
            Bound::Infeasible => {
                return Err(SdcError::Definition(format!(
                    "the published values of the table contradict each other around {}",
                    release.describe(target)
                )));
            }
        };
    }
    Ok(Interval {
        lower: result[0],
        upper: result[1],
    })
}

/// Whether `interval` protects cell `i` as its requirement says.
pub(crate) fn protects(release: &Release, i: usize, interval: Interval) -> bool {
    let cell = &release.cells[i];
    let eps = 1e-6 * cell.value.abs().max(1.0);
    let (up, down) = cell.protection;
    interval.upper >= cell.value + up - eps && interval.lower <= cell.value - down + eps
}

/// Maps `f` over `items` on all cores (in order); sequential where there are no threads.
pub(crate) fn par_map<T: Send>(items: &[usize], f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(items.len().max(1));
        if threads > 1 {
            let chunk = items.len().div_ceil(threads);
            return std::thread::scope(|scope| {
                let handles: Vec<_> = items
                    .chunks(chunk)
                    .map(|part| {
                        let f = &f;
                        scope.spawn(move || part.iter().map(|&i| f(i)).collect::<Vec<T>>())
                    })
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            });
        }
    }
    items.iter().map(|&i| f(i)).collect()
}

/// Audits the release's current pattern.
///
/// # Errors
/// If the LP solver fails or the published values are inconsistent.
pub fn audit(release: &Release, policy: &Policy) -> Result<Audit, SdcError> {
    let mut intervals = vec![None; release.cells.len()];
    let mut failures = Vec::new();
    let hidden = release.suppressed();
    let computed = par_map(&hidden, |i| bounds(release, policy, &[], i));
    for (i, interval) in hidden.into_iter().zip(computed) {
        let interval = interval?;
        intervals[i] = Some(interval);
        if matches!(release.cells[i].status, Status::Primary(_)) && !protects(release, i, interval)
        {
            failures.push(Failure {
                cell: i,
                interval,
                singleton: None,
            });
        }
    }
    // A singleton's only contributor knows its value: re-audit its neighbours with it known.
    if failures.is_empty() {
        for s in singletons(release) {
            for p in neighbour_primaries(release, s) {
                let interval = bounds_sides(release, policy, &[s], p, Sides::Needed)?;
                if !protects(release, p, interval) {
                    failures.push(Failure {
                        cell: p,
                        interval,
                        singleton: Some(s),
                    });
                }
            }
        }
    }
    Ok(Audit {
        intervals,
        failures,
    })
}

/// Whether cell `inner` lies inside cell `outer`: in every dimension its code
/// is `outer`'s code or below it.
fn is_within(release: &Release, inner: usize, outer: usize) -> bool {
    let (a, b) = (&release.cells[inner].key, &release.cells[outer].key);
    release
        .dims
        .iter()
        .enumerate()
        .all(|(d, dim)| dim.ancestors_and_self(a[d]).contains(&b[d]))
}

/// Withheld primary cells with exactly one contributor.
pub(crate) fn singletons(release: &Release) -> Vec<usize> {
    (0..release.cells.len())
        .filter(|&i| {
            matches!(release.cells[i].status, Status::Primary(_))
                && release.cells[i].contributors == 1
        })
        .collect()
}

/// Other primary cells that share a relation with cell `s`, leaving out
/// cells inside `s` (its parts at any depth): a singleton's parts hold
/// only the singleton's own person, who learns nothing new from them.
pub(crate) fn neighbour_primaries(release: &Release, s: usize) -> Vec<usize> {
    let mut out: Vec<usize> = release
        .relations
        .iter()
        .filter(|r| r.total == s || r.parts.contains(&s))
        .flat_map(|r| r.parts.iter().copied().chain([r.total]))
        .filter(|&i| {
            i != s
                && matches!(release.cells[i].status, Status::Primary(_))
                && !is_within(release, i, s)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
