//! In-memory engines for the crate's unit tests: every model table
//! registered, empty but for the persons a test gives.

use datafusion::arrow::array::{ArrayRef, Date32Array, RecordBatch, StringArray};
use datafusion::datasource::MemTable;
use peitto_engine::Engine;
use std::sync::Arc;

/// An engine with every model table empty, and `person` holding `persons`
/// (pseudonym, sex, birth date as days since 1970).
pub(crate) fn engine(persons: &[(&str, &str, i32)]) -> Engine {
    let engine = Engine::empty();
    for t in peitto_model::tables() {
        let schema = Arc::new(t.schema());
        let batches = if t.name == "person" && !persons.is_empty() {
            let columns: Vec<ArrayRef> = schema
                .fields()
                .iter()
                .map(|f| -> ArrayRef {
                    match f.name().as_str() {
                        "person_key" => Arc::new(StringArray::from(
                            persons.iter().map(|p| p.0).collect::<Vec<_>>(),
                        )),
                        "sex" => Arc::new(StringArray::from(
                            persons.iter().map(|p| p.1).collect::<Vec<_>>(),
                        )),
                        "birth_date" => Arc::new(Date32Array::from(
                            persons.iter().map(|p| p.2).collect::<Vec<_>>(),
                        )),
                        // Flags that cannot be null are false.
                        _ if !f.is_nullable() => {
                            Arc::new(datafusion::arrow::array::BooleanArray::from(vec![
                                false;
                                persons
                                    .len()
                            ]))
                        }
                        _ => datafusion::arrow::array::new_null_array(f.data_type(), persons.len()),
                    }
                })
                .collect();
            vec![RecordBatch::try_new(schema.clone(), columns).unwrap()]
        } else {
            vec![]
        };
        let table = MemTable::try_new(schema, vec![batches]).unwrap();
        engine
            .context()
            .register_table(t.name, Arc::new(table))
            .unwrap();
    }
    engine
}

/// An engine whose `person` holds seven women and two men.
pub(crate) fn seven_women_two_men() -> Engine {
    let persons: Vec<(String, &str, i32)> = (0..9)
        .map(|i| (format!("p{i}"), if i < 7 { "2" } else { "1" }, 14_000 + i))
        .collect();
    let borrowed: Vec<(&str, &str, i32)> = persons
        .iter()
        .map(|(k, s, d)| (k.as_str(), *s, *d))
        .collect();
    engine(&borrowed)
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
