//! Keyed pseudonyms (HMAC-SHA256 with the project key).
//!
//! The same henkilötunnus gives the same pseudonym in every table and file of
//! a project, so persons link; a different key gives unrelated pseudonyms, so
//! two projects' stores do not link. Record ids are pseudonymised too, in the
//! namespace of their source system and entity, so an invoice line still
//! links to its placement but neither can be looked up in the source system.

use hmac::{Hmac, KeyInit, Mac};
use peitto_project::Key;
use peitto_store::fast_hash::FxHashMap;
use sha2::Sha256;

/// A pseudonym as stored: 32 lower-case hex digits (the first 128 bits of the MAC).
pub type Pseudonym = [u8; 32];

/// Caches bound the memory a long extract can use; beyond them pseudonyms
/// are recomputed, which costs time, never correctness.
const PERSON_CACHE_LIMIT: usize = 2_000_000;
const RECORD_CACHE_LIMIT: usize = 500_000;

const PERSON_DOMAIN: &[u8] = b"peitto/person/v1\0";
const RECORD_DOMAIN: &[u8] = b"peitto/record/v1\0";

/// Computes pseudonyms for one project key.
#[derive(Clone)]
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
    persons: FxHashMap<[u8; 11], Pseudonym>,
    records: FxHashMap<Vec<u8>, Pseudonym>,
    /// Per-namespace MACs keyed with `HMAC(key, domain ‖ system ‖ entity)`: the
    /// per-row message is then the id alone and fits one SHA-256 block.
    namespaces: Vec<(String, Hmac<Sha256>)>,
    /// Reused buffer for cache look-ups of record ids.
    scratch: Vec<u8>,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pseudonymiser(<keyed>)")
    }
}

fn hex(digest: &[u8]) -> Pseudonym {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 32];
    for (i, byte) in digest.iter().take(16).enumerate() {
        out[2 * i] = DIGITS[usize::from(byte >> 4)];
        out[2 * i + 1] = DIGITS[usize::from(byte & 0x0f)];
    }
    out
}

impl Pseudonymiser {
    /// A pseudonymiser for `key`.
    #[must_use]
    pub fn new(key: &Key) -> Pseudonymiser {
        // A 32-byte key is always a valid HMAC key.
        let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.bytes())
            .unwrap_or_else(|_| unreachable!());
        Pseudonymiser {
            mac,
            persons: FxHashMap::default(),
            records: FxHashMap::default(),
            namespaces: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Pseudonym of a validated henkilötunnus (its canonical 11 characters).
    pub fn person(&mut self, hetu: &peitto_hetu::Hetu) -> Pseudonym {
        let mut code = [0u8; 11];
        code.copy_from_slice(hetu.as_str().as_bytes());
        if let Some(p) = self.persons.get(&code) {
            return *p;
        }
        let digest = self
            .mac
            .clone()
            .chain_update(PERSON_DOMAIN)
            .chain_update(code)
            .finalize()
            .into_bytes();
        let p = hex(&digest);
        if self.persons.len() >= PERSON_CACHE_LIMIT {
            self.persons.clear();
        }
        self.persons.insert(code, p);
        p
    }

    /// Pseudonym of record id `id` of `entity` in source system `system`.
    /// `cache` is for ids that repeat (foreign keys); a table's own key is
    /// unique, so caching it would only cost memory.
    pub fn record(&mut self, system: &str, entity: &str, id: &str, cache: bool) -> Pseudonym {
        let namespace = self.namespace(system, entity);
        self.record_in(namespace, id, cache)
    }

    /// Pseudonym of record id `id` in a namespace from [`Pseudonymiser::namespace`].
    pub fn record_in(&mut self, namespace: Namespace, id: &str, cache: bool) -> Pseudonym {
        let mac = &self.namespaces[namespace.0].1;
        if !cache {
            return hex(&mac
                .clone()
                .chain_update(id.as_bytes())
                .finalize()
                .into_bytes());
        }
        self.scratch.clear();
        self.scratch
            .extend_from_slice(&(namespace.0 as u64).to_le_bytes());
        self.scratch.extend_from_slice(id.as_bytes());
        if let Some(p) = self.records.get(self.scratch.as_slice()) {
            return *p;
        }
        let p = hex(&mac
            .clone()
            .chain_update(id.as_bytes())
            .finalize()
            .into_bytes());
        if self.records.len() >= RECORD_CACHE_LIMIT {
            self.records.clear();
        }
        self.records.insert(self.scratch.clone(), p);
        p
    }
}

/// The record ids of one entity in one source system's register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Namespace(usize);

impl Pseudonymiser {
    /// The namespace of `entity`'s ids in source system `system`.
    pub fn namespace(&mut self, system: &str, entity: &str) -> Namespace {
        let found = self.namespaces.iter().position(|(name, _)| {
            name.len() == system.len() + entity.len() + 1
                && name.starts_with(system)
                && name.ends_with(entity)
                && name.as_bytes()[system.len()] == 0
        });
        let index = match found {
            Some(i) => i,
            None => {
                let sub_key = self
                    .mac
                    .clone()
                    .chain_update(RECORD_DOMAIN)
                    .chain_update(system.as_bytes())
                    .chain_update([0])
                    .chain_update(entity.as_bytes())
                    .finalize()
                    .into_bytes();
                // A 32-byte key is always a valid HMAC key.
                let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&sub_key)
                    .unwrap_or_else(|_| unreachable!());
                self.namespaces.push((format!("{system}\0{entity}"), mac));
                self.namespaces.len() - 1
            }
        };
        Namespace(index)
    }
}

