//! `peitto dashboard build` and `peitto dashboard serve`: the static site
//! managers open in a browser, built from protected releases only.

use anyhow::Context;
use datafusion::arrow::array::{ArrayRef, Float64Array, Int32Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use peitto_i18n::{Lang, format as tr, text};
use peitto_project::Project;
use peitto_release::{Table, Value};
use peitto_viewer::{Block, BlockKind, ColumnInfo, Figure, Manifest, Names, Page, TableInfo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A block of a page: a report, what it shows, along which dimension,
/// which measures.
struct BlockSpec {
    report: &'static str,
    kind: BlockKind,
    axis: &'static str,
    measures: &'static [&'static str],
}

/// A topic's page: key figures (report, measure), then the blocks.
struct PageSpec {
    id: &'static str,
    headline: &'static [(&'static str, &'static str)],
    blocks: &'static [BlockSpec],
}

const fn block(
    report: &'static str,
    kind: BlockKind,
    axis: &'static str,
    measures: &'static [&'static str],
) -> BlockSpec {
    BlockSpec {
        report,
        kind,
        axis,
        measures,
    }
}

use BlockKind::{Areas, Breakdown, Trend};

const AREA: &str = "municipality_code";

/// The derived rate column: persons per 1 000 of the same-age population.
const RATE: &str = "per_1000";

const PAGES: &[PageSpec] = &[
    PageSpec {
        id: "placements",
        headline: &[
            ("placed_children", "children"),
            ("placed_children", RATE),
            ("children_in_care", "in_care_31_12"),
            ("placement_days_by_form", "days"),
        ],
        blocks: &[
            block("placed_children", Trend, "year", &["children", RATE]),
            block("placed_children", Areas, AREA, &["children", RATE]),
            block(
                "children_in_care",
                Breakdown,
                "form",
                &["children_in_care", "in_care_31_12"],
            ),
            block("placement_days_by_form", Breakdown, "form", &["days"]),
        ],
    },
    PageSpec {
        id: "coverage",
        headline: &[
            ("county_social_assistance_25_64", "recipients"),
            ("county_social_assistance_25_64", RATE),
            ("notifications_and_children", "notifications"),
            ("notifications_and_children", RATE),
        ],
        blocks: &[
            block(
                "county_social_assistance_25_64",
                Trend,
                "year",
                &["recipients", RATE],
            ),
            block(
                "county_social_assistance_25_64",
                Areas,
                AREA,
                &["recipients", RATE],
            ),
            block(
                "notifications_and_children",
                Areas,
                AREA,
                &["children", RATE],
            ),
        ],
    },
    PageSpec {
        id: "integration",
        headline: &[
            ("integration_services_within_months", "new_clients"),
            ("integration_services_within_months", "planned_within"),
            ("integration_services_within_months", "planned_percent"),
        ],
        blocks: &[
            block(
                "integration_services_within_months",
                Trend,
                "year",
                &["new_clients"],
            ),
            block(
                "integration_services_within_months",
                Areas,
                AREA,
                &["new_clients", "planned_percent"],
            ),
        ],
    },
    PageSpec {
        id: "costs",
        headline: &[
            ("care_costs_by_form", "euros"),
            ("care_costs_by_form", "billed_days"),
            ("care_costs_by_form", "euros_per_day"),
        ],
        blocks: &[
            block("care_costs_by_form", Trend, "year", &["euros"]),
            block(
                "care_costs_by_form",
                Breakdown,
                "form",
                &["euros", "billed_days"],
            ),
            block("care_costs_by_form", Breakdown, "month", &["euros"]),
        ],
    },
];

/// Tables with a rate per 1 000: (report, the count it divides).
const RATES: &[(&str, &str)] = &[
    ("placed_children", "children"),
    ("county_social_assistance_25_64", "recipients"),
    ("notifications_and_children", "children"),
];

/// Columns named from a code list of the model.
const CODED: &[(&str, &str)] = &[
    ("sex", "sex"),
    ("form", "placement_form"),
    ("status", "outcome_status"),
    ("compensation_type", "compensation_type"),
];

/// Which filter selects a column.
fn filter_of(column: &str) -> Option<&'static str> {
    match column {
        "year" => Some("year"),
        AREA => Some("area"),
        "age" | "age_group" => Some("age"),
        "sex" => Some("sex"),
        _ => None,
    }
}

