//! The cell key method and deterministic rounding.
//!
//! Every person carries a fixed record key derived from their pseudonym; a
//! cell's key is the sum of its contributors' record keys modulo the key
//! space, so it depends only on *which* persons are in the cell, never on
//! the query that made it. A versioned perturbation table maps the true
//! count and the cell key to the published count: the same set of persons
//! always gets the same value, so repeating a query, or differencing two,
//! gains nothing.

/// A record key from a person's pseudonym (any stable bytes).
#[must_use]
pub fn record_key(pseudonym: &[u8], modulus: u64) -> u64 {
    // FNV-1a: stable across platforms and versions, which the key must be.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in pseudonym {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % modulus
}

/// The cell key of a set of record keys: their sum modulo `modulus`.
#[must_use]
pub fn cell_key(record_keys: impl IntoIterator<Item = u64>, modulus: u64) -> u64 {
    record_keys
        .into_iter()
        .fold(0u64, |acc, k| (acc + k % modulus) % modulus)
}

/// What a perturbation-table entry publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// This count, whatever the true one.
    Absolute(u64),
    /// The true count plus this.
    Offset(i64),
}

/// One row of the table: the entries for one true count, by cell key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// (exclusive upper end of the cell-key range, output); the last covers the rest.
    pub entries: Vec<(u64, Output)>,
}

/// A versioned perturbation table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PTable {
    /// Version, published with every release that used it.
    pub version: &'static str,
    /// Cell keys are in `0..modulus`.
    pub modulus: u64,
    /// Rows for counts 0, 1, 2, …; the last row serves every larger count.
    pub rows: Vec<Row>,
}

impl PTable {
    /// The published count for `count` true persons with `key`.
    #[must_use]
    pub fn perturb(&self, count: u64, key: u64) -> u64 {
        let row =
            usize::try_from(count).map_or(self.rows.len() - 1, |c| c.min(self.rows.len() - 1));
        let entries = &self.rows[row].entries;
        let output = entries
            .iter()
            .find(|(end, _)| key % self.modulus < *end)
            .map_or_else(
                || entries.last().map_or(Output::Offset(0), |e| e.1),
                |e| e.1,
            );
        match output {
            Output::Absolute(v) => v,
            Output::Offset(d) => u64::try_from(
                i64::try_from(count)
                    .unwrap_or(i64::MAX)
                    .saturating_add(d)
                    .max(0),
            )
            .unwrap_or(0),
        }
    }

    /// peitto's default table: zero-mean noise within ±3, never 1 or 2.
    /// Keys are 32-bit; probabilities are multiples of 1/20 or 1/3.
    #[must_use]
    pub fn peitto_v1() -> PTable {
        const M: u64 = 1 << 32;
        let at = |twentieths: u64| M / 20 * twentieths;
        let third = |n: u64| M / 3 * n;
        let row = |e: &[(u64, Output)]| Row {
            entries: e.to_vec(),
        };
        PTable {
            version: "peitto-ckm-v1",
            modulus: M,
            rows: vec![
                // 0 stays 0.
                row(&[(M, Output::Absolute(0))]),
                // 1: 0 w.p. 2/3, 3 w.p. 1/3.
                row(&[(third(2), Output::Absolute(0)), (M, Output::Absolute(3))]),
                // 2: 0 w.p. 1/3, 3 w.p. 2/3.
                row(&[(third(1), Output::Absolute(0)), (M, Output::Absolute(3))]),
                // 3: 0 3/20, 3 11/20, 4 3/20, 5 3/20 (mean 3).
                row(&[
                    (at(3), Output::Absolute(0)),
                    (at(14), Output::Absolute(3)),
                    (at(17), Output::Absolute(4)),
                    (M, Output::Absolute(5)),
                ]),
                // 4: 3 1/4, 4 1/2, 5 1/4.
                row(&[
                    (at(5), Output::Absolute(3)),
                    (at(15), Output::Absolute(4)),
                    (M, Output::Absolute(5)),
                ]),
                // 5 and more: -2 1/10, -1 2/10, 0 4/10, +1 2/10, +2 1/10.
                row(&[
                    (at(2), Output::Offset(-2)),
                    (at(6), Output::Offset(-1)),
                    (at(14), Output::Offset(0)),
                    (at(18), Output::Offset(1)),
                    (M, Output::Offset(2)),
                ]),
            ],
        }
    }
}

