//! `peitto init`, `synth`, `ingest`, `status`, `sql` and `audit verify`:
//! the project, its store and its release log.

use crate::args::Cli;
use crate::messages::{ingest_error, job_error, print_report, project_error};
use crate::{language, project_and_language};
use anyhow::Context;
use peitto_i18n::{Lang, format as tr, text};
use peitto_ingest::Options;
use peitto_project::Project;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `peitto init`.
pub fn init(cli: &Cli, dir: &Path, organisation: &str) -> anyhow::Result<ExitCode> {
    let lang = language(cli.lang.as_deref(), None);
    let project = Project::init(dir, organisation).map_err(|e| project_error(lang, &e))?;
    let root = project.root().display().to_string();
    println!("{}", tr(lang, "init.created", &[("path", &root)]));
    let key = project
        .root()
        .join(peitto_project::KEY_FILE)
        .display()
        .to_string();
    println!("{}", tr(lang, "init.key", &[("path", &key)]));
    println!("{}", tr(lang, "init.next", &[("path", &root)]));
    Ok(ExitCode::SUCCESS)
}

/// `peitto synth`.
pub fn synth(
    cli: &Cli,
    seed: u64,
    scale: u32,
    out: &Path,
    municipalities: &[String],
) -> anyhow::Result<ExitCode> {
    let lang = language(cli.lang.as_deref(), None);
    let manifest = peitto_synth::generate_for(seed, scale, out, municipalities)?;
    let path = out.display().to_string();
    println!(
        "{}",
        tr(
            lang,
            "synth.written",
            &[
                ("files", &manifest.files.len()),
                ("path", &path),
                ("seed", &seed),
                ("scale", &scale)
            ]
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// `peitto ingest`.
pub fn ingest(
    cli: &Cli,
    files: &[PathBuf],
    table: &Option<String>,
    mapping: &Option<String>,
    sheet: &Option<String>,
    strict: bool,
) -> anyhow::Result<ExitCode> {
    let (project, lang) = project_and_language(cli)?;
    let options = Options {
        table: table.clone(),
        mapping: mapping.clone(),
        sheet: sheet.clone(),
        strict,
    };
    let Some(report) = ingest_and_report(lang, &project, options, files)? else {
        return Ok(ExitCode::SUCCESS);
    };
    let rejected: u64 = report.files.iter().map(|f| f.rows_rejected).sum();
    Ok(if strict && rejected > 0 {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// Ingests `files` and prints what happened; `None` when there was
/// nothing to ingest.
pub fn ingest_and_report(
    lang: Lang,
    project: &Project,
    options: Options,
    files: &[PathBuf],
) -> anyhow::Result<Option<peitto_ingest::IngestReport>> {
    let (report, path) = peitto_jobs::ingest(project, options, files).map_err(|e| match e {
        peitto_jobs::JobError::Ingest(i) => anyhow::anyhow!(
            "{}",
            tr(lang, "ingest.failed", &[("error", &ingest_error(lang, &i))])
        ),
        other => job_error(lang, &other, 0),
    })?;
    for file in &report.skipped {
        eprintln!("{}", tr(lang, "ingest.skipped", &[("file", file)]));
    }
    let Some(path) = path else {
        println!("{}", text(lang, "ingest.nothing"));
        return Ok(None);
    };
    print_report(lang, &report, false);
    println!(
        "{}",
        tr(lang, "ingest.report", &[("path", &path.display())])
    );
    Ok(Some(report))
}

/// `peitto status`.
pub fn status(cli: &Cli) -> anyhow::Result<ExitCode> {
    let (project, lang) = project_and_language(cli)?;
    let tables = peitto_jobs::status(&project).map_err(|e| job_error(lang, &e, 0))?;
    println!("{}", text(lang, "ingest.summary_header"));
    for (table, rows) in &tables {
        println!(
            "{}",
            tr(
                lang,
                "ingest.summary_table",
                &[("table", table), ("rows", rows)]
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `peitto sql`: for report authors only.
pub fn sql(cli: &Cli, query: &str, params: &[String]) -> anyhow::Result<ExitCode> {
    let (project, lang) = project_and_language(cli)?;
    let batches = peitto_jobs::sql(&project, query, params).map_err(|e| job_error(lang, &e, 0))?;
    eprintln!("{}", text(lang, "sql.banner"));
    println!(
        "{}",
        peitto_engine::pretty(&batches).context("formatting the result")?
    );
    let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
    eprintln!("{}", tr(lang, "sql.rows", &[("rows", &rows)]));
    Ok(ExitCode::SUCCESS)
}

/// `peitto audit verify`.
pub fn audit_verify(cli: &Cli) -> anyhow::Result<ExitCode> {
    let (project, lang) = project_and_language(cli)?;
    match peitto_auditlog::verify(&project.audit_dir()) {
        Ok(entries) => {
            let last = entries
                .last()
                .map_or(peitto_auditlog::GENESIS, |e| e.hash.as_str());
            println!(
                "{}",
                tr(
                    lang,
                    "audit.ok",
                    &[("entries", &entries.len()), ("hash", &last)]
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{}", tr(lang, "audit.broken", &[("detail", &e)]));
            Ok(ExitCode::from(4))
        }
    }
}
