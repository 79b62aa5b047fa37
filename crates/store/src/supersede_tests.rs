//! Tests of newer records replacing older ones at commit.

use super::*;
use arrow::array::{Int64Array, StringArray};

fn population(ages: &[i64], persons: i64) -> (RecordBatch, KeySet) {
    let t = &peitto_model::tables::POPULATION;
    let n = ages.len();
    let batch = RecordBatch::try_new(
        Arc::new(t.schema()),
        vec![
            Arc::new(Int64Array::from(vec![2024; n])),
            Arc::new(StringArray::from(vec!["KU598"; n])),
            Arc::new(Int64Array::from(ages.to_vec())),
            Arc::new(StringArray::from(vec!["1"; n])),
            Arc::new(Int64Array::from(vec![persons; n])),
        ],
    )
    .unwrap();
    let cols: Vec<usize> = t.key.iter().map(|k| t.column_index(k).unwrap()).collect();
    let keys = (0..n)
        .map(|r| KeyHasher::of_row(&batch, &cols, r))
        .collect();
    (batch, keys)
}

fn stage(store: &mut Store, id: &str, ages: &[i64], persons: i64) -> StagedPart {
    let (batch, keys) = population(ages, persons);
    let mut w = store
        .part_writer(&peitto_model::tables::POPULATION)
        .unwrap();
    w.write(&batch).unwrap();
    w.finish(id, "p.csv", "reference", keys).unwrap()
}

#[test]
fn newer_rows_replace_stored_rows_with_the_same_key() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    let first = stage(&mut store, "one", &[0, 1, 2], 10);
    assert!(store.commit(vec![first], &[]).unwrap().is_empty());
    // An updated extract: ages 1 and 2 again with new counts, and age 3.
    let second = stage(&mut store, "two", &[1, 2, 3], 20);
    let replaced = store.commit(vec![second], &[]).unwrap();
    assert_eq!(replaced["population"], 2);
    let batches = read_table(tmp.path(), "population").unwrap();
    assert_eq!(row_count(&batches), 4);
    let total: i64 = batches
        .iter()
        .map(|b| {
            b.column(4)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .iter()
                .flatten()
                .sum::<i64>()
        })
        .sum();
    assert_eq!(total, 10 + 3 * 20);
}

#[test]
fn later_staged_parts_win_over_earlier_ones_in_one_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    let a = stage(&mut store, "a", &[0, 1], 1);
    let b = stage(&mut store, "b", &[1, 2], 2);
    let replaced = store.commit(vec![a, b], &[]).unwrap();
    assert_eq!(replaced["population"], 1);
    assert_eq!(row_count(&read_table(tmp.path(), "population").unwrap()), 3);
}
