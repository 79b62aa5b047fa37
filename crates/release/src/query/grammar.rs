//! The grammar of a planner's own query, checked on DataFusion's logical
//! plan: which plan nodes may appear where, and what each aggregate over
//! persons may group by and measure.
//!
//! A plan has three levels. Below the *release aggregates* the rows are
//! about persons: only scans of the register tables, filters and
//! projections from the expression allowlist ([`super::roles`]), joins on
//! stored keys, and per-person aggregates are allowed. A release aggregate
//! groups by dimensions with declared domains and computes declared
//! measures. Above it only per-row arithmetic on the protected values,
//! filters, ordering and joins on released or public tables are allowed:
//! no aggregate runs over protected rows.

mod aggregate;
mod join;

use super::Refusal;
use super::roles::{Col, Domain, Role, role_of, stored_role, strip, tells_days_apart};
use datafusion::common::tree_node::TreeNode;
use datafusion::logical_expr::{Aggregate, Distinct, Expr, LogicalPlan};

/// What a node's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Reference data only.
    Public,
    /// About persons, not aggregated over persons.
    Person,
    /// Output of release aggregates: replaced by protected cells.
    Protected,
}

/// A node's level and its columns.
#[derive(Debug, Clone)]
struct Info {
    level: Level,
    cols: Vec<Col>,
    fan: Fan,
}

/// How a person's rows can multiply below a node. A join of two inputs
/// that each hold several rows per person gives each person the product of
/// their rows; one such join is allowed, a second is refused, so that no
/// query can make one person's rows (and the time they take) explode on a
/// condition about that person. A `UNION ALL` of person rows adds up its
/// branches' copies of a person's rows, and joins multiply them: a person
/// table united with itself thirty times, twice over and joined with
/// itself, made each person who met a condition cost a second and so told
/// by the run time whether they did (an attacker of this model). At most
/// [`MAX_COPIES`] copies, and none in a product of two inputs with
/// several rows per person.
#[derive(Debug, Clone, Copy)]
struct Fan {
    /// At most one row per person (the person table, a per-person aggregate).
    per_person: bool,
    /// Joins below of two inputs with several rows per person each.
    products: u32,
    /// Copies of a person's rows (or of their one row) the node can hold.
    copies: u64,
}

impl Default for Fan {
    fn default() -> Self {
        Fan {
            per_person: false,
            products: 0,
            copies: 1,
        }
    }
}

/// The most copies of a person's rows a query may make by unions and joins.
const MAX_COPIES: u64 = 16;

/// How one released measure is computed.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// Distinct persons.
    Persons,
    /// Rows, each worth `scale` (`COUNT(*)`, or `SUM` of a constant).
    Records {
        /// Value of one row.
        scale: f64,
    },
    /// Sum of a declared measure, each person's part clamped to its bounds.
    Sum(super::roles::Bounds),
    /// Mean of a declared measure over its rows: a protected sum over a
    /// protected count of rows.
    Avg(super::roles::Bounds),
}

/// One measure of a release aggregate: what, of which expression, for
/// which rows.
#[derive(Debug, Clone)]
pub struct MeasureSpec {
    /// What is measured.
    pub measure: Measure,
    /// The value per row (the privacy unit for persons).
    pub arg: Expr,
    /// Rows that count (`FILTER`, or the condition of a `CASE`).
    pub filter: Option<Expr>,
}

/// A release aggregate of a planner's query.
#[derive(Debug, Clone)]
pub struct OwnAggregate {
    /// The node as it stands in the plan.
    pub node: Aggregate,
    /// Index of the privacy unit in the node's input.
    pub unit: usize,
    /// Domain of each grouping expression.
    pub domains: Vec<Domain>,
    /// The measures, in the node's order.
    pub measures: Vec<MeasureSpec>,
}

/// A join of person rows with a public reference table: the table and
/// its columns the join equates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceJoin {
    /// The reference table.
    pub table: String,
    /// Its columns in the join's equalities.
    pub columns: Vec<String>,
}

/// The checked plan.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Release aggregates, innermost first.
    pub aggregates: Vec<OwnAggregate>,
    /// Whether the plan touches person data at all.
    pub person_data: bool,
    /// Every join of person rows with reference data: how many reference
    /// rows one person row can meet is bounded before the query runs
    /// (`super::reference_fan`).
    pub reference_joins: Vec<ReferenceJoin>,
}

/// What the check gathers over the whole plan.
#[derive(Debug, Default)]
struct Acc {
    person_data: bool,
    reference_joins: Vec<ReferenceJoin>,
}

/// Checks `plan` against the grammar.
///
/// # Errors
/// The first rule the plan breaks.
pub fn check(plan: &LogicalPlan) -> Result<Checked, Refusal> {
    super::durations::start_query();
    let mut aggregates = Vec::new();
    let mut acc = Acc::default();
    let info = visit(plan, &mut aggregates, &mut acc)?;
    if info.level == Level::Person {
        return Err(Refusal::RowLevel);
    }
    Ok(Checked {
        aggregates,
        person_data: acc.person_data,
        reference_joins: acc.reference_joins,
    })
}

