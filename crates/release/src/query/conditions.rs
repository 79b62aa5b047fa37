//! What a condition on person data may compare: declared classifications
//! only, the way a table builder lets users filter.
//!
//! Noise keyed by the persons of a cell makes "the same persons give the
//! same number" true, and that is itself an answer: a cell padded with
//! known persons, plus a target only when a condition holds, changes or
//! not. A condition at any precision (an amount above 1 234 €, a birth
//! date on a given day) would turn that into a search for one person's
//! value. So a condition over person data may only say which class of a
//! declared classification a value is in: a code, a year, quarter, month
//! or age; a date on or past the start of a month; a measure past one of
//! its declared bin edges ([`Grain`], never equal to a value); a date against another date moved
//! by whole months or a day count on the grid. Days and weeks of a date
//! are for grouping (the grid withholds small cells), not for conditions. What a padded query can
//! then learn is whether a combination of declared classes is empty, the
//! most a table builder on classifications discloses.

use super::Refusal;
use super::durations::{
    allowed_order, comparable, compared_with_two, cut_as_an_age, cut_one_way, first_side, own_date,
    reads_birth_date,
};
use super::roles::{Col, Domain, Role, folded, literal};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::TreeNode;
use datafusion::logical_expr::{Expr, Operator};
use peitto_model::Date;

/// The bins a measure may be cut at in a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    /// Counts of days: weeks up to a month, then the usual durations
    /// ([`DAY_EDGES`]).
    Days,
    /// Euros: 0 and 1, 2 and 5 times a power of ten (either sign).
    Euros,
    /// A person's number of records: each number up to ten, then 1, 2 and 5
    /// times a power of ten; the only grain that may be compared for
    /// equality (children by their number of placements).
    Count,
    /// Days of a period within a window (`care_days`) or a month's
    /// compensation (`compensation_month`): whether there are any. The
    /// window clips the period at a fixed day, so a count past 0 cuts the
    /// other end at that day less the count (`care_days(birth_date,
    /// start, DATE '2013-07-01', DATE '2013-08-01', …) >= 7` is "born on or
    /// before 25 July", which an attacker of this model read a birth date
    /// with, 2026-12-07).
    Presence,
    /// Working days between two of a person's dates
    /// (`working_days_after`): the statutory 7 and twice it
    /// ([`WORKING_EDGES`]).
    WorkingDays,
    /// Summed only, never cut: days of a period within a window counted
    /// by a rule that leaves out a period's last day. Whether any are set
    /// cuts the end between a month's 1st and 2nd (`care_days(start,
    /// "end", DATE '2023-05-01', …, 'STATISTICAL') > 0` is `"end" >
    /// DATE '2023-05-01'`), and beside `"end" >= DATE '2023-05-01'` asks
    /// whether it was that 1st (an attacker of this model, 2026-12-08).
    Uncut,
}

/// Working days `working_days_after` may be cut at: the statutory 7 (LsL
/// 26 §) and twice it. Not 0: with a decision never before its receipt,
/// "no working day after" is the same day, but for a weekend.
pub const WORKING_EDGES: &[i64] = &[7, 14];

/// Day counts conditions may cut at: the statutory limits (LsL 26 §: 7
/// working days, 3 months) and the usual durations. Not every day: an
/// isolated person's 6 billed days would be read exactly.
pub const DAY_EDGES: &[i64] = &[
    0, 7, 14, 21, 28, 30, 42, 45, 60, 90, 120, 150, 180, 270, 365, 540, 730, 1095, 1461, 1826, 3653,
];

impl Grain {
    /// Whether `x` is a bin edge of this grain.
    #[must_use]
    pub fn is_edge(self, x: f64) -> bool {
        if !x.is_finite() {
            return false;
        }
        let one_two_five = |a: f64| {
            let mut scale = 1.0;
            while scale <= 1e9 {
                if [1.0, 2.0, 5.0].iter().any(|m| (m * scale - a).abs() < 1e-9) {
                    return true;
                }
                scale *= 10.0;
            }
            false
        };
        match self {
            Grain::Days => x.fract() == 0.0 && day_edge(x as i64),
            Grain::Euros => x == 0.0 || one_two_five(x.abs()),
            Grain::Count => x.fract() == 0.0 && ((0.0..=10.0).contains(&x) || one_two_five(x)),
            Grain::Presence => x == 0.0,
            Grain::Uncut => false,
            Grain::WorkingDays => x.fract() == 0.0 && WORKING_EDGES.contains(&(x as i64)),
        }
    }

