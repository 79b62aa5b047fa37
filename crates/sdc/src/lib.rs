//! Statistical disclosure control.
//!
//! This crate owns the guarantee that no released number identifies a
//! person. It works on tables of cells over dimensions with hierarchies,
//! with all subtotals and the linear relations between them, several tables
//! released together sharing cells (linked tables). It
//!
//! - marks cells unsafe by the primary rules of a [`Policy`] (minimum
//!   frequency of distinct persons, zeros, p% and (n,k) dominance for
//!   magnitudes, rows whose total is under the threshold);
//! - chooses secondary suppressions over the whole system of relations at
//!   once, so no hidden cell can be recomputed from totals at any level or
//!   in any linked table ([`protect`]), and says for each withheld cell
//!   why: its rule, or the primaries a secondary protects ([`explain`]);
//! - proves the pattern with an audit that is independent of how it was
//!   chosen: for every suppressed cell, the interval an attacker can derive
//!   by linear programming from everything published ([`audit`]);
//! - or perturbs counts with the cell key method, or rounds them to base 3,
//!   the same way for the same set of persons ([`cellkey`]).
//!
//! It has no DataFusion dependency and builds for `wasm32-unknown-unknown`
//! (the LP solver, `microlp`, is pure Rust).

mod attack;
pub mod audit;
mod boxes;
pub mod cellkey;
mod deviation;
mod dimension;
pub mod explain;
mod lp;
mod neighbourhood;
pub mod policy;
pub mod primary;
pub mod protect;
pub mod table;

pub use audit::{Audit, Interval, audit, check};
pub use explain::Reason;
pub use policy::{CostKind, Method, Policy};
pub use protect::{protect, protect_explained};
pub use table::{Cell, Dimension, PrimaryReason, Relation, Release, Status, TableDef};

/// Why protection failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SdcError {
    /// A hierarchy or table definition is inconsistent.
    #[error("{0}")]
    Definition(String),
    /// Two linked tables give different values for the same cell.
    #[error("linked tables disagree on cell {cell}: {a} and {b}")]
    Inconsistent {
        /// The cell, as dimension=code pairs.
        cell: String,
        /// One value.
        a: f64,
        /// The other.
        b: f64,
    },
    /// No suppression pattern protects this cell: the table cannot be released.
    #[error("cell {0} cannot be protected; nothing is released")]
    CannotProtect(String),
    /// The grand total is itself unsafe: no cell of the table can be published.
    #[error(
        "the grand total ({0}) is itself unsafe, so no cell of the table can be published; merge categories or widen the area or period; nothing is released"
    )]
    TotalUnsafe(String),
    /// Even with every cell withheld, a primary can be pinned down (its
    /// protection asks for more than the table can give).
    #[error(
        "cell {0} cannot be protected even with every cell withheld; merge categories or widen the area or period; nothing is released"
    )]
    TooSmall(String),
    /// The linear-programming solver failed.
    #[error("the LP solver failed: {0}")]
    Solver(String),
}
