//! A question of public reference data alone (population, organisations):
//! nothing in it is a cell of persons, so it is shown as it is.

use datafusion::logical_expr::LogicalPlan;
use std::collections::BTreeSet;

/// The columns of a question of public reference data alone that classify
/// its rows: those its aggregates group by, or every column where it has
/// none (`SELECT * FROM organisation`), so that an age of 0 is not shown
/// as the nil of a count.
pub(super) fn dimensions(plan: &LogicalPlan) -> BTreeSet<String> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    let mut groups = BTreeSet::new();
    let mut aggregated = false;
    // The closure never fails.
    let _ = plan.apply(|node| {
        if let LogicalPlan::Aggregate(a) = node {
            aggregated = true;
            groups.extend(crate::group_names(a));
        }
        Ok(TreeNodeRecursion::Continue)
    });
    if aggregated {
        groups
    } else {
        plan.schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }
}

/// Public data is published as it is: no cell of it is a total the
/// release added or a withheld one, so an empty value is shown empty.
pub(super) fn as_published(table: &mut peitto_table::Table) {
    use peitto_table::Value;
    for value in table.rows.iter_mut().flatten() {
        if matches!(value, Value::Total | Value::Suppressed) {
            *value = Value::Text(String::new());
        }
    }
}
