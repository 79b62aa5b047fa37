//! The release log (`audit/releases.jsonl`): every release is a
//! hash-chained entry, `peitto audit verify` detects any damage, and a
//! damaged log stops further releases without partial output.

use crate::common::{ok, peitto};
use std::path::{Path, PathBuf};

/// A project of its own with a few releases in its log.
fn logged_project() -> (tempfile::TempDir, PathBuf) {
    let (tmp, dir) = crate::common::project();
    ok(&crate::common::ingest(
        &dir,
        &[&crate::common::sample_data()],
    ));
    for sql in [
        "SELECT sex, COUNT(*) AS n FROM person GROUP BY sex",
        "SELECT COUNT(DISTINCT person_key) AS n FROM cw_placement",
        "SELECT form, COUNT(*) AS n FROM cw_placement GROUP BY form",
    ] {
        ok(&peitto(&["--project", dir.to_str().unwrap(), "query", sql]));
    }
    (tmp, dir)
}

fn verify(dir: &Path) -> std::process::Output {
    peitto(&["--project", dir.to_str().unwrap(), "audit", "verify"])
}

#[test]
fn audit_verify_detects_edits_deletions_reordering_and_truncation() {
    let (_tmp, dir) = logged_project();
    assert!(ok(&verify(&dir)).contains("3 entries"));
    let log = dir.join("audit/releases.jsonl");
    let original = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let damaged = [
        (
            "edited",
            format!(
                "{}\n{}\n{}\n",
                lines[0],
                lines[1].replace("\"cells\":", "\"cells\":1"),
                lines[2]
            ),
        ),
        ("deleted", format!("{}\n{}\n", lines[0], lines[2])),
        (
            "reordered",
            format!("{}\n{}\n{}\n", lines[1], lines[0], lines[2]),
        ),
        ("truncated", format!("{}\n{}\n", lines[0], lines[1])),
        ("cut", original[..original.len() - 30].to_owned()),
    ];
    for (what, text) in damaged {
        std::fs::write(&log, text).unwrap();
        let out = verify(&dir);
        assert_eq!(out.status.code(), Some(4), "{what} was not detected");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Audit log damaged"),
            "{what}"
        );
    }
    // A damaged log stops further releases, and they leave no output.
    let out = peitto(&[
        "--project",
        dir.to_str().unwrap(),
        "report",
        "children_in_care",
        "--year",
        "2025",
    ]);
    assert!(!out.status.success());
    assert!(!dir.join("out/children_in_care-2025").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("out")).unwrap().collect();
    assert!(leftovers.is_empty(), "partial output left: {leftovers:?}");
    std::fs::write(&log, original).unwrap();
    ok(&verify(&dir));
}
