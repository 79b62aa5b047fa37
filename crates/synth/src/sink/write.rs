//! Writing rendered rows out: CSV lines as they go, in the mapping's
//! delimiter and encoding, and XLSX workbooks when the sink is finished.

use super::{Cell, Sink, write_err};
use crate::{DirtyRow, FileEntry, SynthError};
use peitto_mapping::{DateStyle, Encoding, FileFormat, Mapping, TableMapping};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Where a sink's rows go.
pub(super) enum Out {
    Csv {
        file: BufWriter<File>,
        line: Vec<u8>,
        delimiter: u8,
        cp1252: bool,
    },
    Xlsx {
        sheet: String,
        date_format: rust_xlsxwriter::Format,
    },
}
impl Out {
    /// Opens the output of `table` at `path`: a CSV file with its byte-order
    /// mark if the mapping has one, or a workbook kept until the end.
    pub(super) fn create(
        path: &Path,
        mapping: &Mapping,
        table: &TableMapping,
    ) -> Result<Out, SynthError> {
        Ok(match table.file_format {
            FileFormat::Csv => {
                let file = File::create(path).map_err(|e| write_err(path)(e.to_string()))?;
                let mut file = BufWriter::with_capacity(1 << 20, file);
                if mapping.format.encoding == Encoding::Utf8Bom {
                    file.write_all(b"\xEF\xBB\xBF")
                        .map_err(|e| write_err(path)(e.to_string()))?;
                }
                Out::Csv {
                    file,
                    line: Vec::with_capacity(256),
                    delimiter: u8::try_from(mapping.format.delimiter).unwrap_or(b';'),
                    cp1252: mapping.format.encoding == Encoding::Windows1252,
                }
            }
            FileFormat::Xlsx => Out::Xlsx {
                sheet: table.sheet.clone().unwrap_or_else(|| table.file.clone()),
                date_format: rust_xlsxwriter::Format::new().set_num_format(
                    match mapping.format.date_style {
                        DateStyle::Finnish => "d.m.yyyy",
                        DateStyle::Iso => "yyyy-mm-dd",
                    },
                ),
            },
        })
    }
}

impl Sink {
    pub(super) fn emit(&mut self, cells: &[Cell]) -> Result<(), SynthError> {
        let err = write_err(&self.path);
        match &mut self.out {
            Out::Csv {
                file,
                line,
                delimiter,
                cp1252,
            } => {
                line.clear();
                for (i, cell) in cells.iter().enumerate() {
                    if i > 0 {
                        line.push(*delimiter);
                    }
                    let text = match cell {
                        Cell::Empty => String::new(),
                        Cell::Text(t) => t.clone(),
                        Cell::Number(n) => n.to_string(),
                        Cell::Date(d) => d.to_string(),
                        Cell::Raw(bytes) => {
                            line.extend_from_slice(bytes);
                            continue;
                        }
                    };
                    let needs_quotes = text
                        .bytes()
                        .any(|b| b == *delimiter || b == b'"' || b == b'\n' || b == b'\r');
                    let text = if needs_quotes {
                        format!("\"{}\"", text.replace('"', "\"\""))
                    } else {
                        text
                    };
                    if *cp1252 {
                        line.extend_from_slice(&encoding_rs::WINDOWS_1252.encode(&text).0);
                    } else {
                        line.extend_from_slice(text.as_bytes());
                    }
                }
                line.extend_from_slice(b"\r\n");
                file.write_all(line).map_err(|e| err(e.to_string()))
            }
            Out::Xlsx { .. } => {
                self.xlsx_rows.push(cells.to_vec());
                Ok(())
            }
        }
    }

    /// Finishes the file. A sheet holds at most 1 048 576 rows, so a
    /// larger XLSX extract is split into numbered workbooks (`name-2.xlsx`,
    /// …), each with the header, as an export would have to be.
    pub fn finish(self) -> Result<Vec<FileEntry>, SynthError> {
        self.finish_split(SHEET_DATA_ROWS)
    }

