//! Readers: CSV as Finnish Excel writes it, XLSX and Parquet, each streamed
//! from a reader thread in chunks of rows, so memory stays bounded whatever
//! the file size and parsing overlaps with validation.

use crate::pxweb::{self, Skipped};
use arrow::array::{Array, RecordBatchReader, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use calamine::{DataRef, Reader, Xlsx, open_workbook};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::rc::Rc;
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
    /// The fields' text one after another, in one buffer (no allocation
    /// per field, and one UTF-8 check per row rather than per field).
    text: String,
    /// Where each field ends in `text`.
    ends: Vec<usize>,
    /// Index of the first field that was not valid in the file's encoding.
    pub bad_encoding: Option<usize>,
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
    }

    fn push_field(&mut self, field: &str) {
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

    /// Fills the row with a record parsed from the file's bytes: decoded
    /// from Windows-1252, or checked as UTF-8 (a field that is not valid
    /// is kept with replacement characters and noted in `bad_encoding`).
    fn fill(&mut self, record: &csv::ByteRecord, encoding: TextEncoding) {
        let bytes = record.as_slice();
        let mut buf = std::mem::take(&mut self.text).into_bytes();
        buf.clear();
        if encoding == TextEncoding::Windows1252 && !bytes.is_ascii() {
            for field in record {
                cp1252_into(field, &mut buf);
                self.ends.push(buf.len());
            }
        } else {
            buf.extend_from_slice(bytes);
            self.ends
                .extend((0..record.len()).filter_map(|i| record.range(i).map(|r| r.end)));
        }
        match String::from_utf8(buf) {
            Ok(text) => self.text = text,
            Err(e) => {
                // Only UTF-8 files get here: Windows-1252 decodes every byte.
                let mut buf = e.into_bytes();
                buf.clear();
                self.text = String::from_utf8(buf).unwrap_or_default();
                self.ends.clear();
                for (i, field) in record.iter().enumerate() {
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
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.text.get(start..end)
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// Whether every field is empty or blank (Excel writes such rows).
    #[must_use]
    pub fn is_blank(&self) -> bool {
        trim(&self.text).is_empty()
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
        Ok(Ok((headers, info))) => Ok(Opened {
            headers,
            info,
            rows,
            recycle,
            handle: Some(handle),
            skipped,
        }),
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum TextEncoding {
    Utf8,
    Windows1252,
}

/// Whether `bytes` is UTF-8, allowing a sequence cut off at the end.
fn is_utf8_prefix(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// The delimiter that splits the header line most: `;` wins ties, as Finnish Excel uses it.
fn detect_delimiter(first_line: &[u8]) -> u8 {
    let mut best = (b';', 0usize);
    for d in [b';', b',', b'\t'] {
        let mut in_quotes = false;
        let mut count = 0;
        for &b in first_line {
            if b == b'"' {
                in_quotes = !in_quotes;
            } else if b == d && !in_quotes {
                count += 1;
            }
        }
        if count > best.1 {
            best = (d, count);
        }
    }
    best.0
}

/// Windows-1252 bytes 0x80–0x9F (the rest of the upper half is Latin-1), as
/// the WHATWG encoding standard maps them.
const CP1252_80_9F: [char; 32] = [
    '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}', '\u{8f}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}', '\u{178}',
];

/// Line ends and carriage returns seen by the parser's reader, by byte offset.
type Marks = Rc<RefCell<VecDeque<(u64, u8)>>>;

/// Passes bytes to the CSV parser and notes where each `\n` and `\r`
/// lies, so a record's line is known without reading the file twice.
struct Marking<R> {
    inner: R,
    offset: u64,
    marks: Marks,
}

impl<R: Read> Read for Marking<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut marks = self.marks.borrow_mut();
        for i in memchr::memchr2_iter(b'\n', b'\r', &buf[..n]) {
            marks.push_back((self.offset + i as u64, buf[i]));
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Finds the line a record starts on. The csv crate's own record positions
/// are taken before blank lines and the `\n` of a CRLF are skipped, so they
/// run behind; this counts the line ends [`Marking`] saw before the record,
/// and those at its start.
struct LineCounter {
    marks: Marks,
    line: u64,
}

impl LineCounter {
    /// The line of the record whose csv position is byte `start`.
    fn line_at(&mut self, start: u64) -> u64 {
        let mut marks = self.marks.borrow_mut();
        while let Some(&(at, b)) = marks.front() {
            if at >= start {
                break;
            }
            self.line += u64::from(b == b'\n');
            marks.pop_front();
        }
        let mut next = start;
        while let Some(&(at, b)) = marks.front() {
            if at != next {
                break;
            }
            self.line += u64::from(b == b'\n');
            marks.pop_front();
            next += 1;
        }
        self.line
    }
}

/// Appends Windows-1252 `bytes` to `out` as UTF-8.
fn cp1252_into(bytes: &[u8], out: &mut Vec<u8>) {
    if bytes.is_ascii() {
        out.extend_from_slice(bytes);
        return;
    }
    let mut rest = bytes;
    while !rest.is_empty() {
        let run = rest
            .iter()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        out.extend_from_slice(&rest[..run]);
        let Some(&b) = rest.get(run) else { break };
        let c = if b <= 0x9f {
            CP1252_80_9F[usize::from(b - 0x80)]
        } else {
            char::from(b)
        };
        let mut utf8 = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        rest = &rest[run + 1..];
    }
}

/// A field's text in the file's encoding (headers and PxWeb cells, where
/// speed does not matter).
fn decode(field: &[u8], encoding: TextEncoding) -> String {
    match encoding {
        TextEncoding::Utf8 => String::from_utf8_lossy(field).into_owned(),
        TextEncoding::Windows1252 => {
            let mut out = Vec::with_capacity(field.len() + 8);
            cp1252_into(field, &mut out);
            String::from_utf8(out).unwrap_or_default()
        }
    }
}

fn read_csv(
    path: &Path,
    header_tx: &SyncSender<HeaderResult>,
    producer: &mut Producer,
    skipped: &Mutex<Skipped>,
) -> Result<(), ReadError> {
    let err = unreadable(path);
    let mut file = File::open(path).map_err(|e| err(e.to_string()))?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut file)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| err(e.to_string()))?;
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let body = if bom { &head[3..] } else { &head[..] };
    let (encoding, encoding_name) = if bom {
        (TextEncoding::Utf8, "utf-8-bom")
    } else if is_utf8_prefix(body) {
        (TextEncoding::Utf8, "utf-8")
    } else {
        (TextEncoding::Windows1252, "windows-1252")
    };
    // The delimiter is read from the header line: past a title line and
    // blank lines when the file has them.
    let header_line = body
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(|b| b.is_ascii_whitespace()))
        .find(|l| [b';', b',', b'\t'].iter().any(|d| l.contains(d)))
        .unwrap_or(body);
    let delimiter = detect_delimiter(header_line);
    let body_start = if bom { 3 } else { 0 };
    // The parser reads the file's own bytes: `;`, quotes and line ends are
    // the same in both encodings, and each record is decoded on its own.
    file.seek(SeekFrom::Start(body_start))
        .map_err(|e| err(e.to_string()))?;
    let marks = Marks::default();
    let source = Marking {
        inner: file,
        offset: 0,
        marks: Rc::clone(&marks),
    };
    let mut lines = LineCounter { marks, line: 1 };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(source);
    let mut record = csv::ByteRecord::new();
    let mut next_texts = |record: &mut csv::ByteRecord| -> Result<Option<Vec<String>>, ReadError> {
        loop {
            if !reader
                .read_byte_record(record)
                .map_err(|e| err(e.to_string()))?
            {
                return Ok(None);
            }
            let texts: Vec<String> = record
                .iter()
                .map(|f| clean_header(&decode(f, encoding)))
                .collect();
            if !texts.iter().all(String::is_empty) {
                return Ok(Some(texts));
            }
        }
    };
    let Some(mut headers) = next_texts(&mut record)? else {
        return Err(ReadError::NoHeader(path.to_owned()));
    };
    let mut title = None;
    // A single text above the header is a title (PxWeb's "with heading" downloads).
    if headers.iter().filter(|h| !h.is_empty()).count() == 1 {
        match next_texts(&mut record)? {
            Some(next) if next.len() > 1 => {
                title = headers.into_iter().find(|h| !h.is_empty());
                headers = next;
            }
            _ => return Err(ReadError::NoHeader(path.to_owned())),
        }
    }
    let layout = pxweb::Layout::detect(&headers);
    let info = SourceInfo {
        format: "csv",
        encoding: Some(encoding_name),
        delimiter: Some(char::from(delimiter)),
        sheet: None,
        title,
        layout: layout.as_ref().map(|_| "pxweb-11re"),
    };
    let sent = match &layout {
        Some(_) => pxweb::LONG_HEADERS
            .iter()
            .map(|h| (*h).to_owned())
            .collect(),
        None => headers,
    };
    if header_tx.send(Ok((sent, info))).is_err() {
        return Ok(());
    }
    let mut cells = Vec::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return Err(err(format!("line {line}: {e}")));
            }
        }
        let start = record.position().map_or(0, csv::Position::byte);
        let line = lines.line_at(start);
        if let Some(layout) = &layout {
            // Each cell of the table becomes a row of the long form, on the cell's line.
            let texts: Vec<String> = record.iter().map(|f| decode(f, encoding)).collect();
            if texts.iter().all(|t| trim(t).is_empty()) {
                continue;
            }
            let fields: Vec<&str> = texts.iter().map(String::as_str).collect();
            cells.clear();
            if let Ok(mut skipped) = skipped.lock() {
                layout.expand(&fields, &mut skipped, &mut cells);
            }
            for cell in &cells {
                let row = producer.row(line);
                for value in cell {
                    row.push_field(value);
                }
            }
        } else {
            let row = producer.row(line);
            row.fill(&record, encoding);
            if row.len() <= 1 && row.is_blank() {
                producer.unrow();
            }
        }
        if !producer.flush(false) {
            return Ok(());
        }
    }
}

fn cell_text(cell: &DataRef<'_>, out: &mut String) {
    use std::fmt::Write;
    match cell {
        DataRef::Empty => {}
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => out.push_str(s),
        DataRef::SharedString(s) => out.push_str(s),
        DataRef::Int(i) => {
            let _ = write!(out, "{i}");
        }
        DataRef::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                #[allow(clippy::cast_possible_truncation)]
                let whole = *f as i64;
                let _ = write!(out, "{whole}");
            } else {
                let _ = write!(out, "{f}");
            }
        }
        DataRef::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        DataRef::DateTime(dt) => {
            if dt.is_datetime() {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                let _ = write!(out, "{y:04}-{m:02}-{d:02}");
            } else {
                let _ = write!(out, "{}", dt.as_f64());
            }
        }
        DataRef::Error(e) => {
            let _ = write!(out, "#{e}");
        }
    }
}

