//! Secondary suppression over the whole system of relations.
//!
//! Primaries are taken in a fixed order. For each one the attacker cannot
//! yet be kept far enough from, the cheapest *deviation* is found: a change
//! of cell values that keeps every relation of every linked table true,
//! stays within the attacker's bounds, and moves the primary by its
//! protection level. Every published cell the deviation touches is
//! suppressed; the attacker then cannot tell the real table from the
//! deviated one, so the primary is protected. Singletons are handled by
//! repeating this with the singleton's value known. The independent
//! [`audit`](crate::audit) then has the last word: if it finds anything,
//! more rounds run, and if nothing more can be done nothing is released.
//! Same input, same pattern: the order and the solver are deterministic.

use crate::SdcError;
use crate::audit::{
    Audit, Failure, Interval, Links, ShownBy, check, check_shown, lower_bound, members, protects,
    short, ties, verify_shown,
};
use crate::lp::{INF, Lp};
use crate::policy::{CostKind, Policy};
use crate::primary;
use crate::table::{Release, Status};
use std::collections::HashMap;

/// Rounds of fixing before the table is declared unprotectable (primaries
/// and singleton pairs are fixed in separate rounds).
const MAX_ROUNDS: usize = 8;
/// Cost of routing a deviation through a cell that is already withheld.
const HIDDEN_COST: f64 = 1e-3;
/// A deviation smaller than this does not count as touching a cell.
const TOUCH: f64 = 1e-7;
/// How many of the cheapest cells of each of the primary's relations the
/// first, small deviation LPs may use (with every withheld cell); the whole
/// table comes last.
const NEAR_WIDTHS: [usize; 2] = [8, 40];

/// Applies the policy's primary rules, chooses secondary suppressions and
/// audits the result. Returns the passing audit.
///
/// # Errors
/// [`SdcError::CannotProtect`] if some primary cannot be protected (fail
/// closed: release nothing), or a solver error.
pub fn protect(release: &mut Release, policy: &Policy) -> Result<Audit, SdcError> {
    primary::apply(release, policy);
    let links = Links::new(release);
    let (mut result, mut shown) = check_shown(release, policy)?;
    let mut trimmed = false;
    for _ in 0..MAX_ROUNDS {
        if result.passed() {
            if trimmed || !trim(release, policy, &links, shown.clone())? {
                return Ok(result);
            }
            // Publishing cells again must pass the whole check, singleton pairs included.
            trimmed = true;
            result = check(release, policy)?;
            continue;
        }
        if !fix(release, policy, &links, &result.failures)? {
            break;
        }
        (result, shown) = check_shown(release, policy)?;
    }
    if result.passed() {
        return Ok(result);
    }
    Err(SdcError::CannotProtect(
        result
            .failures
            .first()
            .map_or_else(String::new, |f| release.describe(f.cell)),
    ))
}

/// Hides a deviation for each failure, in order. Until the first one is
/// hidden the check's intervals are current; after that each is looked at
/// again, since an earlier fix often protects later ones too. Returns
/// whether anything was suppressed.
fn fix(
    release: &mut Release,
    policy: &Policy,
    links: &Links,
    failures: &[Failure],
) -> Result<bool, SdcError> {
    let mut changed = false;
    for failure in failures {
        let interval = if changed {
            let known: Vec<usize> = failure.singleton.into_iter().collect();
            verify_shown(release, policy, links, &known, &[failure.cell], true)?.0[0]
        } else {
            failure.interval
        };
        if !protects(release, failure.cell, interval) {
            hide(
                release,
                policy,
                links,
                failure.cell,
                interval,
                failure.singleton,
            )?;
            changed = true;
        }
    }
    Ok(changed)
}

/// Publishes again, costliest first, each secondary cell no primary needs:
/// greedy fixing in order can leave some a later fix made redundant. Only
/// primaries whose protecting point moved the cell (or that have no such
/// point) are checked again. Returns whether any cell was published.
fn trim(
    release: &mut Release,
    policy: &Policy,
    links: &Links,
    mut shown: ShownBy,
) -> Result<bool, SdcError> {
    let mut secondaries: Vec<usize> = (0..release.cells.len())
        .filter(|&i| release.cells[i].status == Status::Secondary)
        .collect();
    secondaries.sort_by(|&a, &b| {
        cost(release, policy, b)
            .total_cmp(&cost(release, policy, a))
            .then(a.cmp(&b))
    });
    let mut published = false;
    for s in secondaries {
        let mut affected: Vec<usize> = shown
            .iter()
            .filter(|(_, sides)| {
                sides
                    .iter()
                    .any(|side| side.as_ref().is_none_or(|moved| moved.contains(&s)))
            })
            .map(|(&p, _)| p)
            .collect();
        // Primaries next to the cell first: they are the ones likely to need it.
        let next_to: Vec<usize> = links
            .of(s)
            .iter()
            .flat_map(|&r| members(release, r))
            .collect();
        affected.sort_unstable_by_key(|p| (!next_to.contains(p), *p));
        release.cells[s].status = Status::Safe;
        // One at a time, stopping at the first primary not shown protected
        // quickly (without settling: the cell then stays withheld).
        let mut points = Vec::with_capacity(affected.len());
        for &p in &affected {
            let (found, shown_p) = verify_shown(release, policy, links, &[], &[p], false)?;
            if !protects(release, p, found[0]) {
                break;
            }
            points.extend(shown_p);
        }
        if points.len() == affected.len() {
            shown.extend(affected.into_iter().zip(points));
            published = true;
        } else {
            release.cells[s].status = Status::Secondary;
        }
    }
    Ok(published)
}

