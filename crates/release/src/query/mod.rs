//! Planners' own SQL: a closed query model.
//!
//! `peitto query` does not try to spot dangerous SQL; it releases only what
//! it knows to be safe, the way table builders of statistical offices do:
//!
//! - [`roles`] owns the vocabulary: what each stored column may be used
//!   for (dimension with a declared domain, measure with declared bounds,
//!   date, join key) and the allowlist of total expressions over them;
//! - [`conditions`] owns what a condition on person data may compare:
//!   declared classes only (a month's start, a measure's bin edges);
//! - [`grammar`] owns the grammar: which plan nodes may appear below,
//!   at and above an aggregate over persons, and which measures it computes;
//! - [`grid`] enumerates a released table's rows from the dimensions'
//!   domains, never from the data;
//! - [`noise`] owns the protection: the frequency rule and the cell key
//!   method over the persons contributing to each measure;
//! - [`ledger`] owns the differencing ledger: a cell whose persons differ
//!   by one to four from an earlier answer's in the project (by anyone)
//!   gets that earlier answer, so differencing, padding and repeating
//!   tell nothing new;
//! - [`size`] refuses SQL too long or deeply nested to check, on its
//!   tokens, before anything parses it; `public` shows a question of
//!   reference data alone as it is.
//!
//! This module runs them in order under the query's limits (memory and
//! time) and turns every failure into a [`QueryError`] that carries no
//! text from DataFusion or Arrow: such text can hold stored values.

pub mod conditions;
mod durations;
pub mod grammar;
pub mod grid;
pub mod ledger;
mod monthly;
pub mod noise;
mod public;
pub mod roles;
pub mod size;
#[cfg(test)]
mod tests;

pub use crate::analyze::{PRIVACY_UNIT, Refusal};
pub(crate) use ledger::sum_element;
pub use ledger::{Answers, Ledger};

use crate::analyze::{MeasureKind, ReleaseAggregate};
use crate::{Cells, Counts, Part, Released, Withheld};
use datafusion::common::ScalarValue;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::LogicalPlan;
use grammar::{Measure, OwnAggregate};
use noise::{Contribution, Quantity};
use peitto_engine::Engine;
use peitto_sdc::cellkey::PTable;
use peitto_sdc::{Method, Policy};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// Most rows one person adds to one cell of a row count.
pub(crate) const ROW_CAP: f64 = 10_000.0;

/// Why a planner's query released nothing. No variant carries text from
/// the engine.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    /// The query is outside the model.
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    /// The SQL does not parse.
    #[error("syntax error at line {line}, column {column}")]
    Syntax {
        /// Line (1-based; 0 when unknown).
        line: u64,
        /// Column (1-based; 0 when unknown).
        column: u64,
    },
    /// A table, column or function the query names does not exist.
    #[error("unknown name {0}")]
    UnknownName(String),
    /// The SQL could not be planned (types that do not match and the like).
    #[error("the query could not be planned")]
    Plan,
    /// The query stopped while running: nothing is released.
    #[error("the query failed while running")]
    Failed,
    /// The query ran past its time limit.
    #[error("time limit of {0} s reached")]
    TimeLimit(u64),
    /// The query needed more memory than its limit.
    #[error("memory limit reached")]
    MemoryLimit,
    /// The ledger of earlier answers could not be read: nothing is released.
    #[error("the record of released cells: {0}")]
    Ledger(std::io::Error),
}

/// Limits and domains of planners' queries (`[query]` of peitto.toml).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Wall-clock limit of one query.
    pub time: Duration,
    /// First calendar year of the year domain.
    pub first_year: i32,
    /// Last calendar year of the year domain.
    pub last_year: i32,
    /// Most cells a released table may have.
    pub max_cells: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            time: Duration::from_secs(60),
            first_year: 2010,
            last_year: 2030,
            max_cells: 50_000,
        }
    }
}

/// Releases the answer to a planner's own `sql` under a cell-key policy,
/// each cell compared with the answers in `ledger` (and new ones added to
/// it in memory: the caller saves them before showing the answer).
///
/// # Errors
/// A refusal, a limit reached, or a failure: nothing is released.
pub async fn query(
    engine: &Engine,
    sql: &str,
    params: &BTreeMap<String, ScalarValue>,
    policy: &Policy,
    limits: &Limits,
    withheld: &Withheld,
    ledger: &mut Ledger,
) -> Result<Released, QueryError> {
    if policy.method == Method::Suppression {
        return Err(Refusal::SuppressionPolicy.into());
    }
    size::check(sql)?;
    let secs = limits.time.as_secs();
    let started = Instant::now();
    match tokio::time::timeout(
        limits.time,
        run(engine, sql, params, policy, limits, (withheld, ledger)),
    )
    .await
    {
        // A run that never yielded is timed when it returns.
        Ok(result) if started.elapsed() <= limits.time => result,
        _ => Err(QueryError::TimeLimit(secs)),
    }
}

