//! Aggregates in a planner's plan: a per-person aggregate below the release
//! level, or a release aggregate whose groups are declared dimensions and
//! whose measures are declared, bounded and keyed by their own persons.

use super::{Fan, Info, Level, Measure, MeasureSpec, OwnAggregate, refuse_subqueries};
use crate::query::Refusal;
use crate::query::conditions::Grain;
use crate::query::roles::{
    Col, Domain, Role, is_identifier, literal, role_of, strip, tells_days_apart,
};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::expr::AggregateFunction;
use datafusion::logical_expr::{Aggregate, Expr, lit};

pub(super) fn aggregate(
    a: &Aggregate,
    input: &Info,
    aggs: &mut Vec<OwnAggregate>,
) -> Result<Info, Refusal> {
    match input.level {
        Level::Protected => return Err(Refusal::AggregateOverProtected),
        Level::Public => {
            for e in a.group_expr.iter().chain(&a.aggr_expr) {
                refuse_subqueries(e)?;
            }
            return Ok(Info {
                level: Level::Public,
                cols: vec![Col::public(Role::Value); a.schema.fields().len()],
                fan: Fan::default(),
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
    let group: Vec<Col> = a
        .group_expr
        .iter()
        .map(|e| role_of(e, a.input.schema(), &input.cols))
        .collect::<Result<_, _>>()?;
    if group.iter().any(|g| g.role == Role::Unit) {
        return per_person(a, input, group);
    }
    let mut domains = Vec::new();
    for (g, e) in group.iter().zip(&a.group_expr) {
        match &g.role {
            // Days, weeks and weekdays of a person's date are no declared
            // domain: a grid of them is a condition on each day at once,
            // and any two questions whose persons differ on one day show
            // it in that day's cell (a cell of a day answered anew or as
            // before tells whether a known person's date fell on it).
            Role::Dim(Domain::Days | Domain::Weeks | Domain::Weekdays { .. }) if g.person => {
                return Err(Refusal::NoDomain {
                    expr: crate::query::conditions::sql_of(e),
                });
            }
            // A dimension of a person's date is the same on every day of
            // a month (`age_at(birth_date, DATE '2025-03-04')` is not).
            Role::Dim(_) if g.person && differs_within_a_month(e, a, input) => {
                return Err(Refusal::FineCondition {
                    what: crate::query::conditions::sql_of(e),
                });
            }
            Role::Dim(d) => domains.push(d.clone()),
            Role::Key(_) => {
                return Err(Refusal::GroupsByIdentifier {
                    column: g.from.clone(),
                });
            }
            Role::Date if matches!(strip(e), Expr::Column(_)) => {
                return Err(Refusal::GroupsByIdentifier {
                    column: g.from.clone(),
                });
            }
            _ => {
                return Err(Refusal::NoDomain {
                    expr: e.schema_name().to_string(),
                });
            }
        }
    }
    let unit = input
        .cols
        .iter()
        .position(|c| c.role == Role::Unit)
        .ok_or(Refusal::NoPrivacyUnit)?;
    let unit_expr = Expr::Column(datafusion::common::Column::from(
        a.input.schema().qualified_field(unit),
    ));
    let mut measures = Vec::new();
    for e in &a.aggr_expr {
        measures.push(measure(e, a, input, &unit_expr)?);
    }
    aggs.push(OwnAggregate {
        node: a.clone(),
        unit,
        domains: domains.clone(),
        measures,
    });
    let mut cols: Vec<Col> = domains
        .into_iter()
        .map(|d| Col::public(Role::Dim(d)))
        .collect();
    cols.extend(a.aggr_expr.iter().map(|_| Col::public(Role::Value)));
    Ok(Info {
        level: Level::Protected,
        cols,
        fan: Fan::default(),
    })
}

/// Whether the grouping key `e` of `a`, read in stored columns through the
/// subqueries below, gives two days of one month different classes.
fn differs_within_a_month(e: &Expr, a: &Aggregate, input: &Info) -> bool {
    crate::query::monthly::value_differs_within_a_month(&crate::query::roles::inline(
        e,
        a.input.schema(),
        &input.cols,
    ))
}

/// An aggregate grouped by the person: each person's own rows summarised,
/// still one row per person.
fn per_person(a: &Aggregate, input: &Info, group: Vec<Col>) -> Result<Info, Refusal> {
    // Grouped by the person alone: one row per person; grouped by more,
    // a person's rows are fewer but not one.
    let fan = if group.iter().all(|g| g.role == Role::Unit) {
        Fan {
            per_person: true,
            ..Fan::default()
        }
    } else {
        Fan {
            per_person: false,
            products: input.fan.products,
            copies: input.fan.copies,
        }
    };
    // A person's rows grouped by a date or an amount as well: counted
    // later, they are the person's distinct dates (two on one day).
    if let Some(g) = group.iter().find(|g| tells_days_apart(&g.role)) {
        return Err(Refusal::PersonValuesCompared {
            what: g.from.clone(),
        });
    }
    // A class of a person's date, the same on every day of a month.
    for (g, e) in group.iter().zip(&a.group_expr) {
        if g.person && matches!(g.role, Role::Dim(_)) && differs_within_a_month(e, a, input) {
            return Err(Refusal::FineCondition {
                what: crate::query::conditions::sql_of(e),
            });
        }
    }
    let mut cols = group;
    for e in &a.aggr_expr {
        let Expr::AggregateFunction(AggregateFunction { func, params }) = strip(e) else {
            return Err(Refusal::Unsupported(e.schema_name().to_string()));
        };
        let name = func.name().to_ascii_lowercase();
        if !matches!(
            name.as_str(),
            "count" | "sum" | "min" | "max" | "avg" | "mean" | "bool_and" | "bool_or"
        ) {
            return Err(Refusal::PersonValueAggregate { function: name });
        }
        let mut parts = Vec::new();
        for arg in &params.args {
            parts.push(role_of(arg, a.input.schema(), &input.cols)?);
        }
        if let Some(f) = &params.filter {
            role_of(f, a.input.schema(), &input.cols)?;
        }
        // A person's distinct dates or amounts, counted or summed, tell
        // whether two of them are equal.
        if params.distinct
            && let Some(p) = parts.iter().find(|p| tells_days_apart(&p.role))
        {
            return Err(Refusal::PersonValuesCompared {
                what: p.from.clone(),
            });
        }
        // COUNT(record_id) counts a person's records; any other use of an
        // identifier is an expression of it.
        if name != "count" && parts.iter().any(|p| is_identifier(&p.role)) {
            return Err(Refusal::IdentifierExpression {
                column: parts[0].from.clone(),
            });
        }
        let role = match (name.as_str(), parts.first().map(|p| &p.role)) {
            ("min" | "max", Some(Role::Date)) => Role::Date,
            ("min" | "max", Some(Role::Dim(d))) => Role::Dim(d.clone()),
            ("bool_and" | "bool_or", _) => Role::Dim(Domain::Bool),
            // A person's number of records: a whole count.
            ("count", _) => Role::Measure(crate::query::roles::Bounds {
                lo: 0.0,
                hi: crate::query::ROW_CAP,
                grain: crate::query::conditions::Grain::Count,
            }),
            _ => Role::Value,
        };
        let from = parts
            .first()
            .map(|p| p.from.clone())
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| format!("{name}(…)"));
        // A person's earliest or latest value is one of their values, and
        // whether any or every row holds is one row's condition: the rules
        // read them as that value and that condition (`MIN(birth_date)`
        // compared at a day is the birth date compared at a day).
        let def = match (name.as_str(), parts.first()) {
            ("min" | "max" | "bool_and" | "bool_or", Some(p)) if p.def.is_some() => p.def.clone(),
            _ => Some(std::sync::Arc::new(crate::query::roles::inline(
                e,
                a.input.schema(),
                &input.cols,
            ))),
        };
        cols.push(Col {
            role,
            person: true,
            from,
            def,
        });
    }
    Ok(Info {
        level: Level::Person,
        cols,
        fan,
    })
}

/// Classifies one aggregate expression of a release aggregate.
fn measure(e: &Expr, a: &Aggregate, input: &Info, unit: &Expr) -> Result<MeasureSpec, Refusal> {
    let schema = a.input.schema();
    let Expr::AggregateFunction(AggregateFunction { func, params }) = strip(e) else {
        return Err(Refusal::Unsupported(e.schema_name().to_string()));
    };
    let name = func.name().to_ascii_lowercase();
    let mut filter = match &params.filter {
        Some(f) => {
            role_of(f, schema, &input.cols)?;
            Some(f.as_ref().clone())
        }
        None => None,
    };
    let arg = params.args.first().cloned();
    // CASE WHEN c THEN x [ELSE NULL | ELSE 0] END measures x over the rows
    // where c holds.
    let (arg, when) = match arg.as_ref().map(strip) {
        Some(Expr::Case(case)) if case.expr.is_none() && case.when_then_expr.len() == 1 => {
            let neutral = case
                .else_expr
                .as_deref()
                .is_none_or(|x| literal(x).is_some_and(|v| v.is_null() || is_zero(v)));
            if !neutral {
                return Err(Refusal::MeasureNotDeclared {
                    expr: e.schema_name().to_string(),
                });
            }
            let (c, x) = &case.when_then_expr[0];
            role_of(c, schema, &input.cols)?;
            (Some(x.as_ref().clone()), Some(c.as_ref().clone()))
        }
        _ => (arg, None),
    };
    if let Some(w) = when {
        filter = Some(match filter {
            Some(f) => f.and(w),
            None => w,
        });
    }
    let role = |x: &Expr| role_of(x, schema, &input.cols);
    match (name.as_str(), params.distinct) {
        ("count", true) => {
            let Some(x) = arg else {
                return Err(Refusal::DistinctOther);
            };
            if role(&x)?.role != Role::Unit {
                return Err(Refusal::DistinctOther);
            }
            Ok(MeasureSpec {
                measure: Measure::Persons,
                arg: unit.clone(),
                filter,
            })
        }
        ("count", false) => {
            let x = arg.unwrap_or_else(|| lit(1_i64));
            // Counting rows where a column is set is counting rows with a
            // condition; the column's value itself is not used.
            if literal(&x).is_none() {
                role_of_or_key(&x, schema, &input.cols)?;
                let set = x.clone().is_not_null();
                filter = Some(match filter {
                    Some(f) => f.and(set),
                    None => set,
                });
            }
            Ok(MeasureSpec {
                measure: Measure::Records { scale: 1.0 },
                arg: lit(1_i64),
                filter,
            })
        }
        ("sum" | "avg" | "mean", true) => Err(Refusal::DistinctOther),
        ("sum" | "avg" | "mean", false) => {
            let Some(x) = arg else {
                return Err(Refusal::MeasureNotDeclared {
                    expr: e.schema_name().to_string(),
                });
            };
            if name == "sum"
                && let Some(k) = literal(&x).and_then(number)
            {
                // A sum of a constant is a count of rows, protected as one.
                return Ok(MeasureSpec {
                    measure: Measure::Records { scale: k },
                    arg: lit(1_i64),
                    filter,
                });
            }
            let Role::Measure(bounds) = role(&x)?.role else {
                return Err(Refusal::MeasureNotDeclared {
                    expr: e.schema_name().to_string(),
                });
            };
            // The persons of a sum are those who add something, so a sum
            // is also the condition "x > 0", which must be one the rules
            // for conditions allow: days of a window by a rule that
            // leaves the last day out were "ended after the 1st", a window
            // from `add_months(start, 6)` "ended on the 6-month day", and
            // working days "not decided the day it came" (an attacker of
            // this model aimed the four-person boundary so, 2026-12-08).
            if matches!(bounds.grain, Grain::Uncut | Grain::WorkingDays) {
                return Err(Refusal::FineCondition {
                    what: crate::query::conditions::sql_of(e),
                });
            }
            Ok(MeasureSpec {
                measure: if name == "sum" {
                    Measure::Sum(bounds)
                } else {
                    Measure::Avg(bounds)
                },
                arg: x,
                filter,
            })
        }
        _ => Err(Refusal::PersonValueAggregate { function: name }),
    }
}

/// `COUNT(x)` may name an identifier column (rows where it is set).
fn role_of_or_key(
    x: &Expr,
    schema: &datafusion::common::DFSchema,
    cols: &[Col],
) -> Result<(), Refusal> {
    if let Expr::Column(_) = strip(x) {
        return Ok(());
    }
    role_of(x, schema, cols).map(|_| ())
}

fn is_zero(v: &ScalarValue) -> bool {
    number(v) == Some(0.0)
}

fn number(v: &ScalarValue) -> Option<f64> {
    match v.cast_to(&datafusion::arrow::datatypes::DataType::Float64) {
        Ok(ScalarValue::Float64(Some(x))) if x.is_finite() => Some(x),
        _ => None,
    }
}