fn cost(release: &Release, policy: &Policy, i: usize) -> f64 {
    let cell = &release.cells[i];
    if cell.status.suppressed() {
        return HIDDEN_COST;
    }
    match policy.cost {
        CostKind::Value => cell.value.abs() + 1.0,
        CostKind::Count => 1.0,
    }
}

/// Suppresses the cells of the cheapest deviation that moves `p` as far as
/// its protection requires, in each direction it is short of.
fn hide(
    release: &mut Release,
    policy: &Policy,
    links: &Links,
    p: usize,
    interval: Interval,
    known: Option<usize>,
) -> Result<(), SdcError> {
    let (up, down) = release.cells[p].protection;
    let needs: Vec<(f64, f64)> = [(true, 1.0, up), (false, -1.0, down)]
        .into_iter()
        .filter(|&(side, _, _)| short(release, p, interval, side))
        .map(|(_, direction, amount)| (direction, amount))
        .collect();
    for (direction, amount) in needs {
        let touched = deviation(release, policy, links, p, direction, amount, known)?
            .ok_or_else(|| SdcError::CannotProtect(release.describe(p)))?;
        for i in touched {
            if !release.cells[i].status.suppressed() {
                release.cells[i].status = Status::Secondary;
            }
        }
    }
    Ok(())
}

/// The cells a cheapest feasible deviation moving `p` by `direction ×
/// amount` touches. Small neighbourhoods are tried first: a deviation that
/// is feasible there (every other cell unmoved) is feasible in the whole
/// table, so only its cost, never the protection, depends on the search.
fn deviation(
    release: &Release,
    policy: &Policy,
    links: &Links,
    p: usize,
    direction: f64,
    amount: f64,
    known: Option<usize>,
) -> Result<Option<Vec<usize>>, SdcError> {
    let mut tried = 0;
    for width in NEAR_WIDTHS {
        let scope = neighbourhood(release, policy, links, p, width, known);
        if scope.len() == tried {
            continue;
        }
        tried = scope.len();
        if let Some(touched) = deviate(release, policy, links, &scope, p, direction, amount, known)?
        {
            return Ok(Some(touched));
        }
    }
    let all: Vec<usize> = (0..release.cells.len()).collect();
    if all.len() == tried {
        return Ok(None);
    }
    deviate(release, policy, links, &all, p, direction, amount, known)
}

/// Every withheld cell (routes through them cost next to nothing), the
/// `width` cheapest cells of each relation of `p`, then (twice) the cells
/// that close a cycle: tied by two relations to that set, one of them
/// through a cell added last. In two dimensions that closes rectangles
/// (and longer cycles through withheld cells), in three, boxes.
fn neighbourhood(
    release: &Release,
    policy: &Policy,
    links: &Links,
    p: usize,
    width: usize,
    known: Option<usize>,
) -> Vec<usize> {
    let by_cost = |a: &usize, b: &usize| {
        cost(release, policy, *a)
            .total_cmp(&cost(release, policy, *b))
            .then(a.cmp(b))
    };
    let mut inside: Vec<bool> = release
        .cells
        .iter()
        .map(|c| c.status.suppressed())
        .collect();
    inside[p] = true;
    let mut frontier = vec![p];
    for &r in links.of(p) {
        let mut cells: Vec<usize> = members(release, r)
            .filter(|&m| m != p && Some(m) != known && !inside[m])
            .collect();
        cells.sort_by(by_cost);
        cells.truncate(width);
        for c in cells {
            inside[c] = true;
            frontier.push(c);
        }
    }
    for _ in 0..2 {
        let mut added: Vec<usize> = ties(release, links, &frontier, |m| !inside[m])
            .into_iter()
            .filter(|(m, rs)| {
                rs.len() >= 2
                    || links
                        .of(*m)
                        .iter()
                        .any(|r| !rs.contains(r) && members(release, *r).any(|c| inside[c]))
            })
            .map(|(m, _)| m)
            .collect();
        if added.is_empty() {
            break;
        }
        added.sort_unstable();
        for &m in &added {
            inside[m] = true;
        }
        frontier = added;
    }
    (0..release.cells.len()).filter(|&i| inside[i]).collect()
}

/// The cheapest deviation over the cells in `scope` (all others stay put).
#[allow(clippy::too_many_arguments)]
fn deviate(
    release: &Release,
    policy: &Policy,
    links: &Links,
    scope: &[usize],
    p: usize,
    direction: f64,
    amount: f64,
    known: Option<usize>,
) -> Result<Option<Vec<usize>>, SdcError> {
    let mut lp = Lp::new(false);
    let mut vars = HashMap::with_capacity(scope.len());
    let mut all = Vec::with_capacity(2 * scope.len());
    for &i in scope {
        let c = cost(release, policy, i);
        let fixed = known == Some(i);
        let room_down = (release.cells[i].value - lower_bound(release, policy, i)).max(0.0);
        let up = lp.var(c, 0.0, if fixed { 0.0 } else { INF });
        let down = lp.var(c, 0.0, if fixed { 0.0 } else { room_down });
        vars.insert(i, (up, down));
        all.push(up);
        all.push(down);
    }
    for r in links.touching(scope) {
        let mut terms = Vec::new();
        for (cell, sign) in release.relations[r].terms() {
            if let Some(&(up, down)) = vars.get(&cell) {
                terms.push((up, sign));
                terms.push((down, -sign));
            }
        }
        lp.eq(&terms, 0.0);
    }
    let (up, down) = vars[&p];
    lp.ge(&[(up, direction), (down, -direction)], amount);
    let Some((_, values)) = lp.solve(&all)? else {
        return Ok(None);
    };
    Ok(Some(
        scope
            .iter()
            .enumerate()
            .filter(|&(k, _)| values[2 * k] + values[2 * k + 1] > TOUCH)
            .map(|(_, &i)| i)
            .collect(),
    ))
}
