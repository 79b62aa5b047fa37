//! Row validation and conversion into Arrow columns of the model.
//!
//! Each row is parsed completely before anything is appended, so a row is
//! either stored whole or rejected whole with every problem it has.

mod columns;
mod parse;
mod reason;
#[cfg(test)]
mod tests;

use columns::{Builder, DateCache, Plan, Value};
use parse::municipality_or_name;
pub use parse::{is_business_id, parse_area, parse_decimal, parse_int, parse_municipality};
pub use reason::{Problem, Reason};

use crate::pseudo::{Pseudonym, Pseudonymiser};
use crate::read::{CellProblem, RawRow, trim};
use arrow::array::{ArrayRef, RecordBatch, StringArray};
use peitto_hetu::Hetu;
use peitto_mapping::{Mapping, TableMapping};
use peitto_model::tables::{EURO_PRECISION, EURO_SCALE};
use peitto_model::{Date, Kind, TableSpec};
use peitto_store::KeyHasher;
use peitto_store::fast_hash::FxHashMap;
use std::collections::HashMap;
use std::sync::Arc;

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
    pub persons: crate::persons::Persons,
    pending: usize,
    /// The table's own record id column (its single key), whose ids are
    /// enciphered a chunk at a time ([`Pseudonymiser::encipher`]).
    own_key: Option<usize>,
    /// That column's value for each accepted row of the chunk, in order.
    deferred: Vec<Deferred>,
}

/// An accepted row's own record id, before its chunk is enciphered.
enum Deferred {
    /// To encipher in this namespace.
    Block(crate::pseudo::Namespace, [u8; 16]),
    /// Its pseudonym already (an id too long for the cipher).
    Ready(Pseudonym),
    /// No id.
    Null,
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
                    block: None,
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
        let own_key = plans
            .iter()
            .position(|p| !p.cache && matches!(p.spec.kind, Kind::RecordId(_)));
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
            persons: crate::persons::Persons::new(),
            pending: 0,
            own_key,
            deferred: Vec::new(),
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
        if let Some((i, problem)) = row.cell_problem {
            problems.push(Problem {
                column: self.header_name(i),
                reason: match problem {
                    CellProblem::Uncalculated => Reason::UncalculatedFormula,
                    CellProblem::Inexact => Reason::InexactNumber,
                },
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
                            // Enciphered with the rest of the chunk.
                            plan.block = Pseudonymiser::cipher_block(raw).map(|b| (ns, b));
                            if plan.block.is_none() {
                                plan.key = self.pseudo.record_in(ns, raw, false);
                            }
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
                Kind::BusinessId if is_business_id(raw) => {
                    Ok(Value::Field(plan.source.unwrap_or(0)))
                }
                Kind::BusinessId => Err(Reason::InvalidBusinessId),
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
        let key = match self.own_key {
            Some(c) => {
                let (entry, key) = match (self.values[c], self.plans[c].block.take()) {
                    // Its key comes when the chunk is enciphered.
                    (Value::Key, Some((ns, block))) => (Deferred::Block(ns, block), 0),
                    (Value::Key, None) => (Deferred::Ready(self.plans[c].key), self.key_of(row)),
                    _ => (Deferred::Null, self.key_of(row)),
                };
                self.deferred.push(entry);
                key
            }
            None => self.key_of(row),
        };
        for (i, ((builder, value), plan)) in self
            .builders
            .iter_mut()
            .zip(&self.values)
            .zip(&self.plans)
            .enumerate()
        {
            if Some(i) != self.own_key {
                builder.append(*value, &plan.key, row);
            }
        }
        if let Some((key, facts)) = person
            && self.last_stored != Some(key)
        {
            self.persons.insert(&key, facts);
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
        self.resolve_deferred(&mut out.accepted);
        if self.pending > 0 {
            out.batch = Some(self.flush()?);
        }
        Ok(out)
    }

    /// Enciphers the chunk's own record ids, run by run of one namespace,
    /// and appends them to their column and keys to `accepted` (one entry
    /// per accepted row, in order).
    fn resolve_deferred(&mut self, accepted: &mut [(usize, u128)]) {
        let Some(c) = self.own_key else { return };
        let mut entries = std::mem::take(&mut self.deferred);
        let mut at = 0;
        while at < entries.len() {
            let Deferred::Block(ns, _) = entries[at] else {
                at += 1;
                continue;
            };
            let mut blocks: Vec<[u8; 16]> = entries[at..]
                .iter()
                .map_while(|e| match e {
                    Deferred::Block(n, b) if *n == ns => Some(*b),
                    _ => None,
                })
                .collect();
            self.pseudo.encipher(ns, &mut blocks);
            for (k, block) in blocks.iter().enumerate() {
                accepted[at + k].1 = u128::from_be_bytes(*block);
                entries[at + k] = Deferred::Ready(crate::pseudo::pseudonym_of_value(*block));
            }
            at += blocks.len();
        }
        let builder = &mut self.builders[c];
        for entry in entries.drain(..) {
            match entry {
                Deferred::Ready(p) => builder.append_key(Some(&p)),
                Deferred::Null => builder.append_key(None),
                Deferred::Block(..) => unreachable!("every block is enciphered above"),
            }
        }
        // The emptied list keeps its room for the next chunk.
        self.deferred = entries;
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
