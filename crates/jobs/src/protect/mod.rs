//! Disclosure control for a table that already exists, as tau-Argus users
//! do it: the most detailed cells in a CSV file, hierarchy
//! files for the dimensions that have one, a policy; out comes the whole
//! table with totals, each cell published or shown as the policy's symbol.

mod input;
mod pattern;

pub use input::InputError;

use input::{hierarchy_pairs, number, read_csv};
use peitto_i18n::{Lang, text};
use peitto_sdc::table::Leaf;
use peitto_sdc::{Dimension, Policy, Release, SdcError, Status};
use std::collections::BTreeMap;
use std::path::Path;

/// Why a table could not be protected. Messages name the file, row and
/// column; none carries a cell's value.
#[derive(Debug, thiserror::Error)]
pub enum ProtectError {
    /// The input is not what the request describes.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A file could not be read.
    #[error(transparent)]
    Read(#[from] peitto_ingest::read::ReadError),
    /// Disclosure control failed: nothing is released.
    #[error(transparent)]
    Sdc(#[from] SdcError),
    /// The output could not be written.
    #[error("{0}")]
    Output(String),
}

/// The most cells a table to protect may have, totals included.
pub const MAX_CELLS: u64 = 1_000_000;

/// The largest count or magnitude read: its sums stay exact in a double.
const MAX_NUMBER: f64 = 1e15;

fn output(e: impl std::fmt::Display) -> ProtectError {
    ProtectError::Output(e.to_string())
}

/// What the command was asked.
pub struct Request<'a> {
    /// CSV file of the most detailed cells.
    pub cells: &'a Path,
    /// Hierarchies as `DIMENSION=FILE` (CSV of child,parent codes).
    pub hierarchies: &'a [String],
    /// The suppression policy.
    pub policy: Policy,
    /// Its name.
    pub policy_name: &'a str,
    /// Column of the number of persons.
    pub count: &'a str,
    /// Column of a magnitude, making it a magnitude table.
    pub value: Option<&'a str>,
    /// Column of distinct contributors, if not the count.
    pub contributors: Option<&'a str>,
    /// Columns of the largest contributions, largest first.
    pub top: &'a [String],
    /// Code of the total of dimensions without a hierarchy file.
    pub total: &'a str,
    /// JSON output instead of CSV.
    pub json: bool,
    /// Audit this suppression pattern (another tool's) instead of choosing one.
    pub pattern: Option<&'a Path>,
    /// Whether JSON output carries each withheld cell's exact attacker interval.
    pub intervals: bool,
}

/// The protected table and how it was written.
pub struct Done {
    /// Cells of the whole table.
    pub cells: usize,
    /// Of them unsafe.
    pub primary: usize,
    /// Of them withheld to protect the unsafe ones.
    pub secondary: usize,
    /// The output file's bytes.
    pub output: Vec<u8>,
}

/// Reads, protects and formats.
pub fn run(req: &Request<'_>) -> Result<Done, ProtectError> {
    let (headers, rows) = read_csv(req.cells)?;
    let col = |name: &str| headers.iter().position(|h| h == name);
    let named = |name: &str| {
        col(name).ok_or_else(|| InputError::NoColumn {
            file: req.cells.to_owned(),
            column: name.to_owned(),
        })
    };
    let count_col = named(req.count)?;
    let value_col = req.value.map(named).transpose()?;
    let contributors_col = req.contributors.map(named).transpose()?;
    let top_cols: Vec<usize> = req.top.iter().map(|t| named(t)).collect::<Result<_, _>>()?;
    let magnitude = value_col.is_some();
    let measure_cols: Vec<usize> = [Some(count_col), value_col, contributors_col]
        .into_iter()
        .flatten()
        .chain(top_cols.iter().copied())
        .collect();
    let dim_cols: Vec<usize> = (0..headers.len())
        .filter(|i| !measure_cols.contains(i))
        .collect();
    if dim_cols.is_empty() {
        return Err(InputError::NoDimensions {
            file: req.cells.to_owned(),
        }
        .into());
    }
    let mut hierarchy_files: BTreeMap<&str, &str> = BTreeMap::new();
    for h in req.hierarchies {
        let (dim, file) = h
            .split_once('=')
            .ok_or_else(|| InputError::HierarchyArgument(h.clone()))?;
        if col(dim).is_none() {
            return Err(InputError::HierarchyColumn(dim.to_owned()).into());
        }
        hierarchy_files.insert(dim, file);
    }
    // Totals are computed here: a row of the total's own code would be
    // counted twice.
    for (line, row) in &rows {
        if let Some(&c) = dim_cols.iter().find(|&&c| row[c] == req.total) {
            return Err(InputError::TotalRow {
                file: req.cells.to_owned(),
                row: *line,
                column: headers[c].clone(),
                total: req.total.to_owned(),
            }
            .into());
        }
    }
    let mut dims = Vec::new();
    for &c in &dim_cols {
        let name = headers[c].as_str();
        let dim = match hierarchy_files.get(name) {
            Some(file) => {
                // Several top codes (the grand total implied, as tau-Argus .hrc
                // files have it) get the grand total `--total` above them; codes
                // of the table the file does not name sit directly under the top.
                let codes: Vec<&str> = rows.iter().map(|(_, r)| r[c].as_str()).collect();
                let pairs = hierarchy_pairs(Path::new(file), &codes)?;
                Dimension::from_hierarchy(name, req.total, &pairs, &codes)?
            }
            None => {
                let mut codes: Vec<&str> = rows.iter().map(|(_, r)| r[c].as_str()).collect();
                codes.sort_unstable();
                codes.dedup();
                Dimension::flat(name, req.total, &codes)
            }
        };
        dims.push(dim);
    }
    // The table is every combination of the dimensions' codes and totals:
    // twenty dimensions of two codes in 30 rows made 3^20 cells and took
    // the machine's memory (an attacker's finding). Counted before any is
    // made.
    let cells = dims
        .iter()
        .fold(1u64, |n, d| n.saturating_mul(d.codes.len() as u64));
    if cells > MAX_CELLS {
        return Err(InputError::TooManyCells {
            file: req.cells.to_owned(),
            cells,
            max: MAX_CELLS,
        }
        .into());
    }
    let mut leaves = Vec::new();
    for &(line, ref row) in &rows {
        let count = number(&row[count_col], req.cells, line, req.count)?;
        let value = match value_col {
            Some(v) => number(&row[v], req.cells, line, &headers[v])?,
            None => count,
        };
        let contributors = match contributors_col {
            Some(c) => number(&row[c], req.cells, line, &headers[c])?,
            None => count,
        };
        let mut top = Vec::new();
        for &t in &top_cols {
            if !row[t].is_empty() {
                top.push(number(&row[t], req.cells, line, &headers[t])?);
            }
        }
        for (v, column) in [
            (count, req.count),
            (contributors, req.contributors.unwrap_or(req.count)),
        ] {
            if v < 0.0 {
                return Err(InputError::Negative {
                    file: req.cells.to_owned(),
                    row: line,
                    column: column.to_owned(),
                }
                .into());
            }
            // Persons are whole and countable exactly (2.5 persons, or
            // 9007199254740993 read as ...992, made totals that did not add up).
            if v.fract() != 0.0 || v > MAX_NUMBER {
                return Err(InputError::NotACount {
                    file: req.cells.to_owned(),
                    row: line,
                    column: column.to_owned(),
                }
                .into());
            }
        }
        // Magnitudes whose totals stay exact and finite (1e308 twice was a
        // total of inf).
        for v in std::iter::once(value).chain(top.iter().copied()) {
            if v.abs() > MAX_NUMBER {
                return Err(InputError::NotACount {
                    file: req.cells.to_owned(),
                    row: line,
                    column: req.value.unwrap_or(req.count).to_owned(),
                }
                .into());
            }
        }
        let contributors = contributors.round() as u64;
        leaves.push(Leaf {
            codes: dim_cols.iter().map(|&c| row[c].clone()).collect(),
            value,
            contributors,
            top,
        });
    }
    let mut release = Release::single(req.policy_name, dims, &leaves, magnitude)?;
    if let Some(pattern) = req.pattern {
        return pattern::check_pattern(&mut release, &req.policy, pattern);
    }
    let (mut audit, reasons) = peitto_sdc::protect_explained(&mut release, &req.policy)?;
    if req.intervals && req.json {
        // protect() proves the pattern; the exact intervals of every withheld cell take a full audit.
        audit = peitto_sdc::audit(&release, &req.policy)?;
        if !audit.passed() {
            // The two must agree; if they do not, nothing is released.
            return Err(peitto_sdc::SdcError::CannotProtect(
                release.describe(audit.failures[0].cell),
            )
            .into());
        }
    } else {
        audit.intervals.iter_mut().for_each(|iv| *iv = None);
    }
    let primary = release
        .cells
        .iter()
        .filter(|c| matches!(c.status, Status::Primary(_)))
        .count();
    let secondary = release
        .cells
        .iter()
        .filter(|c| c.status == Status::Secondary)
        .count();
    let dim_names: Vec<&str> = release.dims.iter().map(|d| d.name.as_str()).collect();
    let output = if req.json {
        let cells: Vec<serde_json::Value> = (0..release.cells.len())
            .map(|i| {
                let cell = &release.cells[i];
                let dims: serde_json::Map<String, serde_json::Value> =
                    dim_names.iter().zip(release.codes(i)).map(|(d, c)| ((*d).to_owned(), c.into())).collect();
                let mut v = serde_json::json!({
                    "dimensions": dims,
                    "status": cell.status.as_str(),
                    "published": if cell.status.suppressed() { serde_json::Value::Null } else { cell.value.into() },
                });
                if let Status::Primary(reason) = cell.status {
                    v["rule"] = reason.as_str().into();
                }
                // Which primaries a secondary is withheld for, so the
                // statistician can answer for it.
                if let peitto_sdc::Reason::Secondary(protects) = &reasons[i] {
                    v["protects"] = protects
                        .iter()
                        .map(|&p| {
                            dim_names
                                .iter()
                                .zip(release.codes(p))
                                .map(|(d, c)| ((*d).to_owned(), c.into()))
                                .collect::<serde_json::Map<_, _>>()
                                .into()
                        })
                        .collect::<Vec<serde_json::Value>>()
                        .into();
                }
                if let Some(iv) = audit.intervals[i] {
                    v["lower"] = iv.lower.into();
                    v["upper"] = if iv.upper.is_finite() { iv.upper.into() } else { serde_json::Value::Null };
                }
                v
            })
            .collect();
        let legend: serde_json::Map<String, serde_json::Value> = Lang::ALL
            .iter()
            .map(|l| {
                (
                    l.code().to_owned(),
                    serde_json::json!({
                        req.policy.symbol.clone(): text(*l, "legend.suppressed"),
                        "-": text(*l, "legend.nil"),
                    }),
                )
            })
            .collect();
        let doc = serde_json::json!({
            "policy": req.policy_name,
            "symbol": req.policy.symbol,
            "legend": legend,
            "audit": { "passed": audit.passed() },
            "cells": cells,
        });
        let mut bytes = serde_json::to_vec_pretty(&doc).map_err(output)?;
        bytes.push(b'\n');
        bytes
    } else {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(Vec::new());
        let mut header: Vec<&str> = dim_names.clone();
        header.push(if magnitude {
            req.value.unwrap_or("value")
        } else {
            req.count
        });
        writer.write_record(&header).map_err(output)?;
        for i in 0..release.cells.len() {
            let cell = &release.cells[i];
            let shown = if cell.status.suppressed() {
                req.policy.symbol.clone()
            } else if cell.value == 0.0 {
                "-".to_owned()
            } else {
                peitto_i18n::format_number(
                    cell.value,
                    peitto_i18n::Style::File {
                        decimal_comma: true,
                    },
                )
            };
            let mut record: Vec<String> =
                release.codes(i).iter().map(|c| (*c).to_owned()).collect();
            record.push(shown);
            writer.write_record(&record).map_err(output)?;
        }
        writer.into_inner().map_err(output)?
    };
    Ok(Done {
        cells: release.cells.len(),
        primary,
        secondary,
        output,
    })
}

/// The suppression policy called `name` (the cell key method needs each
/// person's record key, which a finished table does not have).
///
/// # Errors
/// If there is no such policy or it is not a suppression policy.
pub fn suppression_policy(
    project: Option<&peitto_project::Project>,
    name: &str,
) -> Result<Policy, crate::JobError> {
    let chosen = crate::policy(project, name)?;
    if chosen.method != peitto_sdc::Method::Suppression {
        return Err(crate::JobError::NeedsPersons {
            name: name.to_owned(),
            method: chosen.method,
        });
    }
    Ok(chosen)
}

/// Protects the table and publishes it to `out` (atomically) or for the
/// terminal; inside a project, the release is logged first. Returns the
/// protected table and the log entry's hash.
///
/// # Errors
/// If the table cannot be read or protected, or the output or the log
/// cannot be written: nothing is published then.
pub fn publish(
    project: Option<&peitto_project::Project>,
    req: &Request<'_>,
    out: Option<&Path>,
) -> Result<(Done, Option<String>), crate::JobError> {
    use peitto_publish::{Publication, Target};
    if let (Some(project), Some(out)) = (project, out)
        && project.owns(out)
    {
        return Err(crate::JobError::OutputInProject(out.to_owned()));
    }
    let done = run(req)?;
    let input = std::fs::read(req.cells).unwrap_or_default();
    let mut publication =
        Publication::new(out.map_or(Target::Stdout, |p| Target::File(p.to_path_buf())))?;
    publication.add("stdout", &done.output)?;
    let log = project.map(crate::release_log);
    let (entry, _) = publication.commit(
        log.as_ref(),
        peitto_auditlog::Release {
            command: "protect".into(),
            subject: format!("input sha256 {}", peitto_auditlog::sha256(&input)),
            sql_sha256: String::new(),
            policy_sha256: peitto_auditlog::sha256(format!("{:?}", req.policy).as_bytes()),
            policy: req.policy_name.to_owned(),
            files: Vec::new(),
            cells: done.cells as u64,
            suppressed: (done.primary + done.secondary) as u64,
            perturbed: 0,
        },
        |_, _| Ok(()),
    )?;
    Ok((done, entry.map(|e| e.hash)))
}
