//! Protected releases.
//!
//! This crate owns the one road by which numbers computed from the store
//! leave it: SQL (a saved report's or a planner's own) is planned by
//! DataFusion, the logical plan is analysed so that the privacy unit
//! (`person_key`) is tracked through every step ([`analyze`]), and every
//! aggregate over persons (a *release aggregate*) is computed here instead
//! of by DataFusion: from person-level partials, so that each cell knows its
//! distinct persons and each person's contribution. The cells are protected
//! with the policy's method (suppression with the audit, or the cell key
//! method) and put back into the plan in place of the aggregate, so
//! anything the SQL computes after it (rates, shares, joins with
//! population, ordering) sees only protected values.
//!
//! Modules: [`analyze`] tracks the privacy unit through a saved report's
//! plan; `refusal` says why a query is not released; `partials` computes
//! the person-level partials of each release aggregate, with `persons`
//! numbering the persons behind them; `cells` protects them with
//! suppression and the audit (`perturbed` with the cell key method), with
//! `contributors` giving each protected series
//! (the published quantities, the remainders of `of_which` pairs and the
//! counts per rate of a sum of fixed rates) and its contributors per cell,
//! [`linked`] keeping saved reports' count cells alike across reports and
//! runs (and with own queries answered before them), `same_persons`
//! withholding count cells of the same persons together across slices,
//! `counts` adding up what each slice's protection did, `published`
//! keeping the counts and sums of a few persons a report published (for
//! `query` to answer a pad of them with the report's number), and
//! [`explained`] says why each withheld cell is withheld; `substitute` puts
//! them back into the plan. [`query`]
//! is the closed model for planners' own SQL: a grammar of allowed plans,
//! dimensions with declared domains, declared measures with bounds, noise
//! keyed by the persons behind each number, and a differencing ledger
//! ([`query::ledger`]): a cell whose persons differ by one to four from an
//! earlier answer's in the project gets that earlier answer. [`withheld`]
//! keeps the persons of cells saved reports withheld.

pub mod analyze;
mod cells;
mod contributors;
mod counts;
pub mod explained;
pub mod linked;
mod partials;
mod persons;
mod perturbed;
mod published;
pub mod query;
mod refusal;
mod same_persons;
mod substitute;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
pub mod withheld;

pub(crate) use cells::{Cells, Counts, suppress};
pub(crate) use partials::{CellRow, contribution};
pub(crate) use partials::{Part, Partials, PersonPartials, partials, parts};
pub(crate) use perturbed::perturb;
pub(crate) use substitute::{substitute, to_table};

pub use analyze::{Analysis, Level, MeasureKind, Refusal};
pub use linked::ReportCells;
pub use peitto_sdc::SdcError;
pub use withheld::Withheld;

use analyze::ReleaseAggregate;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Float64Type, Schema, UInt64Type};
use datafusion::arrow::row::{RowConverter, SortField};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, ScalarValue};
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::functions_aggregate::expr_fn::{count, sum};
use datafusion::logical_expr::{
    Aggregate, Expr, LogicalPlan, LogicalPlanBuilder, cast as cast_expr, col, lit, when,
};
use datafusion::optimizer::decorrelate_predicate_subquery::DecorrelatePredicateSubquery;
use datafusion::optimizer::eliminate_cross_join::EliminateCrossJoin;
use datafusion::optimizer::extract_equijoin_predicate::ExtractEquijoinPredicate;
use datafusion::optimizer::scalar_subquery_to_join::ScalarSubqueryToJoin;
use datafusion::optimizer::{Optimizer, OptimizerRule};
use peitto_engine::Engine;
use peitto_sdc::cellkey::{self, PTable};
use peitto_sdc::table::Leaf;
use peitto_sdc::{Dimension, Method, Policy, Release};
use peitto_store::fast_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Why a release failed.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    /// The SQL would get individuals out.
    #[error("refused: {0}")]
    Refused(#[from] Refusal),
    /// The engine failed.
    #[error(transparent)]
    Engine(#[from] peitto_engine::EngineError),
    /// DataFusion failed.
    #[error(transparent)]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Disclosure control failed: nothing is released.
    #[error(transparent)]
    Sdc(#[from] SdcError),
    /// A dimension cannot be tabulated.
    #[error("{0}")]
    Dimension(String),
}

impl From<datafusion::arrow::error::ArrowError> for ReleaseError {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        ReleaseError::DataFusion(e.into())
    }
}

/// Totals to publish for one dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Code of the grand total (shown as an empty value when it is not a
    /// text code such as `SSS`).
    pub total: String,
    /// (child, parent) pairs above the leaves, such as municipality →
    /// wellbeing county → whole country. Leaves not listed sit under the total.
    pub parents: Vec<(String, String)>,
}

