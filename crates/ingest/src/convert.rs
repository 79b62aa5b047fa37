//! Row validation and conversion into Arrow columns of the model.
//!
//! Each row is parsed completely before anything is appended, so a row is
//! either stored whole or rejected whole with every problem it has.

use crate::pseudo::{Namespace, Pseudonym, Pseudonymiser};
use crate::read::{RawRow, trim};
use arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder,
    RecordBatch, StringArray, StringBuilder,
};
use peitto_hetu::{Hetu, HetuError};
use peitto_mapping::{Mapping, TableMapping};
use peitto_model::tables::{EURO_PRECISION, EURO_SCALE};
use peitto_model::{ColumnSpec, Date, Kind, TableSpec};
use peitto_store::KeyHasher;
use peitto_store::fast_hash::FxHashMap;
use std::collections::HashMap;
use std::sync::Arc;

/// Why a row was rejected. The stable code names the catalogue entry
/// `reason.<code>` that explains it to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not of the form DDMMYYCZZZQ, or an unknown century sign.
    HetuFormat,
    /// The henkilötunnus date does not exist.
    HetuDate,
    /// Individual number 000 or 001.
    HetuIndividualNumber,
    /// Wrong check character.
    HetuChecksum,
    /// A required value is empty.
    MissingValue,
    /// Not a date.
    InvalidDate,
    /// Not a number.
    InvalidNumber,
    /// Not a municipality code.
    InvalidMunicipality,
    /// Not a yes/no word of the mapping.
    InvalidBoolean,
    /// A code the mapping does not know.
    UnknownCode,
    /// Period end before start.
    PeriodEndBeforeStart,
    /// The row's key appeared earlier in the same extract.
    DuplicateKey,
    /// Bytes not valid in the file's encoding.
    InvalidEncoding,
    /// More or fewer fields than the header.
    FieldCount,
}

impl Reason {
    /// Every reason, in report order.
    pub const ALL: [Reason; 14] = [
        Reason::HetuFormat,
        Reason::HetuDate,
        Reason::HetuIndividualNumber,
        Reason::HetuChecksum,
        Reason::MissingValue,
        Reason::InvalidDate,
        Reason::InvalidNumber,
        Reason::InvalidMunicipality,
        Reason::InvalidBoolean,
        Reason::UnknownCode,
        Reason::PeriodEndBeforeStart,
        Reason::DuplicateKey,
        Reason::InvalidEncoding,
        Reason::FieldCount,
    ];

    /// Stable code, e.g. `hetu_checksum`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Reason::HetuFormat => "hetu_format",
            Reason::HetuDate => "hetu_date",
            Reason::HetuIndividualNumber => "hetu_individual_number",
            Reason::HetuChecksum => "hetu_checksum",
            Reason::MissingValue => "missing_value",
            Reason::InvalidDate => "invalid_date",
            Reason::InvalidNumber => "invalid_number",
            Reason::InvalidMunicipality => "invalid_municipality",
            Reason::InvalidBoolean => "invalid_boolean",
            Reason::UnknownCode => "unknown_code",
            Reason::PeriodEndBeforeStart => "period_end_before_start",
            Reason::DuplicateKey => "duplicate_key",
            Reason::InvalidEncoding => "invalid_encoding",
            Reason::FieldCount => "field_count",
        }
    }

    /// The reason for a henkilötunnus error.
    #[must_use]
    pub fn of_hetu(e: &HetuError) -> Reason {
        match e {
            HetuError::Length(_) | HetuError::Format | HetuError::CenturySign(_) => {
                Reason::HetuFormat
            }
            HetuError::Date => Reason::HetuDate,
            HetuError::IndividualNumber(_) => Reason::HetuIndividualNumber,
            HetuError::Checksum { .. } => Reason::HetuChecksum,
        }
    }
}

/// One problem of a rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Source header of the column (empty for whole-row problems).
    pub column: String,
    /// Why.
    pub reason: Reason,
}

