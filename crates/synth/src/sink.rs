//! Writing rows in a mapping's dialect, with a known share of dirty rows.

use crate::{DirtyRow, FileEntry, SynthError, people::Person};
use peitto_mapping::{
    DateStyle, Dropped, Encoding, FileFormat, Mapping, TableMapping, code_list_of,
};
use peitto_model::{Date, Kind};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// A canonical value before a dialect renders it.
#[derive(Debug, Clone)]
pub enum V {
    /// Empty.
    Null,
    /// A henkilötunnus.
    Hetu(String),
    /// A source record id.
    Id(String),
    /// A date.
    Date(Date),
    /// A whole number.
    Int(i64),
    /// Euros in cents.
    Euro(i64),
    /// Yes or no.
    Bool(bool),
    /// A canonical code.
    Code(&'static str),
    /// A municipality code.
    Muni(&'static str),
    /// Other text.
    Text(String),
}

/// A rendered cell.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(Date),
    /// Bytes that are not valid UTF-8 (an encoding fault).
    Raw(Vec<u8>),
}

/// The kinds of fault written, named as the ingest's rejection reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dirt {
    /// Wrong check character.
    HetuChecksum,
    /// Impossible birth date with a matching check character.
    HetuDate,
    /// A code cut short.
    HetuFormat,
    /// Individual number 001, never issued, with a matching check character.
    HetuIndividualNumber,
    /// 31 February.
    InvalidDate,
    /// End before start.
    PeriodEndBeforeStart,
    /// A code the mapping does not have.
    UnknownCode,
    /// A required value left empty.
    MissingValue,
    /// Text where a number belongs.
    InvalidNumber,
    /// A municipality name instead of its code.
    InvalidMunicipality,
    /// A yes/no column saying "maybe".
    InvalidBoolean,
    /// The previous row again.
    DuplicateKey,
    /// An extra field.
    FieldCount,
    /// A byte that is not UTF-8 in a UTF-8 file.
    InvalidEncoding,
}

const ALL_DIRT: [Dirt; 14] = [
    Dirt::HetuChecksum,
    Dirt::HetuDate,
    Dirt::HetuFormat,
    Dirt::HetuIndividualNumber,
    Dirt::InvalidDate,
    Dirt::PeriodEndBeforeStart,
    Dirt::UnknownCode,
    Dirt::MissingValue,
    Dirt::InvalidNumber,
    Dirt::InvalidMunicipality,
    Dirt::InvalidBoolean,
    Dirt::DuplicateKey,
    Dirt::FieldCount,
    Dirt::InvalidEncoding,
];

impl Dirt {
    /// The rejection reason the ingest reports for it.
    #[must_use]
    pub fn reason(self) -> &'static str {
        match self {
            Dirt::HetuChecksum => "hetu_checksum",
            Dirt::HetuDate => "hetu_date",
            Dirt::HetuFormat => "hetu_format",
            Dirt::HetuIndividualNumber => "hetu_individual_number",
            Dirt::InvalidDate => "invalid_date",
            Dirt::PeriodEndBeforeStart => "period_end_before_start",
            Dirt::UnknownCode => "unknown_code",
            Dirt::MissingValue => "missing_value",
            Dirt::InvalidNumber => "invalid_number",
            Dirt::InvalidMunicipality => "invalid_municipality",
            Dirt::InvalidBoolean => "invalid_boolean",
            Dirt::DuplicateKey => "duplicate_key",
            Dirt::FieldCount => "field_count",
            Dirt::InvalidEncoding => "invalid_encoding",
        }
    }
}

enum Out {
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

/// One output file of one table.
pub struct Sink {
    path: PathBuf,
    relative: String,
    mapping_id: String,
    table: TableMapping,
    mapping: Mapping,
    out: Out,
    /// Column order: (index into table.columns) or dropped column.
    order: Vec<Slot>,
    rows: u64,
    dirty: Vec<DirtyRow>,
    dirt_cursor: usize,
    previous_clean: Option<Vec<Cell>>,
    make_dirty: bool,
    xlsx_rows: Vec<Vec<Cell>>,
}

#[derive(Clone, Copy)]
enum Slot {
    Column(usize),
    Dropped(usize),
}

fn write_err(path: &Path) -> impl Fn(String) -> SynthError + '_ {
    move |message| SynthError::Write {
        path: path.to_owned(),
        message,
    }
}

