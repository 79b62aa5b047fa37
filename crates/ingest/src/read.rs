//! Readers: CSV as Finnish Excel writes it, XLSX and Parquet, each streamed
//! from a reader thread in chunks of rows, so memory stays bounded whatever
//! the file size and parsing overlaps with validation.

use arrow::array::{Array, RecordBatchReader, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use calamine::{DataRef, Reader, Xlsx, open_workbook};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
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
}

/// One row as it stands in the file.
#[derive(Debug, Clone, Default)]
pub struct RawRow {
    /// CSV: line number; XLSX: sheet row; Parquet: record number (all 1-based).
    pub line: u64,
    /// Field texts, in header order.
    pub fields: Vec<String>,
    /// Index of the first field that was not valid in the file's encoding.
    pub bad_encoding: Option<usize>,
}

impl RawRow {
    fn reset(&mut self, line: u64) {
        self.line = line;
        self.fields.clear();
        self.bad_encoding = None;
    }

    /// Whether every field is empty or blank (Excel writes such rows).
    #[must_use]
    pub fn is_blank(&self) -> bool {
        self.fields.iter().all(|f| f.trim().is_empty())
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
}

impl Opened {
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
        if self.chunk.is_empty() && self.used == 0
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
    let handle = std::thread::Builder::new()
        .name("peitto-read".into())
        .spawn(move || {
            let mut producer = Producer { tx, recycle: recycle_rx, chunk: Vec::new(), used: 0 };
            let result = match kind {
                FileKind::Csv => read_csv(&path_buf, &header_tx, &mut producer),
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
        .map_err(|e| ReadError::Unreadable { file: path.to_owned(), detail: e.to_string() })?;
    match header_rx.recv() {
        Ok(Ok((headers, info))) => Ok(Opened { headers, info, rows, recycle, handle: Some(handle) }),
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
    move |detail| ReadError::Unreadable { file: path.to_owned(), detail }
}

fn clean_header(h: &str) -> String {
    h.trim_start_matches('\u{feff}').trim().to_owned()
}

#[derive(Clone, Copy)]
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

fn decode_into(bytes: &[u8], encoding: TextEncoding, out: &mut String) -> bool {
    match encoding {
        TextEncoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                true
            }
            Err(_) => {
                out.push_str(&String::from_utf8_lossy(bytes));
                false
            }
        },
        TextEncoding::Windows1252 => {
            if bytes.is_ascii() {
                // ASCII is the same in both; skip the decoder on the hot path.
                out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
            } else {
                out.push_str(&encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0);
            }
            true
        }
    }
}

/// Finds the line a record starts on. The csv crate's own record positions
/// are taken before blank lines and the `\n` of a CRLF are skipped, so they
/// run behind; this reads the file alongside and counts line ends itself.
struct LineCounter {
    reader: BufReader<File>,
    offset: u64,
    line: u64,
}

impl LineCounter {
    fn new(file: File, start: u64) -> std::io::Result<LineCounter> {
        let mut reader = BufReader::with_capacity(1 << 16, file);
        reader.seek(SeekFrom::Start(start))?;
        Ok(LineCounter { reader, offset: 0, line: 1 })
    }

    /// The line of the record whose csv position is byte `start` (relative to `new`'s start).
    fn line_at(&mut self, start: u64) -> std::io::Result<u64> {
        while self.offset < start {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let n = buf.len().min(usize::try_from(start - self.offset).unwrap_or(usize::MAX));
            self.line += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            self.reader.consume(n);
            self.offset += n as u64;
        }
        loop {
            let buf = self.reader.fill_buf()?;
            match buf.first() {
                Some(b'\n') => self.line += 1,
                Some(b'\r') => {}
                _ => break,
            }
            self.reader.consume(1);
            self.offset += 1;
        }
        Ok(self.line)
    }
}

fn read_csv(path: &Path, header_tx: &SyncSender<HeaderResult>, producer: &mut Producer) -> Result<(), ReadError> {
    let err = unreadable(path);
    let mut file = File::open(path).map_err(|e| err(e.to_string()))?;
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut file).take(SNIFF_BYTES as u64).read_to_end(&mut head).map_err(|e| err(e.to_string()))?;
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let body = if bom { &head[3..] } else { &head[..] };
    let (encoding, encoding_name) = if bom {
        (TextEncoding::Utf8, "utf-8-bom")
    } else if is_utf8_prefix(body) {
        (TextEncoding::Utf8, "utf-8")
    } else {
        (TextEncoding::Windows1252, "windows-1252")
    };
    let first_line = body.split(|&b| b == b'\n').next().unwrap_or(body);
    let delimiter = detect_delimiter(first_line);
    let body_start = if bom { 3 } else { 0 };
    file.seek(SeekFrom::Start(body_start)).map_err(|e| err(e.to_string()))?;
    let mut lines = File::open(path)
        .and_then(|f| LineCounter::new(f, body_start))
        .map_err(|e| err(e.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 20)
        .from_reader(file);
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(|e| err(e.to_string()))? {
        return Err(ReadError::NoHeader(path.to_owned()));
    }
    let headers: Vec<String> = record
        .iter()
        .map(|f| {
            let mut s = String::new();
            decode_into(f, encoding, &mut s);
            clean_header(&s)
        })
        .collect();
    if headers.iter().all(String::is_empty) {
        return Err(ReadError::NoHeader(path.to_owned()));
    }
    let info = SourceInfo {
        format: "csv",
        encoding: Some(encoding_name),
        delimiter: Some(char::from(delimiter)),
        sheet: None,
    };
    if header_tx.send(Ok((headers, info))).is_err() {
        return Ok(());
    }
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
        let line = lines.line_at(start).map_err(|e| err(e.to_string()))?;
        let row = producer.row(line);
        for (i, field) in record.iter().enumerate() {
            row.fields.push(String::new());
            let ok = decode_into(field, encoding, row.fields.last_mut().unwrap_or(&mut String::new()));
            if !ok && row.bad_encoding.is_none() {
                row.bad_encoding = Some(i);
            }
        }
        if row.is_blank() && row.fields.len() <= 1 {
            producer.unrow();
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
    let mut workbook: Xlsx<BufReader<File>> = open_workbook(path).map_err(|e: calamine::XlsxError| err(e.to_string()))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(s))
            .cloned()
            .ok_or_else(|| err(format!("no sheet {s:?}; the workbook has {}", names.join(", "))))?,
        None => names.first().cloned().ok_or_else(|| err("the workbook has no sheets".into()))?,
    };
    let mut cells = workbook.worksheet_cells_reader(&name).map_err(|e| err(e.to_string()))?;
    let mut headers: Vec<String> = Vec::new();
    let mut header_row = None;
    let mut current_row: Option<u32> = None;
    let mut sent_header = false;
    let mut text = String::new();
    loop {
        let cell = cells.next_cell().map_err(|e| err(e.to_string()))?;
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        let c = c as usize;
        text.clear();
        cell_text(cell.get_value(), &mut text);
        if header_row.is_none_or(|h| h == r) && !sent_header {
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
            let info = SourceInfo { format: "xlsx", encoding: None, delimiter: None, sheet: Some(name.clone()) };
            if header_tx.send(Ok((headers.clone(), info))).is_err() {
                return Ok(());
            }
        }
        if current_row != Some(r) {
            if current_row.is_some() {
                if producer.chunk[producer.used - 1].is_blank() {
                    producer.unrow();
                }
                if !producer.flush(false) {
                    return Ok(());
                }
            }
            current_row = Some(r);
            let row = producer.row(u64::from(r) + 1);
            row.fields.resize(headers.len(), String::new());
        }
        let row = &mut producer.chunk[producer.used - 1];
        if c >= row.fields.len() {
            row.fields.resize(c + 1, String::new());
        }
        row.fields[c].push_str(&text);
    }
    if !sent_header {
        if headers.is_empty() {
            return Err(ReadError::NoHeader(path.to_owned()));
        }
        let info = SourceInfo { format: "xlsx", encoding: None, delimiter: None, sheet: Some(name) };
        let _ = header_tx.send(Ok((headers, info)));
    } else if current_row.is_some() && producer.chunk[producer.used - 1].is_blank() {
        producer.unrow();
    }
    Ok(())
}

fn read_parquet(path: &Path, header_tx: &SyncSender<HeaderResult>, producer: &mut Producer) -> Result<(), ReadError> {
    let err = unreadable(path);
    let file = File::open(path).map_err(|e| err(e.to_string()))?;
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| err(e.to_string()))?
        .with_batch_size(8192)
        .build()
        .map_err(|e| err(e.to_string()))?;
    let headers: Vec<String> = reader.schema().fields().iter().map(|f| clean_header(f.name())).collect();
    if headers.is_empty() {
        return Err(ReadError::NoHeader(path.to_owned()));
    }
    let info = SourceInfo { format: "parquet", encoding: None, delimiter: None, sheet: None };
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
                    .and_then(|a| a.as_any().downcast_ref::<StringArray>().cloned().ok_or_else(|| err("cast".into())))
            })
            .collect::<Result<_, _>>()?;
        for i in 0..batch.num_rows() {
            line += 1;
            let row = producer.row(line);
            for column in &columns {
                row.fields.push(if column.is_null(i) { String::new() } else { column.value(i).to_owned() });
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
    fn utf8_prefix_allows_a_cut_sequence() {
        assert!(is_utf8_prefix("Päivä".as_bytes()));
        assert!(is_utf8_prefix(&"ä".as_bytes()[..1]));
        assert!(!is_utf8_prefix(b"P\xe4iv\xe4"));
    }
}