/// A parsed value, waiting for the whole row to pass.
#[derive(Debug, Clone, Copy)]
enum Value {
    Null,
    Field(usize),
    Static(&'static str),
    /// The pseudonym in the column's plan ([`Plan::key`]): kept there, so
    /// that a value is small and cheap to move about, row after row.
    Key,
    Municipality([u8; 3]),
    /// An area code of up to 5 bytes (`SSS`, `KU285`, `MK08`) and its length.
    Area([u8; 5], u8),
    Date(i32),
    Int(i64),
    /// An amount in hundredths; [`parse_decimal`] keeps it within
    /// `EURO_PRECISION` digits, far inside `i64`.
    Decimal(i64),
    Bool(bool),
}

enum Builder {
    /// Pseudonyms: hex digits gathered as bytes and checked as UTF-8 once per batch.
    Key(BinaryBuilder),
    Text(StringBuilder),
    Date(Date32Builder),
    Int(Int64Builder),
    Decimal(Decimal128Builder),
    Bool(BooleanBuilder),
}

impl Builder {
    /// A builder for `kind` with room for `rows` rows and `bytes` bytes of
    /// text: each chunk is about the size of the one before, and builders
    /// that start empty grow by doubling, copying their buffers each time.
    fn with_capacity(kind: Kind, rows: usize, bytes: usize) -> Builder {
        match kind {
            Kind::Person | Kind::RecordId(_) => {
                Builder::Key(BinaryBuilder::with_capacity(rows, bytes))
            }
            Kind::Code(_) | Kind::Municipality | Kind::Area | Kind::Text => {
                Builder::Text(StringBuilder::with_capacity(rows, bytes))
            }
            Kind::Date => Builder::Date(Date32Builder::with_capacity(rows)),
            Kind::Int | Kind::IntCode(_) => Builder::Int(Int64Builder::with_capacity(rows)),
            Kind::Euro => Builder::Decimal(
                Decimal128Builder::with_capacity(rows)
                    .with_precision_and_scale(EURO_PRECISION, EURO_SCALE)
                    .unwrap_or_default(),
            ),
            Kind::Bool => Builder::Bool(BooleanBuilder::with_capacity(rows)),
        }
    }

