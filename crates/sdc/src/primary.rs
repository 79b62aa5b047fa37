//! Primary rules: which cells are unsafe on their own, and how far the
//! attacker's interval around each must reach.

use crate::policy::Policy;
use crate::table::{PrimaryReason, Release, Status};

/// Upper protection level of the p% rule, if the cell is unsafe: the largest
/// contributor must not be estimable to within p% from the published total.
/// `top` holds the largest contributions, largest first.
#[must_use]
pub fn p_percent_level(total: f64, top: &[f64], p: f64) -> Option<f64> {
    let x1 = top.first().copied()?;
    let x2 = top.get(1).copied().unwrap_or(0.0);
    let level = p / 100.0 * x1 - (total - x1 - x2);
    (level > 0.0).then_some(level)
}

/// Upper protection level of the (n,k) dominance rule, if the cell is
/// unsafe: the n largest contributions must not exceed k% of the total.
#[must_use]
pub fn dominance_level(total: f64, top: &[f64], n: usize, k: f64) -> Option<f64> {
    if top.is_empty() || total <= 0.0 {
        return None;
    }
    let largest: f64 = top.iter().take(n).sum();
    (largest > k / 100.0 * total).then(|| 100.0 / k * largest - total)
}

/// The p% or dominance rule a cell of a magnitude with this `total` and
/// largest contributions `top` fails, with its upper protection level
/// (the larger, when both).
#[must_use]
pub fn magnitude_rule(policy: &Policy, total: f64, top: &[f64]) -> Option<(PrimaryReason, f64)> {
    let mut level: Option<(PrimaryReason, f64)> = None;
    if let Some(p) = policy.p_percent
        && let Some(l) = p_percent_level(total, top, p)
    {
        level = Some((PrimaryReason::PPercent, l));
    }
    if let (Some(dn), Some(dk)) = (policy.dominance_n, policy.dominance_k)
        && let Some(l) = dominance_level(total, top, dn, dk)
        && level.is_none_or(|(_, old)| l > old)
    {
        level = Some((PrimaryReason::Dominance, l));
    }
    level
}

/// Marks primary cells and their protection requirements. Existing
/// statuses are reset.
pub fn apply(release: &mut Release, policy: &Policy) {
    let n = policy.min_frequency;
    let threshold = n as f64;
    for cell in &mut release.cells {
        cell.status = Status::Safe;
        cell.protection = (0.0, 0.0);
        let empty = cell.contributors == 0;
        if empty {
            if policy.zeros_unsafe {
                cell.status = Status::Primary(PrimaryReason::Zero);
                // The attacker must not be able to tell the cell is empty.
                cell.protection = (if release.magnitude { 1.0 } else { threshold }, 0.0);
            }
            continue;
        }
        if cell.contributors < n {
            cell.status = Status::Primary(PrimaryReason::Frequency);
            cell.protection = if release.magnitude {
                let range = cell.value.abs() * policy.frequency_range / 100.0;
                (range, range)
            } else {
                // The attacker must not be able to tell whether the count is under the threshold.
                ((threshold - cell.value).max(1.0), 0.0)
            };
        }
        if release.magnitude
            && let Some((reason, l)) = magnitude_rule(policy, cell.value, &cell.top)
        {
            if !cell.status.suppressed() {
                cell.status = Status::Primary(reason);
            }
            cell.protection = (cell.protection.0.max(l), cell.protection.1.max(l));
        }
    }
    // A row or column whose total has fewer persons than the threshold is
    // withheld whole, its empty parts too: in a table of euros by month,
    // which months are empty would say in which months the few persons
    // had care.
    let magnitude = release.magnitude;
    for relation in release.relations.clone() {
        let total = &release.cells[relation.total];
        if total.contributors == 0 || total.contributors >= n {
            continue;
        }
        let range = (total.value.abs() * policy.frequency_range / 100.0).max(1.0);
        for &part in &relation.parts {
            let cell = &mut release.cells[part];
            if !cell.status.suppressed() {
                cell.status = Status::Primary(PrimaryReason::RowTotal);
                cell.protection = if magnitude {
                    (range, range.min(cell.value.max(0.0)))
                } else {
                    ((threshold - cell.value).max(1.0), 0.0)
                };
            }
        }
    }
    // A cell another release published is the attacker's already: unsafe
    // here by this policy, it is withheld, but nothing else is hidden for
    // it (no deviation may move it, so a range could never be met).
    for cell in &mut release.cells {
        if cell.known && cell.status.suppressed() {
            cell.protection = (0.0, 0.0);
        }
    }
    // A cell another release withheld stays withheld here, with the
    // protection asked for (it was withheld there to protect something
    // this table cannot see).
    for cell in &mut release.cells {
        let Some(percent) = cell.linked else { continue };
        if cell.known {
            continue;
        }
        let range = if percent > 0.0 {
            (cell.value.abs() * percent / 100.0).max(1.0)
        } else {
            0.0
        };
        let below = if magnitude {
            range.min(cell.value.max(0.0))
        } else {
            0.0
        };
        if !cell.status.suppressed() {
            cell.status = Status::Primary(PrimaryReason::Linked);
        }
        cell.protection = (cell.protection.0.max(range), cell.protection.1.max(below));
    }
}

/// A rate or mean is unsafe when its numerator or denominator is withheld.
#[must_use]
pub fn derived_status(numerator: Status, denominator: Status) -> Status {
    if numerator.suppressed() || denominator.suppressed() {
        Status::Secondary
    } else {
        Status::Safe
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sdc.md worked example 3: X = 300+20+10, Y = 60+35+5, Z = 40+30+20+10.
    #[test]
    fn worked_example_3_protection_levels() {
        let x = [300.0, 20.0, 10.0];
        let y = [60.0, 35.0, 5.0];
        let z = [40.0, 30.0, 20.0];
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 0.05);
        // p = 10 %
        assert!(close(p_percent_level(330.0, &x, 10.0), 20.0));
        assert!(close(p_percent_level(100.0, &y, 10.0), 1.0));
        assert_eq!(p_percent_level(100.0, &z, 10.0), None);
        // (1,85)
        assert!(close(dominance_level(330.0, &x, 1, 85.0), 22.9));
        assert_eq!(dominance_level(100.0, &y, 1, 85.0), None);
        assert_eq!(dominance_level(100.0, &z, 1, 85.0), None);
        // (2,85)
        assert!(close(dominance_level(330.0, &x, 2, 85.0), 46.5));
        assert!(close(dominance_level(100.0, &y, 2, 85.0), 11.8));
        assert_eq!(dominance_level(100.0, &z, 2, 85.0), None);
    }

    #[test]
    fn rates_follow_their_parts() {
        assert_eq!(derived_status(Status::Safe, Status::Safe), Status::Safe);
        assert!(
            derived_status(Status::Primary(PrimaryReason::Frequency), Status::Safe).suppressed()
        );
        assert!(derived_status(Status::Safe, Status::Secondary).suppressed());
    }
}
