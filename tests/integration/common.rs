//! Helpers: run the real binary, make projects, read the store.

use arrow::array::{Array, AsArray, RecordBatch};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample_data() -> PathBuf {
    root().join("sample-data")
}

/// Runs peitto, with English messages unless the arguments name `--lang`.
pub fn peitto(args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_peitto"));
    // English unless the test asks for a language.
    if !args.contains(&"--lang") {
        command.args(["--lang", "en"]);
    }
    command
        .args(args)
        .env_remove("PEITTO_LANG")
        .output()
        .expect("peitto runs")
}

pub fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "peitto failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A fresh project in a temporary folder.
pub fn project() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    ok(&peitto(&[
        "init",
        dir.to_str().unwrap(),
        "--organisation",
        "Testikunta",
    ]));
    (tmp, dir)
}

/// Lists `user` as a report author in the project's peitto.toml.
pub fn add_author(project: &Path, user: &str) {
    let config = project.join("peitto.toml");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("users = []", &format!("users = [\"{user}\"]"));
    std::fs::write(&config, text).unwrap();
}

/// The operating-system user running the tests.
pub fn whoami() -> String {
    let out = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn ingest(project: &Path, files: &[&Path]) -> Output {
    let mut args = vec!["--project", project.to_str().unwrap(), "ingest"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    peitto(&args)
}

/// The newest ingest report of a project.
pub fn last_report(project: &Path) -> serde_json::Value {
    let dir = project.join("audit/ingest");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
    let newest = files.last().expect("a report");
    serde_json::from_slice(&std::fs::read(newest).unwrap()).unwrap()
}

pub fn table(project: &Path, name: &str) -> Vec<RecordBatch> {
    peitto_store::read_table(&project.join("store"), name).unwrap()
}

pub fn rows(project: &Path, name: &str) -> usize {
    peitto_store::row_count(&table(project, name))
}

/// Values of a text column across batches.
pub fn strings(batches: &[RecordBatch], column: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for b in batches {
        let c = b.column_by_name(column).unwrap().as_string::<i32>();
        for i in 0..c.len() {
            out.push((!c.is_null(i)).then(|| c.value(i).to_owned()));
        }
    }
    out
}

/// Writes `text` in Windows-1252.
pub fn write_cp1252(path: &Path, text: &str) {
    std::fs::write(path, encoding_rs_encode(text)).unwrap();
}

fn encoding_rs_encode(text: &str) -> Vec<u8> {
    // Every character used in tests is Latin-1, where Windows-1252 agrees.
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("latin-1 text"))
        .collect()
}

/// A project with the committed sample data ingested, made once per test
/// run and shared by the tests that only read it or add releases to it.
pub fn sample_project() -> &'static Path {
    static PROJECT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PROJECT.get_or_init(|| {
        // One per checkout: clones that share a target folder (CI beside a
        // working tree) must not rebuild each other's project mid-run.
        let checkout = peitto_auditlog::sha256(root().to_string_lossy().as_bytes());
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("sample-project-{}", &checkout[..12]));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        ok(&peitto(&["init", dir.to_str().unwrap()]));
        // A fixed key makes pseudonyms, and so cell keys and perturbations,
        // the same on every run: a test about them is reproducible.
        std::fs::write(dir.join(peitto_project::KEY_FILE), "5eed".repeat(16)).unwrap();
        ok(&ingest(&dir, &[&sample_data()]));
        dir
    })
}

/// A copy of the shared sample project with an empty audit folder (no
/// answers, no release log).
pub fn fresh_sample() -> (tempfile::TempDir, PathBuf) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                if entry.file_name() != "audit" {
                    copy(&entry.path(), &target);
                }
            } else if kind.is_file() && !entry.file_name().to_string_lossy().ends_with(".lock") {
                std::fs::copy(entry.path(), &target).unwrap();
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("project");
    copy(sample_project(), &dir);
    (tmp, dir)
}

/// Runs peitto on the shared sample project.
pub fn on_sample(args: &[&str]) -> Output {
    let mut all = vec!["--project", sample_project().to_str().unwrap()];
    all.extend_from_slice(args);
    peitto(&all)
}

/// (status, value) of every measure cell of a JSON release, row by row.
pub fn measures(doc: &serde_json::Value) -> Vec<(String, Option<f64>)> {
    let roles: Vec<bool> = doc["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"] == "measure")
        .collect();
    let mut out = Vec::new();
    for row in doc["rows"].as_array().unwrap() {
        for (cell, measure) in row.as_array().unwrap().iter().zip(&roles) {
            if *measure {
                out.push((
                    cell["status"].as_str().unwrap().to_owned(),
                    cell["value"].as_f64(),
                ));
            }
        }
    }
    out
}

/// A person of the shared sample project's store: pseudonym, birth date
/// (`YYYY-MM-DD`) and sex.
pub struct Person {
    pub key: String,
    pub birth_date: String,
    pub sex: String,
}

/// Every person of the shared sample project, read from its store.
pub fn persons() -> Vec<Person> {
    let mut out = Vec::new();
    for b in peitto_store::read_table(&sample_project().join("store"), "person").unwrap() {
        let dates = arrow::compute::cast(
            b.column_by_name("birth_date").unwrap(),
            &arrow::datatypes::DataType::Utf8,
        )
        .unwrap();
        let dates = dates.as_string::<i32>();
        let keys = b.column_by_name("person_key").unwrap().as_string::<i32>();
        let sexes = b.column_by_name("sex").unwrap().as_string::<i32>();
        for i in 0..b.num_rows() {
            out.push(Person {
                key: keys.value(i).to_owned(),
                birth_date: dates.value(i).to_owned(),
                sex: sexes.value(i).to_owned(),
            });
        }
    }
    out
}

/// The pseudonyms with rows in `table` of the shared sample project.
pub fn keys_in(table: &str) -> std::collections::BTreeSet<String> {
    strings(
        &peitto_store::read_table(&sample_project().join("store"), table).unwrap(),
        "person_key",
    )
    .into_iter()
    .flatten()
    .collect()
}

/// The column names of a JSON release, in order.
pub fn column_names(doc: &serde_json::Value) -> Vec<&str> {
    doc["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect()
}

/// Runs saved report `id` for `year` on `project` and reads the JSON it
/// released (`out/ID-YEAR/ID.json`).
pub fn report_json(project: &Path, id: &str, year: i64) -> serde_json::Value {
    let year = year.to_string();
    let p = project.to_str().unwrap();
    ok(&peitto(&["--project", p, "report", id, "--year", &year]));
    let path = project
        .join(format!("out/{id}-{year}"))
        .join(format!("{id}.json"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Every file under `dir`, depth first.
pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
