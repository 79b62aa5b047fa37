//! The audit: what an attacker can derive about each withheld cell from
//! everything published, by linear programming over all relations of all
//! linked tables, with non-negativity, the published values (zeros
//! included) and, optionally, the knowledge that non-empty cells hold at
//! least one person. It does not look at how the pattern was chosen.

use crate::SdcError;
use crate::attack::{capped_point, optimum_point, reach_together};
use crate::boxes::{self, Costs};
use crate::neighbourhood::{Links, ball, component, hidden_cells, near};
use crate::policy::Policy;
use crate::table::{Relation, Release, Status};
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

/// Size of the breadth-first ball tried when [`near`] is not enough.
const BALL: usize = 150;
/// Size of the last ball tried before the LP over the whole connected
/// part of the table (thousands of cells in a dense pattern, seconds per LP).
const WIDE_BALL: usize = 1000;

/// Exact bounds of cell `target` given everything published plus the cells in `known`.
pub(crate) fn bounds(
    release: &Release,
    policy: &Policy,
    links: &Links,
    known: &[usize],
    target: usize,
) -> Result<Interval, SdcError> {
    let hidden = hidden_cells(release, known);
    let value = release.cells[target].value;
    if !hidden[target] {
        return Ok(Interval {
            lower: value,
            upper: value,
        });
    }
    let members = component(release, links, &hidden, target);
    Ok(Interval {
        lower: optimum_point(release, policy, links, &members, target, false)?.0,
        upper: optimum_point(release, policy, links, &members, target, true)?.0,
    })
}

/// How far cell `t`'s protection needs the attacker to be able to move it, up or down.
pub(crate) fn need(release: &Release, t: usize, up: bool) -> f64 {
    let (upward, downward) = release.cells[t].protection;
    if up { upward } else { downward }
}

/// How far reaching `v` moves cell `t` in the direction asked.
fn shift(release: &Release, t: usize, up: bool, v: f64) -> f64 {
    let value = release.cells[t].value;
    if up { v - value } else { value - v }
}

/// Whether moving cell `t` by `moved` (up or down) covers its protection.
fn reaches(release: &Release, t: usize, up: bool, moved: f64) -> bool {
    moved >= need(release, t, up) - 1e-6 * release.cells[t].value.abs().max(1.0)
}

/// For each target and side (up, down): the cells moved by a point that
/// shows the side protected, where one LP for that target alone found it
/// (a side that needs no protection moves nothing). A singleton whose
/// value the attacker learns does not narrow a side whose point leaves
/// the singleton where it is: the point stays feasible.
pub(crate) type Shown = Vec<Proof>;

/// Per side (up, down), the cells a point showing it protected moves.
pub(crate) type Proof = [Option<Vec<usize>>; 2];

/// [`Proof`]s by primary cell.
pub(crate) type ShownBy = HashMap<usize, Proof>;

/// Cells of one connected part of the table, and the (target, side) pairs in it.
type Group = (Vec<usize>, Vec<(usize, bool)>);

