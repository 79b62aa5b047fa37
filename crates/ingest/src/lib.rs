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
//! read: then all parts are committed at once, or none is.

pub mod convert;
pub mod pseudo;
pub mod pxweb;
pub mod read;

use convert::AreaNames;
use convert::{Converter, Problem, Reason};
use peitto_mapping::{Mapping, TableMapping};
use peitto_project::{Key, Project};
use peitto_store::fast_hash::FxHashMap;
use peitto_store::{StagedPart, Store, StoreError};
use pseudo::Pseudonymiser;
use read::{FileKind, ReadError, SourceInfo};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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

/// One rejected row's problem, as reported (never the value itself).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Rejection {
    /// Row number in the file (CSV line, sheet row, Parquet record).
    pub row: u64,
    /// Source column header, empty for whole-row problems.
    pub column: String,
    /// Why.
    pub reason: Reason,
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    /// The path as given.
    pub path: String,
    /// What the reader detected.
    pub source: SourceInfo,
    /// Mapping used.
    pub mapping: String,
    /// Model table.
    pub table: String,
    /// `ingested`, or `already_in_store` when this exact content was ingested before.
    pub status: &'static str,
    /// Data rows read (blank rows excluded).
    pub rows_read: u64,
    /// Rows stored.
    pub rows_accepted: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// Blank rows skipped.
    pub rows_blank: u64,
    /// Rejections per reason (a row with two problems counts under both).
    pub rejected_by_reason: BTreeMap<Reason, u64>,
    /// Each problem, up to a limit; `rejections_truncated` says if more exist.
    pub rejections: Vec<Rejection>,
    /// Whether `rejections` was cut short (the quarantine file has all).
    pub rejections_truncated: bool,
    /// Quarantine file holding the rejected rows, if any.
    pub quarantine: Option<String>,
    /// Columns dropped because they hold personal data (names, addresses, …).
    pub dropped_columns: Vec<String>,
    /// Columns the mapping does not know; not stored.
    pub ignored_columns: Vec<String>,
    /// Optional model columns the file lacks (stored empty).
    pub missing_optional_columns: Vec<String>,
    /// Cells of a PxWeb table not stored because they are totals (the
    /// whole country, regions, all ages, both sexes): the reports sum
    /// municipalities themselves.
    #[serde(skip_serializing_if = "is_zero")]
    pub cells_skipped_as_totals: u64,
    /// Lines of a PxWeb table holding a single text (footnotes), not data.
    #[serde(skip_serializing_if = "is_zero")]
    pub note_lines_skipped: u64,
}

// serde's skip_serializing_if passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Totals for one table.
#[derive(Debug, Clone, Serialize, Default)]
pub struct TableTotals {
    /// Rows read.
    pub rows_read: u64,
    /// Rows accepted.
    pub rows_accepted: u64,
    /// Rows rejected.
    pub rows_rejected: u64,
    /// Stored rows replaced by newer versions of the same record.
    pub rows_replaced: u64,
    /// Rejections per reason.
    pub rejected_by_reason: BTreeMap<Reason, u64>,
    /// Rows in the store after the ingest.
    pub rows_in_store: u64,
}

/// The whole ingest's report (written as JSON).
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// Seconds since the Unix epoch.
    pub finished_at: u64,
    /// Per file, in the order given.
    pub files: Vec<FileReport>,
    /// Per table.
    pub tables: BTreeMap<String, TableTotals>,
    /// Files given or found that were not read: a type peitto does not
    /// read (a README, a manifest beside the extracts).
    pub skipped: Vec<String>,
}

/// Ingests files into a project's store.
pub struct Ingester {
    mappings: Vec<Mapping>,
    key: Key,
    store_dir: PathBuf,
    quarantine_dir: PathBuf,
    options: Options,
}

struct Staged {
    part: StagedPart,
    quarantine: Option<(PathBuf, PathBuf)>,
    persons: Vec<arrow::array::RecordBatch>,
}