    /// [`Sink::finish`] with at most `per_sheet` data rows a workbook.
    pub(super) fn finish_split(self, per_sheet: usize) -> Result<Vec<FileEntry>, SynthError> {
        let err = write_err(&self.path);
        let entry = |relative: String, rows: u64, dirty: Vec<DirtyRow>| FileEntry {
            path: relative,
            mapping: self.mapping_id.clone(),
            table: self.table.table.name.to_owned(),
            rows,
            dirty,
        };
        match self.out {
            Out::Csv { mut file, .. } => {
                file.flush().map_err(|e| err(e.to_string()))?;
                Ok(vec![entry(
                    self.relative.clone(),
                    self.rows,
                    self.dirty.clone(),
                )])
            }
            Out::Xlsx { sheet, date_format } => {
                let Some((header, data)) = self.xlsx_rows.split_first() else {
                    return Ok(Vec::new());
                };
                let mut files = Vec::new();
                let parts: Vec<&[Vec<Cell>]> = if data.is_empty() {
                    vec![data]
                } else {
                    data.chunks(per_sheet).collect()
                };
                for (part, rows) in parts.into_iter().enumerate() {
                    let (relative, path) = if part == 0 {
                        (self.relative.clone(), self.path.clone())
                    } else {
                        let stem = self.relative.trim_end_matches(".xlsx");
                        let relative = format!("{stem}-{}.xlsx", part + 1);
                        let path = self
                            .path
                            .with_file_name(Path::new(&relative).file_name().unwrap_or_default());
                        (relative, path)
                    };
                    let mut book = rust_xlsxwriter::Workbook::new();
                    // A fixed creation time keeps the bytes the same for the same seed.
                    let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 15)
                        .map_err(|e| err(e.to_string()))?;
                    book.set_properties(
                        &rust_xlsxwriter::DocProperties::new().set_creation_datetime(&created),
                    );
                    let ws = book.add_worksheet();
                    ws.set_name(&sheet).map_err(|e| err(e.to_string()))?;
                    for (r, row) in std::iter::once(header).chain(rows).enumerate() {
                        let r = u32::try_from(r).map_err(|e| err(e.to_string()))?;
                        for (c, cell) in row.iter().enumerate() {
                            let c = u16::try_from(c).map_err(|e| err(e.to_string()))?;
                            match cell {
                                Cell::Empty => {}
                                Cell::Text(t) => {
                                    ws.write_string(r, c, t).map_err(|e| err(e.to_string()))?;
                                }
                                Cell::Raw(b) => {
                                    ws.write_string(r, c, String::from_utf8_lossy(b))
                                        .map_err(|e| err(e.to_string()))?;
                                }
                                Cell::Number(n) => {
                                    ws.write_number(r, c, *n).map_err(|e| err(e.to_string()))?;
                                }
                                Cell::Date(d) => {
                                    let (y, m, day) = d.ymd();
                                    let dt = rust_xlsxwriter::ExcelDateTime::from_ymd(
                                        u16::try_from(y).unwrap_or(1900),
                                        u8::try_from(m).unwrap_or(1),
                                        u8::try_from(day).unwrap_or(1),
                                    )
                                    .map_err(|e| err(e.to_string()))?;
                                    ws.write_datetime_with_format(r, c, &dt, &date_format)
                                        .map_err(|e| err(e.to_string()))?;
                                }
                            }
                        }
                    }
                    book.save(&path).map_err(|e| err(e.to_string()))?;
                    // Dirty rows renumbered within their part (the header is row 1).
                    let first = (part * per_sheet) as u64;
                    let dirty = self
                        .dirty
                        .iter()
                        .filter(|d| (first + 2..first + 2 + rows.len() as u64).contains(&d.row))
                        .map(|d| DirtyRow {
                            row: d.row - first,
                            reason: d.reason,
                        })
                        .collect();
                    files.push(entry(relative, rows.len() as u64, dirty));
                }
                Ok(files)
            }
        }
    }
}

/// Data rows a worksheet holds under its header (Excel's limit is 1 048 576 rows).
const SHEET_DATA_ROWS: usize = 1_048_575;
