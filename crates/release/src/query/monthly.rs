//! The rules for conditions on dates, checked by what a condition does.
//!
//! [`super::conditions`] reads a condition's form: which dates are written
//! in it, how a date is moved. Every form an attacker found that those
//! rules missed was a condition that tells two days of one month apart (a
//! window, `NULLIF`, a text prefix, `GREATEST`/`LEAST`, an age at a month's
//! first day). So a comparison on one of a person's stored dates is also
//! computed for every day of the register's range, and refused where it
//! gives two days of one month different answers: an allowlist by
//! behaviour, whatever the form.

use super::roles::{Role, stored_role};
use datafusion::arrow::array::{Array, ArrayRef, Date32Array, Int32Array, make_comparator};
use datafusion::arrow::compute::SortOptions;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::DFSchema;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::execution_props::ExecutionProps;
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use datafusion::optimizer::simplify_expressions::ExprSimplifier;
use peitto_model::Date;
use std::sync::{Arc, LazyLock};

/// The name the date under test has in the evaluated expression.
const DAY: &str = "__peitto_day";

/// Every day of the register's range (the engine's dates run 1900–2199),
/// and where each month starts in it.
static DAYS: LazyLock<(Arc<Date32Array>, Vec<usize>)> = LazyLock::new(|| {
    let first = Date::from_ymd(1900, 1, 1).map_or(-25_567, |d| d.0);
    let last = Date::from_ymd(2199, 12, 31).map_or(83_216, |d| d.0);
    let days: Vec<i32> = (first..=last).collect();
    let starts = days
        .iter()
        .enumerate()
        .filter(|(_, d)| Date(**d).ymd().2 == 1)
        .map(|(i, _)| i)
        .collect();
    (Arc::new(Date32Array::from(days)), starts)
});

/// Whether `left op right`, a comparison on person data in stored columns,
/// reads one stored date of a person and gives two days of one month
/// different answers. A comparison of more than one stored column, or of
/// none that is a date, is left to the rules of form; one that cannot be
/// computed for some day of the range (it would fail on a stored value) is
/// refused as telling days apart.
pub(crate) fn differs_within_a_month(op: Operator, left: &Expr, right: &Expr) -> bool {
    let condition = Expr::BinaryExpr(BinaryExpr::new(
        Box::new(left.clone()),
        op,
        Box::new(right.clone()),
    ));
    match on_every_day(&condition) {
        Answers::NotOneDate => false,
        Answers::Fails => true,
        Answers::Computed(a) => changes_within_a_month(&a),
    }
}

/// Whether `value`, computed from one stored date of a person, differs
/// between two days of one month: as a dimension compared with a column
/// (a reference table's age, another dimension) or joined on, it is a
/// condition whose other side the query chooses (`age_at(birth_date, DATE
/// '2025-06-01')` joined with the population's ages, the population then
/// filtered to 18). A date is read by its month.
pub(crate) fn value_differs_within_a_month(value: &Expr) -> bool {
    match on_every_day(value) {
        Answers::NotOneDate => false,
        Answers::Fails => true,
        Answers::Computed(a) => {
            if let Some(dates) = a.as_any().downcast_ref::<Date32Array>() {
                let months: Int32Array = dates
                    .iter()
                    .map(|d| {
                        d.map(|d| {
                            let (y, m, _) = Date(d).ymd();
                            y * 12 + i32::try_from(m).unwrap_or(0)
                        })
                    })
                    .collect();
                changes_within_a_month(&months)
            } else {
                changes_within_a_month(&a)
            }
        }
    }
}

/// What an expression gives on every day of the range.
enum Answers {
    /// It reads no stored date of a person, or more than one column.
    NotOneDate,
    /// It cannot be computed for some day.
    Fails,
    /// One answer per day of [`DAYS`].
    Computed(ArrayRef),
}

