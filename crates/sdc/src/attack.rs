//! The attacker's LP: how far a hidden cell can be moved given everything
//! published, over a set of hidden cells (every other cell keeps its
//! published or known value), with non-negativity or the a-priori lower
//! bound, one equation per relation the set takes part in.
//!
//! The LP is first written in each cell's change from its real value,
//! `x = value + up − down` (`up`, `down` ≥ 0): the same LP as over the
//! values, but the real table (no change) is a feasible start, so the
//! solver does not search for one (that search took most of the time in
//! LPs over thousands of cells). That form is degenerate, and the solver
//! may stall on it; the LP is then solved again over the values, so a
//! stall never decides a verdict.

use crate::SdcError;
use crate::audit::{lower_bound, need};
use crate::lp::{Bound, INF, Lp};
use crate::neighbourhood::Links;
use crate::policy::Policy;
use crate::table::Release;
use microlp::Variable;
use std::collections::HashMap;

/// How the LP's unknowns are written.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    /// `up` and `down` from the real value.
    Change,
    /// The value itself.
    Value,
}

/// An attacker's LP being built or solved.
struct Attack<'a> {
    release: &'a Release,
    members: &'a [usize],
    lp: Lp,
    form: Form,
    /// Per member, in order: `[up, down]` or `[x, x]`.
    vars: Vec<[Variable; 2]>,
    index: HashMap<usize, usize>,
}

impl<'a> Attack<'a> {
    /// The LP over `members`, maximising or minimising `Σ objective(i) x_i`,
    /// with `cap = (cell, limit)` keeping that cell's value at or inside
    /// `limit` in the direction of the optimisation.
    #[allow(clippy::too_many_arguments)]
    fn new(
        release: &'a Release,
        policy: &Policy,
        links: &Links,
        members: &'a [usize],
        maximise: bool,
        objective: &dyn Fn(usize) -> f64,
        cap: Option<(usize, f64)>,
        form: Form,
    ) -> Attack<'a> {
        let mut lp = Lp::new(maximise);
        let mut vars = Vec::with_capacity(members.len());
        let mut index = HashMap::with_capacity(members.len());
        for (k, &i) in members.iter().enumerate() {
            let value = release.cells[i].value;
            let (mut lower, mut upper) = (lower_bound(release, policy, i), INF);
            if let Some((c, limit)) = cap
                && c == i
            {
                if maximise {
                    upper = limit;
                } else {
                    lower = lower.max(limit);
                }
            }
            let c = objective(i);
            vars.push(match form {
                Form::Value => {
                    let x = lp.var(c, lower, upper);
                    [x, x]
                }
                Form::Change => [
                    lp.var(c, (lower - value).max(0.0), (upper - value).max(0.0)),
                    lp.var(-c, 0.0, (value - lower).max(0.0)),
                ],
            });
            index.insert(i, k);
        }
        let mut attack = Attack {
            release,
            members,
            lp,
            form,
            vars,
            index,
        };
        for r in links.touching(members) {
            let mut terms = Vec::new();
            let mut rhs = 0.0;
            for (cell, coef) in release.relations[r].terms() {
                match attack.index.get(&cell) {
                    Some(&k) => {
                        let (expr, constant) = attack.expr(k);
                        terms.extend(expr.into_iter().map(|(v, a)| (v, a * coef)));
                        rhs -= coef * constant;
                    }
                    None => rhs -= coef * release.cells[cell].value,
                }
            }
            attack.lp.eq(&terms, rhs);
        }
        attack
    }

    /// Member `k`'s value as `Σ terms + constant`.
    fn expr(&self, k: usize) -> (Vec<(Variable, f64)>, f64) {
        let [a, b] = self.vars[k];
        match self.form {
            Form::Value => (vec![(a, 1.0)], 0.0),
            Form::Change => (
                vec![(a, 1.0), (b, -1.0)],
                self.release.cells[self.members[k]].value,
            ),
        }
    }

    /// Every variable of the members, two per member.
    fn all(&self) -> Vec<Variable> {
        self.vars.iter().flatten().copied().collect()
    }

    /// The members' values at a solution of [`Attack::all`].
    fn values(&self, solution: &[f64]) -> Vec<f64> {
        (0..self.members.len())
            .map(|k| match self.form {
                Form::Value => solution[2 * k],
                Form::Change => {
                    self.release.cells[self.members[k]].value + solution[2 * k]
                        - solution[2 * k + 1]
                }
            })
            .collect()
    }
}

/// Solves in the change form, and over the values where the solver stalls.
fn either<T>(mut solve: impl FnMut(Form) -> Result<T, SdcError>) -> Result<T, SdcError> {
    match solve(Form::Change) {
        Err(SdcError::Solver(_)) => solve(Form::Value),
        other => other,
    }
}

