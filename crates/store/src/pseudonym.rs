//! Pseudonyms as ingest writes them (32 lower-case hex digits of a keyed
//! hash) and their 128-bit values, both ways. Ingest packs its persons by
//! value and the release numbers the persons behind its cells by value, so
//! the two read and write the text alike.

/// The value of a pseudonym as ingest writes it: exactly 32 lower-case hex
/// digits, first digit highest; `None` for anything else (upper-case
/// digits too, so that [`text`] gives every name back exactly).
#[must_use]
pub fn value(name: &[u8]) -> Option<u128> {
    if name.len() != 32 {
        return None;
    }
    // Eight characters at a time, without a branch per character: digits
    // and letters mix at random in a pseudonym, and a branch each
    // mispredicted half the time; a table per character was still a tenth
    // of a query over ten million rows (measured).
    let mut key = 0u128;
    for chunk in name.chunks_exact(8) {
        key = (key << 32) | u128::from(eight_hex_digits(chunk)?);
    }
    Some(key)
}

/// The value of eight lower-case hex digits, first digit highest; `None`
/// if any byte is not one.
fn eight_hex_digits(chunk: &[u8]) -> Option<u32> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(chunk);
    let v = u64::from_be_bytes(bytes);
    // Per byte below 0x80, `b + (0x80 - lo)` has its high bit set exactly
    // when `b >= lo`, and no carry leaves the byte.
    let at_least = |lo: u64| v.wrapping_add((0x80 - lo) * ONES);
    let digit = at_least(0x30) & !at_least(0x3a);
    let letter = at_least(0x61) & !at_least(0x67);
    if v & HIGH != 0 || (digit | letter) & HIGH != HIGH {
        return None;
    }
    // '0'..'9' → 0..9, 'a'..'f' → 1..6 + 9.
    let mut n = (v & (0x0f * ONES)) + 9 * ((v >> 6) & ONES);
    n = (n | (n >> 4)) & 0x00ff_00ff_00ff_00ff;
    n = (n | (n >> 8)) & 0x0000_ffff_0000_ffff;
    n = (n | (n >> 16)) & 0x0000_0000_ffff_ffff;
    // Eight nibbles: 32 bits.
    Some(n as u32)
}

/// The 32 lower-case hex digits of a pseudonym's value: the name back,
/// exactly as [`value`] read it.
#[must_use]
pub fn text(k: u128) -> [u8; 32] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 32];
    for (i, d) in out.iter_mut().enumerate() {
        // A nibble: below 16.
        *d = DIGITS[((k >> (124 - 4 * i)) & 0xf) as usize];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain reading of a pseudonym, character by character.
    fn key_by_characters(name: &[u8]) -> Option<u128> {
        if name.len() != 32 {
            return None;
        }
        name.iter().try_fold(0u128, |k, &b| {
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                _ => return None,
            };
            Some((k << 4) | u128::from(d))
        })
    }

    #[test]
    fn pseudonyms_are_read_eight_characters_at_a_time_as_one_by_one() {
        // Every byte in every position, among valid digits, and random
        // names of near-hex characters.
        let base = *b"0123456789abcdef0123456789abcdef";
        for at in 0..32 {
            for b in 0..=255u8 {
                let mut name = base;
                name[at] = b;
                assert_eq!(value(&name), key_by_characters(&name), "{b:#x} at {at}");
            }
        }
        let alphabet = b"0123456789abcdefABCDEFg/:`@G\x7f\x80\xff ";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let mut name = [0u8; 32];
            for c in &mut name {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Mostly valid digits, sometimes another character.
                *c = if state.is_multiple_of(8) {
                    alphabet[(state >> 8) as usize % alphabet.len()]
                } else {
                    base[(state >> 8) as usize % 16]
                };
            }
            assert_eq!(value(&name), key_by_characters(&name));
        }
        assert_eq!(value(b"0123"), None);
    }

    #[test]
    fn a_value_gives_its_text_back() {
        let name = *b"0123456789abcdef00ff00ff00ff00ff";
        assert_eq!(value(&name).map(text), Some(name));
    }
}
