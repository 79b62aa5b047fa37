//! The work behind each command, for any front end.
//!
//! This crate owns the sequences the command line, a server or a scheduled
//! job all run the same way: a saved report or a statutory package from
//! the store to its published folder ([`report`]), a planner's own query
//! ([`query`]), a table protected outside the store ([`protect`]), the
//! dashboard site ([`dashboard`]), ingest with its written report, and
//! trying a mapping on extracts ([`mapping`]). Every release goes out
//! through [`peitto_publish::Publication`], which enters it in the release
//! log. Front ends parse their input, call these functions, and turn the
//! results and typed errors into messages; nothing here prints.

pub mod dashboard;
pub mod mapping;
pub mod protect;
pub mod query;
pub mod reasons;
pub mod report;
mod revisions;

use peitto_engine::{Engine, EngineError, Scalar};
use peitto_project::{Project, ProjectError};
use peitto_release::ReleaseError;
use peitto_sdc::Policy;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a job did not finish. Nothing was published.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The project could not be opened or read.
    #[error(transparent)]
    Project(#[from] ProjectError),
    /// peitto.toml defines the policy wrongly.
    #[error("peitto.toml: [policies.{name}]: {detail}")]
    PolicyConfig {
        /// The policy.
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// peitto.toml makes a policy protect less than the built-in one of
    /// its name, or less than any policy may.
    #[error("peitto.toml: [policies.{name}]: {field} protects less than peitto allows")]
    PolicyLoosened {
        /// The policy.
        name: String,
        /// The rule loosened.
        field: &'static str,
    },
    /// No such policy.
    #[error("no policy {0:?}: use thl, ely, public, adhoc or define it in peitto.toml")]
    NoPolicy(String),
    /// `protect` was given a policy that needs person-level data.
    #[error(
        "policy {name} uses {method:?}, which needs person-level data (each person's record key); \
         protect an existing table with a suppression policy such as thl, ely or public"
    )]
    NeedsPersons {
        /// The policy.
        name: String,
        /// Its method.
        method: peitto_sdc::Method,
    },
    /// No such package.
    #[error("no package {name:?}: use {known}")]
    NoPackage {
        /// Asked for.
        name: String,
        /// The packages there are.
        known: String,
    },
    /// `report` without a report.
    #[error("name a report, or use --all or --package")]
    NoReportNamed,
    /// No such saved report.
    #[error("no saved report {id:?}: the reports are {known}")]
    NoReport {
        /// Asked for.
        id: String,
        /// The reports there are.
        known: String,
    },
    /// One parameter given twice.
    #[error("--param {0} is given twice")]
    ParamRepeated(String),
    /// A saved report asked for a year that has not ended.
    #[error("{year} has not ended: saved reports are for complete years, the last being {last}")]
    YearNotOver {
        /// Asked for.
        year: i32,
        /// The last complete calendar year.
        last: i32,
    },
    /// An output would replace the project's own settings, key, store,
    /// audit trail or quarantine.
    #[error("{}: the project's own files are never an output", .0.display())]
    OutputInProject(PathBuf),
    /// `dashboard build --out` names a folder that holds something other
    /// than an earlier dashboard: the build replaces its folder as a whole.
    #[error("{} holds other files than a dashboard", .0.display())]
    NotADashboardFolder(PathBuf),
    /// A saved report's figures of a year would differ from those published
    /// before: the year's records changed since.
    #[error("{report} {year}: the records of {year} changed since its figures were published")]
    Revision {
        /// The report.
        report: String,
        /// The year.
        year: i32,
    },
    /// `--revision` by someone who is not a report author.
    #[error("{user} is not a report author: only authors publish revisions")]
    RevisionNotAuthor {
        /// The operating-system user.
        user: String,
    },
    /// A parameter not written `NAME=VALUE`.
    #[error("--param {0:?}: write NAME=VALUE")]
    Param(String),
    /// A saved report was refused or could not be protected. The message
    /// never carries the engine's text (it can carry stored values).
    #[error("{report}: {}", without_engine_text(source))]
    Release {
        /// The report.
        report: String,
        /// Why.
        source: ReleaseError,
    },
    /// A planner's query released nothing.
    #[error(transparent)]
    Query(#[from] peitto_release::query::QueryError),
    /// The engine failed (opening the store, a report author's SQL). The
    /// message names the store's problem but never the engine's text; a
    /// report author's front end may show the source itself.
    #[error("{}", engine_message(.0))]
    Engine(#[from] EngineError),
    /// Output files could not be made.
    #[error(transparent)]
    Publish(#[from] peitto_publish::PublishError),
    /// The release could not be published or logged.
    #[error(transparent)]
    Publication(#[from] peitto_publish::PublicationError),
    /// The record of withheld cells could not be read or written.
    #[error("the cells saved reports withheld: {0}")]
    Withheld(std::io::Error),
    /// The release is published and logged, but the reasons for its
    /// withheld cells could not be written to the audit folder.
    #[error(
        "the release is published, but why its cells are withheld could not be written to the audit folder: {0}"
    )]
    Reasons(std::io::Error),
    /// The ledger of released cells could not be read or written: the
    /// answer is not shown.
    #[error("the record of released cells: {0}")]
    Ledger(std::io::Error),
    /// `peitto sql` by someone who is not a report author.
    #[error("{user} is not a report author")]
    NotAuthor {
        /// The operating-system user.
        user: String,
    },
    /// A table to protect could not be read or protected.
    #[error(transparent)]
    Protect(#[from] protect::ProtectError),
    /// The dashboard's viewer is missing.
    #[error(transparent)]
    Assets(#[from] dashboard::AssetError),
    /// Ingest failed: the store is as it was.
    #[error(transparent)]
    Ingest(#[from] peitto_ingest::IngestError),
    /// The store took the extracts, but the ingest report could not be
    /// written to the audit folder.
    #[error("writing the ingest report: {0}")]
    IngestReport(peitto_ingest::IngestError),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] peitto_store::StoreError),
    /// A dashboard table could not be encoded.
    #[error("{0}")]
    Bundle(String),
    /// A file or the async runtime failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A release failure's message: DataFusion's own text is replaced, since
/// it can quote stored values.
fn without_engine_text(e: &ReleaseError) -> String {
    match e {
        ReleaseError::Engine(engine) => engine_message(engine),
        ReleaseError::DataFusion(_) => "the query could not run".to_owned(),
        other => other.to_string(),
    }
}

/// An engine failure's message without DataFusion's text.
fn engine_message(e: &EngineError) -> String {
    match e {
        EngineError::Sql(_) => "the query could not run".to_owned(),
        other => other.to_string(),
    }
}

/// Steps of long work, for a front end to show.
pub trait Progress {
    /// Work of `total` steps begins; `label` is a catalogue key.
    fn begin(&mut self, label: &'static str, total: u64);
    /// The next step, named `what`, begins.
    fn step(&mut self, what: &str);
    /// The work is done.
    fn end(&mut self);
}

/// Progress nobody watches.
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn begin(&mut self, _: &'static str, _: u64) {}
    fn step(&mut self, _: &str) {}
    fn end(&mut self) {}
}

/// The policy called `name`: peitto.toml's, else the built-in one.
///
/// # Errors
/// If peitto.toml defines it wrongly, or there is no such policy.
pub fn policy(project: Option<&Project>, name: &str) -> Result<Policy, JobError> {
    match project.and_then(|p| p.config.policies.get(name)) {
        Some(table) => {
            let policy =
                table
                    .clone()
                    .try_into::<Policy>()
                    .map_err(|e| JobError::PolicyConfig {
                        name: name.to_owned(),
                        detail: e.to_string(),
                    })?;
            match policy.loosened_as(name) {
                Some(field) => Err(JobError::PolicyLoosened {
                    name: name.to_owned(),
                    field,
                }),
                None => Ok(policy),
            }
        }
        None => Policy::builtin(name).ok_or_else(|| JobError::NoPolicy(name.to_owned())),
    }
}

/// `NAME=VALUE` parameters: whole numbers as integers, anything else
/// (codes with a leading zero too) as text.
///
/// # Errors
/// If one lacks the `=`.
pub fn params(raw: &[String]) -> Result<BTreeMap<String, Scalar>, JobError> {
    let mut bound = BTreeMap::new();
    for p in raw {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| JobError::Param(p.clone()))?;
        // Two values of one name: which one was used would be a guess.
        if bound.contains_key(k) {
            return Err(JobError::ParamRepeated(k.to_owned()));
        }
        // A code with a leading zero (`091`, Helsinki) stays text: only a
        // value that reads back the same is a number.
        let value = v
            .parse::<i64>()
            .ok()
            .filter(|n| n.to_string() == v)
            .map_or_else(
                || Scalar::Utf8(Some(v.to_owned())),
                |n| Scalar::Int64(Some(n)),
            );
        bound.insert(k.to_owned(), value);
    }
    Ok(bound)
}

/// A runtime whose worker threads run a query's partitions in parallel.
fn runtime() -> Result<tokio::runtime::Runtime, JobError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// The engine over the project's store, with the project's compensation
/// rates; its queries may hold at most `memory` bytes when given.
///
/// # Errors
/// If the store cannot be opened.
pub async fn open_engine(project: &Project, memory: Option<usize>) -> Result<Engine, EngineError> {
    let engine = Engine::open_limited(&project.store_dir(), memory).await?;
    let rates = &project.config.compensation.rates;
    engine.set_compensation_rates(peitto_engine::RateTable::new(
        rates
            .iter()
            .map(|r| {
                (
                    r.from_year,
                    peitto_engine::Rates {
                        under_7: r.under_7,
                        from_7: r.from_7,
                    },
                )
            })
            .collect(),
    ));
    Ok(engine)
}

/// The release log of the project, for the user running this process.
#[must_use]
pub fn release_log(project: &Project) -> peitto_publish::Log {
    peitto_publish::Log::for_operator(&project.audit_dir())
}

/// Where the differencing ledger of planners' answers is kept
/// ([`peitto_release::query::ledger`]).
#[must_use]
pub fn ledger_path(project: &Project) -> PathBuf {
    project.audit_dir().join("released-cells")
}

/// Where the person-set hashes of cells saved reports withheld are kept.
#[must_use]
pub fn withheld_path(project: &Project) -> PathBuf {
    project.audit_dir().join("withheld-cells")
}

/// Where the count cells of saved reports are kept, published or
/// withheld, so that reports protect their shared cells alike.
#[must_use]
pub fn report_cells_path(project: &Project) -> PathBuf {
    project.audit_dir().join("report-cells")
}

/// The last complete calendar year (UTC) at `unix_seconds`.
#[must_use]
pub fn last_complete_year(unix_seconds: u64) -> i32 {
    calendar_year(i64::try_from(unix_seconds / 86_400).unwrap_or(0)) - 1
}

/// Seconds since 1970 now.
#[must_use]
pub fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The calendar year of a day counted from 1970-01-01 (civil-from-days,
/// proleptic Gregorian).
fn calendar_year(days: i64) -> i32 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let year = yoe + era * 400 + i64::from(mp >= 10);
    i32::try_from(year).unwrap_or(i32::MAX)
}

/// Rows in the store per table.
///
/// # Errors
/// If the store's manifest cannot be read.
pub fn status(project: &Project) -> Result<Vec<(String, u64)>, JobError> {
    let manifest = peitto_store::Store::read_manifest(&project.store_dir())?;
    Ok(manifest
        .tables
        .iter()
        .map(|(table, parts)| (table.clone(), parts.iter().map(|p| p.rows).sum()))
        .collect())
}

/// The user running peitto, unless peitto.toml lists them as a report
/// author (`[authors] users`): `peitto sql` and revisions are theirs only.
pub(crate) fn not_an_author(project: &Project) -> Option<String> {
    let user = peitto_auditlog::operator().unwrap_or_else(|| "?".to_owned());
    (!project.config.authors.users.contains(&user)).then_some(user)
}

/// A report author's SQL on the store, unprotected: only for the users
/// peitto.toml lists as authors.
///
/// # Errors
/// If the user is not an author, or the SQL fails.
pub fn sql(
    project: &Project,
    query: &str,
    raw_params: &[String],
) -> Result<Vec<datafusion::arrow::array::RecordBatch>, JobError> {
    if let Some(user) = not_an_author(project) {
        return Err(JobError::NotAuthor { user });
    }
    let bound = params(raw_params)?;
    Ok(runtime()?.block_on(async {
        let engine = open_engine(project, None).await?;
        engine.sql(query, &bound).await
    })?)
}

/// Ingests `files` into the project's store and writes the ingest report
/// to the audit folder; `None` for the path when nothing was ingested.
///
/// # Errors
/// If ingest fails (the store is as before) or the report cannot be written.
pub fn ingest(
    project: &Project,
    options: peitto_ingest::Options,
    files: &[PathBuf],
) -> Result<(peitto_ingest::IngestReport, Option<PathBuf>), JobError> {
    let ingester = peitto_ingest::Ingester::for_project(project, options)?;
    let report = ingester.ingest(files)?;
    if report.files.is_empty() {
        return Ok((report, None));
    }
    let path = peitto_ingest::write_report(&report, &project.audit_dir().join("ingest"))
        .map_err(JobError::IngestReport)?;
    Ok((report, Some(path)))
}

/// The folder `out` names: its parent (`.` for a bare name) and its name.
pub(crate) fn split_folder(out: &Path, default: &str) -> (PathBuf, String) {
    let name = out
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(default)
        .to_owned();
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    (parent.to_path_buf(), name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_fall_in_their_calendar_year() {
        assert_eq!(calendar_year(0), 1970);
        assert_eq!(calendar_year(364), 1970);
        assert_eq!(calendar_year(365), 1971);
        // 2024-12-31 and 2025-01-01.
        assert_eq!(calendar_year(20_088), 2024);
        assert_eq!(calendar_year(20_089), 2025);
        // 2000-02-29, a leap day.
        assert_eq!(calendar_year(11_016), 2000);
        // 2026-12-05 12:00 UTC: the last complete year is 2025.
        assert_eq!(last_complete_year(1_796_472_000), 2025);
    }

    #[test]
    fn parameters_are_numbers_where_they_parse() {
        let p = params(&["year=2025".into(), "area=091".into(), "x=a=b".into()]).unwrap();
        assert_eq!(p["year"], Scalar::Int64(Some(2025)));
        assert_eq!(p["area"], Scalar::Utf8(Some("091".into())));
        assert_eq!(p["x"], Scalar::Utf8(Some("a=b".into())));
        assert!(matches!(params(&["year".into()]), Err(JobError::Param(_))));
        assert!(matches!(
            params(&["year=2025".into(), "year=2024".into()]),
            Err(JobError::ParamRepeated(_))
        ));
    }

    #[test]
    fn no_message_carries_the_engines_text() {
        let df = datafusion::error::DataFusionError::Plan("secret 010594Y9032".into());
        let e = JobError::Release {
            report: "r".into(),
            source: ReleaseError::DataFusion(df),
        };
        assert!(!e.to_string().contains("secret"), "{e}");
        let e = JobError::Engine(EngineError::Sql(datafusion::error::DataFusionError::Plan(
            "secret".into(),
        )));
        assert!(!e.to_string().contains("secret"), "{e}");
        let e = JobError::Release {
            report: "r".into(),
            source: ReleaseError::Engine(EngineError::Sql(
                datafusion::error::DataFusionError::Plan("secret".into()),
            )),
        };
        assert_eq!(e.to_string(), "r: the query could not run");
    }

    #[test]
    fn policies_come_from_the_project_or_the_builtins() {
        assert!(policy(None, "thl").is_ok());
        assert!(matches!(policy(None, "nope"), Err(JobError::NoPolicy(_))));
    }
}
