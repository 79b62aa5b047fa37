//! The rows of a released table, enumerated from the dimensions' declared
//! domains and never from the data: whether a row is there says nothing
//! about whether anybody is in it.

use super::roles::Domain;
use super::{Limits, QueryError, Refusal};
use datafusion::arrow::array::{ArrayRef, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::ScalarValue;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::{Aggregate, Expr, LogicalPlan, col};
use datafusion::prelude::SessionContext;
use std::sync::Arc;

/// Ages a domain of ages runs over.
const MAX_AGE: i64 = 110;

/// The values of `domain`, as `ty`, from public data where it names any.
///
/// # Errors
/// If public reference data cannot be read.
pub async fn values(
    ctx: &SessionContext,
    domain: &Domain,
    ty: &DataType,
    limits: &Limits,
) -> Result<Vec<ScalarValue>, QueryError> {
    let ints = |r: std::ops::RangeInclusive<i64>| r.map(|i| ScalarValue::Int64(Some(i))).collect();
    let raw: Vec<ScalarValue> = match domain {
        Domain::Codes(list) => list
            .codes
            .iter()
            .map(|c| ScalarValue::Utf8(Some(c.code.to_owned())))
            .collect(),
        Domain::IntCodes(list) => list
            .codes
            .iter()
            .filter_map(|c| c.code.parse::<i64>().ok())
            .map(|i| ScalarValue::Int64(Some(i)))
            .collect(),
        Domain::Bool => vec![
            ScalarValue::Boolean(Some(false)),
            ScalarValue::Boolean(Some(true)),
        ],
        Domain::Municipality => distinct(
            ctx,
            "SELECT DISTINCT code FROM organisation WHERE org_type = 'KUNTA' AND code IS NOT NULL",
        )
        .await?,
        Domain::Public { table, column } => {
            if !super::roles::PUBLIC_TABLES.contains(&table.as_str())
                || !column
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(QueryError::Refused(Refusal::NoDomain {
                    expr: format!("{table}.{column}"),
                }));
            }
            distinct(
                ctx,
                &format!(
                    "SELECT DISTINCT \"{column}\" FROM {table} WHERE \"{column}\" IS NOT NULL"
                ),
            )
            .await?
        }
        Domain::Years => ints(i64::from(limits.first_year)..=i64::from(limits.last_year)),
        Domain::Quarters => ints(1..=4),
        Domain::Months => ints(1..=12),
        Domain::Weeks => ints(1..=53),
        Domain::Days => ints(1..=31),
        Domain::Weekdays { iso: false } => ints(0..=6),
        Domain::Weekdays { iso: true } => ints(1..=7),
        Domain::Ages => ints(0..=MAX_AGE),
        Domain::Literals(v) => v.clone(),
    };
    let mut out: Vec<ScalarValue> = raw
        .into_iter()
        .filter_map(|v| v.cast_to(ty).ok())
        .filter(|v| !v.is_null())
        .collect();
    out.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    out.dedup();
    Ok(out)
}

async fn distinct(ctx: &SessionContext, sql: &str) -> Result<Vec<ScalarValue>, QueryError> {
    let batches = ctx
        .sql(sql)
        .await
        .map_err(|_| QueryError::Failed)?
        .collect()
        .await
        .map_err(|_| QueryError::Failed)?;
    let mut out = Vec::new();
    for b in &batches {
        for i in 0..b.num_rows() {
            out.push(ScalarValue::try_from_array(b.column(0), i).map_err(|_| QueryError::Failed)?);
        }
    }
    Ok(out)
}

/// Keeps the values of dimension `dim` that the conditions of a `WHERE`
/// directly under the aggregate allow, where a condition is about that
/// grouping expression alone (`WHERE EXTRACT(YEAR FROM start) = 2025 …
/// GROUP BY EXTRACT(YEAR FROM start)`): the condition is the query's own
/// text, so the grid stays independent of the data.
///
/// # Errors
/// Never from the data: a condition that cannot be evaluated on the
/// values alone leaves them as they are.
pub async fn restrict(
    ctx: &SessionContext,
    agg: &Aggregate,
    dim: usize,
    values: Vec<ScalarValue>,
) -> Vec<ScalarValue> {
    let LogicalPlan::Filter(filter) = agg.input.as_ref() else {
        return values;
    };
    if values.is_empty() {
        return values;
    }
    let group = strip_alias(&agg.group_expr[dim]);
    let mut kept = values;
    for conjunct in split_and(&filter.predicate) {
        let Ok(rewritten) = conjunct.clone().transform_down(|e| {
            if strip_alias(&e) == group {
                Ok(Transformed::yes(col("__d")))
            } else {
                Ok(Transformed::no(e))
            }
        }) else {
            continue;
        };
        if !rewritten.transformed {
            continue;
        }
        let e = rewritten.data;
        if e.column_refs().iter().any(|c| c.name != "__d") {
            continue;
        }
        if let Ok(Some(k)) = evaluate(ctx, &e, &kept).await {
            kept = k;
        }
    }
    kept
}

async fn evaluate(
    ctx: &SessionContext,
    predicate: &Expr,
    values: &[ScalarValue],
) -> datafusion::error::Result<Option<Vec<ScalarValue>>> {
    let array: ArrayRef = ScalarValue::iter_to_array(values.iter().cloned())?;
    let schema = Arc::new(Schema::new(vec![Field::new(
        "__d",
        array.data_type().clone(),
        true,
    )]));
    let batch = RecordBatch::try_new(schema, vec![array])?;
    let batches = ctx
        .read_batch(batch)?
        .filter(predicate.clone())?
        .collect()
        .await?;
    let mut out = Vec::new();
    for b in &batches {
        for i in 0..b.num_rows() {
            out.push(ScalarValue::try_from_array(b.column(0), i)?);
        }
    }
    Ok(Some(out))
}

fn strip_alias(e: &Expr) -> &Expr {
    match e {
        Expr::Alias(a) => strip_alias(&a.expr),
        other => other,
    }
}

fn split_and(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::BinaryExpr(b) if b.op == datafusion::logical_expr::Operator::And => {
            let mut out = split_and(&b.left);
            out.extend(split_and(&b.right));
            out
        }
        other => vec![other],
    }
}

/// Every combination of the dimensions' values, in order.
///
/// # Errors
/// If the grid would have more than `max` cells.
pub fn product(dims: &[Vec<ScalarValue>], max: usize) -> Result<Vec<Vec<ScalarValue>>, Refusal> {
    let mut size: usize = 1;
    for d in dims {
        size = size.saturating_mul(d.len());
    }
    if size > max {
        return Err(Refusal::GridTooLarge { cells: size, max });
    }
    let mut out: Vec<Vec<ScalarValue>> = vec![Vec::new()];
    for d in dims {
        let mut next = Vec::with_capacity(out.len() * d.len());
        for prefix in &out {
            for v in d {
                let mut k = prefix.clone();
                k.push(v.clone());
                next.push(k);
            }
        }
        out = next;
    }
    Ok(out)
}