/// What to release and under which policy.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The policy.
    pub policy: Policy,
    /// Dimensions (by output name of the aggregate's grouping) whose totals
    /// are published. Suppression works over totals of every dimension
    /// either way; the cell key method publishes only the grouped cells.
    pub totals: BTreeMap<String, Totals>,
    /// Measures (by output name) that count a part of another in the same
    /// cell: the whole less the part is protected too, as if published, so
    /// that no published pair gives a small remainder.
    pub of_which: Vec<peitto_engine::report::OfWhich>,
    /// Pairs of measures whose difference is shown: each way, the persons
    /// with more in one than in the other are protected as if counted.
    pub discrepancies: Vec<(String, String)>,
    /// Count cells other saved reports published or withheld: known to
    /// the attacker, or primaries here ([`linked`]).
    pub linked: ReportCells,
}

pub use peitto_table::{OutColumn, Table, Value};

/// A protected result.
#[derive(Debug, Clone)]
pub struct Released {
    /// The table.
    pub table: Table,
    /// Method used.
    pub method: Method,
    /// Cells protected (cells × measures of the release aggregates).
    pub cells: usize,
    /// Of those, withheld.
    pub suppressed: usize,
    /// Of those, published perturbed or rounded.
    pub perturbed: usize,
    /// Perturbation-table version, where one was used.
    pub ptable: Option<&'static str>,
    /// Seconds spent planning and running SQL (partials and the rest of the plan).
    pub sql_seconds: f64,
    /// Seconds spent protecting (cells, primary and secondary suppression,
    /// the audit, or perturbation).
    pub protect_seconds: f64,
    /// True values of the withheld cells. Never written anywhere: kept so
    /// tests can prove that no output carries them.
    pub hidden: Vec<f64>,
    /// The persons (hashes) of each cell a suppression withheld, to be
    /// recorded with [`Withheld::record`] and
    /// [`query::Ledger::record_withheld`] so that `query` withholds every
    /// cell within a few persons of one of them too.
    pub withheld_persons: Vec<Vec<u64>>,
    /// Every cell of a count series under suppression: (its persons'
    /// hash, published), to be recorded with [`ReportCells::record`].
    pub count_cells: Vec<(u64, bool)>,
    /// Published counts of a few persons (their hashes, the count), to be
    /// recorded with [`query::Ledger::record_published`]: an own query of
    /// nearly the same persons is given this exact count.
    pub published_persons: Vec<(Vec<u64>, f64)>,
    /// Published sums of a few persons (each person with their
    /// contribution, the sum), to be recorded with
    /// [`query::Ledger::record_published_sums`]: an own query's sum of
    /// nearly the same persons and contributions is given this sum.
    pub published_sums: Vec<(Vec<u64>, f64)>,
    /// Measures whose small cells no pattern protected with own queries'
    /// earlier answers taken as known: protected as if those were not
    /// asked, which the report's author is told (README, "Not stopped
    /// yet").
    pub unasked: Vec<String>,
    /// Why each cell a suppression withheld is withheld: for the
    /// statistician's audit folder, never for the released table.
    pub explanations: Vec<explained::Explanation>,
}

/// Field metadata key marking a released column's role.
pub const ROLE: &str = "peitto.role";

/// Code of a dimension's total in the protected cells; it reaches SQL and
/// the outputs as an empty value (NULL), shown as the language's "Total".
pub const TOTAL: &str = "\u{2211}";