/// The reports the pages use, each once, in page order.
fn reports_used() -> Vec<&'static str> {
    let mut out: Vec<&str> = Vec::new();
    for p in PAGES {
        for id in p
            .headline
            .iter()
            .map(|h| h.0)
            .chain(p.blocks.iter().map(|b| b.report))
        {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
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

/// Persons per 1 000 of the population, from two published cells (NULL
/// where either is withheld or there is no population); one decimal, as
/// the page shows it.
fn per_1000(count: Option<f64>, population: Option<f64>) -> Option<f64> {
    match (count, population) {
        (Some(c), Some(p)) if p > 0.0 => Some((c * 10_000.0 / p).round() / 10.0),
        _ => None,
    }
}

/// One table across years, as Arrow: `year`, the dimensions as text (NULL:
/// the total), the measures as numbers (NULL: withheld), and for a table
/// in [`RATES`] the rate per 1 000 last.
fn arrow_table(
    report: &str,
    by_year: &[(i32, Table)],
) -> anyhow::Result<(Vec<ColumnInfo>, Vec<u8>)> {
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
    if let Some((_, count)) = RATES.iter().find(|r| r.0 == report) {
        let at = |name: &str| first.columns.iter().position(|c| c.name == name);
        let (c, p) = (
            at(count).with_context(|| format!("{report}: no column {count}"))?,
            at("population").with_context(|| format!("{report}: no population"))?,
        );
        let values: Vec<Option<f64>> = by_year
            .iter()
            .flat_map(|(_, t)| t.rows.iter())
            .map(|r| per_1000(r[c].number(), r[p].number()))
            .collect();
        fields.push(Field::new(RATE, DataType::Float64, true));
        arrays.push(Arc::new(Float64Array::from(values)));
        columns.push((RATE.to_owned(), false));
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
                .map(|l| {
                    let label = if name == RATE {
                        text(*l, "board.per_1000").to_owned()
                    } else {
                        peitto_publish::label(*l, &name)
                    };
                    (l.code().to_owned(), label)
                })
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

/// Category names for the manifest: column → code → language → name.
fn code_names() -> BTreeMap<String, BTreeMap<String, Names>> {
    let mut out: BTreeMap<String, BTreeMap<String, Names>> = BTreeMap::new();
    for (column, list) in CODED {
        let Some(codes) = peitto_model::codes::by_name(list) else {
            continue;
        };
        for code in codes.codes {
            let names: Names = Lang::ALL
                .iter()
                .filter_map(|l| {
                    peitto_model::codes::name(list, code.code, l.code())
                        .map(|n| (l.code().to_owned(), n.to_owned()))
                })
                .collect();
            if !names.is_empty() {
                out.entry((*column).to_owned())
                    .or_default()
                    .insert(code.code.to_owned(), names);
            }
        }
    }
    out
}

/// `peitto dashboard build`: every report the pages use, released for each
/// year, then the site with the viewer from `viewer` (a `web/build.sh`
/// output folder) or, without it, the one built into this binary.
pub fn build(
    project: &Project,
    lang: Lang,
    out: &Path,
    years: &[i32],
    viewer: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    let assets = crate::viewer_assets::Assets::load(viewer)
        .map_err(|e| anyhow::anyhow!("{}", e.message(lang)))?;
    let reports = peitto_engine::report::builtin()?;
    let used = reports_used();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut released: BTreeMap<&str, Vec<(i32, Table)>> = BTreeMap::new();
    let mut counts = (0u64, 0u64);
    let mut policies = std::collections::BTreeSet::new();
    let mut sql = String::new();
    let mut area_names: BTreeMap<String, Names> = BTreeMap::new();
    let mut parents: BTreeMap<String, String> = BTreeMap::new();
    let progress = crate::progress::Progress::new(
        text(lang, "steps.dashboard"),
        (used.len() * years.len()) as u64,
    );
    runtime.block_on(async {
        let engine = crate::release::open_engine(project).await?;
        let areas = engine.municipality_counties().await?;
        for (municipality, county) in &areas {
            parents.insert(municipality.clone(), county.clone());
            parents.insert(county.clone(), peitto_viewer::ALL_AREAS.to_owned());
        }
        // Managers read names; the English page uses the Finnish one.
        for (code, fi, sv) in engine.area_names().await? {
            let names = area_names.entry(code).or_default();
            names.insert("en".to_owned(), fi.clone());
            names.insert("sv".to_owned(), sv.unwrap_or_else(|| fi.clone()));
            names.insert("fi".to_owned(), fi);
        }
        for id in &used {
            let report = reports
                .iter()
                .find(|r| r.id == *id)
                .with_context(|| format!("no saved report {id}"))?;
            let policy_name = report.header["policy"].clone();
            let spec = crate::release::report_spec(project, report, &policy_name, &areas)?;
            policies.insert(policy_name);
            sql.push_str(&report.sql);
            let mut per_year = Vec::new();
            for &year in years {
                progress.step(&format!("{id} {year}"));
                let r = crate::release::release_saved(project, &engine, lang, report, &spec, year)
                    .await?;
                counts.0 += r.cells as u64;
                counts.1 += r.suppressed as u64;
                per_year.push((year, r.table));
            }
            released.insert(id, per_year);
        }
        anyhow::Ok(())
    })?;
    progress.finish();
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
    for id in &used {
        let (columns, bytes) = arrow_table(id, &released[id])?;
        let file = format!("data/{id}.arrow");
        stage.write(&file, &bytes)?;
        files.push(peitto_auditlog::FileHash {
            name: format!("{name}/{file}"),
            sha256: peitto_auditlog::sha256(&bytes),
        });
        encoded.insert((*id).to_owned(), serde_json::Value::String(base64(&bytes)));
        let report = reports.iter().find(|r| r.id == *id).context("report")?;
        tables.push(TableInfo {
            id: (*id).to_owned(),
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
                id: p.id.to_owned(),
                headline: p
                    .headline
                    .iter()
                    .map(|(table, measure)| Figure {
                        table: (*table).to_owned(),
                        measure: (*measure).to_owned(),
                    })
                    .collect(),
                blocks: p
                    .blocks
                    .iter()
                    .map(|b| Block {
                        table: b.report.to_owned(),
                        kind: b.kind,
                        axis: b.axis.to_owned(),
                        measures: b.measures.iter().map(|m| (*m).to_owned()).collect(),
                    })
                    .collect(),
            })
            .collect(),
        tables,
        areas: area_names,
        parents,
        codes: code_names(),
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
    stage.write("viewer/peitto_viewer.js", &assets.js)?;
    stage.write("viewer/peitto_viewer_bg.wasm", &assets.wasm)?;
    stage.write(
        "viewer/wasm.js",
        format!("window.PEITTO_WASM = \"{}\";\n", base64(&assets.wasm)).as_bytes(),
    )?;
    stage.write("index.html", &assets.index)?;
    stage.write("app.js", &assets.app)?;
    stage.write("style.css", &assets.style)?;
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
