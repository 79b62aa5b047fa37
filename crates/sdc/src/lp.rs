//! A thin layer over `microlp` for the two LPs this crate solves: the
//! attacker's (bounds of a hidden cell) and the protector's (cheapest
//! deviation that hides a cell).

use crate::SdcError;
use microlp::{ComparisonOp, OptimizationDirection, Problem, Variable};

/// A linear programme being built.
pub struct Lp {
    problem: Problem,
}

/// Bound for "no upper bound".
pub const INF: f64 = f64::INFINITY;

impl Lp {
    pub fn new(maximise: bool) -> Lp {
        Lp {
            problem: Problem::new(if maximise {
                OptimizationDirection::Maximize
            } else {
                OptimizationDirection::Minimize
            }),
        }
    }

    pub fn var(&mut self, objective: f64, lower: f64, upper: f64) -> Variable {
        self.problem.add_var(objective, (lower, upper))
    }

    pub fn eq(&mut self, terms: &[(Variable, f64)], rhs: f64) {
        self.problem.add_constraint(terms, ComparisonOp::Eq, rhs);
    }

    pub fn le(&mut self, terms: &[(Variable, f64)], rhs: f64) {
        self.problem.add_constraint(terms, ComparisonOp::Le, rhs);
    }

    pub fn ge(&mut self, terms: &[(Variable, f64)], rhs: f64) {
        self.problem.add_constraint(terms, ComparisonOp::Ge, rhs);
    }

    /// Solves; `Ok(None)` when unbounded or infeasible.
    pub fn solve(&self, vars: &[Variable]) -> Result<Option<(f64, Vec<f64>)>, SdcError> {
        match self.problem.solve() {
            Ok(outcome) => match outcome.into_solution() {
                Ok(solution) => Ok(Some((
                    solution.objective(),
                    vars.iter().map(|v| solution.var_value(*v)).collect(),
                ))),
                Err(_) => Err(SdcError::Solver("interrupted".into())),
            },
            Err(microlp::Error::Unbounded | microlp::Error::Infeasible) => Ok(None),
            Err(e) => Err(SdcError::Solver(e.to_string())),
        }
    }

    /// Solves, telling unbounded from infeasible; with a finite optimum,
    /// the objective and the values of `vars` there.
    pub fn solve_bound(&self, vars: &[Variable]) -> Result<(Bound, Vec<f64>), SdcError> {
        match self.problem.solve() {
            Ok(outcome) => match outcome.into_solution() {
                Ok(solution) => Ok((
                    Bound::Value(solution.objective()),
                    vars.iter().map(|v| solution.var_value(*v)).collect(),
                )),
                Err(_) => Err(SdcError::Solver("interrupted".into())),
            },
            Err(microlp::Error::Unbounded) => Ok((Bound::Unbounded, Vec::new())),
            Err(microlp::Error::Infeasible) => Ok((Bound::Infeasible, Vec::new())),
            Err(e) => Err(SdcError::Solver(e.to_string())),
        }
    }
}

/// The optimum of an attacker's LP.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// A finite optimum.
    Value(f64),
    /// No finite optimum.
    Unbounded,
    /// The published values contradict each other (an input error).
    Infeasible,
}