    /// The comparison `value op x` as a cut of this grain, `(op, edge)`:
    /// one kind of bound per grain, so that no two questions, each at an
    /// edge, can tell the edge value itself apart (`billed_days >= 21` and
    /// `billed_days > 21` differ by the lines of exactly 21 days, which an
    /// attacker of this model read a placement's length with, 2026-12-07).
    /// Measures are cut as "at most x" and "more than x" (`<=`, `>`: within
    /// 7 days, over 1 000 €); a whole-day count also as "fewer than x+1"
    /// and "at least x+1" (`>= 1` is `> 0`). A person's number of records
    /// is compared in any way, and whether days are set with `= 0` too.
    /// `None` where the grain is not cut so.
    #[must_use]
    pub fn cut(self, op: Operator, x: f64) -> Option<(Operator, f64)> {
        if !x.is_finite() {
            return None;
        }
        if self == Grain::Count {
            return Some((op, x));
        }
        if self == Grain::Uncut {
            return None;
        }
        let whole = matches!(self, Grain::Days | Grain::Presence | Grain::WorkingDays);
        if whole && x.fract() != 0.0 {
            return None;
        }
        let (op, edge) = match op {
            Operator::GtEq if whole => (Operator::Gt, x - 1.0),
            Operator::Lt if whole => (Operator::LtEq, x - 1.0),
            other => (other, x),
        };
        match op {
            Operator::LtEq | Operator::Gt => Some((op, edge)),
            Operator::Eq | Operator::NotEq if self == Grain::Presence => Some((op, edge)),
            _ => None,
        }
    }

    /// The edges in a form any language reads: for `peitto tables`.
    #[must_use]
    pub fn edges_text(self) -> String {
        match self {
            Grain::Days => {
                let all: Vec<String> = DAY_EDGES.iter().map(ToString::to_string).collect();
                all.join(", ")
            }
            Grain::Euros => "0, ±1·10ⁿ, ±2·10ⁿ, ±5·10ⁿ".to_owned(),
            Grain::Count => "0–10, 1·10ⁿ, 2·10ⁿ, 5·10ⁿ".to_owned(),
            Grain::Presence => "0".to_owned(),
            Grain::Uncut => "–".to_owned(),
            Grain::WorkingDays => "7, 14".to_owned(),
        }
    }

    /// The edges nearest `x`, for the refusal's hint.
    #[must_use]
    pub fn near(self, x: f64) -> (f64, f64) {
        let mut below = f64::NEG_INFINITY;
        let mut above = f64::INFINITY;
        let candidates: Vec<f64> = match self {
            Grain::Days => DAY_EDGES.iter().map(|&d| d as f64).collect(),
            Grain::Presence => vec![0.0],
            Grain::Uncut => Vec::new(),
            Grain::WorkingDays => vec![7.0, 14.0],
            Grain::Count => (0..=10)
                .map(f64::from)
                .chain((1..=9).flat_map(|k| {
                    let scale = 10f64.powi(k);
                    [scale, 2.0 * scale, 5.0 * scale]
                }))
                .collect(),
            Grain::Euros => {
                let mut v = vec![0.0];
                let mut scale = 1.0;
                while scale <= 1e9 {
                    for m in [1.0, 2.0, 5.0] {
                        v.push(m * scale);
                        v.push(-m * scale);
                    }
                    scale *= 10.0;
                }
                v
            }
        };
        for c in candidates {
            if c <= x && c > below {
                below = c;
            }
            if c >= x && c < above {
                above = c;
            }
        }
        (below, above)
    }
}

fn day_edge(d: i64) -> bool {
    DAY_EDGES.contains(&d)
}

fn refuse(what: String) -> Refusal {
    Refusal::FineCondition { what }
}