fn roles(exprs: &[Expr], input: &LogicalPlan, info: &Info) -> Result<Vec<Col>, Refusal> {
    exprs
        .iter()
        .map(|e| match info.level {
            Level::Person => role_of(e, input.schema(), &info.cols),
            // Above protection and on public data any expression is fine;
            // a subquery still is not (it could reach person data).
            _ => {
                refuse_subqueries(e)?;
                Ok(passthrough(e, input, info))
            }
        })
        .collect()
}

/// The column an expression passes through unchanged, or a plain value.
fn passthrough(e: &Expr, input: &LogicalPlan, info: &Info) -> Col {
    if let Expr::Column(c) = strip(e)
        && let Ok(i) = input.schema().index_of_column(c)
        && let Some(col) = info.cols.get(i)
    {
        return col.clone();
    }
    Col::public(Role::Value)
}

fn refuse_subqueries(e: &Expr) -> Result<(), Refusal> {
    let mut found = None;
    e.apply(|x| {
        match x {
            Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_) => {
                found = Some(Refusal::Subquery);
            }
            Expr::Unnest(_) => {
                found = Some(Refusal::TableFunction {
                    name: "unnest".into(),
                });
            }
            _ => {}
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    })
    .map_err(|_| Refusal::Unsupported("an expression".into()))?;
    found.map_or(Ok(()), Err)
}