/// The plan with each release aggregate replaced by its protected cells.
/// Nodes are matched top-down, before anything below them changes (a
/// schema recomputed below a node would make it unequal to the aggregate
/// found when the plan was checked), and every aggregate must be found:
/// an aggregate left in place would run unprotected, so that fails closed.
///
/// # Errors
/// If an aggregate is not found, or a schema cannot be recomputed.
pub(crate) fn put_back(
    plan: LogicalPlan,
    substitutions: &[(LogicalPlan, LogicalPlan)],
) -> Result<LogicalPlan, ReleaseError> {
    let mut used = vec![false; substitutions.len()];
    let replaced = plan
        .transform_down(|node| {
            if let Some(i) = substitutions.iter().position(|(from, _)| *from == node) {
                used[i] = true;
                return Ok(Transformed::new(
                    substitutions[i].1.clone(),
                    true,
                    datafusion::common::tree_node::TreeNodeRecursion::Jump,
                ));
            }
            Ok(Transformed::no(node))
        })?
        .data;
    if used.iter().any(|u| !u) {
        return Err(ReleaseError::Dimension(
            "a protected aggregate could not be put back into the plan".into(),
        ));
    }
    Ok(replaced
        .transform_up(|node| Ok(Transformed::yes(node.recompute_schema()?)))?
        .data)
}

/// What the plan's projections name, found in one walk of the plan.
pub(crate) struct OutputNames {
    /// The names the plan gives to columns it passes on unchanged
    /// (`make_date(…) AS month`): a report's header declares the totals of
    /// a dimension by its name in the output, while the aggregate knows it
    /// by its expression.
    pub(crate) aliases: HashMap<String, String>,
    /// The columns each named output expression reads (`CASE WHEN … THEN
    /// sum(x) END AS decided_in_7` reads `sum(x)` and the condition's
    /// columns): an `of_which` pair names a measure by its output name even
    /// where it is computed further.
    pub(crate) refs: HashMap<String, BTreeSet<String>>,
}

/// The names of `plan`'s projections.
pub(crate) fn output_names(plan: &LogicalPlan) -> OutputNames {
    let mut out = OutputNames {
        aliases: HashMap::new(),
        refs: HashMap::new(),
    };
    let _ = plan.apply(|node| {
        if let LogicalPlan::Projection(p) = node {
            for e in &p.expr {
                let Expr::Alias(a) = e else { continue };
                out.refs
                    .entry(a.name.clone())
                    .or_default()
                    .extend(a.expr.column_refs().into_iter().map(|c| c.name.clone()));
                // `COUNT(*) AS children` is planned as an alias of an alias
                // (`count(Int64(1)) AS count(*)`, then `AS children`).
                let mut inner = a.expr.as_ref();
                while let Expr::Alias(b) = inner {
                    inner = b.expr.as_ref();
                }
                if let Expr::Column(c) = inner {
                    out.aliases
                        .entry(c.name.clone())
                        .or_insert_with(|| a.name.clone());
                }
            }
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    });
    out
}

/// The output names of an aggregate's grouping columns.
pub(crate) fn group_names(node: &Aggregate) -> impl Iterator<Item = String> + '_ {
    node.schema
        .fields()
        .iter()
        .take(node.group_expr.len())
        .map(|f| f.name().clone())
}

/// Runs `plan` with its release aggregates replaced by their protected
/// cells, and reads the result as a [`Table`] (`dims`: the dimension columns).
pub(crate) async fn run_protected(
    ctx: &datafusion::prelude::SessionContext,
    plan: LogicalPlan,
    substitutions: &[(LogicalPlan, LogicalPlan)],
    dims: &BTreeSet<String>,
) -> Result<Table, ReleaseError> {
    let rewritten = put_back(plan, substitutions)?;
    let frame = ctx.execute_logical_plan(rewritten).await?;
    let schema = frame.schema().as_arrow().clone();
    let batches = frame.collect().await?;
    to_table(&schema, &batches, dims)
}

