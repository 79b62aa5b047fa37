//! Tracking the privacy unit through a DataFusion logical plan.
//!
//! Every plan node is given a level: *public* (reference data only:
//! population, organisations, constants), *person* (rows that are about
//! persons and not yet aggregated over persons) or *protected* (the output
//! of a release aggregate, which the release replaces with protected
//! cells). Every output column carries its lineage: the stored columns it
//! is computed from, and whether it is the privacy unit itself passed
//! through unchanged. A plan is released only if its result is not at the
//! person level and every step on the way keeps the privacy unit; the
//! refusals say why and what to write instead.

use datafusion::common::tree_node::TreeNode;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{Aggregate, Distinct, Expr, JoinType, LogicalPlan};
use peitto_model::Class;
use std::collections::BTreeSet;

pub use crate::refusal::Refusal;

/// The column every person-level model table carries.
pub const PRIVACY_UNIT: &str = "person_key";

/// Tables with no person in them: released as they are.
const PUBLIC_TABLES: &[&str] = &["population", "organisation"];

/// What a node's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Reference data only.
    Public,
    /// About persons, not aggregated over persons.
    Person,
    /// Aggregated over persons: replaced by protected cells.
    Protected,
}

/// Lineage of one output column.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lineage {
    /// (table, column) it is computed from.
    pub bases: BTreeSet<(String, String)>,
    /// The privacy unit passed through unchanged.
    pub unit: bool,
    /// A stored column passed through unchanged (not computed from).
    pub raw: bool,
}

/// A node's level and its columns' lineage.
#[derive(Debug, Clone)]
struct Info {
    level: Level,
    cols: Vec<Lineage>,
}

/// How a released measure is computed per person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeasureKind {
    /// `COUNT(x)`: rows with a value.
    Count,
    /// `COUNT(DISTINCT person_key)`: persons.
    Persons,
    /// `SUM(x)`.
    Sum,
    /// `AVG(x)`: a sum over a count, each protected.
    Avg,
}

/// A release aggregate found in the plan.
#[derive(Debug, Clone)]
pub struct ReleaseAggregate {
    /// The node, as it stands in the analysed plan.
    pub node: Aggregate,
    /// Index of the privacy-unit column in the node's input.
    pub unit: usize,
    /// Each aggregate expression's kind, argument and filter.
    pub measures: Vec<(MeasureKind, Expr, Option<Expr>)>,
}

/// The analysis of a whole plan.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Release aggregates, innermost first.
    pub aggregates: Vec<ReleaseAggregate>,
    /// Level of the result.
    pub level: Level,
}

/// Analyses `plan` (analysed and with joins normalised).
///
/// # Errors
/// The first reason the plan cannot be released.
pub fn analyze(plan: &LogicalPlan) -> Result<Analysis, Refusal> {
    let mut aggregates = Vec::new();
    let info = visit(plan, &mut aggregates)?;
    if info.level == Level::Person {
        return Err(Refusal::RowLevel);
    }
    Ok(Analysis {
        aggregates,
        level: info.level,
    })
}

/// A stand-in for the person when grouped by as it is (an exact birth
/// date); derived from (age on 31.12., birth year) it is a classification.
fn is_quasi_exact(_table: &str, column: &str) -> bool {
    column == "birth_date"
}

/// A column that points at one person or record, however it is transformed.
fn is_identifying(table: &str, column: &str) -> bool {
    if table == peitto_engine::EPISODES {
        return column == PRIVACY_UNIT;
    }
    peitto_model::table(table)
        .and_then(|t| t.column(column))
        .is_some_and(|c| c.class == Class::DirectIdentifier)
}

fn expr_lineage(expr: &Expr, input: &LogicalPlan, info: &Info) -> Lineage {
    let mut out = Lineage::default();
    for col in expr.column_refs() {
        if let Ok(i) = input.schema().index_of_column(col)
            && let Some(l) = info.cols.get(i)
        {
            out.bases.extend(l.bases.iter().cloned());
        }
    }
    if let Expr::Column(col) = strip_alias(expr)
        && let Some(l) = input
            .schema()
            .index_of_column(col)
            .ok()
            .and_then(|i| info.cols.get(i))
    {
        out.unit = l.unit;
        out.raw = l.raw;
    }
    out
}

