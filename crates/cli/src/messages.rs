//! Library results and errors as messages from the fi/sv/en catalogues.
//! No engine text reaches a user of a protected command.

use peitto_i18n::{Lang, format as tr, text};
use peitto_ingest::IngestError;
use peitto_jobs::JobError;
use peitto_jobs::dashboard::AssetError;
use peitto_project::ProjectError;
use peitto_release::query::QueryError;
use peitto_release::{Refusal, ReleaseError, SdcError};

use std::path::Path;

/// A failed job in the user's language; `memory_mib` is the query memory
/// limit a refusal names.
pub fn job_error(lang: Lang, e: &JobError, memory_mib: u64) -> anyhow::Error {
    let message = match e {
        JobError::Release { report, source } => {
            format!("{report}: {}", release_error(lang, source))
        }
        JobError::Query(q) => query_error(lang, q, memory_mib),
        JobError::Store(peitto_store::StoreError::Outside(path))
        | JobError::Engine(peitto_engine::EngineError::Store(peitto_store::StoreError::Outside(
            path,
        ))) => tr(lang, "error.project_outside", &[("path", &path.display())]),
        JobError::Project(p) => return project_error(lang, p),
        JobError::Ingest(i) => tr(lang, "ingest.failed", &[("error", &ingest_error(lang, i))]),
        JobError::NotAuthor { user } => tr(lang, "sql.refused", &[("user", user)]),
        JobError::Assets(a) => asset_error(lang, a),
        JobError::Protect(p) => tr(lang, "protect.failed", &[("error", p)]),
        JobError::Ledger(io) => tr(lang, "query.ledger", &[("error", io)]),
        JobError::PolicyLoosened { name, field } => {
            tr(lang, "policy.loosened", &[("name", name), ("field", field)])
        }
        other => other.to_string(),
    };
    anyhow::anyhow!("{message}")
}

fn asset_error(lang: Lang, e: &AssetError) -> String {
    match e {
        AssetError::NotEmbedded => text(lang, "board.no_viewer").to_owned(),
        AssetError::NotBuilt(path) => tr(lang, "dashboard.no_viewer", &[("path", &path.display())]),
        AssetError::Read { .. } => e.to_string(),
    }
}

/// Which rule refused the SQL, and what to write instead.
fn refusal(lang: Lang, r: &Refusal) -> String {
    let why = tr(
        lang,
        &format!("refusal.{}", r.code()),
        &[("detail", &r.detail())],
    );
    let hint = text(lang, &format!("refusal.{}_hint", r.code())).to_owned();
    tr(lang, "query.refused", &[("why", &why), ("hint", &hint)])
}

/// A refusal or failure in the planner's language.
fn release_error(lang: Lang, e: &ReleaseError) -> String {
    match e {
        ReleaseError::Refused(r) => refusal(lang, r),
        // Engine text can carry stored values: it is never shown.
        ReleaseError::Engine(_) | ReleaseError::DataFusion(_) => {
            text(lang, "query.run_failed").to_owned()
        }
        // Which and how many cells fail depends on the data: not shown.
        ReleaseError::Sdc(SdcError::CannotProtect(_) | SdcError::Solver(_)) => {
            text(lang, "query.cannot_protect").to_owned()
        }
        other => tr(lang, "query.failed", &[("error", other)]),
    }
}

/// A failed query in the planner's language: what rule, and what to write
/// instead; never the engine's own text.
fn query_error(lang: Lang, e: &QueryError, memory_mib: u64) -> String {
    match e {
        QueryError::Refused(r) => refusal(lang, r),
        QueryError::Syntax { line, column } => {
            tr(lang, "query.syntax", &[("line", line), ("column", column)])
        }
        QueryError::UnknownName(name) => tr(lang, "query.unknown_name", &[("name", name)]),
        QueryError::Plan => text(lang, "query.plan").to_owned(),
        QueryError::Failed => text(lang, "query.run_failed").to_owned(),
        QueryError::TimeLimit(s) => tr(lang, "query.time_limit", &[("seconds", s)]),
        QueryError::MemoryLimit => tr(lang, "query.memory_limit", &[("mib", &memory_mib)]),
        QueryError::Ledger(io) => tr(lang, "query.ledger", &[("error", io)]),
    }
}

