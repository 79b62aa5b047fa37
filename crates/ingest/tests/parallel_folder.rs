//! Files converted several at a time give what one file after another
//! gives: the same store (every table's rows, in order, and the manifest's
//! parts), the same report (files in the order given, totals) and the same
//! quarantine files, whatever the scheduling.

use peitto_ingest::{IngestReport, Ingester, Options};
use peitto_mapping::Mapping;
use peitto_project::Key;
use std::path::{Path, PathBuf};

/// A run's report files and table totals (JSON), tables and manifest, and
/// quarantine files by name with their content.
type Outcome = (String, String, Vec<String>, Vec<(String, Vec<u8>)>);

fn sample_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../sample-data")
}

fn ingester(dir: &Path, files_at_once: usize) -> Ingester {
    let mappings = ["pro_consona", "abilita", "reference"]
        .iter()
        .map(|m| Mapping::load(m).unwrap())
        .collect();
    Ingester::new(
        mappings,
        Key::from_bytes([7; 32]),
        dir.join("store"),
        dir.join("quarantine"),
        Options::default(),
    )
    .with_files_at_once(files_at_once)
}

/// What a run leaves: its report (without timings, with the run's folder
/// taken out of paths), every table's rows, the manifest without commit
/// times, and the quarantine files by name with their content.
fn outcome(dir: &Path, report: &IngestReport) -> Outcome {
    let text = |v: serde_json::Value| v.to_string().replace(&dir.display().to_string(), "DIR");
    let files = text(serde_json::to_value(&report.files).unwrap());
    let tables = text(serde_json::to_value(&report.tables).unwrap());
    let store = dir.join("store");
    let mut manifest = peitto_store::Store::read_manifest(&store).unwrap();
    let mut rows = Vec::new();
    for (name, parts) in &mut manifest.tables {
        for part in parts.iter_mut() {
            part.committed_at = 0;
        }
        let batches = peitto_store::read_table(&store, name).unwrap();
        let schema = batches[0].schema();
        let all = arrow::compute::concat_batches(&schema, &batches).unwrap();
        rows.push(format!("{name}: {all:?}"));
    }
    rows.push(format!("{manifest:?}"));
    let mut quarantined: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("quarantine"))
        .map(|d| {
            d.flatten()
                .map(|e| {
                    (
                        e.file_name().to_string_lossy().into_owned(),
                        std::fs::read(e.path()).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    quarantined.sort();
    (files, tables, rows, quarantined)
}

fn run(inputs: &[PathBuf], files_at_once: usize) -> Outcome {
    let tmp = tempfile::tempdir().unwrap();
    let report = ingester(tmp.path(), files_at_once).ingest(inputs).unwrap();
    assert!(report.files.len() > 10, "{} files", report.files.len());
    outcome(tmp.path(), &report)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if path.extension().is_some_and(|e| e == "csv") {
            out.push(path);
        }
    }
    out.sort();
    out
}

#[test]
fn a_folder_ingested_several_files_at_a_time_equals_one_after_another() {
    let folder = vec![sample_data()];
    let serial = run(&folder, 1);
    assert!(
        !serial.3.is_empty(),
        "the sample data has rows to quarantine"
    );
    assert_eq!(run(&folder, 2), serial);
    assert_eq!(run(&folder, 4), serial);
}

#[test]
fn files_after_the_organisations_wait_for_their_names_whatever_the_order() {
    // Population first (it waits for the second pass), the organisations
    // next, then every other file: each waits for the organisation file.
    let mut files = files_under(&sample_data());
    files.reverse();
    assert!(files[0].ends_with("vaesto_11re.csv") && files[1].ends_with("organisaatiot.csv"));
    let serial = run(&files, 1);
    assert_eq!(run(&files, 3), serial);
}

#[test]
fn the_first_failing_file_in_order_is_reported_and_nothing_is_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let bad_early = tmp.path().join("a-unknown.csv");
    std::fs::write(&bad_early, "x;y\n1;2\n").unwrap();
    let bad_late = tmp.path().join("z-unknown.csv");
    std::fs::write(&bad_late, "p;q\n1;2\n").unwrap();
    let mut files = files_under(&sample_data());
    files.insert(3, bad_early.clone());
    files.push(bad_late);
    let dir = tmp.path().join("run");
    let err = ingester(&dir, 3).ingest(&files).unwrap_err().to_string();
    assert!(err.contains("a-unknown.csv"), "{err}");
    assert!(
        peitto_store::Store::read_manifest(&dir.join("store"))
            .unwrap()
            .tables
            .is_empty()
    );
    let staged: Vec<String> = std::fs::read_dir(dir.join("store").join(".staging"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(staged.is_empty(), "staged files left: {staged:?}");
}
