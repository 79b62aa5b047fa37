//! A folder of one's own that reads another project's store: a black-box
//! tester made a folder with a `peitto.toml` and a link `store` to the
//! service's store, and `peitto --project` it answered queries with an empty
//! audit trail (no record of earlier answers), so a query the real project
//! withholds as a difference of published cells was answered (the four
//! urgently placed 18-year-olds, exactly). Every way of reaching another
//! store from one's own folder is refused.

use crate::common::{ok, peitto, sample_project};
use std::os::unix::fs::symlink;
use std::path::Path;

const QUESTION: &str =
    "SELECT municipality_code, COUNT(DISTINCT person_key) AS n FROM cw_placement GROUP BY 1";

fn ask(project: &Path) -> std::process::Output {
    peitto(&["--project", project.to_str().unwrap(), "query", QUESTION])
}

#[test]
fn a_folder_linking_to_another_projects_store_is_refused() {
    let real = sample_project();
    let real_store = real.join("store");
    // The real project answers.
    ok(&ask(real));
    let tmp = tempfile::tempdir().unwrap();
    let own = |name: &str| {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(real.join("peitto.toml"), dir.join("peitto.toml")).unwrap();
        dir
    };
    let refused = |dir: &Path, why: &str| {
        let out = ask(dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{why}: answered");
        assert!(stderr.contains("outside"), "{why}: {stderr}");
        assert!(out.stdout.is_empty(), "{why}");
    };

    // The whole store linked.
    let linked = own("linked");
    symlink(&real_store, linked.join("store")).unwrap();
    refused(&linked, "store linked");

    // A store folder of its own with the manifest and table folders linked.
    let parts = own("parts");
    std::fs::create_dir_all(parts.join("store")).unwrap();
    for entry in std::fs::read_dir(&real_store).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with('.') {
            symlink(entry.path(), parts.join("store").join(&name)).unwrap();
        }
    }
    refused(&parts, "manifest and tables linked");

    // A manifest of its own naming the real parts by a path out of the store.
    let climbing = own("climbing");
    std::fs::create_dir_all(climbing.join("store")).unwrap();
    let manifest_name = std::fs::read_dir(&real_store)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".json"))
        .expect("a manifest");
    let manifest = std::fs::read_to_string(real_store.join(&manifest_name)).unwrap();
    // Up to the root (more `..` than there are folders), then down.
    let up = format!(
        "{}{}/store/",
        "../".repeat(32),
        real.strip_prefix("/").unwrap().display()
    );
    let mut rewritten = String::new();
    for (i, piece) in manifest.split("\"file\": \"").enumerate() {
        if i > 0 {
            rewritten.push_str("\"file\": \"");
            rewritten.push_str(&up);
        }
        rewritten.push_str(piece);
    }
    assert_ne!(rewritten, manifest, "the manifest names its parts");
    std::fs::write(climbing.join("store").join(&manifest_name), rewritten).unwrap();
    refused(&climbing, "parts named out of the store");

    // The audit trail linked to an empty folder elsewhere.
    let audit = own("audit");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    symlink(&elsewhere, audit.join("audit")).unwrap();
    refused(&audit, "audit linked");
}

#[test]
fn the_project_is_named_before_the_command_and_only_there() {
    // A rule that runs `peitto --project SERVICE query …` for a planner
    // pinned nothing while `--project` was also accepted after `query` (it
    // overrode the first, and a race on a link of one's own did the rest).
    let real = sample_project();
    let tmp = tempfile::tempdir().unwrap();
    let out = peitto(&[
        "--project",
        real.to_str().unwrap(),
        "query",
        "--project",
        tmp.path().to_str().unwrap(),
        QUESTION,
    ]);
    assert_eq!(out.status.code(), Some(2), "accepted after the command");
    assert!(out.stdout.is_empty());
    ok(&ask(real));
}