    fn append(&mut self, value: Value, key: &Pseudonym, row: &RawRow) {
        match (self, value) {
            (Builder::Text(b), Value::Null) => b.append_null(),
            (Builder::Text(b), Value::Field(i)) => {
                b.append_value(trim(row.get(i).unwrap_or_default()))
            }
            (Builder::Text(b), Value::Static(s)) => b.append_value(s),
            (Builder::Key(b), Value::Key) => b.append_value(key),
            (Builder::Key(b), _) => b.append_null(),
            (Builder::Text(b), Value::Municipality(m)) => {
                b.append_value(std::str::from_utf8(&m).unwrap_or_default())
            }
            (Builder::Text(b), Value::Area(a, n)) => {
                b.append_value(std::str::from_utf8(&a[..usize::from(n)]).unwrap_or_default())
            }
            (Builder::Date(b), Value::Date(d)) => b.append_value(d),
            (Builder::Int(b), Value::Int(v)) => b.append_value(v),
            (Builder::Decimal(b), Value::Decimal(v)) => b.append_value(i128::from(v)),
            (Builder::Bool(b), Value::Bool(v)) => b.append_value(v),
            (Builder::Date(b), _) => b.append_null(),
            (Builder::Int(b), _) => b.append_null(),
            (Builder::Decimal(b), _) => b.append_null(),
            (Builder::Bool(b), _) => b.append_null(),
            (Builder::Text(b), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> Result<ArrayRef, arrow::error::ArrowError> {
        Ok(match self {
            Builder::Key(b) => Arc::new(StringArray::try_from_binary(b.finish())?),
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::Decimal(b) => Arc::new(b.finish()),
            Builder::Bool(b) => Arc::new(b.finish()),
        })
    }
}

struct Plan {
    spec: &'static ColumnSpec,
    /// Index of the source field, if the file has the column.
    source: Option<usize>,
    header: String,
    /// Whether to cache pseudonyms of this record-id column (foreign keys repeat).
    cache: bool,
    /// Decoded codes and yes/no words by their exact source text: a column
    /// has few distinct values, and this spares a lower-casing per row.
    memo: FxHashMap<String, Option<Value>>,
    /// The record-id namespace of the last row's municipality: rows of one
    /// municipality follow each other, and the look-up compares strings.
    namespace: Option<([u8; 3], Namespace)>,
    /// The last foreign key's text and pseudonym: the lines of one placement
    /// follow each other, so most rows repeat the one before.
    last_key: Option<(Namespace, String, Pseudonym)>,
    /// This row's pseudonym, when the column has one ([`Value::Key`]).
    key: Pseudonym,
    /// Dates parsed lately, for a date column.
    dates: DateCache,
}

/// Dates by their text, in a small direct-mapped table: a date column has
/// a few hundred distinct values (months' first and last days), and a
/// look-up is a multiply and a compare where parsing is a few dozen steps.
struct DateCache {
    /// A text of up to 16 bytes, zero-padded (a text with a zero byte is
    /// not cached, so no two texts pad to the same number), and its days
    /// since 1970-01-01.
    slots: Vec<(u128, i32)>,
}

impl DateCache {
    const SLOTS: usize = 256;

    fn new() -> DateCache {
        DateCache { slots: Vec::new() }
    }

    /// The date in `raw` as days since 1970-01-01, or `None` if it is not one.
    fn parse(&mut self, raw: &str) -> Option<i32> {
        let bytes = raw.as_bytes();
        if bytes.len() > 16 || bytes.contains(&0) {
            return Date::parse(raw).ok().map(|d| d.0);
        }
        let mut packed = [0u8; 16];
        packed[..bytes.len()].copy_from_slice(bytes);
        let text = u128::from_le_bytes(packed);
        // Truncation intended: the halves are folded, the top bits taken.
        let slot = (((text as u64) ^ ((text >> 64) as u64)).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            >> 56) as usize;
        if self.slots.is_empty() {
            self.slots = vec![(0, 0); Self::SLOTS];
        }
        if self.slots[slot].0 == text {
            return Some(self.slots[slot].1);
        }
        let days = Date::parse(raw).ok()?.0;
        self.slots[slot] = (text, days);
        Some(days)
    }
}

/// Distinct source texts remembered per coded column.
const MEMO_LIMIT: usize = 4096;

/// The outcome of converting one chunk of rows.
#[derive(Debug, Default)]
pub struct ConvertedChunk {
    /// The accepted rows, in chunk order.
    pub batch: Option<RecordBatch>,
    /// Position in the chunk and key of each accepted row (the batch's rows, in order).
    pub accepted: Vec<(usize, u128)>,
    /// Position in the chunk and problems of each rejected row.
    pub rejected: Vec<(usize, Vec<Problem>)>,
    /// Blank rows skipped.
    pub blank: u64,
}

/// Facts about a person derived from the henkilötunnus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonFacts {
    /// Days since 1970-01-01.
    pub birth_date: i32,
    /// `1` male, `2` female.
    pub sex: &'static str,
    /// Temporary code (individual number 900–999).
    pub temporary: bool,
}

/// Municipality codes by name (lower case, Finnish and Swedish), from the
/// organisation register: PxWeb tables label areas by name.
pub type AreaNames = FxHashMap<String, [u8; 3]>;

/// Validates rows of one file against one table mapping and builds the
/// table's Arrow columns.
pub struct Converter<'m> {
    areas: Option<&'m AreaNames>,
    table: &'static TableSpec,
    mapping: &'m Mapping,
    plans: Vec<Plan>,
    builders: Vec<Builder>,
    values: Vec<Value>,
    key_columns: Vec<usize>,
    period: Option<(usize, usize)>,
    municipality: Option<usize>,
    system: String,
    headers: Vec<String>,
    pseudo: Pseudonymiser,
    /// The last valid henkilötunnus's text, pseudonym and facts: a child's
    /// invoice lines follow each other.
    last_person: Option<(String, Pseudonym, PersonFacts)>,
    /// The last municipality field's text and code.
    last_municipality: Option<(String, Option<[u8; 3]>)>,
    /// The last accepted row's person, already in `persons`.
    last_stored: Option<Pseudonym>,
    /// Persons seen in accepted rows.
    pub persons: FxHashMap<Pseudonym, PersonFacts>,
    pending: usize,
}

/// `text` in a reused buffer.
fn reuse(buffer: Option<String>, text: &str) -> String {
    let mut buffer = buffer.unwrap_or_default();
    buffer.clear();
    buffer.push_str(text);
    buffer
}

fn normalise(header: &str) -> String {
    header.trim().to_lowercase()
}

impl<'m> Converter<'m> {
    /// A converter for a file with `headers` mapped by `table_mapping`.
    #[must_use]
    pub fn new(
        mapping: &'m Mapping,
        table_mapping: &TableMapping,
        headers: &[String],
        pseudo: Pseudonymiser,
    ) -> Self {
        let table = table_mapping.table;
        let index: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .rev()
            .map(|(i, h)| (normalise(h), i))
            .collect();
        let single_key = table.key.len() == 1;
        let plans: Vec<Plan> = table
            .columns
            .iter()
            .map(|spec| {
                let header = table_mapping
                    .header_of(spec.name)
                    .unwrap_or(spec.name)
                    .to_owned();
                let source = index.get(&normalise(&header)).copied();
                let is_own_key = single_key && table.key[0] == spec.name;
                Plan {
                    spec,
                    source,
                    header,
                    cache: !is_own_key,
                    memo: FxHashMap::default(),
                    namespace: None,
                    last_key: None,
                    key: [0; 32],
                    dates: DateCache::new(),
                }
            })
            .collect();
        let builders = table
            .columns
            .iter()
            .map(|c| Builder::with_capacity(c.kind, 0, 0))
            .collect();
        let key_columns = table
            .key
            .iter()
            .filter_map(|k| table.column_index(k))
            .collect();
        let period = table
            .period
            .and_then(|(s, e)| Some((table.column_index(s)?, table.column_index(e)?)));
        Converter {
            areas: None,
            table,
            mapping,
            values: vec![Value::Null; plans.len()],
            plans,
            builders,
            key_columns,
            period,
            municipality: table.column_index("municipality_code"),
            system: mapping.id.clone(),
            headers: headers.to_vec(),
            pseudo,
            last_person: None,
            last_municipality: None,
            last_stored: None,
            persons: FxHashMap::default(),
            pending: 0,
        }
    }