/// For each target, an interval the attacker can reach at least, and the
/// points that show each side protected: for each
/// side its protection needs, either a point showing the side protected
/// (found for many cells by one LP) or, where none is found, the exact
/// optimum. A target that passes [`protects`] with it is protected; one
/// that fails is not. With `settle` false, targets no joint LP shows
/// protected are left at what it found (which then proves nothing).
pub(crate) fn verify_shown(
    release: &Release,
    policy: &Policy,
    links: &Links,
    known: &[usize],
    targets: &[usize],
    settle: bool,
    prior: &ShownBy,
) -> Result<(Vec<Interval>, Shown), SdcError> {
    let hidden = hidden_cells(release, known);
    let mut shown: Shown = targets
        .iter()
        .map(|&t| {
            [
                (need(release, t, true) <= 0.0).then(Vec::new),
                (need(release, t, false) <= 0.0).then(Vec::new),
            ]
        })
        .collect();
    let mut out: Vec<Interval> = targets
        .iter()
        .map(|&t| Interval {
            lower: release.cells[t].value,
            upper: release.cells[t].value,
        })
        .collect();
    // What one side of target `k` was found to reach, and the point that
    // shows it protected if it is.
    let mut record = |k: usize, up: bool, moved: f64, point: Option<Vec<usize>>| {
        let value = release.cells[targets[k]].value;
        if up {
            out[k].upper = value + moved;
        } else {
            out[k].lower = value - moved;
        }
        if reaches(release, targets[k], up, moved) {
            shown[k][usize::from(!up)] = point;
        }
    };
    // A point found earlier (by a check or as a deviation that was
    // hidden) still shows its side while every cell it moves is hidden:
    // it stays feasible for the attacker, so no LP is needed.
    let still = |k: usize, up: bool| {
        prior
            .get(&targets[k])
            .and_then(|sides| sides[usize::from(!up)].as_ref())
            .filter(|moved| moved.iter().all(|&m| hidden[m]))
            .cloned()
    };
    // Each other side each target needs, tried first in a small
    // neighbourhood: most protected cells show it there, with a small LP.
    let mut needs: Vec<(usize, bool)> = Vec::new();
    for (k, &t) in targets.iter().enumerate() {
        for up in [true, false] {
            let amount = need(release, t, up);
            if !hidden[t] || amount <= 0.0 {
                continue;
            }
            match still(k, up) {
                Some(point) => record(k, up, amount, Some(point)),
                None => needs.push((k, up)),
            }
        }
    }
    let index: Vec<usize> = (0..needs.len()).collect();
    let nearby = par_map(&index, |n| {
        let (k, up) = needs[n];
        let t = targets[k];
        // A box of hidden cells is a point of the attacker's that moves
        // the target as far as its protection needs: no LP.
        if let Some(cells) = hidden_box(release, policy, links, &hidden, t, up) {
            return Ok((need(release, t, up), Some(cells)));
        }
        let mut moved = 0.0;
        let mut point = None;
        // Growing sets, each tried only if larger than the one before;
        // the wide ball only where the answer must be settled (it spares
        // most LPs over the whole connected part).
        let caps: &[usize] = if settle { &[BALL, WIDE_BALL] } else { &[BALL] };
        let sets = std::iter::once(near(release, links, &hidden, t)).chain(
            caps.iter()
                .map(|&cap| ball(release, links, &hidden, t, cap)),
        );
        let mut tried = 0;
        for set in sets {
            if set.len() <= tried {
                continue;
            }
            tried = set.len();
            let (v, cells) = capped_point(release, policy, links, &set, t, up)?;
            moved = shift(release, t, up, v);
            if reaches(release, t, up, moved) {
                point = cells;
                break;
            }
        }
        Ok::<_, SdcError>((moved, point))
    });
    let mut open_sides: Vec<(usize, bool)> = Vec::new();
    for (&(k, up), found) in needs.iter().zip(nearby) {
        let (moved, point) = found?;
        if reaches(release, targets[k], up, moved) {
            record(k, up, moved, point);
        } else {
            open_sides.push((k, up));
        }
    }
    if !settle {
        // Trimming asks only for a quick proof: a side not shown nearby keeps its cell withheld.
        return Ok((out, shown));
    }
    // The rest grouped by the connected part of the table they lie in.
    let mut part_of = vec![usize::MAX; release.cells.len()];
    let mut parts: Vec<Group> = Vec::new();
    for &(k, up) in &open_sides {
        let t = targets[k];
        if part_of[t] == usize::MAX {
            let members = component(release, links, &hidden, t);
            for &m in &members {
                part_of[m] = parts.len();
            }
            parts.push((members, Vec::new()));
        }
        parts[part_of[t]].1.push((k, up));
    }
    let index: Vec<usize> = (0..parts.len()).collect();
    let found = par_map(&index, |g| {
        let (members, sides) = &parts[g];
        let mut found: Vec<(usize, bool, f64, Option<Vec<usize>>)> = Vec::new();
        for up in [true, false] {
            let mut open: Vec<usize> = sides.iter().filter(|s| s.1 == up).map(|s| s.0).collect();
            while !open.is_empty() {
                let cells: Vec<usize> = open.iter().map(|&k| targets[k]).collect();
                let (moved, point) = reach_together(release, policy, links, members, &cells, up)?;
                let mut rest = Vec::new();
                for (&k, y) in open.iter().zip(moved) {
                    if reaches(release, targets[k], up, y) || open.len() == 1 {
                        // Alone in the LP, a capped optimum short of the cap is the exact optimum.
                        found.push((k, up, y, Some(point.clone())));
                    } else {
                        rest.push(k);
                    }
                }
                if rest.len() == open.len() {
                    if !settle {
                        break;
                    }
                    // No cell reached its cap together: settle each alone.
                    for k in rest.drain(..) {
                        let t = targets[k];
                        let (v, point) = optimum_point(release, policy, links, members, t, up)?;
                        found.push((k, up, shift(release, t, up, v), point));
                    }
                }
                open = rest;
            }
        }
        Ok::<_, SdcError>(found)
    });
    for part in found {
        for (k, up, moved, point) in part? {
            record(k, up, moved, point);
        }
    }
    Ok((out, shown))
}

