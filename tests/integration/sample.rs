//! The committed sample data: every dirty row the generator wrote is
//! rejected for exactly its reason, every clean row is stored.

use crate::common::*;
use std::collections::{BTreeMap, BTreeSet};

#[test]
fn sample_data_rejections_match_the_generators_manifest() {
    let (_tmp, project) = project();
    let stdout = ok(&ingest(&project, &[&sample_data()]));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sample_data().join("synth-manifest.json")).unwrap())
            .unwrap();
    let report = last_report(&project);
    let by_path: BTreeMap<String, &serde_json::Value> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let rel = f["path"]
                .as_str()
                .unwrap()
                .split("sample-data/")
                .nth(1)
                .unwrap()
                .to_owned();
            (rel, f)
        })
        .collect();
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(
        by_path.len(),
        files.len(),
        "every generated file was ingested"
    );
    let mut reasons = BTreeSet::new();
    let mut mappings = BTreeSet::new();
    let mut formats = BTreeSet::new();
    let mut encodings = BTreeSet::new();
    for file in files {
        let path = file["path"].as_str().unwrap();
        let got = by_path[path];
        assert_eq!(got["rows_read"], file["rows"], "{path}: rows read");
        let expected: Vec<(u64, String)> = file["dirty"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["row"].as_u64().unwrap(),
                    d["reason"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut seen: Vec<(u64, String)> = got["rejections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["row"].as_u64().unwrap(),
                    r["reason"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        seen.sort();
        let mut expected_sorted = expected.clone();
        expected_sorted.sort();
        assert_eq!(seen, expected_sorted, "{path}: rejected rows and reasons");
        assert_eq!(
            got["rows_accepted"].as_u64().unwrap() + got["rows_rejected"].as_u64().unwrap(),
            got["rows_read"].as_u64().unwrap(),
            "{path}: every row is accepted or rejected"
        );
        reasons.extend(expected.into_iter().map(|(_, r)| r));
        mappings.insert(got["mapping"].as_str().unwrap().to_owned());
        formats.insert(got["source"]["format"].as_str().unwrap().to_owned());
        if let Some(e) = got["source"]["encoding"].as_str() {
            encodings.insert(e.to_owned());
        }
    }
    // Every rejection reason the ingest knows appears in the sample.
    assert_eq!(reasons.len(), 14, "{reasons:?}");
    assert_eq!(
        mappings,
        BTreeSet::from(["abilita".into(), "pro_consona".into(), "reference".into()])
    );
    assert_eq!(formats, BTreeSet::from(["csv".into(), "xlsx".into()]));
    assert_eq!(
        encodings,
        BTreeSet::from(["utf-8-bom".into(), "windows-1252".into()])
    );
    assert!(stdout.contains("care_invoice_line"), "{stdout}");
    // Accepted rows are what the store holds.
    let totals = report["tables"].as_object().unwrap();
    for (table, t) in totals {
        if table == "person" {
            continue;
        }
        assert_eq!(t["rows_in_store"], t["rows_accepted"], "{table}");
        assert_eq!(
            rows(&project, table) as u64,
            t["rows_accepted"].as_u64().unwrap(),
            "{table}"
        );
    }
}

#[test]
fn quarantine_holds_every_rejected_row_privately() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, project) = project();
    ok(&ingest(&project, &[&sample_data()]));
    let report = last_report(&project);
    for file in report["files"].as_array().unwrap() {
        let rejected = file["rows_rejected"].as_u64().unwrap();
        match file["quarantine"].as_str() {
            None => assert_eq!(rejected, 0),
            Some(q) => {
                let meta = std::fs::metadata(q).unwrap();
                assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{q}");
                let text = std::fs::read_to_string(q).unwrap();
                // Header plus one line per rejected row (sample rows have no line breaks).
                assert_eq!(text.lines().count() as u64, rejected + 1, "{q}");
                assert!(
                    text.lines()
                        .next()
                        .unwrap()
                        .ends_with("peitto_row;peitto_reasons")
                );
            }
        }
    }
}

#[test]
fn synthetic_data_is_deterministic_and_uses_only_temporary_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    let c = tmp.path().join("c");
    for (dir, seed) in [(&a, "7"), (&b, "7"), (&c, "8")] {
        ok(&peitto(&[
            "synth",
            "--seed",
            seed,
            "--scale",
            "1",
            "--out",
            dir.to_str().unwrap(),
            "--municipality",
            "598",
            "--municipality",
            "171",
        ]));
    }
    let files = |d: &std::path::Path| {
        let mut v: Vec<_> = walk(d)
            .into_iter()
            .map(|p| {
                (
                    p.strip_prefix(d).unwrap().to_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let (fa, fb, fc) = (files(&a), files(&b), files(&c));
    assert!(fa.len() > 10);
    assert_eq!(fa, fb, "same seed, same bytes");
    assert_ne!(fa, fc, "another seed, other data");
    // The committed sample is what seed 1, scale 1 gives.
    let d = tmp.path().join("d");
    ok(&peitto(&[
        "synth",
        "--seed",
        "1",
        "--scale",
        "1",
        "--out",
        d.to_str().unwrap(),
    ]));
    assert_eq!(
        files(&d),
        files(&sample_data()),
        "sample-data/ is stale: regenerate with peitto synth --seed 1 --scale 1 --out sample-data"
    );
    // Every valid code in the sample is a temporary (900–999) code.
    let (_t, project) = project();
    ok(&ingest(&project, &[&sample_data()]));
    let persons = table(&project, "person");
    let temps: usize = persons
        .iter()
        .map(|b| {
            use arrow::array::AsArray;
            b.column_by_name("hetu_temporary")
                .unwrap()
                .as_boolean()
                .true_count()
        })
        .sum();
    assert_eq!(temps, peitto_store::row_count(&persons));
}

#[test]
fn a_reader_that_stops_early_ends_the_command_quietly_after_the_work_is_done() {
    use std::process::{Command, Stdio};
    let (_tmp, project) = project();
    let mut child = Command::new(env!("CARGO_BIN_EXE_peitto"))
        .args([
            "--lang",
            "en",
            "--project",
            project.to_str().unwrap(),
            "ingest",
        ])
        .arg(sample_data())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // As `| head -0` would: the reading end is gone before anything is printed.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The ingest itself was committed.
    assert!(rows(&project, "care_invoice_line") > 0);
}
