//! Person numbers of a release's partials, and each person's keys.
//!
//! A national query's partials hold a row per cell and person: two million
//! rows of 1.6 million persons. Numbering them through one hash map of
//! every person misses the cache on nearly every row (it was most of a
//! query's time after DataFusion's aggregate), so the rows are first cut
//! into 256 parts by the top bits of the pseudonym, and each part is
//! numbered with a map that fits in the cache.

use crate::ReleaseError;
use datafusion::arrow::array::{Array, AsArray, Decimal128Array, StringArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, SimpleScalarUDF, Volatility};
use peitto_sdc::cellkey;
use peitto_store::fast_hash::FxHashMap;
use peitto_store::pseudonym;
use std::collections::HashMap;
use std::sync::Arc;

/// Marks a row without a person.
pub(crate) const NOBODY: u32 = u32::MAX;

/// Pseudonyms by person number: the keyed pseudonyms (32 lower-case hex
/// digits, as ingest writes them) as their 128-bit values, then any other
/// names (test fixtures) as text.
#[derive(Default)]
pub(crate) struct Names {
    keys: Vec<u128>,
    texts: Vec<String>,
}

impl Names {
    pub(crate) fn len(&self) -> usize {
        self.keys.len() + self.texts.len()
    }

    /// `f` of the pseudonym of person `id`, exactly as stored.
    pub(crate) fn with<R>(&self, id: u32, f: impl FnOnce(&str) -> R) -> R {
        let id = id as usize;
        match self.keys.get(id) {
            Some(&k) => {
                let digits = pseudonym::text(k);
                // Hex digits are ASCII.
                f(std::str::from_utf8(&digits).unwrap_or_default())
            }
            None => f(&self.texts[id - self.keys.len()]),
        }
    }

    /// Each person's hash ([`crate::withheld::person_hash`]), by number.
    pub(crate) fn hashes(&self) -> Vec<u64> {
        self.each(crate::withheld::person_hash)
    }

    /// Each person's record key of the cell key method, by number.
    pub(crate) fn record_keys(&self, modulus: u64) -> Vec<u64> {
        self.each(|name| cellkey::record_key(name.as_bytes(), modulus))
    }

    /// `f` of every name, on every core (SHA-256 of a million pseudonyms
    /// is a tenth of a second on one).
    fn each(&self, f: impl Fn(&str) -> u64 + Sync) -> Vec<u64> {
        let n = self.len();
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = n.div_ceil(threads.clamp(1, 8)).max(1);
        let mut out = vec![0u64; n];
        let f = &f;
        std::thread::scope(|s| {
            for (c, slot) in out.chunks_mut(chunk).enumerate() {
                s.spawn(move || {
                    for (i, v) in slot.iter_mut().enumerate() {
                        // Persons are numbered in u32.
                        let id = (c * chunk + i) as u32;
                        *v = self.with(id, f);
                    }
                });
            }
        });
        out
    }
}

/// What [`key_function`] fails with on a name that is not a keyed
/// pseudonym (never shown: the partials are then grouped by the text).
pub(crate) const NOT_KEYED: &str = "peitto: not a keyed pseudonym";

/// A pseudonym as its 128-bit value, as a `Decimal128` for DataFusion to
/// group the partials by: a 16-byte number hashes and compares in one step,
/// where 32 characters of text made most of a query's aggregate. It fails
/// with [`NOT_KEYED`] on any other name (test fixtures). Never registered:
/// a planner cannot call it.
pub(crate) fn key_function() -> ScalarUDF {
    ScalarUDF::new_from_impl(SimpleScalarUDF::new_with_signature(
        "peitto_person_key",
        Signature::string(1, Volatility::Immutable),
        DataType::Decimal128(38, 0),
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let names = &arrays[0];
            let keys = |names: &mut dyn Iterator<Item = Option<&str>>| {
                names
                    .map(|n| match n {
                        // The bits as they are: only equality matters.
                        Some(n) => pseudonym::value(n.as_bytes())
                            .map(|k| Some(k as i128))
                            .ok_or(()),
                        None => Ok(None),
                    })
                    .collect::<Result<Decimal128Array, ()>>()
            };
            let keys = match names.data_type() {
                DataType::Utf8View => keys(&mut names.as_string_view().iter()),
                DataType::LargeUtf8 => keys(&mut names.as_string::<i64>().iter()),
                _ => keys(&mut names.as_string::<i32>().iter()),
            }
            .map_err(|()| DataFusionError::Execution(NOT_KEYED.into()))?;
            Ok(ColumnarValue::Array(Arc::new(
                keys.with_precision_and_scale(38, 0)?,
            )))
        }),
    ))
}

