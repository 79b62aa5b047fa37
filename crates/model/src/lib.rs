//! The register model, defined once.
//!
//! This crate owns what the analysis store holds: every table, its columns,
//! their Arrow types, the code lists their values come from, and each column's
//! privacy class (direct identifier, quasi-identifier, attribute). Ingest,
//! SQL, disclosure control and the browser dashboard all read the model from
//! here, so it has no native-only dependencies and builds for
//! `wasm32-unknown-unknown`.
//!
//! Table and code definitions follow `shared/research/domain.md` ("Minimal
//! input data model"); Finnish terms of art are named in the doc comments.

pub mod codes;
pub mod date;
pub mod tables;

pub use codes::{Code, CodeList};
pub use date::Date;
pub use tables::{Class, ColumnSpec, Kind, TableSpec, table, tables};