impl Ingester {
    /// An ingester for `project`, with its mappings and key.
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
        }
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
            [] => Err(IngestError::NoMapping {
                file: file.to_owned(),
                mappings: self
                    .mappings
                    .iter()
                    .map(|m| m.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                headers: headers.join(" | "),
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
        let mut store = Store::open(&self.store_dir)?;
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
        let mut reports = Vec::new();
        let mut staged: Vec<Staged> = Vec::new();
        let mut deferred = Vec::new();
        for (i, path) in files.iter().enumerate() {
            match self.ingest_file(&mut store, path, pseudo.clone(), &mut names, true)? {
                Some((report, part)) => {
                    reports.push((i, report));
                    staged.extend(part);
                }
                None => deferred.push(i),
            }
        }
        for i in deferred {
            if let Some((report, part)) =
                self.ingest_file(&mut store, &files[i], pseudo.clone(), &mut names, false)?
            {
                reports.push((i, report));
                staged.extend(part);
            }
        }
        reports.sort_by_key(|(i, _)| *i);
        let reports: Vec<FileReport> = reports.into_iter().map(|(_, r)| r).collect();
        let persons: Vec<_> = staged
            .iter()
            .flat_map(|s| s.persons.iter().cloned())
            .collect();
        let mut quarantines = Vec::new();
        let mut parts = Vec::new();
        for s in staged {
            parts.push(s.part);
            quarantines.extend(s.quarantine);
        }
        let replaced = store.commit(parts, &persons)?;
        // Quarantine files become visible once the store holds the accepted rows.
        for (tmp, target) in quarantines {
            fs::rename(&tmp, &target).map_err(io(&target))?;
        }
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
        })
    }

    /// Ingests one file; `None` when `first_pass` and the file is a
    /// population table, which waits for the organisations' names.
    fn ingest_file(
        &self,
        store: &mut Store,
        path: &Path,
        pseudo: Pseudonymiser,
        names: &mut AreaNames,
        first_pass: bool,
    ) -> Result<Option<(FileReport, Option<Staged>)>, IngestError> {
        let kind = FileKind::of(path).ok_or_else(|| IngestError::UnknownFormat(path.to_owned()))?;
        let opened = read::open(path, kind, self.options.sheet.as_deref())?;
        let (mapping, table_mapping) = self.detect(path, &opened.headers)?;
        let table = table_mapping.table;
        if first_pass && table.name == peitto_model::tables::POPULATION.name {
            return Ok(None);
        }
        let known = |h: &str| {
            let h = h.trim().to_lowercase();
            table_mapping
                .columns
                .iter()
                .any(|(x, _)| x.to_lowercase() == h)
                || table_mapping
                    .dropped
                    .iter()
                    .any(|(x, _)| x.to_lowercase() == h)
        };
        let mut report = FileReport {
            path: path.display().to_string(),
            source: opened.info.clone(),
            mapping: mapping.id.clone(),
            table: table.name.to_owned(),
            status: "ingested",
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
            rows_blank: 0,
            rejected_by_reason: BTreeMap::new(),
            rejections: Vec::new(),
            rejections_truncated: false,
            quarantine: None,
            dropped_columns: table_mapping
                .dropped
                .iter()
                .filter(|(h, _)| opened.headers.iter().any(|x| x.eq_ignore_ascii_case(h)))
                .map(|(h, _)| h.clone())
                .collect(),
            ignored_columns: opened
                .headers
                .iter()
                .filter(|h| !h.is_empty() && !known(h))
                .cloned()
                .collect(),
            missing_optional_columns: table_mapping
                .columns
                .iter()
                .filter(|(h, c)| {
                    !c.required
                        && !opened
                            .headers
                            .iter()
                            .any(|x| x.trim().eq_ignore_ascii_case(h))
                })
                .map(|(h, _)| h.clone())
                .collect(),
            cells_skipped_as_totals: 0,
            note_lines_skipped: 0,
        };
        // The content's identity is hashed on its own thread while rows are
        // read, and checked against the store as soon as it is known: an
        // extract ingested before is then dropped within the first moments,
        // and a new one has lost nothing waiting for the hash.
        let unread = report.clone();
        let sheet = opened.info.sheet.clone();
        let writer = BackgroundWriter::spawn(store.part_writer(table)?)?;
        let headers = opened.headers.clone();
        let recycler = opened.recycler();
        let shared = std::sync::Mutex::new((opened, 0u64));
        let (results_tx, results_rx) = std::sync::mpsc::sync_channel::<
            Result<(u64, Vec<read::RawRow>, convert::ConvertedChunk), IngestError>,
        >(WORKERS * 2);
        let mut merger = Merger {
            writer,
            keys: peitto_store::KeySet::new(),
            key_header: String::new(),
            quarantine: None,
            quarantine_dir: &self.quarantine_dir,
            path,
            headers: &headers,
            report: &mut report,
            names: None,
            file_bytes: fs::metadata(path).map_or(0, |m| m.len()),
        };
        let areas = names.clone();
        if table.name == peitto_model::tables::ORGANISATION.name {
            merger.names = Some(names);
        }
        let outcome = std::thread::scope(
            |scope| -> Result<(Vec<PersonMap>, String, bool), IngestError> {
                let mut hashing = Some(
                    scope.spawn(move || content_id(path, mapping, table_mapping, sheet.as_deref())),
                );
                let settle =
                    |handle: std::thread::ScopedJoinHandle<'_, Result<String, IngestError>>| {
                        handle
                            .join()
                            .map_err(|_| IngestError::Arrow("the hashing thread panicked".into()))?
                    };
                let mut part_id = None;
                let mut known = false;
                let mut workers = Vec::new();
                for _ in 0..WORKERS {
                    let results_tx = results_tx.clone();
                    let shared = &shared;
                    let headers = &headers;
                    let pseudo = pseudo.clone();
                    let areas = &areas;
                    workers.push(scope.spawn(move || {
                        let mut converter = Converter::new(mapping, table_mapping, headers, pseudo)
                            .with_area_names(areas);
                        loop {
                            // Take the next chunk and its number under one lock, so numbers follow file order.
                            let next = {
                                let mut guard = shared
                                    .lock()
                                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                                let n = guard.1;
                                guard.1 += 1;
                                guard.0.next_chunk().map(|c| c.map(|c| (n, c)))
                            };
                            let message = match next {
                                Ok(None) => break,
                                Ok(Some((n, chunk))) => converter
                                    .convert_chunk(&chunk)
                                    .map(|converted| (n, chunk, converted))
                                    .map_err(|e| IngestError::Arrow(e.to_string())),
                                Err(e) => Err(e.into()),
                            };
                            let failed = message.is_err();
                            if results_tx.send(message).is_err() || failed {
                                break;
                            }
                        }
                        (
                            converter.key_header(),
                            std::mem::take(&mut converter.persons),
                        )
                    }));
                }
                drop(results_tx);
                // Merge in file order: chunks may finish out of order.
                let mut waiting = std::collections::BTreeMap::new();
                let mut next = 0u64;
                let mut first_error = None;
                for message in results_rx {
                    match message {
                        Ok((n, chunk, converted)) => {
                            waiting.insert(n, (chunk, converted));
                        }
                        Err(e) => {
                            first_error.get_or_insert(e);
                            break;
                        }
                    }
                    while let Some((chunk, converted)) = waiting.remove(&next) {
                        if merger.key_header.is_empty() {
                            merger.key_header = table
                                .key
                                .first()
                                .and_then(|k| table_mapping.header_of(k))
                                .unwrap_or_default()
                                .to_owned();
                        }
                        if let Err(e) = merger.merge(&chunk, converted) {
                            first_error.get_or_insert(e);
                        }
                        let _ = recycler.try_send(chunk);
                        next += 1;
                    }
                    if let Some(handle) = hashing.take_if(|h| h.is_finished()) {
                        match settle(handle) {
                            Ok(id) => {
                                known = store.has_part(table.name, &id);
                                part_id = Some(id);
                            }
                            Err(e) => {
                                first_error.get_or_insert(e);
                            }
                        }
                    }
                    if first_error.is_some() || known {
                        break;
                    }
                }
                let mut persons = Vec::new();
                for w in workers {
                    let (_, p) = w
                        .join()
                        .map_err(|_| IngestError::Arrow("a conversion thread panicked".into()))?;
                    persons.push(p);
                }
                if let Some(e) = first_error {
                    return Err(e);
                }
                let part_id = match (part_id, hashing) {
                    (Some(id), _) => id,
                    (None, Some(handle)) => {
                        let id = settle(handle)?;
                        known = store.has_part(table.name, &id);
                        id
                    }
                    (None, None) => unreachable!("the hash is either settled or pending"),
                };
                Ok((persons, part_id, known))
            },
        )?;
        let (persons, part_id, known) = outcome;
        let Merger {
            writer,
            keys,
            quarantine,
            ..
        } = merger;
        if known {
            // Dropping the staged part and quarantine removes their files.
            drop(writer.finish());
            drop(quarantine);
            let mut report = unread;
            report.status = "already_in_store";
            return Ok(Some((report, None)));
        }
        let skipped = shared
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
            .skipped();
        report.cells_skipped_as_totals = skipped.totals;
        report.note_lines_skipped = skipped.notes;
        let writer = writer.finish()?;
        let source_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let part = writer.finish(&part_id, &source_name, &mapping.id, keys)?;
        let quarantine = match quarantine {
            Some(q) => {
                let (tmp, target) = q.finish(&part_id)?;
                report.quarantine = Some(target.display().to_string());
                Some((tmp, target))
            }
            None => None,
        };
        let persons = persons_batches(persons)?;
        Ok(Some((
            report,
            Some(Staged {
                part,
                quarantine,
                persons: persons.into_iter().collect(),
            }),
        )))
    }
}

