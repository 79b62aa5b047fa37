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

pub mod analyze;
pub mod query;

pub use analyze::{Analysis, Level, MeasureKind, Refusal};

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
    Expr, LogicalPlan, LogicalPlanBuilder, cast as cast_expr, col, lit, when,
};
use datafusion::optimizer::decorrelate_predicate_subquery::DecorrelatePredicateSubquery;
use datafusion::optimizer::eliminate_cross_join::EliminateCrossJoin;
use datafusion::optimizer::extract_equijoin_predicate::ExtractEquijoinPredicate;
use datafusion::optimizer::scalar_subquery_to_join::ScalarSubqueryToJoin;
use datafusion::optimizer::{Optimizer, OptimizerRule};
use peitto_engine::Engine;
use peitto_sdc::cellkey::{self, PTable};
use peitto_sdc::table::Leaf;
use peitto_sdc::{Dimension, Method, Policy, Release, SdcError};
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
}

/// One value of the released table.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A dimension code or a text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number with decimals.
    Number(f64),
    /// The total of a dimension.
    Total,
    /// Withheld: shown as the policy's symbol.
    Suppressed,
}

impl Value {
    /// The published number, if this is one (not a text, total or withheld value).
    #[must_use]
    pub fn number(&self) -> Option<f64> {
        match self {
            #[allow(clippy::cast_precision_loss)] // counts are far below 2^52
            Value::Int(i) => Some(*i as f64),
            Value::Number(x) => Some(*x),
            _ => None,
        }
    }
}

/// A column of the released table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutColumn {
    /// Name, as the SQL named it.
    pub name: String,
    /// Dimension (classifies cells) or measure (a number).
    pub dimension: bool,
}

