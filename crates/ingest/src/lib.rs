//! Ingest: register extracts in, pseudonymised analysis store out.
//!
//! This crate owns the way in. For each file it detects the format (CSV as
//! Finnish Excel writes it, XLSX, Parquet), the source system and the model
//! table (from the headers, against the mappings in use), validates every
//! row, derives birth date, sex and the temporary-code flag from the
//! henkilötunnus and replaces it with a keyed pseudonym, drops names,
//! addresses, phone numbers and free text, and stages the rows as a Parquet
//! part. Rejected rows go, whole and with their reasons, to `quarantine/`,
//! and into the report. Nothing becomes visible until every file has been
//! read: then all parts are committed at once, or none is. The files of a
//! folder are converted several at a time (`schedule`), with the results
//! of one after another.

pub mod convert;
mod file;
pub mod persons;
pub mod pseudo;
pub mod pxweb;
mod quarantine;
pub mod read;
mod report;
mod schedule;

pub use report::{FileReport, IngestReport, IngestTimings, Rejection, TableTotals, write_report};

use convert::AreaNames;
use convert::{Converter, Problem, Reason};
use file::add_area_names;
use peitto_mapping::{Mapping, TableMapping};
use peitto_project::{Key, Project};
use peitto_store::{StagedPart, Store, StoreError};
use persons::Persons;
use pseudo::Pseudonymiser;
use read::{FileKind, ReadError};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Threads validating and pseudonymising rows; with the reader and the
/// Parquet writer beside them, two keep a two-core machine busy.
const WORKERS: usize = 2;
/// Rejections listed one by one in the JSON report per file; all of them
/// are in the quarantine file regardless.
const REPORTED_REJECTIONS: usize = 10_000;

