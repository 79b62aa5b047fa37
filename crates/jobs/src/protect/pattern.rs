//! `peitto protect --check-pattern`: audits a suppression pattern another
//! tool chose for the same table.

use super::input::{InputError, read_csv};
use super::{Done, ProtectError};
use peitto_sdc::{Policy, Release, Status};
use std::path::Path;

/// Audits another tool's pattern: a CSV with the table's dimension columns
/// and a `status` column (`S`/`U`/`M`/`E` as tau-Argus writes them, or
/// `safe`/`primary`/`secondary`). Prints a JSON verdict.
pub(super) fn check_pattern(
    release: &mut Release,
    policy: &Policy,
    pattern: &Path,
) -> Result<Done, ProtectError> {
    peitto_sdc::primary::apply(release, policy);
    let (headers, rows) = read_csv(pattern)?;
    let status_col =
        headers
            .iter()
            .position(|h| h == "status")
            .ok_or_else(|| InputError::PatternStatus {
                file: pattern.to_owned(),
            })?;
    let dim_cols: Vec<usize> = release
        .dims
        .iter()
        .map(|d| {
            headers
                .iter()
                .position(|h| *h == d.name)
                .ok_or_else(|| InputError::NoColumn {
                    file: pattern.to_owned(),
                    column: d.name.clone(),
                })
        })
        .collect::<Result<_, _>>()?;
    let mut listed = 0;
    for (line, row) in &rows {
        let codes: Vec<&str> = dim_cols.iter().map(|&c| row[c].as_str()).collect();
        let Some(i) = release.find(&codes) else {
            return Err(InputError::PatternCell {
                file: pattern.to_owned(),
                row: *line,
            }
            .into());
        };
        listed += 1;
        let hidden = matches!(
            row[status_col].as_str(),
            "U" | "M" | "primary" | "secondary" | "P"
        );
        let cell = &mut release.cells[i];
        if hidden && !cell.status.suppressed() {
            cell.status = Status::Secondary;
        } else if !hidden && cell.status.suppressed() {
            // An unsafe cell the other tool publishes: disclosed outright.
            cell.status = Status::Safe;
            cell.protection = (f64::INFINITY, 0.0);
        }
    }
    let unsafe_published: Vec<usize> = (0..release.cells.len())
        .filter(|&i| {
            let c = &release.cells[i];
            !c.status.suppressed() && c.protection.0.is_infinite()
        })
        .collect();
    let published_unsafe = unsafe_published.len();
    // The verdict only: exact where a cell is not shown protected, so the
    // count of under-protected cells is exact too.
    let audit = peitto_sdc::check(release, policy)?;
    let secondary: Vec<usize> = (0..release.cells.len())
        .filter(|&i| release.cells[i].status == Status::Secondary)
        .collect();
    // Each failing cell by its codes, so that a statistician can see why:
    // what the attacker derives for it against what it needs.
    let codes_of = |i: usize| -> serde_json::Value {
        release
            .dims
            .iter()
            .zip(release.codes(i))
            .map(|(d, c)| (d.name.clone(), serde_json::Value::from(c)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let bound = |x: f64| x.is_finite().then_some(x);
    let failures: Vec<serde_json::Value> = audit
        .failures
        .iter()
        .map(|f| {
            let cell = &release.cells[f.cell];
            serde_json::json!({
                "cell": codes_of(f.cell),
                "value": cell.value,
                "needs_above": bound(cell.protection.0),
                "needs_below": bound(cell.protection.1),
                "attacker_interval": [bound(f.interval.lower), bound(f.interval.upper)],
                "known_to_the_one_person_of": f.singleton.map(codes_of),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "cells_listed": listed,
        "passed": audit.passed() && published_unsafe == 0,
        "published_unsafe": published_unsafe,
        "published_unsafe_cells": unsafe_published.iter().map(|&i| codes_of(i)).collect::<Vec<_>>(),
        "underprotected": audit.failures.len(),
        "underprotected_cells": failures,
        "suppressed": release.suppressed().len(),
        "secondary": secondary.len(),
        // `+ 0.0`: an empty sum of floats is −0.
        "secondary_value": secondary.iter().map(|&i| release.cells[i].value).sum::<f64>() + 0.0,
    });
    let mut output = serde_json::to_vec_pretty(&doc).map_err(super::output)?;
    output.push(b'\n');
    Ok(Done {
        cells: release.cells.len(),
        primary: 0,
        secondary: secondary.len(),
        output,
    })
}
