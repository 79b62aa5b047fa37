//! `peitto dashboard build` and `peitto dashboard serve`: the static site
//! managers open in a browser, built from protected releases only.

use anyhow::Context;
use datafusion::arrow::array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use peitto_i18n::{Lang, format as tr};
use peitto_project::Project;
use peitto_release::{Table, Value};
use peitto_viewer::{ColumnInfo, Manifest, Page, TableInfo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A table on the dashboard: the saved report, the page, the chart's axis
/// and measures.
struct Shown {
    report: &'static str,
    page: &'static str,
    axis: &'static str,
    measures: &'static [&'static str],
}

const SHOWN: &[Shown] = &[
    Shown {
        report: "placed_children",
        page: "placements",
        axis: "municipality_code",
        measures: &["children"],
    },
    Shown {
        report: "children_in_care",
        page: "placements",
        axis: "form",
        measures: &["children_in_care", "in_care_31_12"],
    },
    Shown {
        report: "placement_days_by_form",
        page: "placements",
        axis: "form",
        measures: &["days"],
    },
    Shown {
        report: "care_costs",
        page: "placements",
        axis: "month",
        measures: &["billed_days", "euros"],
    },
    Shown {
        report: "social_assistance_25_64",
        page: "coverage",
        axis: "year",
        measures: &["percent"],
    },
    Shown {
        report: "placed_children",
        page: "coverage",
        axis: "year",
        measures: &["percent"],
    },
    Shown {
        report: "integration_services_within_months",
        page: "integration",
        axis: "municipality_code",
        measures: &["new_clients", "planned_within"],
    },
    Shown {
        report: "integration_outcomes",
        page: "integration",
        axis: "status",
        measures: &["persons"],
    },
];

const PAGES: &[&str] = &["placements", "coverage", "integration"];

