//! Keyed pseudonyms (HMAC-SHA256, and AES-256 for short record ids, keyed
//! from the project key).
//!
//! The same henkilötunnus gives the same pseudonym in every table and file of
//! a project, so persons link; a different key gives unrelated pseudonyms, so
//! two projects' stores do not link. Record ids are pseudonymised too, in the
//! namespace of their source system and entity, so an invoice line still
//! links to its placement but neither can be looked up in the source system.
//!
//! A record id of up to 15 bytes (nearly every id a client system exports)
//! is enciphered instead: AES-256 of the id and its padding, under a key
//! derived from the project key for its namespace. A block cipher is a
//! keyed permutation, so two ids never share a pseudonym, and one block
//! costs a fifth of the two SHA-256 compressions of an HMAC; an invoice
//! extract has millions of line ids. Whoever holds the project key could
//! decipher such a pseudonym, but could as well recompute the HMAC of every
//! candidate: record ids are short serial numbers, so the key protects them
//! either way, and it never leaves the project directory.

use aes::Aes256;
use aes::cipher::{Array, BlockCipherEncrypt};
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
const RECORD_CIPHER_DOMAIN: &[u8] = b"peitto/record-cipher/v1\0";

/// Longest record id that is enciphered: one byte of the block is left for
/// the padding that keeps ids of different lengths apart.
const CIPHER_MAX_ID: usize = 15;

/// The keys of one namespace of record ids, derived from the project key.
#[derive(Clone)]
struct NamespaceKeys {
    /// `system \0 entity`.
    name: String,
    /// Keyed with `HMAC(key, domain ‖ system ‖ entity)`: the per-row
    /// message is then the id alone and nearly always fits one SHA-256 block.
    mac: Hmac<Sha256>,
    /// Keyed with `HMAC(key, cipher domain ‖ system ‖ entity)`, for ids of
    /// up to [`CIPHER_MAX_ID`] bytes.
    cipher: Aes256,
}

/// Computes pseudonyms for one project key.
#[derive(Clone)]
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
    persons: FxHashMap<[u8; 11], Pseudonym>,
    records: FxHashMap<Vec<u8>, Pseudonym>,
    namespaces: Vec<NamespaceKeys>,
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
        // The keyed state holds the key's pad blocks already compressed: a
        // clone and one more block per message.
        let digest: [u8; 32] = self
            .mac
            .clone()
            .chain_update(PERSON_DOMAIN)
            .chain_update(code)
            .finalize()
            .into_bytes()
            .into();
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
        // Enciphering costs less than a look-up in the cache.
        if let Some(block) = padded(id) {
            return self.record_cipher(namespace, block);
        }
        if !cache {
            return self.record_mac(namespace, id);
        }
        self.scratch.clear();
        self.scratch
            .extend_from_slice(&(namespace.0 as u64).to_le_bytes());
        self.scratch.extend_from_slice(id.as_bytes());
        if let Some(p) = self.records.get(self.scratch.as_slice()) {
            return *p;
        }
        let p = self.record_mac(namespace, id);
        if self.records.len() >= RECORD_CACHE_LIMIT {
            self.records.clear();
        }
        self.records.insert(self.scratch.clone(), p);
        p
    }

    /// AES-256 of an id's block: the id, a 0x80 byte and zeros (ISO/IEC 7816-4
    /// padding, so that "12" and "12\0" differ).
    fn record_cipher(&self, namespace: Namespace, block: [u8; 16]) -> Pseudonym {
        let mut block = Array::from(block);
        self.namespaces[namespace.0]
            .cipher
            .encrypt_block(&mut block);
        hex(&block)
    }

    /// The block a record id is enciphered from, or `None` when the id
    /// takes the HMAC ([`Pseudonymiser::record_in`] for it).
    #[must_use]
    pub fn cipher_block(id: &str) -> Option<[u8; 16]> {
        padded(id)
    }

    /// Enciphers `blocks` (from [`Pseudonymiser::cipher_block`]) in place,
    /// each its record pseudonym's 128-bit value: one call for many ids
    /// loads the cipher's round keys once, where one call per id spent
    /// about 6 % of a single invoice file's ingest doing it (measured).
    pub fn encipher(&self, namespace: Namespace, blocks: &mut [[u8; 16]]) {
        let mut arrays: Vec<Array<u8, aes::cipher::consts::U16>> =
            blocks.iter().map(|b| Array::from(*b)).collect();
        self.namespaces[namespace.0]
            .cipher
            .encrypt_blocks(&mut arrays);
        for (block, array) in blocks.iter_mut().zip(&arrays) {
            block.copy_from_slice(array);
        }
    }

    fn record_mac(&self, namespace: Namespace, id: &str) -> Pseudonym {
        let digest: [u8; 32] = self.namespaces[namespace.0]
            .mac
            .clone()
            .chain_update(id.as_bytes())
            .finalize()
            .into_bytes()
            .into();
        hex(&digest)
    }
}

