//! Person-level partials of a release aggregate: one scan of the
//! aggregate's input grouped by leaf and person, so that each cell knows its
//! persons and each person's contribution.

use super::*;

/// Person-level partials of one release aggregate: per leaf (the grouping
/// values), its persons and their measures.
#[derive(Default)]
pub(crate) struct Partials {
    /// Pseudonyms by person number.
    pub(crate) names: crate::persons::Names,
    /// Per leaf: its grouping values and persons.
    pub(crate) cells: Vec<(Vec<ScalarValue>, PersonPartials)>,
}

/// One leaf's persons, each once (DataFusion groups the partials by leaf
/// and person), and per person and measure (sum of values, rows with a
/// value), `measures` to a person.
#[derive(Default)]
pub(crate) struct PersonPartials {
    pub(crate) ids: Vec<u32>,
    parts: Vec<(f64, u64)>,
    /// Measures per person.
    width: usize,
}

impl PersonPartials {
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// The measures of the leaf's `at`th person.
    pub(crate) fn person(&self, at: usize) -> &[(f64, u64)] {
        &self.parts[at * self.width..(at + 1) * self.width]
    }

    /// (person number, their measures) for each person of the leaf.
    pub(crate) fn persons(&self) -> impl Iterator<Item = (u32, &[(f64, u64)])> {
        self.ids
            .iter()
            .enumerate()
            .map(|(at, &id)| (id, self.person(at)))
    }

    /// Each person's (sum, rows) of measure `j`.
    pub(crate) fn measure(&self, j: usize) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.persons().map(move |(_, m)| m[j])
    }
}

/// A protected cell: grouping values (`None`: the total) and the value of
/// each protected quantity (`None`: withheld).
pub(crate) type CellRow = (Vec<Option<ScalarValue>>, Vec<Option<f64>>);

pub(crate) async fn partials(
    ctx: &datafusion::prelude::SessionContext,
    agg: &ReleaseAggregate,
) -> Result<Partials, ReleaseError> {
    // Grouped by the pseudonyms' values where every one is a keyed
    // pseudonym (always, from ingest), else by their text.
    let batches = match partial_batches(ctx, agg, true).await {
        Err(ReleaseError::DataFusion(e)) if e.to_string().contains(crate::persons::NOT_KEYED) => {
            partial_batches(ctx, agg, false).await?
        }
        result => result?,
    };
    collect_partials(agg, &batches)
}

/// One row per (cell, person) from DataFusion's parallel aggregation: per
/// measure the sum of its values and how many rows have one. The person
/// column holds the pseudonyms' values (`keyed`) or the pseudonyms.
async fn partial_batches(
    ctx: &datafusion::prelude::SessionContext,
    agg: &ReleaseAggregate,
    keyed: bool,
) -> Result<Vec<RecordBatch>, ReleaseError> {
    let input = agg.node.input.as_ref().clone();
    let mut exprs = Vec::new();
    for (i, g) in agg.node.group_expr.iter().enumerate() {
        exprs.push(g.clone().alias(format!("__g{i}")));
    }
    let unit = Expr::Column(Column::from(input.schema().qualified_field(agg.unit)));
    let unit = if keyed {
        crate::persons::key_function().call(vec![unit])
    } else {
        unit
    };
    exprs.push(unit.alias("__pu"));
    for (j, (_, arg, filter)) in agg.measures.iter().enumerate() {
        let e = match filter {
            Some(f) => when(f.clone(), arg.clone()).end()?,
            None => arg.clone(),
        };
        exprs.push(e.alias(format!("__m{j}")));
    }
    let projected = LogicalPlanBuilder::from(input).project(exprs)?.build()?;
    let groups = agg.node.group_expr.len();
    let measures = agg.measures.len();
    // A count's argument may be text; only whether it is set matters, so it
    // is summed as ones.
    let mut keys: Vec<Expr> = (0..groups).map(|i| col(format!("__g{i}"))).collect();
    keys.push(col("__pu"));
    let mut sums = Vec::with_capacity(2 * measures);
    for j in 0..measures {
        let name = format!("__m{j}");
        let numeric = projected
            .schema()
            .field_with_unqualified_name(&name)?
            .data_type()
            .is_numeric();
        let value = if numeric {
            cast_expr(col(&name), DataType::Float64)
        } else {
            when(col(&name).is_not_null(), lit(1.0_f64)).end()?
        };
        sums.push(sum(value).alias(format!("__s{j}")));
        sums.push(count(col(&name)).alias(format!("__c{j}")));
    }
    let plan = LogicalPlanBuilder::from(projected)
        .aggregate(keys, sums)?
        .build()?;
    Ok(ctx.execute_logical_plan(plan).await?.collect().await?)
}

