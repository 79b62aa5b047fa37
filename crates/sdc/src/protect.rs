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
use crate::audit::{Audit, ShownBy, check_shown, par_map, protects, verify_shown};
use crate::deviation::{cheapest_box, cost, deviation};
use crate::explain::{Reason, reasons};
use crate::neighbourhood::{Links, members};
use crate::policy::Policy;
use crate::primary;
use crate::table::{Release, Status};

/// Rounds of fixing before the table is declared unprotectable (primaries
/// and singleton pairs are fixed in separate rounds).
const MAX_ROUNDS: usize = 8;
/// Primaries whose deviations are solved side by side (a constant, not the
/// number of cores, so the pattern does not depend on the machine).
const FIX_BATCH: usize = 2;
/// Most secondary cells, costliest first, that trimming tries to publish
/// again: each try is a few LPs, and the costliest hold most of the gain.
const TRIM_TRIES: usize = 400;

/// Applies the policy's primary rules, chooses secondary suppressions and
/// audits the result. Returns the passing audit.
///
/// # Errors
/// [`SdcError::CannotProtect`] if some primary cannot be protected (fail
/// closed: release nothing), or a solver error.
pub fn protect(release: &mut Release, policy: &Policy) -> Result<Audit, SdcError> {
    protect_explained(release, policy).map(|(audit, _)| audit)
}

/// [`protect`], with the reason of every cell: its primary rule, or the
/// primaries a secondary protects ([`Reason`]). The reasons come from the
/// points that showed the final pattern safe, with no further LP.
///
/// # Errors
/// As [`protect`].
pub fn protect_explained(
    release: &mut Release,
    policy: &Policy,
) -> Result<(Audit, Vec<Reason>), SdcError> {
    primary::apply(release, policy);
    let links = Links::new(release);
    let equal = Equal::new(release);
    for i in 0..release.cells.len() {
        if release.cells[i].status.suppressed() {
            equal.hide_with(release, i);
        }
    }
    let (audit, shown) = match iterate(release, policy, &links, &equal) {
        Ok(Some(done)) => done,
        Ok(None) | Err(SdcError::CannotProtect(_)) => fallback(release, policy, &links, &equal)?,
        Err(e) => return Err(e),
    };
    let audit = if release.cells.iter().any(|c| c.known) {
        with_known_shown(release, policy)?
    } else {
        audit
    };
    let reasons = reasons(release, &links, &shown, |i| equal.of(i));
    Ok((audit, reasons))
}

/// Cells another release published ([`crate::table::Cell::known`]) are
/// the attacker's already: a secondary among them is published here too,
/// and the pattern must protect every primary with all of them known
/// (deviations never move them, but a cell equal to a primary may still
/// have been hidden with it). A pattern that does not is never released.
fn with_known_shown(release: &mut Release, policy: &Policy) -> Result<Audit, SdcError> {
    for cell in &mut release.cells {
        if cell.known && cell.status == Status::Secondary {
            cell.status = Status::Safe;
        }
    }
    let mut seen = release.clone();
    for cell in &mut seen.cells {
        if cell.known {
            cell.status = Status::Safe;
        }
    }
    let audit = crate::audit::check(&seen, policy)?;
    if !audit.passed() {
        return Err(SdcError::CannotProtect(format!(
            "{} cells are not protected once the cells another release published are known",
            audit.failures.len()
        )));
    }
    Ok(audit)
}

/// Cells equal whatever the rest of the table holds: the total of a
/// relation with one part (a hierarchy level with a single child, such as
/// a county of one municipality) or with one part that is not empty while
/// the other parts are published empty cells. Publishing one of them while
/// another is withheld gives the withheld one away, so each class is
/// withheld or published as one: found once, up front, so that no
/// deviation or trimming has to find it out from the LPs.
struct Equal {
    /// Each cell's class, by index into `classes` (`usize::MAX` for a cell
    /// equal to no other).
    class_of: Vec<usize>,
    /// Classes of two or more cells, each in cell order.
    classes: Vec<Vec<usize>>,
}