/// Plans and checks `sql` without running it: the refusal, if any.
///
/// # Errors
/// Why the query would not be released.
pub async fn check(
    engine: &Engine,
    sql: &str,
    params: &BTreeMap<String, ScalarValue>,
) -> Result<grammar::Checked, QueryError> {
    size::check(sql)?;
    let plan = crate::plan(engine, sql, params)
        .await
        .map_err(|e| planning_error(&e, sql))?;
    let checked = grammar::check(&plan)?;
    reference_fan(engine.context(), &checked).await?;
    Ok(checked)
}

/// The most rows of reference data one person row may meet through all of
/// a query's joins with it (the organisation register has up to three
/// rows per code, population one per year, area, age and sex).
pub const MAX_REFERENCE_FAN: u64 = 16;

/// Refuses a query whose joins with reference data could multiply one
/// person's row more than [`MAX_REFERENCE_FAN`] times, counted on the
/// reference tables alone (public data), before anything runs: the
/// refusal and the run time then say nothing about any person.
async fn reference_fan(
    ctx: &datafusion::prelude::SessionContext,
    checked: &grammar::Checked,
) -> Result<(), QueryError> {
    let mut product: u64 = 1;
    for join in &checked.reference_joins {
        let refused = || {
            QueryError::Refused(Refusal::ReferenceFan {
                table: join.table.clone(),
            })
        };
        let plain = |n: &str| n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !roles::PUBLIC_TABLES.contains(&join.table.as_str())
            || join.columns.is_empty()
            || !join.columns.iter().all(|c| plain(c))
        {
            return Err(refused());
        }
        let group: Vec<String> = join.columns.iter().map(|c| format!("\"{c}\"")).collect();
        let sql = format!(
            "SELECT COUNT(*) AS c FROM {} GROUP BY {} ORDER BY c DESC LIMIT 1",
            join.table,
            group.join(", ")
        );
        let batches = ctx
            .sql(&sql)
            .await
            .map_err(|_| QueryError::Failed)?
            .collect()
            .await
            .map_err(|_| QueryError::Failed)?;
        let fan = batches
            .iter()
            .find(|b| b.num_rows() > 0)
            .and_then(|b| {
                datafusion::arrow::array::AsArray::as_primitive_opt::<
                    datafusion::arrow::datatypes::Int64Type,
                >(b.column(0))
                .map(|a| a.value(0))
            })
            .unwrap_or(0);
        product = product.saturating_mul(u64::try_from(fan).unwrap_or(u64::MAX).max(1));
        if product > MAX_REFERENCE_FAN {
            return Err(refused());
        }
    }
    Ok(())
}

async fn run(
    engine: &Engine,
    sql: &str,
    params: &BTreeMap<String, ScalarValue>,
    policy: &Policy,
    limits: &Limits,
    (withheld, ledger): (&Withheld, &mut Ledger),
) -> Result<Released, QueryError> {
    let started = Instant::now();
    let plan = crate::plan(engine, sql, params)
        .await
        .map_err(|e| planning_error(&e, sql))?;
    let checked = grammar::check(&plan)?;
    let ctx = engine.context();
    reference_fan(ctx, &checked).await?;
    let ptable = PTable::peitto_v1();
    let mut protect_seconds = 0.0;
    let mut totals = Counts::default();
    let mut dims = BTreeSet::new();
    // The SQL of every aggregate first; the ledger is locked only to
    // compare and record the cells.
    let mut computed = Vec::with_capacity(checked.aggregates.len());
    for agg in &checked.aggregates {
        let release = as_release_aggregate(agg);
        let partials = crate::partials(ctx, &release)
            .await
            .map_err(|e| running_error(&e))?;
        let grid = grid_keys(ctx, agg, limits).await?;
        computed.push((release, partials, grid));
    }
    ledger.ready().map_err(QueryError::Ledger)?;
    let mut substitutions: Vec<(LogicalPlan, LogicalPlan)> = Vec::new();
    for (n, (agg, (release, partials, grid))) in checked.aggregates.iter().zip(computed).enumerate()
    {
        let protecting = Instant::now();
        let cells = protect(
            agg,
            &release,
            &partials,
            grid,
            (policy, &ptable, withheld),
            ledger,
        );
        protect_seconds += protecting.elapsed().as_secs_f64();
        totals.add(&cells.counts);
        dims.extend(crate::group_names(&agg.node));
        let replacement = crate::substitute(&release, &cells, n).map_err(|e| running_error(&e))?;
        substitutions.push((LogicalPlan::Aggregate(agg.node.clone()), replacement));
    }
    let public = checked.aggregates.is_empty();
    if public {
        dims = public::dimensions(&plan);
    }
    let mut table = crate::run_protected(ctx, plan, &substitutions, &dims)
        .await
        .map_err(|e| running_error(&e))?;
    if public {
        public::as_published(&mut table);
    }
    Ok(Released {
        table,
        method: policy.method,
        cells: totals.cells,
        suppressed: totals.suppressed,
        perturbed: totals.perturbed,
        ptable: Some(ptable.version),
        sql_seconds: started.elapsed().as_secs_f64() - protect_seconds,
        protect_seconds,
        hidden: totals.hidden,
        withheld_persons: Vec::new(),
        count_cells: Vec::new(),
        published_persons: Vec::new(),
        published_sums: Vec::new(),
        unasked: Vec::new(),
        explanations: Vec::new(),
    })
}

