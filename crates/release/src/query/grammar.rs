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

use super::Refusal;
use super::roles::{Col, Domain, Role, is_identifier, role_of, stored_role, strip};
use datafusion::common::tree_node::TreeNode;
use datafusion::logical_expr::{Aggregate, Distinct, Expr, JoinType, LogicalPlan};

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
                // rows made unique.
                Level::Person if input.cols.iter().any(|c| c.role == Role::Unit) => Ok(input),
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
            join(j, &left, &right, acc)
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

fn join(
    j: &datafusion::logical_expr::Join,
    left: &Info,
    right: &Info,
    acc: &mut Acc,
) -> Result<Info, Refusal> {
    use Level::{Person, Protected, Public};
    let col = |e: &Expr, plan: &LogicalPlan, info: &Info| -> Option<Col> {
        match e {
            Expr::Column(c) => plan
                .schema()
                .index_of_column(c)
                .ok()
                .and_then(|i| info.cols.get(i).cloned()),
            _ => None,
        }
    };
    let level = match (left.level, right.level) {
        (Public, Public) => Public,
        (Protected, Public | Protected) | (Public, Protected) => Protected,
        (Person, Protected) | (Protected, Person) => return Err(Refusal::MixesLevels),
        (Person, Person) => {
            // Every join of person rows equates one stored key with the
            // same key: the person with the person, a record id with the
            // column that references it. Expressions of keys never join.
            let keyed =
                j.on.iter().any(
                    |(l, r)| match (col(l, &j.left, left), col(r, &j.right, right)) {
                        (Some(lc), Some(rc)) => same_key(&lc.role, &rc.role),
                        _ => false,
                    },
                );
            if !keyed {
                return Err(Refusal::JoinLosesUnit);
            }
            for (l, r) in &j.on {
                let lc = role_of(l, j.left.schema(), &left.cols)?;
                let rc = role_of(r, j.right.schema(), &right.cols)?;
                let stored = matches!(l, Expr::Column(_)) && matches!(r, Expr::Column(_));
                if stored && same_key(&lc.role, &rc.role) {
                    continue;
                }
                if is_identifier(&lc.role) || is_identifier(&rc.role) {
                    return Err(Refusal::JoinLosesUnit);
                }
                // Another equality of the joined rows (`pl.start =
                // b.start`, the same municipality on both) is a
                // condition on them, under the rules for conditions.
                super::conditions::check_comparison(
                    datafusion::logical_expr::Operator::Eq,
                    l,
                    r,
                    &lc,
                    &rc,
                )?;
            }
            Person
        }
        (Person, Public) | (Public, Person) => {
            // Reference data joins on a dimension of the person's row (a
            // municipality code, a code, a year), never on an identifier,
            // a date, an amount or a per-person result: a public column
            // equal to any of those would let the query's conditions on
            // it (`population.age BETWEEN 3 AND 7`) pick exact values and
            // ranges the model never allows on the person's own data.
            if j.on.is_empty() {
                return Err(Refusal::JoinLosesUnit);
            }
            for (l, r) in &j.on {
                let (Some(lc), Some(rc)) = (col(l, &j.left, left), col(r, &j.right, right)) else {
                    return Err(Refusal::JoinOnExpression);
                };
                if is_identifier(&lc.role) || is_identifier(&rc.role) {
                    return Err(Refusal::JoinLosesUnit);
                }
                let person_side = if left.level == Person { &lc } else { &rc };
                if !matches!(person_side.role, Role::Dim(_)) {
                    return Err(Refusal::JoinNotOnDimension {
                        column: person_side.from.clone(),
                    });
                }
                // Joined on, a dimension is compared with whatever the
                // query then asks of the reference rows: one of a person's
                // date is of whole months (an age on a month's first day
                // joined with the population's ages would cut at a day).
                if person_side
                    .def
                    .as_deref()
                    .is_some_and(super::monthly::value_differs_within_a_month)
                {
                    return Err(Refusal::FineCondition {
                        what: person_side.from.clone(),
                    });
                }
            }
            // The reference side is one reference table as stored (its rows
            // filtered, its columns chosen), never a join or aggregate of
            // reference data: how many of its rows one person row meets is
            // then known from the table alone, and bounded before the query
            // runs. A join that multiplies a target's row by millions would
            // otherwise tell by its run time, or by reaching the time limit,
            // whether a condition on the target holds.
            let (public_plan, public_keys): (&LogicalPlan, Vec<&Expr>) = if left.level == Person {
                (&j.right, j.on.iter().map(|(_, r)| r).collect())
            } else {
                (&j.left, j.on.iter().map(|(l, _)| l).collect())
            };
            let Some(table) = plain_reference(public_plan) else {
                return Err(Refusal::ReferenceFan {
                    table: String::new(),
                });
            };
            let columns = public_keys
                .iter()
                .filter_map(|e| match e {
                    Expr::Column(c) => Some(c.name.clone()),
                    _ => None,
                })
                .collect();
            acc.reference_joins.push(ReferenceJoin { table, columns });
            Person
        }
    };
    if !matches!(
        j.join_type,
        JoinType::Inner
            | JoinType::Left
            | JoinType::Right
            | JoinType::Full
            | JoinType::LeftSemi
            | JoinType::LeftAnti
            | JoinType::RightSemi
            | JoinType::RightAnti
    ) {
        return Err(Refusal::Unsupported(format!("{} JOIN", j.join_type)));
    }
    let mut all = left.cols.clone();
    all.extend(right.cols.iter().cloned());
    if let Some(f) = &j.filter {
        let both = Info {
            level,
            cols: all.clone(),
            fan: Fan::default(),
        };
        if level == Person {
            // The join's own schema is the two sides side by side.
            let schema = j
                .left
                .schema()
                .join(j.right.schema())
                .map_err(|_| Refusal::Unsupported("a join condition".into()))?;
            role_of(f, &schema, &both.cols)?;
        } else {
            refuse_subqueries(f)?;
        }
    }
    let cols = match j.join_type {
        JoinType::LeftSemi | JoinType::LeftAnti => left.cols.clone(),
        JoinType::RightSemi | JoinType::RightAnti => right.cols.clone(),
        _ => all,
    };
    let fan = if level == Person {
        fan_of_join(j.join_type, left, right)?
    } else {
        Fan::default()
    };
    Ok(Info { level, cols, fan })
}

