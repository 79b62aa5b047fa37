//! The dashboard bundle holds protected tables only: no pseudonym, no
//! henkilötunnus, and NULL exactly where the protection withheld a cell.

use crate::common::{ok, on_sample, root, sample_project};
use arrow::array::{Array, AsArray};
use arrow::datatypes::Float64Type;
use std::collections::BTreeMap;

/// Every file of the folder, decoded where it is base64 in a script.
fn all_bytes(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

#[test]
fn the_bundle_holds_no_pseudonym_no_henkilotunnus_and_no_withheld_value() {
    let viewer = root().join("web/dist");
    assert!(
        viewer.join("peitto_viewer_bg.wasm").is_file(),
        "the viewer is not built: run bash web/build.sh (tests/run.sh does)"
    );
    let site = sample_project().join("out/dashboard-test");
    ok(&on_sample(&[
        "dashboard",
        "build",
        "--out",
        site.to_str().unwrap(),
        "--year",
        "2025",
        "--years",
        "2",
    ]));
    // Without --viewer: the viewer built into the binary, the same bytes as
    // web/dist (cargo rebuilds the binary when web/dist changes).
    assert_eq!(
        std::fs::read(site.join("viewer/peitto_viewer_bg.wasm")).unwrap(),
        std::fs::read(viewer.join("peitto_viewer_bg.wasm")).unwrap(),
        "the binary carries another viewer than web/dist"
    );
    let files = all_bytes(&site);
    assert!(files.iter().any(|(n, _)| n.ends_with("index.html")));
    // No pseudonym of any person in the store.
    let store = sample_project().join("store");
    let persons = peitto_store::read_table(&store, "person").unwrap();
    let keys: Vec<String> = crate::common::strings(&persons, "person_key")
        .into_iter()
        .flatten()
        .collect();
    assert!(keys.len() > 1000);
    // No henkilötunnus of the sample extracts.
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root().join("sample-data/synth-manifest.json")).unwrap(),
    )
    .unwrap();
    let text_of = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let sample_codes: Vec<String> = {
        let mut codes = Vec::new();
        for (_, bytes) in all_bytes(&root().join("sample-data")) {
            let t = text_of(&bytes);
            for w in t.split(|c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '+') {
                if w.len() == 11 && peitto_hetu::Hetu::parse(w).is_ok() {
                    codes.push(w.to_owned());
                }
            }
        }
        codes
    };
    assert!(
        sample_codes.len() > 1000,
        "{} codes found in the sample",
        sample_codes.len()
    );
    assert!(manifest.is_object());
    let keys: std::collections::HashSet<&str> = keys.iter().map(String::as_str).collect();
    let codes: std::collections::HashSet<&str> = sample_codes.iter().map(String::as_str).collect();
    for (name, bytes) in &files {
        // Every 32-character window of hex digits (a pseudonym's form) and
        // every 11-character window starting with six digits (a
        // henkilötunnus' form), looked up in the sets.
        let b = bytes.as_slice();
        let mut run = 0;
        for i in 0..b.len() {
            run = if b[i].is_ascii_hexdigit() { run + 1 } else { 0 };
            if run >= 32 {
                let w = std::str::from_utf8(&b[i + 1 - 32..=i]).unwrap();
                assert!(!keys.contains(w), "{name} holds a pseudonym");
            }
            if i + 11 <= b.len()
                && b[i..i + 6].iter().all(u8::is_ascii_digit)
                && let Ok(w) = std::str::from_utf8(&b[i..i + 11])
            {
                assert!(!codes.contains(w), "{name} holds a henkilötunnus");
            }
        }
    }
    // NULL exactly where the release withheld: the same releases, in process.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let reports = peitto_engine::report::builtin().unwrap();
    let site_manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("data/manifest.json")).unwrap()).unwrap();
    for table in site_manifest["tables"].as_array().unwrap() {
        let id = table["id"].as_str().unwrap();
        let report_id = id;
        let report = reports.iter().find(|r| r.id == report_id).unwrap();
        let bytes = std::fs::read(site.join(table["file"].as_str().unwrap())).unwrap();
        let reader =
            arrow::ipc::reader::FileReader::try_new(std::io::Cursor::new(bytes), None).unwrap();
        let batches: Vec<_> = reader.map(Result::unwrap).collect();
        let mut nulls_in_bundle: BTreeMap<String, usize> = BTreeMap::new();
        let mut values_in_bundle: Vec<f64> = Vec::new();
        for b in &batches {
            for (f, col) in b.schema().fields().iter().zip(b.columns()) {
                // The rate per 1 000 is derived from two released cells
                // (NULL where either is): not a release of its own.
                if f.name() == "per_1000" {
                    continue;
                }
                if let Some(v) = col.as_primitive_opt::<Float64Type>() {
                    *nulls_in_bundle.entry(f.name().clone()).or_default() += v.null_count();
                    values_in_bundle.extend(v.iter().flatten());
                }
            }
        }
        let (withheld, hidden) = runtime.block_on(async {
            let engine = peitto_engine::Engine::open(&store).await.unwrap();
            let areas = engine.municipality_counties().await.unwrap();
            let mut withheld = 0;
            let mut hidden = Vec::new();
            for year in [2024, 2025] {
                let params = report.params_for_year(year);
                let spec = peitto_release::Spec {
                    policy: peitto_sdc::Policy::builtin(&report.header.policy).unwrap(),
                    totals: peitto_release::report_totals(report, &areas),
                    of_which: report.header.of_which.clone(),
                    discrepancies: report.header.discrepancies.clone(),
                    linked: Default::default(),
                };
                let r = peitto_release::release(&engine, &report.sql, &params, &spec)
                    .await
                    .unwrap();
                withheld += r
                    .table
                    .rows
                    .iter()
                    .flatten()
                    .filter(|v| **v == peitto_release::Value::Suppressed)
                    .count();
                hidden.extend(r.hidden);
            }
            (withheld, hidden)
        });
        let nulls: usize = nulls_in_bundle.values().sum();
        assert_eq!(
            nulls, withheld,
            "{id}: NULLs in the bundle vs cells withheld"
        );
        for h in hidden
            .iter()
            .filter(|h| h.fract().abs() > 1e-6 && **h > 100.0)
        {
            assert!(
                !values_in_bundle.iter().any(|v| (v - h).abs() < 1e-9),
                "{id}: the withheld amount {h} is in the bundle"
            );
        }
    }
}