/// Whether a comparison `left op right` may stand where person data is
/// compared (a `WHERE`, `FILTER`, `CASE WHEN`, `BETWEEN`, `IN` or join
/// condition).
///
/// # Errors
/// [`Refusal::FineCondition`] naming what is compared too finely.
pub fn check_comparison(
    op: Operator,
    left: &Expr,
    right: &Expr,
    l: &Col,
    r: &Col,
) -> Result<(), Refusal> {
    if !l.person && !r.person {
        return Ok(());
    }
    // Two dates of a person against each other give a duration: one of
    // them may be moved forwards by whole months. Anything else compared
    // with a constant or a class may be moved by whole months only: a date
    // moved by 14 days and compared with the 1st of a month is compared
    // with the 18th.
    //
    // A side with a fixed date in it is not a person's own date:
    // `GREATEST(birth_date, c) <= LEAST(birth_date, c)` holds exactly for
    // those born on the day c (an attacker's route around the rules for
    // constants, 2026-12-07).
    //
    // Every rule reads a side as computed from the stored columns, through
    // the subqueries below it ([`Col::stored`]).
    // The refusal shows the condition in the query's own words.
    let (x, y) = (sql_of(left), sql_of(right));
    let asked = format!("{x} {op} {y}");
    let (left, right) = (l.stored(left), r.stored(right));
    // Two of a person's dates are a duration when each side is a stored
    // date, one moved forwards by whole months, cut one way
    // ([`super::durations`]); from a birth date, as an age.
    let duration = l.person
        && r.person
        && l.role == Role::Date
        && r.role == Role::Date
        && match (own_date(left), own_date(right)) {
            (Some(a), Some(b)) => {
                let (birth_left, birth_right) = (reads_birth_date(left), reads_birth_date(right));
                if birth_left || birth_right {
                    // Both sides a birth date: the same person's, moved
                    // by months against itself, says nothing.
                    birth_left != birth_right && cut_as_an_age(op, a, b, birth_left)
                } else {
                    comparable(a, b)
                        && cut_one_way(op, a, b, first_side(left, right))
                        && !(a.by_months_only()
                            && b.by_months_only()
                            && a == b
                            && compared_with_two(left, right))
                }
            }
            _ => false,
        };
    // Name what is compared by the query's own words where no stored
    // column stands behind it.
    let named = |c: &Col, e: &Expr| Col {
        from: if c.from.is_empty() {
            e.schema_name().to_string()
        } else {
            c.from.clone()
        },
        ..c.clone()
    };
    let (l, r) = (&named(l, left), &named(r, right));
    for (c, e) in [(l, left), (r, right)] {
        if !c.person {
            continue;
        }
        if finer_than_a_month(&c.role) {
            return Err(refuse(c.from.clone()));
        }
        if !dates_on_month_edges(e) {
            return Err(refuse(c.from.clone()));
        }
        if !duration && shifts_by_days(e) {
            return Err(refuse(c.from.clone()));
        }
    }
    // A dimension of one person's date against a column (a reference
    // table's, another dimension) is a condition whose other side the
    // query chooses: the dimension itself must be of whole months.
    for (c, e, other) in [(l, left, right), (r, right, left)] {
        if c.person
            && is_dim(&c.role)
            && !other.column_refs().is_empty()
            && super::monthly::value_differs_within_a_month(e)
        {
            return Err(refuse(c.from.clone()));
        }
    }
    // What the rules above allow, checked by what it does: a condition on
    // one of a person's dates is the same on every day of a month
    // (`age_at(birth_date, DATE '2025-06-01') >= 18` holds for those born
    // on 1 June 2007 and not on the 2nd).
    if super::monthly::differs_within_a_month(op, left, right) {
        return Err(refuse(asked));
    }
    if is_dim(&l.role) && is_dim(&r.role) {
        return Ok(());
    }
    match (l.person, r.person) {
        (true, true) if duration => Ok(()),
        (true, true) => {
            // Two dates no days apart asked the other way round: show the
            // two ways they may be compared.
            let order = match (own_date(left), own_date(right)) {
                (Some(a), Some(b)) if !reads_birth_date(left) && !reads_birth_date(right) => {
                    allowed_order(op, a, b, first_side(left, right))
                }
                _ => None,
            };
            Err(refuse(match order {
                Some([one, other]) => {
                    format!("{asked} → {x} {one} {y} | {x} {other} {y}")
                }
                None => format!("{} {op} {}", l.from, r.from),
            }))
        }
        // A measure summed only is named as the query wrote it.
        (true, _) | (_, true)
            if [l, r].iter().any(|c| {
                c.person && matches!(&c.role, Role::Measure(b) if b.grain == Grain::Uncut)
            }) =>
        {
            Err(refuse(asked))
        }
        (true, false) => against_constant(op, right, l),
        (false, true) => against_constant(mirror(op), left, r),
        (false, false) => Ok(()),
    }
}

