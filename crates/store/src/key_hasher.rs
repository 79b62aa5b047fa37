//! Row keys: a row's key columns hashed to 128 bits, the same way from an
//! extract being read as from stored Parquet.

use arrow::array::{Array, RecordBatch};

/// Hashes the key of a row to 128 bits, the same way whether the values come
/// from an extract being ingested or from stored Parquet, so a newer extract's
/// record can replace the stored one. Only ever compared within one run.
#[derive(Debug, Clone)]
pub struct KeyHasher {
    a: std::collections::hash_map::DefaultHasher,
    b: std::collections::hash_map::DefaultHasher,
}

impl Default for KeyHasher {
    fn default() -> Self {
        use std::hash::Hasher;
        let a = std::collections::hash_map::DefaultHasher::new();
        let mut b = std::collections::hash_map::DefaultHasher::new();
        // A different start state makes the second half independent of the first.
        b.write_u64(0x9e37_79b9_7f4a_7c15);
        KeyHasher { a, b }
    }
}

impl KeyHasher {
    fn bytes(&mut self, tag: u8, bytes: &[u8]) {
        use std::hash::Hasher;
        for h in [&mut self.a, &mut self.b] {
            h.write_u8(tag);
            h.write_usize(bytes.len());
            h.write(bytes);
        }
    }

    /// Adds a text value.
    pub fn text(&mut self, s: &str) {
        self.bytes(1, s.as_bytes());
    }

    /// Adds a whole number (also dates, as days).
    pub fn int(&mut self, v: i64) {
        self.bytes(2, &v.to_le_bytes());
    }

    /// Adds a missing value.
    pub fn null(&mut self) {
        self.bytes(3, &[]);
    }

    /// The 128-bit key.
    #[must_use]
    pub fn finish(&self) -> u128 {
        use std::hash::Hasher;
        (u128::from(self.a.finish()) << 64) | u128::from(self.b.finish())
    }

    /// The key of a single text value that is a pseudonym (32 hex digits):
    /// already a keyed 128-bit hash, so it is its own key and needs no hashing.
    #[must_use]
    pub fn pseudonym_key(value: &str) -> Option<u128> {
        (value.len() == 32)
            .then(|| u128::from_str_radix(value, 16).ok())
            .flatten()
    }

    /// Key of row `row` of `batch` over columns `columns`.
    #[must_use]
    pub fn of_row(batch: &RecordBatch, columns: &[usize], row: usize) -> u128 {
        use arrow::array::AsArray;
        use arrow::datatypes::{DataType, Date32Type, Int64Type};
        if let [c] = columns
            && let Some(strings) = batch.column(*c).as_string_opt::<i32>()
            && !strings.is_null(row)
            && let Some(k) = KeyHasher::pseudonym_key(strings.value(row))
        {
            return k;
        }
        let mut h = KeyHasher::default();
        for &c in columns {
            let array = batch.column(c);
            if array.is_null(row) {
                h.null();
                continue;
            }
            match array.data_type() {
                DataType::Utf8 => h.text(array.as_string::<i32>().value(row)),
                DataType::Int64 => h.int(array.as_primitive::<Int64Type>().value(row)),
                DataType::Date32 => h.int(i64::from(array.as_primitive::<Date32Type>().value(row))),
                DataType::Boolean => h.int(i64::from(array.as_boolean().value(row))),
                _ => h.null(),
            }
        }
        h.finish()
    }
}
