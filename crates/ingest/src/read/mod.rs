//! Readers: CSV as Finnish Excel writes it, XLSX and Parquet, each streamed
//! from a reader thread in chunks of rows, so memory stays bounded whatever
//! the file size and parsing overlaps with validation.

mod parquet_file;
#[cfg(test)]
mod tests;
mod text;
mod xlsx;

use parquet_file::read_parquet;
use text::read_csv;
use text::{SEPARATOR, TextEncoding, cp1252_record, fields};
use xlsx::read_xlsx;

use crate::pxweb::{self, Skipped};
use arrow::array::{Array, RecordBatchReader, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use calamine::{DataRef, Reader, Xlsx, open_workbook};
use peitto_hetu::Hetu;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Rows per chunk sent from the reader thread.
const CHUNK_ROWS: usize = 4096;
/// Chunks in flight: with [`CHUNK_ROWS`] this bounds buffered rows.
const CHUNKS_IN_FLIGHT: usize = 4;
/// Bytes looked at to detect encoding and delimiter.
const SNIFF_BYTES: usize = 64 * 1024;

/// File types peitto reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.csv` or `.txt`.
    Csv,
    /// `.xlsx` (and `.xlsm`).
    Xlsx,
    /// `.parquet`.
    Parquet,
}

impl FileKind {
    /// The kind a file name says, if peitto reads it.
    #[must_use]
    pub fn of(path: &Path) -> Option<FileKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Some(FileKind::Csv),
            "xlsx" | "xlsm" => Some(FileKind::Xlsx),
            "parquet" | "pq" => Some(FileKind::Parquet),
            _ => None,
        }
    }

    /// Lower-case name for reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Csv => "csv",
            FileKind::Xlsx => "xlsx",
            FileKind::Parquet => "parquet",
        }
    }
}

/// What the reader found out about a file.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct SourceInfo {
    /// csv, xlsx or parquet.
    pub format: &'static str,
    /// Detected text encoding (CSV).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<&'static str>,
    /// Detected delimiter (CSV).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<char>,
    /// Sheet read (XLSX).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The workbook's other sheets, not read (XLSX): told, so rows on them
    /// are not lost unseen. Hidden ones are never read unless named.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_sheets: Vec<String>,
    /// A title line above the header (PxWeb downloads have one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A layout turned into the long form on reading (`pxweb-11re`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layout: Option<&'static str>,
}

/// One row as it stands in the file.
#[derive(Debug, Clone, Default)]
pub struct RawRow {
    /// CSV: line number; XLSX: sheet row; Parquet: record number (all 1-based).
    pub line: u64,
    /// The fields' text in one buffer (no allocation per field, and one
    /// UTF-8 check per row rather than per field), each field after the
    /// one before and one separating byte: a plain CSV line is kept as it
    /// stands, delimiters and all, with one copy.
    text: String,
    /// Where each field ends in `text`; the next starts one byte later.
    ends: Vec<usize>,
    /// Index of the first field that was not valid in the file's encoding.
    pub bad_encoding: Option<usize>,
    /// The first field of a workbook that cannot be read as it stands.
    pub cell_problem: Option<(usize, CellProblem)>,
}

/// Why a workbook cell cannot be taken as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellProblem {
    /// A formula with no value in the file (never calculated).
    Uncalculated,
    /// A whole number too long for a double to hold exactly.
    Inexact,
}

/// `str::trim`, with a fast exit for the common field that has no space at either end.
#[must_use]
pub fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

impl RawRow {
    fn reset(&mut self, line: u64) {
        self.line = line;
        self.text.clear();
        self.ends.clear();
        self.bad_encoding = None;
        self.cell_problem = None;
    }

    fn push_field(&mut self, field: &str) {
        if !self.ends.is_empty() {
            self.text.push(char::from(SEPARATOR));
        }
        self.text.push_str(field);
        self.ends.push(self.text.len());
    }

    /// A row with the given fields (tests).
    #[must_use]
    pub fn from_fields(line: u64, fields: &[&str]) -> RawRow {
        let mut row = RawRow {
            line,
            ..RawRow::default()
        };
        for f in fields {
            row.push_field(f);
        }
        row
    }

    /// Lends the row's buffers to a parser.
    fn take_buffers(&mut self) -> (Vec<u8>, Vec<usize>) {
        let mut bytes = std::mem::take(&mut self.text).into_bytes();
        bytes.clear();
        let mut ends = std::mem::take(&mut self.ends);
        ends.clear();
        (bytes, ends)
    }

