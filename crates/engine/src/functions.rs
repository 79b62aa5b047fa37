//! peitto's domain rules as SQL functions. Each wraps a function of
//! `peitto-domain`, where the definitions and their sources are documented.
//!
//! | function | returns |
//! |---|---|
//! | `care_days(start, end, from, until, rule)` | days of `[start, end)` in `[from, until)`; rule `STATISTICAL`, `ARRIVAL_NOT_DEPARTURE` or `INCLUSIVE`; `end` NULL while ongoing |
//! | `age_at(birth, date)` | age in whole years on `date` |
//! | `age_at_year_end(birth, year)` | age on 31.12. of `year` (THL's reference date) |
//! | `working_days_after(start, end[, rule])` | Finnish working days after `start` up to `end` (LsL 26 §: the day of receipt does not count); rule `EVES_OFF` (default: Christmas and Midsummer Eve are not working days) or `EVES_WORKING` |
//! | `add_working_days(date, n)` | the `n`th working day after `date` |
//! | `time_limit_end(date, n)` | the last day of a limit of `n` working days after `date` under 150/1930: Saturdays, Sundays and public holidays do not count, the Eves do, and a last day on an Eve moves to the next working day (5 §) |
//! | `deadline_day(date)` | the day a limit ending on `date` really ends: the first working day on or after it (not a weekend, holiday or Eve; 150/1930 5 §) |
//! | `add_months(date, n)` | `date` plus `n` months, clamped to month end |
//! | `compensation_end(home_date, permit_basis, citizenship_date[, sponsor_basis])` | end (exclusive) of the flat-rate compensation window; a family member's (114, 115 §) follows the sponsor's basis |
//! | `compensation_month(birth, month_start, window_start, window_end[, recipient])` | the expected flat-rate compensation for that month, €: a twelfth of the yearly rate for each month from the one the window starts in to the one before it ends in; recipient `KUNTA` (default: the municipality's rates of the month's year, `[[compensation.rates]]` in peitto.toml) or `HVA` (the wellbeing county's share) |

use datafusion::arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use datafusion::arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Float64Type, Int32Type, Int64Type,
};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{
    ColumnarValue, ScalarUDF, Signature, SimpleScalarUDF, TypeSignature, Volatility, create_udf,
};
use datafusion::prelude::SessionContext;
use peitto_domain::{DayRule, WorkingDayRule};
use peitto_model::Date;
use std::sync::Arc;

type Result<T> = std::result::Result<T, DataFusionError>;

