//! CSV and other delimited text as Finnish Excel writes it: encoding (UTF-8
//! or Windows-1252) and delimiter detection, quoted records split into
//! fields, and the reader loop that streams them in chunks.

use super::*;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum TextEncoding {
    Utf8,
    Windows1252,
}

/// Whether `bytes` is UTF-8, allowing a sequence cut off at the end.
pub(super) fn is_utf8_prefix(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    }
}

/// The delimiter that splits the header line most: `;` wins ties, as Finnish Excel uses it.
pub(super) fn detect_delimiter(first_line: &[u8]) -> u8 {
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
pub(super) const CP1252_80_9F: [char; 32] = [
    '\u{20ac}', '\u{81}', '\u{201a}', '\u{192}', '\u{201e}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{2c6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8d}', '\u{17d}', '\u{8f}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201c}', '\u{201d}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{2dc}', '\u{2122}', '\u{161}', '\u{203a}', '\u{153}', '\u{9d}', '\u{17e}', '\u{178}',
];

/// CSV records parsed by csv-core straight from the file's bytes into the
/// caller's buffers (no copy through an intermediate record), with the line
/// each record starts on: blank lines and the `\n` of a CRLF, which the
/// parser skips before a record, count as the lines they are.
pub(super) struct Records {
    pub(super) file: File,
    pub(super) core: csv_core::Reader,
    pub(super) delimiter: u8,
    pub(super) input: Vec<u8>,
    pub(super) pos: usize,
    pub(super) len: usize,
    pub(super) eof: bool,
    /// Lines read by [`Records::next_plain`], which csv-core did not count.
    pub(super) plain_lines: u64,
    /// Whether plain lines are split without csv-core (off only in tests).
    pub(super) plain: bool,
    /// csv-core's output buffers.
    pub(super) core_out: Vec<u8>,
    pub(super) core_ends: Vec<usize>,
}

impl Records {
    pub(super) fn new(file: File, delimiter: u8) -> Records {
        Records::with_buffer(file, delimiter, 1 << 20)
    }

    /// A reader that takes `buffer` bytes of the file at a time.
    pub(super) fn with_buffer(file: File, delimiter: u8, buffer: usize) -> Records {
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
    pub(super) fn line(&self) -> u64 {
        self.core.line() + self.plain_lines
    }

    /// Reads the next record if it is one plain line: no quote, no
    /// carriage return but the one before its `\n`, not blank. Such a
    /// record is kept as it stands, with one copy, and split eight bytes
    /// at a time, where csv-core steps through a state machine byte by byte
    /// and copies field by field; anything else is left to csv-core, and
    /// the records come out the same either way.
    pub(super) fn next_plain(
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
    pub(super) fn next(
        &mut self,
        out: &mut Vec<u8>,
        ends: &mut Vec<usize>,
    ) -> std::io::Result<Option<u64>> {
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
    pub(super) fn next_core(
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
pub(super) const SEPARATOR: u8 = 0x1f;

/// The fields of a record that [`Records::next`] read: each ends where
/// `ends` says, and the next starts one (separating) byte later.
pub(super) fn fields<'a>(
    bytes: &'a [u8],
    ends: &'a [usize],
) -> impl Iterator<Item = &'a [u8]> + 'a {
    fields_apart(bytes, ends, 1)
}

/// The fields of `bytes` that end where `ends` says, each `gap` bytes
/// after the one before (csv-core leaves none between them).
pub(super) fn fields_apart<'a>(
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
pub(super) fn split_plain(line: &[u8], delimiter: u8, ends: &mut Vec<usize>) -> bool {
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
pub(super) fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
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
pub(super) fn push_cp1252(b: u8, out: &mut Vec<u8>) -> usize {
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
pub(super) fn cp1252_into(bytes: &[u8], out: &mut Vec<u8>) {
    cp1252_record(bytes, &mut [], out);
}

/// A Windows-1252 record (its fields' bytes and `ends`) as UTF-8 into
/// `out`, in one pass over the record: `ends` move by the bytes each
/// non-ASCII character grew by before them.
pub(super) fn cp1252_record(bytes: &[u8], ends: &mut [usize], out: &mut Vec<u8>) {
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
pub(super) fn decode(field: &[u8], encoding: TextEncoding) -> String {
    match encoding {
        TextEncoding::Utf8 => String::from_utf8_lossy(field).into_owned(),
        TextEncoding::Windows1252 => {
            let mut out = Vec::with_capacity(field.len() + 8);
            cp1252_into(field, &mut out);
            String::from_utf8(out).unwrap_or_default()
        }
    }
}

pub(super) fn read_csv(
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
        other_sheets: Vec::new(),
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