fn on_every_day(expr: &Expr) -> Answers {
    let columns = expr.column_refs();
    let [column] = columns.iter().collect::<Vec<_>>()[..] else {
        return Answers::NotOneDate;
    };
    let column = (*column).clone();
    let Some(table) = column.relation.as_ref().map(|r| r.table().to_owned()) else {
        return Answers::NotOneDate;
    };
    if stored_role(&table, &column.name) != Role::Date {
        return Answers::NotOneDate;
    }
    let on_day = expr
        .clone()
        .transform_up(|e| match e {
            Expr::Column(c) if c == column => Ok(Transformed::yes(Expr::Column(
                datafusion::common::Column::from_name(DAY),
            ))),
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data);
    let Ok(on_day) = on_day else {
        return Answers::Fails;
    };
    let schema = Schema::new(vec![Field::new(DAY, DataType::Date32, true)]);
    let Ok(df_schema) = DFSchema::try_from(schema.clone()) else {
        return Answers::Fails;
    };
    // The plan is checked before DataFusion adds its conversions (a date
    // written as text) and rewrites what only its planner may run
    // (`coalesce`): both done here as it would.
    let simplifier = ExprSimplifier::new(
        SimplifyContext::builder()
            .with_schema(Arc::new(df_schema.clone()))
            .build(),
    );
    let ready = simplifier
        .coerce(on_day, &df_schema)
        .and_then(|e| simplifier.simplify(e));
    let Ok(on_day) = ready else {
        return Answers::Fails;
    };
    let Ok(physical) = datafusion::physical_expr::create_physical_expr(
        &on_day,
        &df_schema,
        &ExecutionProps::new(),
        &PhysicalPlanningContext::default(),
    ) else {
        // A count or sum of a person's rows is not computed per day: the
        // rules of form apply alone. Anything else that cannot be computed
        // is refused, so that no form escapes this check by failing it.
        let aggregate = on_day
            .exists(|e| Ok(matches!(e, Expr::AggregateFunction(_))))
            .unwrap_or(true);
        return if aggregate {
            Answers::NotOneDate
        } else {
            Answers::Fails
        };
    };
    let Ok(batch) = RecordBatch::try_new(Arc::new(schema), vec![DAYS.0.clone()]) else {
        return Answers::Fails;
    };
    match physical
        .evaluate(&batch)
        .and_then(|v| v.into_array(batch.num_rows()))
    {
        Ok(a) if a.len() == batch.num_rows() => Answers::Computed(a),
        _ => Answers::Fails,
    }
}

/// Whether two days of one month of [`DAYS`] have different answers.
fn changes_within_a_month(answers: &dyn Array) -> bool {
    let Ok(compare) = make_comparator(answers, answers, SortOptions::default()) else {
        return true;
    };
    let starts = &DAYS.1;
    let mut month = 0;
    (1..answers.len()).any(|i| {
        if starts.get(month + 1) == Some(&i) {
            month += 1;
            return false;
        }
        compare(i - 1, i).is_ne()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::common::ScalarValue;
    use datafusion::logical_expr::{col, lit};

    fn birth() -> Expr {
        col("person.birth_date")
    }

    fn day(y: i32, m: u32, d: u32) -> Expr {
        lit(ScalarValue::Date32(Some(
            Date::from_ymd(y, m, d).unwrap().0,
        )))
    }

    #[test]
    fn a_month_edge_is_one_class_and_a_day_is_not() {
        assert!(!differs_within_a_month(
            Operator::GtEq,
            &birth(),
            &day(2010, 3, 1)
        ));
        assert!(!differs_within_a_month(
            Operator::LtEq,
            &birth(),
            &day(2010, 3, 31)
        ));
        assert!(differs_within_a_month(
            Operator::GtEq,
            &birth(),
            &day(2010, 3, 17)
        ));
        assert!(differs_within_a_month(
            Operator::Eq,
            &birth(),
            &day(2010, 3, 1)
        ));
    }

    #[test]
    fn an_age_at_a_months_last_day_is_one_class_and_at_its_first_is_not() {
        let ctx = datafusion::prelude::SessionContext::new();
        peitto_engine::functions::register(&ctx);
        let udf = datafusion::execution::FunctionRegistry::udf(&ctx, "age_at").unwrap();
        let age_at = |d: Expr| udf.call(vec![birth(), d]);
        assert!(!value_differs_within_a_month(&age_at(day(2025, 5, 31))));
        assert!(value_differs_within_a_month(&age_at(day(2025, 6, 1))));
        // 29 February apart from the rest of February.
        assert!(value_differs_within_a_month(&age_at(day(2025, 2, 28))));
        assert!(!value_differs_within_a_month(&age_at(day(2024, 2, 29))));
    }

    #[test]
    fn a_comparison_of_other_columns_is_left_to_the_rules_of_form() {
        assert!(!differs_within_a_month(
            Operator::Eq,
            &col("person.sex"),
            &lit("1")
        ));
        assert!(!differs_within_a_month(
            Operator::Eq,
            &birth(),
            &col("cw_placement.start")
        ));
    }
}
