//! Readers: CSV as Finnish Excel writes it, XLSX and Parquet, each streamed
//! from a reader thread in chunks of rows, so memory stays bounded whatever
//! the file size and parsing overlaps with validation.

use crate::pxweb::{self, Skipped};
use arrow::array::{Array, RecordBatchReader, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use calamine::{DataRef, Reader, Xlsx, open_workbook};
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

/// CSV records parsed by csv-core straight from the file's bytes into the
/// caller's buffers (no copy through an intermediate record), with the line
/// each record starts on: blank lines and the `\n` of a CRLF, which the
/// parser skips before a record, count as the lines they are.
struct Records {
    file: File,
    core: csv_core::Reader,
    delimiter: u8,
    input: Vec<u8>,
    pos: usize,
    len: usize,
    eof: bool,
    /// Lines read by [`Records::next_plain`], which csv-core did not count.
    plain_lines: u64,
    /// Whether plain lines are split without csv-core (off only in tests).
    plain: bool,
    /// csv-core's output buffers.
    core_out: Vec<u8>,
    core_ends: Vec<usize>,
}

impl Records {
    fn new(file: File, delimiter: u8) -> Records {
        Records::with_buffer(file, delimiter, 1 << 20)
    }

    /// A reader that takes `buffer` bytes of the file at a time.
    fn with_buffer(file: File, delimiter: u8, buffer: usize) -> Records {
        Records {
            file,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            input: vec![0; buffer],
            pos: 0,
            len: 0,
            eof: false,
            plain_lines: 0,
            plain: true,
            core_out: Vec::new(),
            core_ends: Vec::new(),
        }
    }

    /// The line the parser has reached.
    fn line(&self) -> u64 {
        self.core.line() + self.plain_lines
    }

    /// Reads the next record if it is one plain line: no quote, no
    /// carriage return but the one before its `\n`, not blank. Such a
    /// record is kept as it stands, with one copy, and split eight bytes
    /// at a time, where csv-core steps through a state machine byte by byte
    /// and copies field by field; anything else is left to csv-core, and
    /// the records come out the same either way.
    fn next_plain(
        &mut self,
        out: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> std::io::Result<Option<u64>> {
        // csv-core stops a CRLF record after its `\r`: its `\n` ends that line.
        if self.pos > 0
            && self.pos < self.len
            && self.input[self.pos] == b'\n'
            && self.input[self.pos - 1] == b'\r'
        {
            self.pos += 1;
            self.plain_lines += 1;
        }
        let newline = loop {
            if let Some(at) = memchr::memchr(b'\n', &self.input[self.pos..self.len]) {
                break at;
            }
            if self.eof || (self.pos == 0 && self.len == self.input.len()) {
                return Ok(None);
            }
            // The line goes on past the buffer: move it to the front and read more.
            self.input.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.pos = 0;
            let n = self.file.read(&mut self.input[self.len..])?;
            self.len += n;
            self.eof = n == 0;
        };
        let line = &self.input[self.pos..self.pos + newline];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return Ok(None);
        }
        ends.clear();
        if !split_plain(line, self.delimiter, ends) {
            return Ok(None);
        }
        out.clear();
        out.extend_from_slice(line);
        self.pos += newline + 1;
        let record_line = self.line();
        self.plain_lines += 1;
        Ok(Some(record_line))
    }

    /// Reads the next record into `out`, its fields as [`fields`] finds
    /// them, where each ends into `ends`. Returns the record's line, or
    /// `None` at the end of the file.
    fn next(&mut self, out: &mut Vec<u8>, ends: &mut Vec<usize>) -> std::io::Result<Option<u64>> {
        if self.plain
            && let Some(line) = self.next_plain(out, ends)?
        {
            return Ok(Some(line));
        }
        let (mut out_core, mut ends_core) = (
            std::mem::take(&mut self.core_out),
            std::mem::take(&mut self.core_ends),
        );
        let line = self.next_core(&mut out_core, &mut ends_core);
        if let Ok(Some(_)) = line {
            // The fields one after another, as csv-core unquoted them, with a separating byte.
            out.clear();
            ends.clear();
            for field in fields_apart(&out_core, &ends_core, 0) {
                if !ends.is_empty() {
                    out.push(SEPARATOR);
                }
                out.extend_from_slice(field);
                ends.push(out.len());
            }
        }
        self.core_out = out_core;
        self.core_ends = ends_core;
        line
    }

    /// Reads the next record with csv-core: its fields' bytes one after
    /// another, with no byte between them, into `out`, where each ends into
    /// `ends`.
    fn next_core(
        &mut self,
        out: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> std::io::Result<Option<u64>> {
        use csv_core::ReadRecordResult;
        // csv-core writes into slices: lend it the buffers' whole capacity.
        out.resize(out.capacity().max(256), 0);
        ends.resize(ends.capacity().max(16), 0);
        let (mut n_out, mut n_ends) = (0, 0);
        let mut first_line = None;
        loop {
            if self.pos == self.len && !self.eof {
                self.len = self.file.read(&mut self.input)?;
                self.pos = 0;
                self.eof = self.len == 0;
            }
            let input = &self.input[self.pos..self.len];
            // csv-core counts every `\n` it consumes, quoted ones too.
            let line_before = self.line();
            let (result, n_in, o, e) =
                self.core
                    .read_record(input, &mut out[n_out..], &mut ends[n_ends..]);
            if first_line.is_none() {
                let consumed = &input[..n_in];
                if let Some(content) = consumed.iter().position(|&b| b != b'\n' && b != b'\r') {
                    let skipped = consumed[..content].iter().filter(|&&b| b == b'\n').count();
                    first_line = Some(line_before + skipped as u64);
                }
            }
            self.pos += n_in;
            n_out += o;
            n_ends += e;
            match result {
                ReadRecordResult::InputEmpty if self.eof && input.is_empty() => {
                    return Ok(None);
                }
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => out.resize(out.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
                ReadRecordResult::Record => {
                    out.truncate(n_out);
                    ends.truncate(n_ends);
                    return Ok(Some(first_line.unwrap_or_else(|| self.line())));
                }
                ReadRecordResult::End => {
                    out.clear();
                    ends.clear();
                    return Ok(None);
                }
            }
        }
    }
}

/// The byte between two fields that are not a CSV line as it stands.
const SEPARATOR: u8 = 0x1f;

/// The fields of a record that [`Records::next`] read: each ends where
/// `ends` says, and the next starts one (separating) byte later.
fn fields<'a>(bytes: &'a [u8], ends: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    fields_apart(bytes, ends, 1)
}

/// The fields of `bytes` that end where `ends` says, each `gap` bytes
/// after the one before (csv-core leaves none between them).
fn fields_apart<'a>(
    bytes: &'a [u8],
    ends: &'a [usize],
    gap: usize,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    ends.iter().scan(0, move |start, &end| {
        let field = bytes.get(*start..end);
        *start = end + gap;
        field
    })
}

/// Adds the field ends of a plain line to `ends`: at each delimiter, and at
/// the end. Returns `false`, and `ends` is to be discarded, when the line
/// has a quote or a carriage return, which only csv-core reads right.
/// Eight bytes are looked at a time.
fn split_plain(line: &[u8], delimiter: u8, ends: &mut Vec<usize>) -> bool {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The bytes of `word` equal to `byte`, as their high bits (exactly:
    // no carry crosses from one byte to the next).
    let equal = |word: u64, byte: u8| {
        let x = word ^ (LOW * u64::from(byte));
        !(((x & !HIGH) + !HIGH) | x) & HIGH
    };
    let mut words = line.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let w = u64::from_le_bytes(w);
        if equal(w, b'"') | equal(w, b'\r') != 0 {
            return false;
        }
        let mut found = equal(w, delimiter);
        while found != 0 {
            ends.push(at + found.trailing_zeros() as usize / 8);
            found &= found - 1;
        }
        at += 8;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        if b == b'"' || b == b'\r' {
            return false;
        }
        if b == delimiter {
            ends.push(at + i);
        }
    }
    ends.push(line.len());
    true
}

/// The first byte of `bytes` outside ASCII, looked for a word at a time.
fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        let high = u64::from_le_bytes(w) & HIGH;
        if high != 0 {
            return Some(at + high.trailing_zeros() as usize / 8);
        }
        at += 8;
    }
    words
        .remainder()
        .iter()
        .position(|b| !b.is_ascii())
        .map(|i| at + i)
}