    /// Resolves municipality names (as PxWeb tables give them) to codes.
    #[must_use]
    pub fn with_area_names(mut self, areas: &'m AreaNames) -> Self {
        self.areas = Some(areas);
        self
    }

    /// Rows converted but not yet taken by [`Converter::flush`].
    #[must_use]
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Validates one row. On success its values are appended and the row's
    /// key returned (duplicates are found by the caller, which sees rows in
    /// file order); otherwise every problem is pushed to `problems`.
    pub fn process(&mut self, row: &RawRow, problems: &mut Vec<Problem>) -> Option<u128> {
        if row.len() != self.headers.len() {
            let extra_blank = row.len() > self.headers.len()
                && row
                    .iter()
                    .skip(self.headers.len())
                    .all(|f| trim(f).is_empty());
            if !extra_blank {
                problems.push(Problem {
                    column: String::new(),
                    reason: Reason::FieldCount,
                });
                return None;
            }
        }
        if let Some(i) = row.bad_encoding {
            problems.push(Problem {
                column: self.header_name(i),
                reason: Reason::InvalidEncoding,
            });
            return None;
        }
        let mut person: Option<(Pseudonym, PersonFacts)> = None;
        // Record ids are unique within one municipality's register of a source
        // system; two municipalities on the same system may reuse numbers.
        let raw_municipality = self
            .municipality
            .and_then(|c| self.plans[c].source)
            .and_then(|s| row.get(s));
        // Rows of one municipality follow each other: parse its code once.
        let municipality = raw_municipality.and_then(|raw| match &self.last_municipality {
            Some((text, code)) if text == raw => *code,
            _ => {
                let code = parse_municipality(raw);
                let text = reuse(self.last_municipality.take().map(|(t, _)| t), raw);
                self.last_municipality = Some((text, code));
                code
            }
        });
        let namespace = municipality.unwrap_or(*b"000");
        for (i, plan) in self.plans.iter_mut().enumerate() {
            let raw = plan.source.and_then(|s| row.get(s)).map_or("", trim);
            let header = &plan.header;
            let problem = |reason| Problem {
                column: header.clone(),
                reason,
            };
            if raw.is_empty() {
                if plan.spec.required {
                    problems.push(problem(Reason::MissingValue));
                }
                self.values[i] = Value::Null;
                continue;
            }
            let parsed = match plan.spec.kind {
                Kind::Person => match &self.last_person {
                    Some((text, key, facts)) if text == raw => {
                        person = Some((*key, *facts));
                        plan.key = *key;
                        Ok(Value::Key)
                    }
                    _ => match Hetu::parse(raw) {
                        Ok(hetu) => {
                            let key = self.pseudo.person(&hetu);
                            let b = hetu.birth_date();
                            let facts = PersonFacts {
                                birth_date: Date::from_ymd(b.year, b.month, b.day)
                                    .map_or(0, |d| d.0),
                                sex: hetu.sex().statfin_code(),
                                temporary: hetu.is_temporary(),
                            };
                            person = Some((key, facts));
                            let text = reuse(self.last_person.take().map(|(t, ..)| t), raw);
                            self.last_person = Some((text, key, facts));
                            plan.key = key;
                            Ok(Value::Key)
                        }
                        Err(e) => Err(Reason::of_hetu(&e)),
                    },
                },
                Kind::RecordId(entity) => {
                    let ns = match plan.namespace {
                        Some((code, ns)) if code == namespace => ns,
                        _ => {
                            self.system.truncate(self.mapping.id.len());
                            self.system.push('/');
                            self.system
                                .push_str(std::str::from_utf8(&namespace).unwrap_or("000"));
                            let ns = self.pseudo.namespace(&self.system, entity);
                            plan.namespace = Some((namespace, ns));
                            ns
                        }
                    };
                    match &plan.last_key {
                        Some((last_ns, text, key)) if *last_ns == ns && text == raw => {
                            plan.key = *key;
                            Ok(Value::Key)
                        }
                        _ if !plan.cache => {
                            plan.key = self.pseudo.record_in(ns, raw, false);
                            Ok(Value::Key)
                        }
                        _ => {
                            let key = self.pseudo.record_in(ns, raw, true);
                            let text = reuse(plan.last_key.take().map(|(_, t, _)| t), raw);
                            plan.last_key = Some((ns, text, key));
                            plan.key = key;
                            Ok(Value::Key)
                        }
                    }
                }
                Kind::Date => plan
                    .dates
                    .parse(raw)
                    .map(Value::Date)
                    .ok_or(Reason::InvalidDate),
                Kind::Int => parse_int(raw).map(Value::Int).ok_or(Reason::InvalidNumber),
                Kind::Euro => parse_decimal(raw, EURO_SCALE)
                    .and_then(|v| i64::try_from(v).ok())
                    .map(Value::Decimal)
                    .ok_or(Reason::InvalidNumber),
                Kind::Bool | Kind::Code(_) | Kind::IntCode(_) => {
                    let decoded = match plan.memo.get(raw) {
                        Some(v) => *v,
                        None => {
                            let v = match plan.spec.kind {
                                Kind::Bool => self.mapping.parse_bool(raw).map(Value::Bool),
                                Kind::Code(list) => {
                                    self.mapping.decode_code(list, raw).map(Value::Static)
                                }
                                Kind::IntCode(list) => self
                                    .mapping
                                    .decode_code(list, raw)
                                    .and_then(|c| c.parse().ok())
                                    .map(Value::Int),
                                _ => None,
                            };
                            if plan.memo.len() < MEMO_LIMIT {
                                plan.memo.insert(raw.to_owned(), v);
                            }
                            v
                        }
                    };
                    decoded.ok_or(if plan.spec.kind == Kind::Bool {
                        Reason::InvalidBoolean
                    } else {
                        Reason::UnknownCode
                    })
                }
                Kind::Municipality if Some(i) == self.municipality && municipality.is_some() => {
                    Ok(Value::Municipality(namespace))
                }
                Kind::Municipality => municipality_or_name(raw, self.areas)
                    .map(Value::Municipality)
                    .ok_or(Reason::InvalidMunicipality),
                Kind::Area => parse_area(raw, self.areas)
                    .map(|(a, n)| Value::Area(a, n))
                    .ok_or(Reason::InvalidMunicipality),
                Kind::Text => Ok(Value::Field(plan.source.unwrap_or(0))),
            };
            match parsed {
                Ok(v) => self.values[i] = v,
                Err(reason) => {
                    self.values[i] = Value::Null;
                    problems.push(problem(reason));
                }
            }
        }
        if let Some((s, e)) = self.period
            && let (Value::Date(start), Value::Date(end)) = (self.values[s], self.values[e])
            && end < start
        {
            problems.push(Problem {
                column: self.plans[e].header.clone(),
                reason: Reason::PeriodEndBeforeStart,
            });
        }
        if !problems.is_empty() {
            return None;
        }
        let key = self.key_of(row);
        for ((builder, value), plan) in self.builders.iter_mut().zip(&self.values).zip(&self.plans)
        {
            builder.append(*value, &plan.key, row);
        }
        if let Some((key, facts)) = person
            && self.last_stored != Some(key)
        {
            self.persons.entry(key).or_insert(facts);
            self.last_stored = Some(key);
        }
        self.pending += 1;
        Some(key)
    }