/// One batch's person column of the partials: the pseudonyms, or their
/// values from [`key_function`].
pub(crate) enum PersonColumn<'a> {
    Names(&'a StringArray),
    Keys(&'a Decimal128Array),
}

impl PersonColumn<'_> {
    fn len(&self) -> usize {
        match self {
            PersonColumn::Names(c) => c.len(),
            PersonColumn::Keys(c) => c.len(),
        }
    }
}

/// Numbers the persons of `columns` (the partials' person column, batch by
/// batch): the names, and each row's person number in the order of the
/// rows of all batches ([`NOBODY`] for a null).
///
/// # Errors
/// More persons than fit in a `u32`.
pub(crate) fn number(columns: &[PersonColumn<'_>]) -> Result<(Names, Vec<u32>), ReleaseError> {
    const PARTS: usize = 256;
    let rows: usize = columns.iter().map(PersonColumn::len).sum();
    let mut of_row = vec![NOBODY; rows];
    let mut parts: Vec<Vec<(u64, u64, u32)>> = (0..PARTS)
        .map(|_| Vec::with_capacity(rows / PARTS + rows / PARTS / 8 + 1))
        .collect();
    let mut texts: Vec<String> = Vec::new();
    let mut by_text: HashMap<String, u32> = HashMap::new();
    let mut text_rows: Vec<(u32, u32)> = Vec::new();
    let too_many = || ReleaseError::Dimension("more than 4 294 967 295 persons".into());
    let mut at: u32 = 0;
    for column in columns {
        let column = match column {
            PersonColumn::Keys(keys) => {
                for i in 0..keys.len() {
                    if keys.is_valid(i) {
                        // The bits back as they were; truncations intended.
                        let k = keys.value(i) as u128;
                        parts[(k >> 120) as usize].push(((k >> 64) as u64, k as u64, at));
                    }
                    at = at.checked_add(1).ok_or_else(too_many)?;
                }
                continue;
            }
            PersonColumn::Names(names) => names,
        };
        for i in 0..column.len() {
            if column.is_valid(i) {
                let name = column.value(i);
                match pseudonym::value(name.as_bytes()) {
                    // The top byte picks the part; truncations intended.
                    Some(k) => parts[(k >> 120) as usize].push(((k >> 64) as u64, k as u64, at)),
                    None => {
                        let t = match by_text.get(name) {
                            Some(&t) => t,
                            None => {
                                let t = u32::try_from(texts.len()).map_err(|_| too_many())?;
                                texts.push(name.to_owned());
                                by_text.insert(name.to_owned(), t);
                                t
                            }
                        };
                        text_rows.push((at, t));
                    }
                }
            }
            at = at.checked_add(1).ok_or_else(too_many)?;
        }
    }
    let mut keys: Vec<u128> = Vec::new();
    let mut map: FxHashMap<u128, u32> = FxHashMap::default();
    for part in &parts {
        map.clear();
        for &(hi, lo, row) in part {
            let k = (u128::from(hi) << 64) | u128::from(lo);
            let next = keys.len();
            let id = *map.entry(k).or_insert_with(|| {
                keys.push(k);
                // Checked below, before any number is used.
                next as u32
            });
            of_row[row as usize] = id;
        }
    }
    let first_text = u32::try_from(keys.len()).map_err(|_| too_many())?;
    first_text
        .checked_add(u32::try_from(texts.len()).map_err(|_| too_many())?)
        .filter(|&n| n < NOBODY)
        .ok_or_else(too_many)?;
    for (row, t) in text_rows {
        of_row[row as usize] = first_text + t;
    }
    Ok((Names { keys, texts }, of_row))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_gets_its_persons_number_and_the_name_comes_back_exactly() {
        let a = "0123456789abcdef0123456789abcdef";
        let b = "ff23456789abcdef0123456789abcdef";
        let upper = "0123456789ABCDEF0123456789ABCDEF";
        let first = StringArray::from(vec![Some(a), None, Some("p1"), Some(b)]);
        let second = StringArray::from(vec![Some(b), Some(upper), Some("p1"), Some(a)]);
        let (names, of_row) =
            number(&[PersonColumn::Names(&first), PersonColumn::Names(&second)]).unwrap();
        assert_eq!(names.len(), 4);
        assert_eq!(of_row[1], NOBODY);
        // The same person, the same number, across batches.
        assert_eq!(of_row[0], of_row[7]);
        assert_eq!(of_row[3], of_row[4]);
        assert_eq!(of_row[2], of_row[6]);
        let mut seen: Vec<u32> = [0, 2, 3, 5].iter().map(|&r| of_row[r]).collect();
        seen.sort_unstable();
        assert_eq!(seen, vec![0, 1, 2, 3]);
        // Upper-case hex is not how ingest writes a pseudonym: kept as text,
        // so that its hash is of the name as stored.
        for (row, name) in [(0, a), (3, b), (5, upper), (2, "p1")] {
            assert_eq!(names.with(of_row[row], str::to_owned), name);
        }
        let hashes = names.hashes();
        assert_eq!(
            hashes[of_row[5] as usize],
            crate::withheld::person_hash(upper)
        );
        let keys = names.record_keys(1 << 32);
        assert_eq!(
            keys[of_row[0] as usize],
            cellkey::record_key(a.as_bytes(), 1 << 32)
        );
    }

    #[test]
    fn numbering_many_persons_agrees_with_a_plain_map() {
        let names: Vec<String> = (0..50_000u128)
            .map(|i| {
                format!(
                    "{:032x}",
                    i.wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
                )
            })
            .collect();
        // Each person on three rows, in a scrambled order.
        let rows: Vec<&str> = (0..150_000usize)
            .map(|r| names[(r * 7919) % names.len()].as_str())
            .collect();
        let column = StringArray::from(rows.clone());
        let (numbered, of_row) = number(&[PersonColumn::Names(&column)]).unwrap();
        assert_eq!(numbered.len(), names.len());
        let mut plain: HashMap<&str, u32> = HashMap::new();
        for (r, name) in rows.iter().enumerate() {
            let id = *plain.entry(name).or_insert(of_row[r]);
            assert_eq!(id, of_row[r]);
            assert_eq!(numbered.with(id, str::to_owned), *name);
        }
    }

    #[test]
    fn keys_from_the_function_number_persons_as_their_names_do() {
        let a = "0123456789abcdef0123456789abcdef";
        let b = "ff23456789abcdef0123456789abcdef";
        let names = StringArray::from(vec![Some(b), None, Some(a), Some(b)]);
        let call = |names: StringArray| {
            let args = [ColumnarValue::Array(Arc::new(names))];
            let udf = key_function();
            // Called as DataFusion calls it, through the function's closure.
            let arrays = ColumnarValue::values_to_arrays(&args).unwrap();
            let field = Arc::new(datafusion::arrow::datatypes::Field::new(
                "n",
                DataType::Utf8,
                true,
            ));
            udf.invoke_with_args(datafusion::logical_expr::ScalarFunctionArgs {
                args: args.to_vec(),
                arg_fields: vec![field],
                number_rows: arrays[0].len(),
                return_field: Arc::new(datafusion::arrow::datatypes::Field::new(
                    "k",
                    DataType::Decimal128(38, 0),
                    true,
                )),
                config_options: Arc::default(),
            })
        };
        let keys = match call(names.clone()).unwrap() {
            ColumnarValue::Array(a) => a,
            ColumnarValue::Scalar(_) => panic!("an array in, an array out"),
        };
        let keys = keys.as_primitive::<datafusion::arrow::datatypes::Decimal128Type>();
        let (by_key, key_rows) = number(&[PersonColumn::Keys(keys)]).unwrap();
        let (by_name, name_rows) = number(&[PersonColumn::Names(&names)]).unwrap();
        assert_eq!(key_rows, name_rows);
        assert_eq!(by_key.hashes(), by_name.hashes());
        assert_eq!(by_key.with(key_rows[2], str::to_owned), a);
        // A name ingest would not write is not given a key: the partials
        // fall back to the text.
        let err = call(StringArray::from(vec![Some(a), Some("p1")])).unwrap_err();
        assert!(err.to_string().contains(NOT_KEYED));
    }
}
