//! The persons an ingest saw: one entry per pseudonym, gathered from every
//! conversion thread of every file into one set before the commit, packed
//! (the pseudonym's 16-byte value and 8 bytes of facts) so that the
//! millions of persons of a national folder cost a few hundred megabytes,
//! not gigabytes of repeated rows.

use crate::IngestError;
use crate::convert::PersonFacts;
use crate::pseudo::Pseudonym;
use peitto_store::fast_hash::FxHashMap;
use peitto_store::pseudonym;
use std::sync::Arc;

/// A person's facts as kept here: the sex as its code's one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Packed {
    birth_date: i32,
    sex: u8,
    temporary: bool,
}

/// Persons by pseudonym. The facts are the henkilötunnus's, the same
/// wherever a person is seen, so which sighting is kept does not matter.
#[derive(Debug, Default, Clone)]
pub struct Persons {
    map: FxHashMap<u128, Packed>,
}

impl Persons {
    /// No persons.
    #[must_use]
    pub fn new() -> Persons {
        Persons::default()
    }

    /// Persons held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether none is held.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Adds a person unless already held.
    pub fn insert(&mut self, pseudonym: &Pseudonym, facts: PersonFacts) {
        let Some(key) = pseudonym::value(pseudonym) else {
            debug_assert!(false, "a pseudonym is lower-case hex");
            return;
        };
        self.map.entry(key).or_insert(Packed {
            birth_date: facts.birth_date,
            sex: facts.sex.as_bytes().first().copied().unwrap_or(0),
            temporary: facts.temporary,
        });
    }

    /// Adds every person of `other` (the larger set is kept and the
    /// smaller one poured into it).
    pub fn absorb(&mut self, mut other: Persons) {
        if other.map.len() > self.map.len() {
            std::mem::swap(&mut self.map, &mut other.map);
        }
        self.map.reserve(other.map.len());
        for (key, facts) in other.map {
            self.map.entry(key).or_insert(facts);
        }
    }

    /// The persons as one batch of the person table, in no particular
    /// order (the store sorts them by key when it merges them).
    ///
    /// # Errors
    /// Only on an internal Arrow error.
    pub fn into_batch(self) -> Result<arrow::array::RecordBatch, IngestError> {
        use arrow::array::{BooleanArray, Date32Array, StringBuilder};
        let n = self.map.len();
        let mut keys = StringBuilder::with_capacity(n, n * 32);
        let mut births = Vec::with_capacity(n);
        let mut sexes = StringBuilder::with_capacity(n, n);
        let mut temps = Vec::with_capacity(n);
        for (key, facts) in self.map {
            // Hex digits are ASCII.
            keys.append_value(std::str::from_utf8(&pseudonym::text(key)).unwrap_or_default());
            births.push(facts.birth_date);
            // The codes are `1` and `2` (PersonFacts::sex), one byte each.
            match facts.sex {
                0 => sexes.append_value(""),
                b => sexes.append_value(char::from(b).encode_utf8(&mut [0u8; 4])),
            }
            temps.push(facts.temporary);
        }
        arrow::array::RecordBatch::try_new(
            Arc::new(peitto_model::tables::PERSON.schema()),
            vec![
                Arc::new(keys.finish()),
                Arc::new(Date32Array::from(births)),
                Arc::new(sexes.finish()),
                Arc::new(BooleanArray::from(temps)),
            ],
        )
        .map_err(|e| IngestError::Arrow(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudonyms_round_trip_and_repeats_are_kept_once() {
        let p: Pseudonym = *b"0123456789abcdef00ff00ff00ff00ff";
        let q: Pseudonym = *b"ffffffffffffffffffffffffffffffff";
        let facts = |sex| PersonFacts {
            birth_date: 100,
            sex,
            temporary: false,
        };
        let mut a = Persons::new();
        a.insert(&p, facts("1"));
        let mut b = Persons::new();
        b.insert(&p, facts("1"));
        b.insert(&q, facts("2"));
        a.absorb(b);
        assert_eq!(a.len(), 2);
        let batch = a.into_batch().unwrap();
        let mut rows: Vec<(String, String)> = (0..2)
            .map(|r| {
                let text = |c: usize| {
                    arrow::array::AsArray::as_string::<i32>(batch.column(c))
                        .value(r)
                        .to_owned()
                };
                (text(0), text(2))
            })
            .collect();
        rows.sort();
        assert_eq!(
            rows,
            [
                (String::from_utf8(p.to_vec()).unwrap(), "1".to_owned()),
                (String::from_utf8(q.to_vec()).unwrap(), "2".to_owned())
            ]
        );
    }
}