    /// Source header of the key's first column, for duplicate reports.
    #[must_use]
    pub fn key_header(&self) -> String {
        self.key_columns
            .first()
            .map(|&c| self.plans[c].header.clone())
            .unwrap_or_default()
    }

    /// Converts a chunk of rows: the accepted rows as a batch, with their
    /// positions in the chunk and keys, and the rejected rows' problems.
    ///
    /// # Errors
    /// Only on an internal schema mismatch.
    pub fn convert_chunk(
        &mut self,
        chunk: &[RawRow],
    ) -> Result<ConvertedChunk, arrow::error::ArrowError> {
        let mut out = ConvertedChunk::default();
        let mut problems = Vec::new();
        for (i, row) in chunk.iter().enumerate() {
            if row.is_blank() {
                out.blank += 1;
                continue;
            }
            match self.process(row, &mut problems) {
                Some(key) => out.accepted.push((i, key)),
                None => out.rejected.push((i, std::mem::take(&mut problems))),
            }
        }
        if self.pending > 0 {
            out.batch = Some(self.flush()?);
        }
        Ok(out)
    }

    fn header_name(&self, field: usize) -> String {
        self.headers.get(field).cloned().unwrap_or_default()
    }

    /// The row key as stored values, hashed the way the store hashes it.
    fn key_of(&self, row: &RawRow) -> u128 {
        if let [c] = self.key_columns[..]
            && let Value::Key = self.values[c]
        {
            return crate::pseudo::pseudonym_value(&self.plans[c].key);
        }
        let mut h = KeyHasher::default();
        for &c in &self.key_columns {
            match self.values[c] {
                Value::Null => h.null(),
                Value::Field(i) => h.text(trim(row.get(i).unwrap_or_default())),
                Value::Static(s) => h.text(s),
                Value::Key => h.text(std::str::from_utf8(&self.plans[c].key).unwrap_or_default()),
                Value::Municipality(m) => h.text(std::str::from_utf8(&m).unwrap_or_default()),
                Value::Area(a, n) => {
                    h.text(std::str::from_utf8(&a[..usize::from(n)]).unwrap_or_default());
                }
                Value::Date(d) => h.int(i64::from(d)),
                Value::Int(v) => h.int(v),
                Value::Bool(b) => h.int(i64::from(b)),
                // No table keys on an amount; hash it as text so it still works.
                Value::Decimal(v) => h.text(&v.to_string()),
            }
        }
        h.finish()
    }

