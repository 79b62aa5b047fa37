//! Tests of staging, locking, formats and the person merge.

use super::*;
use crate::commit::key_prefix;
use arrow::array::{BooleanArray, Date32Array};
use arrow::array::{Int64Array, StringArray};

fn population_batch(rows: i64) -> RecordBatch {
    let t = &peitto_model::tables::POPULATION;
    RecordBatch::try_new(
        Arc::new(t.schema()),
        vec![
            Arc::new(Int64Array::from(vec![2024; rows as usize])),
            Arc::new(StringArray::from(vec!["KU598"; rows as usize])),
            Arc::new(Int64Array::from((0..rows).collect::<Vec<_>>())),
            Arc::new(StringArray::from(vec!["1"; rows as usize])),
            Arc::new(Int64Array::from(vec![10; rows as usize])),
        ],
    )
    .unwrap()
}

/// A population part of `rows` rows staged as extract `abc`.
fn staged_population(store: &mut Store, rows: i64) -> StagedPart {
    let mut w = store
        .part_writer(&peitto_model::tables::POPULATION)
        .unwrap();
    w.write(&population_batch(rows)).unwrap();
    w.finish("abc", "vaesto.csv", "reference", KeySet::new())
        .unwrap()
}

#[test]
fn staged_parts_are_invisible_until_commit_and_removed_when_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    let staged = staged_population(&mut store, 3);
    assert!(read_table(tmp.path(), "population").unwrap().is_empty());
    drop(staged);
    assert_eq!(fs::read_dir(tmp.path().join(STAGING)).unwrap().count(), 0);

    let staged = staged_population(&mut store, 4);
    store.commit(vec![staged], &[]).unwrap();
    assert_eq!(row_count(&read_table(tmp.path(), "population").unwrap()), 4);
    assert!(store.has_part("population", "abc"));
    assert_eq!(store.table_rows()["population"], 4);
}

#[test]
fn a_second_open_is_refused_while_locked_and_leftovers_are_cleaned() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(tmp.path()).unwrap();
    assert!(matches!(
        Store::open(tmp.path()),
        Err(StoreError::Locked(_))
    ));
    drop(store);
    fs::create_dir_all(tmp.path().join("population")).unwrap();
    fs::write(tmp.path().join("population/orphan.parquet"), b"x").unwrap();
    let _store = Store::open(tmp.path()).unwrap();
    assert!(!tmp.path().join("population/orphan.parquet").exists());
}

#[test]
fn a_lock_file_left_by_a_killed_command_does_not_block() {
    // What a process killed with -9 leaves: the file, no lock on it.
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join(LOCK), "12345\n").unwrap();
    let store = Store::open(tmp.path()).unwrap();
    // The lock is held while the store is open, by the system.
    let other = fs::File::open(tmp.path().join(LOCK)).unwrap();
    assert!(matches!(
        other.try_lock(),
        Err(fs::TryLockError::WouldBlock)
    ));
    drop(store);
    assert!(other.try_lock().is_ok());
}

#[test]
fn a_store_of_another_format_is_refused_and_left_as_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    let staged = staged_population(&mut store, 3);
    store.commit(vec![staged], &[]).unwrap();
    drop(store);
    let path = tmp.path().join(MANIFEST);
    let written = fs::read_to_string(&path).unwrap();
    let old = written.replace(&format!("\"version\": {FORMAT_VERSION}"), "\"version\": 1");
    assert_ne!(old, written, "the manifest names its format");
    fs::write(&path, &old).unwrap();
    match Store::open(tmp.path()) {
        Err(StoreError::Version { found: 1, .. }) => {}
        other => panic!("expected a format error, got {other:?}"),
    }
    assert!(matches!(
        Store::read_manifest(tmp.path()),
        Err(StoreError::Version { found: 1, .. })
    ));
    assert_eq!(fs::read_to_string(&path).unwrap(), old);
    let lock = fs::File::open(tmp.path().join(LOCK)).unwrap();
    assert!(lock.try_lock().is_ok(), "the lock is released");
}

#[test]
fn persons_merge_to_one_row_per_key() {
    let tmp = tempfile::tempdir().unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    let batch = |keys: Vec<&str>, born: i32| {
        let n = keys.len();
        RecordBatch::try_new(
            Arc::new(peitto_model::tables::PERSON.schema()),
            vec![
                Arc::new(StringArray::from(keys)),
                Arc::new(Date32Array::from(vec![born; n])),
                Arc::new(StringArray::from(vec!["2"; n])),
                Arc::new(BooleanArray::from(vec![true; n])),
            ],
        )
        .unwrap()
    };
    store.commit(vec![], &[batch(vec!["b", "a"], 100)]).unwrap();
    // Two batches of one commit, each repeating a person.
    store
        .commit(vec![], &[batch(vec!["c", "b"], 200), batch(vec!["c"], 300)])
        .unwrap();
    let batches = read_table(tmp.path(), "person").unwrap();
    assert_eq!(row_count(&batches), 3);
    assert_eq!(fs::read_dir(tmp.path().join("person")).unwrap().count(), 1);
    let merged = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    let keys = merged
        .column(0)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    let born = merged
        .column(1)
        .as_any()
        .downcast_ref::<Date32Array>()
        .unwrap();
    let rows: Vec<(&str, i32)> = (0..3).map(|i| (keys.value(i), born.value(i))).collect();
    // In key order; a stored person keeps the stored facts; the first of a commit wins.
    assert_eq!(rows, [("a", 100), ("b", 100), ("c", 200)]);
}

#[test]
fn key_prefixes_order_as_the_keys_do() {
    let long = "f".repeat(32);
    let keys = [
        String::new(),
        "a".into(),
        "a\0".into(),
        "ab".into(),
        long.clone(),
        format!("{long}\0"),
        format!("{long}a"),
        format!("{long}b"),
        "0123456789abcdef0123456789abcdef".into(),
        "0123456789abcdef0123456789abcdee".into(),
        "ä".into(),
    ];
    for x in &keys {
        for y in &keys {
            let by_prefix = key_prefix(x).cmp(&key_prefix(y)).then_with(|| x.cmp(y));
            assert_eq!(by_prefix, x.cmp(y), "{x:?} {y:?}");
        }
    }
}
