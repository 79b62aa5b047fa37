//! Two of a person's dates compared with each other: a duration, and what
//! each side of one may be.
//!
//! A duration compares a person's own stored dates, each moved by whole
//! months, by days or by working days, and the two moves differ by a day
//! count on the grid ([`super::conditions::DAY_EDGES`]). Anything else in
//! a side is a date the query chooses, against which the other side is cut
//! at a day: an attacker of this model anchored a birth date at the first
//! day of the placement's year (`date_trunc('year', pl.start)`), moved it
//! by a chain of day counts each on the grid (31 days on, 30 back, 14 on:
//! 15 days in all) and, with the placement's year known, read a child's
//! birth date to the day (2026-12-07). So a side is read as a whole: a
//! stored date and the sum of its moves, or not a person's own date at
//! all.

use super::conditions::{DAY_EDGES, counts_working_days};
use super::roles::{Role, literal, stored_role};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, Operator};

/// How a person's own date is moved: the sum of every move in a side.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shift {
    /// Calendar months (`add_months`, `INTERVAL '3 months'`).
    months: i64,
    /// Calendar days.
    days: i64,
    /// Working days (`add_working_days`, `time_limit_end`).
    working: i64,
}

impl Shift {
    /// Moved by whole months at most.
    pub(crate) fn by_months_only(self) -> bool {
        self.days == 0 && self.working == 0
    }

    fn plus(self, other: Shift, sign: i64) -> Shift {
        Shift {
            months: self.months + sign * other.months,
            days: self.days + sign * other.days,
            working: self.working + sign * other.working,
        }
    }
}

/// How `expr` moves one of a person's stored dates, if it is one, moved by
/// literal months, days or working days (to the next working day by
/// `deadline_day`, the statutory rule); `None` for anything else.
pub(crate) fn own_date(expr: &Expr) -> Option<Shift> {
    match expr {
        Expr::Alias(a) => own_date(&a.expr),
        Expr::Cast(datafusion::logical_expr::Cast { expr, field })
        | Expr::TryCast(datafusion::logical_expr::TryCast { expr, field })
            if matches!(
                field.data_type(),
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
            ) =>
        {
            own_date(expr)
        }
        Expr::Column(c) => {
            let table = c.relation.as_ref()?.table();
            (stored_role(table, &c.name) == Role::Date).then(Shift::default)
        }
        Expr::BinaryExpr(b) if matches!(b.op, Operator::Plus | Operator::Minus) => {
            let sign = if b.op == Operator::Minus { -1 } else { 1 };
            if let Some(by) = literal(&b.right).and_then(moved_by) {
                Some(own_date(&b.left)?.plus(by, sign))
            } else if b.op == Operator::Plus {
                let by = literal(&b.left).and_then(moved_by)?;
                Some(own_date(&b.right)?.plus(by, 1))
            } else {
                None
            }
        }
        Expr::ScalarFunction(f) => {
            let name = f.func.name().to_ascii_lowercase();
            let count = || {
                f.args
                    .get(1)
                    .and_then(literal)
                    .and_then(|v| v.cast_to(&DataType::Int64).ok())
                    .and_then(|v| match v {
                        ScalarValue::Int64(Some(n)) => Some(n),
                        _ => None,
                    })
            };
            let first = || f.args.first().and_then(own_date);
            match name.as_str() {
                "add_months" => Some(first()?.plus(
                    Shift {
                        months: count()?,
                        ..Shift::default()
                    },
                    1,
                )),
                n if counts_working_days(n) => Some(first()?.plus(
                    Shift {
                        working: count()?,
                        ..Shift::default()
                    },
                    1,
                )),
                "deadline_day" => first(),
                // The earliest or latest of a person's own dates moved
                // alike is one of them, moved so.
                "greatest" | "least" | "coalesce" => {
                    let shifts: Vec<Shift> = f.args.iter().map(own_date).collect::<Option<_>>()?;
                    let one = *shifts.first()?;
                    shifts.iter().all(|s| *s == one).then_some(one)
                }
                // The end of a person's compensation window: their home
                // date moved by whole years, or their citizenship date.
                "compensation_end" => {
                    let dates: Vec<&Expr> = f
                        .args
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != 1 && *i != 3)
                        .map(|(_, e)| e)
                        .collect();
                    dates
                        .iter()
                        .all(|e| {
                            literal(e).is_some_and(ScalarValue::is_null)
                                || own_date(e).is_some_and(Shift::by_months_only)
                        })
                        .then(Shift::default)
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The move a literal makes, added to a date.
fn moved_by(v: &ScalarValue) -> Option<Shift> {
    let days = |d: i64| Shift {
        days: d,
        ..Shift::default()
    };
    match v {
        ScalarValue::IntervalYearMonth(Some(m)) => Some(Shift {
            months: i64::from(*m),
            ..Shift::default()
        }),
        ScalarValue::IntervalDayTime(Some(x)) if x.milliseconds == 0 => {
            Some(days(i64::from(x.days)))
        }
        ScalarValue::IntervalMonthDayNano(Some(x)) if x.nanoseconds == 0 => Some(Shift {
            months: i64::from(x.months),
            days: i64::from(x.days),
            working: 0,
        }),
        ScalarValue::Int8(Some(_))
        | ScalarValue::Int16(Some(_))
        | ScalarValue::Int32(Some(_))
        | ScalarValue::Int64(Some(_)) => match v.cast_to(&DataType::Int64).ok()? {
            ScalarValue::Int64(Some(n)) => Some(days(n)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether two of a person's own dates, moved so, may be compared: the
/// moves differ by a day count on the grid, in calendar or working days
/// but not both, and by any number of months.
pub(crate) fn comparable(left: Shift, right: Shift) -> bool {
    let on_grid = |d: i64| DAY_EDGES.contains(&d.abs());
    let days = left.days - right.days;
    let working = left.working - right.working;
    if left.working != 0 && right.working != 0 {
        return false;
    }
    on_grid(days) && on_grid(working) && (days == 0 || working == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::logical_expr::{col, lit};

    fn interval_days(d: i32) -> Expr {
        lit(ScalarValue::IntervalMonthDayNano(Some(
            datafusion::arrow::datatypes::IntervalMonthDayNano::new(0, d, 0),
        )))
    }

    #[test]
    fn a_side_is_read_as_the_sum_of_its_moves() {
        let start = col("cw_placement.start");
        let chain = (start.clone() + interval_days(31)) - interval_days(30) + interval_days(14);
        let shift = own_date(&chain).unwrap();
        assert!(!comparable(shift, Shift::default()), "15 days in all");
        let week = start.clone() + interval_days(7);
        assert!(comparable(own_date(&week).unwrap(), Shift::default()));
        // Both sides moved: 31 against 30 days is one day apart.
        let other = col("cw_placement.end") + interval_days(30);
        assert!(!comparable(
            own_date(&(start + interval_days(31))).unwrap(),
            own_date(&other).unwrap()
        ));
    }

    #[test]
    fn a_date_the_query_chooses_is_not_a_persons_own() {
        assert!(own_date(&lit(ScalarValue::Date32(Some(19_000)))).is_none());
        assert!(own_date(&col("person.sex")).is_none());
        assert!(own_date(&col("person.birth_date")).is_some());
    }
}
