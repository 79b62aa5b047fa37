//! Two of a person's dates compared with each other: a duration, and what
//! each side of one may be.
//!
//! A duration compares a person's own stored dates, one of them moved
//! forwards by whole months ([`comparable`]), cut one way ([`cut_one_way`]);
//! working days between two dates are counted by `working_days_after`
//! alone (a measure, [`super::conditions::Grain::WorkingDays`]). Anything else in
//! a side is a date the query chooses, against which the other side is cut
//! at a day: an attacker of this model anchored a birth date at the first
//! day of the placement's year (`date_trunc('year', pl.start)`), moved it
//! by a chain of day counts each on the grid (31 days on, 30 back, 14 on:
//! 15 days in all) and, with the placement's year known, read a child's
//! birth date to the day (2026-12-07). So a side is read as a whole: a
//! stored date and the sum of its moves, or not a person's own date at
//! all.

use super::conditions::counts_working_days;
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
    /// Moved on to the next working day (`deadline_day`).
    deadline: bool,
}

impl Shift {
    /// Moved by whole months at most.
    pub(crate) fn by_months_only(self) -> bool {
        self.days == 0
    }

    /// Moved on to the next working day (`deadline_day`).
    pub(crate) fn moved_to_a_working_day(self) -> bool {
        self.deadline
    }

    fn plus(self, other: Shift, sign: i64) -> Shift {
        Shift {
            months: self.months + sign * other.months,
            days: self.days + sign * other.days,
            deadline: self.deadline || other.deadline,
        }
    }
}

/// How `expr` moves one of a person's stored dates, if it is one, moved by
/// literal months or days (to the next working day by `deadline_day`, the
/// statutory rule); `None` for anything else.
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
                // Working days are counted by `working_days_after` only: a
                // date moved by them is another form of the same limit, cut
                // elsewhere. `working_days_after(r, d) <= 7` holds on the
                // weekend after the 7th working day, `d > add_working_days(r,
                // 7)` too, so together they were that weekend, split into
                // single days by the weekday (an attacker of this model read
                // a decision's weekend so, 2026-12-08); `time_limit_end`
                // moves a last day on an Eve (150/1930 5 §), and
                // `time_limit_end(x, 0)` is the next working day.
                n if counts_working_days(n) => None,
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
/// side moved forwards by whole months, or neither; never by calendar days
/// nor to the next working day. Cuts in two units a few days apart make a
/// class of a day: `"end" > add_months(start, 3)` and `"end" <= start +
/// INTERVAL '90 days'` is a placement of exactly 90 days begun in February,
/// and `deadline_day` against the same limit without it is the weekend
/// between (an attacker of this model read exact placement lengths so,
/// 2026-12-07). One form per question: `add_months(b, -3) <= a` and
/// `add_months(b, 3) <= add_months(a, 6)` say nearly what `b <=
/// add_months(a, 3)` says, but a month's end clips them apart (b on 30 or
/// 31 March against a on 28 February).
pub(crate) fn comparable(left: Shift, right: Shift) -> bool {
    let plain = |s: Shift| s.days == 0 && !s.deadline && s.months >= 0;
    plain(left) && plain(right) && (left.months == 0 || right.months == 0)
}

/// Whether `left op right`, two of a person's own dates moved so, cuts
/// them the one way every question shares. The two ways of cutting are
/// mirror images (`a <= b` is `NOT (b < a)`), and `a <= b` with `a < b` is
/// "the same day" (or exactly m months apart), a class of one day. So the
/// dates are cut one way, never with `=`: a date at most a limit or past
/// it where one side is moved by months (`s.start <= add_months(c.home_date,
/// 3)`, `"end" > add_months(start, 3)`), else in the order of
/// [`first_side`] (`first <= second` or its negation), and not at all
/// where no order tells the sides apart (the same stored column of two
/// records).
pub(crate) fn cut_one_way(op: Operator, left: Shift, right: Shift, order: Option<Side>) -> bool {
    match first_of(left, right, order) {
        Some(Side::Left) => matches!(op, Operator::LtEq | Operator::Gt),
        Some(Side::Right) => matches!(op, Operator::GtEq | Operator::Lt),
        None => false,
    }
}

