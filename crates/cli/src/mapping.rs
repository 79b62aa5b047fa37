//! `peitto mapping draft` and `peitto mapping check`: bringing in a
//! register system peitto has no mapping for.

use anyhow::Context;
use clap::Subcommand;
use peitto_i18n::{Lang, format as tr, text};
use peitto_ingest::read::{FileKind, open};
use peitto_mapping::draft::Sample;
use peitto_mapping::{Encoding, Mapping};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Distinct values kept per column: enough for every code a system uses,
/// bounded so an identifier column does not fill memory.
const DISTINCT: usize = 200;

#[derive(Subcommand, Debug)]
pub enum MappingAction {
    /// Write a mapping to edit from an extract: headers matched to the model, code values listed, personal data dropped.
    Draft {
        /// The extract (CSV or XLSX).
        file: PathBuf,
        /// The model table it holds (e.g. cw_placement).
        #[arg(long)]
        table: String,
        /// Sheet of a workbook (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Mapping id (default: the file's name).
        #[arg(long)]
        id: Option<String>,
        /// Write here (default: the terminal).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a mapping file and, given extracts, show what would be stored and rejected (nothing is stored).
    Check {
        /// The mapping (.toml).
        mapping: PathBuf,
        /// Extracts to try it on.
        extracts: Vec<PathBuf>,
    },
}

/// Why a mapping command failed.
#[derive(Debug, thiserror::Error)]
pub enum MappingCommandError {
    /// Not a file type peitto reads.
    #[error("{0}: not a CSV or XLSX file")]
    FileType(PathBuf),
    /// No such model table.
    #[error("no source table {0:?} in the model")]
    Table(String),
}

/// Runs a `peitto mapping` command.
pub fn run(lang: Lang, action: &MappingAction) -> anyhow::Result<ExitCode> {
    match action {
        MappingAction::Draft {
            file,
            table,
            sheet,
            id,
            out,
        } => draft(
            lang,
            file,
            table,
            sheet.as_deref(),
            id.as_deref(),
            out.as_deref(),
        ),
        MappingAction::Check { mapping, extracts } => check(lang, mapping, extracts),
    }
}

fn draft(
    lang: Lang,
    file: &Path,
    table: &str,
    sheet: Option<&str>,
    id: Option<&str>,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let spec = peitto_model::table(table)
        .filter(|t| t.from_source)
        .ok_or_else(|| MappingCommandError::Table(table.to_owned()))?;
    let kind = FileKind::of(file)
        .filter(|k| *k != FileKind::Parquet)
        .ok_or_else(|| MappingCommandError::FileType(file.to_owned()))?;
    let mut opened = open(file, kind, sheet).with_context(|| file.display().to_string())?;
    let mut sample = Sample {
        headers: opened.headers.clone(),
        values: vec![Vec::new(); opened.headers.len()],
        delimiter: opened.info.delimiter,
        encoding: opened
            .info
            .encoding
            .and_then(|e| e.parse::<Encoding>().ok()),
        workbook: kind == FileKind::Xlsx,
    };
    while let Some(chunk) = opened
        .next_chunk()
        .with_context(|| file.display().to_string())?
    {
        for row in &chunk {
            for (c, values) in sample.values.iter_mut().enumerate() {
                let Some(v) = row.get(c).map(str::trim).filter(|v| !v.is_empty()) else {
                    continue;
                };
                if values.len() < DISTINCT && !values.iter().any(|x| x == v) {
                    values.push(v.to_owned());
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
    let toml = peitto_mapping::draft::draft(spec, &id, &stem, &sample);
    match out {
        Some(path) => {
            std::fs::write(path, &toml).with_context(|| path.display().to_string())?;
            eprintln!(
                "{}",
                tr(lang, "mappingcli.drafted", &[("path", &path.display())])
            );
        }
        None => print!("{toml}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn check(lang: Lang, path: &Path, extracts: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let mapping = Mapping::load(&path.to_string_lossy())
        .map_err(|e| anyhow::anyhow!("{}", tr(lang, "mappingcli.invalid", &[("error", &e)])))?;
    for t in &mapping.tables {
        println!(
            "{}",
            tr(
                lang,
                "mappingcli.table",
                &[
                    ("table", &t.table.name),
                    ("columns", &t.columns.len()),
                    ("dropped", &t.dropped.len()),
                ]
            )
        );
    }
    println!("{}", tr(lang, "mappingcli.valid", &[("id", &mapping.id)]));
    if extracts.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    // A throwaway store and quarantine: the trial ingest writes nothing
    // that outlives this command (rejected rows are personal data).
    let scratch = std::env::temp_dir().join(format!(
        "peitto-mapping-check-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let result = (|| -> anyhow::Result<peitto_ingest::IngestReport> {
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
        ingester
            .ingest(extracts)
            .map_err(|e| anyhow::anyhow!("{}", crate::ingest_error(lang, &e)))
    })();
    let _ = std::fs::remove_dir_all(&scratch);
    let mut report = result?;
    // The quarantine went with the scratch folder: name no file.
    for f in &mut report.files {
        f.quarantine = None;
    }
    crate::print_report(lang, &report);
    println!("{}", text(lang, "mappingcli.nothing_stored"));
    Ok(ExitCode::SUCCESS)
}