fn strip_alias(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(a) => strip_alias(&a.expr),
        other => other,
    }
}

/// Refuses subqueries over anything but public data inside `expr`.
fn check_subqueries(expr: &Expr, aggregates: &mut Vec<ReleaseAggregate>) -> Result<(), Refusal> {
    let mut plans = Vec::new();
    expr.apply(|e| {
        match e {
            Expr::ScalarSubquery(s) => plans.push(s.subquery.clone()),
            Expr::Exists(x) => plans.push(x.subquery.subquery.clone()),
            Expr::InSubquery(x) => plans.push(x.subquery.subquery.clone()),
            _ => {}
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    })
    .map_err(|e| Refusal::Unsupported(e.to_string()))?;
    for plan in plans {
        let mut inner = Vec::new();
        let info = visit(&plan, &mut inner)?;
        if info.level != Level::Public {
            return Err(Refusal::Subquery);
        }
        aggregates.extend(inner);
    }
    Ok(())
}

// one arm per plan node kind
fn visit(plan: &LogicalPlan, aggs: &mut Vec<ReleaseAggregate>) -> Result<Info, Refusal> {
    for e in plan.expressions() {
        check_subqueries(&e, aggs)?;
    }
    match plan {
        LogicalPlan::TableScan(scan) => {
            let table = scan.table_name.table().to_owned();
            let known = peitto_model::table(&table);
            let public = PUBLIC_TABLES.contains(&table.as_str());
            // Anything not in the store (generate_series, information_schema)
            // holds no person.
            let public = public || (known.is_none() && table != peitto_engine::EPISODES);
            let has_unit = table == peitto_engine::EPISODES
                || known.is_some_and(|t| t.column(PRIVACY_UNIT).is_some());
            let cols = scan
                .projected_schema
                .fields()
                .iter()
                .map(|f| Lineage {
                    bases: BTreeSet::from([(table.clone(), f.name().clone())]),
                    unit: has_unit && f.name() == PRIVACY_UNIT,
                    raw: true,
                })
                .collect();
            Ok(Info {
                level: if public { Level::Public } else { Level::Person },
                cols,
            })
        }
        LogicalPlan::Projection(p) => {
            let input = visit(&p.input, aggs)?;
            let cols = p
                .expr
                .iter()
                .map(|e| expr_lineage(e, &p.input, &input))
                .collect();
            Ok(Info {
                level: input.level,
                cols,
            })
        }
        LogicalPlan::Filter(f) => visit(&f.input, aggs),
        LogicalPlan::SubqueryAlias(s) => visit(&s.input, aggs),
        LogicalPlan::Repartition(r) => visit(&r.input, aggs),
        LogicalPlan::Subquery(s) => visit(&s.subquery, aggs),
        LogicalPlan::Sort(s) => {
            let input = visit(&s.input, aggs)?;
            if s.fetch.is_some() && input.level == Level::Person {
                return Err(Refusal::Limit);
            }
            Ok(input)
        }
        LogicalPlan::Limit(l) => {
            let input = visit(&l.input, aggs)?;
            if input.level == Level::Person {
                return Err(Refusal::Limit);
            }
            Ok(input)
        }
        LogicalPlan::Distinct(Distinct::All(input)) => visit(input, aggs),
        LogicalPlan::Distinct(Distinct::On(on)) => {
            let input = visit(&on.input, aggs)?;
            if input.level == Level::Person {
                return Err(Refusal::Window);
            }
            Ok(Info {
                level: input.level,
                cols: on
                    .select_expr
                    .iter()
                    .map(|e| expr_lineage(e, &on.input, &input))
                    .collect(),
            })
        }
        LogicalPlan::Window(w) => {
            let input = visit(&w.input, aggs)?;
            if input.level == Level::Person {
                for e in &w.window_expr {
                    let Expr::WindowFunction(f) = strip_alias(e) else {
                        return Err(Refusal::Window);
                    };
                    // Within one person (PARTITION BY person_key) a window
                    // only orders that person's own rows.
                    let per_person = f
                        .params
                        .partition_by
                        .iter()
                        .any(|p| expr_lineage(p, &w.input, &input).unit);
                    if !per_person {
                        return Err(Refusal::Window);
                    }
                }
            }
            let mut cols = input.cols.clone();
            cols.extend(
                w.window_expr
                    .iter()
                    .map(|e| expr_lineage(e, &w.input, &input)),
            );
            Ok(Info {
                level: input.level,
                cols,
            })
        }
        LogicalPlan::Aggregate(a) => {
            let input = visit(&a.input, aggs)?;
            aggregate(a, input, aggs)
        }
        LogicalPlan::Join(j) => {
            let left = visit(&j.left, aggs)?;
            let right = visit(&j.right, aggs)?;
            join(j, &left, &right)
        }
        LogicalPlan::Union(u) => {
            let mut infos = Vec::new();
            for i in &u.inputs {
                infos.push(visit(i, aggs)?);
            }
            let Some(first) = infos.first() else {
                return Err(Refusal::Unsupported("an empty UNION".into()));
            };
            let level = first.level;
            if infos.iter().any(|i| i.level != level) {
                return Err(Refusal::MixesLevels);
            }
            let width = u.schema.fields().len();
            let cols = (0..width)
                .map(|c| {
                    let mut l = Lineage {
                        bases: BTreeSet::new(),
                        unit: true,
                        raw: true,
                    };
                    for info in &infos {
                        let part = info.cols.get(c).cloned().unwrap_or_default();
                        l.bases.extend(part.bases);
                        l.unit &= part.unit;
                        l.raw &= part.raw;
                    }
                    l
                })
                .collect();
            Ok(Info { level, cols })
        }
        LogicalPlan::EmptyRelation(_) | LogicalPlan::Values(_) => Ok(Info {
            level: Level::Public,
            cols: vec![Lineage::default(); plan.schema().fields().len()],
        }),
        other => Err(Refusal::Unsupported(
            other
                .display()
                .to_string()
                .split(':')
                .next()
                .unwrap_or("?")
                .to_owned(),
        )),
    }
}

fn join(j: &datafusion::logical_expr::Join, left: &Info, right: &Info) -> Result<Info, Refusal> {
    use Level::{Person, Protected, Public};
    let level = match (left.level, right.level) {
        (Public, Public) => Public,
        (Person, Public) | (Public, Person) => Person,
        (Protected, Public | Protected) | (Public, Protected) => Protected,
        (Person, Protected) | (Protected, Person) => return Err(Refusal::MixesLevels),
        (Person, Person) => {
            let col_of = |e: &Expr, plan: &LogicalPlan, info: &Info| expr_lineage(e, plan, info);
            let pairs: Vec<(Lineage, Lineage)> =
                j.on.iter()
                    .map(|(l, r)| (col_of(l, &j.left, left), col_of(r, &j.right, right)))
                    .collect();
            let left_unit = left.cols.iter().any(|c| c.unit);
            let right_unit = right.cols.iter().any(|c| c.unit);
            let on_unit = pairs.iter().any(|(l, r)| l.unit && r.unit);
            // A record may join the one record it belongs to (an invoice
            // line its placement): equality on that record's own
            // single-column key, so each row meets one record, one person.
            let keeps = on_unit
                || pairs.iter().any(|(l, r)| {
                    (right_unit && is_unique_key(r)) || (left_unit && is_unique_key(l))
                });
            if !keeps {
                return Err(Refusal::JoinLosesUnit);
            }
            Person
        }
    };
    let cols = match j.join_type {
        JoinType::LeftSemi | JoinType::LeftAnti => left.cols.clone(),
        JoinType::RightSemi | JoinType::RightAnti => right.cols.clone(),
        JoinType::LeftMark => {
            let mut c = left.cols.clone();
            c.push(Lineage::default());
            c
        }
        JoinType::RightMark => {
            let mut c = right.cols.clone();
            c.push(Lineage::default());
            c
        }
        _ => left.cols.iter().chain(&right.cols).cloned().collect(),
    };
    Ok(Info { level, cols })
}

/// Whether a column is, unchanged, the whole single-column key of its table.
fn is_unique_key(l: &Lineage) -> bool {
    l.bases.len() == 1
        && l.bases
            .iter()
            .all(|(t, c)| peitto_model::table(t).is_some_and(|spec| spec.key == [c.as_str()]))
}

fn aggregate(
    a: &Aggregate,
    input: Info,
    aggs: &mut Vec<ReleaseAggregate>,
) -> Result<Info, Refusal> {
    let group: Vec<Lineage> = a
        .group_expr
        .iter()
        .map(|e| expr_lineage(e, &a.input, &input))
        .collect();
    let measures: Vec<Lineage> = a
        .aggr_expr
        .iter()
        .map(|e| expr_lineage(e, &a.input, &input))
        .collect();
    let mut cols = group.clone();
    cols.extend(measures.iter().map(|m| Lineage {
        bases: m.bases.clone(),
        unit: false,
        raw: false,
    }));
    match input.level {
        Level::Public | Level::Protected => {
            return Ok(Info {
                level: input.level,
                cols,
            });
        }
        Level::Person => {}
    }
    if a.group_expr
        .iter()
        .any(|e| matches!(e, Expr::GroupingSet(_)))
    {
        return Err(Refusal::GroupingSets);
    }
    // Grouped by the person: a per-person step, still person level.
    if group.iter().any(|g| g.unit) {
        return Ok(Info {
            level: Level::Person,
            cols,
        });
    }
    for g in &group {
        if let Some((t, c)) = g
            .bases
            .iter()
            .find(|(t, c)| is_identifying(t, c) || (g.raw && is_quasi_exact(t, c)))
        {
            return Err(Refusal::GroupsByIdentifier {
                column: format!("{t}.{c}"),
            });
        }
    }
    let unit = input
        .cols
        .iter()
        .position(|c| c.unit)
        .ok_or(Refusal::NoPrivacyUnit)?;
    let mut kinds = Vec::new();
    for e in &a.aggr_expr {
        let Expr::AggregateFunction(AggregateFunction { func, params }) = strip_alias(e) else {
            return Err(Refusal::Unsupported(e.to_string()));
        };
        let name = func.name().to_ascii_lowercase();
        let arg = params.args.first().cloned().unwrap_or(Expr::Literal(
            datafusion::common::ScalarValue::Int64(Some(1)),
            None,
        ));
        let kind = match (name.as_str(), params.distinct) {
            ("count", false) => MeasureKind::Count,
            ("count", true) => {
                // COUNT(DISTINCT CASE WHEN c THEN person_key END) counts the
                // persons for whom c holds.
                if let Expr::Case(case) = strip_alias(&arg)
                    && case.expr.is_none()
                    && case.else_expr.is_none()
                    && let [(when, then)] = case.when_then_expr.as_slice()
                    && expr_lineage(then, &a.input, &input).unit
                {
                    let filter = match params.filter.as_deref() {
                        Some(f) => f.clone().and(when.as_ref().clone()),
                        None => when.as_ref().clone(),
                    };
                    kinds.push((MeasureKind::Persons, then.as_ref().clone(), Some(filter)));
                    continue;
                }
                if !expr_lineage(&arg, &a.input, &input).unit {
                    return Err(Refusal::DistinctOther);
                }
                MeasureKind::Persons
            }
            ("sum", false) => MeasureKind::Sum,
            ("avg" | "mean", false) => MeasureKind::Avg,
            ("sum" | "avg" | "mean", true) => return Err(Refusal::DistinctOther),
            _ => {
                return Err(Refusal::PersonValueAggregate {
                    function: name.clone(),
                });
            }
        };
        kinds.push((kind, arg, params.filter.as_deref().cloned()));
    }
    aggs.push(ReleaseAggregate {
        node: a.clone(),
        unit,
        measures: kinds,
    });
    Ok(Info {
        level: Level::Protected,
        cols,
    })
}
