//! Tests of the readers.

use super::text::*;
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
