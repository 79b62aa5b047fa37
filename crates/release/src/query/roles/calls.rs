//! Roles of `CASE`, casts and function calls: only casts that cannot fail
//! on a stored value and functions on the allowlist are accepted.

use super::catalogue::MEASURE_FUNCTIONS;
use super::{Col, Domain, Role, derived, is_identifier, literal, role_of};
use crate::query::Refusal;
use crate::query::conditions::{check_comparison, dates_on_month_starts, shifts_by_days};
use crate::query::durations::{Shift, own_date, reads_birth_date};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::logical_expr::{Expr, ExprSchemable, Operator};

pub(super) fn case(
    c: &datafusion::logical_expr::expr::Case,
    schema: &DFSchema,
    cols: &[Col],
) -> Result<Col, Refusal> {
    let mut parts = Vec::new();
    let base = match &c.expr {
        Some(e) => Some((e.as_ref(), role_of(e, schema, cols)?)),
        None => None,
    };
    if let Some((_, b)) = &base {
        parts.push(b.clone());
    }
    let mut results = Vec::new();
    for (when, then) in &c.when_then_expr {
        let w = role_of(when, schema, cols)?;
        // `CASE x WHEN v` compares x with v.
        if let Some((e, b)) = &base {
            check_comparison(Operator::Eq, e, when, b, &w)?;
        }
        parts.push(w);
        results.push(then.as_ref());
    }
    if let Some(e) = &c.else_expr {
        results.push(e.as_ref());
    }
    for r in &results {
        parts.push(role_of(r, schema, cols)?);
    }
    // A CASE of literals only is a dimension with those labels.
    let all_literal = results.iter().all(|r| literal(r).is_some());
    let mut literals: Vec<ScalarValue> = results
        .iter()
        .filter_map(|r| literal(r))
        .filter(|v| !v.is_null())
        .cloned()
        .collect();
    let role = if all_literal && !literals.is_empty() {
        literals.dedup();
        Role::Dim(Domain::Literals(literals))
    } else {
        Role::Value
    };
    derived(&parts, role)
}

pub(super) fn cast(
    inner: &Expr,
    to: &DataType,
    lenient: bool,
    schema: &DFSchema,
    cols: &[Col],
) -> Result<Col, Refusal> {
    let c = role_of(inner, schema, cols)?;
    // At the level of persons even a public value's conversion may be
    // reached conditionally, so it must not fail either.
    if !c.person && !cols.iter().any(|c| c.person) {
        return Ok(c);
    }
    if is_identifier(&c.role) {
        return Err(Refusal::IdentifierExpression { column: c.from });
    }
    let from = inner
        .get_type(schema)
        .map_err(|_| Refusal::Unsupported("a conversion".into()))?;
    if !lenient && !cast_is_total(&from, to) {
        return Err(Refusal::MayFail {
            what: format!("CAST from {from} to {to}"),
        });
    }
    let role = match c.role {
        Role::Dim(d) => Role::Dim(d),
        Role::Measure(b) if to.is_numeric() => Role::Measure(b),
        Role::Date
            if matches!(
                to,
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
            ) =>
        {
            Role::Date
        }
        _ => Role::Value,
    };
    Ok(Col { role, ..c })
}

/// Conversions that succeed for every value of the source type.
fn cast_is_total(from: &DataType, to: &DataType) -> bool {
    use DataType::{
        Boolean, Date32, Date64, Decimal128, Float32, Float64, Int8, Int16, Int32, Int64,
        LargeUtf8, Timestamp, UInt8, UInt16, UInt32, Utf8, Utf8View,
    };
    if from == to {
        return true;
    }
    let int = |t: &DataType| matches!(t, Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32);
    match (from, to) {
        (_, Utf8 | LargeUtf8 | Utf8View) => !matches!(from, DataType::Binary),
        (Utf8 | LargeUtf8 | Utf8View, _) => false,
        (f, Float64) if int(f) || matches!(f, Float32 | Decimal128(..) | Boolean) => true,
        (f, Int64) if int(f) || matches!(f, Boolean) => true,
        (Int8 | Int16 | UInt8, Int32) | (Int8 | UInt8, Int16) => true,
        (Decimal128(p1, s1), Decimal128(p2, s2)) => {
            s2 >= s1 && i16::from(*p2) - i16::from(*s2) >= i16::from(*p1) - i16::from(*s1)
        }
        (f, Decimal128(p, s)) if int(f) => i16::from(*p) - i16::from(*s) >= 20,
        (Date32, Date64 | Timestamp(..)) => true,
        _ => false,
    }
}