/// The 128-bit value a pseudonym's hex digits spell (a row key needs no further hashing).
#[must_use]
pub fn pseudonym_value(p: &Pseudonym) -> u128 {
    // '0'..='9' are 0x30..=0x39 and 'a'..='f' 0x61..=0x66: the low four
    // bits, plus 9 for a letter (bit 6), give the digit without a branch.
    p.iter().fold(0u128, |acc, &d| {
        (acc << 4) | u128::from((d & 0x0f) + 9 * (d >> 6))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use peitto_hetu::Hetu;

    #[test]
    fn same_key_links_different_keys_do_not() {
        let hetu = Hetu::parse("010594Y9032").unwrap();
        let mut a = Pseudonymiser::new(&Key::from_bytes([1; 32]));
        let mut a2 = Pseudonymiser::new(&Key::from_bytes([1; 32]));
        let mut b = Pseudonymiser::new(&Key::from_bytes([2; 32]));
        let pa = a.person(&hetu);
        assert_eq!(pa, a2.person(&hetu));
        assert_eq!(pa, a.person(&hetu), "cached value differs");
        assert_ne!(pa, b.person(&hetu));
        assert!(pa.iter().all(u8::is_ascii_hexdigit));
        // The century sign alone separates people (since 2023).
        let other =
            Hetu::parse(&peitto_hetu::compose(hetu.birth_date(), '-', 903).unwrap()).unwrap();
        assert_ne!(pa, a.person(&other));
    }

    #[test]
    fn record_ids_are_namespaced() {
        let mut p = Pseudonymiser::new(&Key::from_bytes([1; 32]));
        let x = p.record("abilita", "placement", "17", true);
        assert_eq!(x, p.record("abilita", "placement", "17", false));
        assert_ne!(x, p.record("pro_consona", "placement", "17", false));
        assert_ne!(x, p.record("abilita", "legal_basis", "17", false));
        assert_ne!(x, p.record("abilit", "aplacement", "17", false));
        assert_eq!(
            pseudonym_value(&x),
            u128::from_str_radix(std::str::from_utf8(&x).unwrap(), 16).unwrap()
        );
    }
}