/// The record ids of one entity in one source system's register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Namespace(usize);

impl Pseudonymiser {
    /// The namespace of `entity`'s ids in source system `system`.
    pub fn namespace(&mut self, system: &str, entity: &str) -> Namespace {
        let found = self
            .namespaces
            .iter()
            .position(|NamespaceKeys { name, .. }| {
                name.len() == system.len() + entity.len() + 1
                    && name.starts_with(system)
                    && name.ends_with(entity)
                    && name.as_bytes()[system.len()] == 0
            });
        let index = match found {
            Some(i) => i,
            None => {
                let derive = |domain: &[u8]| -> [u8; 32] {
                    self.mac
                        .clone()
                        .chain_update(domain)
                        .chain_update(system.as_bytes())
                        .chain_update([0])
                        .chain_update(entity.as_bytes())
                        .finalize()
                        .into_bytes()
                        .into()
                };
                let sub_key = derive(RECORD_DOMAIN);
                // A 32-byte key is always a valid HMAC key.
                let mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&sub_key)
                    .unwrap_or_else(|_| unreachable!());
                let cipher = Aes256::new(&derive(RECORD_CIPHER_DOMAIN).into());
                self.namespaces.push(NamespaceKeys {
                    name: format!("{system}\0{entity}"),
                    mac,
                    cipher,
                });
                self.namespaces.len() - 1
            }
        };
        Namespace(index)
    }
}

/// An id of up to [`CIPHER_MAX_ID`] bytes, padded to a block.
fn padded(id: &str) -> Option<[u8; 16]> {
    if id.len() > CIPHER_MAX_ID {
        return None;
    }
    let mut block = [0u8; 16];
    block[..id.len()].copy_from_slice(id.as_bytes());
    block[id.len()] = 0x80;
    Some(block)
}

/// A pseudonym as stored, from its 128-bit value.
#[must_use]
pub fn pseudonym_of_value(value: [u8; 16]) -> Pseudonym {
    hex(&value)
}