    /// The rows converted so far as a record batch.
    ///
    /// # Errors
    /// Only on an internal schema mismatch.
    pub fn flush(&mut self) -> Result<RecordBatch, arrow::error::ArrowError> {
        let rows = std::mem::take(&mut self.pending);
        let columns: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(Builder::finish)
            .collect::<Result<_, _>>()?;
        for ((builder, plan), column) in self.builders.iter_mut().zip(&self.plans).zip(&columns) {
            let bytes = column
                .as_any()
                .downcast_ref::<StringArray>()
                .map_or(0, |text| text.values().len());
            *builder = Builder::with_capacity(plan.spec.kind, rows, bytes);
        }
        RecordBatch::try_new(Arc::new(self.table.schema()), columns)
    }
}

/// Parses a whole number as exports write it: spaces as thousands separators,
/// and a zero fraction (`12,0`) as Excel sometimes adds.
#[must_use]
pub fn parse_int(raw: &str) -> Option<i64> {
    let v = parse_decimal(raw, 0)?;
    i64::try_from(v).ok()
}

/// Parses a decimal number to an integer of `scale` decimals: `1 234,50`,
/// `1234.5`, `-12`, `−3,00`. A number with both `,` and `.`, or with more
/// non-zero decimals than `scale`, is refused rather than guessed.
#[must_use]
pub fn parse_decimal(raw: &str, scale: i8) -> Option<i128> {
    decimal_plain(raw.as_bytes(), scale).or_else(|| decimal_general(raw, scale))
}

/// `[-]digits[,|.digits]` in ASCII, short enough for `i64`: the form
/// nearly every amount has. `None` leaves anything else, and anything it
/// would refuse, to [`decimal_general`], which gives the same value for
/// what this accepts.
fn decimal_plain(b: &[u8], scale: i8) -> Option<i128> {
    let scale = u32::try_from(scale).ok()?;
    let (negative, digits) = match b.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, b),
    };
    let mut value: i64 = 0;
    let mut count = 0u32;
    let mut fraction: Option<u32> = None;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                if let Some(f) = fraction.as_mut() {
                    if *f >= scale {
                        return None;
                    }
                    *f += 1;
                }
                count += 1;
                if count > 15 {
                    return None;
                }
                value = value * 10 + i64::from(c - b'0');
            }
            b',' | b'.' if fraction.is_none() => fraction = Some(0),
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    for _ in fraction.unwrap_or(0)..scale {
        value = value.checked_mul(10)?;
    }
    let value = i128::from(value);
    if value.unsigned_abs() >= 10u128.pow(u32::from(EURO_PRECISION)) {
        return None;
    }
    Some(if negative { -value } else { value })
}