/// A protected table.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Columns.
    pub columns: Vec<OutColumn>,
    /// Rows.
    pub rows: Vec<Vec<Value>>,
}

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
    let ctx = engine.context();
    let mut substitutions: Vec<(LogicalPlan, LogicalPlan)> = Vec::new();
    let mut totals = Counts::default();
    let mut dims: BTreeSet<String> = BTreeSet::new();
    for (n, agg) in analysis.aggregates.iter().enumerate() {
        let partials = partials(ctx, agg).await?;
        let protecting = std::time::Instant::now();
        let cells = match spec.policy.method {
            Method::Suppression => suppress(agg, &partials, spec)?,
            Method::CellKey | Method::Rounding => perturb(agg, &partials, &spec.policy)?,
        };
        protect_seconds += protecting.elapsed().as_secs_f64();
        totals.add(&cells.counts);
        dims.extend(
            agg.node
                .schema
                .fields()
                .iter()
                .take(agg.node.group_expr.len())
                .map(|f| f.name().clone()),
        );
        let replacement = substitute(agg, &cells, n)?;
        substitutions.push((LogicalPlan::Aggregate(agg.node.clone()), replacement));
    }
    let rewritten = plan
        .transform_up(|node| {
            if let Some((_, to)) = substitutions.iter().find(|(from, _)| *from == node) {
                return Ok(Transformed::yes(to.clone()));
            }
            Ok(Transformed::yes(node.recompute_schema()?))
        })?
        .data;
    let frame = ctx.execute_logical_plan(rewritten).await?;
    let schema = frame.schema().as_arrow().clone();
    let batches = frame.collect().await?;
    Ok(Released {
        table: to_table(&schema, &batches, &dims)?,
        method: spec.policy.method,
        cells: totals.cells,
        suppressed: totals.suppressed,
        perturbed: totals.perturbed,
        ptable: (spec.policy.method == Method::CellKey).then(|| PTable::peitto_v1().version),
        sql_seconds: started.elapsed().as_secs_f64() - protect_seconds,
        protect_seconds,
        hidden: totals.hidden,
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

/// Person-level partials of one release aggregate: per leaf (the grouping
/// values), its persons and their measures.
#[derive(Default)]
pub(crate) struct Partials {
    /// Pseudonyms by person number.
    pub(crate) names: Vec<String>,
    /// Per leaf: its grouping values and persons.
    pub(crate) cells: Vec<(Vec<ScalarValue>, PersonPartials)>,
}

/// One leaf's persons, each once (DataFusion groups the partials by leaf
/// and person), and per person and measure (sum of values, rows with a
/// value), `measures` to a person.
#[derive(Default)]
pub(crate) struct PersonPartials {
    ids: Vec<u32>,
    parts: Vec<(f64, u64)>,
    /// Measures per person.
    width: usize,
}

impl PersonPartials {
    fn len(&self) -> usize {
        self.ids.len()
    }

    /// The measures of the leaf's `at`th person.
    fn person(&self, at: usize) -> &[(f64, u64)] {
        &self.parts[at * self.width..(at + 1) * self.width]
    }

    /// (person number, their measures) for each person of the leaf.
    pub(crate) fn persons(&self) -> impl Iterator<Item = (u32, &[(f64, u64)])> {
        self.ids
            .iter()
            .enumerate()
            .map(|(at, &id)| (id, self.person(at)))
    }

    /// Each person's (sum, rows) of measure `j`.
    fn measure(&self, j: usize) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.persons().map(move |(_, m)| m[j])
    }
}

/// Numbers persons in the order they are first seen: a pseudonym is
/// already a keyed 128-bit hash and is its own key; anything else (test
/// fixtures) is hashed as text.
#[derive(Default)]
struct PersonNumbers {
    by_key: FxHashMap<u128, u32>,
    by_text: HashMap<String, u32>,
}

impl PersonNumbers {
    /// The number of `name`, which is added to `names` when new.
    fn number(&mut self, name: &str, names: &mut Vec<String>) -> Result<u32, ReleaseError> {
        let next = u32::try_from(names.len())
            .map_err(|_| ReleaseError::Dimension("more than 4 294 967 295 persons".into()))?;
        let id = match peitto_store::KeyHasher::pseudonym_key(name) {
            Some(k) => *self.by_key.entry(k).or_insert(next),
            None => match self.by_text.get(name) {
                Some(&id) => id,
                None => *self.by_text.entry(name.to_owned()).or_insert(next),
            },
        };
        if id == next {
            names.push(name.to_owned());
        }
        Ok(id)
    }
}

/// A protected cell: grouping values (`None`: the total) and the value of
/// each protected quantity (`None`: withheld).
type CellRow = (Vec<Option<ScalarValue>>, Vec<Option<f64>>);

pub(crate) async fn partials(
    ctx: &datafusion::prelude::SessionContext,
    agg: &ReleaseAggregate,
) -> Result<Partials, ReleaseError> {
    let input = agg.node.input.as_ref().clone();
    let mut exprs = Vec::new();
    for (i, g) in agg.node.group_expr.iter().enumerate() {
        exprs.push(g.clone().alias(format!("__g{i}")));
    }
    let unit = Column::from(input.schema().qualified_field(agg.unit));
    exprs.push(Expr::Column(unit).alias("__pu"));
    for (j, (_, arg, filter)) in agg.measures.iter().enumerate() {
        let e = match filter {
            Some(f) => when(f.clone(), arg.clone()).end()?,
            None => arg.clone(),
        };
        exprs.push(e.alias(format!("__m{j}")));
    }
    let projected = LogicalPlanBuilder::from(input).project(exprs)?.build()?;
    let groups = agg.node.group_expr.len();
    let measures = agg.measures.len();
    // One row per (cell, person) from DataFusion's parallel aggregation: per
    // measure the sum of its values and how many rows have one. A count's
    // argument may be text; only whether it is set matters, so it is summed
    // as ones.
    let mut keys: Vec<Expr> = (0..groups).map(|i| col(format!("__g{i}"))).collect();
    keys.push(col("__pu"));
    let mut sums = Vec::with_capacity(2 * measures);
    for j in 0..measures {
        let name = format!("__m{j}");
        let numeric = projected
            .schema()
            .field_with_unqualified_name(&name)?
            .data_type()
            .is_numeric();
        let value = if numeric {
            cast_expr(col(&name), DataType::Float64)
        } else {
            when(col(&name).is_not_null(), lit(1.0_f64)).end()?
        };
        sums.push(sum(value).alias(format!("__s{j}")));
        sums.push(count(col(&name)).alias(format!("__c{j}")));
    }
    let plan = LogicalPlanBuilder::from(projected)
        .aggregate(keys, sums)?
        .build()?;
    let batches = ctx.execute_logical_plan(plan).await?.collect().await?;
    let mut out = Partials::default();
    // Leaves by their grouping values in arrow's row format (no value
    // objects per row).
    let mut leaves: HashMap<Vec<u8>, usize> = HashMap::new();
    let mut numbers = PersonNumbers::default();
    let mut converter: Option<RowConverter> = None;
    for batch in &batches {
        let pu = cast(batch.column(groups), &DataType::Utf8)?;
        let pu = pu.as_string::<i32>();
        let totals: Vec<(ArrayRef, ArrayRef)> = (0..measures)
            .map(|j| {
                Ok::<_, ReleaseError>((
                    cast(batch.column(groups + 1 + 2 * j), &DataType::Float64)?,
                    cast(batch.column(groups + 2 + 2 * j), &DataType::UInt64)?,
                ))
            })
            .collect::<Result<_, _>>()?;
        let totals: Vec<(&Float64Array, &datafusion::arrow::array::UInt64Array)> = totals
            .iter()
            .map(|(t, r)| {
                (
                    t.as_primitive::<Float64Type>(),
                    r.as_primitive::<UInt64Type>(),
                )
            })
            .collect();
        let converter = match &mut converter {
            Some(c) => c,
            None => converter.insert(RowConverter::new(
                batch.columns()[..groups]
                    .iter()
                    .map(|c| SortField::new(c.data_type().clone()))
                    .collect(),
            )?),
        };
        // Without grouping columns every row is of the one leaf (no bytes).
        let keys = (groups > 0)
            .then(|| converter.convert_columns(&batch.columns()[..groups]))
            .transpose()?;
        for row in 0..batch.num_rows() {
            let bytes: &[u8] = keys.as_ref().map_or(&[], |k| k.row(row).data());
            let leaf = match leaves.get(bytes) {
                Some(&leaf) => leaf,
                None => {
                    let key = (0..groups)
                        .map(|g| ScalarValue::try_from_array(batch.column(g), row))
                        .collect::<Result<Vec<_>, _>>()?;
                    out.cells.push((
                        key,
                        PersonPartials {
                            width: measures,
                            ..PersonPartials::default()
                        },
                    ));
                    leaves.insert(bytes.to_vec(), out.cells.len() - 1);
                    out.cells.len() - 1
                }
            };
            // A row with no person (an outer join's empty side) still makes
            // its cell exist, with nobody in it.
            if pu.is_null(row) {
                continue;
            }
            let id = numbers.number(pu.value(row), &mut out.names)?;
            let cell = &mut out.cells[leaf].1;
            cell.ids.push(id);
            for (total, rows) in &totals {
                let sum = if total.is_null(row) {
                    0.0
                } else {
                    total.value(row)
                };
                cell.parts.push((sum, rows.value(row)));
            }
        }
    }
    Ok(out)
}

/// What one person contributes to a protected quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Sum,
    Rows,
    Present,
}

