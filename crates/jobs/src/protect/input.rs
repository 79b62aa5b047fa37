//! Reading `peitto protect`'s input: the table of most detailed cells, its
//! hierarchy files and another tool's pattern. Every problem is an
//! [`InputError`] naming the file, row and column, never the value found
//! there (a cell file may hold anything); a front end words it from the
//! catalogues.

use std::path::{Path, PathBuf};

/// What is wrong with an input file or argument of `peitto protect`.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A file could not be read at all.
    #[error("{}: {detail}", file.display())]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        detail: String,
    },
    /// A `.hrc` line more than one level below the line above it.
    #[error("{}: line {line} is more than one level below the line above", file.display())]
    HierarchyDepth {
        /// The hierarchy file.
        file: PathBuf,
        /// Its line, from 1.
        line: usize,
    },
    /// A row with another number of fields than the header.
    #[error("{}: row {row}: {found} fields, the header has {expected}", file.display())]
    Fields {
        /// The file.
        file: PathBuf,
        /// The row's line.
        row: u64,
        /// Fields in the row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A count, value or contribution that is not a number.
    #[error("{}: row {row}, column {column}: not a number", file.display())]
    NotANumber {
        /// The file.
        file: PathBuf,
        /// The row's line.
        row: u64,
        /// The column.
        column: String,
    },
    /// A negative count of persons.
    #[error("{}: row {row}, column {column}: a count cannot be negative", file.display())]
    Negative {
        /// The file.
        file: PathBuf,
        /// The row's line.
        row: u64,
        /// The column.
        column: String,
    },
    /// A count of persons that is not a whole number, or a number too
    /// large to add up exactly.
    #[error("{}: row {row}, column {column}: not a whole number of persons, or too large", file.display())]
    NotACount {
        /// The file.
        file: PathBuf,
        /// The row's line.
        row: u64,
        /// The column.
        column: String,
    },
    /// A table with more cells, totals included, than can be protected.
    #[error("{}: the table would have {cells} cells, more than {max}", file.display())]
    TooManyCells {
        /// The file.
        file: PathBuf,
        /// Cells of every combination of codes and totals.
        cells: u64,
        /// The most allowed.
        max: u64,
    },
    /// A column named on the command line that the file does not have.
    #[error("{}: no column {column:?}", file.display())]
    NoColumn {
        /// The file.
        file: PathBuf,
        /// The column asked for.
        column: String,
    },
    /// Every column is a measure: nothing to classify the cells by.
    #[error("{}: no dimension columns besides the counts and values", file.display())]
    NoDimensions {
        /// The file.
        file: PathBuf,
    },
    /// `--hierarchy` not written `DIMENSION=FILE`.
    #[error("--hierarchy {0:?}: write it as DIMENSION=FILE")]
    HierarchyArgument(String),
    /// `--hierarchy` for a column the table does not have.
    #[error("--hierarchy {0}: the table has no such column")]
    HierarchyColumn(String),
    /// A row of the total's own code, which peitto computes.
    #[error("{}: row {row}, column {column}: {total:?} is the code of the total", file.display())]
    TotalRow {
        /// The file.
        file: PathBuf,
        /// The row's line.
        row: u64,
        /// The column.
        column: String,
        /// The total's code.
        total: String,
    },
    /// A pattern without its `status` column.
    #[error("{}: no status column", file.display())]
    PatternStatus {
        /// The pattern file.
        file: PathBuf,
    },
    /// A pattern row naming a cell the table does not have.
    #[error("{}: row {row} names a cell the table does not have", file.display())]
    PatternCell {
        /// The pattern file.
        file: PathBuf,
        /// The row's line.
        row: u64,
    },
}

/// Data rows with their line numbers.
pub(super) type Rows = Vec<(u64, Vec<String>)>;

/// The (child, parent) pairs of a hierarchy file: a tau-Argus `.hrc` file
/// (a code a line, each level down one more leading `@`), or a CSV file of
/// child and parent columns, with or without a header row. `codes` are the
/// table's codes of the dimension.
pub(super) fn hierarchy_pairs(
    path: &Path,
    codes: &[&str],
) -> Result<Vec<(String, String)>, super::ProtectError> {
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
    let bytes = std::fs::read(path).map_err(|e| InputError::Unreadable {
        file: path.to_owned(),
        detail: e.to_string(),
    })?;
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
            return Err(InputError::HierarchyDepth {
                file: path.to_owned(),
                line: i + 1,
            }
            .into());
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
pub(super) fn read_csv(path: &Path) -> Result<(Vec<String>, Rows), super::ProtectError> {
    use peitto_ingest::read::{self, FileKind};
    let mut opened = read::open(path, FileKind::Csv, None)?;
    let headers = opened.headers.clone();
    let mut rows = Vec::new();
    while let Some(chunk) = opened.next_chunk()? {
        for row in chunk.iter().filter(|r| !r.is_blank()) {
            if row.len() != headers.len() {
                return Err(InputError::Fields {
                    file: path.to_owned(),
                    row: row.line,
                    found: row.len(),
                    expected: headers.len(),
                }
                .into());
            }
            rows.push((
                row.line,
                row.iter().map(|f| read::trim(f).to_owned()).collect(),
            ));
        }
    }
    Ok((headers, rows))
}

/// A number as a spreadsheet writes it (decimal comma, spaces between
/// thousands). The value itself is never repeated in the error.
pub(super) fn number(raw: &str, file: &Path, row: u64, column: &str) -> Result<f64, InputError> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .replace(',', ".");
    cleaned
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| InputError::NotANumber {
            file: file.to_owned(),
            row,
            column: column.to_owned(),
        })
}
