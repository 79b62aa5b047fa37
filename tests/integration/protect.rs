//! `peitto protect` on the worked examples of sdc.md, as a tau-Argus user
//! would run it: a CSV of the most detailed cells, hierarchy files, a policy.

use crate::common::*;

const EXAMPLE_1: &str = "row;form;count\nA;Family;12\nA;Inst;3\nA;Prof;9\nB;Family;7\nB;Inst;6\nB;Prof;8\nC;Family;15\nC;Inst;10\nC;Prof;2\n";

fn cells_of(csv: &str) -> Vec<(String, String, String)> {
    csv.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
        })
        .collect()
}

#[test]
fn protect_adds_totals_and_hides_the_minimum_pattern() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("sijoitukset.csv");
    std::fs::write(&input, EXAMPLE_1).unwrap();
    let out = tmp.path().join("suojattu.csv");
    let o = peitto(&[
        "protect",
        input.to_str().unwrap(),
        "--policy",
        "thl",
        "--out",
        out.to_str().unwrap(),
    ]);
    ok(&o);
    assert!(String::from_utf8_lossy(&o.stderr).contains("Audit passed"));
    let cells = cells_of(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(cells.len(), 16, "4 × 4 cells with totals");
    let hidden: Vec<(String, String)> = cells
        .iter()
        .filter(|c| c.2 == "..")
        .map(|c| (c.0.clone(), c.1.clone()))
        .collect();
    assert_eq!(
        hidden,
        vec![
            ("A".into(), "Inst".into()),
            ("A".into(), "Prof".into()),
            ("C".into(), "Inst".into()),
            ("C".into(), "Prof".into())
        ]
    );
    assert!(cells.contains(&("Total".into(), "Total".into(), "72".into())));
    assert!(cells.contains(&("A".into(), "Total".into(), "24".into())));
}

#[test]
fn protect_json_reports_status_and_the_audit_interval() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("cells.csv");
    std::fs::write(&input, EXAMPLE_1).unwrap();
    let o = ok(&peitto(&[
        "protect",
        input.to_str().unwrap(),
        "--format",
        "json",
    ]));
    let doc: serde_json::Value = serde_json::from_str(&o).unwrap();
    assert_eq!(doc["audit"]["passed"], true);
    assert_eq!(doc["symbol"], "..");
    assert!(
        doc["legend"]["sv"][".."]
            .as_str()
            .unwrap()
            .contains("sekretess")
    );
    let cell = |row: &str, form: &str| {
        doc["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["dimensions"]["row"] == row && c["dimensions"]["form"] == form)
            .unwrap()
            .clone()
    };
    let a_inst = cell("A", "Inst");
    assert_eq!(a_inst["status"], "primary");
    assert_eq!(a_inst["rule"], "frequency");
    assert!(a_inst["published"].is_null());
    assert_eq!(
        (
            a_inst["lower"].as_f64().unwrap().round(),
            a_inst["upper"].as_f64().unwrap().round()
        ),
        (2.0, 11.0)
    );
    let a_prof = cell("A", "Prof");
    assert_eq!(a_prof["status"], "secondary");
    // The secondary says which primaries it is withheld for: the one
    // rectangle A/C × Inst/Prof protects both small cells.
    let protects: Vec<(String, String)> = a_prof["protects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["row"].as_str().unwrap().to_owned(),
                p["form"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        protects,
        vec![("A".into(), "Inst".into()), ("C".into(), "Prof".into())]
    );
    assert!(a_inst.get("protects").is_none());
    assert_eq!(
        (
            a_prof["lower"].as_f64().unwrap().round(),
            a_prof["upper"].as_f64().unwrap().round()
        ),
        (1.0, 10.0)
    );
    assert_eq!(cell("B", "Inst")["published"], 6.0);
}

#[test]
fn protect_follows_a_hierarchy_file() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("cells.csv");
    std::fs::write(&input, "area,form,count\nM1,Inst,2\nM1,Fam,10\nM2,Inst,8\nM2,Fam,9\nM3,Inst,5\nM3,Fam,9\nM4,Inst,7\nM4,Fam,12\n").unwrap();
    let hierarchy = tmp.path().join("alueet.csv");
    std::fs::write(
        &hierarchy,
        "child,parent\nM1,K1\nM2,K1\nM3,K2\nM4,K2\nK1,All\nK2,All\n",
    )
    .unwrap();
    let arg = format!("area={}", hierarchy.display());
    let out = ok(&peitto(&[
        "protect",
        input.to_str().unwrap(),
        "--hierarchy",
        &arg,
    ]));
    let cells = cells_of(&out);
    assert_eq!(cells.len(), 7 * 3);
    let mut hidden: Vec<(String, String)> = cells
        .iter()
        .filter(|c| c.2 == "..")
        .map(|c| (c.0.clone(), c.1.clone()))
        .collect();
    hidden.sort();
    assert_eq!(
        hidden,
        vec![
            ("M1".into(), "Fam".into()),
            ("M1".into(), "Inst".into()),
            ("M2".into(), "Fam".into()),
            ("M2".into(), "Inst".into())
        ]
    );
    assert!(
        cells.contains(&("K1".into(), "Inst".into(), "10".into())),
        "county rows are published"
    );
}