/// Applies `f` to each row of the arguments; a `None` from `f` is SQL NULL.
fn per_row<T: ArrowPrimitiveType>(
    args: &[ColumnarValue],
    f: impl Fn(&[ArrayRef], usize) -> Option<T::Native>,
) -> Result<ColumnarValue> {
    let a = ColumnarValue::values_to_arrays(args)?;
    let out: PrimitiveArray<T> = (0..a[0].len()).map(|i| f(&a, i)).collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

/// 1.1.1900 and 31.12.2199 as days since 1970: the dates a register can
/// hold. A date outside is NULL to every function, so that none of them
/// can overflow, fail or run long on a value a query makes up (which would
/// answer a question about the row that reached it).
const FIRST_DAY: i32 = -25_567;
const LAST_DAY: i32 = 84_005;

fn date_at(a: &ArrayRef, i: usize) -> Option<Date> {
    let a = a.as_primitive::<Date32Type>();
    (!a.is_null(i) && (FIRST_DAY..=LAST_DAY).contains(&a.value(i))).then(|| Date(a.value(i)))
}

/// An integer argument within `range`, else NULL.
fn int_at(a: &ArrayRef, i: usize, range: std::ops::RangeInclusive<i64>) -> Option<i64> {
    let a = a.as_primitive::<Int64Type>();
    (!a.is_null(i) && range.contains(&a.value(i))).then(|| a.value(i))
}

/// A date result within the register range, else NULL.
fn in_range(date: Date) -> Option<i32> {
    (FIRST_DAY..=LAST_DAY).contains(&date.0).then_some(date.0)
}

fn text_at(a: &ArrayRef, i: usize) -> Option<&str> {
    let a = a.as_string::<i32>();
    (!a.is_null(i)).then(|| a.value(i))
}

fn care_days(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    per_row::<Int64Type>(args, |a, i| {
        let rule = match text_at(&a[4], i) {
            None => DayRule::Statistical,
            Some(code) => DayRule::from_code(code)?,
        };
        Some(peitto_domain::care_days(
            date_at(&a[0], i)?,
            date_at(&a[1], i),
            date_at(&a[2], i)?,
            date_at(&a[3], i)?,
            rule,
        ))
    })
}

fn age_at(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    per_row::<Int32Type>(args, |a, i| {
        Some(peitto_domain::age_at(
            date_at(&a[0], i)?,
            date_at(&a[1], i)?,
        ))
    })
}

fn age_at_year_end(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    per_row::<Int32Type>(args, |a, i| {
        Some(peitto_domain::age_at_year_end(
            date_at(&a[0], i)?,
            i32::try_from(int_at(&a[1], i, 1900..=2199)?).ok()?,
        ))
    })
}

fn working_days_after(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    per_row::<Int64Type>(args, |a, i| {
        // An unknown rule code is NULL, never a silent default.
        let rule = match a.get(2) {
            None => WorkingDayRule::EvesOff,
            Some(r) => WorkingDayRule::from_code(text_at(r, i)?)?,
        };
        Some(peitto_domain::working_days_after_under(
            date_at(&a[0], i)?,
            date_at(&a[1], i)?,
            rule,
        ))
    })
}

/// A date `n` working days on from a date, by `rule`; the count is
/// bounded so that a large one cannot keep a query walking days.
fn working_days_on(args: &[ColumnarValue], rule: fn(Date, u32) -> Date) -> Result<ColumnarValue> {
    per_row::<Date32Type>(args, |a, i| {
        in_range(rule(
            date_at(&a[0], i)?,
            u32::try_from(int_at(&a[1], i, 0..=1000)?).ok()?,
        ))
    })
}

fn add_working_days(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    working_days_on(args, peitto_domain::add_working_days)
}

fn time_limit_end(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    working_days_on(args, peitto_domain::time_limit_end)
}

fn deadline_day(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    per_row::<Date32Type>(args, |a, i| {
        in_range(peitto_domain::deadline_day(date_at(&a[0], i)?))
    })
}

fn add_months(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    per_row::<Date32Type>(args, |a, i| {
        in_range(peitto_domain::add_months(
            date_at(&a[0], i)?,
            i32::try_from(int_at(&a[1], i, -3600..=3600)?).ok()?,
        ))
    })
}

fn compensation_end(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let rules = peitto_domain::compensation::Durations::default();
    per_row::<Date32Type>(args, |a, i| {
        let basis = text_at(&a[1], i).unwrap_or_default();
        let sponsor = a.get(3).and_then(|s| text_at(s, i));
        in_range(
            peitto_domain::compensation::window(
                date_at(&a[0], i)?,
                basis,
                sponsor,
                date_at(&a[2], i),
                &rules,
            )
            .1,
        )
    })
}

fn compensation_month(
    args: &[ColumnarValue],
    rates: &peitto_domain::compensation::RateTable,
) -> Result<ColumnarValue> {
    per_row::<Float64Type>(args, |a, i| {
        let window = (date_at(&a[2], i)?, date_at(&a[3], i)?);
        let month_start = date_at(&a[1], i)?;
        // The county's share is set in the law, not per municipality.
        let rates = match a.get(4).map(|r| text_at(r, i)) {
            None | Some(Some("KUNTA")) => rates.for_year(month_start.ymd().0),
            Some(Some("HVA")) => peitto_domain::compensation::COUNTY_2023,
            Some(_) => return None,
        };
        Some(peitto_domain::compensation::monthly(
            date_at(&a[0], i)?,
            month_start,
            window,
            rates,
        ))
    })
}

/// A signature of `base` arguments, or `base` and one text argument more.
fn with_optional_text(base: Vec<DataType>) -> Signature {
    let mut longer = base.clone();
    longer.push(DataType::Utf8);
    Signature::one_of(
        vec![TypeSignature::Exact(base), TypeSignature::Exact(longer)],
        Volatility::Immutable,
    )
}

/// Registers `compensation_month` with the municipality's flat rates by year.
pub fn register_compensation(ctx: &SessionContext, rates: peitto_domain::compensation::RateTable) {
    ctx.register_udf(ScalarUDF::new_from_impl(
        SimpleScalarUDF::new_with_signature(
            "compensation_month",
            with_optional_text(vec![
                DataType::Date32,
                DataType::Date32,
                DataType::Date32,
                DataType::Date32,
            ]),
            DataType::Float64,
            Arc::new(move |args: &[ColumnarValue]| compensation_month(args, &rates)),
        ),
    ));
}

/// Registers every function on `ctx`.
pub fn register(ctx: &SessionContext) {
    use DataType::{Date32, Int32, Int64, Utf8};
    let udf = |name: &str,
               inputs: Vec<DataType>,
               output: DataType,
               f: fn(&[ColumnarValue]) -> Result<ColumnarValue>| {
        ctx.register_udf(create_udf(
            name,
            inputs,
            output,
            Volatility::Immutable,
            Arc::new(f),
        ));
    };
    udf(
        "care_days",
        vec![Date32, Date32, Date32, Date32, Utf8],
        Int64,
        care_days,
    );
    udf("age_at", vec![Date32, Date32], Int32, age_at);
    udf(
        "age_at_year_end",
        vec![Date32, Int64],
        Int32,
        age_at_year_end,
    );
    ctx.register_udf(ScalarUDF::new_from_impl(
        SimpleScalarUDF::new_with_signature(
            "working_days_after",
            with_optional_text(vec![Date32, Date32]),
            Int64,
            Arc::new(working_days_after),
        ),
    ));
    udf(
        "add_working_days",
        vec![Date32, Int64],
        Date32,
        add_working_days,
    );
    udf(
        "time_limit_end",
        vec![Date32, Int64],
        Date32,
        time_limit_end,
    );
    udf("deadline_day", vec![Date32], Date32, deadline_day);
    udf("add_months", vec![Date32, Int64], Date32, add_months);
    ctx.register_udf(ScalarUDF::new_from_impl(
        SimpleScalarUDF::new_with_signature(
            "compensation_end",
            with_optional_text(vec![Date32, Utf8, Date32]),
            Date32,
            Arc::new(compensation_end),
        ),
    ));
    register_compensation(ctx, peitto_domain::compensation::RateTable::default());
}

#[cfg(test)]
mod range_tests {
    #[test]
    fn the_register_range_is_1900_to_2199() {
        use peitto_model::Date;
        assert_eq!(Date::from_ymd(1900, 1, 1).unwrap().0, super::FIRST_DAY);
        assert_eq!(Date::from_ymd(2199, 12, 31).unwrap().0, super::LAST_DAY);
    }
}