/// One Windows-1252 byte as UTF-8 into `out`; returns the bytes added beyond one.
fn push_cp1252(b: u8, out: &mut Vec<u8>) -> usize {
    match b {
        0x80..=0x9f => {
            let mut utf8 = [0u8; 4];
            let encoded = CP1252_80_9F[usize::from(b - 0x80)]
                .encode_utf8(&mut utf8)
                .as_bytes();
            out.extend_from_slice(encoded);
            encoded.len() - 1
        }
        // Latin-1 (ä, ö, å, é): two bytes pushed as they are, where a copy
        // of a slice would call `memcpy` for each letter.
        _ => {
            out.push(0xc0 | (b >> 6));
            out.push(0x80 | (b & 0x3f));
            1
        }
    }
}

/// Appends Windows-1252 `bytes` to `out` as UTF-8.
fn cp1252_into(bytes: &[u8], out: &mut Vec<u8>) {
    cp1252_record(bytes, &mut [], out);
}

/// A Windows-1252 record (its fields' bytes and `ends`) as UTF-8 into
/// `out`, in one pass over the record: `ends` move by the bytes each
/// non-ASCII character grew by before them.
fn cp1252_record(bytes: &[u8], ends: &mut [usize], out: &mut Vec<u8>) {
    let (mut start, mut grown, mut field) = (0, 0, 0);
    while let Some(i) = first_non_ascii(&bytes[start..]) {
        let at = start + i;
        out.extend_from_slice(&bytes[start..at]);
        while field < ends.len() && ends[field] <= at {
            ends[field] += grown;
            field += 1;
        }
        grown += push_cp1252(bytes[at], out);
        start = at + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    for end in &mut ends[field..] {
        *end += grown;
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
    let mut records = Records::new(file, delimiter);
    let (mut bytes, mut ends) = (Vec::new(), Vec::new());
    let broken =
        |records: &Records, e: std::io::Error| err(format!("line {}: {e}", records.line()));
    let mut next_texts =
        |bytes: &mut Vec<u8>, ends: &mut Vec<usize>| -> Result<Option<Vec<String>>, ReadError> {
            loop {
                if records
                    .next(bytes, ends)
                    .map_err(|e| broken(&records, e))?
                    .is_none()
                {
                    return Ok(None);
                }
                let texts: Vec<String> = fields(bytes, ends)
                    .map(|f| clean_header(&decode(f, encoding)))
                    .collect();
                if !texts.iter().all(String::is_empty) {
                    return Ok(Some(texts));
                }
            }
        };
    let Some(mut headers) = next_texts(&mut bytes, &mut ends)? else {
        return Err(ReadError::NoHeader(path.to_owned()));
    };
    let mut title = None;
    // A single text above the header is a title (PxWeb's "with heading" downloads).
    if headers.iter().filter(|h| !h.is_empty()).count() == 1 {
        match next_texts(&mut bytes, &mut ends)? {
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
    let mut scratch = Vec::new();
    loop {
        if let Some(layout) = &layout {
            let Some(line) = records
                .next(&mut bytes, &mut ends)
                .map_err(|e| broken(&records, e))?
            else {
                return Ok(());
            };
            // Each cell of the table becomes a row of the long form, on the cell's line.
            let texts: Vec<String> = fields(&bytes, &ends).map(|f| decode(f, encoding)).collect();
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
            // The record is parsed straight into the row that keeps it.
            let row = producer.row(0);
            let (mut row_bytes, mut row_ends) = row.take_buffers();
            let Some(line) = records
                .next(&mut row_bytes, &mut row_ends)
                .map_err(|e| broken(&records, e))?
            else {
                producer.unrow();
                return Ok(());
            };
            let row = producer.last_row();
            row.line = line;
            row.set_fields(row_bytes, row_ends, encoding, &mut scratch);
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

    /// Parses `text` with [`Records`] and decodes each record as a row.
    fn parse(text: &[u8], encoding: TextEncoding) -> Vec<RawRow> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, text).unwrap();
        let mut records = Records::new(File::open(&path).unwrap(), b';');
        let mut rows = Vec::new();
        let mut scratch = Vec::new();
        loop {
            let mut row = RawRow::default();
            let (mut bytes, mut ends) = row.take_buffers();
            let Some(line) = records.next(&mut bytes, &mut ends).unwrap() else {
                return rows;
            };
            row.line = line;
            row.set_fields(bytes, ends, encoding, &mut scratch);
            rows.push(row);
        }
    }

    #[test]
    fn records_keep_fields_and_lines_in_both_encodings() {
        let text = b"L1;J\xe4rvinen \x80;;285\r\n\r\n\"a;\nb\";x\nlast";
        let rows = parse(text, TextEncoding::Windows1252);
        let fields: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().collect()).collect();
        assert_eq!(
            fields,
            [
                vec!["L1", "Järvinen €", "", "285"],
                vec!["a;\nb", "x"],
                vec!["last"]
            ]
        );
        // A blank line and a line break inside quotes count as lines.
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3, 5]);
        assert!(rows.iter().all(|r| r.bad_encoding.is_none()));
        // The same bytes are not UTF-8: the bad field is named, the others kept.
        let rows = parse(text, TextEncoding::Utf8);
        assert_eq!(rows[0].bad_encoding, Some(1));
        assert_eq!(rows[0].get(0), Some("L1"));
        assert_eq!(rows[0].get(3), Some("285"));
        assert_eq!(rows[0].len(), 4);
        assert_eq!(rows[1].bad_encoding, None);
        let rows = parse("Åsa; ;Öst\n".as_bytes(), TextEncoding::Utf8);
        assert_eq!(rows[0].iter().collect::<Vec<_>>(), ["Åsa", " ", "Öst"]);
        assert!(!rows[0].is_blank());
        assert!(RawRow::from_fields(4, &[" ", "", "\u{a0}"]).is_blank());
    }

    #[test]
    fn plain_lines_and_csv_core_read_the_same_records() {
        // Records and their lines as csv-core alone reads them.
        fn read(path: &Path, buffer: usize, plain: bool) -> Vec<(u64, Vec<Vec<u8>>)> {
            let mut records = Records::with_buffer(File::open(path).unwrap(), b';', buffer);
            records.plain = plain;
            let mut got = Vec::new();
            let (mut bytes, mut ends) = (Vec::new(), Vec::new());
            while let Some(line) = records.next(&mut bytes, &mut ends).unwrap() {
                got.push((line, fields(&bytes, &ends).map(<[u8]>::to_vec).collect()));
            }
            got
        }
        let pieces: [&[u8]; 12] = [
            b"L1",
            b";",
            b";;",
            b"\r\n",
            b"\n",
            b"\r",
            b"\"q;\"\"x\"",
            b"a\"b",
            b" ",
            b"\xe4",
            b"\"two\nlines\"",
            b"285",
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for case in 0..400 {
            let mut text = Vec::new();
            for _ in 0..(case % 60) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.extend_from_slice(pieces[(state % 12) as usize]);
                // Mostly whole plain lines, as exports are.
                if state.is_multiple_of(3) {
                    text.extend_from_slice(b"L2;S1;2,5;1.1.2024\n");
                }
            }
            std::fs::write(&path, &text).unwrap();
            let expected = read(&path, 1 << 20, false);
            for buffer in [5, 64, 1 << 20] {
                assert_eq!(
                    read(&path, buffer, true),
                    expected,
                    "{:?} in blocks of {buffer}",
                    String::from_utf8_lossy(&text)
                );
            }
        }
        // Plain lines, CRLF ones too, never reach csv-core.
        std::fs::write(&path, b"a;b\nc;d\r\ne\r\n").unwrap();
        let mut records = Records::new(File::open(&path).unwrap(), b';');
        let (mut bytes, mut ends) = (Vec::new(), Vec::new());
        while records.next(&mut bytes, &mut ends).unwrap().is_some() {}
        assert_eq!((records.plain_lines, records.core.line()), (3, 1));
    }

    #[test]
    fn long_records_grow_the_buffers() {
        let long = "x".repeat(5000);
        let line = vec![long.as_str(); 40].join(";");
        let rows = parse(format!("{line}\n{line}").as_bytes(), TextEncoding::Utf8);
        assert_eq!(rows.len(), 2);
        assert!(
            rows.iter()
                .all(|r| r.len() == 40 && r.iter().all(|f| f == long))
        );
        assert_eq!(rows[1].line, 2);
    }

    #[test]
    fn utf8_prefix_allows_a_cut_sequence() {
        assert!(is_utf8_prefix("Päivä".as_bytes()));
        assert!(is_utf8_prefix(&"ä".as_bytes()[..1]));
        assert!(!is_utf8_prefix(b"P\xe4iv\xe4"));
    }
}