/// Encodes Parquet on its own thread, so that validation, reading and
/// compression overlap.
struct BackgroundWriter {
    tx: Option<std::sync::mpsc::SyncSender<arrow::array::RecordBatch>>,
    handle: Option<std::thread::JoinHandle<Result<peitto_store::PartWriter, StoreError>>>,
}

impl BackgroundWriter {
    fn spawn(mut writer: peitto_store::PartWriter) -> Result<BackgroundWriter, IngestError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<arrow::array::RecordBatch>(2);
        let handle = std::thread::Builder::new()
            .name("peitto-write".into())
            .spawn(move || {
                for batch in rx {
                    writer.write(&batch)?;
                }
                // The footer and the fsync here, while the caller gathers persons.
                writer.close()?;
                Ok(writer)
            })
            .map_err(|e| IngestError::Arrow(e.to_string()))?;
        Ok(BackgroundWriter {
            tx: Some(tx),
            handle: Some(handle),
        })
    }

    fn write(&mut self, batch: arrow::array::RecordBatch) -> Result<(), IngestError> {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(batch).is_ok());
        if sent {
            return Ok(());
        }
        // The thread stopped: it has the error.
        self.join().map(|_| ())
    }

    fn join(&mut self) -> Result<peitto_store::PartWriter, IngestError> {
        self.tx = None;
        match self.handle.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => Ok(result?),
            Some(Err(_)) => Err(IngestError::Arrow(
                "the Parquet writer thread panicked".into(),
            )),
            None => Err(IngestError::Arrow(
                "the Parquet writer was already closed".into(),
            )),
        }
    }

    fn finish(mut self) -> Result<peitto_store::PartWriter, IngestError> {
        self.join()
    }
}