/// Which filter selects a column.
fn filter_of(column: &str) -> Option<&'static str> {
    match column {
        "year" => Some("year"),
        "municipality_code" => Some("area"),
        "form" => Some("form"),
        "age" | "age_group" => Some("age"),
        "sex" => Some("sex"),
        _ => None,
    }
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(A[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One table across years, as Arrow: `year`, the dimensions as text (NULL:
/// the total), the measures as numbers (NULL: withheld).
fn arrow_table(by_year: &[(i32, Table)]) -> anyhow::Result<(Vec<ColumnInfo>, Vec<u8>)> {
    let first = &by_year.first().context("no year")?.1;
    let mut columns = vec![("year".to_owned(), true)];
    columns.extend(first.columns.iter().map(|c| (c.name.clone(), c.dimension)));
    let mut fields = vec![Field::new("year", DataType::Int32, false)];
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let years: Vec<i32> = by_year
        .iter()
        .flat_map(|(y, t)| std::iter::repeat_n(*y, t.rows.len()))
        .collect();
    arrays.push(Arc::new(Int32Array::from(years)));
    for (c, col) in first.columns.iter().enumerate() {
        let cells = by_year
            .iter()
            .flat_map(|(_, t)| t.rows.iter().map(move |r| &r[c]));
        if col.dimension {
            fields.push(Field::new(&col.name, DataType::Utf8, true));
            let values: Vec<Option<String>> = cells
                .map(|v| match v {
                    Value::Text(s) => Some(s.clone()),
                    Value::Int(i) => Some(i.to_string()),
                    Value::Number(x) => Some(x.to_string()),
                    Value::Total | Value::Suppressed => None,
                })
                .collect();
            arrays.push(Arc::new(StringArray::from(values)));
        } else {
            fields.push(Field::new(&col.name, DataType::Float64, true));
            let values: Vec<Option<f64>> = cells.map(Value::number).collect();
            arrays.push(Arc::new(Float64Array::from(values)));
        }
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    let mut bytes = Vec::new();
    {
        let mut w = datafusion::arrow::ipc::writer::FileWriter::try_new(&mut bytes, &schema)?;
        w.write(&batch)?;
        w.finish()?;
    }
    let infos = columns
        .into_iter()
        .map(|(name, dimension)| ColumnInfo {
            labels: Lang::ALL
                .iter()
                .map(|l| (l.code().to_owned(), peitto_publish::label(*l, &name)))
                .collect(),
            filter: if dimension {
                filter_of(&name).map(str::to_owned)
            } else {
                None
            },
            role: if dimension { "dimension" } else { "measure" }.to_owned(),
            name,
        })
        .collect();
    Ok((infos, bytes))
}

/// `peitto dashboard build`.
pub fn build(
    project: &Project,
    lang: Lang,
    out: &Path,
    years: &[i32],
    viewer: &Path,
) -> anyhow::Result<PathBuf> {
    let assets = ["peitto_viewer.js", "peitto_viewer_bg.wasm"];
    for a in assets {
        if !viewer.join(a).is_file() {
            anyhow::bail!(
                "{}",
                tr(lang, "dashboard.no_viewer", &[("path", &viewer.display())])
            );
        }
    }
    let web = viewer.parent().unwrap_or(Path::new("web"));
    let reports = peitto_engine::report::builtin()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut released: BTreeMap<&str, Vec<(i32, Table)>> = BTreeMap::new();
    let mut counts = (0u64, 0u64);
    let mut policies = std::collections::BTreeSet::new();
    let mut sql = String::new();
    let mut area_names: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    runtime.block_on(async {
        let engine = crate::release::open_engine(project).await?;
        let areas = engine.municipality_counties().await?;
        // Managers read names; the English page uses the Finnish one.
        for (code, fi, sv) in engine.area_names().await? {
            let names = area_names.entry(code).or_default();
            names.insert("en".to_owned(), fi.clone());
            names.insert("sv".to_owned(), sv.unwrap_or_else(|| fi.clone()));
            names.insert("fi".to_owned(), fi);
        }
        for shown in SHOWN {
            if released.contains_key(shown.report) {
                continue;
            }
            let report = reports
                .iter()
                .find(|r| r.id == shown.report)
                .context("report")?;
            let policy_name = report.header["policy"].clone();
            let spec = crate::release::report_spec(project, report, &policy_name, &areas)?;
            policies.insert(policy_name);
            sql.push_str(&report.sql);
            let mut per_year = Vec::new();
            for &year in years {
                let r = crate::release::release_saved(&engine, lang, report, &spec, year).await?;
                counts.0 += r.cells as u64;
                counts.1 += r.suppressed as u64;
                per_year.push((year, r.table));
            }
            released.insert(shown.report, per_year);
        }
        anyhow::Ok(())
    })?;
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("dashboard")
        .to_owned();
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let stage = peitto_publish::Staging::new(parent, &name)?;
    let mut files = Vec::new();
    let mut tables = Vec::new();
    let mut encoded = serde_json::Map::new();
    for shown in SHOWN {
        let id = format!("{}-{}", shown.report, shown.page);
        let (columns, bytes) = arrow_table(&released[shown.report])?;
        let file = format!("data/{id}.arrow");
        stage.write(&file, &bytes)?;
        files.push(peitto_auditlog::FileHash {
            name: format!("{name}/{file}"),
            sha256: peitto_auditlog::sha256(&bytes),
        });
        encoded.insert(id.clone(), serde_json::Value::String(base64(&bytes)));
        let report = reports
            .iter()
            .find(|r| r.id == shown.report)
            .context("report")?;
        tables.push(TableInfo {
            id,
            file,
            titles: Lang::ALL
                .iter()
                .map(|l| {
                    (
                        l.code().to_owned(),
                        report
                            .header
                            .get(&format!("title.{}", l.code()))
                            .cloned()
                            .unwrap_or_default(),
                    )
                })
                .collect(),
            columns,
            axis: shown.axis.to_owned(),
            measures: shown.measures.iter().map(|m| (*m).to_owned()).collect(),
        });
    }
    let entry = crate::release::log(
        project,
        peitto_auditlog::Release {
            command: "dashboard".into(),
            subject: format!("{name}: years {years:?}"),
            sql_sha256: peitto_auditlog::sha256(sql.as_bytes()),
            policy_sha256: peitto_auditlog::sha256(format!("{policies:?}").as_bytes()),
            policy: policies.iter().cloned().collect::<Vec<_>>().join(","),
            files,
            cells: counts.0,
            suppressed: counts.1,
            perturbed: 0,
        },
    )?;
    let manifest = Manifest {
        release: entry.hash.clone(),
        policy: policies.iter().cloned().collect::<Vec<_>>().join(","),
        symbol: "..".to_owned(),
        pages: PAGES
            .iter()
            .map(|p| Page {
                id: (*p).to_owned(),
                tables: SHOWN
                    .iter()
                    .filter(|s| s.page == *p)
                    .map(|s| format!("{}-{}", s.report, s.page))
                    .collect(),
            })
            .collect(),
        tables,
        areas: area_names,
    };
    let manifest_json = serde_json::to_string_pretty(&manifest)?;
    stage.write("data/manifest.json", manifest_json.as_bytes())?;
    // For opening from a plain folder (file://, where fetch is refused):
    // the same bundle as a script.
    stage.write(
        "data/bundle.js",
        format!(
            "window.PEITTO_BUNDLE = {{\"manifest\": {manifest_json}, \"tables\": {}}};\n",
            serde_json::Value::Object(encoded)
        )
        .as_bytes(),
    )?;
    for a in assets {
        stage.write(&format!("viewer/{a}"), &std::fs::read(viewer.join(a))?)?;
    }
    let wasm = std::fs::read(viewer.join("peitto_viewer_bg.wasm"))?;
    stage.write(
        "viewer/wasm.js",
        format!("window.PEITTO_WASM = \"{}\";\n", base64(&wasm)).as_bytes(),
    )?;
    for f in ["index.html", "app.js", "style.css"] {
        stage.write(
            f,
            &std::fs::read(web.join(f)).with_context(|| format!("{}", web.join(f).display()))?,
        )?;
    }
    let path = stage.commit()?;
    println!(
        "{}",
        tr(
            lang,
            "dashboard.built",
            &[("path", &path.display()), ("hash", &entry.hash)]
        )
    );
    Ok(path)
}

/// `peitto dashboard serve`: the folder over HTTP on localhost.
pub fn serve(dir: &Path, port: u16, lang: Lang) -> anyhow::Result<()> {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    println!(
        "{}",
        tr(
            lang,
            "dashboard.serving",
            &[(
                "url",
                &format!("http://127.0.0.1:{}/", listener.local_addr()?.port())
            )]
        )
    );
    let root = dir.canonicalize()?;
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let mut line = String::new();
        if BufReader::new(&stream).read_line(&mut line).is_err() {
            continue;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("/");
        let path = path.split(['?', '#']).next().unwrap_or("/");
        let rel = if path.ends_with('/') {
            format!("{path}index.html")
        } else {
            path.to_owned()
        };
        let file = root.join(rel.trim_start_matches('/'));
        // Only files inside the folder.
        let body = file
            .canonicalize()
            .ok()
            .filter(|f| f.starts_with(&root))
            .and_then(|f| std::fs::read(f).ok());
        let kind = match file.extension().and_then(|e| e.to_str()) {
            Some("html") => "text/html; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("json") => "application/json",
            Some("wasm") => "application/wasm",
            _ => "application/octet-stream",
        };
        let _ = match body {
            Some(b) => stream
                .write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", b.len()).as_bytes())
                .and_then(|()| stream.write_all(&b)),
            None => stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
