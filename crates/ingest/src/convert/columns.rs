//! A column as the converter builds it: a row's parsed values, the Arrow
//! builders they go into, each column's plan (source field, memo, cached
//! pseudonyms) and the date cache.

use super::*;
use crate::pseudo::Namespace;
use arrow::array::{
    BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, StringBuilder,
};
use peitto_model::ColumnSpec;

/// A parsed value, waiting for the whole row to pass.
#[derive(Debug, Clone, Copy)]
pub(super) enum Value {
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

pub(super) enum Builder {
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
    pub(super) fn with_capacity(kind: Kind, rows: usize, bytes: usize) -> Builder {
        match kind {
            Kind::Person | Kind::RecordId(_) => {
                Builder::Key(BinaryBuilder::with_capacity(rows, bytes))
            }
            Kind::Code(_) | Kind::Municipality | Kind::Area | Kind::Text | Kind::BusinessId => {
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

    /// Appends a pseudonym, or an empty value, to a column of pseudonyms.
    pub(super) fn append_key(&mut self, key: Option<&Pseudonym>) {
        if let Builder::Key(b) = self {
            match key {
                Some(k) => b.append_value(k),
                None => b.append_null(),
            }
        }
    }

    pub(super) fn append(&mut self, value: Value, key: &Pseudonym, row: &RawRow) {
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

    pub(super) fn finish(&mut self) -> Result<ArrayRef, arrow::error::ArrowError> {
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

pub(super) struct Plan {
    pub(super) spec: &'static ColumnSpec,
    /// Index of the source field, if the file has the column.
    pub(super) source: Option<usize>,
    pub(super) header: String,
    /// Whether to cache pseudonyms of this record-id column (foreign keys repeat).
    pub(super) cache: bool,
    /// Decoded codes and yes/no words by their exact source text: a column
    /// has few distinct values, and this spares a lower-casing per row.
    pub(super) memo: FxHashMap<String, Option<Value>>,
    /// The record-id namespace of the last row's municipality: rows of one
    /// municipality follow each other, and the look-up compares strings.
    pub(super) namespace: Option<([u8; 3], Namespace)>,
    /// The last foreign key's text and pseudonym: the lines of one placement
    /// follow each other, so most rows repeat the one before.
    pub(super) last_key: Option<(Namespace, String, Pseudonym)>,
    /// This row's pseudonym, when the column has one ([`Value::Key`]).
    pub(super) key: Pseudonym,
    /// This row's own record id, padded for the cipher, when it is
    /// enciphered with the rest of the chunk instead.
    pub(super) block: Option<(crate::pseudo::Namespace, [u8; 16])>,
    /// Dates parsed lately, for a date column.
    pub(super) dates: DateCache,
}

/// Dates by their text, in a small direct-mapped table: a date column has
/// a few hundred distinct values (months' first and last days), and a
/// look-up is a multiply and a compare where parsing is a few dozen steps.
pub(super) struct DateCache {
    /// A text of up to 16 bytes, zero-padded (a text with a zero byte is
    /// not cached, so no two texts pad to the same number), and its days
    /// since 1970-01-01.
    pub(super) slots: Vec<(u128, i32)>,
}

impl DateCache {
    const SLOTS: usize = 256;

    pub(super) fn new() -> DateCache {
        DateCache { slots: Vec::new() }
    }

    /// The date in `raw` as days since 1970-01-01, or `None` if it is not one.
    pub(super) fn parse(&mut self, raw: &str) -> Option<i32> {
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