fn decimal_general(raw: &str, scale: i8) -> Option<i128> {
    let scale = u32::try_from(scale).ok()?;
    let mut text = raw.trim();
    let mut negative = false;
    if let Some(rest) = text
        .strip_prefix('-')
        .or_else(|| text.strip_prefix('\u{2212}'))
    {
        negative = true;
        text = rest;
    } else if let Some(rest) = text.strip_prefix('+') {
        text = rest;
    }
    let mut value: i128 = 0;
    let mut digits = 0u32;
    let mut fraction: Option<u32> = None;
    // Fraction digits after the scale must be zeros ("12,500" is 12,50).
    let mut excess_nonzero = false;
    for c in text.chars() {
        match c {
            '0'..='9' => {
                let d = i128::from(u32::from(c) - u32::from('0'));
                digits += 1;
                match fraction.as_mut() {
                    Some(f) if *f >= scale => excess_nonzero |= d != 0,
                    Some(f) => {
                        value = value.checked_mul(10)?.checked_add(d)?;
                        *f += 1;
                    }
                    None => value = value.checked_mul(10)?.checked_add(d)?,
                }
            }
            ' ' | '\u{a0}' | '\u{202f}' if fraction.is_none() => {}
            ',' | '.' if fraction.is_none() => fraction = Some(0),
            _ => return None,
        }
    }
    if digits == 0 || excess_nonzero {
        return None;
    }
    for _ in fraction.unwrap_or(0)..scale {
        value = value.checked_mul(10)?;
    }
    if value.unsigned_abs() >= 10u128.pow(u32::from(EURO_PRECISION)) {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// A 3-digit municipality code; `91` → `091`, `KU091` → `091`, and a code
/// with its name (`KU285 Kotka`, `285 Kotka`) → `285`.
#[must_use]
pub fn parse_municipality(raw: &str) -> Option<[u8; 3]> {
    let raw = raw.trim();
    // A code alone is the common case: look for a name after it only in longer text.
    let digits = if raw.len() > 5 {
        raw.split_once(' ').map_or(raw, |(code, _)| code)
    } else {
        raw
    };
    let digits = digits
        .strip_prefix("KU")
        .or_else(|| digits.strip_prefix("ku"))
        .unwrap_or(digits);
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out = [b'0'; 3];
    out[3 - digits.len()..].copy_from_slice(digits.as_bytes());
    Some(out)
}

/// A municipality by its code ([`parse_municipality`]) or, failing that, by
/// its name in `areas`.
fn municipality_or_name(raw: &str, areas: Option<&AreaNames>) -> Option<[u8; 3]> {
    parse_municipality(raw)
        .or_else(|| areas.and_then(|a| a.get(&raw.trim().to_lowercase()).copied()))
}

/// A Statistics Finland area code (`SSS`, `KU###`, `MK##`, …) from a code,
/// a code with its name (`KU285 Kotka`, `MK08 Kymenlaakso`), a bare
/// municipality code (`285`) or a municipality's name in `areas`.
#[must_use]
pub fn parse_area(raw: &str, areas: Option<&AreaNames>) -> Option<([u8; 5], u8)> {
    let raw = raw.trim();
    let mut out = [0u8; 5];
    let code = raw.split_once(' ').map_or(raw, |(code, _)| code);
    if code.eq_ignore_ascii_case("SSS") {
        out[..3].copy_from_slice(b"SSS");
        return Some((out, 3));
    }
    if let Some(m) = municipality_or_name(raw, areas) {
        out[..2].copy_from_slice(b"KU");
        out[2..].copy_from_slice(&m);
        return Some((out, 5));
    }
    // Other divisions: two letters and digits (MK## region, SK### sub-region).
    let bytes = code.as_bytes();
    if (3..=5).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_alphabetic)
        && bytes[2..].iter().all(u8::is_ascii_digit)
    {
        out[..bytes.len()].copy_from_slice(&code.to_ascii_uppercase().into_bytes());
        return u8::try_from(bytes.len()).ok().map(|n| (out, n));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_codes_from_codes_and_names() {
        let mut names = AreaNames::default();
        names.insert("jakobstad".into(), *b"598");
        let area = |raw: &str| {
            parse_area(raw, Some(&names))
                .map(|(a, n)| String::from_utf8(a[..usize::from(n)].to_vec()).unwrap())
        };
        assert_eq!(area("KU285").as_deref(), Some("KU285"));
        assert_eq!(area("285").as_deref(), Some("KU285"));
        assert_eq!(area("KU285 Kotka").as_deref(), Some("KU285"));
        assert_eq!(area("Jakobstad").as_deref(), Some("KU598"));
        assert_eq!(area("SSS").as_deref(), Some("SSS"));
        assert_eq!(area("MK08 Kymenlaakso").as_deref(), Some("MK08"));
        assert_eq!(area("Vasa"), None);
        assert_eq!(area(""), None);
    }

    #[test]
    fn decimals_in_finnish_and_plain_forms() {
        assert_eq!(parse_decimal("1 234,50", 2), Some(123_450));
        assert_eq!(parse_decimal("1\u{a0}234,5", 2), Some(123_450));
        assert_eq!(parse_decimal("1234.5", 2), Some(123_450));
        assert_eq!(parse_decimal("-12", 2), Some(-1200));
        assert_eq!(parse_decimal("\u{2212}3,00", 2), Some(-300));
        assert_eq!(parse_decimal(",5", 2), Some(50));
        assert_eq!(parse_decimal("12.500", 2), Some(1250));
        assert_eq!(parse_decimal("1.234,50", 2), None);
        assert_eq!(parse_decimal("12,345", 2), None);
        assert_eq!(parse_decimal("12e3", 2), None);
        assert_eq!(parse_decimal("", 2), None);
        assert_eq!(parse_decimal("-", 2), None);
    }

    #[test]
    fn cached_dates_are_the_dates_parsed() {
        let mut cache = DateCache::new();
        let mut texts = Vec::new();
        for year in [1999, 2023, 2024] {
            for month in 0..=13 {
                for day in [0, 1, 9, 28, 29, 30, 31, 32] {
                    texts.push(format!("{day}.{month}.{year}"));
                    texts.push(format!("{year}-{month:02}-{day:02}"));
                }
            }
        }
        texts.extend(["x".into(), "1.1.2024 0:00".into(), "1.1.2024\0".into()]);
        texts.push("2024-02-29T00:00:00+02:00 extra".into());
        // Twice over: the second time from the cache, where the slots hold.
        for text in texts.iter().chain(&texts) {
            assert_eq!(
                cache.parse(text),
                Date::parse(text).ok().map(|d| d.0),
                "{text}"
            );
        }
    }

    #[test]
    fn the_plain_decimal_path_agrees_with_the_general_one() {
        let parts = [
            "",
            "0",
            "5",
            "12",
            "315",
            "2524",
            "100000",
            "123456789012",
            "99999999999999",
            "100000000000000",
            "1234567890123456",
        ];
        let fractions = [
            "", ",", ".", ",5", ",50", ",55", ",500", ",555", ".1", ",,5",
        ];
        let mut tried = 0;
        for sign in ["", "-"] {
            for whole in parts {
                for fraction in fractions {
                    let text = format!("{sign}{whole}{fraction}");
                    for scale in [0, 2, 6] {
                        if let Some(plain) = decimal_plain(text.as_bytes(), scale) {
                            assert_eq!(Some(plain), decimal_general(&text, scale), "{text}");
                            tried += 1;
                        }
                        assert_eq!(
                            parse_decimal(&text, scale),
                            decimal_general(&text, scale),
                            "{text}"
                        );
                    }
                }
            }
        }
        assert!(tried > 100, "{tried}");
    }

    #[test]
    fn integers_accept_spaces_and_zero_fractions() {
        assert_eq!(parse_int("31"), Some(31));
        assert_eq!(parse_int("1 000"), Some(1000));
        assert_eq!(parse_int("31,0"), Some(31));
        assert_eq!(parse_int("31,5"), None);
        assert_eq!(parse_int("kolme"), None);
    }

    #[test]
    fn municipality_codes_are_padded() {
        assert_eq!(parse_municipality("91"), Some(*b"091"));
        assert_eq!(parse_municipality("598"), Some(*b"598"));
        assert_eq!(parse_municipality("KU285"), Some(*b"285"));
        assert_eq!(parse_municipality("KU285 Kotka"), Some(*b"285"));
        assert_eq!(parse_municipality("598 Pietarsaari"), Some(*b"598"));
        assert_eq!(parse_municipality("Pieksämäki 1"), None);
        assert_eq!(parse_municipality("1234"), None);
        assert_eq!(parse_municipality("Kotka"), None);
    }

    #[test]
    fn every_reason_has_a_catalogue_entry() {
        for r in Reason::ALL {
            let key = format!("reason.{}", r.code());
            assert!(peitto_i18n::has(&key), "{key}");
        }
    }
}