    /// Sets the fields to a parsed record's `bytes` and field `ends`,
    /// decoded from Windows-1252 (through `scratch`), or checked as UTF-8 at
    /// once: a field that is not valid is kept with replacement characters
    /// and noted in `bad_encoding`.
    fn set_fields(
        &mut self,
        mut bytes: Vec<u8>,
        mut ends: Vec<usize>,
        encoding: TextEncoding,
        scratch: &mut Vec<u8>,
    ) {
        if encoding == TextEncoding::Windows1252 && !bytes.is_ascii() {
            scratch.clear();
            cp1252_record(&bytes, &mut ends, scratch);
            std::mem::swap(scratch, &mut bytes);
        }
        match String::from_utf8(bytes) {
            Ok(text) => {
                self.text = text;
                self.ends = ends;
            }
            Err(e) => {
                // Only UTF-8 files get here: Windows-1252 decodes every byte.
                let bytes = e.into_bytes();
                self.text.clear();
                self.ends.clear();
                for (i, field) in fields(&bytes, &ends).enumerate() {
                    if std::str::from_utf8(field).is_err() && self.bad_encoding.is_none() {
                        self.bad_encoding = Some(i);
                    }
                    self.push_field(&String::from_utf8_lossy(field));
                }
            }
        }
    }

    /// Number of fields.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the row has no fields.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`, as it stands.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        self.text.get(start..end)
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// Whether every field is empty or blank (Excel writes such rows).
    #[must_use]
    pub fn is_blank(&self) -> bool {
        // Nearly every row starts with a letter or digit: no need to look further.
        if self
            .text
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphanumeric)
        {
            return false;
        }
        self.iter().all(|f| trim(f).is_empty())
    }
}

/// A file could not be read at all (as opposed to a bad row).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{file}: {detail}")]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// What failed.
        detail: String,
    },
    /// No header row.
    #[error("{0}: the file has no header row")]
    NoHeader(PathBuf),
    /// The first row is data (it holds a personal identity code, or dates
    /// and numbers), so the file has no header row. The row itself is never
    /// repeated in a message.
    #[error("{0}: the first row is data, not column headers")]
    DataAsHeader(PathBuf),
    /// A Parquet column whose values are far longer than any register
    /// field's: decoding them would take memory out of all proportion to
    /// the file.
    #[error("{file}: the values of column {column} are too long for a register field")]
    CellsTooLarge {
        /// The file.
        file: PathBuf,
        /// The column.
        column: String,
    },
    /// `--sheet` names a sheet the workbook does not have.
    #[error("{file}: no sheet {sheet:?}; the workbook has {sheets}")]
    NoSheet {
        /// The file.
        file: PathBuf,
        /// The sheet asked for.
        sheet: String,
        /// The sheets it has.
        sheets: String,
    },
    /// A workbook part that would expand out of all proportion to the file.
    #[error("{file}: the workbook part {part} would expand too far")]
    PartTooLarge {
        /// The file.
        file: PathBuf,
        /// The part (`xl/sharedStrings.xml`).
        part: String,
    },
}

/// Messages from the reader thread.
enum Msg {
    Rows(Vec<RawRow>),
    Failed(ReadError),
}

/// An open file streaming rows.
pub struct Opened {
    /// Header texts, trimmed.
    pub headers: Vec<String>,
    /// What was detected.
    pub info: SourceInfo,
    rows: Receiver<Msg>,
    recycle: SyncSender<Vec<RawRow>>,
    handle: Option<JoinHandle<()>>,
    skipped: Arc<Mutex<Skipped>>,
}

impl Opened {
    /// Cells of a PxWeb layout left out so far (totals, notes).
    #[must_use]
    pub fn skipped(&self) -> Skipped {
        self.skipped.lock().map(|s| *s).unwrap_or_default()
    }

    /// The next chunk of rows; `Ok(None)` at the end.
    ///
    /// # Errors
    /// If the file breaks off mid-way (I/O error, damaged workbook).
    pub fn next_chunk(&mut self) -> Result<Option<Vec<RawRow>>, ReadError> {
        match self.rows.recv() {
            Ok(Msg::Rows(rows)) => Ok(Some(rows)),
            Ok(Msg::Failed(e)) => Err(e),
            Err(_) => Ok(None),
        }
    }

    /// Hands a processed chunk back for reuse of its allocations.
    pub fn recycle(&self, chunk: Vec<RawRow>) {
        let _ = self.recycle.try_send(chunk);
    }

    /// A handle that recycles chunks from another thread.
    #[must_use]
    pub fn recycler(&self) -> SyncSender<Vec<RawRow>> {
        self.recycle.clone()
    }
}

