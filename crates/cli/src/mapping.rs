//! `peitto mapping draft` and `peitto mapping check`: bringing in a
//! register system peitto has no mapping for.

use crate::args::MappingAction;
use peitto_i18n::{Lang, format as tr, text};
use peitto_mapping::Mapping;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
    let toml = peitto_jobs::mapping::draft(file, table, sheet, id).map_err(|e| match e {
        peitto_jobs::mapping::MappingJobError::Read { source, .. } => anyhow::anyhow!(
            "{}",
            crate::messages::ingest_error(lang, &peitto_ingest::IngestError::Read(source))
        ),
        other => other.into(),
    })?;
    match out {
        Some(path) => {
            peitto_jobs::mapping::write_draft(path, &toml)?;
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
    let report = peitto_jobs::mapping::check(&mapping, extracts).map_err(|e| match e {
        peitto_jobs::mapping::MappingJobError::Ingest(i) => {
            anyhow::anyhow!("{}", crate::messages::ingest_error(lang, &i))
        }
        other => other.into(),
    })?;
    // The quarantine went with the scratch folder: the report names no file.
    crate::messages::print_report(lang, &report, true);
    println!("{}", text(lang, "mappingcli.nothing_stored"));
    Ok(ExitCode::SUCCESS)
}
