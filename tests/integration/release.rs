//! `peitto report`: saved reports through disclosure control into CSV
//! (two dialects), XLSX, JSON and PX, statutory packages with a cover page,
//! and the audit log of every release.

use crate::common::{ok, on_sample, peitto, sample_project};
use calamine::{Data, Reader, Xlsx, open_workbook};
use peitto_i18n::Lang;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn out(name: &str) -> PathBuf {
    sample_project().join("out").join(name)
}

pub(crate) fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Rows of a JSON release keyed by their dimension values, with each
/// measure cell's (status, value).
pub(crate) type Cells = BTreeMap<Vec<String>, Measures>;

/// A row's measure cells: (status, value).
pub(crate) type Measures = Vec<(String, Option<f64>)>;

pub(crate) fn cells(doc: &Value) -> (Vec<bool>, Cells) {
    let roles: Vec<bool> = doc["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["role"] == "dimension")
        .collect();
    let mut out = Cells::new();
    for row in doc["rows"].as_array().unwrap() {
        let row = row.as_array().unwrap();
        let key = row
            .iter()
            .zip(&roles)
            .filter(|(_, d)| **d)
            .map(|(c, _)| {
                c.get("value")
                    .map_or_else(|| "TOTAL".to_owned(), ToString::to_string)
            })
            .collect();
        let measures = row
            .iter()
            .zip(&roles)
            .filter(|(_, d)| !**d)
            .map(|(c, _)| {
                (
                    c["status"].as_str().unwrap().to_owned(),
                    c["value"].as_f64(),
                )
            })
            .collect();
        out.insert(key, measures);
    }
    (roles, out)
}

#[test]
fn a_report_is_written_in_every_format_with_withheld_cells_as_the_symbol() {
    ok(&on_sample(&["report", "placed_children", "--year", "2025"]));
    let dir = out("placed_children-2025");
    let doc = json(&dir.join("placed_children.json"));
    let (roles, by_key) = cells(&doc);
    let suppressed: usize = by_key
        .values()
        .flatten()
        .filter(|(s, _)| s == "suppressed")
        .count();
    assert!(
        suppressed > 0,
        "the sample has small cells: some must be withheld"
    );
    // Withheld cells carry no value in JSON.
    for (status, value) in by_key.values().flatten() {
        assert_eq!(status == "suppressed", value.is_none());
    }
    let dims = roles.iter().filter(|d| **d).count();
    // Both CSV dialects: the same rows, the symbol exactly where JSON says.
    for (file, sep, bom) in [
        ("placed_children.csv", ';', true),
        ("placed_children.rfc4180.csv", ',', false),
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        assert_eq!(bytes.starts_with(b"\xEF\xBB\xBF"), bom, "{file}");
        let text = String::from_utf8(bytes).unwrap();
        let mut lines = text.trim_start_matches('\u{feff}').split("\r\n");
        lines.next(); // header
        let mut rows = 0;
        for (line, (_, measures)) in lines.by_ref().zip(&by_key_in_file_order(&doc)) {
            let fields: Vec<&str> = line.split(sep).collect();
            for (i, (status, _)) in measures.iter().enumerate() {
                let field = fields[dims + i];
                assert_eq!(status == "suppressed", field == "..", "{file}: {line}");
            }
            rows += 1;
        }
        assert_eq!(rows, doc["rows"].as_array().unwrap().len());
        // The legend closes the file.
        assert!(text.contains(peitto_i18n::text(Lang::En, "legend.suppressed")));
    }
    // XLSX: numbers typed as numbers, the symbol as text where withheld.
    let mut book: Xlsx<_> = open_workbook(dir.join("placed_children.xlsx")).unwrap();
    let sheets = book.sheet_names();
    assert_eq!(sheets.len(), 2, "a table sheet and an information sheet");
    let range = book.worksheet_range(&sheets[0]).unwrap();
    let mut numbers = 0;
    for (r, (_, measures)) in by_key_in_file_order(&doc).iter().enumerate() {
        for (i, (status, value)) in measures.iter().enumerate() {
            let cell = range.get_value((3 + r as u32, (dims + i) as u32)).unwrap();
            match (status.as_str(), cell) {
                ("suppressed", Data::String(s)) => assert_eq!(s, ".."),
                (_, Data::Float(f)) => {
                    assert!((f - value.unwrap()).abs() < 1e-9);
                    numbers += 1;
                }
                other => panic!("row {r}: {other:?}"),
            }
        }
    }
    assert!(numbers > 0);
    // The chart: SVG and PNG, withheld municipalities marked with the symbol.
    let svg = std::fs::read_to_string(dir.join("placed_children.svg")).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.contains("\n..\n</text>"), "no withheld value is marked");
    let png = std::fs::read(dir.join("placed_children.png")).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    // PX: one cube, every value or the quoted symbol, fi/sv/en texts.
    let px = std::fs::read_to_string(dir.join("placed_children.px")).unwrap();
    assert!(px.contains("LANGUAGES=\"fi\",\"sv\",\"en\";"));
    // The title says what the table counts: children by their home municipality.
    assert!(
        px.contains("TITLE[sv]=\"Barn i åldern 0–17 år placerade utom hemmet, efter hemkommun\";"),
        "{:?}",
        px.lines()
            .filter(|l| l.starts_with("TITLE"))
            .collect::<Vec<_>>()
    );
    let data = px.split("DATA=").nth(1).unwrap();
    assert_eq!(data.matches("\"..\"").count(), suppressed);
}