#[test]
fn a_hierarchy_file_without_a_header_row_loses_no_relation() {
    // X's only child is A (two persons): read as a header, "A;X" was lost,
    // A became a loose code and X was published as nil.
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("cells.csv");
    std::fs::write(&input, "alue;count\nA;2\nB;30\nC;40\nD;50\n").unwrap();
    let run = |hierarchy: &str| {
        let file = tmp.path().join("hier.csv");
        std::fs::write(&file, hierarchy).unwrap();
        let arg = format!("alue={}", file.display());
        peitto(&["protect", input.to_str().unwrap(), "--hierarchy", &arg])
    };
    let relations = "A;X\nB;Y\nC;Y\nD;Y\nX;Total\nY;Total\n";
    let with_header = ok(&run(&format!("child;parent\n{relations}")));
    let without = ok(&run(relations));
    assert_eq!(without, with_header);
    assert!(without.contains("X;.."), "{without}");
    // A code under two parents is refused either way.
    let twice = run("A;X\nA;Y\nB;Y\nC;Y\nD;Y\nX;Total\nY;Total\n");
    assert!(!twice.status.success());
}

/// Three municipalities in two counties (K2 with a single one) by form,
/// and the hierarchy as child and parent columns: (folder, cells, hierarchy).
fn two_counties() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("cells.csv");
    std::fs::write(
        &input,
        "area,form,count\nM1,Inst,2\nM1,Fam,10\nM2,Inst,8\nM2,Fam,9\nM3,Inst,5\nM3,Fam,9\n",
    )
    .unwrap();
    let hierarchy = tmp.path().join("alueet.csv");
    std::fs::write(&hierarchy, "child,parent\nM1,K1\nM2,K1\nM3,K2\n").unwrap();
    (tmp, input, hierarchy)
}

#[test]
fn protect_adds_the_grand_total_above_several_top_codes() {
    // Counties with no parent, the grand total implied, as tau-Argus .hrc
    // files and most exports have it; K2 has a single municipality.
    let (_tmp, input, hierarchy) = two_counties();
    let arg = format!("area={}", hierarchy.display());
    let o = peitto(&["protect", input.to_str().unwrap(), "--hierarchy", &arg]);
    let out = ok(&o);
    let cells = cells_of(&out);
    // Total, K1, K2, M1, M2, M3 × Inst, Fam, Total.
    assert_eq!(cells.len(), 6 * 3);
    assert!(
        cells.contains(&("Total".into(), "Total".into(), "43".into())),
        "the grand total is added: {out}"
    );
    assert!(cells.contains(&("K1".into(), "Total".into(), "29".into())));
    let hidden: Vec<(String, String)> = cells
        .iter()
        .filter(|c| c.2 == "..")
        .map(|c| (c.0.clone(), c.1.clone()))
        .collect();
    assert!(hidden.contains(&("M1".into(), "Inst".into())));
    // The single-municipality county equals its municipality: hidden together or not at all.
    for form in ["Inst", "Fam", "Total"] {
        let m3 = hidden.contains(&("M3".into(), form.into()));
        let k2 = hidden.contains(&("K2".into(), form.into()));
        assert_eq!(m3, k2, "M3 and K2 share their status ({form})");
    }
}