impl Equal {
    /// Classes from the relations, with the statuses the primary rules set
    /// (a withheld empty cell does not make its neighbours equal).
    fn new(release: &Release) -> Equal {
        let n = release.cells.len();
        let mut root: Vec<usize> = (0..n).collect();
        let published_empty = |c: usize| {
            let cell = &release.cells[c];
            cell.contributors == 0 && cell.value == 0.0 && !cell.status.suppressed()
        };
        for relation in &release.relations {
            let mut rest = relation.parts.iter().filter(|&&c| !published_empty(c));
            let (Some(&only), None) = (rest.next(), rest.next()) else {
                continue;
            };
            let (a, b) = (find(&mut root, only), find(&mut root, relation.total));
            if a != b {
                root[a.max(b)] = a.min(b);
            }
        }
        let mut size = vec![0usize; n];
        for i in 0..n {
            size[find(&mut root, i)] += 1;
        }
        let mut class_of = vec![usize::MAX; n];
        let mut classes: Vec<Vec<usize>> = Vec::new();
        for i in 0..n {
            let r = find(&mut root, i);
            if size[r] < 2 {
                continue;
            }
            if class_of[r] == usize::MAX {
                class_of[r] = classes.len();
                classes.push(Vec::new());
            }
            class_of[i] = class_of[r];
            classes[class_of[r]].push(i);
        }
        Equal { class_of, classes }
    }

    /// The cells of `i`'s class, `i` included; empty when `i` equals no other cell.
    fn of(&self, i: usize) -> &[usize] {
        self.classes
            .get(self.class_of[i])
            .map_or(&[], Vec::as_slice)
    }

    /// Withholds every published cell of `i`'s class.
    fn hide_with(&self, release: &mut Release, i: usize) {
        for &m in self.of(i) {
            if !release.cells[m].status.suppressed() {
                release.cells[m].status = Status::Secondary;
            }
        }
    }
}

/// The fast path: a deviation hidden for every primary in turn, then
/// fixing what the check finds (singleton pairs) round by round, then
/// trimming. `None` when the rounds run out first; else the passing check
/// with the points that showed each primary protected.
fn iterate(
    release: &mut Release,
    policy: &Policy,
    links: &Links,
    equal: &Equal,
) -> Result<Option<(Audit, ShownBy)>, SdcError> {
    let mut shown = ShownBy::new();
    let primaries: Vec<(usize, Option<usize>)> = (0..release.cells.len())
        .filter(|&i| matches!(release.cells[i].status, Status::Primary(_)))
        .map(|i| (i, None))
        .collect();
    fix(release, policy, links, equal, &primaries, &mut shown)?;
    let mut result;
    (result, shown) = check_shown(release, policy, &shown)?;
    let mut trimmed = false;
    for _ in 0..MAX_ROUNDS {
        if result.passed() {
            if trimmed || !trim(release, policy, links, equal, &mut shown)? {
                return Ok(Some((result, shown)));
            }
            // Publishing cells again must pass the whole check, singleton pairs included.
            trimmed = true;
        } else {
            let failures: Vec<(usize, Option<usize>)> = result
                .failures
                .iter()
                .map(|f| (f.cell, f.singleton))
                .collect();
            if !fix(release, policy, links, equal, &failures, &mut shown)? {
                break;
            }
        }
        (result, shown) = check_shown(release, policy, &shown)?;
    }
    Ok(result.passed().then_some((result, shown)))
}