/// The cells of a box (see [`crate::boxes`]) of `hidden` cells alone
/// that moves `t` by its protection, up or down, if one is found.
fn hidden_box(
    release: &Release,
    policy: &Policy,
    links: &Links,
    hidden: &[bool],
    t: usize,
    up: bool,
) -> Option<Vec<usize>> {
    let cost = |i: usize| if hidden[i] { 1.0 } else { f64::INFINITY };
    let costs = Costs::new(release, policy, links, &cost)?;
    let direction = if up { 1.0 } else { -1.0 };
    boxes::cheapest(&costs, t, direction, need(release, t, up), None)
}

/// Whether `interval` protects cell `i` as its requirement says.
pub(crate) fn protects(release: &Release, i: usize, interval: Interval) -> bool {
    !short(release, i, interval, true) && !short(release, i, interval, false)
}

/// Whether `interval` falls short of cell `i`'s protection upwards (or downwards).
pub(crate) fn short(release: &Release, i: usize, interval: Interval, up: bool) -> bool {
    let moved = if up {
        interval.upper - release.cells[i].value
    } else {
        release.cells[i].value - interval.lower
    };
    !reaches(release, i, up, moved)
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

/// Audits the release's current pattern: the exact interval of every
/// withheld cell, and whether every primary is protected.
///
/// # Errors
/// If the LP solver fails or the published values are inconsistent.
pub fn audit(release: &Release, policy: &Policy) -> Result<Audit, SdcError> {
    let links = Links::new(release);
    let hidden = release.suppressed();
    let computed = par_map(&hidden, |i| bounds(release, policy, &links, &[], i));
    let mut intervals = vec![None; release.cells.len()];
    for (i, interval) in hidden.into_iter().zip(computed) {
        intervals[i] = Some(interval?);
    }
    verdict(release, policy, &links, intervals, &HashMap::new())
}

/// The audit's verdict with less work: only primary cells, only the side
/// of each that its protection needs, shown first in a small
/// neighbourhood, then for many cells at once by one LP over their part of
/// the table; a cell still not shown protected gets its exact optimum, so
/// the failures are exactly the audit's. The intervals are those of
/// primaries and may be narrower than [`audit`]'s (wide enough to show the
/// protection).
///
/// # Errors
/// If the LP solver fails or the published values are inconsistent.
pub fn check(release: &Release, policy: &Policy) -> Result<Audit, SdcError> {
    Ok(check_shown(release, policy, &ShownBy::new())?.0)
}

/// [`check`], with the points that showed each primary protected.
pub(crate) fn check_shown(
    release: &Release,
    policy: &Policy,
    prior: &ShownBy,
) -> Result<(Audit, ShownBy), SdcError> {
    let links = Links::new(release);
    let primaries: Vec<usize> = (0..release.cells.len())
        .filter(|&i| matches!(release.cells[i].status, Status::Primary(_)))
        .collect();
    let mut intervals = vec![None; release.cells.len()];
    let (found, shown) = verify_shown(release, policy, &links, &[], &primaries, true, prior)?;
    for (i, interval) in primaries.iter().zip(found) {
        intervals[*i] = Some(interval);
    }
    let shown: ShownBy = primaries.into_iter().zip(shown).collect();
    Ok((verdict(release, policy, &links, intervals, &shown)?, shown))
}

/// Failures among the primaries' intervals; when there are none, the
/// singleton pairs: a singleton's only contributor knows its value, so its
/// neighbours are checked again with it known, unless the point that
/// showed a neighbour protected (`shown`, see [`Shown`]) leaves the
/// singleton at its value.
fn verdict(
    release: &Release,
    policy: &Policy,
    links: &Links,
    intervals: Vec<Option<Interval>>,
    shown: &ShownBy,
) -> Result<Audit, SdcError> {
    let mut failures: Vec<Failure> = intervals
        .iter()
        .enumerate()
        .filter_map(|(i, iv)| iv.map(|iv| (i, iv)))
        .filter(|&(i, iv)| {
            matches!(release.cells[i].status, Status::Primary(_)) && !protects(release, i, iv)
        })
        .map(|(cell, interval)| Failure {
            cell,
            interval,
            singleton: None,
        })
        .collect();
    if failures.is_empty() {
        let singles = singletons(release);
        let neighbours: Vec<Vec<usize>> = singles
            .iter()
            .map(|&s| {
                let mut near = neighbour_primaries(release, s);
                near.retain(|p| {
                    !shown.get(p).is_some_and(|sides| {
                        sides
                            .iter()
                            .all(|side| side.as_ref().is_some_and(|moved| !moved.contains(&s)))
                    })
                });
                near
            })
            .collect();
        let index: Vec<usize> = (0..singles.len()).collect();
        let computed = par_map(&index, |k| {
            verify_shown(
                release,
                policy,
                links,
                &[singles[k]],
                &neighbours[k],
                true,
                shown,
            )
            .map(|(found, _)| found)
        });
        for (k, found) in computed.into_iter().enumerate() {
            let s = singles[k];
            for (&p, interval) in neighbours[k].iter().zip(found?) {
                // What the singleton's person knows before anything is
                // published: a cell holding theirs is at least their value.
                // An interval no tighter than that tells them nothing, even
                // if it is narrower than the protection asks (the rest of
                // the cell is one small contribution): hiding more could
                // not widen it.
                let apriori = if is_within(release, s, p) {
                    release.cells[s].value.max(lower_bound(release, policy, p))
                } else {
                    lower_bound(release, policy, p)
                };
                let down_ok = !short(release, p, interval, false) || interval.lower <= apriori;
                if short(release, p, interval, true) || !down_ok {
                    failures.push(Failure {
                        cell: p,
                        interval,
                        singleton: Some(singles[k]),
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

/// Whether cell `outer` holds exactly the persons of cell `inner`, which
/// lies inside it (a county of one municipality, a row whose other cells
/// are empty): the singleton's own person learns nothing about anyone else
/// from its value.
fn same_persons(release: &Release, inner: usize, outer: usize) -> bool {
    release.cells[outer].contributors == release.cells[inner].contributors
        && is_within(release, inner, outer)
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
/// cells inside `s` (its parts at any depth) and cells holding the same
/// persons as `s`: they hold only the singleton's own person, who learns
/// nothing new from them.
pub(crate) fn neighbour_primaries(release: &Release, s: usize) -> Vec<usize> {
    let mut out: Vec<usize> = release
        .relations
        .iter()
        .filter(|r| r.total == s || r.parts.contains(&s))
        .flat_map(Relation::cells)
        .filter(|&i| {
            i != s
                && matches!(release.cells[i].status, Status::Primary(_))
                && !is_within(release, i, s)
                && !same_persons(release, s, i)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}