/// `e` in SQL, as a refusal shows it.
pub(crate) fn sql_of(e: &Expr) -> String {
    datafusion::sql::unparser::expr_to_sql(e)
        .map_or_else(|_| e.schema_name().to_string(), |s| s.to_string())
}

/// `op` with its sides swapped.
fn mirror(op: Operator) -> Operator {
    match op {
        Operator::Lt => Operator::Gt,
        Operator::LtEq => Operator::GtEq,
        Operator::Gt => Operator::Lt,
        Operator::GtEq => Operator::LtEq,
        other => other,
    }
}

fn is_dim(role: &Role) -> bool {
    matches!(role, Role::Dim(_))
}

/// Date parts that, with the year and month, give the day itself (a birth
/// date): a grid may be cut by them, where small cells are withheld, but a
/// condition on them would pick out one day's persons.
fn finer_than_a_month(role: &Role) -> bool {
    matches!(
        role,
        Role::Dim(Domain::Days | Domain::Weeks | Domain::Weekdays { .. })
    )
}

/// A person-level value `p` compared with the public side `other`.
fn against_constant(op: Operator, other: &Expr, p: &Col) -> Result<(), Refusal> {
    match &p.role {
        Role::Dim(_) => Ok(()),
        Role::Date => {
            let Some(day) = date_of(other) else {
                return Err(refuse(format!("{} {op} ?", p.from)));
            };
            let (y, m, d) = day.ymd();
            let ok = match op {
                Operator::Lt | Operator::GtEq => d == 1,
                Operator::LtEq | Operator::Gt => last_of_month(day),
                _ => false,
            };
            if ok {
                Ok(())
            } else {
                Err(refuse(format!("{} {op} {y:04}-{m:02}-{d:02}", p.from)))
            }
        }
        Role::Measure(b) => {
            let x = value_of(other, &DataType::Float64).and_then(|v| match v {
                ScalarValue::Float64(Some(x)) => Some(x),
                _ => None,
            });
            let Some(x) = x else {
                return Err(refuse(format!("{} {op} ?", p.from)));
            };
            let Some((_, edge)) = b.grain.cut(op, x) else {
                return Err(refuse(format!("{} {op} {x}", p.from)));
            };
            if b.grain.is_edge(edge) {
                return Ok(());
            }
            let (lo, hi) = b.grain.near(edge);
            // The nearest edges, as numbers: the catalogue says what they
            // are.
            Err(refuse(format!("{} {op} {x} → {lo} | {hi}", p.from)))
        }
        _ => Err(refuse(p.from.clone())),
    }
}

fn last_of_month(day: Date) -> bool {
    let (y, m, d) = day.ymd();
    d == peitto_model::date::days_in_month(y, m)
}

/// The calendar day a constant expression is, if it is a whole day (a
/// timestamp past midnight is not).
fn date_of(expr: &Expr) -> Option<Date> {
    let v = value_of(expr, &DataType::Date32)?;
    let ScalarValue::Date32(Some(d)) = v else {
        return None;
    };
    let original = constant_of(expr)?;
    if matches!(
        original.data_type(),
        DataType::Timestamp(..) | DataType::Date64
    ) {
        let back = ScalarValue::Date32(Some(d))
            .cast_to(&original.data_type())
            .ok()?;
        if back != original {
            return None;
        }
    }
    Some(Date(d))
}

/// Whether every date written in `expr` is the first or last day of a
/// month (`age_at(birth_date, DATE '2025-03-17')` would cut at a day).
pub(crate) fn dates_on_month_edges(expr: &Expr) -> bool {
    every_date(expr, false, |day| day.ymd().2 == 1 || last_of_month(day))
}

/// Whether every date a measure's argument gives is the first day of a
/// month: the edges of a window of days, `[from, until)`, where a month's
/// last day would leave one day out (`DATE '2013-08-31'` to `DATE
/// '2013-09-01'` was a window of one day). Dates compared inside it (a
/// `CASE WHEN` choosing the window) are conditions, under their own rule.
pub(crate) fn dates_on_month_starts(expr: &Expr) -> bool {
    every_date(expr, true, |day| day.ymd().2 == 1)
}