/// Whether two roles are one stored key: the person with the person, a
/// record id with the column that references it.
fn same_key(l: &Role, r: &Role) -> bool {
    match (l, r) {
        (Role::Unit, Role::Unit) => true,
        (Role::Key(a), Role::Key(b)) => a == b && *a != "text",
        _ => false,
    }
}

/// The rows per person after a join of two person-level inputs.
fn fan_of_join(kind: JoinType, left: &Info, right: &Info) -> Result<Fan, Refusal> {
    let (l, r) = (left.fan, right.fan);
    // Semi and anti joins keep one side's rows as they are.
    let fan = match kind {
        JoinType::LeftSemi | JoinType::LeftAnti => l,
        JoinType::RightSemi | JoinType::RightAnti => r,
        _ if left.level != Level::Person || right.level != Level::Person => {
            if left.level == Level::Person { l } else { r }
        }
        _ if l.per_person || r.per_person => Fan {
            per_person: l.per_person && r.per_person,
            products: l.products.max(r.products),
            copies: l.copies.saturating_mul(r.copies),
        },
        // A product of several rows per person on each side: of single
        // copies only.
        _ if l.copies > 1 || r.copies > 1 => return Err(Refusal::JoinFanOut),
        _ => Fan {
            per_person: false,
            products: l.products + r.products + 1,
            copies: 1,
        },
    };
    if fan.products > 1 || fan.copies > MAX_COPIES {
        return Err(Refusal::JoinFanOut);
    }
    Ok(fan)
}

/// The reference table `plan` reads as stored (through filters,
/// projections, aliases and sorts only), if it is one.
fn plain_reference(plan: &LogicalPlan) -> Option<String> {
    match plan {
        LogicalPlan::TableScan(scan) => {
            let table = scan.table_name.table();
            super::roles::PUBLIC_TABLES
                .contains(&table)
                .then(|| table.to_owned())
        }
        LogicalPlan::Projection(p) => plain_reference(&p.input),
        LogicalPlan::Filter(f) => plain_reference(&f.input),
        LogicalPlan::SubqueryAlias(a) => plain_reference(&a.input),
        LogicalPlan::Sort(s) => plain_reference(&s.input),
        _ => None,
    }
}