fn read_xlsx(
    path: &Path,
    sheet: Option<&str>,
    header_tx: &SyncSender<HeaderResult>,
    producer: &mut Producer,
) -> Result<(), ReadError> {
    let err = unreadable(path);
    let mut workbook: Xlsx<BufReader<File>> =
        open_workbook(path).map_err(|e: calamine::XlsxError| err(e.to_string()))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(s))
            .cloned()
            .ok_or_else(|| {
                err(format!(
                    "no sheet {s:?}; the workbook has {}",
                    names.join(", ")
                ))
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| err("the workbook has no sheets".into()))?,
    };
    let mut cells = workbook
        .worksheet_cells_reader(&name)
        .map_err(|e| err(e.to_string()))?;
    let mut headers: Vec<String> = Vec::new();
    let mut header_row = None;
    let mut sent_header = false;
    // The row being assembled: cells come by position and may skip empty ones.
    let mut current: Option<u32> = None;
    let mut fields: Vec<String> = Vec::new();
    let mut text = String::new();
    let emit = |producer: &mut Producer, line: u32, fields: &[String]| -> bool {
        let row = producer.row(u64::from(line) + 1);
        for f in fields {
            row.push_field(f);
        }
        if row.is_blank() {
            producer.unrow();
        }
        producer.flush(false)
    };
    loop {
        let cell = cells.next_cell().map_err(|e| err(e.to_string()))?;
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        let c = c as usize;
        text.clear();
        cell_text(cell.get_value(), &mut text);
        if !sent_header && header_row.is_none_or(|h| h == r) {
            if header_row.is_none() && text.trim().is_empty() {
                continue;
            }
            header_row = Some(r);
            if headers.len() <= c {
                headers.resize(c + 1, String::new());
            }
            headers[c] = clean_header(&text);
            continue;
        }
        if !sent_header {
            sent_header = true;
            let info = SourceInfo {
                format: "xlsx",
                encoding: None,
                delimiter: None,
                sheet: Some(name.clone()),
                title: None,
                layout: None,
            };
            if header_tx.send(Ok((headers.clone(), info))).is_err() {
                return Ok(());
            }
        }
        if current != Some(r) {
            if let Some(line) = current
                && !emit(producer, line, &fields)
            {
                return Ok(());
            }
            current = Some(r);
            fields.iter_mut().for_each(String::clear);
            fields.resize(headers.len(), String::new());
            fields.truncate(headers.len());
        }
        if fields.len() <= c {
            fields.resize(c + 1, String::new());
        }
        fields[c].push_str(&text);
    }
    if !sent_header {
        if headers.is_empty() {
            return Err(ReadError::NoHeader(path.to_owned()));
        }
        let info = SourceInfo {
            format: "xlsx",
            encoding: None,
            delimiter: None,
            sheet: Some(name),
            title: None,
            layout: None,
        };
        let _ = header_tx.send(Ok((headers, info)));
    } else if let Some(line) = current {
        emit(producer, line, &fields);
    }
    Ok(())
}

