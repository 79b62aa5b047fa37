//! Disclosure control for a table that already exists, as tau-Argus users
//! do it: the most detailed cells in a CSV file, hierarchy
//! files for the dimensions that have one, a policy; out comes the whole
//! table with totals, each cell published or shown as the policy's symbol.

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
    #[error("{0}")]
    Input(String),
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

fn bail<T>(message: String) -> Result<T, ProtectError> {
    Err(ProtectError::Input(message))
}

/// `Option` to a [`ProtectError::Input`] with a message.
trait Context<T> {
    fn with_context(self, f: impl FnOnce() -> String) -> Result<T, ProtectError>;
    fn context(self, message: &str) -> Result<T, ProtectError>;
}

impl<T> Context<T> for Option<T> {
    fn with_context(self, f: impl FnOnce() -> String) -> Result<T, ProtectError> {
        self.ok_or_else(|| ProtectError::Input(f()))
    }
    fn context(self, message: &str) -> Result<T, ProtectError> {
        self.ok_or_else(|| ProtectError::Input(message.to_owned()))
    }
}

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

/// Data rows with their line numbers.
type Rows = Vec<(u64, Vec<String>)>;

/// The (child, parent) pairs of a hierarchy file: a tau-Argus `.hrc` file
/// (a code a line, each level down one more leading `@`), or a CSV file of
/// child and parent columns, with or without a header row. `codes` are the
/// table's codes of the dimension.
fn hierarchy_pairs(path: &Path, codes: &[&str]) -> Result<Vec<(String, String)>, ProtectError> {
    let hrc = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("hrc"));
    if !hrc {
        let (headers, rows) = read_csv(path)?;
        let mut pairs: Vec<(String, String)> = rows
            .into_iter()
            .filter(|(_, p)| p.len() >= 2)
            .map(|(_, p)| (p[0].clone(), p[1].clone()))
            .collect();
        // A file without a header row: its first line is a relation, which
        // would otherwise be lost (and its parent published as empty).
        // Header names are never codes of the file or of the table.
        if let [child, parent, ..] = headers.as_slice() {
            let is_code = |h: &String| {
                codes.contains(&h.as_str()) || pairs.iter().any(|(c, p)| c == h || p == h)
            };
            if is_code(child) || is_code(parent) {
                pairs.insert(0, (child.clone(), parent.clone()));
            }
        }
        return Ok(pairs);
    }
    let bytes =
        std::fs::read(path).map_err(|e| ProtectError::Input(format!("{}: {e}", path.display())))?;
    // tau-Argus writes its files in the system's code page: text that is not
    // UTF-8 is read as Latin-1 (codes are digits and letters).
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| e.into_bytes().iter().map(|&b| char::from(b)).collect());
    let mut path_above: Vec<String> = Vec::new();
    let mut pairs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let depth = line.chars().take_while(|&c| c == '@').count();
        let code = line[depth..].trim();
        if depth > path_above.len() || code.is_empty() {
            return bail(format!(
                "{}: line {}: {line:?} is more than one level below the line above",
                path.display(),
                i + 1
            ));
        }
        path_above.truncate(depth);
        if let Some(parent) = path_above.last() {
            pairs.push((code.to_owned(), parent.clone()));
        }
        path_above.push(code.to_owned());
    }
    Ok(pairs)
}

/// Reads a CSV file the way ingest does (delimiter and encoding detected),
/// with each data row's line number.
fn read_csv(path: &Path) -> Result<(Vec<String>, Rows), ProtectError> {
    use peitto_ingest::read::{self, FileKind};
    let mut opened = read::open(path, FileKind::Csv, None)?;
    let headers = opened.headers.clone();
    let mut rows = Vec::new();
    while let Some(chunk) = opened.next_chunk()? {
        for row in chunk.iter().filter(|r| !r.is_blank()) {
            if row.len() != headers.len() {
                return bail(format!(
                    "{}: row {}: {} fields, the header has {}",
                    path.display(),
                    row.line,
                    row.len(),
                    headers.len()
                ));
            }
            rows.push((
                row.line,
                row.iter().map(|f| read::trim(f).to_owned()).collect(),
            ));
        }
    }
    Ok((headers, rows))
}