/// The JSON rows in file order: (dimension values, measures).
fn by_key_in_file_order(doc: &Value) -> Vec<(Vec<String>, Measures)> {
    let one = |row: &Value| {
        let mut d = serde_json::Map::new();
        d.insert("columns".into(), doc["columns"].clone());
        d.insert("rows".into(), Value::Array(vec![row.clone()]));
        cells(&Value::Object(d)).1.into_iter().next().unwrap()
    };
    doc["rows"].as_array().unwrap().iter().map(one).collect()
}

#[test]
fn no_output_file_holds_a_withheld_amount() {
    // Euros have cents: a withheld amount found anywhere in a file would be
    // that cell's value, not a coincidence.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let reports = peitto_engine::report::builtin().unwrap();
    let report = reports.iter().find(|r| r.id == "care_costs").unwrap();
    let released = runtime.block_on(async {
        let engine = peitto_engine::Engine::open(&sample_project().join("store"))
            .await
            .unwrap();
        let mut params = BTreeMap::new();
        params.insert("year".to_owned(), peitto_engine::Scalar::Int64(Some(2025)));
        let spec = peitto_release::Spec {
            policy: peitto_sdc::Policy::builtin("thl").unwrap(),
            totals: BTreeMap::new(),
            of_which: Vec::new(),
            discrepancies: Vec::new(),
            linked: Default::default(),
        };
        peitto_release::release(&engine, &report.sql, &params, &spec)
            .await
            .unwrap()
    });
    let amounts: Vec<f64> = released
        .hidden
        .iter()
        .copied()
        .filter(|v| v.fract().abs() > 1e-6 && *v > 100.0)
        .collect();
    assert!(
        !amounts.is_empty(),
        "care_costs withholds some amounts in the sample"
    );
    let meta = peitto_publish::Meta {
        id: "care_costs".into(),
        symbol: "..".into(),
        ..peitto_publish::Meta::default()
    };
    for lang in Lang::ALL {
        for (name, bytes) in
            peitto_publish::all_formats(&released.table, &meta, lang, "2026-01-01").unwrap()
        {
            let haystack: Vec<String> = if name.ends_with(".xlsx") {
                // Inside the zip: read the cells back.
                let mut book = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
                let sheet = book.sheet_names()[0].clone();
                book.worksheet_range(&sheet)
                    .unwrap()
                    .cells()
                    .map(|(_, _, c)| c.to_string())
                    .collect()
            } else {
                vec![String::from_utf8(bytes).unwrap()]
            };
            for v in &amounts {
                let point = format!("{v:.2}");
                let point = point.trim_end_matches('0').trim_end_matches('.').to_owned();
                for shown in [point.clone(), point.replace('.', ",")] {
                    assert!(
                        !haystack.iter().any(|h| contains_number(h, &shown)),
                        "{name} ({lang}) holds the withheld amount {shown}"
                    );
                }
            }
        }
    }
}

