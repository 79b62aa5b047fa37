//! XLSX workbooks: the sheet chosen, its cells as text, streamed in chunks.

use super::*;
use calamine::{SheetType, SheetVisible};

/// 2^53: every whole number below it is exact in a double, not above.
const EXACT_BELOW: f64 = 9_007_199_254_740_992.0;

pub(super) fn cell_text(cell: &DataRef<'_>, out: &mut String) {
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

/// The most bytes one part of a workbook (a sheet, the shared strings)
/// may expand to.
const MAX_PART: u64 = 1 << 30;

/// Above this size a part may expand at most [`MAX_RATIO`] times its
/// packed size: XML of registers packs ten to twenty times, a bomb a
/// thousand.
const RATIO_FROM: u64 = 64 << 20;
const MAX_RATIO: u64 = 100;

/// Refuses a workbook whose parts, as its zip directory declares them,
/// expand beyond reason: the shared strings are read whole, and a 1.5 MB
/// workbook with one 1.5 GB string took 6.2 GB (an attacker's finding).
/// A file that is no zip is left to the workbook reader to name.
fn parts_within_bounds(path: &Path) -> Result<(), ReadError> {
    let Ok(file) = File::open(path) else {
        return Ok(());
    };
    let Ok(mut zip) = zip::ZipArchive::new(BufReader::new(file)) else {
        return Ok(());
    };
    for i in 0..zip.len() {
        let Ok(part) = zip.by_index_raw(i) else {
            continue;
        };
        let (size, packed) = (part.size(), part.compressed_size());
        if size > MAX_PART || (size > RATIO_FROM && size > packed.saturating_mul(MAX_RATIO)) {
            return Err(ReadError::PartTooLarge {
                file: path.to_owned(),
                part: part.name().map(|n| n.into_owned()).unwrap_or_default(),
            });
        }
    }
    Ok(())
}

pub(super) fn read_xlsx(
    path: &Path,
    sheet: Option<&str>,
    header_tx: &SyncSender<HeaderResult>,
    producer: &mut Producer,
) -> Result<(), ReadError> {
    let err = unreadable(path);
    parts_within_bounds(path)?;
    let mut workbook: Xlsx<BufReader<File>> =
        open_workbook(path).map_err(|e: calamine::XlsxError| err(e.to_string()))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(s))
            .cloned()
            .ok_or_else(|| ReadError::NoSheet {
                file: path.to_owned(),
                sheet: s.to_owned(),
                sheets: names.join(", "),
            })?,
        // The first visible worksheet: a hidden one is often an old copy.
        None => workbook
            .sheets_metadata()
            .iter()
            .find(|s| s.visible == SheetVisible::Visible && s.typ == SheetType::WorkSheet)
            .or_else(|| workbook.sheets_metadata().first())
            .map(|s| s.name.clone())
            .ok_or_else(|| err("the workbook has no sheets".into()))?,
    };
    let other_sheets: Vec<String> = names.iter().filter(|n| **n != name).cloned().collect();
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
    // The first field of the row that cannot be taken as it stands.
    let mut problem: Option<(usize, CellProblem)> = None;
    let emit = |producer: &mut Producer, line: u32, fields: &[String], problem| -> bool {
        let row = producer.row(u64::from(line) + 1);
        for f in fields {
            row.push_field(f);
        }
        row.cell_problem = problem;
        if row.is_blank() {
            producer.unrow();
        }
        producer.flush(false)
    };
    loop {
        // With formulas' metadata, in the same pass: a formula the workbook
        // holds no value of must not read as an empty cell.
        let cell = cells
            .next_cell_with_formula_metadata()
            .map_err(|e| err(e.to_string()))?;
        let Some(cell) = cell else { break };
        let (r, c) = cell.pos;
        let c = c as usize;
        let cell_problem = if cell.formula.is_some() && matches!(cell.value, DataRef::Empty) {
            Some(CellProblem::Uncalculated)
        } else if matches!(cell.value, DataRef::Float(f) if f.abs() >= EXACT_BELOW && f.fract() == 0.0)
        {
            Some(CellProblem::Inexact)
        } else {
            None
        };
        text.clear();
        cell_text(&cell.value, &mut text);
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
                other_sheets: other_sheets.clone(),
                title: None,
                layout: None,
            };
            if header_tx.send(Ok((headers.clone(), info))).is_err() {
                return Ok(());
            }
        }
        if current != Some(r) {
            if let Some(line) = current
                && !emit(producer, line, &fields, problem.take())
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
        if let Some(p) = cell_problem
            && problem.is_none()
        {
            problem = Some((c, p));
        }
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
            other_sheets,
            title: None,
            layout: None,
        };
        let _ = header_tx.send(Ok((headers, info)));
    } else if let Some(line) = current {
        emit(producer, line, &fields, problem.take());
    }
    Ok(())
}