impl Drop for Opened {
    fn drop(&mut self) {
        // Unblock the reader thread if we stop early, then wait for it.
        while self.rows.try_recv().is_ok() {}
        let (_, dead) = sync_channel(0);
        self.rows = dead;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

struct Producer {
    tx: SyncSender<Msg>,
    recycle: Receiver<Vec<RawRow>>,
    chunk: Vec<RawRow>,
    used: usize,
}

impl Producer {
    /// A row to fill, reusing allocations from recycled chunks.
    fn row(&mut self, line: u64) -> &mut RawRow {
        if self.chunk.is_empty()
            && self.used == 0
            && let Ok(old) = self.recycle.try_recv()
        {
            self.chunk = old;
        }
        if self.used == self.chunk.len() {
            self.chunk.push(RawRow::default());
        }
        let row = &mut self.chunk[self.used];
        self.used += 1;
        row.reset(line);
        row
    }

    /// The last row handed out.
    fn last_row(&mut self) -> &mut RawRow {
        &mut self.chunk[self.used - 1]
    }

    /// Takes back the last row handed out (a blank line that is not data).
    fn unrow(&mut self) {
        self.used -= 1;
    }

    /// Sends the chunk if full; false when the consumer has gone.
    fn flush(&mut self, force: bool) -> bool {
        if self.used == 0 || (!force && self.used < CHUNK_ROWS) {
            return true;
        }
        let mut chunk = std::mem::take(&mut self.chunk);
        chunk.truncate(self.used);
        self.used = 0;
        self.tx.send(Msg::Rows(chunk)).is_ok()
    }
}

type HeaderResult = Result<(Vec<String>, SourceInfo), ReadError>;

/// Opens `path` and starts streaming its rows.
///
/// # Errors
/// If the file cannot be opened or has no header row.
pub fn open(path: &Path, kind: FileKind, sheet: Option<&str>) -> Result<Opened, ReadError> {
    let (tx, rows) = sync_channel(CHUNKS_IN_FLIGHT);
    let (recycle, recycle_rx) = sync_channel(CHUNKS_IN_FLIGHT + 1);
    let (header_tx, header_rx) = sync_channel::<HeaderResult>(1);
    let path_buf = path.to_owned();
    let sheet = sheet.map(str::to_owned);
    let skipped = Arc::new(Mutex::new(Skipped::default()));
    let skipped_by_reader = Arc::clone(&skipped);
    let handle = std::thread::Builder::new()
        .name("peitto-read".into())
        .spawn(move || {
            let mut producer = Producer {
                tx,
                recycle: recycle_rx,
                chunk: Vec::new(),
                used: 0,
            };
            let result = match kind {
                FileKind::Csv => read_csv(&path_buf, &header_tx, &mut producer, &skipped_by_reader),
                FileKind::Xlsx => read_xlsx(&path_buf, sheet.as_deref(), &header_tx, &mut producer),
                FileKind::Parquet => read_parquet(&path_buf, &header_tx, &mut producer),
            };
            if let Err(e) = result {
                // Before the header is out the error goes there, else down the row channel.
                if header_tx.try_send(Err(e.clone())).is_err() {
                    let _ = producer.tx.send(Msg::Failed(e));
                }
            } else {
                producer.flush(true);
            }
        })
        .map_err(|e| ReadError::Unreadable {
            file: path.to_owned(),
            detail: e.to_string(),
        })?;
    match header_rx.recv() {
        Ok(Ok((headers, info))) => {
            let opened = Opened {
                headers,
                info,
                rows,
                recycle,
                handle: Some(handle),
                skipped,
            };
            // A header that is a henkilötunnus means a headerless extract: stop
            // here (dropping stops the reader) so no message or draft mapping
            // ever echoes the row.
            if opened.headers.iter().any(|h| Hetu::parse(h).is_ok()) {
                return Err(ReadError::DataAsHeader(path.to_owned()));
            }
            Ok(opened)
        }
        Ok(Err(e)) => {
            let _ = handle.join();
            Err(e)
        }
        Err(_) => {
            let _ = handle.join();
            Err(ReadError::NoHeader(path.to_owned()))
        }
    }
}

fn unreadable(path: &Path) -> impl Fn(String) -> ReadError + '_ {
    move |detail| ReadError::Unreadable {
        file: path.to_owned(),
        detail,
    }
}

fn clean_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').trim().to_owned()
}

/// Whether a header cell looks like data rather than a column's name: it has
/// four or more digits (a date, an amount, an identity code). Such a cell is
/// never repeated in a message or a drafted mapping.
#[must_use]
pub fn looks_like_data(header: &str) -> bool {
    header.chars().filter(char::is_ascii_digit).count() >= 4
}
