//! peitto's domain rules as SQL functions. Each wraps a function of
//! `peitto-domain`, where the definitions and their sources are documented.
//!
//! | function | returns |
//! |---|---|
//! | `care_days(start, end, from, until, rule)` | days of `[start, end)` in `[from, until)`; rule `STATISTICAL`, `ARRIVAL_NOT_DEPARTURE` or `INCLUSIVE`; `end` NULL while ongoing |
//! | `age_at(birth, date)` | age in whole years on `date` |
//! | `age_at_year_end(birth, year)` | age on 31.12. of `year` (THL's reference date) |
//! | `working_days_after(start, end)` | Finnish working days after `start` up to `end` (LsL 26 §: the day of receipt does not count) |
//! | `add_working_days(date, n)` | the `n`th working day after `date` |
//! | `add_months(date, n)` | `date` plus `n` months, clamped to month end |
//! | `compensation_end(home_date, permit_basis, citizenship_date)` | end (exclusive) of the flat-rate compensation window |
//! | `compensation_month(birth, month_start, window_start, window_end)` | the municipality's expected flat-rate compensation for that month, € |

use datafusion::arrow::array::{
    ArrayRef, AsArray, Date32Array, Float64Array, Int32Array, Int64Array,
};
use datafusion::arrow::datatypes::{DataType, Date32Type, Int64Type};
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{ColumnarValue, Volatility, create_udf};
use datafusion::prelude::SessionContext;
use peitto_domain::DayRule;
use peitto_model::Date;
use std::sync::Arc;

type Result<T> = std::result::Result<T, DataFusionError>;

fn arrays(args: &[ColumnarValue]) -> Result<Vec<ArrayRef>> {
    ColumnarValue::values_to_arrays(args)
}

fn date_at(a: &ArrayRef, i: usize) -> Option<Date> {
    let a = a.as_primitive::<Date32Type>();
    (!a.is_null(i)).then(|| Date(a.value(i)))
}

fn int_at(a: &ArrayRef, i: usize) -> Option<i64> {
    let a = a.as_primitive::<Int64Type>();
    (!a.is_null(i)).then(|| a.value(i))
}

use datafusion::arrow::array::Array;

fn care_days(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args)?;
    let rules = a[4].as_string::<i32>();
    let out: Int64Array = (0..a[0].len())
        .map(|i| {
            let start = date_at(&a[0], i)?;
            let from = date_at(&a[2], i)?;
            let until = date_at(&a[3], i)?;
            let rule = if rules.is_null(i) {
                Some(DayRule::Statistical)
            } else {
                DayRule::from_code(rules.value(i))
            }?;
            Some(peitto_domain::care_days(
                start,
                date_at(&a[1], i),
                from,
                until,
                rule,
            ))
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn age_at(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args)?;
    let out: Int32Array = (0..a[0].len())
        .map(|i| {
            Some(peitto_domain::age_at(
                date_at(&a[0], i)?,
                date_at(&a[1], i)?,
            ))
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn age_at_year_end(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args)?;
    let out: Int32Array = (0..a[0].len())
        .map(|i| {
            Some(peitto_domain::age_at_year_end(
                date_at(&a[0], i)?,
                i32::try_from(int_at(&a[1], i)?).ok()?,
            ))
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn working_days_after(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args)?;
    let out: Int64Array = (0..a[0].len())
        .map(|i| {
            Some(peitto_domain::working_days_after(
                date_at(&a[0], i)?,
                date_at(&a[1], i)?,
            ))
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn add_working_days(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args)?;
    let out: Date32Array = (0..a[0].len())
        .map(|i| {
            Some(
                peitto_domain::add_working_days(
                    date_at(&a[0], i)?,
                    u32::try_from(int_at(&a[1], i)?).ok()?,
                )
                .0,
            )
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn add_months(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args)?;
    let out: Date32Array = (0..a[0].len())
        .map(|i| {
            Some(
                peitto_domain::add_months(
                    date_at(&a[0], i)?,
                    i32::try_from(int_at(&a[1], i)?).ok()?,
                )
                .0,
            )
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn compensation_end(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args)?;
    let basis = a[1].as_string::<i32>();
    let rules = peitto_domain::compensation::Durations::default();
    let out: Date32Array = (0..a[0].len())
        .map(|i| {
            let home = date_at(&a[0], i)?;
            let permit = if basis.is_null(i) { "" } else { basis.value(i) };
            Some(
                peitto_domain::compensation::window(home, permit, date_at(&a[2], i), &rules)
                    .1
                    .0,
            )
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
}

fn compensation_month(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let a = arrays(args)?;
    let out: Float64Array = (0..a[0].len())
        .map(|i| {
            let window = (date_at(&a[2], i)?, date_at(&a[3], i)?);
            Some(peitto_domain::compensation::monthly(
                date_at(&a[0], i)?,
                date_at(&a[1], i)?,
                window,
                peitto_domain::compensation::MUNICIPAL_2023,
            ))
        })
        .collect();
    Ok(ColumnarValue::Array(Arc::new(out)))
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
    udf(
        "working_days_after",
        vec![Date32, Date32],
        Int64,
        working_days_after,
    );
    udf(
        "add_working_days",
        vec![Date32, Int64],
        Date32,
        add_working_days,
    );
    udf("add_months", vec![Date32, Int64], Date32, add_months);
    udf(
        "compensation_end",
        vec![Date32, Utf8, Date32],
        Date32,
        compensation_end,
    );
    udf(
        "compensation_month",
        vec![Date32, Date32, Date32, Date32],
        DataType::Float64,
        compensation_month,
    );
}
