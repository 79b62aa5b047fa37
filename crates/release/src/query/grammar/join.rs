//! Joins in a planner's plan: person rows joined on their stored keys
//! (a person's key, a record id with the column that references it), with
//! public reference tables on declared codes, and how a join multiplies a
//! person's rows.

use super::{Acc, Fan, Info, Level, MAX_COPIES, ReferenceJoin, refuse_subqueries};
use crate::query::Refusal;
use crate::query::roles::{Col, Role, is_identifier, role_of};
use datafusion::logical_expr::{Expr, JoinType, LogicalPlan};

pub(super) fn join(
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
                crate::query::conditions::check_comparison(
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
                    .is_some_and(crate::query::monthly::value_differs_within_a_month)
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
            crate::query::roles::PUBLIC_TABLES
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
