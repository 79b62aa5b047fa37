//! Runs every `tests/slt/*.slt` file of the workspace against the engine,
//! the way DataFusion tests itself. A line `REPORT <id> name=value …` runs
//! the saved report `queries/<id>.sql` with those parameters bound.

use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::ScalarValue;
use peitto_engine::Engine;
use peitto_engine::report::Report;
use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Db {
    engine: Engine,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Error(String);

#[async_trait::async_trait]
impl AsyncDB for Db {
    type Error = Error;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, Error> {
        let (sql, params) = match sql.trim().strip_prefix("REPORT ") {
            Some(rest) => {
                let mut words = rest.split_whitespace();
                let id = words
                    .next()
                    .ok_or_else(|| Error("REPORT needs an id".into()))?;
                let report =
                    Report::load(&root().join("queries"), id).map_err(|e| Error(e.to_string()))?;
                let mut params = BTreeMap::new();
                for word in words {
                    let (k, v) = word
                        .split_once('=')
                        .ok_or_else(|| Error(format!("parameter {word:?}")))?;
                    let value = v.parse::<i64>().map_or_else(
                        |_| ScalarValue::Utf8(Some(v.to_owned())),
                        |n| ScalarValue::Int64(Some(n)),
                    );
                    params.insert(k.to_owned(), value);
                }
                (report.sql, params)
            }
            None => (sql.to_owned(), BTreeMap::new()),
        };
        let batches = self
            .engine
            .sql(&sql, &params)
            .await
            .map_err(|e| Error(e.to_string()))?;
        let Some(first) = batches.first() else {
            return Ok(DBOutput::StatementComplete(0));
        };
        if first.num_columns() == 0 || sql.trim_start().to_uppercase().starts_with("CREATE") {
            return Ok(DBOutput::StatementComplete(0));
        }
        let options = FormatOptions::default().with_null("NULL");
        let mut rows = Vec::new();
        for batch in &batches {
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error(e.to_string()))?;
            for r in 0..batch.num_rows() {
                rows.push(formatters.iter().map(|f| f.value(r).to_string()).collect());
            }
        }
        Ok(DBOutput::Rows {
            types: vec![DefaultColumnType::Any; first.num_columns()],
            rows,
        })
    }

    async fn shutdown(&mut self) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/slt"))
        .expect("tests/slt exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    let (mut passed, mut failed) = (0, 0);
    // The compiled-in reports are exactly the files in queries/.
    let on_disk = Report::all(&root().join("queries")).expect("queries/ parses");
    let builtin = peitto_engine::report::builtin().expect("built-in reports parse");
    if on_disk == builtin {
        passed += 1;
    } else {
        println!(
            "test queries/ ... FAILED: report::BUILTIN does not list exactly the files in queries/"
        );
        failed += 1;
    }
    // Every saved report is exercised by an .slt file of its own.
    for report in on_disk {
        let slt = root().join("tests/slt").join(format!("{}.slt", report.id));
        let text = std::fs::read_to_string(&slt).unwrap_or_default();
        if text.contains(&format!("REPORT {}", report.id)) {
            passed += 1;
        } else {
            println!(
                "test {} ... FAILED: saved report {} has no sqllogictest",
                slt.display(),
                report.id
            );
            failed += 1;
        }
    }
    for file in &files {
        let mut runner = sqllogictest::Runner::new(|| async {
            Ok(Db {
                engine: Engine::empty(),
            })
        });
        match runner.run_file_async(file).await {
            Ok(()) => {
                println!("test {} ... ok", file.display());
                passed += 1;
            }
            Err(e) => {
                println!("test {} ... FAILED\n{e}", file.display());
                failed += 1;
            }
        }
    }
    println!(
        "\ntest result: {}. {passed} passed; {failed} failed",
        if failed == 0 { "ok" } else { "FAILED" }
    );
    assert!(failed == 0 && passed > 0, "sqllogictests failed");
}