/// For each primary (with the singleton whose value its attacker knows,
/// if any), in order: each side its protection needs that no point in
/// `shown` shows any more gets the cheapest deviation, which is hidden and
/// kept in `shown` as the point that shows the side. Routes through cells
/// already withheld cost next to nothing, so a primary that earlier
/// deviations protect adds nothing; where a box through withheld cells
/// alone shows that, it is taken at once, without an LP. The sides that
/// need an LP are solved [`FIX_BATCH`] at a time, side by side (on both
/// cores), from the same pattern: a deviation stays a valid proof whatever
/// else is hidden, it may only cost a little more. Returns whether any
/// deviation was needed.
fn fix(
    release: &mut Release,
    policy: &Policy,
    links: &Links,
    equal: &Equal,
    targets: &[(usize, Option<usize>)],
    shown: &mut ShownBy,
) -> Result<bool, SdcError> {
    let mut changed = false;
    // Primaries far apart in the order (cells far apart in the table)
    // alternate, so the deviations solved side by side mostly lie far
    // apart and rarely share cells.
    let stride = targets.len().div_ceil(FIX_BATCH);
    let order = (0..stride).flat_map(|start| targets.iter().skip(start).step_by(stride));
    let mut open: Vec<Side> = Vec::new();
    for (n, &(p, known)) in order.enumerate() {
        let (up, down) = release.cells[p].protection;
        for (side, direction, amount) in [(0, 1.0, up), (1, -1.0, down)] {
            let valid = shown
                .get(&p)
                .and_then(|sides| sides[side].as_ref())
                .is_some_and(|moved| {
                    moved
                        .iter()
                        .all(|&m| release.cells[m].status.suppressed() && Some(m) != known)
                });
            if amount <= 0.0 || valid {
                continue;
            }
            changed = true;
            match cheapest_box(release, policy, links, p, direction, amount, known) {
                Some(cells) if cells.iter().all(|&i| release.cells[i].status.suppressed()) => {
                    shown.entry(p).or_insert([None, None])[side] = Some(cells);
                }
                _ => open.push((p, known, side, direction, amount)),
            }
        }
        if open.len() >= FIX_BATCH || (n + 1 == targets.len() && !open.is_empty()) {
            hide_deviations(release, policy, links, equal, &open, shown)?;
            open.clear();
        }
    }
    Ok(changed)
}

/// A side of a primary to protect: the primary, the singleton its attacker
/// knows, the side (0 up, 1 down), its direction and amount.
type Side = (usize, Option<usize>, usize, f64, f64);

/// Finds the deviations of `open` side by side and hides them.
fn hide_deviations(
    release: &mut Release,
    policy: &Policy,
    links: &Links,
    equal: &Equal,
    open: &[Side],
    shown: &mut ShownBy,
) -> Result<(), SdcError> {
    let index: Vec<usize> = (0..open.len()).collect();
    let found = par_map(&index, |k| {
        let (p, known, _, direction, amount) = open[k];
        deviation(release, policy, links, p, direction, amount, known)
    });
    for (&(p, _, side, _, _), touched) in open.iter().zip(found) {
        let touched = touched?.ok_or_else(|| SdcError::CannotProtect(release.describe(p)))?;
        for &i in &touched {
            if !release.cells[i].status.suppressed() {
                release.cells[i].status = Status::Secondary;
            }
            equal.hide_with(release, i);
        }
        shown.entry(p).or_insert([None, None])[side] = Some(touched);
    }
    Ok(())
}

/// Publishes again, costliest first, each secondary cell no primary needs:
/// greedy fixing in order can leave some a later fix made redundant. Only
/// primaries whose protecting point moved the cell (or that have no such
/// point) are checked again. Returns whether any cell was published.
fn trim(
    release: &mut Release,
    policy: &Policy,
    links: &Links,
    equal: &Equal,
    shown: &mut ShownBy,
) -> Result<bool, SdcError> {
    let mut secondaries: Vec<usize> = (0..release.cells.len())
        .filter(|&i| release.cells[i].status == Status::Secondary)
        .collect();
    secondaries.sort_by(|&a, &b| {
        cost(release, policy, b)
            .total_cmp(&cost(release, policy, a))
            .then(a.cmp(&b))
    });
    secondaries.truncate(TRIM_TRIES);
    let mut published = false;
    for s in secondaries {
        // The cell is published with the cells equal to it, or not at all.
        if release.cells[s].status != Status::Secondary
            || equal
                .of(s)
                .iter()
                .any(|&m| release.cells[m].status != Status::Secondary)
        {
            continue;
        }
        let class: Vec<usize> = match equal.of(s) {
            [] => vec![s],
            cells => cells.to_vec(),
        };
        let mut affected: Vec<usize> = shown
            .iter()
            .filter(|(_, sides)| {
                sides.iter().any(|side| {
                    side.as_ref()
                        .is_none_or(|moved| class.iter().any(|c| moved.contains(c)))
                })
            })
            .map(|(&p, _)| p)
            .collect();
        // Primaries next to the cell first: they are the ones likely to need it.
        let next_to: Vec<usize> = class
            .iter()
            .flat_map(|&c| links.of(c))
            .flat_map(|&r| members(release, r))
            .collect();
        affected.sort_unstable_by_key(|p| (!next_to.contains(p), *p));

        for &c in &class {
            release.cells[c].status = Status::Safe;
        }
        // One at a time, stopping at the first primary not shown protected
        // quickly (without settling: the cell then stays withheld).
        let mut points = Vec::with_capacity(affected.len());
        for &p in &affected {
            let (found, shown_p) = verify_shown(release, policy, links, &[], &[p], false, shown)?;
            if !protects(release, p, found[0]) {
                break;
            }
            points.extend(shown_p);
        }
        if points.len() == affected.len() {
            shown.extend(affected.into_iter().zip(points));
            published = true;
        } else {
            for &c in &class {
                release.cells[c].status = Status::Secondary;
            }
        }
    }
    Ok(published)
}