/// The protected quantities behind the aggregate's measures: AVG is a sum
/// and a count, each protected.
pub(crate) fn parts(agg: &ReleaseAggregate) -> Vec<(usize, Part)> {
    let mut out = Vec::new();
    for (j, (kind, _, _)) in agg.measures.iter().enumerate() {
        match kind {
            MeasureKind::Count => out.push((j, Part::Rows)),
            MeasureKind::Persons => out.push((j, Part::Present)),
            MeasureKind::Sum => out.push((j, Part::Sum)),
            MeasureKind::Avg => {
                out.push((j, Part::Sum));
                out.push((j, Part::Rows));
            }
        }
    }
    out
}

fn contribution(part: Part, (sum, rows): (f64, u64)) -> f64 {
    match part {
        Part::Sum => sum,
        #[allow(clippy::cast_precision_loss)] // row counts are far below 2^52
        Part::Rows => rows as f64,
        Part::Present => f64::from(u8::from(rows > 0)),
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counts {
    pub(crate) cells: usize,
    pub(crate) suppressed: usize,
    pub(crate) perturbed: usize,
    pub(crate) hidden: Vec<f64>,
}

impl Counts {
    pub(crate) fn add(&mut self, o: &Counts) {
        self.cells += o.cells;
        self.suppressed += o.suppressed;
        self.perturbed += o.perturbed;
        self.hidden.extend(&o.hidden);
    }
}

/// Protected cells: grouping values (`None`: the dimension's total) and,
/// per protected quantity, the value or `None` when withheld.
pub(crate) struct Cells {
    pub(crate) rows: Vec<CellRow>,
    pub(crate) counts: Counts,
}

/// Field metadata key marking a released column's role.
pub const ROLE: &str = "peitto.role";

/// Code of a dimension's total in the protected cells; it reaches SQL and
/// the outputs as an empty value (NULL), shown as the language's "Total".
pub const TOTAL: &str = "\u{2211}";

/// One dimension as the suppression sees it.
struct DimPlan {
    /// The hierarchy given to disclosure control; `None` when the
    /// dimension's totals are not published (or it has one code only): the
    /// table is then protected slice by slice along it.
    sdc: Option<Dimension>,
    /// Codes published as exact copies of another code (a wellbeing county
    /// with one municipality is that municipality; a total over one code
    /// is that code), by the code they copy.
    copies: HashMap<String, Vec<String>>,
}

/// Builds a dimension's plan: the declared hierarchy over `leaves`, with
/// every code that has a single child folded into that child (its cells
/// would equal the child's, and an LP must not see two cells where there is
/// one).
fn dim_plan(name: &str, leaves: &[String], totals: Option<&Totals>) -> Result<DimPlan, SdcError> {
    let Some(t) = totals else {
        return Ok(DimPlan {
            sdc: None,
            copies: HashMap::new(),
        });
    };
    let known: HashMap<&str, &str> = t
        .parents
        .iter()
        .map(|(c, p)| (c.as_str(), p.as_str()))
        .collect();
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    for leaf in leaves {
        let mut at = leaf.clone();
        while at != t.total && !parent.contains_key(&at) {
            let p = known
                .get(at.as_str())
                .map_or(t.total.as_str(), |p| *p)
                .to_owned();
            parent.insert(at.clone(), p.clone());
            at = p;
        }
    }
    let mut copies: HashMap<String, Vec<String>> = HashMap::new();
    loop {
        let mut kids: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (c, p) in &parent {
            kids.entry(p.clone()).or_default().push(c.clone());
        }
        let Some((p, only)) = kids
            .iter()
            .find(|(_, k)| k.len() == 1)
            .map(|(p, k)| (p.clone(), k[0].clone()))
        else {
            break;
        };
        // `p` is a copy of `only`: fold it away.
        let mut inherited = copies.remove(&p).unwrap_or_default();
        inherited.push(p.clone());
        copies.entry(only.clone()).or_default().extend(inherited);
        match parent.remove(&p) {
            Some(grand) => {
                parent.insert(only, grand);
            }
            None => {
                // The total itself had one child: nothing is left to protect
                // along this dimension.
                parent.remove(&only);
                return Ok(DimPlan { sdc: None, copies });
            }
        }
    }
    let pairs: Vec<(String, String)> = parent.into_iter().collect();
    Ok(DimPlan {
        sdc: Some(Dimension::from_parents(name, &t.total, &pairs)?),
        copies,
    })
}

/// Suppression with the audit over every published total. Dimensions whose
/// totals are not published split the table into independent slices.
#[allow(clippy::too_many_lines)] // one pass: dimensions, slices, protection, pattern
fn suppress(
    agg: &ReleaseAggregate,
    partials: &Partials,
    spec: &Spec,
) -> Result<Cells, ReleaseError> {
    let names: Vec<String> = agg
        .node
        .schema
        .fields()
        .iter()
        .take(agg.node.group_expr.len())
        .map(|f| f.name().clone())
        .collect();
    // Leaf codes per dimension, and the value each code stands for.
    let mut codes: Vec<BTreeMap<String, ScalarValue>> = vec![BTreeMap::new(); names.len()];
    for (key, _) in &partials.cells {
        for (d, v) in key.iter().enumerate() {
            if v.is_null() {
                return Err(ReleaseError::Dimension(format!(
                    "dimension {} has empty values: give them a code (COALESCE) so they can be tabulated",
                    names[d]
                )));
            }
            codes[d].insert(v.to_string(), v.clone());
        }
    }
    let plans: Vec<DimPlan> = names
        .iter()
        .enumerate()
        .map(|(d, name)| {
            let leaves: Vec<String> = codes[d].keys().cloned().collect();
            // A grouping such as COALESCE(l.form, 'MUU') is known by its column.
            let totals = spec.totals.get(name).or_else(|| {
                let cols = agg.node.group_expr[d].column_refs();
                match cols.iter().next() {
                    Some(c) if cols.len() == 1 => spec.totals.get(&c.name),
                    _ => None,
                }
            });
            dim_plan(name, &leaves, totals)
        })
        .collect::<Result<_, _>>()?;
    let inner: Vec<usize> = (0..names.len())
        .filter(|&d| plans[d].sdc.is_some())
        .collect();
    let outer: Vec<usize> = (0..names.len())
        .filter(|&d| plans[d].sdc.is_none())
        .collect();
    // Without any dimension to total over, each cell stands alone: one
    // placeholder dimension whose total is never published.
    let placeholder = inner.is_empty();
    let sdc_dims: Vec<Dimension> = if placeholder {
        vec![Dimension::flat("cell", TOTAL, &["cell"])]
    } else {
        inner.iter().filter_map(|&d| plans[d].sdc.clone()).collect()
    };
    let quantities = parts(agg);
    let mut slices: BTreeMap<Vec<String>, Vec<(&Vec<ScalarValue>, &PersonPartials)>> =
        BTreeMap::new();
    for (key, persons) in &partials.cells {
        let slice = outer.iter().map(|&d| key[d].to_string()).collect();
        slices.entry(slice).or_default().push((key, persons));
    }
    let mut counts = Counts::default();
    let mut rows = Vec::new();
    for members in slices.values() {
        let sample = members[0].0;
        let inner_codes = |key: &Vec<ScalarValue>| -> Vec<String> {
            if placeholder {
                vec!["cell".to_owned()]
            } else {
                inner.iter().map(|&d| key[d].to_string()).collect()
            }
        };
        // Every cell (totals included) each leaf counts in, by index.
        let mut cell_index: FxHashMap<Vec<usize>, usize> = FxHashMap::default();
        let leaf_cells: Vec<Vec<usize>> = members
            .iter()
            .map(|(key, _)| {
                let lines: Vec<Vec<usize>> = inner_codes(key)
                    .iter()
                    .zip(&sdc_dims)
                    .map(|(code, dim)| dim.ancestors_and_self(dim.index(code).unwrap_or(0)))
                    .collect();
                product(&lines)
                    .into_iter()
                    .map(|cell| {
                        let next = cell_index.len();
                        *cell_index.entry(cell).or_insert(next)
                    })
                    .collect()
            })
            .collect();
        let stats = contributor_stats(
            members,
            &leaf_cells,
            cell_index.len(),
            partials.names.len(),
            &quantities,
        );
        let mut releases = Vec::new();
        for (q, (j, part)) in quantities.iter().enumerate() {
            let leaves: Vec<Leaf> = members
                .iter()
                .map(|(key, persons)| Leaf {
                    codes: inner_codes(key),
                    value: persons.measure(*j).map(|m| contribution(*part, m)).sum(),
                    contributors: 0,
                    top: Vec::new(),
                })
                .collect();
            let magnitude = *part == Part::Sum
                && partials
                    .cells
                    .iter()
                    .flat_map(|(_, p)| p.measure(*j))
                    .any(|m| m.0 != 0.0 && m.0 != 1.0);
            let mut release =
                Release::single(&format!("measure{q}"), sdc_dims.clone(), &leaves, magnitude)?;
            if placeholder {
                release.relations.clear();
            }
            for cell in &mut release.cells {
                if let Some(&i) = cell_index.get(&cell.key) {
                    let (contributors, top) = &stats[i][q];
                    cell.contributors = *contributors;
                    cell.top.clone_from(top);
                }
            }
            let audit = peitto_sdc::protect(&mut release, &spec.policy)?;
            if !audit.passed() {
                return Err(SdcError::CannotProtect(format!(
                    "{} cells of measure {} fail the audit",
                    audit.failures.len(),
                    agg.node.schema.field(agg.node.group_expr.len() + j).name()
                ))
                .into());
            }
            releases.push(release);
        }
        // One pattern for all measures: a cell hidden in one is hidden in
        // all (more suppression never narrows an attacker's interval).
        let Some(first) = releases.first() else {
            return Err(ReleaseError::Dimension("no measure to release".into()));
        };
        let hidden: BTreeSet<&Vec<usize>> = releases
            .iter()
            .flat_map(|r| {
                r.cells
                    .iter()
                    .filter(|c| c.status.suppressed())
                    .map(|c| &c.key)
            })
            .collect();
        let index: Vec<HashMap<&Vec<usize>, usize>> = releases
            .iter()
            .map(|r| {
                r.cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (&c.key, i))
                    .collect()
            })
            .collect();
        for cell in &first.cells {
            if placeholder && cell.key[0] == first.dims[0].total {
                continue;
            }
            // Codes per original dimension: the cell's own and its copies.
            let mut choices: Vec<Vec<Option<ScalarValue>>> = Vec::new();
            for d in 0..names.len() {
                let own: Option<String> = if let Some(pos) = inner.iter().position(|&i| i == d) {
                    Some(first.dims[pos].codes[cell.key[pos]].clone())
                } else {
                    Some(sample[d].to_string())
                };
                let mut here: Vec<String> = own.into_iter().collect();
                let copies = here
                    .first()
                    .and_then(|c| plans[d].copies.get(c))
                    .cloned()
                    .unwrap_or_default();
                here.extend(copies);
                let text = matches!(
                    codes[d].values().next(),
                    Some(
                        ScalarValue::Utf8(_) | ScalarValue::LargeUtf8(_) | ScalarValue::Utf8View(_)
                    )
                );
                choices.push(
                    here.iter()
                        .map(|code| {
                            codes[d].get(code).cloned().or_else(|| {
                                // A level above the leaves: its code, or
                                // the total (an empty value).
                                (text && code != TOTAL)
                                    .then(|| ScalarValue::Utf8(Some(code.clone())))
                            })
                        })
                        .collect(),
                );
            }
            let withheld = hidden.contains(&cell.key);
            let values: Vec<Option<f64>> = releases
                .iter()
                .zip(&index)
                .map(|(r, index)| {
                    let value = index.get(&cell.key).map_or(0.0, |&i| r.cells[i].value);
                    counts.cells += 1;
                    if withheld {
                        counts.suppressed += 1;
                        counts.hidden.push(value);
                        None
                    } else {
                        Some(value)
                    }
                })
                .collect();
            let sizes: Vec<Vec<usize>> = choices.iter().map(|c| (0..c.len()).collect()).collect();
            for pick in product(&sizes) {
                let group = pick
                    .iter()
                    .enumerate()
                    .map(|(d, &i)| choices[d][i].clone())
                    .collect();
                rows.push((group, values.clone()));
            }
        }
    }
    Ok(Cells { rows, counts })
}

/// Per cell (by index) and protected quantity: how many persons contribute
/// a non-zero amount, and the largest contributions (absolute, largest
/// first). Taken person by person: a person's contribution to a cell is
/// the sum over the leaves of the cell they appear in.
fn contributor_stats(
    members: &[(&Vec<ScalarValue>, &PersonPartials)],
    leaf_cells: &[Vec<usize>],
    cells: usize,
    persons: usize,
    quantities: &[(usize, Part)],
) -> Vec<Vec<(u64, Vec<f64>)>> {
    let mut stats = vec![vec![(0u64, Vec::new()); quantities.len()]; cells];
    let mut add = |cell: usize, q: usize, v: f64| {
        if v != 0.0 {
            let (count, top) = &mut stats[cell][q];
            *count += 1;
            let v = v.abs();
            let at = top.partition_point(|&t| t >= v);
            if at < peitto_sdc::table::TOP_KEPT {
                top.insert(at, v);
                top.truncate(peitto_sdc::table::TOP_KEPT);
            }
        }
    };
    // Persons found in more than one leaf; everyone else is counted at once.
    const NONE: u32 = u32::MAX;
    let mut first = vec![NONE; persons];
    let mut several = vec![false; persons];
    for (m, (_, leaf)) in members.iter().enumerate() {
        let m = u32::try_from(m).unwrap_or(NONE);
        for &id in &leaf.ids {
            let seen = &mut first[id as usize];
            if *seen == NONE {
                *seen = m;
            } else if *seen != m {
                several[id as usize] = true;
            }
        }
    }
    drop(first);
    // (person, leaf, position in the leaf) of those in several leaves.
    let mut pending: Vec<(u32, u32, u32)> = Vec::new();
    for (m, (_, leaf)) in members.iter().enumerate() {
        for (at, (id, partial)) in leaf.persons().enumerate() {
            if several[id as usize] {
                pending.push((
                    id,
                    u32::try_from(m).unwrap_or(NONE),
                    u32::try_from(at).unwrap_or(NONE),
                ));
                continue;
            }
            for (q, (j, part)) in quantities.iter().enumerate() {
                let v = contribution(*part, partial[*j]);
                for &cell in &leaf_cells[m] {
                    add(cell, q, v);
                }
            }
        }
    }
    pending.sort_unstable();
    // A person's sum per cell, in a dense table reset after each person.
    let width = quantities.len();
    let mut sums = vec![0.0; cells * width];
    let mut touched: Vec<usize> = Vec::new();
    let mut is_touched = vec![false; cells];
    for group in pending.chunk_by(|a, b| a.0 == b.0) {
        for &(_, m, at) in group {
            let (_, leaf) = members[m as usize];
            let partial = leaf.person(at as usize);
            for &cell in &leaf_cells[m as usize] {
                if !is_touched[cell] {
                    is_touched[cell] = true;
                    touched.push(cell);
                }
                for (q, (j, part)) in quantities.iter().enumerate() {
                    sums[cell * width + q] += contribution(*part, partial[*j]);
                }
            }
        }
        for &cell in &touched {
            for q in 0..width {
                add(cell, q, std::mem::take(&mut sums[cell * width + q]));
            }
            is_touched[cell] = false;
        }
        touched.clear();
    }
    stats
}

/// Cell key method (or base-3 rounding): only the grouped cells, each
/// perturbed the same way for the same set of persons; cells under the
/// frequency threshold are withheld.
fn perturb(
    agg: &ReleaseAggregate,
    partials: &Partials,
    policy: &Policy,
) -> Result<Cells, ReleaseError> {
    let ptable = PTable::peitto_v1();
    let quantities = parts(agg);
    let mut counts = Counts::default();
    let mut cells: Vec<&(Vec<ScalarValue>, PersonPartials)> = partials.cells.iter().collect();
    cells.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let mut rows = Vec::new();
    for (key, persons) in cells {
        let cell_key = cellkey::cell_key(
            persons.ids.iter().map(|&id| {
                cellkey::record_key(partials.names[id as usize].as_bytes(), ptable.modulus)
            }),
            ptable.modulus,
        );
        let withheld = (persons.len() as u64) < policy.min_frequency;
        let mut values = Vec::new();
        for (q, (j, part)) in quantities.iter().enumerate() {
            let contributions: Vec<f64> = persons
                .measure(*j)
                .map(|m| contribution(*part, m))
                .collect();
            let value: f64 = contributions.iter().sum();
            counts.cells += 1;
            if withheld {
                counts.suppressed += 1;
                counts.hidden.push(value);
                values.push(None);
                continue;
            }
            counts.perturbed += 1;
            // Each quantity of the cell draws from its own part of the key.
            let key = cell_key.wrapping_add((q as u64).wrapping_mul(0x9E37_79B9)) % ptable.modulus;
            let published =
                if *part == Part::Sum && contributions.iter().any(|&c| c != 0.0 && c != 1.0) {
                    perturb_magnitude(value, &contributions, key, ptable.modulus)
                } else {
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let count = value.round().max(0.0) as u64;
                    #[allow(clippy::cast_precision_loss)]
                    match policy.method {
                        Method::Rounding => cellkey::round_base3(count, key, ptable.modulus) as f64,
                        _ => ptable.perturb(count, key) as f64,
                    }
                };
            values.push(Some(published));
        }
        rows.push((key.iter().cloned().map(Some).collect(), values));
    }
    Ok(Cells { rows, counts })
}

/// A sum published with noise of 10–30 % of its largest contribution,
/// sign and size drawn from the cell key: differencing two sums that
/// differ by one person leaves that person's value uncertain by about as
/// much as the p% rule protects.
fn perturb_magnitude(value: f64, contributions: &[f64], key: u64, modulus: u64) -> f64 {
    let largest = contributions.iter().fold(0.0_f64, |a, c| a.max(c.abs()));
    #[allow(clippy::cast_precision_loss)]
    let u = (key % modulus) as f64 / modulus as f64;
    let sign = if u < 0.5 { -1.0 } else { 1.0 };
    let size = 0.1 + 0.2 * ((u * 2.0).fract());
    ((value + sign * size * largest) * 100.0).round() / 100.0
}

/// The plan that stands in for the aggregate: its protected cells in a
/// memory table, projected to the aggregate's exact column names.
pub(crate) fn substitute(
    agg: &ReleaseAggregate,
    cells: &Cells,
    n: usize,
) -> Result<LogicalPlan, ReleaseError> {
    let schema = agg.node.schema.clone();
    let groups = agg.node.group_expr.len();
    let quantities = parts(agg);
    let mut columns: Vec<ArrayRef> = Vec::new();
    let mut fields = Vec::new();
    for (i, (_, field)) in schema.iter().enumerate() {
        // The role travels with the column through the rest of the plan,
        // so the outputs know a computed age is a dimension, not a count.
        let role = if i < groups { "dimension" } else { "measure" };
        fields.push(
            Field::new(format!("__c{i}"), field.data_type().clone(), true).with_metadata(
                std::collections::HashMap::from([(ROLE.to_owned(), role.to_owned())]),
            ),
        );
        if i < groups {
            let null = ScalarValue::try_from(field.data_type())?;
            let values = cells
                .rows
                .iter()
                .map(|(g, _)| g[i].clone().unwrap_or_else(|| null.clone()))
                .map(|v| v.cast_to(field.data_type()));
            let values: Vec<ScalarValue> = values.collect::<Result<_, _>>()?;
            columns.push(if values.is_empty() {
                datafusion::arrow::array::new_empty_array(field.data_type())
            } else {
                ScalarValue::iter_to_array(values)?
            });
            continue;
        }
        let j = i - groups;
        let of: Vec<usize> = quantities
            .iter()
            .enumerate()
            .filter(|(_, (m, _))| *m == j)
            .map(|(q, _)| q)
            .collect();
        let values: Float64Array = cells
            .rows
            .iter()
            .map(|(_, v)| match of.as_slice() {
                [q] => v[*q],
                [s, c] => match (v[*s], v[*c]) {
                    (Some(s), Some(c)) if c > 0.0 => Some(s / c),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        columns.push(cast(&values, field.data_type())?);
    }
    let arrow_schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(arrow_schema.clone(), columns)?;
    let table = MemTable::try_new(arrow_schema, vec![vec![batch]])?;
    let exprs: Vec<Expr> = schema
        .iter()
        .enumerate()
        .map(|(i, (q, f))| {
            Expr::Column(Column::new_unqualified(format!("__c{i}")))
                .alias_qualified(q.cloned(), f.name())
        })
        .collect();
    Ok(LogicalPlanBuilder::scan(
        format!("__protected_{n}"),
        provider_as_source(Arc::new(table)),
        None,
    )?
    .project(exprs)?
    .build()?)
}

pub(crate) fn to_table(
    schema: &Schema,
    batches: &[RecordBatch],
    dims: &BTreeSet<String>,
) -> Result<Table, ReleaseError> {
    let columns: Vec<OutColumn> = schema
        .fields()
        .iter()
        .map(|f| OutColumn {
            name: f.name().clone(),
            dimension: match f.metadata().get(ROLE).map(String::as_str) {
                Some("dimension") => true,
                Some(_) => false,
                None => dims.contains(f.name()) || !f.data_type().is_numeric(),
            },
        })
        .collect();
    let mut rows = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows() {
            let mut row = Vec::new();
            for (c, col) in columns.iter().enumerate() {
                let v = ScalarValue::try_from_array(batch.column(c), r)?;
                row.push(value(&v, col.dimension));
            }
            rows.push(row);
        }
    }
    Ok(Table { columns, rows })
}

fn value(v: &ScalarValue, dimension: bool) -> Value {
    if v.is_null() {
        return if dimension {
            Value::Total
        } else {
            Value::Suppressed
        };
    }
    match v {
        ScalarValue::Int8(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::Int16(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::Int32(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::Int64(Some(x)) => Value::Int(*x),
        ScalarValue::UInt8(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::UInt16(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::UInt32(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::UInt64(Some(x)) => Value::Int(i64::try_from(*x).unwrap_or(i64::MAX)),
        ScalarValue::Float32(Some(x)) => Value::Number(f64::from(*x)),
        ScalarValue::Float64(Some(x)) if dimension => Value::Text(x.to_string()),
        ScalarValue::Float64(Some(x)) => Value::Number(*x),
        ScalarValue::Decimal128(Some(x), _, s) => {
            #[allow(clippy::cast_precision_loss)]
            let f = *x as f64 / 10f64.powi(i32::from(*s));
            Value::Number(f)
        }
        other => Value::Text(other.to_string()),
    }
}

fn product(lines: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for line in lines {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                line.iter().map(move |&c| {
                    let mut k = prefix.clone();
                    k.push(c);
                    k
                })
            })
            .collect();
    }
    out
}

/// Totals a saved report's header declares: `name (… > …)` publishes the
/// dimension's total; a municipality dimension (`… > wellbeing county > …`)
/// rolls up to wellbeing counties (`areas`: municipality → `HV` + county,
/// from the organisation register) and all areas (`SSS`).
#[must_use]
pub fn report_totals(
    report: &peitto_engine::report::Report,
    areas: &[(String, String)],
) -> BTreeMap<String, Totals> {
    let mut out = BTreeMap::new();
    let dims = report.header.get("dimensions").cloned().unwrap_or_default();
    for item in dims.split(';') {
        let item = item.trim();
        let name = item
            .split(|c: char| c.is_whitespace() || c == '(')
            .next()
            .unwrap_or_default();
        if name.is_empty() || !item.contains('>') {
            continue;
        }
        let totals = if item.contains("wellbeing county") {
            let mut parents: Vec<(String, String)> = areas.to_vec();
            let counties: BTreeSet<String> = areas.iter().map(|(_, p)| p.clone()).collect();
            parents.extend(counties.into_iter().map(|c| (c, "SSS".to_owned())));
            Totals {
                total: "SSS".to_owned(),
                parents,
            }
        } else {
            Totals {
                total: TOTAL.to_owned(),
                parents: Vec::new(),
            }
        };
        out.insert(name.to_owned(), totals);
    }
    out
}