/// The release machinery's view of an own aggregate: per measure, the kind
/// of partial it needs.
fn as_release_aggregate(agg: &OwnAggregate) -> ReleaseAggregate {
    ReleaseAggregate {
        node: agg.node.clone(),
        unit: agg.unit,
        measures: agg
            .measures
            .iter()
            .map(|m| {
                let kind = match m.measure {
                    Measure::Persons => MeasureKind::Persons,
                    Measure::Records { .. } => MeasureKind::Count,
                    Measure::Sum(_) => MeasureKind::Sum,
                    Measure::Avg(_) => MeasureKind::Avg,
                };
                (kind, m.arg.clone(), m.filter.clone())
            })
            .collect(),
    }
}

/// The cells of an aggregate's output grid, enumerated from its domains.
async fn grid_keys(
    ctx: &datafusion::prelude::SessionContext,
    agg: &OwnAggregate,
    limits: &Limits,
) -> Result<Vec<Vec<ScalarValue>>, QueryError> {
    let mut dims = Vec::new();
    for (i, domain) in agg.domains.iter().enumerate() {
        let ty = agg.node.schema.field(i).data_type();
        let values = grid::values(ctx, domain, ty, limits).await?;
        dims.push(grid::restrict(ctx, &agg.node, i, values).await);
    }
    Ok(grid::product(&dims, limits.max_cells)?)
}

/// The protected cells of one aggregate: one row per cell of the grid.
fn protect(
    agg: &OwnAggregate,
    release: &ReleaseAggregate,
    partials: &crate::Partials,
    keys: Vec<Vec<ScalarValue>>,
    (policy, ptable, withheld): (&Policy, &PTable, &Withheld),
    ledger: &mut Ledger,
) -> Cells {
    let index: HashMap<&[ScalarValue], usize> = partials
        .cells
        .iter()
        .enumerate()
        .map(|(i, (k, _))| (k.as_slice(), i))
        .collect();
    let quantities = crate::parts(release);
    // Each person's keys once, for the cell key method, the ledger and the
    // withheld sets.
    let hashes = partials.names.hashes();
    let records = partials.names.record_keys(ptable.modulus);
    let mut counts = Counts::default();
    let mut rows = Vec::with_capacity(keys.len());
    for key in keys {
        let persons = index.get(key.as_slice()).map(|&i| &partials.cells[i].1);
        let mut values = Vec::with_capacity(quantities.len());
        for &(j, part) in &quantities {
            let quantity = quantity(&agg.measures[j].measure, part);
            let contributions: Vec<Contribution> = persons
                .map(|p| {
                    p.persons()
                        .map(|(id, m)| Contribution {
                            record: records[id as usize],
                            hash: hashes[id as usize],
                            sum: m[j].0,
                            rows: m[j].1,
                        })
                        .collect()
                })
                .unwrap_or_default();
            // The frequency rule, the ledger's earlier answers, the cell
            // key method, and the sets saved reports withheld (a cell of
            // exactly such persons stays withheld here too).
            let (published, truth) =
                ledger.protect(quantity, &contributions, (policy, ptable, withheld));
            counts.cells += 1;
            match published {
                Some(_) => counts.perturbed += 1,
                None => {
                    counts.suppressed += 1;
                    counts.hidden.push(truth);
                }
            }
            values.push(published);
        }
        rows.push((key.into_iter().map(Some).collect(), values));
    }
    Cells { rows, counts }
}

fn quantity(measure: &Measure, part: Part) -> Quantity {
    match (measure, part) {
        (Measure::Records { scale }, _) => Quantity::Rows {
            scale: *scale,
            cap: ROW_CAP,
        },
        (Measure::Sum(b) | Measure::Avg(b), Part::Sum) => Quantity::Sum { lo: b.lo, hi: b.hi },
        (Measure::Avg(_), _) => Quantity::Rows {
            scale: 1.0,
            cap: ROW_CAP,
        },
        _ => Quantity::Person,
    }
}

