//! Nothing lost, nothing doubled: re-ingesting, corrections, failures.

use crate::common::*;

const PLACEMENTS: &str = "Sijoitustunnus;Henkilötunnus;Lapsen nimi;Perustetunnus;Sijoitusmuoto;Alkupäivä;Loppupäivä;Palveluntuottaja (Y-tunnus);Sijoittajakunta\r\n\
S1;010516B903X;Aada Virtanen;P1;Perhehoito;1.2.2024;30.6.2024;;285\r\n\
S2;020516C903K;Onni Laine;P2;Laitoshoito;15.3.2024;;1234567-1;285\r\n\
S3;030516D9037;Siiri Koskinen;P3;Ammatillinen perhehoito;1.1.2023;1.1.2025;;285\r\n";

#[test]
fn reingesting_the_same_extract_adds_nothing() {
    let (_tmp, project) = project();
    ok(&ingest(&project, &[&sample_data()]));
    let before: Vec<usize> = peitto_model::tables()
        .iter()
        .map(|t| rows(&project, t.name))
        .collect();
    let out = ok(&ingest(&project, &[&sample_data()]));
    assert!(out.contains("already in the store"), "{out}");
    let report = last_report(&project);
    assert!(
        report["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"] == "already_in_store")
    );
    let after: Vec<usize> = peitto_model::tables()
        .iter()
        .map(|t| rows(&project, t.name))
        .collect();
    assert_eq!(before, after);
}

#[test]
fn a_later_extract_replaces_records_with_the_same_key() {
    let (_tmp, project) = project();
    let file = project.join("sijoitukset.csv");
    write_cp1252(&file, PLACEMENTS);
    ok(&ingest(&project, &[&file]));
    assert_eq!(rows(&project, "cw_placement"), 3);
    // Next month's extract: S2 has ended, S4 is new.
    let updated = PLACEMENTS.replace("15.3.2024;;", "15.3.2024;31.12.2024;")
        + "S4;040594V9030;Väinö Nieminen;P4;Perhehoito;1.6.2024;;;285\r\n";
    let file2 = project.join("sijoitukset-2.csv");
    write_cp1252(&file2, &updated);
    ok(&ingest(&project, &[&file2]));
    assert_eq!(
        rows(&project, "cw_placement"),
        4,
        "three replaced, one added"
    );
    let report = last_report(&project);
    assert_eq!(report["tables"]["cw_placement"]["rows_replaced"], 3);
    let ends = table(&project, "cw_placement");
    use arrow::array::Array;
    let nulls: usize = ends
        .iter()
        .map(|b| b.column_by_name("end").unwrap().null_count())
        .sum();
    assert_eq!(nulls, 1, "only S4 is still ongoing");
    // The persons table still has one row per child.
    assert_eq!(rows(&project, "person"), 4);
}

#[test]
fn fixed_rows_from_quarantine_can_be_ingested_again() {
    let (_tmp, project) = project();
    let file = project.join("sijoitukset.csv");
    // S2's code has a wrong check character.
    write_cp1252(&file, &PLACEMENTS.replace("020516C903K", "020516C903L"));
    let out = ok(&ingest(&project, &[&file]));
    assert!(out.contains("check character is wrong"), "{out}");
    assert_eq!(rows(&project, "cw_placement"), 2);
    let report = last_report(&project);
    let rejection = &report["files"][0]["rejections"][0];
    assert_eq!(rejection["row"], 3);
    assert_eq!(rejection["column"], "Henkilötunnus");
    assert_eq!(rejection["reason"], "hetu_checksum");
    let quarantine = std::path::PathBuf::from(report["files"][0]["quarantine"].as_str().unwrap());
    let fixed = std::fs::read_to_string(&quarantine)
        .unwrap()
        .replace("020516C903L", "020516C903K");
    let fixed_path = project.join("korjattu.csv");
    std::fs::write(&fixed_path, fixed).unwrap();
    ok(&ingest(&project, &[&fixed_path]));
    assert_eq!(rows(&project, "cw_placement"), 3);
}