/// The two ways `left` and `right` may be compared where `op` is not one
/// of them (`a <= b` and `a > b` where `a < b` was asked).
pub(crate) fn allowed_order(
    op: Operator,
    left: Shift,
    right: Shift,
    order: Option<Side>,
) -> Option<[Operator; 2]> {
    if !comparable(left, right) || cut_one_way(op, left, right, order) {
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
    match dates_of(left).cmp(&dates_of(right)) {
        std::cmp::Ordering::Less => Some(Side::Left),
        std::cmp::Ordering::Greater => Some(Side::Right),
        std::cmp::Ordering::Equal => None,
    }
}

/// The stored dates a side reads, each with its [`date_rank`], in order:
/// what tells two sides apart, and orders them.
type Dates = Vec<(u8, String)>;

fn dates_of(e: &Expr) -> Dates {
    let mut cols: Dates = e
        .column_refs()
        .iter()
        .map(|c| (date_rank(&c.name), c.flat_name()))
        .collect();
    cols.sort();
    cols.dedup();
    cols
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

thread_local! {
    /// The pairs of a person's dates one query compares with no months
    /// between them, by their stored columns ([`compared_with_two`]).
    static PAIRS: std::cell::RefCell<Vec<(Dates, Dates)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Forgets the pairs of the query checked before: a query's check starts
/// with this.
pub(crate) fn start_query() {
    PAIRS.with(|p| p.borrow_mut().clear());
}

/// Notes that one query compares `left` and `right`, two of a person's
/// dates with no months between them, and whether one of them is now
/// compared so with two other dates. `s.start >= c.home_date AND r.vf >=
/// s.start` is each pair cut its one way, and together the starts
/// between two dates that are nearly always the same day (the first
/// residence begins on the home municipality date): a class of one day
/// (an attacker of this model, 2026-12-08). Data can make any two of a
/// person's dates one day, so a date is set between two others only where
/// one of them is moved by months.
pub(crate) fn compared_with_two(left: &Expr, right: &Expr) -> bool {
    let (a, b) = (dates_of(left), dates_of(right));
    PAIRS.with(|p| {
        let mut pairs = p.borrow_mut();
        if !pairs
            .iter()
            .any(|(x, y)| (x == &a && y == &b) || (x == &b && y == &a))
        {
            pairs.push((a.clone(), b.clone()));
        }
        [&a, &b].iter().any(|side| {
            let mut partners: Vec<&Dates> = pairs
                .iter()
                .filter_map(|(x, y)| {
                    if x == *side {
                        Some(y)
                    } else if y == *side {
                        Some(x)
                    } else {
                        None
                    }
                })
                .collect();
            partners.sort();
            partners.dedup();
            partners.len() > 1
        })
    })
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
    fn two_dates_are_cut_one_way() {
        let months = |months: i64| Shift {
            months,
            ..Shift::default()
        };
        let first = Some(Side::Left);
        // Not moved: first <= second or its negation, never the same day.
        assert!(cut_one_way(Operator::LtEq, months(0), months(0), first));
        assert!(cut_one_way(Operator::Gt, months(0), months(0), first));
        assert!(!cut_one_way(Operator::GtEq, months(0), months(0), first));
        assert!(!cut_one_way(Operator::Lt, months(0), months(0), first));
        assert!(cut_one_way(
            Operator::GtEq,
            months(0),
            months(0),
            Some(Side::Right)
        ));
        assert!(!cut_one_way(Operator::Eq, months(0), months(0), first));
        assert!(!cut_one_way(Operator::LtEq, months(0), months(0), None));
        // Moved by months: the moved side is a limit reached on its day,
        // whichever column comes first.
        assert!(cut_one_way(
            Operator::LtEq,
            months(0),
            months(3),
            Some(Side::Right)
        ));
        assert!(cut_one_way(Operator::Gt, months(0), months(3), None));
        assert!(!cut_one_way(
            Operator::Lt,
            months(0),
            months(3),
            Some(Side::Right)
        ));
        assert!(cut_one_way(
            Operator::GtEq,
            months(3),
            months(0),
            Some(Side::Left)
        ));
        assert_eq!(
            allowed_order(Operator::Lt, months(0), months(3), None),
            Some([Operator::LtEq, Operator::Gt])
        );
    }

    #[test]
    fn a_date_the_query_chooses_is_not_a_persons_own() {
        assert!(own_date(&lit(ScalarValue::Date32(Some(19_000)))).is_none());
        assert!(own_date(&col("person.sex")).is_none());
        assert!(own_date(&col("person.birth_date")).is_some());
    }
}