/// The text of a literal argument (a date part's name, a day rule).
fn text(e: &Expr) -> Option<&str> {
    literal(e)?.try_as_str().flatten()
}

/// The role a call of an allowed function gives, or why it is not allowed.
pub(super) fn function_role(name: &str, exprs: &[Expr], args: &[Col]) -> Result<Role, Refusal> {
    let part = || text(exprs.first()?).map(str::to_ascii_lowercase);
    Ok(match name {
        "date_part" | "datepart" => {
            let Some(part) = part() else {
                return Err(Refusal::NotAllowed {
                    what: "date_part with a part from the data".into(),
                });
            };
            // A part of a person's own date, moved by whole months at most:
            // the month of `GREATEST(start, DATE '2025-03-04')` or of
            // `start + INTERVAL '1 day'` cuts the date at a day the query
            // chooses, and as a dimension of the grid it did so for an
            // attacker of this model (a child's placement read to the day
            // in 16 questions, 2026-12-08).
            if exprs.iter().zip(args).skip(1).any(|(e, a)| {
                a.person
                    && a.role == Role::Date
                    && !own_date(a.stored(e))
                        .is_some_and(|s| s.by_months_only() && !s.moved_to_a_working_day())
            }) {
                return Err(Refusal::FineCondition {
                    what: call_text(name, exprs),
                });
            }
            match part.as_str() {
                "year" | "years" => Role::Dim(Domain::Years),
                "quarter" => Role::Dim(Domain::Quarters),
                "month" | "months" => Role::Dim(Domain::Months),
                "week" => Role::Dim(Domain::Weeks),
                "day" | "days" => Role::Dim(Domain::Days),
                "dow" => Role::Dim(Domain::Weekdays { iso: false }),
                "isodow" => Role::Dim(Domain::Weekdays { iso: true }),
                _ => Role::Value,
            }
        }
        "date_trunc" | "datetrunc" => {
            let Some(unit) = part() else {
                return Err(Refusal::NotAllowed {
                    what: "date_trunc with a unit from the data".into(),
                });
            };
            // A week (or a day) starts on any day of a month: compared with
            // a month's first day it cuts a person's date at a day.
            let coarse = matches!(
                unit.as_str(),
                "year" | "years" | "quarter" | "quarters" | "month" | "months"
            );
            if !coarse && args.iter().any(|a| a.person) {
                return Err(Refusal::NotAllowed {
                    what: format!("date_trunc('{unit}', …) of a person's date"),
                });
            }
            Role::Date
        }
        "age_at_year_end" | "age_at" => {
            if chosen_date(exprs, args) || !one_form_of_an_age(name, exprs, args) {
                return Err(Refusal::FineCondition {
                    what: call_text(name, exprs),
                });
            }
            Role::Dim(Domain::Ages)
        }
        // deadline_day moves a date to the next working day: total.
        "add_months" | "compensation_end" | "deadline_day" => Role::Date,
        "add_working_days" | "time_limit_end" => {
            // The count of days must be a small constant: a count from the
            // data could run for a very long time.
            let small = exprs
                .get(1)
                .and_then(literal)
                .and_then(|v| v.cast_to(&DataType::Int64).ok())
                .is_some_and(
                    |v| matches!(v, ScalarValue::Int64(Some(n)) if (0..=1000).contains(&n)),
                );
            if !small || args.get(1).is_some_and(|a| a.person) {
                return Err(Refusal::MayFail {
                    what: format!("{name} with a count from the data"),
                });
            }
            Role::Date
        }
        "coalesce" | "nullif" | "greatest" | "least" => {
            // `NULLIF(x, c) IS NULL` is `x = c`: compared as that (an
            // attacker of this model picked a child by the exact birth
            // date and an invoice by its exact price so, 2026-12-07).
            if name == "nullif"
                && args.iter().any(|a| a.person)
                && let ([l, r], [lc, rc]) = (exprs, args)
            {
                check_comparison(Operator::Eq, l, r, lc, rc)?;
            }
            if args.iter().all(|a| a.role == Role::Date || !a.person) {
                Role::Date
            } else {
                Role::Value
            }
        }
        // A prefix or suffix of a person's value is a condition on it at
        // any grain: `starts_with(CAST(birth_date AS VARCHAR),
        // '2011-11-13')` picked one child (an attacker of this model,
        // 2026-12-07). Of public data only.
        "starts_with" | "ends_with" if args.iter().any(|a| a.person) => {
            return Err(Refusal::FineCondition {
                what: call_text(name, exprs),
            });
        }
        // Total on any text: no position or length from the data.
        "lower" | "upper" | "trim" | "btrim" | "ltrim" | "rtrim" | "length" | "char_length"
        | "character_length" | "starts_with" | "ends_with" | "concat" | "concat_ws" => Role::Value,
        _ => {
            if let Some((_, b)) = MEASURE_FUNCTIONS.iter().find(|(n, _)| *n == name) {
                if chosen_date(exprs, args) {
                    return Err(Refusal::FineCondition {
                        what: call_text(name, exprs),
                    });
                }
                // Days between two of a person's dates are a duration; days
                // between a person's date and a fixed one are that date cut
                // wherever the count says (`care_days(DATE '2010-03-01',
                // birth_date, …) > 30`), so only whether it is set may be
                // asked of them.
                let person_dates = args
                    .iter()
                    .take(2)
                    .filter(|a| a.person && a.role == Role::Date)
                    .count();
                if person_dates == 1 {
                    return Ok(Role::Value);
                }
                // A window of fixed days cuts a person's dates wherever it
                // is drawn: `care_days(birth_date, birth_date, DATE
                // '2013-09-02', DATE '2013-09-03', …)` is one for the
                // children born that day (an attacker read every placed
                // child's birth date so, 2026-12-07). Its edges are months'
                // first days (the window ends before its last), however
                // written, and a person's date in it is moved by whole
                // months only.
                if args.iter().any(|a| a.person)
                    && !exprs.iter().zip(args).all(|(e, a)| {
                        let e = a.stored(e);
                        dates_on_month_starts(e) && !shifts_by_days(e)
                    })
                {
                    return Err(Refusal::FineCondition {
                        what: call_text(name, exprs),
                    });
                }
                // Days from a birth date, which an attacker knows, to
                // another of the person's dates cut that date at a day, even asked only
                // whether they are set (`working_days_after(add_months(
                // birth_date, 148), start) > 0` with the start on or past
                // that birthday is the birthday itself, an attacker of
                // this model, 2026-12-07). A month's compensation takes
                // the birth date for its age-based rate only.
                let births = exprs
                    .iter()
                    .zip(args)
                    .filter(|(_, a)| a.person && a.role == Role::Date)
                    .map(|(e, a)| reads_birth_date(a.stored(e)));
                let (mut birth, mut other) = (false, false);
                for b in births {
                    birth |= b;
                    other |= !b;
                }
                if name != "compensation_month" && birth && other {
                    return Ok(Role::Value);
                }
                // Working days counted under another rule for the Eves are
                // another cut of the same limit, a day or a weekend apart;
                // days of a window are set where the rules for conditions
                // cut only by the rule that counts the last day.
                if (name == "working_days_after" && exprs.len() > 2)
                    || (name == "care_days" && !presence_on_month_edges(exprs, args))
                {
                    return Ok(Role::Measure(crate::query::roles::Bounds {
                        grain: crate::query::conditions::Grain::Uncut,
                        ..*b
                    }));
                }
                Role::Measure(*b)
            } else {
                return Err(Refusal::NotAllowed {
                    what: format!("the function {name}"),
                });
            }
        }
    })
}

