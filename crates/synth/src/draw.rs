//! Dates of the period the extracts cover and the random draws the
//! generators share.

use crate::{FIRST_YEAR, LAST_YEAR};
use peitto_model::Date;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

pub(crate) fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap_or(Date(0))
}

pub(crate) fn period_start() -> Date {
    date(FIRST_YEAR, 1, 1)
}

pub(crate) fn period_end() -> Date {
    date(LAST_YEAR + 1, 1, 1)
}

pub(crate) fn random_date(rng: &mut ChaCha8Rng, from: Date, to: Date) -> Date {
    if to.0 <= from.0 {
        from
    } else {
        Date(rng.random_range(from.0..to.0))
    }
}

pub(crate) fn scaled(rng: &mut ChaCha8Rng, base: f64, scale: u32) -> usize {
    let mean = base * f64::from(scale);
    let jitter = rng.random_range(0.9..1.1);
    let n = (mean * jitter).round() as usize;
    n.max(1)
}

pub(crate) fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|i| i.1).sum();
    let mut x = rng.random_range(0.0..total);
    for item in items {
        if x < item.1 {
            return item.0;
        }
        x -= item.1;
    }
    items[items.len() - 1].0
}
