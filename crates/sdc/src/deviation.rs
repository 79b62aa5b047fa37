//! The protector's deviations: the cheapest change of cell values that
//! keeps every relation of every linked table true, stays within the
//! attacker's bounds and moves a primary by its protection level. Every
//! published cell it touches is then withheld, so the attacker cannot tell
//! the real table from the deviated one. A box (see [`crate::boxes`]) is
//! tried first, without an LP; LPs over growing neighbourhoods, then the
//! whole table, follow where it is not enough.

use crate::SdcError;
use crate::audit::lower_bound;
use crate::boxes::{self, Costs};
use crate::lp::{INF, Lp};
use crate::neighbourhood::{Links, ball, hidden_cells, members, ties};
use crate::policy::{CostKind, Policy};
use crate::table::Release;
use std::collections::HashMap;

/// Cost of routing a deviation through a cell that is already withheld.
const HIDDEN_COST: f64 = 1e-3;
/// A deviation smaller than this does not count as touching a cell.
const TOUCH: f64 = 1e-7;
/// How many of the cheapest cells of each of the primary's relations the
/// first, small deviation LPs may use (with every withheld cell); the whole
/// table comes last.
const NEAR_WIDTHS: [usize; 2] = [8, 40];
/// How many withheld cells around the primary (reached through withheld
/// cells) the small deviation LPs may route through.
const HIDDEN_NEAR: usize = 1000;

/// What routing a deviation through cell `i` costs: its value (or one
/// cell), next to nothing for a cell already withheld.
pub(crate) fn cost(release: &Release, policy: &Policy, i: usize) -> f64 {
    let cell = &release.cells[i];
    if cell.status.suppressed() {
        return HIDDEN_COST;
    }
    match policy.cost {
        CostKind::Value => cell.value.abs() + 1.0,
        CostKind::Count => 1.0,
    }
}

/// The cells a cheapest feasible deviation moving `p` by `direction ×
/// amount` touches. The cheapest box comes first: if it routes through
/// withheld cells alone it costs nothing, and no LP can do better. Else
/// the LPs over small neighbourhoods follow, with the box's cells in them
/// (so the first is feasible and no dearer than the box), and the whole
/// table last, where no box was found. A deviation that is feasible in a
/// neighbourhood (every other cell unmoved) is feasible in the whole
/// table, so only its cost, never the protection, depends on the search.
pub(crate) fn deviation(
    release: &Release,
    policy: &Policy,
    links: &Links,
    p: usize,
    direction: f64,
    amount: f64,
    known: Option<usize>,
) -> Result<Option<Vec<usize>>, SdcError> {
    let found = cheapest_box(release, policy, links, p, direction, amount, known);
    if let Some(cells) = &found
        && cells.iter().all(|&i| release.cells[i].status.suppressed())
    {
        return Ok(found);
    }
    let mut tried = 0;
    for width in NEAR_WIDTHS {
        let mut scope = neighbourhood(release, policy, links, p, width, known);
        if let Some(cells) = &found {
            scope.extend(cells);
            scope.sort_unstable();
            scope.dedup();
        }
        if scope.len() == tried {
            continue;
        }
        tried = scope.len();
        if let Some(touched) = deviate(release, policy, links, &scope, p, direction, amount, known)?
        {
            return Ok(Some(touched));
        }
    }
    if found.is_some() {
        // Only a solver's rounding can get here: the box is feasible.
        return Ok(found);
    }
    let all: Vec<usize> = (0..release.cells.len()).collect();
    if all.len() == tried {
        return Ok(None);
    }
    deviate(release, policy, links, &all, p, direction, amount, known)
}

/// The cells of the cheapest box (see [`crate::boxes`]) that moves `p` by
/// `direction × amount`, if one is found.
pub(crate) fn cheapest_box(
    release: &Release,
    policy: &Policy,
    links: &Links,
    p: usize,
    direction: f64,
    amount: f64,
    known: Option<usize>,
) -> Option<Vec<usize>> {
    let cost = |i| cost(release, policy, i);
    let costs = Costs::new(release, policy, links, &cost)?;
    boxes::cheapest(&costs, p, direction, amount, known)
}

/// The withheld cells around `p` ([`HIDDEN_NEAR`] of them, reached through
/// withheld cells: routes through them cost next to nothing), the
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
    let mut inside = vec![false; release.cells.len()];
    let hidden = hidden_cells(release, known.as_slice());
    for c in ball(release, links, &hidden, p, HIDDEN_NEAR) {
        inside[c] = true;
    }
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
        // The singleton being tried, or a cell another release published.
        let fixed = known == Some(i) || release.cells[i].known;
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