pub(crate) fn contradiction(release: &Release, target: usize) -> SdcError {
    SdcError::Definition(format!(
        "the published values of the table contradict each other around {}",
        release.describe(target)
    ))
}

/// The attacker's exact smallest or largest value of `target`, with the
/// cells the optimal point moves from their values (`None` when the
/// optimum is unbounded: no point to show).
pub(crate) fn optimum_point(
    release: &Release,
    policy: &Policy,
    links: &Links,
    members: &[usize],
    target: usize,
    maximise: bool,
) -> Result<(f64, Option<Vec<usize>>), SdcError> {
    optimum_within(release, policy, links, members, target, maximise, None)
}

/// [`optimum_point`] no further than `target`'s protection needs in the
/// direction asked: the optimum when it falls short (the cap is then not
/// binding), else a point reaching the protection, found sooner (the
/// solver stops at the cap instead of pushing on through every hidden
/// cell).
pub(crate) fn capped_point(
    release: &Release,
    policy: &Policy,
    links: &Links,
    members: &[usize],
    target: usize,
    maximise: bool,
) -> Result<(f64, Option<Vec<usize>>), SdcError> {
    let value = release.cells[target].value;
    let cap = if maximise {
        value + need(release, target, true)
    } else {
        value - need(release, target, false)
    };
    optimum_within(release, policy, links, members, target, maximise, Some(cap))
}

/// The optimum of `target`, with its value kept at or inside `cap` if given.
fn optimum_within(
    release: &Release,
    policy: &Policy,
    links: &Links,
    members: &[usize],
    target: usize,
    maximise: bool,
    cap: Option<f64>,
) -> Result<(f64, Option<Vec<usize>>), SdcError> {
    let objective = |i: usize| if i == target { 1.0 } else { 0.0 };
    let cap = cap.map(|c| (target, c));
    either(|form| {
        let attack = Attack::new(
            release, policy, links, members, maximise, &objective, cap, form,
        );
        match attack.lp.solve_bound(&attack.all())? {
            (Bound::Value(_), solution) => {
                let point = attack.values(&solution);
                let v = point[attack.index[&target]];
                Ok((v, Some(moved_cells(release, members, &point))))
            }
            (Bound::Unbounded, _) => Ok((
                if maximise {
                    INF
                } else {
                    lower_bound(release, policy, target)
                },
                None,
            )),
            (Bound::Infeasible, _) => Err(contradiction(release, target)),
        }
    })
}

/// How far each of `open` can be moved at once, up or down, capped at what
/// its protection asks: one LP for many cells. `y_t ≤ ±(x_t − value_t)`,
/// `y_t ≤ protection_t`, maximise `Σ y_t`. Returns each `y_t` and the
/// cells the point moves.
pub(crate) fn reach_together(
    release: &Release,
    policy: &Policy,
    links: &Links,
    members: &[usize],
    open: &[usize],
    up: bool,
) -> Result<(Vec<f64>, Vec<usize>), SdcError> {
    let sign = if up { 1.0 } else { -1.0 };
    either(|form| {
        let mut attack = Attack::new(release, policy, links, members, true, &|_| 0.0, None, form);
        let mut ys = Vec::with_capacity(open.len());
        for &t in open {
            let y = attack.lp.var(1.0, f64::NEG_INFINITY, need(release, t, up));
            let (expr, constant) = attack.expr(attack.index[&t]);
            let mut terms = vec![(y, 1.0)];
            terms.extend(expr.into_iter().map(|(v, a)| (v, -sign * a)));
            // y − sign·(Σ terms) ≤ sign·(constant − value)
            attack
                .lp
                .le(&terms, sign * (constant - release.cells[t].value));
            ys.push(y);
        }
        let mut all = ys.clone();
        all.extend(attack.all());
        let (_, values) = attack
            .lp
            .solve(&all)?
            .ok_or_else(|| contradiction(release, open[0]))?;
        let point = attack.values(&values[ys.len()..]);
        Ok((
            values[..ys.len()].to_vec(),
            moved_cells(release, members, &point),
        ))
    })
}

/// The cells of `members` that `point` (their values, in order) moves
/// from their published or true values.
fn moved_cells(release: &Release, members: &[usize], point: &[f64]) -> Vec<usize> {
    members
        .iter()
        .zip(point)
        .filter(|&(&i, x)| {
            let value = release.cells[i].value;
            (x - value).abs() > 1e-7 * value.abs().max(1.0)
        })
        .map(|(&i, _)| i)
        .collect()
}