/// Puts converted chunks back in file order: finds duplicate keys (the
/// first occurrence wins), reports and quarantines rejected rows, and hands
/// accepted rows to the writer.
struct Merger<'a> {
    writer: BackgroundWriter,
    keys: peitto_store::KeySet,
    key_header: String,
    quarantine: Option<Quarantine>,
    quarantine_dir: &'a Path,
    path: &'a Path,
    headers: &'a [String],
    report: &'a mut FileReport,
    /// Where an organisation file's municipality names go.
    names: Option<&'a mut AreaNames>,
    /// The file's size in bytes, for sizing `keys` once from the first chunk.
    file_bytes: u64,
}

impl Merger<'_> {
    /// Sizes the key set for the whole file, estimated from the bytes per
    /// row of its first chunk: growing it by doubling to millions of keys
    /// would copy them over and over and fault in fresh memory each time.
    /// (Compressed files, XLSX and Parquet, are underestimated; the set
    /// then grows as usual.)
    fn reserve_keys(&mut self, chunk: &[read::RawRow]) {
        let bytes: usize = chunk
            .iter()
            .map(|row| row.iter().map(|f| f.len() + 1).sum::<usize>() + 1)
            .sum();
        let per_row = (bytes / chunk.len().max(1)).max(16) as u64;
        // A first chunk need not be typical: reserve at most 16 M keys
        // (about 300 MB); a set that needs more grows as usual.
        let rows = (self.file_bytes / per_row).min(16 << 20);
        self.keys.reserve(usize::try_from(rows).unwrap_or(0));
    }

    fn merge(
        &mut self,
        chunk: &[read::RawRow],
        converted: convert::ConvertedChunk,
    ) -> Result<(), IngestError> {
        let convert::ConvertedChunk {
            batch,
            accepted,
            mut rejected,
            blank,
        } = converted;
        self.report.rows_blank += blank;
        self.report.rows_read += (accepted.len() + rejected.len()) as u64;
        if self.keys.is_empty() && !accepted.is_empty() {
            self.reserve_keys(chunk);
        }
        let keys: Vec<u128> = accepted.iter().map(|&(_, key)| key).collect();
        let mut keep = Vec::with_capacity(accepted.len());
        self.keys.insert_all(&keys, &mut keep);
        let mut duplicates = false;
        for (&(i, _), &fresh) in accepted.iter().zip(&keep) {
            if !fresh {
                duplicates = true;
                rejected.push((
                    i,
                    vec![Problem {
                        column: self.key_header.clone(),
                        reason: Reason::DuplicateKey,
                    }],
                ));
            }
        }
        if let Some(batch) = batch {
            self.report.rows_accepted += keep.iter().filter(|k| **k).count() as u64;
            if let Some(names) = self.names.as_deref_mut() {
                let batch = if duplicates {
                    let mask = arrow::array::BooleanArray::from(keep.clone());
                    arrow::compute::filter_record_batch(&batch, &mask)
                        .map_err(|e| IngestError::Arrow(e.to_string()))?
                } else {
                    batch.clone()
                };
                add_area_names(&batch, names);
            }
            // The runs of kept rows go to the writer as slices of the batch:
            // a duplicate costs a cut, not a copy of every column.
            let mut start = 0;
            while start < keep.len() {
                let Some(run) = keep[start..].iter().position(|k| *k) else {
                    break;
                };
                let from = start + run;
                let len = keep[from..]
                    .iter()
                    .position(|k| !*k)
                    .unwrap_or(keep.len() - from);
                self.writer.write(batch.slice(from, len))?;
                start = from + len;
            }
        }
        rejected.sort_by_key(|(i, _)| *i);
        for (i, problems) in rejected {
            let row = &chunk[i];
            self.report.rows_rejected += 1;
            let mut reasons: Vec<Reason> = problems.iter().map(|p| p.reason).collect();
            reasons.dedup();
            for reason in reasons {
                *self.report.rejected_by_reason.entry(reason).or_default() += 1;
            }
            for p in &problems {
                if self.report.rejections.len() < REPORTED_REJECTIONS {
                    self.report.rejections.push(Rejection {
                        row: row.line,
                        column: p.column.clone(),
                        reason: p.reason,
                    });
                } else {
                    self.report.rejections_truncated = true;
                }
            }
            if self.quarantine.is_none() {
                self.quarantine = Some(Quarantine::create(
                    self.quarantine_dir,
                    self.path,
                    self.headers,
                )?);
            }
            if let Some(q) = self.quarantine.as_mut() {
                q.write(row, &problems)?;
            }
        }
        Ok(())
    }
}