fn read_parquet(
    path: &Path,
    header_tx: &SyncSender<HeaderResult>,
    producer: &mut Producer,
) -> Result<(), ReadError> {
    let err = unreadable(path);
    let file = File::open(path).map_err(|e| err(e.to_string()))?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| err(e.to_string()))?
        .with_batch_size(8192)
        .build()
        .map_err(|e| err(e.to_string()))?;
    let headers: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| clean_header(f.name()))
        .collect();
    if headers.is_empty() {
        return Err(ReadError::NoHeader(path.to_owned()));
    }
    let info = SourceInfo {
        format: "parquet",
        encoding: None,
        delimiter: None,
        sheet: None,
        title: None,
        layout: None,
    };
    if header_tx.send(Ok((headers, info))).is_err() {
        return Ok(());
    }
    let mut line = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| err(e.to_string()))?;
        let columns: Vec<StringArray> = batch
            .columns()
            .iter()
            .map(|c| {
                cast(c, &DataType::Utf8)
                    .map_err(|e| err(e.to_string()))
                    .and_then(|a| {
                        a.as_any()
                            .downcast_ref::<StringArray>()
                            .cloned()
                            .ok_or_else(|| err("cast".into()))
                    })
            })
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            line += 1;
            let row = producer.row(line);
            for column in &columns {
                row.push_field(if column.is_null(i) {
                    ""
                } else {
                    column.value(i)
                });
            }
            if !producer.flush(false) {
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_detection_prefers_semicolon_and_ignores_quoted() {
        assert_eq!(detect_delimiter(b"a;b;c"), b';');
        assert_eq!(detect_delimiter(b"a,b,c"), b',');
        assert_eq!(detect_delimiter(b"\"a;x\",b,c"), b',');
        assert_eq!(detect_delimiter(b"a\tb"), b'\t');
        assert_eq!(detect_delimiter(b"single"), b';');
    }

    #[test]
    fn windows_1252_decodes_like_encoding_rs() {
        let bytes: Vec<u8> = (0u8..=255).cycle().take(300_000).collect();
        let mut ours = Vec::new();
        cp1252_into(&bytes, &mut ours);
        assert_eq!(
            String::from_utf8(ours).unwrap(),
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(&bytes)
                .0
        );
    }

    #[test]
    fn rows_keep_field_boundaries_in_both_encodings() {
        let mut record = csv::ByteRecord::new();
        for field in [&b"L1"[..], b"J\xe4rvinen \x80", b"", b"285"] {
            record.push_field(field);
        }
        let mut row = RawRow::default();
        row.fill(&record, TextEncoding::Windows1252);
        assert_eq!(
            row.iter().collect::<Vec<_>>(),
            ["L1", "Järvinen €", "", "285"]
        );
        assert_eq!(row.bad_encoding, None);
        // The same bytes are not UTF-8: the bad field is named, the others kept.
        row.reset(2);
        row.fill(&record, TextEncoding::Utf8);
        assert_eq!(row.bad_encoding, Some(1));
        assert_eq!(row.get(0), Some("L1"));
        assert_eq!(row.get(3), Some("285"));
        assert_eq!(row.len(), 4);
        let mut utf8 = csv::ByteRecord::new();
        for field in ["Åsa", " ", "Öst"] {
            utf8.push_field(field.as_bytes());
        }
        row.reset(3);
        row.fill(&utf8, TextEncoding::Utf8);
        assert_eq!(row.iter().collect::<Vec<_>>(), ["Åsa", " ", "Öst"]);
        assert!(!row.is_blank());
        assert!(RawRow::from_fields(4, &[" ", "", "\u{a0}"]).is_blank());
    }

    #[test]
    fn utf8_prefix_allows_a_cut_sequence() {
        assert!(is_utf8_prefix("Päivä".as_bytes()));
        assert!(is_utf8_prefix(&"ä".as_bytes()[..1]));
        assert!(!is_utf8_prefix(b"P\xe4iv\xe4"));
    }
}