/// Why an ingest stored nothing.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// A file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The file type is not one peitto reads.
    #[error("{0}: unknown file type; peitto reads .csv, .txt, .xlsx and .parquet")]
    UnknownFormat(PathBuf),
    /// No mapping in use has a table with these headers.
    #[error(
        "{file}: the headers match no table of the mappings in use ({mappings}); headers seen: {headers}"
    )]
    NoMapping {
        /// The file.
        file: PathBuf,
        /// Mapping ids in use.
        mappings: String,
        /// The file's headers.
        headers: String,
    },
    /// Several tables match equally well.
    #[error("{file}: the headers match several tables ({candidates}); name one with --table")]
    Ambiguous {
        /// The file.
        file: PathBuf,
        /// `mapping/table` candidates.
        candidates: String,
    },
    /// A mapping is broken.
    #[error(transparent)]
    Mapping(#[from] peitto_mapping::MappingError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The project failed (key, config).
    #[error(transparent)]
    Project(#[from] peitto_project::ProjectError),
    /// Writing quarantine or the report failed.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Internal Arrow error.
    #[error("{0}")]
    Arrow(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IngestError + '_ {
    move |source| IngestError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Choices the user can force instead of detection.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Model table to load into.
    pub table: Option<String>,
    /// Mapping id to use.
    pub mapping: Option<String>,
    /// Workbook sheet to read.
    pub sheet: Option<String>,
    /// All or nothing: a file of a type peitto does not read fails the
    /// run, where otherwise it is skipped and reported.
    pub strict: bool,
}

/// Ingests files into a project's store.
pub struct Ingester {
    mappings: Vec<Mapping>,
    key: Key,
    store_dir: PathBuf,
    quarantine_dir: PathBuf,
    options: Options,
    /// Files converted at once ([`schedule::FILES_AT_ONCE`]).
    files_at_once: usize,
}

struct Staged {
    part: StagedPart,
    quarantine: Option<(PathBuf, PathBuf)>,
}

impl Ingester {
    /// An ingester for `project`, with its mappings and key. The
    /// environment variable `PEITTO_INGEST_FILES_AT_ONCE` sets how many
    /// files are converted at once (benchmarks: `1` for one after another).
    ///
    /// # Errors
    /// If a mapping or the key cannot be loaded.
    pub fn for_project(project: &Project, options: Options) -> Result<Ingester, IngestError> {
        let mut mappings = Vec::new();
        for m in &project.config.ingest.mappings {
            let path = project.root().join(m);
            let spec = if m.ends_with(".toml") {
                path.to_string_lossy().into_owned()
            } else {
                m.clone()
            };
            mappings.push(Mapping::load(&spec)?);
        }
        Ok(Ingester {
            mappings,
            key: project.key()?,
            store_dir: project.store_dir(),
            quarantine_dir: project.quarantine_dir(),
            options,
            // For benchmarks: `1` converts one file after another.
            files_at_once: std::env::var("PEITTO_INGEST_FILES_AT_ONCE")
                .ok()
                .and_then(|n| n.parse::<usize>().ok())
                .map_or(schedule::FILES_AT_ONCE, |n| n.max(1)),
        })
    }

    /// An ingester from parts (tests, benchmarks).
    #[must_use]
    pub fn new(
        mappings: Vec<Mapping>,
        key: Key,
        store_dir: PathBuf,
        quarantine_dir: PathBuf,
        options: Options,
    ) -> Self {
        Ingester {
            mappings,
            key,
            store_dir,
            quarantine_dir,
            options,
            files_at_once: schedule::FILES_AT_ONCE,
        }
    }

    /// Converts `n` files at a time (at least one) instead of the default
    /// two: one reproduces a run of one file after another, which the
    /// tests compare with the parallel run.
    #[must_use]
    pub fn with_files_at_once(mut self, n: usize) -> Self {
        self.files_at_once = n.max(1);
        self
    }

    /// Picks the mapping and table whose headers fit the file best.
    fn detect(
        &self,
        file: &Path,
        headers: &[String],
    ) -> Result<(&Mapping, &TableMapping), IngestError> {
        let present: std::collections::HashSet<String> =
            headers.iter().map(|h| h.trim().to_lowercase()).collect();
        let mut best: Vec<(&Mapping, &TableMapping)> = Vec::new();
        let mut best_score = 0usize;
        for mapping in &self.mappings {
            if self
                .options
                .mapping
                .as_deref()
                .is_some_and(|m| m != mapping.id)
            {
                continue;
            }
            for table in &mapping.tables {
                if self
                    .options
                    .table
                    .as_deref()
                    .is_some_and(|t| t != table.table.name)
                {
                    continue;
                }
                let has = |h: &str| present.contains(&h.trim().to_lowercase());
                let required_ok = table
                    .columns
                    .iter()
                    .filter(|(_, c)| c.required)
                    .all(|(h, _)| has(h));
                if !required_ok {
                    continue;
                }
                let score = table.columns.iter().filter(|(h, _)| has(h)).count()
                    + table.dropped.iter().filter(|(h, _)| has(h)).count();
                if score > best_score {
                    best_score = score;
                    best.clear();
                }
                if score == best_score {
                    best.push((mapping, table));
                }
            }
        }
        match best.as_slice() {
            [one] => Ok(*one),
            // A first row of dates and numbers is data: naming the file is
            // enough, and the row is never repeated.
            [] if headers.iter().any(|h| read::looks_like_data(h)) => {
                Err(IngestError::Read(ReadError::DataAsHeader(file.to_owned())))
            }
            [] => Err(IngestError::NoMapping {
                file: file.to_owned(),
                mappings: self
                    .mappings
                    .iter()
                    .map(|m| m.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                headers: shown_headers(headers),
            }),
            many => Err(IngestError::Ambiguous {
                file: file.to_owned(),
                candidates: many
                    .iter()
                    .map(|(m, t)| format!("{}/{}", m.id, t.table.name))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }

    /// Ingests `files` (directories are walked for readable files). Either
    /// every file is committed or, on any error, nothing is.
    ///
    /// # Errors
    /// The first file that cannot be read or mapped, or a store failure.
    pub fn ingest(&self, files: &[PathBuf]) -> Result<IngestReport, IngestError> {
        let (files, skipped): (Vec<PathBuf>, Vec<PathBuf>) = expand(files)?
            .into_iter()
            .partition(|f| FileKind::of(f).is_some());
        if let Some(first) = skipped.first()
            && (self.options.strict || files.is_empty())
        {
            return Err(IngestError::UnknownFormat(first.clone()));
        }
        let skipped: Vec<String> = skipped.iter().map(|f| f.display().to_string()).collect();
        let started = std::time::Instant::now();
        let mut store = Store::open(&self.store_dir)?;
        quarantine::remove_orphans(&self.quarantine_dir);
        let pseudo = Pseudonymiser::new(&self.key);
        // Municipality names a PxWeb table may use instead of codes: from
        // the organisations stored and those ingested now, so population
        // files wait until every other file is read.
        let mut names = AreaNames::default();
        for batch in
            peitto_store::read_table(&self.store_dir, peitto_model::tables::ORGANISATION.name)?
        {
            add_area_names(&batch, &mut names);
        }
        // Every file of the run, several at a time (schedule.rs); the
        // results are those of one file after another.
        let persons = std::sync::Mutex::new(Persons::new());
        let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        let (first, given) = self.ingest_files(&store, &paths, &pseudo, &names, &persons, true)?;
        for given in given {
            names.extend(given);
        }
        let deferred: Vec<usize> = (0..files.len()).filter(|&i| first[i].is_none()).collect();
        let deferred_paths: Vec<&Path> = deferred.iter().map(|&i| paths[i]).collect();
        let (second, _) =
            self.ingest_files(&store, &deferred_paths, &pseudo, &names, &persons, false)?;
        let mut reports = Vec::new();
        let mut staged: Vec<Staged> = Vec::new();
        let outcomes = first
            .into_iter()
            .enumerate()
            .chain(deferred.into_iter().zip(second));
        for (i, outcome) in outcomes {
            if let Some((report, part)) = outcome {
                reports.push((i, report));
                staged.extend(part);
            }
        }
        reports.sort_by_key(|(i, _)| *i);
        let reports: Vec<FileReport> = reports.into_iter().map(|(_, r)| r).collect();
        let files_done = started.elapsed();
        // The serial end: persons, commit, quarantine files.
        let gathering = std::time::Instant::now();
        let persons = persons
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let persons = if persons.is_empty() {
            Vec::new()
        } else {
            vec![persons.into_batch()?]
        };
        let gathered = gathering.elapsed();
        let mut quarantines = Vec::new();
        let mut parts = Vec::new();
        for s in staged {
            parts.push(s.part);
            quarantines.extend(s.quarantine);
        }
        let replaced = store.commit(parts, &persons)?;
        drop(persons);
        let renaming = std::time::Instant::now();
        // Quarantine files become visible once the store holds the accepted rows.
        for (tmp, target) in quarantines {
            fs::rename(&tmp, &target).map_err(io(&target))?;
        }
        if let Some(dir) = self.quarantine_dir.exists().then_some(&self.quarantine_dir) {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        let commit = *store.last_commit_timings();
        let timings = IngestTimings {
            files_s: files_done.as_secs_f64(),
            supersede_s: commit.supersede.as_secs_f64(),
            persons_s: (gathered + commit.persons).as_secs_f64(),
            durable_s: (commit.durable + renaming.elapsed()).as_secs_f64(),
            serial_end_s: (started.elapsed() - files_done).as_secs_f64(),
        };
        let mut tables: BTreeMap<String, TableTotals> = BTreeMap::new();
        for r in &reports {
            let t = tables.entry(r.table.clone()).or_default();
            t.rows_read += r.rows_read;
            t.rows_accepted += r.rows_accepted;
            t.rows_rejected += r.rows_rejected;
            for (reason, n) in &r.rejected_by_reason {
                *t.rejected_by_reason.entry(*reason).or_default() += n;
            }
        }
        let in_store = store.table_rows();
        for (name, t) in &mut tables {
            t.rows_replaced = replaced.get(name).copied().unwrap_or(0);
            t.rows_in_store = in_store.get(name).copied().unwrap_or(0);
        }
        if let Some(&rows) = in_store.get(peitto_model::tables::PERSON.name) {
            tables
                .entry(peitto_model::tables::PERSON.name.to_owned())
                .or_default()
                .rows_in_store = rows;
        }
        Ok(IngestReport {
            finished_at: now(),
            files: reports,
            tables,
            skipped,
            timings,
        })
    }
}

/// Expands folders into the files under them, sorted (hidden files left
/// out); files of a type peitto does not read are kept, to be reported as
/// skipped (or refused under `--strict`).
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, IngestError> {
    let mut out = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), IngestError> {
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if !path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            out.push(path);
        }
    }
    Ok(())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Headers as a message names them: a header is text of the file, so at
/// most 40 of them, each cut at 60 characters (a workbook whose header was
/// a 1.5 GB shared string gave a message of 1.5 GB).
fn shown_headers(headers: &[String]) -> String {
    const MOST: usize = 40;
    const LONGEST: usize = 60;
    let mut shown: Vec<String> = headers
        .iter()
        .take(MOST)
        .map(|h| match h.char_indices().nth(LONGEST) {
            Some((cut, _)) => format!("{}…", &h[..cut]),
            None => h.clone(),
        })
        .collect();
    if headers.len() > MOST {
        shown.push(format!("… (+{})", headers.len() - MOST));
    }
    shown.join(" | ")
}

#[cfg(test)]
mod shown_headers_tests {
    #[test]
    fn a_message_names_headers_within_bounds() {
        let long = "A".repeat(10_000);
        let many: Vec<String> = (0..100).map(|i| format!("h{i}")).collect();
        let shown = super::shown_headers(&[long, "Henkilötunnus".to_owned()]);
        assert_eq!(shown, format!("{}… | Henkilötunnus", "A".repeat(60)));
        let shown = super::shown_headers(&many);
        assert!(shown.ends_with("h39 | … (+60)"), "{shown}");
    }
}