/// Adds the names (Finnish and Swedish) of the municipalities in a batch
/// of the organisation table.
fn add_area_names(batch: &arrow::array::RecordBatch, names: &mut AreaNames) {
    use arrow::array::{Array, AsArray};
    let text = |name: &str| {
        batch
            .column_by_name(name)
            .and_then(|c| arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).ok())
    };
    let (Some(kind), Some(code), Some(fi), Some(sv)) = (
        text("org_type"),
        text("code"),
        text("name_fi"),
        text("name_sv"),
    ) else {
        return;
    };
    let (kind, code) = (kind.as_string::<i32>(), code.as_string::<i32>());
    for row in 0..batch.num_rows() {
        if kind.is_null(row) || kind.value(row) != "KUNTA" || code.is_null(row) {
            continue;
        }
        let Some(code) = convert::parse_municipality(code.value(row)) else {
            continue;
        };
        for column in [&fi, &sv] {
            let column = column.as_string::<i32>();
            if !column.is_null(row) {
                names.insert(column.value(row).trim().to_lowercase(), code);
            }
        }
    }
}

/// The persons one conversion thread saw, by pseudonym.
type PersonMap = FxHashMap<pseudo::Pseudonym, convert::PersonFacts>;

/// The persons each conversion thread saw, a batch per thread: the store
/// merges them with the persons stored, so they need no merging or order here
/// (the facts are the henkilötunnus's, the same wherever a person is seen).
fn persons_batches(maps: Vec<PersonMap>) -> Result<Vec<arrow::array::RecordBatch>, IngestError> {
    use arrow::array::{BooleanArray, Date32Array, StringArray};
    maps.into_iter()
        .filter(|map| !map.is_empty())
        .map(|map| {
            let keys: StringArray = map.keys().map(|k| std::str::from_utf8(k).ok()).collect();
            let births: Date32Array = map.values().map(|f| Some(f.birth_date)).collect();
            let sexes: StringArray = map.values().map(|f| Some(f.sex)).collect();
            let temps: BooleanArray = map.values().map(|f| Some(f.temporary)).collect();
            arrow::array::RecordBatch::try_new(
                Arc::new(peitto_model::tables::PERSON.schema()),
                vec![
                    Arc::new(keys),
                    Arc::new(births),
                    Arc::new(sexes),
                    Arc::new(temps),
                ],
            )
            .map_err(|e| IngestError::Arrow(e.to_string()))
        })
        .collect()
}