/// The 128-bit value a pseudonym's hex digits spell (a row key needs no further hashing).
#[must_use]
pub fn pseudonym_value(p: &Pseudonym) -> u128 {
    // '0'..='9' are 0x30..=0x39 and 'a'..='f' 0x61..=0x66: the low four
    // bits, plus 9 for a letter (bit 6), give the digit without a branch;
    // eight digits at a time, then packed into 32 bits.
    p.chunks_exact(8).fold(0u128, |acc, digits| {
        let mut w = [0u8; 8];
        w.copy_from_slice(digits);
        let w = u64::from_be_bytes(w);
        let mut n = (w & 0x0f0f_0f0f_0f0f_0f0f) + 9 * ((w >> 6) & 0x0101_0101_0101_0101);
        n = (n | (n >> 4)) & 0x00ff_00ff_00ff_00ff;
        n = (n | (n >> 8)) & 0x0000_ffff_0000_ffff;
        n = (n | (n >> 16)) & 0x0000_0000_ffff_ffff;
        (acc << 32) | u128::from(n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use peitto_hetu::Hetu;

    /// Pseudonyms link persons across every ingest of a project: their
    /// values are pinned to HMAC-SHA256 as Python's `hmac` computes it.
    #[test]
    fn pseudonyms_are_hmac_sha256_known_answers() {
        let mut p = Pseudonymiser::new(&Key::from_bytes([7; 32]));
        let hetu = Hetu::parse("010594Y9032").unwrap();
        assert_eq!(&p.person(&hetu), b"2d935c49a2d36a5fe607dd5eb1b15f57");
        // An id over 15 bytes: HMAC under the namespace's derived key.
        let id = "LINE-0000000000000042";
        assert_eq!(
            &p.record("pro_consona", "invoice_line", id, false),
            b"a7cdafc0f367b1aecca77c0b22ac4935"
        );
    }

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

    /// The record pseudonym the `hmac` crate gives for `id` in `ns`.
    fn general_mac(p: &Pseudonymiser, ns: Namespace, id: &str) -> Pseudonym {
        hex(&p.namespaces[ns.0]
            .mac
            .clone()
            .chain_update(id.as_bytes())
            .finalize()
            .into_bytes())
    }

    #[test]
    fn long_record_ids_take_the_general_path() {
        let mut p = Pseudonymiser::new(&Key::from_bytes([3; 32]));
        let long = "x".repeat(200);
        let ns = p.namespace("abilita", "placement");
        let expected = general_mac(&p, ns, &long);
        assert_eq!(p.record("abilita", "placement", &long, true), expected);
        assert_eq!(p.record("abilita", "placement", &long, false), expected);
    }

    #[test]
    fn short_record_ids_are_enciphered_with_their_padding() {
        use aes::cipher::BlockCipherDecrypt;
        let mut p = Pseudonymiser::new(&Key::from_bytes([4; 32]));
        let ns = p.namespace("pro_consona/285", "invoice_line");
        // Every length the cipher takes, and serial numbers that differ in one digit.
        let mut ids: Vec<String> = (0..=CIPHER_MAX_ID).map(|n| "x".repeat(n)).collect();
        ids.extend((0..20_000).map(|i| format!("L{i:08}")));
        ids.extend((0..20_000).map(|i| format!("{i}")));
        let mut seen = std::collections::HashSet::new();
        for id in &ids {
            let pseudonym = p.record_in(ns, id, false);
            assert!(seen.insert(pseudonym), "{id} shares a pseudonym");
            assert_eq!(pseudonym, p.record_in(ns, id, true), "{id}");
            // Deciphered with the namespace's key: the id, 0x80 and zeros.
            let mut block = Array::from(
                u128::from_str_radix(std::str::from_utf8(&pseudonym).unwrap(), 16)
                    .unwrap()
                    .to_be_bytes(),
            );
            p.namespaces[ns.0].cipher.decrypt_block(&mut block);
            let mut expected = [0u8; 16];
            expected[..id.len()].copy_from_slice(id.as_bytes());
            expected[id.len()] = 0x80;
            assert_eq!(block.as_slice(), expected, "{id}");
        }
        // Sixteen bytes do not fit with the padding: the HMAC takes them.
        let long = "1".repeat(CIPHER_MAX_ID + 1);
        let expected = general_mac(&p, ns, &long);
        assert_eq!(p.record_in(ns, &long, false), expected);
        // Another project key enciphers differently.
        let mut q = Pseudonymiser::new(&Key::from_bytes([5; 32]));
        let other = q.namespace("pro_consona/285", "invoice_line");
        assert_ne!(
            p.record_in(ns, "L00000001", false),
            q.record_in(other, "L00000001", false)
        );
    }

    #[test]
    fn ids_enciphered_together_get_the_pseudonyms_of_one_at_a_time() {
        let mut p = Pseudonymiser::new(&Key::from_bytes([6; 32]));
        let ns = p.namespace("pro_consona/285", "invoice_line");
        let ids: Vec<String> = (0..1000).map(|i| format!("L{i:07}")).collect();
        let mut blocks: Vec<[u8; 16]> = ids
            .iter()
            .map(|id| Pseudonymiser::cipher_block(id).unwrap())
            .collect();
        p.encipher(ns, &mut blocks);
        for (id, block) in ids.iter().zip(&blocks) {
            let one = p.record_in(ns, id, false);
            assert_eq!(pseudonym_of_value(*block), one, "{id}");
            assert_eq!(u128::from_be_bytes(*block), pseudonym_value(&one));
        }
        assert_eq!(
            Pseudonymiser::cipher_block(&"1".repeat(CIPHER_MAX_ID + 1)),
            None
        );
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
