//! Library results and errors as messages from the fi/sv/en catalogues.
//! No engine text reaches a user of a protected command.

use peitto_i18n::{Lang, format as tr, text};
use peitto_ingest::IngestError;
use peitto_ingest::read::ReadError;
use peitto_jobs::JobError;
use peitto_jobs::dashboard::AssetError;
use peitto_jobs::protect::ProtectError;
use peitto_project::ProjectError;
use peitto_release::query::QueryError;
use peitto_release::{Refusal, ReleaseError, SdcError};
use peitto_store::StoreError;

use std::path::Path;

/// A failed job in the user's language; `memory_mib` is the query memory
/// limit a refusal names.
pub fn job_error(lang: Lang, e: &JobError, memory_mib: u64) -> anyhow::Error {
    let message = match e {
        JobError::Release { report, source } => {
            format!("{report}: {}", release_error(lang, source))
        }
        JobError::Query(q) => query_error(lang, q, memory_mib),
        JobError::Store(store) | JobError::Engine(peitto_engine::EngineError::Store(store)) => {
            store_error(lang, store)
        }
        JobError::Project(p) => return project_error(lang, p),
        JobError::Ingest(i) => tr(lang, "ingest.failed", &[("error", &ingest_error(lang, i))]),
        JobError::NotAuthor { user } => tr(lang, "sql.refused", &[("user", user)]),
        JobError::Assets(a) => asset_error(lang, a),
        JobError::Protect(p) => tr(
            lang,
            "protect.failed",
            &[("error", &protect_error(lang, p))],
        ),
        JobError::NoPolicy(name) => tr(lang, "job.no_policy", &[("name", name)]),
        JobError::PolicyConfig { name, detail } => tr(
            lang,
            "job.policy_config",
            &[("name", name), ("detail", detail)],
        ),
        JobError::NeedsPersons { name, .. } => tr(lang, "job.needs_persons", &[("name", name)]),
        JobError::NoPackage { name, known } => {
            tr(lang, "job.no_package", &[("name", name), ("known", known)])
        }
        JobError::NoReportNamed => text(lang, "job.no_report_named").to_owned(),
        JobError::NoReport { id, known } => {
            tr(lang, "job.no_report", &[("name", id), ("known", known)])
        }
        JobError::Param(param) => tr(lang, "job.param", &[("param", param)]),
        JobError::ParamRepeated(name) => tr(lang, "job.param_repeated", &[("name", name)]),
        JobError::YearNotOver { year, last } => {
            tr(lang, "job.year_not_over", &[("year", year), ("last", last)])
        }
        JobError::Revision { report, year } => {
            tr(lang, "job.revision", &[("report", report), ("year", year)])
        }
        JobError::RevisionNotAuthor { user } => {
            tr(lang, "job.revision_not_author", &[("user", user)])
        }
        JobError::OutputInProject(path) => {
            tr(lang, "job.output_in_project", &[("path", &path.display())])
        }
        JobError::NotADashboardFolder(path) => tr(
            lang,
            "job.not_a_dashboard_folder",
            &[("path", &path.display())],
        ),
        JobError::Withheld(io) => tr(lang, "job.withheld", &[("error", io)]),
        JobError::Reasons(io) => tr(lang, "job.reasons", &[("error", io)]),
        JobError::IngestReport(i) => tr(
            lang,
            "job.ingest_report",
            &[("error", &ingest_error(lang, i))],
        ),
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

/// The store could not be used: in use, of another format, damaged.
fn store_error(lang: Lang, e: &StoreError) -> String {
    match e {
        StoreError::Outside(path) => {
            tr(lang, "error.project_outside", &[("path", &path.display())])
        }
        StoreError::Locked(path) => tr(lang, "store.locked", &[("path", &path.display())]),
        StoreError::Version { path, found } => tr(
            lang,
            "store.version",
            &[
                ("path", &path.display()),
                ("found", found),
                ("format", &peitto_store::FORMAT_VERSION),
            ],
        ),
        StoreError::Manifest { path, message } | StoreError::Data { path, message } => tr(
            lang,
            "store.damaged",
            &[("path", &path.display()), ("detail", message)],
        ),
        StoreError::Io { path, source } => tr(
            lang,
            "error.unreadable",
            &[("file", &path.display()), ("detail", source)],
        ),
    }
}

/// A table `peitto protect` could not read or protect.
fn protect_error(lang: Lang, e: &ProtectError) -> String {
    use peitto_jobs::protect::InputError as I;
    let input = |key: &str, args: &[(&str, &dyn std::fmt::Display)]| {
        tr(lang, &format!("protect.input.{key}"), args)
    };
    match e {
        ProtectError::Read(r) => read_error(lang, r),
        ProtectError::Input(i) => match i {
            I::Unreadable { file, detail } => tr(
                lang,
                "error.unreadable",
                &[("file", &file.display()), ("detail", detail)],
            ),
            I::HierarchyDepth { file, line } => input(
                "hierarchy_depth",
                &[("file", &file.display()), ("line", line)],
            ),
            I::Fields {
                file,
                row,
                found,
                expected,
            } => input(
                "fields",
                &[
                    ("file", &file.display()),
                    ("row", row),
                    ("found", found),
                    ("expected", expected),
                ],
            ),
            I::NotANumber { file, row, column } => input(
                "not_a_number",
                &[("file", &file.display()), ("row", row), ("column", column)],
            ),
            I::Negative { file, row, column } => input(
                "negative",
                &[("file", &file.display()), ("row", row), ("column", column)],
            ),
            I::NotACount { file, row, column } => input(
                "not_a_count",
                &[("file", &file.display()), ("row", row), ("column", column)],
            ),
            I::TooManyCells { file, cells, max } => input(
                "too_many_cells",
                &[("file", &file.display()), ("cells", cells), ("max", max)],
            ),
            I::NoColumn { file, column } => input(
                "no_column",
                &[("file", &file.display()), ("column", column)],
            ),
            I::NoDimensions { file } => input("no_dimensions", &[("file", &file.display())]),
            I::HierarchyArgument(argument) => {
                input("hierarchy_argument", &[("argument", argument)])
            }
            I::HierarchyColumn(column) => input("hierarchy_column", &[("column", column)]),
            I::TotalRow {
                file,
                row,
                column,
                total,
            } => input(
                "total_row",
                &[
                    ("file", &file.display()),
                    ("row", row),
                    ("column", column),
                    ("total", total),
                ],
            ),
            I::PatternStatus { file } => input("pattern_status", &[("file", &file.display())]),
            I::PatternCell { file, row } => {
                input("pattern_cell", &[("file", &file.display()), ("row", row)])
            }
        },
        other => other.to_string(),
    }
}

/// A file that could not be read at all.
fn read_error(lang: Lang, e: &ReadError) -> String {
    match e {
        ReadError::Unreadable { file, detail } => tr(
            lang,
            "error.unreadable",
            &[("file", &file.display()), ("detail", detail)],
        ),
        ReadError::NoHeader(file) => tr(lang, "error.empty_file", &[("file", &file.display())]),
        ReadError::DataAsHeader(file) => {
            tr(lang, "error.header_is_data", &[("file", &file.display())])
        }
        ReadError::NoSheet {
            file,
            sheet,
            sheets,
        } => tr(
            lang,
            "error.no_sheet",
            &[
                ("file", &file.display()),
                ("sheet", sheet),
                ("sheets", sheets),
            ],
        ),
        ReadError::PartTooLarge { file, part } => tr(
            lang,
            "error.part_too_large",
            &[("file", &file.display()), ("part", part)],
        ),
        ReadError::CellsTooLarge { file, column } => tr(
            lang,
            "error.cells_too_large",
            &[("file", &file.display()), ("column", column)],
        ),
    }
}

/// Which rule refused the SQL, and what to write instead.
fn refusal(lang: Lang, r: &Refusal) -> String {
    let detail = r.detail();
    let mut why = tr(
        lang,
        &format!("refusal.{}", r.code()),
        &[("detail", &detail)],
    );
    // A rule that names nothing here (a reference table met only inside a
    // subquery) reads without an empty name before its colon.
    if detail.is_empty() {
        why = why.trim_start_matches(": ").to_owned();
    }
    let hint = tr(
        lang,
        &format!("refusal.{}_hint", r.code()),
        &[("detail", &r.detail())],
    );
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
/// `checked`: a mapping check's throwaway store, which the real one is not.
pub fn print_report(lang: Lang, report: &peitto_ingest::IngestReport, checked: bool) {
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
    let header = if checked {
        "ingest.summary_checked"
    } else {
        "ingest.summary_header"
    };
    println!("{}", text(lang, header));
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
    match e {
        IngestError::Read(r) => read_error(lang, r),
        IngestError::Store(store) => store_error(lang, store),
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
    fn a_job_that_fails_says_so_in_the_users_language() {
        // These were English in every language: a Finnish planner who
        // mistyped a report name or met a busy store read English.
        let errors = [
            JobError::NoPolicy("tiukka".into()),
            JobError::NeedsPersons {
                name: "adhoc".into(),
                method: peitto_sdc::Method::CellKey,
            },
            JobError::NoPackage {
                name: "thl".into(),
                known: "thl-lastensuojelu, ely-kotoutuminen".into(),
            },
            JobError::NoReportNamed,
            JobError::NoReport {
                id: "sijoitetut".into(),
                known: "placed_children, care_costs".into(),
            },
            JobError::Param("year".into()),
            JobError::Store(StoreError::Locked("/srv/peitto/store".into())),
            JobError::Store(StoreError::Version {
                path: "/srv/peitto/store/manifest.json".into(),
                found: 1,
            }),
        ];
        for e in &errors {
            let english = job_error(Lang::En, e, 0).to_string();
            for lang in [Lang::Fi, Lang::Sv] {
                let shown = job_error(lang, e, 0).to_string();
                assert_ne!(shown, english, "{lang}: {e:?}");
                assert!(!shown.contains(&e.to_string()), "{lang}: {shown}");
            }
        }
        let fi = job_error(Lang::Fi, &errors[6], 0).to_string();
        assert!(fi.contains("toisen peitto-komennon käytössä"), "{fi}");
    }

    #[test]
    fn every_command_a_message_suggests_is_one_peitto_takes() {
        // Messages said `peitto audit verify --project …` after `--project`
        // was pinned before the command: a user who followed one got an
        // error. Each suggested command must parse (arguments it leaves
        // to the user may be missing).
        use clap::Parser;
        use clap::error::ErrorKind;
        let mut checked = 0;
        for lang in Lang::ALL {
            for key in peitto_i18n::keys(lang) {
                let message = text(lang, key);
                for command in message.split('`').skip(1).step_by(2) {
                    if !command.starts_with("peitto ") {
                        continue;
                    }
                    let words: Vec<String> = command
                        .split_whitespace()
                        // A year as a year; other placeholders as words.
                        .map(|w| {
                            w.trim_matches('"')
                                .replace("{year}", "2025")
                                .replace(['{', '}'], "")
                        })
                        .collect();
                    checked += 1;
                    if let Err(e) = crate::args::Cli::try_parse_from(&words) {
                        assert!(
                            matches!(
                                e.kind(),
                                ErrorKind::MissingRequiredArgument
                                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                            ),
                            "{lang} {key}: `{command}`: {e}"
                        );
                    }
                }
            }
        }
        assert!(checked >= 20, "{checked} commands");
    }

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