/// The identity of an extract's content under a mapping and table. BLAKE3,
/// not SHA-256: the whole file is hashed while its first chunks are
/// converted, and BLAKE3 does it several times faster (vector units over
/// many blocks at once), so an extract already in the store is known soon.
fn content_id(
    path: &Path,
    mapping: &Mapping,
    table: &TableMapping,
    sheet: Option<&str>,
) -> Result<String, IngestError> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"peitto/content/v2\0");
    hasher.update(mapping.id.as_bytes());
    hasher.update(&[0]);
    hasher.update(table.table.name.as_bytes());
    hasher.update(&[0]);
    hasher.update(sheet.unwrap_or("").as_bytes());
    hasher.update(&[0]);
    let mut file = File::open(path).map_err(io(path))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().as_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
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

/// Rejected rows of one file, kept whole (identifiers included, mode 0600)
/// so they can be fixed and ingested again: the file has the source's own
/// headers plus `peitto_row` and `peitto_reasons`, which ingest ignores.
struct Quarantine {
    tmp: PathBuf,
    dir: PathBuf,
    stem: String,
    writer: Option<csv::Writer<BufWriter<File>>>,
}

/// Quarantine files being written by this process, for unique names.
static QUARANTINES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Quarantine {
    /// Starts a quarantine file under a temporary name: its final name
    /// carries the content's identity, which may not be known yet.
    fn create(dir: &Path, source: &Path, headers: &[String]) -> Result<Quarantine, IngestError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let stem = source
            .file_stem()
            .map_or_else(|| "extract".into(), |s| s.to_string_lossy().into_owned());
        let serial = QUARANTINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".{stem}-{}-{serial}.csv.tmp", std::process::id()));
        let file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io(&tmp))?;
        let mut out = BufWriter::new(file);
        out.write_all(b"\xEF\xBB\xBF").map_err(io(&tmp))?;
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .flexible(true)
            .from_writer(out);
        let mut header: Vec<&str> = headers.iter().map(String::as_str).collect();
        header.extend(["peitto_row", "peitto_reasons"]);
        writer
            .write_record(&header)
            .map_err(|e| io(&tmp)(e.into()))?;
        Ok(Quarantine {
            tmp,
            dir: dir.to_owned(),
            stem,
            writer: Some(writer),
        })
    }

    fn write(&mut self, row: &read::RawRow, problems: &[Problem]) -> Result<(), IngestError> {
        let reasons = problems
            .iter()
            .map(|p| {
                if p.column.is_empty() {
                    p.reason.code().to_owned()
                } else {
                    format!("{}: {}", p.column, p.reason.code())
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        let line = row.line.to_string();
        let mut record: Vec<&str> = row.iter().collect();
        record.extend([line.as_str(), reasons.as_str()]);
        let tmp = &self.tmp;
        // The writer is taken only by `finish` and `Drop`; a row that came
        // after either is an error, never dropped in silence.
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| io(tmp)(std::io::Error::other("the quarantine file is closed")))?;
        writer.write_record(&record).map_err(|e| io(tmp)(e.into()))
    }

    /// Closes the file; returns its temporary path and the name it takes
    /// when the store commits: the source's name and the content's identity.
    fn finish(mut self, part_id: &str) -> Result<(PathBuf, PathBuf), IngestError> {
        let target = self
            .dir
            .join(format!("{}-{}.csv", self.stem, &part_id[..12]));
        let tmp = self.tmp.clone();
        if let Some(writer) = self.writer.take() {
            let out = writer
                .into_inner()
                .map_err(|e| io(&tmp)(std::io::Error::other(e.to_string())))?;
            let file = out
                .into_inner()
                .map_err(|e| io(&tmp)(std::io::Error::other(e.to_string())))?;
            file.sync_all().map_err(io(&tmp))?;
        }
        // Kept from here on: the caller renames it at commit.
        self.tmp = PathBuf::new();
        Ok((tmp, target))
    }
}

impl Drop for Quarantine {
    /// A quarantine that is not finished (an extract already in the store,
    /// or an error) leaves no file behind.
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            drop(self.writer.take());
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes the report as JSON into `dir` (mode 0600: it names files and rows).
///
/// # Errors
/// On I/O errors.
pub fn write_report(report: &IngestReport, dir: &Path) -> Result<PathBuf, IngestError> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(format!(
        "ingest-{}-{}.json",
        report.finished_at,
        std::process::id()
    ));
    let json = serde_json::to_vec_pretty(report).map_err(|e| IngestError::Arrow(e.to_string()))?;
    peitto_store::write_atomic(&path, &json)?;
    Ok(path)
}