#[test]
fn a_failing_file_stores_nothing_from_any_file() {
    let (_tmp, project) = project();
    let good = project.join("sijoitukset.csv");
    write_cp1252(&good, PLACEMENTS);
    let broken = project.join("rikki.xlsx");
    std::fs::write(&broken, b"this is not a workbook").unwrap();
    let out = ingest(&project, &[&good, &broken]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rikki.xlsx") && stderr.contains("Nothing was stored"),
        "{stderr}"
    );
    assert_eq!(rows(&project, "cw_placement"), 0);
    assert!(!project.join("store/manifest.json").exists());
    assert!(
        std::fs::read_dir(project.join("quarantine"))
            .unwrap()
            .next()
            .is_none()
    );
    // The store is not left locked or littered.
    ok(&ingest(&project, &[&good]));
    assert_eq!(rows(&project, "cw_placement"), 3);
    assert_eq!(
        std::fs::read_dir(project.join("store/.staging"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn unknown_headers_and_file_types_are_clear_errors() {
    let (_tmp, project) = project();
    let odd = project.join("muistio.csv");
    std::fs::write(&odd, "Päivä;Asia\n1.1.2024;kokous\n").unwrap();
    let out = ingest(&project, &[&odd]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("muistio.csv")
            && stderr.contains("match no table")
            && stderr.contains("Päivä | Asia"),
        "{stderr}"
    );
    let doc = project.join("raportti.docx");
    std::fs::write(&doc, "x").unwrap();
    let stderr = String::from_utf8_lossy(&ingest(&project, &[&doc]).stderr).into_owned();
    assert!(
        stderr.contains("raportti.docx") && stderr.contains("unknown file type"),
        "{stderr}"
    );
    let empty = project.join("tyhja.csv");
    std::fs::write(&empty, "").unwrap();
    let stderr = String::from_utf8_lossy(&ingest(&project, &[&empty]).stderr).into_owned();
    assert!(
        stderr.contains("tyhja.csv") && stderr.contains("no header row"),
        "{stderr}"
    );
}

#[test]
fn commands_need_a_project_and_speak_three_languages() {
    let tmp = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_peitto"))
        .args([
            "--project",
            tmp.path().to_str().unwrap(),
            "--lang",
            "fi",
            "status",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Tässä ei ole peitto-projektia"));
    let (_t, project) = project();
    let file = project.join("sijoitukset.csv");
    write_cp1252(&file, &PLACEMENTS.replace("020516C903K", "020516C903L"));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_peitto"))
        .args([
            "--project",
            project.to_str().unwrap(),
            "--lang",
            "sv",
            "ingest",
            file.to_str().unwrap(),
            "--strict",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "--strict fails on rejected rows"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("personbeteckningens kontrolltecken är fel"),
        "{stdout}"
    );
}

/// Rows per table as the store's manifest lists them, read without the lock.
fn stored_rows(project: &std::path::Path) -> std::collections::BTreeMap<String, u64> {
    peitto_store::Store::read_manifest(&project.join("store"))
        .unwrap()
        .tables
        .iter()
        .map(|(t, parts)| (t.clone(), parts.iter().map(|p| p.rows).sum()))
        .collect()
}

#[test]
fn an_ingest_killed_at_any_point_leaves_the_store_before_or_after_and_unlocked() {
    // The whole ingest once, for the state after.
    let (_full_tmp, full) = project();
    ok(&ingest(&full, &[&sample_data()]));
    let after = stored_rows(&full);
    assert!(!after.is_empty());
    // Killed (SIGKILL: no destructor runs) at points spread over the run:
    // reading, writing parts, committing.
    for delay_ms in [50, 200, 400, 700, 1000, 1500, 2500] {
        let (_tmp, dir) = project();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_peitto"))
            .args(["--lang", "en", "--project", dir.to_str().unwrap(), "ingest"])
            .arg(sample_data())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let state = stored_rows(&dir);
        assert!(
            state.is_empty() || state == after,
            "killed after {delay_ms} ms: the store holds part of the run: {state:?}"
        );
        // The next command needs no repair: the lock died with the process,
        // and it finishes the work.
        ok(&peitto(&["--project", dir.to_str().unwrap(), "status"]));
        // As a kill while writing rejected rows leaves it (rows whole,
        // identifiers included, under a temporary name).
        let quarantine = dir.join("quarantine");
        std::fs::create_dir_all(&quarantine).unwrap();
        std::fs::write(
            quarantine.join(".sijoitukset-4194399-0.csv.tmp"),
            "050570-912R",
        )
        .unwrap();
        ok(&ingest(&dir, &[&sample_data()]));
        assert_eq!(stored_rows(&dir), after, "killed after {delay_ms} ms");
        let orphans: Vec<_> = std::fs::read_dir(&quarantine)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(
            orphans.is_empty(),
            "killed after {delay_ms} ms: {orphans:?}"
        );
        // Nothing is left staged.
        let staged = std::fs::read_dir(dir.join("store").join(".staging"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(staged, 0, "killed after {delay_ms} ms: staged files left");
    }
}

#[test]
fn files_of_other_types_are_skipped_and_named_unless_strict() {
    let (_tmp, project) = project();
    let file = project.join("sijoitukset.csv");
    write_cp1252(&file, PLACEMENTS);
    let readme = project.join("LUEMINUT.txt.md");
    std::fs::write(&readme, "# Poiminta 2025-12\n").unwrap();
    // As `peitto ingest DIR/*` passes them: the extract is stored, the
    // other file named as skipped.
    let out = ingest(&project, &[&file, &readme]);
    let stdout = ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("LUEMINUT.txt.md") && stderr.contains("skipped"),
        "{stderr}"
    );
    assert!(stdout.contains("sijoitukset.csv"), "{stdout}");
    assert_eq!(rows(&project, "cw_placement"), 3);
    assert_eq!(
        last_report(&project)["skipped"][0],
        readme.display().to_string()
    );
    // --strict: all or nothing.
    let (_tmp2, strict) = crate::common::project();
    let out = peitto(&[
        "--project",
        strict.to_str().unwrap(),
        "ingest",
        "--strict",
        file.to_str().unwrap(),
        readme.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown file type"));
    assert!(!strict.join("store").join("cw_placement").exists());
}