/// Whether a date of person data passed to a call is not a person's own
/// date moved by whole months: a date the query chooses, such as a year's
/// first day of another date (`date_trunc('year', start)`) or the later of
/// a date and a fixed day, against which the call cuts the other date at a
/// day (`working_days_after(birth_date, GREATEST(start, DATE
/// '2025-03-01')) > 7`, `age_at(birth_date, date_trunc('month', start))`).
fn chosen_date(exprs: &[Expr], args: &[Col]) -> bool {
    exprs.iter().zip(args).any(|(e, a)| {
        a.person
            && a.role == Role::Date
            && !own_date(a.stored(e)).is_some_and(Shift::by_months_only)
    })
}

/// Whether `age_at` of two of a person's dates is the one form of that
/// age: the birth date and the other date, neither moved. An age is also
/// `x >= add_months(birth_date, 12 * n)`, which a month's end clips apart
/// from other forms: `age_at(start, "end")` against `"end" >= add_months(start,
/// 12)` tells a start on 29 February, and `age_at(birth_date,
/// add_months(x, 6))` against `x >= add_months(birth_date, 210)` an x on
/// 28 February for those born on 29–31 August (an attacker of this model
/// read the first, 2026-12-07).
fn one_form_of_an_age(name: &str, exprs: &[Expr], args: &[Col]) -> bool {
    if name != "age_at"
        || !args
            .iter()
            .take(2)
            .all(|a| a.person && a.role == Role::Date)
    {
        return true;
    }
    let unmoved = |i: usize| {
        exprs
            .get(i)
            .zip(args.get(i))
            .is_some_and(|(e, a)| own_date(a.stored(e)) == Some(Shift::default()))
    };
    let birth = exprs
        .first()
        .zip(args.first())
        .is_some_and(|(e, a)| reads_birth_date(a.stored(e)));
    birth && unmoved(0) && unmoved(1)
}