// one arm per plan node kind
fn visit(plan: &LogicalPlan, aggs: &mut Vec<OwnAggregate>, acc: &mut Acc) -> Result<Info, Refusal> {
    match plan {
        LogicalPlan::TableScan(scan) => {
            let table = scan.table_name.table().to_owned();
            let known = peitto_model::table(&table).is_some() || table == peitto_engine::EPISODES;
            if !known {
                return Err(Refusal::TableFunction { name: table });
            }
            if super::roles::PUBLIC_TABLES.contains(&table.as_str()) {
                let cols = scan
                    .projected_schema
                    .fields()
                    .iter()
                    .map(|f| {
                        Col::public(Role::Dim(Domain::Public {
                            table: table.clone(),
                            column: f.name().clone(),
                        }))
                    })
                    .collect();
                return Ok(Info {
                    level: Level::Public,
                    cols,
                    fan: Fan::default(),
                });
            }
            acc.person_data = true;
            if scan.fetch.is_some() {
                return Err(Refusal::Limit);
            }
            if !scan.filters.is_empty() {
                return Err(Refusal::Unsupported("a filter pushed into a scan".into()));
            }
            let cols = scan
                .projected_schema
                .fields()
                .iter()
                .map(|f| Col {
                    role: stored_role(&table, f.name()),
                    person: true,
                    from: format!("{table}.{}", f.name()),
                    def: Some(std::sync::Arc::new(Expr::Column(
                        datafusion::common::Column::new(Some(table.as_str()), f.name()),
                    ))),
                })
                .collect();
            Ok(Info {
                level: Level::Person,
                cols,
                fan: Fan {
                    per_person: table == peitto_model::tables::PERSON.name,
                    ..Fan::default()
                },
            })
        }
        LogicalPlan::Projection(p) => {
            let input = visit(&p.input, aggs, acc)?;
            let cols = roles(&p.expr, &p.input, &input)?;
            Ok(Info {
                level: input.level,
                cols,
                fan: input.fan,
            })
        }
        LogicalPlan::Filter(f) => {
            let input = visit(&f.input, aggs, acc)?;
            roles(std::slice::from_ref(&f.predicate), &f.input, &input)?;
            Ok(input)
        }
        LogicalPlan::SubqueryAlias(s) => visit(&s.input, aggs, acc),
        LogicalPlan::Sort(s) => {
            let input = visit(&s.input, aggs, acc)?;
            if input.level == Level::Person {
                if s.fetch.is_some() {
                    return Err(Refusal::Limit);
                }
                for e in &s.expr {
                    role_of(&e.expr, s.input.schema(), &input.cols)?;
                }
            }
            Ok(input)
        }
        LogicalPlan::Limit(l) => {
            let input = visit(&l.input, aggs, acc)?;
            if input.level == Level::Person {
                return Err(Refusal::Limit);
            }
            Ok(input)
        }
        LogicalPlan::Distinct(Distinct::All(inner)) => {
            let input = visit(inner, aggs, acc)?;
            match input.level {
                // DISTINCT of rows that carry the person: each person's own
                // rows made unique, by classes and record ids (by a date,
                // a person's rows counted later are their distinct dates).
                Level::Person if input.cols.iter().any(|c| c.role == Role::Unit) => {
                    match input.cols.iter().find(|c| tells_days_apart(&c.role)) {
                        Some(c) => Err(Refusal::PersonValuesCompared {
                            what: c.from.clone(),
                        }),
                        None => Ok(input),
                    }
                }
                Level::Person => Err(Refusal::NoPrivacyUnit),
                Level::Protected => Err(Refusal::AggregateOverProtected),
                Level::Public => Ok(input),
            }
        }
        LogicalPlan::Distinct(Distinct::On(on)) => {
            let input = visit(&on.input, aggs, acc)?;
            match input.level {
                Level::Person => Err(Refusal::Window),
                Level::Protected => Err(Refusal::AggregateOverProtected),
                Level::Public => Ok(Info {
                    level: Level::Public,
                    cols: vec![Col::public(Role::Value); on.schema.fields().len()],
                    fan: Fan::default(),
                }),
            }
        }
        LogicalPlan::Window(w) => {
            let input = visit(&w.input, aggs, acc)?;
            match input.level {
                Level::Person => Err(Refusal::Window),
                Level::Protected => Err(Refusal::AggregateOverProtected),
                Level::Public => {
                    let mut cols = input.cols.clone();
                    cols.extend(w.window_expr.iter().map(|_| Col::public(Role::Value)));
                    Ok(Info {
                        level: Level::Public,
                        cols,
                        fan: Fan::default(),
                    })
                }
            }
        }
        LogicalPlan::Aggregate(a) => {
            let input = visit(&a.input, aggs, acc)?;
            aggregate::aggregate(a, &input, aggs)
        }
        LogicalPlan::Join(j) => {
            let left = visit(&j.left, aggs, acc)?;
            let right = visit(&j.right, aggs, acc)?;
            join::join(j, &left, &right, acc)
        }
        LogicalPlan::Union(u) => {
            let mut infos = Vec::new();
            for i in &u.inputs {
                infos.push(visit(i, aggs, acc)?);
            }
            let Some(first) = infos.first().cloned() else {
                return Err(Refusal::Unsupported("an empty UNION".into()));
            };
            if infos.iter().any(|i| i.level != first.level) {
                return Err(Refusal::MixesLevels);
            }
            // A person's dates or amounts united with values the query
            // writes (or public ones) are compared with them by whatever
            // counts or groups the column: a fixed day beside a person's
            // dates, counted distinct, asked whether a date was that day;
            // grouped by the day of the month, it padded one day's cell.
            for c in 0..u.schema.fields().len() {
                let branch = |i: &Info| i.cols.get(c).cloned();
                let person = infos.iter().filter_map(branch).any(|b| b.person);
                let fixed = infos.iter().filter_map(branch).any(|b| !b.person);
                let fine = infos.iter().filter_map(branch).find(|b| {
                    tells_days_apart(&b.role) || first.cols.get(c).map(|f| &f.role) != Some(&b.role)
                });
                if first.level == Level::Person
                    && person
                    && fixed
                    && let Some(b) = fine
                {
                    return Err(Refusal::PersonValuesCompared {
                        what: if b.from.is_empty() {
                            u.schema.field(c).name().clone()
                        } else {
                            b.from
                        },
                    });
                }
            }
            // A column keeps its role only where every branch agrees.
            let cols = (0..u.schema.fields().len())
                .map(|c| {
                    let mut col = first
                        .cols
                        .get(c)
                        .cloned()
                        .unwrap_or(Col::public(Role::Value));
                    let mut defs = Vec::new();
                    for info in &infos {
                        let other = info.cols.get(c);
                        if other.map(|o| &o.role) != Some(&col.role) {
                            col.role = Role::Value;
                        }
                        col.person |= other.is_some_and(|o| o.person);
                        if let Some(d) = other.and_then(|o| o.def.as_deref())
                            && !defs.contains(d)
                        {
                            defs.push(d.clone());
                        }
                    }
                    // Branches computed differently: the rules read all
                    // of them (a fixed date or a shift in any one counts).
                    col.def = match defs.len() {
                        0 => None,
                        1 => defs.pop().map(std::sync::Arc::new),
                        _ => Some(std::sync::Arc::new(
                            datafusion::functions::core::expr_fn::coalesce(defs),
                        )),
                    };
                    col
                })
                .collect();
            Ok(Info {
                level: first.level,
                cols,
                fan: {
                    let copies = infos
                        .iter()
                        .map(|i| i.fan.copies)
                        .fold(0u64, u64::saturating_add);
                    if first.level == Level::Person && copies > MAX_COPIES {
                        return Err(Refusal::JoinFanOut);
                    }
                    Fan {
                        per_person: false,
                        products: infos.iter().map(|i| i.fan.products).max().unwrap_or(0),
                        copies,
                    }
                },
            })
        }
        LogicalPlan::EmptyRelation(_) | LogicalPlan::Values(_) => Ok(Info {
            level: Level::Public,
            cols: vec![Col::public(Role::Value); plan.schema().fields().len()],
            fan: Fan::default(),
        }),
        LogicalPlan::Unnest(_) => Err(Refusal::TableFunction {
            name: "unnest".into(),
        }),
        LogicalPlan::Subquery(_) => Err(Refusal::Subquery),
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
