//! Writing rows in a mapping's dialect, with a known share of dirty rows.
//!
//! The rows are rendered here; [`dirt`] spoils a known share of them and
//! [`write`](mod@write) puts them into CSV or XLSX files.

mod dirt;
mod write;

use crate::{DirtyRow, SynthError, people::Person};
use dirt::ALL_DIRT;
use peitto_mapping::{DateStyle, Dropped, FileFormat, Mapping, TableMapping, code_list_of};
use peitto_model::{Date, Kind};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::path::{Path, PathBuf};
use write::Out;

pub use dirt::Dirt;

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
        let out = Out::create(&path, mapping, table)?;
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

    fn emit_data(&mut self, cells: &[Cell]) -> Result<(), SynthError> {
        self.rows += 1;
        self.emit(cells)
    }
}

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
