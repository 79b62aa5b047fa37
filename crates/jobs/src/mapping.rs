//! Bringing in a register system peitto has no mapping for: a draft
//! mapping from an extract, and a trial ingest of a mapping that stores
//! nothing.

use peitto_ingest::read::{FileKind, ReadError, looks_like_data, open};
use peitto_mapping::draft::Sample;
use peitto_mapping::{Encoding, Mapping};
use std::path::{Path, PathBuf};

/// Distinct values kept per column: enough for every code a system uses,
/// bounded so an identifier column does not fill memory.
const DISTINCT: usize = 200;

/// Why a mapping could not be drafted or tried.
#[derive(Debug, thiserror::Error)]
pub enum MappingJobError {
    /// Not a file type peitto reads.
    #[error("{0}: not a CSV or XLSX file")]
    FileType(PathBuf),
    /// No such model table.
    #[error("no source table {0:?} in the model")]
    Table(String),
    /// The extract could not be read.
    #[error("{file}: {source}")]
    Read {
        /// The extract.
        file: PathBuf,
        /// Why.
        source: peitto_ingest::read::ReadError,
    },
    /// The trial ingest failed.
    #[error(transparent)]
    Ingest(#[from] peitto_ingest::IngestError),
    /// The scratch folder could not be made.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The drafted mapping could not be written.
    #[error(transparent)]
    Write(#[from] peitto_publish::PublicationError),
}

/// Writes a drafted mapping to `path` whole or not at all (a crash leaves
/// the earlier file, never half of the new one).
///
/// # Errors
/// If the file cannot be written.
pub fn write_draft(path: &Path, toml: &str) -> Result<(), MappingJobError> {
    use peitto_publish::{Publication, Target};
    let mut publication = Publication::new(Target::File(path.to_path_buf()))?;
    publication.add("stdout", toml.as_bytes())?;
    publication.commit(None, peitto_auditlog::Release::default(), |_, _| Ok(()))?;
    Ok(())
}

/// A mapping to edit, as TOML, for the extract `file` holding the model
/// table `table`: headers matched to the model, code values listed,
/// personal data dropped. `id` defaults to the file's name.
///
/// # Errors
/// If the table is unknown or the file cannot be read.
pub fn draft(
    file: &Path,
    table: &str,
    sheet: Option<&str>,
    id: Option<&str>,
) -> Result<String, MappingJobError> {
    let read_error = |source| MappingJobError::Read {
        file: file.to_path_buf(),
        source,
    };
    let spec = peitto_model::table(table)
        .filter(|t| t.from_source)
        .ok_or_else(|| MappingJobError::Table(table.to_owned()))?;
    let kind = FileKind::of(file)
        .filter(|k| *k != FileKind::Parquet)
        .ok_or_else(|| MappingJobError::FileType(file.to_owned()))?;
    let mut opened = open(file, kind, sheet).map_err(read_error)?;
    // A draft keeps its headers: a first row of data would be written out.
    if opened.headers.iter().any(|h| looks_like_data(h)) {
        return Err(read_error(ReadError::DataAsHeader(file.to_owned())));
    }
    let mut sample = Sample {
        headers: opened.headers.clone(),
        values: vec![Vec::new(); opened.headers.len()],
        seen: vec![Vec::new(); opened.headers.len()],
        delimiter: opened.info.delimiter,
        encoding: opened
            .info
            .encoding
            .and_then(|e| e.parse::<Encoding>().ok()),
        workbook: kind == FileKind::Xlsx,
    };
    // The persons each value was seen with (up to the listing threshold):
    // a child's name typed into a code column repeats on each of the
    // child's rows, a code is shared by persons (an attacker's draft had
    // "Elias Järvinen" from five placements of one child).
    let mut persons: Vec<Vec<Vec<u64>>> = vec![Vec::new(); opened.headers.len()];
    while let Some(chunk) = opened.next_chunk().map_err(read_error)? {
        for row in &chunk {
            // The row's person: its first identity code, else the row itself.
            let person = row
                .iter()
                .map(str::trim)
                .find(|v| peitto_hetu::Hetu::parse(v).is_ok())
                .map_or(row.line | 1 << 63, |v| {
                    use std::hash::{Hash, Hasher};
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    v.hash(&mut h);
                    h.finish() & !(1 << 63)
                });
            for (c, ((values, seen), who)) in sample
                .values
                .iter_mut()
                .zip(sample.seen.iter_mut())
                .zip(persons.iter_mut())
                .enumerate()
            {
                // An identity code is never a code value: a misaligned
                // column must not put one into the draft's comments.
                let Some(v) = row
                    .get(c)
                    .map(str::trim)
                    .filter(|v| !v.is_empty() && peitto_hetu::Hetu::parse(v).is_err())
                else {
                    continue;
                };
                match values.iter().position(|x| x == v) {
                    Some(i)
                        if who[i].len() < peitto_mapping::draft::LISTED_FROM
                            && !who[i].contains(&person) =>
                    {
                        who[i].push(person);
                        seen[i] += 1;
                    }
                    Some(_) => {}
                    None if values.len() < DISTINCT => {
                        values.push(v.to_owned());
                        seen.push(1);
                        who.push(vec![person]);
                    }
                    None => {}
                }
            }
        }
        opened.recycle(chunk);
    }
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("extract")
        .to_owned();
    let id = id.map_or_else(
        || {
            stem.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() {
                        c.to_ascii_lowercase()
                    } else {
                        '_'
                    }
                })
                .collect()
        },
        str::to_owned,
    );
    Ok(peitto_mapping::draft::draft(spec, &id, &stem, &sample))
}

/// What ingesting `extracts` with `mapping` would store and reject,
/// without storing anything: a throwaway store and quarantine, removed
/// before this returns (rejected rows are personal data), so the report
/// names no quarantine file.
///
/// # Errors
/// If the trial ingest fails.
pub fn check(
    mapping: &Mapping,
    extracts: &[PathBuf],
) -> Result<peitto_ingest::IngestReport, MappingJobError> {
    // A private folder (mode 0700, a random name made atomically): the
    // quarantine holds whole rows, identity codes included.
    let scratch_dir = tempfile::Builder::new()
        .prefix("peitto-mapping-check-")
        .tempdir()?;
    let scratch = scratch_dir.path().to_path_buf();
    let result = (|| -> Result<peitto_ingest::IngestReport, MappingJobError> {
        std::fs::create_dir_all(scratch.join("store"))?;
        std::fs::create_dir_all(scratch.join("quarantine"))?;
        let ingester = peitto_ingest::Ingester::new(
            vec![mapping.clone()],
            // Pseudonyms made here are thrown away with the store.
            peitto_project::Key::from_bytes([7; 32]),
            scratch.join("store"),
            scratch.join("quarantine"),
            peitto_ingest::Options {
                mapping: Some(mapping.id.clone()),
                ..peitto_ingest::Options::default()
            },
        );
        Ok(ingester.ingest(extracts)?)
    })();
    drop(scratch_dir);
    let mut report = result?;
    for f in &mut report.files {
        f.quarantine = None;
    }
    Ok(report)
}
