//! Two of a person's dates compared with each other: a duration, and what
//! each side of one may be.
//!
//! A duration compares a person's own stored dates, each moved by whole
//! months or by 7 or 14 working days, in one unit ([`comparable`]), and
//! cut one way ([`cut_on_grid`]). Anything else in
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
    /// Moved on to the next working day (`deadline_day`).
    deadline: bool,
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
            deadline: self.deadline || other.deadline,
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
                // `time_limit_end(x, 0)` is `deadline_day(x)`: x, or past a
                // weekend or holiday to the next working day.
                n if counts_working_days(n) => {
                    let working = count()?;
                    Some(first()?.plus(
                        Shift {
                            working,
                            deadline: working == 0 && n.eq_ignore_ascii_case("time_limit_end"),
                            ..Shift::default()
                        },
                        1,
                    ))
                }
                "deadline_day" => first().map(|s| Shift {
                    deadline: true,
                    ..s
                }),
                // The earliest or latest of a person's own dates moved
                // alike is one of them, moved so.
                "greatest" | "least" | "coalesce" => {
                    let shifts: Vec<Shift> = f.args.iter().map(own_date).collect::<Option<_>>()?;
                    let one = *shifts.first()?;
                    shifts.iter().all(|s| *s == one).then_some(one)
                }
                // `compensation_end` is not one: the home date moved by
                // whole years or the citizenship date, whichever the data
                // say, so it is a limit against one and a date against the
                // other, and "at most the end" beside "at least the home
                // date moved by 36 months" asked for one day (an attacker
                // of this model, 2026-12-07).
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
            ..Shift::default()
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

/// Whether two of a person's own dates, moved so, may be compared: one
/// unit only, and coarse: whole months, or 7 or 14 working days (the
/// statutory limits), never calendar days nor the next working day. Cuts
/// in two units a few days apart make a class of a day: `"end" >
/// add_months(start, 3)` and `"end" <= start + INTERVAL '90 days'` is a
/// placement of exactly 90 days begun in February, and `deadline_day`
/// against the same limit without it is the weekend between (an attacker
/// of this model read exact placement lengths so, 2026-12-07). Working
/// days up to 14 are under 21 calendar days, so no cut in them comes
/// within a week of a month's.
pub(crate) fn comparable(left: Shift, right: Shift) -> bool {
    let single = |s: Shift| s.days == 0 && !s.deadline && (s.months == 0 || s.working == 0);
    // One side moved, forwards: `b <= add_months(a, 3)` has one form.
    // `add_months(b, -3) <= a` and `add_months(b, 3) <= add_months(a, 6)`
    // say nearly the same, but a month's end clips them apart (b on 30 or
    // 31 March against a on 28 February), and so do working days over a
    // weekend: two forms of one question would differ by a class of days.
    let forwards = |s: Shift| s.months >= 0 && s.working >= 0;
    let moved = |s: Shift| s.months != 0 || s.working != 0;
    if !single(left) || !single(right) || !forwards(left) || !forwards(right) {
        return false;
    }
    if moved(left) && moved(right) {
        return false;
    }
    let working = left.working - right.working;
    WORKING_EDGES.contains(&working.abs())
}

/// Working days a duration may be cut at: the statutory 7 (LsL 26 §) and
/// twice it.
pub const WORKING_EDGES: &[i64] = &[0, 7, 14];

/// Whether `left op right`, two of a person's own dates moved so, cuts
/// their distance where the grid allows, in one way only: "at most e days
/// apart" or "more than e days apart" for an edge e (either way round), so
/// that two questions at one edge cannot tell that distance itself apart
/// (`decision_date >= add_working_days(received_date, 7)` and `>` differ
/// by the decisions of exactly 7 working days).
///
/// With no days between the sides (the same day, or whole months apart)
/// the two ways of cutting are mirror images (`a <= b` is `NOT (b < a)`),
/// and `a <= b` with `a < b` is "the same day", a class of one day. So
/// there the dates are cut one way that every question shares, never with
/// `=`: a date at most a limit or past it where one side is moved by
/// months (`s.start <= add_months(c.home_date, 3)`, `"end" > add_months(start,
/// 3)`), else in the order of [`first_side`] (`first <= second` or its
/// negation), and not at all where no order tells the sides apart (the
/// same stored column of two records).
pub(crate) fn cut_on_grid(op: Operator, left: Shift, right: Shift, order: Option<Side>) -> bool {
    // With d the right date less the left one and k the left side's moves
    // less the right side's, `<=` is d >= k, `>` is d < k (a cut at k -
    // 1/2), `<` is d > k and `>=` is d <= k (a cut at k + 1/2). In halves:
    let k = if left.working != 0 || right.working != 0 {
        left.working - right.working
    } else {
        left.days - right.days
    };
    if k == 0 {
        return match first_of(left, right, order) {
            Some(Side::Left) => matches!(op, Operator::LtEq | Operator::Gt),
            Some(Side::Right) => matches!(op, Operator::GtEq | Operator::Lt),
            None => false,
        };
    }
    let cut = match op {
        Operator::LtEq | Operator::Gt => 2 * k - 1,
        Operator::Lt | Operator::GtEq => 2 * k + 1,
        _ => return false,
    };
    let twice_edge = cut.abs() - 1;
    twice_edge % 2 == 0 && DAY_EDGES.contains(&(twice_edge / 2))
}

