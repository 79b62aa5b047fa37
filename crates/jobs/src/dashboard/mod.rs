//! The dashboard site managers open in a browser, built from protected
//! releases only: every saved report its pages use, released for each
//! year, bundled as Arrow IPC with a manifest, beside the page and the
//! viewer; and a small server for it on localhost.

mod pages;
mod serve;

pub use serve::{ServeError, serve};

use crate::report::{release_saved, spec};
use crate::{JobError, Progress, open_engine, release_log, split_folder};
use peitto_i18n::Lang;
use peitto_project::Project;
use peitto_publish::{Publication, Target};
use peitto_table::Table;
use peitto_viewer::bundle::{bundle_script, encode_table, wasm_script};
use peitto_viewer::{Manifest, Names, TableInfo};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Why the viewer could not be had.
#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    /// The binary was built before the viewer was.
    #[error("this binary carries no dashboard viewer")]
    NotEmbedded,
    /// The folder given lacks the viewer.
    #[error("no built viewer in {0}")]
    NotBuilt(PathBuf),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The files the site is made of besides its data.
#[derive(Debug, Clone)]
pub struct Assets {
    /// The viewer's JavaScript glue.
    pub js: Cow<'static, [u8]>,
    /// The viewer.
    pub wasm: Cow<'static, [u8]>,
    /// The page.
    pub index: Cow<'static, [u8]>,
    /// The page's script.
    pub app: Cow<'static, [u8]>,
    /// The page's style.
    pub style: Cow<'static, [u8]>,
}

fn read(path: PathBuf) -> Result<Cow<'static, [u8]>, AssetError> {
    std::fs::read(&path)
        .map(Cow::Owned)
        .map_err(|source| AssetError::Read { path, source })
}

impl Assets {
    /// A `web/build.sh` output folder: the viewer in it, the page's files
    /// beside it or (as `web/` lays them out, `web/dist` under `web/`) in
    /// the folder above.
    ///
    /// # Errors
    /// If the viewer is not built there, or a file cannot be read.
    pub fn from_dir(dir: &Path) -> Result<Assets, AssetError> {
        if !dir.join("peitto_viewer_bg.wasm").is_file() || !dir.join("peitto_viewer.js").is_file() {
            return Err(AssetError::NotBuilt(dir.to_path_buf()));
        }
        let page = |name: &str| {
            let here = dir.join(name);
            if here.is_file() {
                return read(here);
            }
            read(dir.parent().unwrap_or(Path::new("web")).join(name))
        };
        Ok(Assets {
            js: read(dir.join("peitto_viewer.js"))?,
            wasm: read(dir.join("peitto_viewer_bg.wasm"))?,
            index: page("index.html")?,
            app: page("app.js")?,
            style: page("style.css")?,
        })
    }
}

/// The `count` years (at least one) ending with `last`, oldest first: the
/// span of the dashboard's time series.
#[must_use]
pub fn years(last: i32, count: i32) -> Vec<i32> {
    ((last - count.max(1) + 1)..=last).collect()
}

/// A built site.
#[derive(Debug)]
pub struct Built {
    /// Its folder.
    pub path: PathBuf,
    /// The release-log entry's hash.
    pub hash: String,
}

/// What the pages need from the store, released.
struct Releases {
    tables: BTreeMap<&'static str, Vec<(i32, Table)>>,
    cells: u64,
    suppressed: u64,
    policies: BTreeSet<String>,
    sql: String,
    areas: BTreeMap<String, Names>,
    parents: BTreeMap<String, String>,
}

/// Every report the pages use, released for each of `years`.
fn release_all(
    project: &Project,
    years: &[i32],
    progress: &mut dyn Progress,
) -> Result<Releases, JobError> {
    let reports = peitto_engine::report::builtin()?;
    let used = pages::reports_used();
    let mut out = Releases {
        tables: BTreeMap::new(),
        cells: 0,
        suppressed: 0,
        policies: BTreeSet::new(),
        sql: String::new(),
        areas: BTreeMap::new(),
        parents: BTreeMap::new(),
    };
    progress.begin("steps.dashboard", (used.len() * years.len()) as u64);
    crate::runtime()?.block_on(async {
        let engine = open_engine(project, None).await?;
        let areas = engine.municipality_counties().await?;
        for (municipality, county) in &areas {
            out.parents.insert(municipality.clone(), county.clone());
            out.parents
                .insert(county.clone(), peitto_viewer::ALL_AREAS.to_owned());
        }
        // Managers read names; the English page uses the Finnish one. Text
        // only, as in every published file: the register's names are typed
        // by people.
        for (code, fi, sv) in engine.area_names().await? {
            let fi = peitto_publish::printable(&fi);
            let sv = sv.map(|s| peitto_publish::printable(&s));
            let names = out.areas.entry(code).or_default();
            names.insert("en".to_owned(), fi.clone());
            names.insert("sv".to_owned(), sv.unwrap_or_else(|| fi.clone()));
            names.insert("fi".to_owned(), fi);
        }
        for id in &used {
            let report =
                reports
                    .iter()
                    .find(|r| r.id == *id)
                    .ok_or_else(|| JobError::NoReport {
                        id: (*id).to_owned(),
                        known: String::new(),
                    })?;
            let policy_name = report.header.policy.clone();
            let spec = spec(project, report, &policy_name, &areas)?;
            out.policies.insert(policy_name);
            out.sql.push_str(&report.sql);
            let mut per_year = Vec::new();
            for &year in years {
                progress.step(&format!("{id} {year}"));
                let r = release_saved(project, &engine, (report, &spec), year, false).await?;
                out.cells += r.cells as u64;
                out.suppressed += r.suppressed as u64;
                per_year.push((year, r.table));
            }
            out.tables.insert(id, per_year);
        }
        Ok::<_, JobError>(())
    })?;
    progress.end();
    Ok(out)
}