/// A planning failure without the engine's text: only what the planner
/// wrote (a name that appears in the SQL) or where (line and column).
fn planning_error(e: &crate::ReleaseError, sql: &str) -> QueryError {
    let df = match e {
        crate::ReleaseError::DataFusion(d) => d,
        crate::ReleaseError::Engine(peitto_engine::EngineError::Sql(d)) => d,
        crate::ReleaseError::Refused(r) => return QueryError::Refused(r.clone()),
        _ => return QueryError::Failed,
    };
    classify(df.find_root(), sql, QueryError::Plan)
}

fn running_error(e: &crate::ReleaseError) -> QueryError {
    match e {
        crate::ReleaseError::DataFusion(d)
        | crate::ReleaseError::Engine(peitto_engine::EngineError::Sql(d)) => {
            classify(d.find_root(), "", QueryError::Failed)
        }
        _ => QueryError::Failed,
    }
}

fn classify(e: &DataFusionError, sql: &str, otherwise: QueryError) -> QueryError {
    let in_sql = |name: &str| {
        !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
            && sql.to_lowercase().contains(&name.to_lowercase())
    };
    match e {
        DataFusionError::ResourcesExhausted(_) => QueryError::MemoryLimit,
        DataFusionError::SQL(p, _) => {
            let text = p.to_string();
            QueryError::Syntax {
                line: number_after(&text, "Line: "),
                column: number_after(&text, "Column: "),
            }
        }
        DataFusionError::SchemaError(s, _) => {
            if let datafusion::common::SchemaError::FieldNotFound { field, .. } = s.as_ref()
                && in_sql(&field.name)
            {
                return QueryError::UnknownName(field.name.clone());
            }
            otherwise
        }
        DataFusionError::Plan(text) => {
            // "table 'x' not found", "Invalid function 'x'": the quoted name
            // is the planner's own, shown only if the SQL holds it.
            let quoted = text.split('\'').nth(1).unwrap_or_default();
            let name = quoted.rsplit('.').next().unwrap_or_default();
            if (text.contains("not found") || text.contains("Invalid function")) && in_sql(name) {
                return QueryError::UnknownName(name.to_owned());
            }
            otherwise
        }
        _ => otherwise,
    }
}

fn number_after(text: &str, label: &str) -> u64 {
    text.split(label)
        .nth(1)
        .map(|rest| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|d| d.parse().ok())
        .unwrap_or(0)
}

/// How a planner may use one column, for `peitto tables`.
#[derive(Debug, Clone, PartialEq)]
pub enum Use {
    /// The privacy unit: counted with `COUNT(DISTINCT person_key)` and
    /// joined on.
    PrivacyUnit,
    /// A record id: joins the record it references.
    JoinKey(&'static str),
    /// A dimension: grouped by, with this domain.
    Dimension(roles::Domain),
    /// A measure: summed and averaged within these bounds per person.
    Measure(roles::Bounds),
    /// A date: compared, cut into years, quarters, months, used in the
    /// domain functions.
    Date,
    /// Compared and filtered on only.
    Filter,
    /// Public reference data.
    Public,
}

/// A column of `peitto tables`.
#[derive(Debug, Clone)]
pub struct ColumnUse {
    /// Name.
    pub name: &'static str,
    /// Meaning, from the model.
    pub doc: &'static str,
    /// How it may be used.
    pub usage: Use,
}

/// A table of `peitto tables`.
#[derive(Debug, Clone)]
pub struct TableUse {
    /// Name.
    pub name: &'static str,
    /// What a row is.
    pub doc: &'static str,
    /// Its columns.
    pub columns: Vec<ColumnUse>,
}

/// Every table a planner can query, with each column's use.
#[must_use]
pub fn catalog() -> Vec<TableUse> {
    peitto_model::tables()
        .iter()
        .map(|t| {
            let public = roles::PUBLIC_TABLES.contains(&t.name);
            TableUse {
                name: t.name,
                doc: t.doc,
                columns: t
                    .columns
                    .iter()
                    .map(|c| ColumnUse {
                        name: c.name,
                        doc: c.doc,
                        usage: if public {
                            Use::Public
                        } else {
                            match roles::stored_role(t.name, c.name) {
                                roles::Role::Unit => Use::PrivacyUnit,
                                roles::Role::Key(e) => Use::JoinKey(e),
                                roles::Role::Dim(d) => Use::Dimension(d),
                                roles::Role::Measure(b) => Use::Measure(b),
                                roles::Role::Date => Use::Date,
                                roles::Role::Value => Use::Filter,
                            }
                        },
                    })
                    .collect(),
            }
        })
        .collect()
}
