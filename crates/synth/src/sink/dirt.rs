//! The faults written on purpose: which ones there are, the rejection
//! reason the ingest reports for each, and how a row is spoiled with one.

use super::{Cell, Out, Sink, Slot};
use peitto_mapping::DateStyle;
use peitto_model::{Date, Kind};

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
pub(super) const ALL_DIRT: [Dirt; 14] = [
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
impl Sink {
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
    pub(super) fn apply(&self, dirt: Dirt, cells: &[Cell]) -> Option<Vec<Cell>> {
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
                let p = self.slot_of(|c| matches!(c.kind, Kind::Text | Kind::BusinessId), cells)?;
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
}
