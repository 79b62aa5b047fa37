//! Names from the organisation register reach the dashboard as text only
//! (found by a black-box tester: an escape sequence and a right-to-left
//! override typed into a municipality's name went into the manifest and
//! the bundle as they were, while every published file turned them into
//! spaces).

use crate::common::{ingest, ok, peitto, project, sample_data, walk};

fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| {
            out.push(k.clone());
            strings(x, out);
        }),
        _ => {}
    }
}

#[test]
fn organisation_names_reach_the_dashboard_as_text_only() {
    let (tmp, dir) = project();
    let data = tmp.path().join("extracts");
    for file in walk(&sample_data()) {
        let to = data.join(file.strip_prefix(sample_data()).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&file, &to).unwrap();
    }
    let register = data.join("reference/organisaatiot.csv");
    let text = std::fs::read_to_string(&register).unwrap();
    let hostile = text.replace(";Kotka;", ";Kot\u{1b}[31mka\u{7}\u{202e};");
    assert_ne!(hostile, text, "the register names Kotka");
    std::fs::write(&register, hostile).unwrap();
    ok(&ingest(&dir, &[&data]));
    // A viewer of one's own (the built-in one needs web/dist built).
    let viewer = tmp.path().join("viewer");
    std::fs::create_dir_all(&viewer).unwrap();
    std::fs::write(
        viewer.join("peitto_viewer.js"),
        "export default function init() {}\n",
    )
    .unwrap();
    std::fs::write(viewer.join("peitto_viewer_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    for page in ["index.html", "app.js", "style.css"] {
        std::fs::copy(
            crate::common::root().join("web").join(page),
            viewer.join(page),
        )
        .unwrap();
    }
    let site = dir.join("out/dashboard");
    ok(&peitto(&[
        "--project",
        dir.to_str().unwrap(),
        "dashboard",
        "build",
        "--out",
        site.to_str().unwrap(),
        "--viewer",
        viewer.to_str().unwrap(),
        "--year",
        "2025",
        "--years",
        "1",
    ]));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(site.join("data/manifest.json")).unwrap()).unwrap();
    let mut all = Vec::new();
    strings(&manifest, &mut all);
    assert!(
        all.iter().any(|s| s.starts_with("Kot") && s.contains("ka")),
        "Kotka is named"
    );
    for s in &all {
        assert!(
            !s.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{s:?} in the manifest"
        );
    }
    for (name, bytes) in [("bundle.js", "data/bundle.js"), ("index", "index.html")] {
        let Ok(body) = std::fs::read_to_string(site.join(bytes)) else {
            continue;
        };
        assert!(
            !body.contains('\u{1b}')
                && !body.contains('\u{202e}')
                && !body.contains("\\x1b")
                && !body.contains("\\u001b"),
            "{name}"
        );
    }
}

#[test]
fn a_project_folder_is_never_served_as_a_dashboard() {
    // `dashboard serve` of the project served its key and store.
    let project = crate::common::sample_project();
    let out = crate::common::peitto(&[
        "dashboard",
        "serve",
        project.to_str().unwrap(),
        "--port",
        "0",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not a dashboard"), "{stderr}");
}
