//! An output never replaces the project's own files: a black-box tester
//! (2026-12-07) built the dashboard with `--out audit`, which replaced the
//! record of earlier answers and of the cells saved reports withheld
//! (`audit verify` then passed on the fresh log, and the next reports
//! published cells the first ones withheld), and `--out store`, `--out key`
//! and `--out out` wiped the store, the key and every earlier report.

use crate::common::{fresh_sample, ok, peitto};
use std::path::Path;

/// Every file under `dir` with its bytes.
fn contents(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut all: Vec<_> = crate::common::walk(dir)
        .into_iter()
        .filter(|p| !p.to_string_lossy().ends_with(".lock"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    all.sort();
    all
}

#[test]
fn no_output_replaces_the_projects_own_files() {
    let (_tmp, dir) = fresh_sample();
    let project = dir.to_str().unwrap();
    ok(&peitto(&[
        "--project",
        project,
        "report",
        "placed_children",
        "--year",
        "2025",
    ]));
    let before = contents(&dir);
    assert!(
        before
            .iter()
            .any(|(p, _)| p.ends_with("audit/releases.jsonl")),
        "the report was logged"
    );
    let refused = |args: &[&str], says: &str| {
        let out = peitto(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert_eq!(contents(&dir), before, "{args:?} changed the project");
    };
    // Relative to the project (as the tester ran it) and as absolute paths,
    // straight or through `..`.
    let own = [
        "audit".to_owned(),
        "store".to_owned(),
        "key".to_owned(),
        "quarantine".to_owned(),
        "peitto.toml".to_owned(),
        dir.join("audit").to_string_lossy().into_owned(),
        dir.join("out/../store").to_string_lossy().into_owned(),
        dir.join("audit/new-site").to_string_lossy().into_owned(),
    ];
    for out in &own {
        let out = if Path::new(out).is_absolute() {
            out.clone()
        } else {
            dir.join(out).to_string_lossy().into_owned()
        };
        refused(
            &["--project", project, "dashboard", "build", "--out", &out],
            "the project's own files",
        );
    }
    // A folder of other things is replaced as a whole only if a build
    // wrote it: `out` holds the reports.
    let reports = dir.join("out").to_string_lossy().into_owned();
    refused(
        &[
            "--project",
            project,
            "dashboard",
            "build",
            "--out",
            &reports,
        ],
        "other files than a dashboard",
    );
    // `peitto protect --out` writes one file, atomically: never the key.
    let cells = dir.join("..").join("cells.csv");
    std::fs::write(&cells, "area;count\nA;10\nB;12\nTotal;22\n").unwrap();
    let key = dir.join(peitto_project::KEY_FILE);
    refused(
        &[
            "--project",
            project,
            "protect",
            cells.to_str().unwrap(),
            "--out",
            key.to_str().unwrap(),
        ],
        "the project's own files",
    );
}
