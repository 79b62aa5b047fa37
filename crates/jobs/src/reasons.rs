//! Why each cell of a release is withheld, written for the statistician
//! under `audit/withheld-reasons/`, named after the release's log entry.
//!
//! Which withheld cells are primary narrows them to 1–4 persons, so this
//! is never part of a published folder, it is written only when a report
//! author (peitto.toml `[authors]`, who may see unprotected results
//! anyway) runs the release, and only its owner may read it. It answers a
//! recipient's question ("why is this cell withheld?") from the project's
//! own audit trail.

use peitto_i18n::{Lang, text};
use peitto_project::Project;
use peitto_release::explained::{CellCodes, Explanation, Why};
use std::path::{Path, PathBuf};

/// Where the reasons of a release went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Nothing was withheld.
    Nothing,
    /// Into this folder.
    To(PathBuf),
    /// Cells were withheld, but the user is not a report author: the
    /// reasons are not written.
    AuthorsOnly,
}

/// Writes the reasons of a release (`name`, log entry `hash`) when the
/// user is a report author.
///
/// # Errors
/// On I/O errors.
pub fn write_for_author(
    project: &Project,
    name: &str,
    hash: &str,
    reports: &[(&str, &[Explanation])],
    lang: Lang,
) -> std::io::Result<Written> {
    if reports.iter().all(|(_, e)| e.is_empty()) {
        return Ok(Written::Nothing);
    }
    let author = peitto_auditlog::operator()
        .is_some_and(|user| project.config.authors.users.contains(&user));
    if !author {
        return Ok(Written::AuthorsOnly);
    }
    let dir = folder(project, name, hash);
    Ok(write(&dir, reports, lang)?.map_or(Written::Nothing, Written::To))
}

/// The folder of a release's reasons: the publication's name and the
/// first 16 hexadecimal digits of its log entry.
#[must_use]
pub fn folder(project: &Project, name: &str, hash: &str) -> PathBuf {
    let short: String = hash.chars().take(16).collect();
    project
        .audit_dir()
        .join("withheld-reasons")
        .join(format!("{name}-{short}"))
}

/// Writes one `REPORT.csv` per report that withheld cells (`reports`:
/// report id and its explanations) into `dir`, made whole in a temporary
/// folder and renamed into place: a crash leaves all of it or none.
/// Returns the folder, or `None` when no report withheld anything.
///
/// # Errors
/// On I/O errors.
pub fn write(
    dir: &Path,
    reports: &[(&str, &[Explanation])],
    lang: Lang,
) -> std::io::Result<Option<PathBuf>> {
    if reports.iter().all(|(_, e)| e.is_empty()) {
        return Ok(None);
    }
    let parent = dir.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent)?;
    let tmp = dir.with_extension("tmp");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir(&tmp)?;
    owner_only(&tmp, 0o700)?;
    for (id, explanations) in reports {
        if explanations.is_empty() {
            continue;
        }
        let bytes = csv_bytes(explanations, lang)?;
        let path = tmp.join(format!("{id}.csv"));
        std::fs::write(&path, bytes)?;
        owner_only(&path, 0o600)?;
        std::fs::File::open(&path)?.sync_all()?;
    }
    std::fs::rename(&tmp, dir)?;
    Ok(Some(dir.to_path_buf()))
}

/// Only the owner may read what tells primaries from secondaries (as the
/// pseudonymisation key).
fn owner_only(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// A report's reasons as CSV the way Finnish Excel reads it (`;`, UTF-8
/// with a byte-order mark): the cell's dimensions, the measure, the
/// reason, the primary rule and, for a secondary, the cells it protects.
fn csv_bytes(explanations: &[Explanation], lang: Lang) -> std::io::Result<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(&mut out);
    let dims: Vec<&str> = explanations[0]
        .cell
        .iter()
        .map(|(d, _)| d.as_str())
        .collect();
    let mut header: Vec<&str> = dims.clone();
    header.extend(
        [
            "reasons.measure",
            "reasons.reason",
            "reasons.rule",
            "reasons.protects",
        ]
        .map(|k| text(lang, k)),
    );
    writer.write_record(&header)?;
    for e in explanations {
        for (measure, why) in &e.measures {
            let mut record: Vec<String> = e.cell.iter().map(|(_, c)| shown(c, lang)).collect();
            record.push(measure.clone());
            let (reason, rule, protects) = match why {
                Why::Primary(rule) => (text(lang, "reasons.primary"), *rule, String::new()),
                Why::Secondary(cells) => (
                    text(lang, "reasons.secondary"),
                    "",
                    cells
                        .iter()
                        .map(|c| described(c, lang))
                        .collect::<Vec<_>>()
                        .join(" | "),
                ),
                Why::OtherMeasure => (text(lang, "reasons.other_measure"), "", String::new()),
                Why::SamePersons => (text(lang, "reasons.same_persons"), "", String::new()),
            };
            record.extend([reason.to_owned(), rule.to_owned(), protects]);
            writer.write_record(&record)?;
        }
    }
    writer.flush()?;
    drop(writer);
    Ok(out)
}

/// A code as a reader sees it: a dimension's total by the language's word.
fn shown(code: &str, lang: Lang) -> String {
    if code == peitto_release::TOTAL {
        text(lang, "label.total").to_owned()
    } else {
        code.to_owned()
    }
}

/// `dimension=code, …`.
fn described(cell: &CellCodes, lang: Lang) -> String {
    cell.iter()
        .map(|(d, c)| format!("{d}={}", shown(c, lang)))
        .collect::<Vec<_>>()
        .join(", ")
}