#[test]
fn protect_fails_closed_and_writes_nothing() {
    let (_tmp, project) = project();
    // A project policy whose dominance rule no pattern can satisfy for a single provider.
    let config = project.join("peitto.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[policies.strict]\nmethod = \"suppression\"\nmin_frequency = 5\np_percent = 10.0\ndominance_n = 1\ndominance_k = 40.0\n");
    std::fs::write(&config, text).unwrap();
    let input = project.join("kustannukset.csv");
    std::fs::write(
        &input,
        "provider;count;euros;largest\nX;1;500;500\nY;5;100;30\nZ;5;100;30\n",
    )
    .unwrap();
    let out = project.join("out/kustannukset.csv");
    let o = peitto(&[
        "--project",
        project.to_str().unwrap(),
        "protect",
        input.to_str().unwrap(),
        "--policy",
        "strict",
        "--value",
        "euros",
        "--top",
        "largest",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("Nothing was released") && stderr.contains("grand total"),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn protect_explains_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("cells.csv");
    std::fs::write(&input, "row;count\nA;kolme\n").unwrap();
    let o = peitto(&["protect", input.to_str().unwrap()]);
    assert!(!o.status.success());
    let stderr = String::from_utf8_lossy(&o.stderr);
    // Where, not what: the cell may hold anything (a name, an identity code).
    assert!(
        stderr.contains("row 2") && stderr.contains("count") && !stderr.contains("kolme"),
        "{stderr}"
    );
    // A negative count is refused, not published as a safe cell.
    std::fs::write(&input, "row;count\nA;20\nB;-2\nC;30\n").unwrap();
    let o = peitto(&["protect", input.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && stderr.contains("row 3") && stderr.contains("negative"),
        "{stderr}"
    );
    // A row of the total's code (totals are computed): a message, not a crash.
    std::fs::write(
        &input,
        "area;age;count\nA;0-6;20\nA;7-12;30\nA;Total;50\nB;0-6;25\nB;7-12;40\n",
    )
    .unwrap();
    let o = peitto(&["protect", input.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("row 4") && stderr.contains("--total"),
        "{stderr}"
    );
    let o = peitto(&["protect", input.to_str().unwrap(), "--policy", "nonsense"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("no policy nonsense") && stderr.contains("thl, ely, public"),
        "{stderr}"
    );
}

#[test]
fn protect_says_what_is_wrong_in_the_users_language() {
    // A Finnish or Swedish statistician reads every part of the message in
    // their language: where in the file, and what to do.
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("solut.csv");
    std::fs::write(&input, "alue;lkm\nA;kolme\n").unwrap();
    let file = input.to_str().unwrap();
    let said = |args: &[&str]| {
        let o = peitto(args);
        assert_eq!(o.status.code(), Some(1));
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let fi = said(&["--lang", "fi", "protect", file, "--count", "lkm"]);
    assert!(
        fi.contains("rivi 2, sarake lkm: ei ole luku") && !fi.contains("kolme"),
        "{fi}"
    );
    let sv = said(&["--lang", "sv", "protect", file, "--count", "lkm"]);
    assert!(sv.contains("rad 2, kolumn lkm: inte ett tal"), "{sv}");
    std::fs::write(&input, "alue;lkm\nA;4\nB;7\n").unwrap();
    let fi = said(&[
        "--lang",
        "fi",
        "protect",
        file,
        "--count",
        "lkm",
        "--hierarchy",
        "alue",
    ]);
    assert!(fi.contains("LUOKITUS=TIEDOSTO"), "{fi}");
    let fi = said(&["--lang", "fi", "protect", file, "--count", "henkilöt"]);
    assert!(fi.contains("saraketta henkilöt ei ole"), "{fi}");
    let sv = said(&["--lang", "sv", "protect", file, "--policy", "tiukka"]);
    assert!(sv.contains("Skyddsregeln tiukka finns inte"), "{sv}");
    // A tau-Argus pattern of another table.
    let pattern = tmp.path().join("kuvio.csv");
    std::fs::write(&pattern, "alue;status\nC;U\n").unwrap();
    let fi = said(&[
        "--lang",
        "fi",
        "protect",
        file,
        "--count",
        "lkm",
        "--check-pattern",
        pattern.to_str().unwrap(),
    ]);
    assert!(
        fi.contains("rivi 2 nimeää solun, jota taulussa ei ole"),
        "{fi}"
    );
}

#[test]
fn protect_reads_a_tau_argus_hrc_hierarchy_like_the_csv_one() {
    // The same hierarchy as a tau-Argus .hrc file (one more `@` a level
    // down, the grand total implied) gives the same released table.
    let (tmp, input, csv) = two_counties();
    let hrc = tmp.path().join("alueet.hrc");
    std::fs::write(&hrc, "K1\r\n@M1\r\n@M2\r\nK2\r\n@M3\r\n").unwrap();
    let run = |file: &std::path::Path| {
        let arg = format!("area={}", file.display());
        ok(&peitto(&[
            "protect",
            input.to_str().unwrap(),
            "--hierarchy",
            &arg,
        ]))
    };
    let from_csv = run(&csv);
    assert_eq!(run(&hrc), from_csv);
    assert_eq!(cells_of(&from_csv).len(), 6 * 3);
    // A line two levels below the one above is refused, naming the line.
    std::fs::write(&hrc, "K1\n@@M1\n").unwrap();
    let arg = format!("area={}", hrc.display());
    let o = peitto(&["protect", input.to_str().unwrap(), "--hierarchy", &arg]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 2"));
}

#[test]
fn check_pattern_names_each_cell_another_tools_pattern_fails() {
    // A statistician checks another tool's pattern (tau-Argus writes
    // S/U/M): the verdict names each failing cell, what an attacker
    // derives for it and what it needs, and each unsafe cell published.
    let (tmp, input, hierarchy) = two_counties();
    let check = |pattern: &str| -> serde_json::Value {
        let file = tmp.path().join("pattern.csv");
        std::fs::write(&file, pattern).unwrap();
        let arg = format!("area={}", hierarchy.display());
        let o = peitto(&[
            "protect",
            input.to_str().unwrap(),
            "--hierarchy",
            &arg,
            "--check-pattern",
            file.to_str().unwrap(),
        ]);
        serde_json::from_str(&ok(&o)).unwrap()
    };
    // M1 × Inst (2) alone withheld: the totals give it back exactly.
    let v = check("area,form,status\nM1,Inst,U\n");
    assert_eq!(v["passed"], false);
    let failing = &v["underprotected_cells"][0];
    assert_eq!(failing["cell"]["area"], "M1");
    assert_eq!(failing["cell"]["form"], "Inst");
    assert_eq!(failing["attacker_interval"], serde_json::json!([2.0, 2.0]));
    assert_eq!(failing["needs_above"], 3.0);
    // Published: unsafe outright.
    let v = check("area,form,status\nM1,Inst,S\n");
    assert_eq!(v["published_unsafe"], 1);
    assert_eq!(
        v["published_unsafe_cells"],
        serde_json::json!([{"area": "M1", "form": "Inst"}])
    );
    // peitto's own pattern passes, with nothing to name.
    let arg = format!("area={}", hierarchy.display());
    let own: serde_json::Value = serde_json::from_str(&ok(&peitto(&[
        "protect",
        input.to_str().unwrap(),
        "--hierarchy",
        &arg,
        "--format",
        "json",
        "--no-intervals",
    ])))
    .unwrap();
    let mut pattern = String::from("area,form,status\n");
    for c in own["cells"].as_array().unwrap() {
        let status = if c["status"] == "safe" { "S" } else { "U" };
        pattern.push_str(&format!(
            "{},{},{status}\n",
            c["dimensions"]["area"].as_str().unwrap(),
            c["dimensions"]["form"].as_str().unwrap()
        ));
    }
    let v = check(&pattern);
    assert_eq!(v["passed"], true, "{v}");
    assert_eq!(v["underprotected_cells"], serde_json::json!([]));
}

#[test]
fn protect_refuses_tables_it_cannot_hold_or_add_up() {
    // Twenty dimensions of two codes in 30 rows made 3^20 cells and took
    // 24 GB; 2.5 persons, a count past 2^53 and 1e308 twice were published
    // as totals that did not add up (or inf), and the audit passed them.
    let tmp = tempfile::tempdir().unwrap();
    let wide = tmp.path().join("wide.csv");
    let header: Vec<String> = (0..20).map(|i| format!("d{i}")).collect();
    let mut text = format!("{},count\n", header.join(","));
    for r in 0..30u32 {
        let codes: Vec<&str> = (0..20)
            .map(|i| if (r >> (i % 5)) & 1 == 1 { "a" } else { "b" })
            .collect();
        text.push_str(&format!("{},{}\n", codes.join(","), r % 20));
    }
    std::fs::write(&wide, text).unwrap();
    let o = peitto(&["protect", wide.to_str().unwrap(), "--total", "T"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("3486784401 cells"), "{stderr}");
    for (name, csv) in [
        ("frac.csv", "a,count\nx,2.5\ny,7\nz,6\n"),
        ("huge.csv", "a,count\nx,9007199254740993\ny,5\n"),
        ("inf.csv", "a,count\nx,1e308\ny,1e308\n"),
    ] {
        let path = tmp.path().join(name);
        std::fs::write(&path, csv).unwrap();
        let o = peitto(&["protect", path.to_str().unwrap(), "--total", "T"]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{name}: {stderr}");
        assert!(
            stderr.contains("row 2") && stderr.contains("whole number"),
            "{name}: {stderr}"
        );
        assert!(o.stdout.is_empty());
    }
}