/// What an ingest did, file by file, then the store's rows per table.
pub fn print_report(lang: Lang, report: &peitto_ingest::IngestReport) {
    for file in &report.files {
        let name = Path::new(&file.path).display().to_string();
        if file.status == "already_in_store" {
            println!("{}", tr(lang, "ingest.already", &[("file", &name)]));
            continue;
        }
        println!(
            "{}",
            tr(
                lang,
                "ingest.file_line",
                &[
                    ("file", &name),
                    ("table", &file.table),
                    ("mapping", &file.mapping)
                ]
            )
        );
        println!(
            "  {}",
            tr(
                lang,
                "ingest.file_rows",
                &[
                    ("read", &file.rows_read),
                    ("accepted", &file.rows_accepted),
                    ("rejected", &file.rows_rejected)
                ]
            )
        );
        for (reason, count) in &file.rejected_by_reason {
            let key = format!("reason.{}", reason.code());
            let reason_text = text(lang, &key);
            println!(
                "{}",
                tr(
                    lang,
                    "ingest.rejected_reason",
                    &[("count", count), ("reason", &reason_text)]
                )
            );
        }
        if !file.source.other_sheets.is_empty() {
            println!(
                "{}",
                tr(
                    lang,
                    "ingest.other_sheets",
                    &[("sheets", &file.source.other_sheets.join(", "))]
                )
            );
        }
        if !file.dropped_columns.is_empty() {
            println!(
                "{}",
                tr(
                    lang,
                    "ingest.dropped",
                    &[("columns", &file.dropped_columns.join(", "))]
                )
            );
        }
        if !file.ignored_columns.is_empty() {
            println!(
                "{}",
                tr(
                    lang,
                    "ingest.ignored",
                    &[("columns", &file.ignored_columns.join(", "))]
                )
            );
        }
        if file.cells_skipped_as_totals > 0 {
            println!(
                "{}",
                tr(
                    lang,
                    "ingest.totals_skipped",
                    &[("cells", &file.cells_skipped_as_totals)]
                )
            );
        }
        if file.note_lines_skipped > 0 {
            println!(
                "{}",
                tr(
                    lang,
                    "ingest.notes_skipped",
                    &[("lines", &file.note_lines_skipped)]
                )
            );
        }
        if let Some(q) = &file.quarantine {
            println!("  {}", tr(lang, "ingest.quarantine", &[("path", q)]));
        }
    }
    println!("{}", text(lang, "ingest.summary_header"));
    for (table, totals) in &report.tables {
        println!(
            "{}",
            tr(
                lang,
                "ingest.summary_table",
                &[("table", table), ("rows", &totals.rows_in_store)]
            )
        );
    }
}

pub fn project_error(lang: Lang, e: &ProjectError) -> anyhow::Error {
    match e {
        ProjectError::NotFound(_) => anyhow::anyhow!("{}", text(lang, "error.no_project")),
        ProjectError::Exists(path) => anyhow::anyhow!(
            "{}",
            tr(lang, "error.project_exists", &[("path", &path.display())])
        ),
        ProjectError::NotOwner(path) => anyhow::anyhow!(
            "{}",
            tr(lang, "error.project_owner", &[("path", &path.display())])
        ),
        ProjectError::Outside(path) => anyhow::anyhow!(
            "{}",
            tr(lang, "error.project_outside", &[("path", &path.display())])
        ),
        other => anyhow::anyhow!("{other}"),
    }
}

pub fn ingest_error(lang: Lang, e: &IngestError) -> String {
    use peitto_ingest::read::ReadError;
    match e {
        IngestError::Read(ReadError::Unreadable { file, detail }) => tr(
            lang,
            "error.unreadable",
            &[("file", &file.display()), ("detail", detail)],
        ),
        IngestError::Read(ReadError::NoHeader(file)) => {
            tr(lang, "error.empty_file", &[("file", &file.display())])
        }
        IngestError::Read(ReadError::DataAsHeader(file)) => {
            tr(lang, "error.header_is_data", &[("file", &file.display())])
        }
        IngestError::UnknownFormat(file) => {
            tr(lang, "error.unknown_format", &[("file", &file.display())])
        }
        IngestError::NoMapping {
            file,
            mappings,
            headers,
        } => tr(
            lang,
            "error.no_mapping",
            &[
                ("file", &file.display()),
                ("mappings", mappings),
                ("headers", headers),
            ],
        ),
        IngestError::Ambiguous { file, candidates } => tr(
            lang,
            "error.ambiguous_mapping",
            &[("file", &file.display()), ("candidates", candidates)],
        ),
        IngestError::Project(p) => project_error(lang, p).to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_that_cannot_be_protected_says_so_without_counting_its_cells() {
        // How many cells fail depends on the data: an oracle if shown.
        let e = JobError::Release {
            report: "placed_children".into(),
            source: ReleaseError::Sdc(SdcError::CannotProtect("38 cells are not protected".into())),
        };
        for lang in Lang::ALL {
            let shown = job_error(lang, &e, 4096).to_string();
            assert!(!shown.contains("38"), "{shown}");
            assert!(
                shown.contains(text(lang, "query.cannot_protect")),
                "{shown}"
            );
        }
    }
}