/// The two ways `left` and `right`, no days apart, may be compared where
/// `op` is not one of them (`a <= b` and `a > b` where `a < b` was asked).
pub(crate) fn allowed_order(
    op: Operator,
    left: Shift,
    right: Shift,
    order: Option<Side>,
) -> Option<[Operator; 2]> {
    let no_days = left.working == right.working && left.days == right.days;
    if !no_days || !comparable(left, right) || cut_on_grid(op, left, right, order) {
        return None;
    }
    match first_of(left, right, order)? {
        Side::Left => Some([Operator::LtEq, Operator::Gt]),
        Side::Right => Some([Operator::GtEq, Operator::Lt]),
    }
}

/// The side that comes first where two dates are no days apart: the one
/// not moved where the other is moved forwards by months, a time limit
/// reached on its day (`s.start <= add_months(c.home_date, 3)`), else the
/// one of `order`.
fn first_of(left: Shift, right: Shift, order: Option<Side>) -> Option<Side> {
    match left.months.cmp(&right.months) {
        std::cmp::Ordering::Less => Some(Side::Left),
        std::cmp::Ordering::Greater => Some(Side::Right),
        std::cmp::Ordering::Equal => order,
    }
}

/// A side of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Left,
    Right,
}

/// Which side of a duration comes first in the one order every question
/// shares: the side whose stored dates come first by meaning
/// ([`date_rank`]: a start before its end, a notification's receipt
/// before its decision), then by name (table, then column), moves left
/// out, so that `add_months(a, 3) <= b` and `a <= add_months(b, -3)` are
/// ordered alike; `None` where both read the same columns.
///
/// The order by meaning puts "the same day" with the usual order of the
/// two dates: with `start <= "end"` on nearly every record, `"end" <=
/// start` would be the records that began and ended on one day, so the
/// one way to ask is `"end" >= start` or `"end" < start`.
pub(crate) fn first_side(left: &Expr, right: &Expr) -> Option<Side> {
    let key = |e: &Expr| {
        let mut cols: Vec<(u8, String)> = e
            .column_refs()
            .iter()
            .map(|c| (date_rank(&c.name), c.flat_name()))
            .collect();
        cols.sort();
        cols.dedup();
        cols
    };
    match key(left).cmp(&key(right)) {
        std::cmp::Ordering::Less => Some(Side::Left),
        std::cmp::Ordering::Greater => Some(Side::Right),
        std::cmp::Ordering::Equal => None,
    }
}

/// Where a stored date usually falls in a person's story: a birth, then a
/// first permit and a home municipality, then a notification's receipt,
/// a decision, the start of a period and its end, and citizenship.
/// Records keep this order nearly always (a period's end is not before its
/// start), so a comparison of two dates groups their being the same day
/// with it.
fn date_rank(column: &str) -> u8 {
    match column {
        "birth_date" => 0,
        "first_permit_date" => 1,
        "home_municipality_date" => 2,
        "received_date" => 3,
        "decision_date" => 4,
        "start" | "period_start" | "valid_from" => 5,
        "assessment_end" | "end" | "period_end" | "valid_to" => 6,
        "citizenship_date" => 7,
        _ => 8,
    }
}

/// Whether `expr` reads a person's birth date: the date an attacker most
/// likely knows of a target.
pub(crate) fn reads_birth_date(expr: &Expr) -> bool {
    expr.column_refs().iter().any(|c| {
        c.name == "birth_date"
            && c.relation
                .as_ref()
                .is_some_and(|r| r.table() == peitto_model::tables::PERSON.name)
    })
}