/// Whether `ok` holds for every date written in `expr`, as a literal, a
/// conversion of a constant or a computation of constants; past
/// comparisons when `past_conditions`.
fn every_date(expr: &Expr, past_conditions: bool, ok: impl Fn(Date) -> bool) -> bool {
    use datafusion::common::tree_node::TreeNodeRecursion;
    let mut all = true;
    let walked = expr.apply(|e| {
        if past_conditions && is_condition(e) {
            return Ok(TreeNodeRecursion::Jump);
        }
        if off(e, &ok) {
            all = false;
            return Ok(TreeNodeRecursion::Stop);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    all && walked.is_ok()
}

/// Whether `e` compares (its dates are a condition's).
fn is_condition(e: &Expr) -> bool {
    match e {
        Expr::BinaryExpr(b) => matches!(
            b.op,
            Operator::Eq
                | Operator::NotEq
                | Operator::Lt
                | Operator::LtEq
                | Operator::Gt
                | Operator::GtEq
                | Operator::IsDistinctFrom
                | Operator::IsNotDistinctFrom
        ),
        Expr::Between(_) | Expr::InList(_) => true,
        _ => false,
    }
}

/// Whether `e` itself is a date for which `ok` fails.
fn off(e: &Expr, ok: &impl Fn(Date) -> bool) -> bool {
    match e {
        // `DATE '2010-03-17'` as the planner writes it in a
        // function's arguments: a conversion of text (an attacker
        // of this model cut birth dates at a day with
        // `care_days(DATE '2010-03-17', birth_date, …) > 0`).
        Expr::Cast(datafusion::logical_expr::Cast { field, .. })
        | Expr::TryCast(datafusion::logical_expr::TryCast { field, .. })
            if matches!(
                field.data_type(),
                DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
            ) && constant_of(e).is_some() =>
        {
            date_of(e).is_none_or(|day| !ok(day))
        }
        // A date computed from constants alone (`make_date(2025, 4,
        // 3)`, `to_date('3.4.2025', …)`, `arrow_cast(…, 'Date32')`,
        // a parameter through any of them) is its value: checking
        // the literals alone let an attacker of this model cut birth
        // dates at a day (2026-12-07).
        Expr::ScalarFunction(_) | Expr::BinaryExpr(_) | Expr::Case(_)
            if e.column_refs().is_empty() =>
        {
            folded(e).is_some_and(|v| {
                matches!(
                    v.data_type(),
                    DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
                ) && date_of(e).is_none_or(|day| !ok(day))
            })
        }
        Expr::Literal(v, _) => match v {
            ScalarValue::Date32(Some(d)) => !ok(Date(*d)),
            ScalarValue::Date64(_)
            | ScalarValue::TimestampSecond(..)
            | ScalarValue::TimestampMillisecond(..)
            | ScalarValue::TimestampMicrosecond(..)
            | ScalarValue::TimestampNanosecond(..) => true,
            _ => false,
        },
        _ => false,
    }
}

/// Whether `expr` moves something by days (an interval with days, a whole
/// number added or taken, working days).
pub(crate) fn shifts_by_days(expr: &Expr) -> bool {
    expr.exists(|e| {
        Ok(match e {
            Expr::BinaryExpr(b) if matches!(b.op, Operator::Plus | Operator::Minus) => {
                [&b.left, &b.right]
                    .iter()
                    .filter_map(|s| literal(s))
                    .any(|v| match v {
                        ScalarValue::IntervalYearMonth(_) => false,
                        ScalarValue::IntervalMonthDayNano(Some(x)) => {
                            x.days != 0 || x.nanoseconds != 0
                        }
                        _ => true,
                    })
            }
            Expr::ScalarFunction(f) => {
                counts_working_days(f.func.name())
                    || f.func.name().eq_ignore_ascii_case("deadline_day")
            }
            _ => false,
        })
    })
    .unwrap_or(true)
}

/// The value of a constant expression.
fn constant_of(expr: &Expr) -> Option<ScalarValue> {
    let v = literal(expr).cloned().or_else(|| folded(expr))?;
    (!v.is_null()).then_some(v)
}

/// The value of a constant expression, converted to `to`.
fn value_of(expr: &Expr, to: &DataType) -> Option<ScalarValue> {
    constant_of(expr)?.cast_to(to).ok()
}

/// Whether a function moves a date by a count of working days
/// (`add_working_days`, `time_limit_end`: its second argument).
pub(crate) fn counts_working_days(name: &str) -> bool {
    name.eq_ignore_ascii_case("add_working_days") || name.eq_ignore_ascii_case("time_limit_end")
}

#[cfg(test)]
mod tests;
