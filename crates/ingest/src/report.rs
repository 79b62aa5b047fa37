//! What an ingest tells: per file (rows read, accepted, rejected and why,
//! columns dropped or ignored) and per table, and the report written as JSON.

use crate::convert::Reason;
use crate::read::SourceInfo;
use crate::{IngestError, io};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

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
    /// How long the steps took.
    pub timings: IngestTimings,
}

/// How long the steps of an ingest took, in seconds: the files (read,
/// converted and staged, several at a time) and the serial end after them,
/// which one thread does: the commit, the person merge, the flushes.
#[derive(Debug, Clone, Serialize, Default)]
pub struct IngestTimings {
    /// From the start to the last file staged.
    pub files_s: f64,
    /// Newer records replacing older ones (the commit's first step).
    pub supersede_s: f64,
    /// The persons gathered, merged with the stored ones and written.
    pub persons_s: f64,
    /// Parts placed, folders and the manifest flushed to disk, quarantine
    /// files made visible.
    pub durable_s: f64,
    /// Everything after the files: the wall time no second core can help.
    pub serial_end_s: f64,
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
