//! The `peitto` command line.
//!
//! Owns argument parsing, finding the project, and turning library results
//! and errors into messages from the fi/sv/en catalogues, with exit codes.
//! The work itself is `peitto_jobs`' (and the crates below it): each
//! command here is one small function that calls it and prints.

mod args;
mod dashboard;
mod mapping;
mod messages;
mod progress;
mod protect;
mod query;
mod report;
mod store;
mod viewer_assets;

use args::{AuditAction, Cli, Command, DashboardAction};
use clap::Parser;
use peitto_i18n::{Lang, text};
use peitto_project::{Project, ProjectError};
use std::process::ExitCode;

/// jemalloc: ingest hands Arrow buffers for every batch from thread to
/// thread, and glibc's allocator gives that memory back and faults it in
/// again (BENCHMARKS.md, ingest).
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The language of messages: `--lang`, then `PEITTO_LANG`, then the
/// project's, else Finnish.
pub fn language(cli_lang: Option<&str>, project: Option<&Project>) -> Lang {
    cli_lang
        .map(str::to_owned)
        .or_else(|| std::env::var("PEITTO_LANG").ok())
        .or_else(|| project.map(|p| p.config.organisation.language.clone()))
        .and_then(|l| l.parse().ok())
        .unwrap_or(Lang::Fi)
}

/// The project `--project` names, else the nearest one at or above the
/// current folder.
pub fn open_project(cli: &Cli) -> Result<Project, ProjectError> {
    match &cli.project {
        Some(dir) => Project::open(dir),
        None => Project::discover(&std::env::current_dir().map_err(|source| ProjectError::Io {
            path: ".".into(),
            source,
        })?),
    }
}

/// The project a command works on, and the language of its messages; a
/// missing project is reported in the language asked for.
pub fn project_and_language(cli: &Cli) -> anyhow::Result<(Project, Lang)> {
    let project = open_project(cli)
        .map_err(|e| messages::project_error(language(cli.lang.as_deref(), None), &e))?;
    let lang = language(cli.lang.as_deref(), Some(&project));
    Ok((project, lang))
}

/// A reader that stops early (`peitto ingest … | head`) closes the pipe:
/// end quietly, as other command-line tools do, instead of with a panic
/// report. (The store and files are written before anything is printed.)
/// A closed pipe ends the command quietly; any other panic prints one
/// plain line, never its message or location: a panic inside a query
/// could carry a stored value, and where it happened is no one's business
/// but the developers' (who reproduce it).
fn quiet_on_closed_pipe(lang: Lang) {
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        eprintln!("peitto: {}", text(lang, "error.internal"));
    }));
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    quiet_on_closed_pipe(language(cli.lang.as_deref(), None));
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("peitto: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Init { dir, organisation } => store::init(cli, dir, organisation),
        Command::Synth {
            seed,
            scale,
            out,
            municipalities,
        } => store::synth(cli, *seed, *scale, out, municipalities),
        Command::Ingest {
            files,
            table,
            mapping,
            sheet,
            strict,
        } => store::ingest(cli, files, table, mapping, sheet, *strict),
        Command::Status => store::status(cli),
        Command::Sql { query, params } => store::sql(cli, query, params),
        Command::Demo { data, out, year } => report::demo(cli, data, out, *year),
        Command::Protect(args) => protect::protect(cli, args),
        Command::Query {
            query,
            params,
            policy,
            format,
        } => query::query(cli, query, params, policy, format),
        Command::Tables { table } => query::tables(cli, table.as_deref()),
        Command::Report {
            ids,
            all,
            year,
            package,
            timings,
            revision,
        } => report::report(
            cli,
            ids,
            *all,
            *year,
            package.as_deref(),
            (*timings, *revision),
        ),
        Command::Mapping { action } => mapping::run(language(cli.lang.as_deref(), None), action),
        Command::Dashboard {
            action:
                DashboardAction::Build {
                    out,
                    year,
                    years,
                    viewer,
                },
        } => dashboard::build(cli, out, *year, *years, viewer.as_deref()),
        Command::Dashboard {
            action: DashboardAction::Serve { dir, port },
        } => dashboard::serve(cli, dir, *port),
        Command::Audit {
            action: AuditAction::Verify,
        } => store::audit_verify(cli),
    }
}