/// The partials' rows by leaf and person number.
fn collect_partials(
    agg: &ReleaseAggregate,
    batches: &[RecordBatch],
) -> Result<Partials, ReleaseError> {
    let groups = agg.node.group_expr.len();
    let measures = agg.measures.len();
    let mut out = Partials::default();
    // Leaves by their grouping values in arrow's row format (no value
    // objects per row).
    let mut leaves: FxHashMap<Vec<u8>, usize> = FxHashMap::default();
    let mut converter: Option<RowConverter> = None;
    let persons: Vec<ArrayRef> = batches
        .iter()
        .map(|b| match b.column(groups).data_type() {
            DataType::Decimal128(..) => Ok(Arc::clone(b.column(groups))),
            _ => cast(b.column(groups), &DataType::Utf8),
        })
        .collect::<Result<_, _>>()?;
    let person_columns: Vec<crate::persons::PersonColumn<'_>> = persons
        .iter()
        .map(|p| match p.data_type() {
            DataType::Decimal128(..) => crate::persons::PersonColumn::Keys(
                p.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>(),
            ),
            _ => crate::persons::PersonColumn::Names(p.as_string::<i32>()),
        })
        .collect();
    let (names, of_row) = crate::persons::number(&person_columns)?;
    out.names = names;
    let mut first_row = 0;
    for batch in batches {
        let totals: Vec<(ArrayRef, ArrayRef)> = (0..measures)
            .map(|j| {
                Ok::<_, ReleaseError>((
                    cast(batch.column(groups + 1 + 2 * j), &DataType::Float64)?,
                    cast(batch.column(groups + 2 + 2 * j), &DataType::UInt64)?,
                ))
            })
            .collect::<Result<_, _>>()?;
        let totals: Vec<(&Float64Array, &datafusion::arrow::array::UInt64Array)> = totals
            .iter()
            .map(|(t, r)| {
                (
                    t.as_primitive::<Float64Type>(),
                    r.as_primitive::<UInt64Type>(),
                )
            })
            .collect();
        let converter = match &mut converter {
            Some(c) => c,
            None => converter.insert(RowConverter::new(
                batch.columns()[..groups]
                    .iter()
                    .map(|c| SortField::new(c.data_type().clone()))
                    .collect(),
            )?),
        };
        // Without grouping columns every row is of the one leaf (no bytes).
        let keys = (groups > 0)
            .then(|| converter.convert_columns(&batch.columns()[..groups]))
            .transpose()?;
        for row in 0..batch.num_rows() {
            let bytes: &[u8] = keys.as_ref().map_or(&[], |k| k.row(row).data());
            let leaf = match leaves.get(bytes) {
                Some(&leaf) => leaf,
                None => {
                    let key = (0..groups)
                        .map(|g| ScalarValue::try_from_array(batch.column(g), row))
                        .collect::<Result<Vec<_>, _>>()?;
                    out.cells.push((
                        key,
                        PersonPartials {
                            width: measures,
                            ..PersonPartials::default()
                        },
                    ));
                    leaves.insert(bytes.to_vec(), out.cells.len() - 1);
                    out.cells.len() - 1
                }
            };
            // A row with no person (an outer join's empty side) still makes
            // its cell exist, with nobody in it.
            let id = of_row[first_row + row];
            if id == crate::persons::NOBODY {
                continue;
            }
            let cell = &mut out.cells[leaf].1;
            cell.ids.push(id);
            for (total, rows) in &totals {
                let sum = if total.is_null(row) {
                    0.0
                } else {
                    total.value(row)
                };
                cell.parts.push((sum, rows.value(row)));
            }
        }
        first_row += batch.num_rows();
    }
    Ok(out)
}

/// What one person contributes to a protected quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Sum,
    Rows,
    Present,
}

/// The protected quantities behind the aggregate's measures: AVG is a sum
/// and a count, each protected.
pub(crate) fn parts(agg: &ReleaseAggregate) -> Vec<(usize, Part)> {
    let mut out = Vec::new();
    for (j, (kind, _, _)) in agg.measures.iter().enumerate() {
        match kind {
            MeasureKind::Count => out.push((j, Part::Rows)),
            MeasureKind::Persons => out.push((j, Part::Present)),
            MeasureKind::Sum => out.push((j, Part::Sum)),
            MeasureKind::Avg => {
                out.push((j, Part::Sum));
                out.push((j, Part::Rows));
            }
        }
    }
    out
}

pub(crate) fn contribution(part: Part, (sum, rows): (f64, u64)) -> f64 {
    match part {
        Part::Sum => sum,
        // row counts are far below 2^52
        Part::Rows => rows as f64,
        Part::Present => f64::from(u8::from(rows > 0)),
    }
}