/// Whether `left op right`, with a birth date in `birth_left` or the
/// other side, cuts as an age does: months from the birth date other than
/// whole years, "reached" or "not yet reached" (`pl.start >=
/// add_months(p.birth_date, 6)`; whole years are `age_at(p.birth_date,
/// pl.start) >= 18`). A birth date is what an
/// attacker knows of a target, so a duration from it moved by days would
/// cut the other date at a day the attacker knows (born 15 January: a
/// placement that started more than 28 days after the 15th of a month but
/// not more than 30), and "the same day" would ask for one day.
pub(crate) fn cut_as_an_age(op: Operator, left: Shift, right: Shift, birth_left: bool) -> bool {
    if !left.by_months_only() || !right.by_months_only() || left.deadline || right.deadline {
        return false;
    }
    // The birth date moved forwards to a birthday, the other date as it
    // is: one form for one age (see [`comparable`]). Whole years are
    // `age_at(birth_date, x) >= n`, the one form of an age in years: on a
    // birth date of 29 February `add_months` reaches the birthday on 28
    // February of a common year, `age_at` on 1 March, and the two
    // together asked for a date on that 28 February.
    let (birth, other) = if birth_left {
        (left, right)
    } else {
        (right, left)
    };
    if birth.months < 0 || other.months != 0 || birth.months % 12 == 0 {
        return false;
    }
    if birth_left {
        matches!(op, Operator::LtEq | Operator::Gt)
    } else {
        matches!(op, Operator::GtEq | Operator::Lt)
    }
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
        // Calendar days are no unit of a duration; months are.
        let week = start.clone() + interval_days(7);
        assert!(!comparable(own_date(&week).unwrap(), Shift::default()));
        let quarter = Shift {
            months: 3,
            ..Shift::default()
        };
        assert!(comparable(quarter, Shift::default()));
        let seven_working = Shift {
            working: 7,
            ..Shift::default()
        };
        assert!(comparable(seven_working, Shift::default()));
        assert!(!comparable(
            Shift {
                working: 21,
                ..Shift::default()
            },
            Shift::default()
        ));
        // One side moved, forwards: a month's end clips the other forms
        // apart from `b <= add_months(a, 3)`.
        let back = Shift {
            months: -3,
            ..Shift::default()
        };
        assert!(!comparable(back, Shift::default()));
        let six = Shift {
            months: 6,
            ..Shift::default()
        };
        assert!(!comparable(six, quarter));
        // Both sides moved: 31 against 30 days is one day apart.
        let other = col("cw_placement.end") + interval_days(30);
        assert!(!comparable(
            own_date(&(start + interval_days(31))).unwrap(),
            own_date(&other).unwrap()
        ));
    }

    #[test]
    fn an_edge_is_cut_one_way() {
        let at = |days: i64| Shift {
            days,
            ..Shift::default()
        };
        let first = Some(Side::Left);
        // decision <= received + 7 days: within 7 days.
        assert!(cut_on_grid(Operator::LtEq, at(0), at(7), first));
        // received + 7 days > decision: within 6 days.
        assert!(!cut_on_grid(Operator::Gt, at(7), at(0), first));
        // end > start + 21 days and end >= start + 22 days: the same cut.
        assert!(cut_on_grid(Operator::Gt, at(0), at(21), first));
        assert!(cut_on_grid(Operator::GtEq, at(0), at(22), first));
        assert!(!cut_on_grid(Operator::GtEq, at(0), at(21), first));
        // No days apart: one order only, and never the same day itself.
        assert!(cut_on_grid(Operator::LtEq, at(0), at(0), first));
        assert!(cut_on_grid(Operator::Gt, at(0), at(0), first));
        assert!(!cut_on_grid(Operator::GtEq, at(0), at(0), first));
        assert!(!cut_on_grid(Operator::Lt, at(0), at(0), first));
        assert!(cut_on_grid(Operator::GtEq, at(0), at(0), Some(Side::Right)));
        assert!(!cut_on_grid(Operator::Eq, at(0), at(0), first));
        assert!(!cut_on_grid(Operator::LtEq, at(0), at(0), None));
        assert!(!cut_on_grid(Operator::Eq, at(0), at(7), first));
        // Moved by months: the moved side is a limit reached on its day,
        // whichever column sorts first.
        let months = |months: i64| Shift {
            months,
            ..Shift::default()
        };
        assert!(cut_on_grid(
            Operator::LtEq,
            months(0),
            months(3),
            Some(Side::Right)
        ));
        assert!(cut_on_grid(Operator::Gt, months(0), months(3), None));
        assert!(!cut_on_grid(
            Operator::Lt,
            months(0),
            months(3),
            Some(Side::Right)
        ));
        assert!(cut_on_grid(
            Operator::GtEq,
            months(3),
            months(0),
            Some(Side::Left)
        ));
    }

    #[test]
    fn a_date_the_query_chooses_is_not_a_persons_own() {
        assert!(own_date(&lit(ScalarValue::Date32(Some(19_000)))).is_none());
        assert!(own_date(&col("person.sex")).is_none());
        assert!(own_date(&col("person.birth_date")).is_some());
    }
}
