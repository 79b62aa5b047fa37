//! The sets' sketches: characteristic polynomials over GF(2⁶¹ − 1) at
//! fixed points, and the size of a small symmetric difference from two
//! of them (see the ledger's doc).

use super::{FIRST_ELEMENT, NEAR, P, POINTS};

fn mul(a: u64, b: u64) -> u64 {
    let prod = u128::from(a) * u128::from(b);
    let r = (prod as u64 & P) + (prod >> 61) as u64;
    if r >= P { r - P } else { r }
}

fn add(a: u64, b: u64) -> u64 {
    let r = a + b;
    if r >= P { r - P } else { r }
}

fn sub(a: u64, b: u64) -> u64 {
    add(a, P - b)
}

fn inverse(a: u64) -> u64 {
    let (mut base, mut exp, mut acc) = (a, P - 2, 1);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = mul(acc, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    acc
}

/// The characteristic polynomial of `elements` at the points 0..12.
pub(super) fn sketch(elements: &[u64]) -> [u64; POINTS] {
    let mut out = [1; POINTS];
    for e in elements {
        let x = FIRST_ELEMENT + e % (P - FIRST_ELEMENT);
        for (z, v) in out.iter_mut().enumerate() {
            // z < x < P: never zero.
            *v = mul(*v, z as u64 + P - x);
        }
    }
    out
}

/// The size of the symmetric difference of two sets of sizes `na`, `nb`
/// and sketches `a`, `b`, when it is at most [`NEAR`].
pub(super) fn distance(
    (na, a): (u64, &[u64; POINTS]),
    (nb, b): (u64, &[u64; POINTS]),
) -> Option<u64> {
    let delta = na as i64 - nb as i64;
    let mut d = delta.unsigned_abs();
    while d <= NEAR {
        // |A∖B| and |B∖A|.
        let da = ((d as i64 + delta) / 2) as usize;
        let db = ((d as i64 - delta) / 2) as usize;
        if solvable(a, b, da, db) {
            return Some(d);
        }
        d += 2;
    }
    None
}

/// Whether monic `P` of degree `da` and `Q` of degree `db` exist with
/// `a(z)·Q(z) = b(z)·P(z)` at every point.
fn solvable(a: &[u64; POINTS], b: &[u64; POINTS], da: usize, db: usize) -> bool {
    let unknowns = da + db;
    let mut rows: Vec<[u64; 2 * NEAR as usize + 1]> = Vec::with_capacity(POINTS);
    for (z, (&az, &bz)) in a.iter().zip(b).enumerate() {
        let z = z as u64;
        let mut powers = [1u64; 2 * NEAR as usize + 1];
        for j in 1..powers.len() {
            powers[j] = mul(powers[j - 1], z);
        }
        let mut row = [0u64; 2 * NEAR as usize + 1];
        // q_j·a·z^j − p_j·b·z^j = b·z^da − a·z^db
        for j in 0..db {
            row[j] = mul(az, powers[j]);
        }
        for j in 0..da {
            row[db + j] = sub(0, mul(bz, powers[j]));
        }
        row[unknowns] = sub(mul(bz, powers[da]), mul(az, powers[db]));
        rows.push(row);
    }
    let mut rank = 0;
    for col in 0..unknowns {
        let Some(pivot) = (rank..rows.len()).find(|&r| rows[r][col] != 0) else {
            continue;
        };
        rows.swap(rank, pivot);
        let inv = inverse(rows[rank][col]);
        let pivot_row = rows[rank];
        for (r, row) in rows.iter_mut().enumerate() {
            if r != rank && row[col] != 0 {
                let f = mul(row[col], inv);
                for k in col..=unknowns {
                    row[k] = sub(row[k], mul(f, pivot_row[k]));
                }
            }
        }
        rank += 1;
    }
    rows[rank..].iter().all(|row| row[unknowns] == 0)
}