/// Whether `care_days(a, b, from, until, rule) > 0` cuts only where the
/// rules for conditions cut: `a < until` and `b >= from` at months' first
/// days, and `a <= b` in the one order of the two dates
/// ([`crate::query::durations::first_side`]). So the rule counts a
/// period's last day (`INCLUSIVE`; the others leave it out, and "any day
/// set" is then `b > from`, a cut between a month's 1st and 2nd), the
/// period's dates come in their order, and the window is fixed.
fn presence_on_month_edges(exprs: &[Expr], args: &[Col]) -> bool {
    let rule = exprs.get(4).and_then(text);
    let fixed_window = args.iter().skip(2).take(2).all(|a| !a.person);
    let in_order = match (
        exprs.first().zip(args.first()),
        exprs.get(1).zip(args.get(1)),
    ) {
        // A date to itself (`care_days(birth_date, birth_date, …)`, born
        // in the window's month) is in order too.
        (Some((e0, a0)), Some((e1, a1))) => {
            a0.stored(e0) == a1.stored(e1)
                || crate::query::durations::first_side(a0.stored(e0), a1.stored(e1))
                    == Some(crate::query::durations::Side::Left)
        }
        _ => false,
    };
    rule.is_some_and(|r| r == "INCLUSIVE") && fixed_window && in_order
}

/// A call as the planner wrote it: a refusal names it so, in any language.
fn call_text(name: &str, exprs: &[Expr]) -> String {
    let shown: Vec<String> = exprs.iter().map(|e| e.schema_name().to_string()).collect();
    format!("{name}({})", shown.join(", "))
}