/// Rounds `count` to a multiple of 3, up with probability (count mod 3)/3,
/// the draw taken from the cell key so the same persons always round alike.
#[must_use]
pub fn round_base3(count: u64, key: u64, modulus: u64) -> u64 {
    let r = count % 3;
    if r == 0 {
        return count;
    }
    // key / modulus is uniform in [0, 1): round up when it falls below r/3.
    if u128::from(key % modulus) * 3 < u128::from(r) * u128::from(modulus) {
        count - r + 3
    } else {
        count - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sdc.md worked example 4: keys 0–999, sum mod 1000.
    fn example_table() -> PTable {
        PTable {
            version: "example-4",
            modulus: 1000,
            rows: vec![
                Row {
                    entries: vec![(1000, Output::Absolute(0))],
                },
                Row {
                    entries: vec![(500, Output::Absolute(0)), (1000, Output::Absolute(2))],
                },
                Row {
                    entries: vec![(800, Output::Absolute(2)), (1000, Output::Absolute(3))],
                },
                Row {
                    entries: vec![
                        (300, Output::Offset(-1)),
                        (700, Output::Offset(0)),
                        (1000, Output::Offset(1)),
                    ],
                },
            ],
        }
    }

    const CHILDREN: [(u64, u32); 5] = [(412, 9), (600, 17), (105, 4), (660, 12), (573, 15)];

    #[test]
    fn worked_example_4_differencing_gains_nothing() {
        let t = example_table();
        let cell = |keep: &dyn Fn(u32) -> bool| {
            let keys: Vec<u64> = CHILDREN
                .iter()
                .filter(|(_, age)| keep(*age))
                .map(|(k, _)| *k)
                .collect();
            (keys.len() as u64, cell_key(keys.iter().copied(), 1000))
        };
        let (n, key) = cell(&|age| age <= 17);
        assert_eq!((n, key), (5, 350));
        assert_eq!(t.perturb(n, key), 5);
        let (n, key) = cell(&|age| age <= 16);
        assert_eq!((n, key), (4, 750));
        assert_eq!(
            t.perturb(n, key),
            5,
            "the difference shows 0 where the truth is 1"
        );
        assert_eq!(t.perturb(1, 600), 2);
        assert_eq!(t.perturb(2, cell_key([412, 105], 1000)), 2);
    }

    #[test]
    fn order_and_repetition_do_not_change_the_value() {
        let t = example_table();
        let keys: Vec<u64> = CHILDREN.iter().map(|c| c.0).collect();
        let first = t.perturb(5, cell_key(keys.clone(), 1000));
        // All 120 orders of the five records.
        let mut perm = keys.clone();
        let mut count = 0;
        permute(&mut perm, 0, &mut |p| {
            count += 1;
            assert_eq!(t.perturb(5, cell_key(p.iter().copied(), 1000)), first);
        });
        assert_eq!(count, 120);
        for _ in 0..1000 {
            assert_eq!(t.perturb(5, cell_key(keys.clone(), 1000)), first);
        }
    }

    fn permute(v: &mut Vec<u64>, k: usize, f: &mut dyn FnMut(&[u64])) {
        if k == v.len() {
            f(v);
            return;
        }
        for i in k..v.len() {
            v.swap(k, i);
            permute(v, k + 1, f);
            v.swap(k, i);
        }
    }

    #[test]
    fn default_table_never_shows_one_or_two_and_is_nearly_unbiased() {
        let t = PTable::peitto_v1();
        for n in 0..40u64 {
            let mut sum = 0.0;
            let steps = 2000u64;
            for s in 0..steps {
                let out = t.perturb(n, s * (t.modulus / steps));
                assert!(out != 1 && out != 2, "n={n} gave {out}");
                assert!(out.abs_diff(n) <= 3, "n={n} gave {out}");
                sum += out as f64;
            }
            let mean = sum / steps as f64;
            assert!((mean - n as f64).abs() < 0.06, "n={n}: mean {mean}");
        }
    }

    #[test]
    fn rounding_is_unbiased_and_repeatable() {
        assert_eq!(round_base3(9, 123, 1000), 9);
        let modulus = 3000u64;
        let ups = (0..modulus)
            .filter(|&k| round_base3(17, k, modulus) == 18)
            .count();
        assert_eq!(ups, 2000, "17 rounds up with probability 2/3");
        assert!((0..modulus).all(|k| [15, 18].contains(&round_base3(17, k, modulus))));
        assert_eq!(round_base3(4, 77, 1000), round_base3(4, 77, 1000));
        assert_eq!(record_key(b"abc", 1000), record_key(b"abc", 1000));
    }
}
