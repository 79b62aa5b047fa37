//! Protected cells back into the plan: the memory table that stands in
//! for a release aggregate, and the released rows as a [`Table`].

use super::*;

/// The plan that stands in for the aggregate: its protected cells in a
/// memory table, projected to the aggregate's exact column names.
pub(crate) fn substitute(
    agg: &ReleaseAggregate,
    cells: &Cells,
    n: usize,
) -> Result<LogicalPlan, ReleaseError> {
    let schema = agg.node.schema.clone();
    let groups = agg.node.group_expr.len();
    let quantities = parts(agg);
    let mut columns: Vec<ArrayRef> = Vec::new();
    let mut fields = Vec::new();
    for (i, (_, field)) in schema.iter().enumerate() {
        // The role travels with the column through the rest of the plan,
        // so the outputs know a computed age is a dimension, not a count.
        let role = if i < groups { "dimension" } else { "measure" };
        fields.push(
            Field::new(format!("__c{i}"), field.data_type().clone(), true).with_metadata(
                std::collections::HashMap::from([(ROLE.to_owned(), role.to_owned())]),
            ),
        );
        if i < groups {
            let null = ScalarValue::try_from(field.data_type())?;
            let values = cells
                .rows
                .iter()
                .map(|(g, _)| g[i].clone().unwrap_or_else(|| null.clone()))
                .map(|v| v.cast_to(field.data_type()));
            let values: Vec<ScalarValue> = values.collect::<Result<_, _>>()?;
            columns.push(if values.is_empty() {
                datafusion::arrow::array::new_empty_array(field.data_type())
            } else {
                ScalarValue::iter_to_array(values)?
            });
            continue;
        }
        let j = i - groups;
        let of: Vec<usize> = quantities
            .iter()
            .enumerate()
            .filter(|(_, (m, _))| *m == j)
            .map(|(q, _)| q)
            .collect();
        let values: Float64Array = cells
            .rows
            .iter()
            .map(|(_, v)| match of.as_slice() {
                [q] => v[*q],
                [s, c] => match (v[*s], v[*c]) {
                    (Some(s), Some(c)) if c > 0.0 => Some(s / c),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        columns.push(cast(&values, field.data_type())?);
    }
    let arrow_schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(arrow_schema.clone(), columns)?;
    let table = MemTable::try_new(arrow_schema, vec![vec![batch]])?;
    let exprs: Vec<Expr> = schema
        .iter()
        .enumerate()
        .map(|(i, (q, f))| {
            Expr::Column(Column::new_unqualified(format!("__c{i}")))
                .alias_qualified(q.cloned(), f.name())
        })
        .collect();
    Ok(LogicalPlanBuilder::scan(
        format!("__protected_{n}"),
        provider_as_source(Arc::new(table)),
        None,
    )?
    .project(exprs)?
    .build()?)
}

pub(crate) fn to_table(
    schema: &Schema,
    batches: &[RecordBatch],
    dims: &BTreeSet<String>,
) -> Result<Table, ReleaseError> {
    let columns: Vec<OutColumn> = schema
        .fields()
        .iter()
        .map(|f| OutColumn {
            name: f.name().clone(),
            dimension: match f.metadata().get(ROLE).map(String::as_str) {
                Some("dimension") => true,
                Some(_) => false,
                None => dims.contains(f.name()) || !f.data_type().is_numeric(),
            },
        })
        .collect();
    let mut rows = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows() {
            let mut row = Vec::new();
            for (c, col) in columns.iter().enumerate() {
                let v = ScalarValue::try_from_array(batch.column(c), r)?;
                row.push(value(&v, col.dimension));
            }
            rows.push(row);
        }
    }
    Ok(Table { columns, rows })
}

fn value(v: &ScalarValue, dimension: bool) -> Value {
    if v.is_null() {
        return if dimension {
            Value::Total
        } else {
            Value::Suppressed
        };
    }
    match v {
        ScalarValue::Int8(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::Int16(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::Int32(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::Int64(Some(x)) => Value::Int(*x),
        ScalarValue::UInt8(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::UInt16(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::UInt32(Some(x)) => Value::Int(i64::from(*x)),
        ScalarValue::UInt64(Some(x)) => Value::Int(i64::try_from(*x).unwrap_or(i64::MAX)),
        ScalarValue::Float64(Some(x)) if dimension => Value::Text(x.to_string()),
        // A ratio of empty cells (0 / 0 euros per day) has no number to
        // show: it is given the symbol, never NaN.
        ScalarValue::Float32(Some(x)) if !x.is_finite() => Value::Suppressed,
        ScalarValue::Float64(Some(x)) if !x.is_finite() => Value::Suppressed,
        ScalarValue::Float32(Some(x)) => Value::Number(f64::from(*x)),
        ScalarValue::Float64(Some(x)) => Value::Number(*x),
        ScalarValue::Decimal128(Some(x), _, s) => {
            let f = *x as f64 / 10f64.powi(i32::from(*s));
            Value::Number(f)
        }
        other => Value::Text(other.to_string()),
    }
}