/// Plans `sql`, refuses it or releases it protected.
///
/// # Errors
/// A [`Refusal`], or protection that cannot be achieved (nothing is
/// released), or an engine failure.
pub async fn release(
    engine: &Engine,
    sql: &str,
    params: &BTreeMap<String, ScalarValue>,
    spec: &Spec,
) -> Result<Released, ReleaseError> {
    let started = std::time::Instant::now();
    let mut protect_seconds = 0.0;
    let plan = plan(engine, sql, params).await?;
    let analysis = analyze::analyze(&plan)?;
    let names = output_names(&plan);
    let ctx = engine.context();
    let mut substitutions: Vec<(LogicalPlan, LogicalPlan)> = Vec::new();
    let mut totals = Counts::default();
    let mut dims: BTreeSet<String> = BTreeSet::new();
    for (n, agg) in analysis.aggregates.iter().enumerate() {
        let partials = partials(ctx, agg).await?;
        let protecting = std::time::Instant::now();
        let cells = match spec.policy.method {
            Method::Suppression => suppress(agg, &partials, spec, &names)?,
            Method::CellKey | Method::Rounding => perturb(agg, &partials, &spec.policy)?,
        };
        protect_seconds += protecting.elapsed().as_secs_f64();
        totals.add(&cells.counts);
        dims.extend(group_names(&agg.node));
        let replacement = substitute(agg, &cells, n)?;
        substitutions.push((LogicalPlan::Aggregate(agg.node.clone()), replacement));
    }
    Ok(Released {
        table: run_protected(ctx, plan, &substitutions, &dims).await?,
        method: spec.policy.method,
        cells: totals.cells,
        suppressed: totals.suppressed,
        perturbed: totals.perturbed,
        ptable: (spec.policy.method == Method::CellKey).then(|| PTable::peitto_v1().version),
        sql_seconds: started.elapsed().as_secs_f64() - protect_seconds,
        protect_seconds,
        hidden: totals.hidden,
        withheld_persons: totals.withheld_persons,
        count_cells: totals.count_cells,
        published_persons: totals
            .published_persons
            .into_iter()
            .map(|(_, persons, n)| (persons, n))
            .collect(),
        unasked: totals.unasked,
        published_sums: totals
            .published_sums
            .into_iter()
            .map(|(_, elements, sum)| (elements, sum))
            .collect(),
        explanations: totals.explanations,
    })
}

/// The analysed logical plan with parameters bound and joins and
/// subqueries normalised, so the analysis sees equi-join keys and no
/// decorrelatable subqueries.
///
/// # Errors
/// If DataFusion cannot plan the SQL.
pub async fn plan(
    engine: &Engine,
    sql: &str,
    params: &BTreeMap<String, ScalarValue>,
) -> Result<LogicalPlan, ReleaseError> {
    engine.prepare(sql).await?;
    let state = engine.context().state();
    let mut plan = state.create_logical_plan(sql).await?;
    if !params.is_empty() {
        let values: Vec<(String, ScalarValue)> =
            params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        plan = plan.with_param_values(values)?;
    }
    let plan = state
        .analyzer()
        .execute_and_check(plan, state.config_options(), |_, _| {})?;
    let rules: Vec<Arc<dyn OptimizerRule + Send + Sync>> = vec![
        Arc::new(DecorrelatePredicateSubquery::new()),
        Arc::new(ScalarSubqueryToJoin::new()),
        Arc::new(EliminateCrossJoin::new()),
        Arc::new(ExtractEquijoinPredicate::new()),
    ];
    Ok(Optimizer::with_rules(rules).optimize(plan, &state, |_, _| {})?)
}

/// Totals a saved report's header declares: `name (… > total)` publishes
/// the dimension's total; an area dimension ([`peitto_engine::report::Rollup::Areas`]) rolls up to wellbeing counties (`areas`: municipality → `HV` + county,
/// from the organisation register) and all areas (`SSS`).
#[must_use]
pub fn report_totals(
    report: &peitto_engine::report::Report,
    areas: &[(String, String)],
) -> BTreeMap<String, Totals> {
    use peitto_engine::report::Rollup;
    let mut out = BTreeMap::new();
    for dim in &report.header.dimensions {
        let totals = match dim.rollup {
            Rollup::None => continue,
            Rollup::Areas => {
                let mut parents: Vec<(String, String)> = areas.to_vec();
                let counties: BTreeSet<String> = areas.iter().map(|(_, p)| p.clone()).collect();
                parents.extend(counties.into_iter().map(|c| (c, "SSS".to_owned())));
                Totals {
                    total: "SSS".to_owned(),
                    parents,
                }
            }
            Rollup::Total => Totals {
                total: TOTAL.to_owned(),
                parents: Vec::new(),
            },
        };
        out.insert(dim.name.clone(), totals);
    }
    out
}
