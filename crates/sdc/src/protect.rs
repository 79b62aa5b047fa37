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
    Audit, Interval, Sides, audit, bounds_sides, lower_bound, neighbour_primaries, par_map,
    protects, singletons,
};
use crate::lp::{INF, Lp};
use crate::policy::{CostKind, Policy};
use crate::primary;
use crate::table::{Release, Status};

/// Rounds of fixing before the table is declared unprotectable.
const MAX_ROUNDS: usize = 4;
/// Cost of routing a deviation through a cell that is already withheld.
const HIDDEN_COST: f64 = 1e-3;
/// A deviation smaller than this does not count as touching a cell.
const TOUCH: f64 = 1e-7;

/// Applies the policy's primary rules, chooses secondary suppressions and
/// audits the result. Returns the passing audit.
///
/// # Errors
/// [`SdcError::CannotProtect`] if some primary cannot be protected (fail
/// closed: release nothing), or a solver error.
pub fn protect(release: &mut Release, policy: &Policy) -> Result<Audit, SdcError> {
    primary::apply(release, policy);
    let mut last_failure = None;
    for _ in 0..MAX_ROUNDS {
        let mut changed = false;
        let primaries: Vec<usize> = (0..release.cells.len())
            .filter(|&i| matches!(release.cells[i].status, Status::Primary(_)))
            .collect();
        // Check every primary at once; suppressions only add protection, so
        // a primary that passes now still passes after later ones are fixed.
        let first = par_map(&primaries, |p| {
            bounds_sides(release, policy, &[], p, Sides::Needed)
        });
        let mut unprotected = Vec::new();
        for (p, interval) in primaries.into_iter().zip(first) {
            if !protects(release, p, interval?) {
                unprotected.push(p);
            }
        }
        for p in unprotected {
            // Fixing an earlier one may have protected this one already.
            let interval = bounds_sides(release, policy, &[], p, Sides::Needed)?;
            if !protects(release, p, interval) {
                hide(release, policy, p, interval, None)?;
                changed = true;
            }
        }
        let pairs: Vec<(usize, usize)> = singletons(release)
            .into_iter()
            .flat_map(|s| {
                neighbour_primaries(release, s)
                    .into_iter()
                    .map(move |p| (s, p))
            })
            .collect();
        let index: Vec<usize> = (0..pairs.len()).collect();
        let first = par_map(&index, |k| {
            bounds_sides(release, policy, &[pairs[k].0], pairs[k].1, Sides::Needed)
        });
        let mut exposed = Vec::new();
        for (pair, interval) in pairs.into_iter().zip(first) {
            if !protects(release, pair.1, interval?) {
                exposed.push(pair);
            }
        }
        for (s, p) in exposed {
            let interval = bounds_sides(release, policy, &[s], p, Sides::Needed)?;
            if !protects(release, p, interval) {
                hide(release, policy, p, interval, Some(s))?;
                changed = true;
            }
        }
        let result = audit(release, policy)?;
        if result.passed() {
            return Ok(result);
        }
        last_failure = result.failures.first().map(|f| f.cell);
        if !changed {
            break;
        }
    }
    Err(SdcError::CannotProtect(
        last_failure.map_or_else(String::new, |c| release.describe(c)),
    ))
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
    p: usize,
    interval: Interval,
    known: Option<usize>,
) -> Result<(), SdcError> {
    let cell = &release.cells[p];
    let (up, down) = cell.protection;
    let eps = 1e-6 * cell.value.abs().max(1.0);
    let mut needs = Vec::new();
    if interval.upper < cell.value + up - eps {
        needs.push((1.0, up));
    }
    if interval.lower > cell.value - down + eps {
        needs.push((-1.0, down));
    }
    for (direction, amount) in needs {
        let touched = deviation(release, policy, p, direction, amount, known)?
            .ok_or_else(|| SdcError::CannotProtect(release.describe(p)))?;
        for i in touched {
            if !release.cells[i].status.suppressed() {
                release.cells[i].status = Status::Secondary;
            }
        }
    }
    Ok(())
}

/// The cells a cheapest feasible deviation moving `p` by `direction × amount` touches.
fn deviation(
    release: &Release,
    policy: &Policy,
    p: usize,
    direction: f64,
    amount: f64,
    known: Option<usize>,
) -> Result<Option<Vec<usize>>, SdcError> {
    let mut lp = Lp::new(false);
    let mut up_vars = Vec::with_capacity(release.cells.len());
    let mut down_vars = Vec::with_capacity(release.cells.len());
    for i in 0..release.cells.len() {
        let c = cost(release, policy, i);
        let fixed = known == Some(i);
        let room_down = (release.cells[i].value - lower_bound(release, policy, i)).max(0.0);
        up_vars.push(lp.var(c, 0.0, if fixed { 0.0 } else { INF }));
        down_vars.push(lp.var(c, 0.0, if fixed { 0.0 } else { room_down }));
    }
    for relation in &release.relations {
        let mut terms = Vec::with_capacity(2 * relation.parts.len() + 2);
        for &part in &relation.parts {
            terms.push((up_vars[part], 1.0));
            terms.push((down_vars[part], -1.0));
        }
        terms.push((up_vars[relation.total], -1.0));
        terms.push((down_vars[relation.total], 1.0));
        lp.eq(&terms, 0.0);
    }
    lp.ge(
        &[(up_vars[p], direction), (down_vars[p], -direction)],
        amount,
    );
    let mut all = up_vars.clone();
    all.extend(&down_vars);
    let Some((_, values)) = lp.solve(&all)? else {
        return Ok(None);
    };
    let n = release.cells.len();
    Ok(Some(
        (0..n)
            .filter(|&i| values[i] + values[n + i] > TOUCH)
            .collect(),
    ))
}
