//! A ledger record: an anchor as fixed words with a checksum, after a
//! header that names the file's kind and version.

use super::{Anchor, BOTTOM, HEADER, MAGIC, POINTS, VERSION, WORDS, mix};

pub(super) fn header() -> [u8; HEADER as usize] {
    let mut h = [0u8; HEADER as usize];
    h[..8].copy_from_slice(MAGIC);
    h[8..12].copy_from_slice(&VERSION.to_le_bytes());
    h
}

pub(super) fn encode(a: &Anchor) -> Vec<u8> {
    let mut words = Vec::with_capacity(WORDS);
    words.extend([
        a.kind,
        a.n,
        u64::from(a.value.is_some()) | u64::from(a.report) << 1,
        a.value.unwrap_or(0.0).to_bits(),
    ]);
    words.extend(a.bottom);
    words.extend(a.sketch);
    words.push(mix(&words));
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// An anchor from its record; `None` when its checksum fails.
pub(super) fn decode(record: &[u8]) -> Option<Anchor> {
    let words: Vec<u64> = record
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    let (body, check) = words.split_at(WORDS - 1);
    if check != [mix(body)] || body[2] > 3 {
        return None;
    }
    let mut bottom = [0; BOTTOM];
    bottom.copy_from_slice(&body[4..4 + BOTTOM]);
    let mut sketch = [0; POINTS];
    sketch.copy_from_slice(&body[4 + BOTTOM..]);
    Some(Anchor {
        kind: body[0],
        n: body[1],
        value: (body[2] & 1 == 1).then(|| f64::from_bits(body[3])),
        bottom,
        sketch,
        report: body[2] & 2 == 2,
    })
}