#[test]
fn why_each_cell_is_withheld_is_in_the_audit_folder_and_not_in_the_release() {
    let (_tmp, project) = crate::common::project();
    ok(&crate::common::ingest(
        &project,
        &[&crate::common::sample_data()],
    ));
    let report = [
        "--project",
        project.to_str().unwrap(),
        "report",
        "placed_children",
        "--year",
        "2025",
    ];
    // Telling primaries from secondaries is for report authors only.
    let stdout = ok(&peitto(&report));
    assert!(
        stdout.contains(peitto_i18n::text(Lang::En, "report.reasons_authors_only")),
        "{stdout}"
    );
    assert!(!project.join("audit/withheld-reasons").exists());
    crate::common::add_author(&project, &crate::common::whoami());
    let stdout = ok(&peitto(&report));
    let after = |key: &str, arg: &str| -> String {
        let prefix = peitto_i18n::format(Lang::En, key, &[(arg, &"")]);
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no {key} line in:\n{stdout}"))
            .to_owned()
    };
    let hash = after("report.audit", "hash");
    let dir = PathBuf::from(after("report.reasons", "path"));
    // Under audit/, named after the release's log entry, never in out/,
    // for its owner's eyes only.
    assert!(dir.starts_with(project.join("audit")), "{}", dir.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("placed_children.csv"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    assert!(
        dir.file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with(&hash[..16]),
        "{}",
        dir.display()
    );
    let text = std::fs::read_to_string(dir.join("placed_children.csv")).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let dims = header.len() - 4;
    assert_eq!(
        header[dims + 1],
        peitto_i18n::text(Lang::En, "reasons.reason")
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let described = |row: &[String]| -> String {
        header[..dims]
            .iter()
            .zip(row)
            .map(|(d, c)| format!("{d}={c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let primaries: std::collections::BTreeSet<String> = rows
        .iter()
        .filter(|r| r[dims + 1] == peitto_i18n::text(Lang::En, "reasons.primary"))
        .map(|r| described(r))
        .collect();
    assert!(
        !primaries.is_empty(),
        "the sample has cells of 1–4 children"
    );
    let mut secondaries = 0;
    for row in &rows {
        let reason = row[dims + 1].as_str();
        if reason == peitto_i18n::text(Lang::En, "reasons.primary") {
            assert!(
                // `linked`: a cell another report withheld (the shared
                // sample project has run other reports).
                ["frequency", "row_total", "linked"].contains(&row[dims + 2].as_str()),
                "{row:?}"
            );
        } else if reason == peitto_i18n::text(Lang::En, "reasons.secondary") {
            // Each names the primaries it protects, each one of the primaries listed.
            let protects: Vec<&str> = row[dims + 3].split(" | ").collect();
            assert!(!row[dims + 3].is_empty(), "{row:?}");
            for p in protects {
                assert!(primaries.contains(p), "{row:?} protects {p}, not a primary");
            }
            secondaries += 1;
        } else {
            assert!(
                ["reasons.other_measure", "reasons.same_persons"]
                    .map(|k| peitto_i18n::text(Lang::En, k))
                    .contains(&reason),
                "{row:?}"
            );
        }
    }
    assert!(secondaries > 0);
    // Each cell explained is one the release withholds.
    let released = project.join("out/placed_children-2025");
    let doc = json(&released.join("placed_children.json"));
    let withheld: std::collections::BTreeSet<Vec<String>> = doc["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| {
            row.as_array().unwrap()[dims..]
                .iter()
                .any(|c| c["status"] == "suppressed")
        })
        .map(|row| {
            row.as_array().unwrap()[..dims]
                .iter()
                .map(|c| match &c["value"] {
                    Value::String(s) => s.clone(),
                    Value::Null => peitto_i18n::text(Lang::En, "label.total").to_owned(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    for row in &rows {
        assert!(
            withheld.contains(&row[..dims]),
            "{row:?} is not withheld in the release"
        );
    }
    assert!(
        rows.iter().all(|r| r[dims] == "children"),
        "the measure by its name in the release"
    );
    // The released folder says nothing of which cells are primary.
    for entry in std::fs::read_dir(&released).unwrap() {
        let path = entry.unwrap().path();
        if let Ok(content) = std::fs::read_to_string(&path) {
            // Rules, and cells named as a secondary names the primaries it protects.
            for word in ["frequency", "row_total", "municipality_code="] {
                assert!(!content.contains(word), "{} says {word}", path.display());
            }
        }
    }
}

/// Whether `text` holds `number` as a whole number, not as part of a longer one.
fn contains_number(text: &str, number: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(number).any(|(i, _)| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + number.len()).copied();
        let after2 = bytes.get(i + number.len() + 1).copied();
        let digit = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_digit());
        let separator = |b: Option<u8>| b == Some(b'.') || b == Some(b',');
        !(digit(before) || separator(before) || digit(after) || (separator(after) && digit(after2)))
    })
}

#[test]
fn a_package_has_its_tables_in_its_languages_a_cover_and_a_logged_release() {
    ok(&on_sample(&[
        "report",
        "--package",
        "ely-kotoutuminen",
        "--year",
        "2025",
    ]));
    let dir = out("ely-kotoutuminen-2025");
    let cover = std::fs::read_to_string(dir.join("index.html")).unwrap();
    for id in [
        "integration_services_within_months",
        "integration_outcomes",
        "compensation_reconciliation",
    ] {
        for lang in ["fi", "sv"] {
            assert!(
                dir.join(lang).join(format!("{id}.csv")).is_file(),
                "{lang}/{id}.csv"
            );
            assert!(dir.join(lang).join(format!("{id}.xlsx")).is_file());
        }
        assert!(dir.join(format!("{id}.px")).is_file());
        let report = peitto_engine::report::builtin()
            .unwrap()
            .into_iter()
            .find(|r| r.id == id)
            .unwrap();
        assert!(cover.contains(&report.header.titles.fi), "{id}");
        assert!(cover.contains(&report.header.titles.sv), "{id}");
        // Each definition is written for the recipient in the package's
        // languages, from the catalogues; no English paragraph.
        let key = format!("statdef.{id}");
        for lang in [Lang::Fi, Lang::Sv] {
            let def = html_text(peitto_i18n::text(lang, &key));
            assert!(cover.contains(&def), "{id}: no {lang:?} definition");
        }
        let en = html_text(peitto_i18n::text(Lang::En, &key));
        assert!(
            !cover.contains(&en),
            "{id}: an English definition on the cover"
        );
    }
    // Nothing on the cover names an internal file or section.
    for internal in ["domain.md", ".sql", "research/", "report 2", "queries/"] {
        assert!(!cover.contains(internal), "the cover names {internal}");
    }
    // The Swedish tables speak Swedish.
    let sv = std::fs::read_to_string(dir.join("sv/integration_outcomes.csv")).unwrap();
    assert!(sv.contains(peitto_i18n::text(Lang::Sv, "legend.suppressed")));
    // The cover names the log entry of this release, whose file hashes are
    // the files' own.
    let log = std::fs::read_to_string(sample_project().join("audit/releases.jsonl")).unwrap();
    let entry: Value = log
        .lines()
        .rev()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| {
            e["subject"]
                .as_str()
                .unwrap()
                .starts_with("ely-kotoutuminen-2025")
        })
        .unwrap();
    assert!(cover.contains(entry["hash"].as_str().unwrap()));
    assert_eq!(entry["policy"], "ely");
    for f in entry["files"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        let bytes = std::fs::read(sample_project().join("out").join(name)).unwrap();
        assert_eq!(
            f["sha256"].as_str().unwrap(),
            peitto_auditlog::sha256(&bytes),
            "{name}"
        );
    }
    // No cell value or pseudonym in the log: only the listed fields.
    assert!(!log.contains("person_key"));
}

#[test]
fn every_released_column_has_a_label_in_three_languages() {
    ok(&on_sample(&["report", "--all", "--year", "2025"]));
    let dir = out("reports-2025");
    for report in peitto_engine::report::builtin().unwrap() {
        let doc = json(&dir.join(format!("{}.json", report.id)));
        for c in doc["columns"].as_array().unwrap() {
            let key = format!("column.{}", c["name"].as_str().unwrap());
            assert!(peitto_i18n::has(&key), "{}: {key}", report.id);
            for lang in Lang::ALL {
                assert_ne!(peitto_i18n::text(lang, &key), key);
            }
        }
        // Every total the header declares (`name (… > total)`) is
        // published as a row of its own, whatever the SQL calls the
        // column on the way to the output.
        for dim in &report.header.dimensions {
            if dim.rollup != peitto_engine::report::Rollup::Total {
                continue;
            }
            let name = dim.name.as_str();
            let columns = doc["columns"].as_array().unwrap();
            let Some(i) = columns.iter().position(|c| c["name"] == name) else {
                panic!("{}: no column {name}", report.id);
            };
            let totals = doc["rows"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r[i]["status"] == "total")
                .count();
            assert!(totals > 0, "{}: no total of {name}", report.id);
        }
    }
}

/// `text` as an HTML page writes it (the characters it escapes).
fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn the_readme_lists_every_saved_report_with_its_official_statistic() {
    let readme = std::fs::read_to_string(crate::common::root().join("README.md")).unwrap();
    let section = readme
        .split("## Saved reports and the official statistics they reproduce")
        .nth(1)
        .expect("the README has the section")
        .split("\n## ")
        .next()
        .unwrap();
    let reports =
        peitto_engine::report::Report::all(&crate::common::root().join("queries")).unwrap();
    assert!(reports.len() > 10);
    for report in &reports {
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", report.id)))
            .unwrap_or_else(|| panic!("no README row for {}", report.id));
        // report | official statistic | source | choices
        assert_eq!(row.matches(" | ").count(), 3, "{row}");
    }
    // The child-welfare reports that reproduce THL's figures link THL's
    // definition.
    for id in [
        "notifications_and_children",
        "open_care_clients",
        "after_care_clients",
        "placement_days_by_form",
        "placement_day_bands",
    ] {
        let row = section
            .lines()
            .find(|l| l.starts_with(&format!("| `{id}` |")))
            .unwrap();
        assert!(row.contains("](https://thl.fi/"), "{row}");
    }
    // The flat-rate reconciliation and the actual costs are apart, and the
    // note on the social-assistance limit is on the actual costs' row.
    let row = |id: &str| {
        section
            .lines()
            .find(|l| l.starts_with(&format!("| `{id}` |")))
            .unwrap()
            .to_owned()
    };
    assert!(!row("compensation_reconciliation").contains("HE 192/2024"));
    assert!(row("actual_cost_claims").contains("HE 192/2024"));
    assert!(!row("open_care_clients").contains("0–20"));
}
