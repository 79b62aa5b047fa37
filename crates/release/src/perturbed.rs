//! Saved reports under a cell-key policy: each grouped cell perturbed by
//! the cell key of its persons (counts through the perturbation table or
//! base-3 rounding, sums with noise of a part of their largest
//! contribution); cells under the frequency threshold withheld.

use super::*;
use crate::cells::{Cells, Counts};

/// Cell key method (or base-3 rounding): only the grouped cells, each
/// perturbed the same way for the same set of persons; cells under the
/// frequency threshold are withheld.
pub(crate) fn perturb(
    agg: &ReleaseAggregate,
    partials: &Partials,
    policy: &Policy,
) -> Result<Cells, ReleaseError> {
    let ptable = PTable::peitto_v1();
    let quantities = parts(agg);
    let mut counts = Counts::default();
    let mut cells: Vec<&(Vec<ScalarValue>, PersonPartials)> = partials.cells.iter().collect();
    cells.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let mut rows = Vec::new();
    let records = partials.names.record_keys(ptable.modulus);
    for (key, persons) in cells {
        let cell_key = cellkey::cell_key(
            persons.ids.iter().map(|&id| records[id as usize]),
            ptable.modulus,
        );
        let withheld = (persons.len() as u64) < policy.min_frequency;
        let mut values = Vec::new();
        for (q, (j, part)) in quantities.iter().enumerate() {
            let contributions: Vec<f64> = persons
                .measure(*j)
                .map(|m| contribution(*part, m))
                .collect();
            let value: f64 = contributions.iter().sum();
            counts.cells += 1;
            if withheld {
                counts.suppressed += 1;
                counts.hidden.push(value);
                values.push(None);
                continue;
            }
            counts.perturbed += 1;
            // Each quantity of the cell draws from its own part of the key.
            let key = cell_key.wrapping_add((q as u64).wrapping_mul(0x9E37_79B9)) % ptable.modulus;
            let published =
                if *part == Part::Sum && contributions.iter().any(|&c| c != 0.0 && c != 1.0) {
                    perturb_magnitude(value, &contributions, key, ptable.modulus)
                } else {
                    let count = value.round().max(0.0) as u64;
                    match policy.method {
                        Method::Rounding => cellkey::round_base3(count, key, ptable.modulus) as f64,
                        _ => ptable.perturb(count, key) as f64,
                    }
                };
            values.push(Some(published));
        }
        rows.push((key.iter().cloned().map(Some).collect(), values));
    }
    Ok(Cells { rows, counts })
}

/// A sum published with noise of 10–30 % of its largest contribution,
/// sign and size drawn from the cell key: differencing two sums that
/// differ by one person leaves that person's value uncertain by about as
/// much as the p% rule protects.
fn perturb_magnitude(value: f64, contributions: &[f64], key: u64, modulus: u64) -> f64 {
    let largest = contributions.iter().fold(0.0_f64, |a, c| a.max(c.abs()));
    let u = (key % modulus) as f64 / modulus as f64;
    let sign = if u < 0.5 { -1.0 } else { 1.0 };
    let size = 0.1 + 0.2 * ((u * 2.0).fract());
    ((value + sign * size * largest) * 100.0).round() / 100.0
}