fn number(raw: &str, file: &Path, row: usize, column: &str) -> Result<f64, ProtectError> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .replace(',', ".");
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .with_context(|| {
            format!(
                // The value itself is not repeated: it may be anything.
                "{}: row {row}, column {column}: not a number",
                file.display()
            )
        })
}

/// Reads, protects and formats.
pub fn run(req: &Request<'_>) -> Result<Done, ProtectError> {
    let (headers, rows) = read_csv(req.cells)?;
    let col = |name: &str| headers.iter().position(|h| h == name);
    let count_col = col(req.count)
        .with_context(|| format!("{}: no column {:?}", req.cells.display(), req.count))?;
    let value_col = req
        .value
        .map(|v| col(v).with_context(|| format!("no column {v:?}")))
        .transpose()?;
    let contributors_col = req
        .contributors
        .map(|c| col(c).with_context(|| format!("no column {c:?}")))
        .transpose()?;
    let top_cols: Vec<usize> = req
        .top
        .iter()
        .map(|t| col(t).with_context(|| format!("no column {t:?}")))
        .collect::<Result<_, _>>()?;
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
        return bail(format!(
            "{}: no dimension columns besides {:?}",
            req.cells.display(),
            req.count
        ));
    }
    let mut hierarchy_files: BTreeMap<&str, &str> = BTreeMap::new();
    for h in req.hierarchies {
        let (dim, file) = h
            .split_once('=')
            .with_context(|| format!("--hierarchy {h:?}: write it as DIMENSION=FILE"))?;
        if col(dim).is_none() {
            return bail(format!(
                "--hierarchy {dim}: the table has no column {dim:?}"
            ));
        }
        hierarchy_files.insert(dim, file);
    }
    // Totals are computed here: a row of the total's own code would be
    // counted twice.
    for (line, row) in &rows {
        if let Some(&c) = dim_cols.iter().find(|&&c| row[c] == req.total) {
            return bail(format!(
                "{}: row {line}, column {}: {:?} is the code of the total, which peitto computes; leave total rows out or name another total code with --total",
                req.cells.display(),
                headers[c],
                req.total
            ));
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
    let mut leaves = Vec::new();
    for (line, row) in &rows {
        let line = usize::try_from(*line).unwrap_or(usize::MAX);
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
                return bail(format!(
                    "{}: row {line}, column {column}: a count cannot be negative",
                    req.cells.display()
                ));
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
        return check_pattern(&mut release, &req.policy, pattern);
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

/// Audits another tool's pattern: a CSV with the table's dimension columns
/// and a `status` column (`S`/`U`/`M`/`E` as tau-Argus writes them, or
/// `safe`/`primary`/`secondary`). Prints a JSON verdict.
fn check_pattern(
    release: &mut Release,
    policy: &Policy,
    pattern: &Path,
) -> Result<Done, ProtectError> {
    peitto_sdc::primary::apply(release, policy);
    let (headers, rows) = read_csv(pattern)?;
    let status_col = headers
        .iter()
        .position(|h| h == "status")
        .context("the pattern has no status column")?;
    let dim_cols: Vec<usize> = release
        .dims
        .iter()
        .map(|d| {
            headers
                .iter()
                .position(|h| *h == d.name)
                .with_context(|| format!("the pattern has no column {}", d.name))
        })
        .collect::<Result<_, _>>()?;
    let mut listed = 0;
    for (_, row) in &rows {
        let codes: Vec<&str> = dim_cols.iter().map(|&c| row[c].as_str()).collect();
        let Some(i) = release.find(&codes) else {
            return bail(format!(
                "{}: the pattern names a cell the table does not have: {codes:?}",
                pattern.display()
            ));
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
    let mut output = serde_json::to_vec_pretty(&doc).map_err(output)?;
    output.push(b'\n');
    Ok(Done {
        cells: release.cells.len(),
        primary: 0,
        secondary: secondary.len(),
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