/// Builds the site in `out` (replaced as a whole when the build succeeds)
/// for `years`, with the page and viewer of `assets`.
///
/// # Errors
/// If a report fails, or the site or the log cannot be written.
pub fn build(
    project: &Project,
    out: &Path,
    years: &[i32],
    assets: &Assets,
    progress: &mut dyn Progress,
) -> Result<Built, JobError> {
    let (parent, name) = split_folder(out, "dashboard");
    // Before anything is released or logged: the build replaces it.
    let target = parent.join(&name);
    if project.owns(&target) {
        return Err(JobError::OutputInProject(out.to_owned()));
    }
    if target.exists() && !replaceable(&target) {
        return Err(JobError::NotADashboardFolder(out.to_owned()));
    }
    let released = release_all(project, years, progress)?;
    let reports = peitto_engine::report::builtin()?;
    let mut publication = Publication::new(Target::Folder {
        out: parent,
        name: name.clone(),
    })?;
    let mut tables = Vec::new();
    let mut encoded = Vec::new();
    for id in pages::reports_used() {
        let by_year = released
            .tables
            .get(id)
            .ok_or_else(|| JobError::Bundle(format!("{id}: not released")))?;
        let (columns, bytes) = encode_table(id, by_year, pages::rate_of(id))
            .map_err(|e| JobError::Bundle(e.to_string()))?;
        let file = format!("data/{id}.arrow");
        publication.add(&file, &bytes)?;
        let titles = reports
            .iter()
            .find(|r| r.id == *id)
            .map(|r| {
                Lang::ALL
                    .iter()
                    .map(|l| {
                        let title = r.header.titles.get(l.code()).unwrap_or_default();
                        (l.code().to_owned(), title.to_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        tables.push(TableInfo {
            id: id.to_owned(),
            file,
            titles,
            columns,
        });
        encoded.push((id.to_owned(), bytes));
    }
    let policy = released
        .policies
        .iter()
        .cloned()
        .collect::<Vec<_>>()
        .join(",");
    let release = peitto_auditlog::Release {
        command: "dashboard".into(),
        subject: format!("{name}: years {years:?}"),
        sql_sha256: peitto_auditlog::sha256(released.sql.as_bytes()),
        policy_sha256: peitto_auditlog::sha256(format!("{:?}", released.policies).as_bytes()),
        policy: policy.clone(),
        files: Vec::new(),
        cells: released.cells,
        suppressed: released.suppressed,
        perturbed: 0,
    };
    let (entry, path) = publication.commit(Some(&release_log(project)), release, |p, entry| {
        let manifest = Manifest {
            release: entry.map(|e| e.hash.clone()).unwrap_or_default(),
            policy,
            symbol: "..".to_owned(),
            pages: pages::manifest_pages(),
            tables,
            areas: released.areas,
            parents: released.parents,
            codes: pages::code_names(),
        };
        let manifest_json = serde_json::to_string_pretty(&manifest).map_err(|e| {
            peitto_publish::PublicationError::Io {
                path: PathBuf::from("data/manifest.json"),
                source: std::io::Error::other(e),
            }
        })?;
        p.write("data/manifest.json", manifest_json.as_bytes())?;
        // For opening from a plain folder (file://, where fetch is refused):
        // the same bundle as a script.
        p.write(
            "data/bundle.js",
            bundle_script(&manifest_json, &encoded).as_bytes(),
        )?;
        p.write("viewer/peitto_viewer.js", &assets.js)?;
        p.write("viewer/peitto_viewer_bg.wasm", &assets.wasm)?;
        p.write("viewer/wasm.js", wasm_script(&assets.wasm).as_bytes())?;
        p.write("index.html", &assets.index)?;
        p.write("app.js", &assets.app)?;
        p.write("style.css", &assets.style)
    })?;
    Ok(Built {
        path: path.unwrap_or_default(),
        hash: entry.map(|e| e.hash).unwrap_or_default(),
    })
}

/// Whether a build may replace the existing `out`: an empty folder or
/// one an earlier build wrote (`--out out` replaced every earlier report).
fn replaceable(out: &Path) -> bool {
    std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_none()) || serve::is_dashboard(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_span_ends_with_the_last_year() {
        assert_eq!(super::years(2025, 3), vec![2023, 2024, 2025]);
        assert_eq!(super::years(2025, 0), vec![2025]);
    }
}