impl Sink {
    /// A sink that writes `table` of `mapping` into `out/dir/`.
    pub fn create(
        out: &Path,
        dir: &str,
        mapping: &Mapping,
        table: &TableMapping,
    ) -> Result<Sink, SynthError> {
        let folder = out.join(dir);
        std::fs::create_dir_all(&folder).map_err(|e| write_err(&folder)(e.to_string()))?;
        let ext = match table.file_format {
            FileFormat::Csv => "csv",
            FileFormat::Xlsx => "xlsx",
        };
        let relative = format!("{dir}/{}.{ext}", table.file);
        let path = out.join(&relative);
        // Dropped columns stand right after the person, as client systems print them.
        let person_at = table
            .columns
            .iter()
            .position(|(_, c)| c.kind == Kind::Person)
            .map_or(0, |i| i + 1);
        let mut order: Vec<Slot> = (0..person_at).map(Slot::Column).collect();
        order.extend((0..table.dropped.len()).map(Slot::Dropped));
        order.extend((person_at..table.columns.len()).map(Slot::Column));
        let headers: Vec<String> = order
            .iter()
            .map(|s| match *s {
                Slot::Column(i) => table.columns[i].0.clone(),
                Slot::Dropped(i) => table.dropped[i].0.clone(),
            })
            .collect();
        let out = match table.file_format {
            FileFormat::Csv => {
                let file = File::create(&path).map_err(|e| write_err(&path)(e.to_string()))?;
                let mut file = BufWriter::with_capacity(1 << 20, file);
                if mapping.format.encoding == Encoding::Utf8Bom {
                    file.write_all(b"\xEF\xBB\xBF")
                        .map_err(|e| write_err(&path)(e.to_string()))?;
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
        };
        let mut sink = Sink {
            path,
            relative,
            mapping_id: mapping.id.clone(),
            table: table.clone(),
            mapping: mapping.clone(),
            out,
            order,
            rows: 0,
            dirty: Vec::new(),
            dirt_cursor: table.file.len() * 7 + mapping.id.len() * 3,
            previous_clean: None,
            make_dirty: mapping.id != "reference",
            xlsx_rows: Vec::new(),
        };
        let header_cells: Vec<Cell> = headers.into_iter().map(Cell::Text).collect();
        sink.emit(&header_cells)?;
        Ok(sink)
    }

    fn render(&self, column: usize, value: &V) -> Cell {
        let spec = self.table.columns[column].1;
        let xlsx = matches!(self.out, Out::Xlsx { .. });
        let decimal = self.mapping.format.decimal;
        let text = |s: String| Cell::Text(s);
        match value {
            V::Null => Cell::Empty,
            V::Hetu(s) | V::Id(s) | V::Text(s) => text(s.clone()),
            V::Muni(s) => text((*s).to_owned()),
            V::Date(d) if xlsx => Cell::Date(*d),
            V::Date(d) => text(match self.mapping.format.date_style {
                DateStyle::Finnish => d.to_finnish(),
                DateStyle::Iso => d.to_string(),
            }),
            V::Int(v) if xlsx => Cell::Number(*v as f64),
            V::Int(v) => match code_list_of(spec) {
                Some(list) => text(self.mapping.encode_code(list, &v.to_string()).to_owned()),
                None => text(v.to_string()),
            },
            V::Euro(c) if xlsx => Cell::Number(*c as f64 / 100.0),
            V::Euro(c) => {
                let sign = if *c < 0 { "-" } else { "" };
                text(format!(
                    "{sign}{}{decimal}{:02}",
                    c.abs() / 100,
                    c.abs() % 100
                ))
            }
            V::Bool(b) => text(self.mapping.bool_word(*b).to_owned()),
            V::Code(code) => match code_list_of(spec) {
                Some(list) => text(self.mapping.encode_code(list, code).to_owned()),
                None => text((*code).to_owned()),
            },
        }
    }

    /// Writes one row; `values` name model columns, the rest stay empty.
    pub fn row(
        &mut self,
        rng: &mut ChaCha8Rng,
        values: &[(&str, V)],
        person: &Person,
    ) -> Result<(), SynthError> {
        let mut cells: Vec<Cell> = Vec::with_capacity(self.order.len());
        for slot in &self.order {
            cells.push(match *slot {
                Slot::Column(i) => {
                    let name = self.table.columns[i].1.name;
                    values
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map_or(Cell::Empty, |(_, v)| self.render(i, v))
                }
                Slot::Dropped(i) => match self.table.dropped[i].1 {
                    Dropped::Name => Cell::Text(person.name.clone()),
                    Dropped::Address => Cell::Text(person.address.clone()),
                    Dropped::Phone => Cell::Text(person.phone.clone()),
                    Dropped::FreeText => Cell::Text(free_text(rng, &person.name)),
                },
            });
        }
        let index = self.rows;
        let dirty_here = self.make_dirty && (index == 2 || index % 97 == 50);
        if dirty_here {
            for attempt in 0..ALL_DIRT.len() {
                let dirt = ALL_DIRT[(self.dirt_cursor + attempt) % ALL_DIRT.len()];
                if dirt == Dirt::DuplicateKey {
                    // The clean row goes out, then an exact copy of it.
                    let Some(_) = self.previous_clean else {
                        continue;
                    };
                    self.emit_data(&cells)?;
                    self.previous_clean = Some(cells.clone());
                    // Data rows start on line 2, after the header.
                    self.dirty.push(DirtyRow {
                        row: self.rows + 2,
                        reason: dirt.reason(),
                    });
                    self.emit_data(&cells)?;
                    self.dirt_cursor += attempt + 1;
                    return Ok(());
                }
                if let Some(dirty) = self.apply(dirt, &cells) {
                    self.dirty.push(DirtyRow {
                        row: self.rows + 2,
                        reason: dirt.reason(),
                    });
                    self.emit_data(&dirty)?;
                    self.dirt_cursor += attempt + 1;
                    return Ok(());
                }
            }
        }
        self.emit_data(&cells)?;
        self.previous_clean = Some(cells);
        Ok(())
    }

    fn slot_of(
        &self,
        pred: impl Fn(&peitto_model::ColumnSpec) -> bool,
        cells: &[Cell],
    ) -> Option<usize> {
        self.order
            .iter()
            .position(|s| match *s {
                Slot::Column(i) => pred(self.table.columns[i].1),
                Slot::Dropped(_) => false,
            })
            .filter(|&p| cells[p] != Cell::Empty)
    }

    /// The row with `dirt` applied, or None if this row has nothing it applies to.
    fn apply(&self, dirt: Dirt, cells: &[Cell]) -> Option<Vec<Cell>> {
        let mut out = cells.to_vec();
        let utf8_csv = matches!(self.out, Out::Csv { cp1252: false, .. });
        match dirt {
            Dirt::HetuChecksum | Dirt::HetuDate | Dirt::HetuFormat | Dirt::HetuIndividualNumber => {
                let p = self.slot_of(|c| c.kind == Kind::Person, cells)?;
                let Cell::Text(code) = &cells[p] else {
                    return None;
                };
                out[p] = Cell::Text(match dirt {
                    Dirt::HetuChecksum => {
                        let last = code.chars().last()?;
                        let wrong = if last == 'X' { 'Y' } else { 'X' };
                        format!("{}{wrong}", &code[..10])
                    }
                    Dirt::HetuDate => {
                        // Day 32 with a check character that fits, so only the date is wrong.
                        let digits: u32 =
                            format!("32{}{}", &code[2..6], &code[7..10]).parse().ok()?;
                        format!("32{}{}", &code[2..10], peitto_hetu::check_char(digits))
                    }
                    Dirt::HetuIndividualNumber => {
                        let digits: u32 = format!("{}001", &code[..6]).parse().ok()?;
                        format!("{}001{}", &code[..7], peitto_hetu::check_char(digits))
                    }
                    _ => code[..10].to_owned(),
                });
            }
            Dirt::InvalidDate => {
                let p = self.slot_of(|c| c.kind == Kind::Date, cells)?;
                out[p] = Cell::Text(match self.mapping.format.date_style {
                    DateStyle::Finnish => "31.2.2024".into(),
                    DateStyle::Iso => "2024-02-31".into(),
                });
            }
            Dirt::PeriodEndBeforeStart => {
                let (start, end) = self.table.table.period?;
                let s = self.slot_of(|c| c.name == start, cells)?;
                let e = self.slot_of(|c| c.name == end, cells)?;
                let value = |c: &Cell| match c {
                    Cell::Date(d) => Some(*d),
                    Cell::Text(t) => Date::parse(t).ok(),
                    _ => None,
                };
                if value(&cells[e])? <= value(&cells[s])? {
                    return None;
                }
                out.swap(s, e);
            }
            Dirt::UnknownCode => {
                let p = self.slot_of(
                    |c| matches!(c.kind, Kind::Code(_) | Kind::IntCode(_)),
                    cells,
                )?;
                out[p] = Cell::Text("XX tuntematon".into());
            }
            Dirt::MissingValue => {
                let p = self.slot_of(
                    |c| {
                        c.required
                            && matches!(c.kind, Kind::Code(_) | Kind::Date | Kind::Int | Kind::Euro)
                    },
                    cells,
                )?;
                out[p] = Cell::Empty;
            }
            Dirt::InvalidNumber => {
                let p = self.slot_of(|c| matches!(c.kind, Kind::Int | Kind::Euro), cells)?;
                out[p] = Cell::Text("n/a".into());
            }
            Dirt::InvalidMunicipality => {
                let p = self.slot_of(|c| c.kind == Kind::Municipality, cells)?;
                out[p] = Cell::Text("Kotka".into());
            }
            Dirt::InvalidBoolean => {
                let p = self.slot_of(|c| c.kind == Kind::Bool, cells)?;
                out[p] = Cell::Text("ehkä".into());
            }
            Dirt::FieldCount => out.push(Cell::Text("ylimääräinen".into())),
            Dirt::InvalidEncoding => {
                if !utf8_csv {
                    return None;
                }
                let p = self.slot_of(|c| c.kind == Kind::Text, cells)?;
                let Cell::Text(t) = &cells[p] else {
                    return None;
                };
                let mut bytes = t.clone().into_bytes();
                bytes.push(0xE4); // 'ä' in Windows-1252: invalid on its own in UTF-8
                out[p] = Cell::Raw(bytes);
            }
            Dirt::DuplicateKey => return None,
        }
        Some(out)
    }

    fn emit_data(&mut self, cells: &[Cell]) -> Result<(), SynthError> {
        self.rows += 1;
        self.emit(cells)
    }

    fn emit(&mut self, cells: &[Cell]) -> Result<(), SynthError> {
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
    fn finish_split(self, per_sheet: usize) -> Result<Vec<FileEntry>, SynthError> {
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

fn free_text(rng: &mut ChaCha8Rng, name: &str) -> String {
    const NOTES: &[&str] = &[
        "Keskusteltu huoltajan kanssa puhelimitse.",
        "Kotikäynti sovittu ensi viikolle.",
        "Samtal med vårdnadshavaren.",
        "Asiakas ei saapunut tapaamiseen.",
        "Tulkki varattu seuraavaan tapaamiseen.",
    ];
    // Workers write names into notes; the ingest must drop the whole column.
    format!("{} {name}", NOTES[rng.random_range(0..NOTES.len())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_workbook_over_the_row_limit_is_split_with_its_dirty_rows_renumbered() {
        let out = tempfile::tempdir().unwrap();
        let mapping = Mapping::load("abilita").unwrap();
        let table = mapping.table("cw_notification").unwrap();
        assert_eq!(table.file_format, FileFormat::Xlsx);
        let mut sink = Sink::create(out.path(), "598", &mapping, table).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let nobody = Person::nobody();
        for i in 0..250 {
            sink.row(
                &mut rng,
                &[("notification_id", V::Id(format!("N{i}")))],
                &nobody,
            )
            .unwrap();
        }
        let written = sink.rows;
        let dirty: Vec<u64> = sink.dirty.iter().map(|d| d.row).collect();
        assert!(
            dirty.iter().any(|&r| r > 102),
            "a dirty row past the first part"
        );
        let files = sink.finish_split(100).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            names,
            [
                "598/barnskyddsanmalningar.xlsx",
                "598/barnskyddsanmalningar-2.xlsx",
                "598/barnskyddsanmalningar-3.xlsx"
            ]
        );
        for f in &files {
            assert!(out.path().join(&f.path).is_file(), "{}", f.path);
            // Within a part, data rows are lines 2..=rows+1.
            assert!(f.dirty.iter().all(|d| (2..=f.rows + 1).contains(&d.row)));
        }
        assert_eq!(files.iter().map(|f| f.rows).sum::<u64>(), written);
        assert_eq!(files[0].rows, 100);
        // Every dirty row is kept, in the part it fell in.
        let mut renumbered: Vec<u64> = files
            .iter()
            .enumerate()
            .flat_map(|(part, f)| f.dirty.iter().map(move |d| d.row + 100 * part as u64))
            .collect();
        renumbered.sort_unstable();
        let mut dirty = dirty;
        dirty.sort_unstable();
        assert_eq!(renumbered, dirty);
    }
}