/// When fixing does not converge: every cell is withheld but the grand
/// total (hiding more never uncovers a primary), or if that fails the
/// grand total as well; if even that fails, no pattern exists. Then cells
/// are published again where no primary needs them, and any singleton
/// pair the trimming uncovered is fixed. Terminates: each fix keeps what
/// it protects, and if fixing stalls the all-withheld pattern is released
/// as it was. Returns the passing check with its points, as [`iterate`].
fn fallback(
    release: &mut Release,
    policy: &Policy,
    links: &Links,
    equal: &Equal,
) -> Result<(Audit, ShownBy), SdcError> {
    let total = grand_total(release);
    if let Some(t) = total
        && matches!(release.cells[t].status, Status::Primary(_))
    {
        return Err(SdcError::TotalUnsafe(release.describe(t)));
    }
    let mut withheld = Vec::new();
    let (mut all_hidden, mut shown) = (None, ShownBy::new());
    let mut all_shown = ShownBy::new();
    for hide_total in [false, true] {
        // The grand total is published with the cells equal to it.
        let kept = |i: usize| total.is_some_and(|t| i == t || equal.of(t).contains(&i));
        for (i, cell) in release.cells.iter_mut().enumerate() {
            if (hide_total || !kept(i)) && !cell.status.suppressed() {
                cell.status = Status::Secondary;
            }
        }
        let (result, points) = check_shown(release, policy, &ShownBy::new())?;
        if result.passed() {
            withheld = release.cells.iter().map(|c| c.status).collect();
            all_shown.clone_from(&points);
            (all_hidden, shown) = (Some(result), points);
            break;
        }
        if hide_total {
            return Err(SdcError::TooSmall(
                release.describe(result.failures[0].cell),
            ));
        }
    }
    let all_hidden = all_hidden.unwrap_or_else(|| unreachable!("returned above"));
    trim(release, policy, links, equal, &mut shown)?;
    loop {
        let result;
        (result, shown) = check_shown(release, policy, &shown)?;
        if result.passed() {
            return Ok((result, shown));
        }
        let failures: Vec<(usize, Option<usize>)> = result
            .failures
            .iter()
            .map(|f| (f.cell, f.singleton))
            .collect();
        let fixed = matches!(
            fix(release, policy, links, equal, &failures, &mut shown),
            Ok(true)
        );
        if !fixed {
            for (cell, status) in release.cells.iter_mut().zip(&withheld) {
                cell.status = *status;
            }
            return Ok((all_hidden, all_shown));
        }
    }
}

/// The representative of `i`'s class (union-find with path halving).
fn find(root: &mut [usize], mut i: usize) -> usize {
    while root[i] != i {
        root[i] = root[root[i]];
        i = root[i];
    }
    i
}

/// The cell at the total of every dimension (every table's grand total).
fn grand_total(release: &Release) -> Option<usize> {
    release
        .cells
        .iter()
        .position(|c| c.key.iter().zip(&release.dims).all(|(&k, d)| k == d.total))
}

#[cfg(test)]
mod tests;
