//! XLSX workbooks: the sheet chosen, its cells as text, streamed in chunks.

use super::*;

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

pub(super) fn read_xlsx(
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
