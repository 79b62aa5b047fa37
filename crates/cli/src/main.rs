//! The `peitto` command line.
//!
//! Owns argument parsing, finding the project, and turning library results
//! and errors into messages from the fi/sv/en catalogues. All work is done by
//! the library crates.

mod dashboard;
mod mapping;
mod progress;
mod protect;
mod query;
mod release;
mod viewer_assets;

use anyhow::Context;
use clap::{Parser, Subcommand};
use peitto_i18n::{Lang, format as tr, text};
use peitto_ingest::{IngestError, Ingester, Options};
use peitto_project::{Project, ProjectError};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// jemalloc: ingest hands Arrow buffers for every batch from thread to
/// thread, and glibc's allocator gives that memory back and faults it in
/// again (BENCHMARKS.md, ingest).
#[cfg(unix)]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// peitto: anonymised statistics from Finnish social-services registers.
#[derive(Parser, Debug)]
#[command(name = "peitto", version, about)]
struct Cli {
    /// Project folder (default: the current folder or the nearest parent with a peitto.toml).
    #[arg(long, global = true)]
    project: Option<PathBuf>,
    /// Language of messages: fi, sv or en (default: PEITTO_LANG, then the project's language).
    #[arg(long, global = true)]
    lang: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create a project folder with peitto.toml, a new pseudonymisation key and store/, out/, quarantine/, audit/.
    Init {
        /// Folder to create the project in.
        dir: PathBuf,
        /// Name of the organisation (register controller).
        #[arg(long, default_value = "")]
        organisation: String,
    },
    /// Validate, pseudonymise and store register extracts (CSV, XLSX, Parquet; folders are searched).
    Ingest {
        /// Files or folders to ingest.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Load into this model table instead of detecting it from the headers.
        #[arg(long)]
        table: Option<String>,
        /// Use this mapping instead of detecting it.
        #[arg(long)]
        mapping: Option<String>,
        /// Read this sheet of a workbook (default: the first).
        #[arg(long)]
        sheet: Option<String>,
        /// Exit with status 3 if any row was rejected.
        #[arg(long)]
        strict: bool,
    },
    /// Write synthetic register extracts (fictitious persons only) for testing and benchmarks.
    Synth {
        /// Random seed: the same seed and scale give the same bytes.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Size multiplier: 1 is the committed sample; hundreds reach millions of invoice lines.
        #[arg(long, default_value_t = 1)]
        scale: u32,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Only these municipalities (codes 285, 240, 171, 895, 598; default: all five).
        #[arg(long = "municipality")]
        municipalities: Vec<String>,
    },
    /// Show what the store holds.
    Status,
    /// For report authors only: run SQL on the store and print the unprotected result to the terminal.
    Sql {
        /// The SQL; parameters as $name.
        query: String,
        /// A parameter as NAME=VALUE (repeat for more).
        #[arg(long = "param")]
        params: Vec<String>,
    },
    /// Protect an existing table (most detailed cells in a CSV file): totals, primary and secondary suppression, audit.
    Protect {
        /// CSV file: dimension columns, a count column, optional value, contributor and top-contribution columns.
        cells: PathBuf,
        /// A dimension's hierarchy as DIMENSION=FILE (CSV of child,parent codes); repeat for more.
        #[arg(long = "hierarchy")]
        hierarchies: Vec<String>,
        /// Disclosure policy: thl, ely, public, adhoc, or one defined in peitto.toml.
        #[arg(long, default_value = "thl")]
        policy: String,
        /// Column holding the number of persons in the cell.
        #[arg(long, default_value = "count")]
        count: String,
        /// Column holding a magnitude (such as euros); makes the table a magnitude table.
        #[arg(long)]
        value: Option<String>,
        /// Column holding distinct contributors, if not the count.
        #[arg(long)]
        contributors: Option<String>,
        /// Columns holding the largest contributions, largest first (for p% and dominance).
        #[arg(long)]
        top: Vec<String>,
        /// Code of the total for dimensions without a hierarchy file.
        #[arg(long, default_value = "Total")]
        total: String,
        /// Output format.
        #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
        format: String,
        /// Write to this file (atomically) instead of the terminal.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Instead of protecting, audit this suppression pattern (CSV with the dimension columns and a status column).
        #[arg(long)]
        check_pattern: Option<PathBuf>,
        /// Leave out of the JSON output the exact interval an attacker can derive for each withheld cell (finding it takes a full audit, two LPs per withheld cell, on top of the protection).
        #[arg(long)]
        no_intervals: bool,
    },
    /// Your own question in SQL, released protected (a cell-key policy: the frequency rule and cell key perturbation over the persons behind each number). `peitto tables` lists what you can use.
    Query {
        /// The SQL: an aggregate over persons (COUNT, COUNT(DISTINCT person_key), SUM, AVG); parameters as $name.
        query: String,
        /// A parameter as NAME=VALUE (repeat for more).
        #[arg(long = "param")]
        params: Vec<String>,
        /// Disclosure policy.
        #[arg(long, default_value = "adhoc")]
        policy: String,
        /// Output format for the terminal.
        #[arg(long, default_value = "text", value_parser = ["text", "csv", "json"])]
        format: String,
    },
    /// The tables a query can use: each column's use (dimension and its domain, measure and its bounds, date, join key).
    Tables {
        /// Only this table.
        table: Option<String>,
    },
    /// Run saved reports (or a statutory package) through disclosure control and write CSV, XLSX, JSON and PX files to out/.
    Report {
        /// Report ids (see queries/).
        ids: Vec<String>,
        /// All saved reports.
        #[arg(long)]
        all: bool,
        /// Statistical year (default: the last complete calendar year).
        #[arg(long)]
        year: Option<i32>,
        /// A statutory package: thl-lastensuojelu or ely-kotoutuminen.
        #[arg(long)]
        package: Option<String>,
        /// Also print per report the seconds spent in SQL, protection and files (tab-separated).
        #[arg(long)]
        timings: bool,
    },
    /// Mappings for register systems peitto does not know yet: draft one from an extract, check it.
    Mapping {
        #[command(subcommand)]
        action: mapping::MappingAction,
    },
    /// The dashboard: a static site of protected tables that managers open in a browser.
    Dashboard {
        #[command(subcommand)]
        action: DashboardAction,
    },
    /// Check the release log: every entry unchanged, none deleted, reordered or cut off.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Run the whole job on the bundled sample data: a fresh project, ingest, every report, the THL and ELY packages.
    Demo {
        /// Folder of extracts to ingest.
        #[arg(long, default_value = "sample-data")]
        data: PathBuf,
        /// Project folder to (re)create; an existing peitto project there is replaced.
        #[arg(long, default_value = "demo-project")]
        out: PathBuf,
        /// Statistical year of the reports.
        #[arg(long, default_value_t = 2025)]
        year: i32,
    },
}

#[derive(Subcommand, Debug)]
enum DashboardAction {
    /// Build the site: index.html, the viewer (WebAssembly), and a bundle of protected tables.
    Build {
        /// Folder to write (replaced as a whole when the build succeeds).
        #[arg(long)]
        out: PathBuf,
        /// Last statistical year shown (default: the last complete calendar year).
        #[arg(long)]
        year: Option<i32>,
        /// How many years back the time series go.
        #[arg(long, default_value_t = 3)]
        years: i32,
        /// Folder of a built viewer (bash web/build.sh makes web/dist), for development; the page (index.html, app.js, style.css) is read from it, or from the folder above it as in web/; default: the one built into peitto.
        #[arg(long)]
        viewer: Option<PathBuf>,
    },
    /// Serve a built dashboard folder on localhost.
    Serve {
        /// The folder.
        dir: PathBuf,
        /// Port (0: any free one).
        #[arg(long, default_value_t = 8000)]
        port: u16,
    },
}

#[derive(Subcommand, Debug)]
enum AuditAction {
    /// Verify the hash chain of audit/releases.jsonl.
    Verify,
}

fn language(cli_lang: Option<&str>, project: Option<&Project>) -> Lang {
    cli_lang
        .map(str::to_owned)
        .or_else(|| std::env::var("PEITTO_LANG").ok())
        .or_else(|| project.map(|p| p.config.organisation.language.clone()))
        .and_then(|l| l.parse().ok())
        .unwrap_or(Lang::Fi)
}

fn open_project(cli: &Cli) -> Result<Project, ProjectError> {
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
fn project_and_language(cli: &Cli) -> anyhow::Result<(Project, Lang)> {
    let project =
        open_project(cli).map_err(|e| project_error(language(cli.lang.as_deref(), None), &e))?;
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
        Command::Init { dir, organisation } => {
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
        Command::Synth {
            seed,
            scale,
            out,
            municipalities,
        } => {
            let lang = language(cli.lang.as_deref(), None);
            let manifest = peitto_synth::generate_for(*seed, *scale, out, municipalities)?;
            let path = out.display().to_string();
            println!(
                "{}",
                tr(
                    lang,
                    "synth.written",
                    &[
                        ("files", &manifest.files.len()),
                        ("path", &path),
                        ("seed", seed),
                        ("scale", scale)
                    ]
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Ingest {
            files,
            table,
            mapping,
            sheet,
            strict,
        } => {
            let (project, lang) = project_and_language(cli)?;
            let options = Options {
                table: table.clone(),
                mapping: mapping.clone(),
                sheet: sheet.clone(),
                strict: *strict,
            };
            let Some(report) = ingest_and_report(lang, &project, options, files)? else {
                return Ok(ExitCode::SUCCESS);
            };
            let rejected: u64 = report.files.iter().map(|f| f.rows_rejected).sum();
            Ok(if *strict && rejected > 0 {
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Demo { data, out, year } => {
            let lang = language(cli.lang.as_deref(), None);
            if out.join(peitto_project::PROJECT_FILE).is_file() {
                std::fs::remove_dir_all(out)
                    .with_context(|| format!("removing the old demo project {}", out.display()))?;
            }
            let project = Project::init(out, "peitto demo").map_err(|e| project_error(lang, &e))?;
            println!(
                "{}",
                tr(lang, "init.created", &[("path", &project.root().display())])
            );
            ingest_and_report(
                lang,
                &project,
                Options::default(),
                std::slice::from_ref(data),
            )?;
            // The whole path: every saved report, then both statutory packages.
            let none: Vec<String> = Vec::new();
            for package in [None, Some("thl-lastensuojelu"), Some("ely-kotoutuminen")] {
                release::report(
                    &project,
                    lang,
                    &release::ReportArgs {
                        ids: &none,
                        all: package.is_none(),
                        year: *year,
                        package,
                        timings: false,
                    },
                )?;
            }
            let viewer = Path::new("web/dist");
            let site = project.out_dir().join("dashboard");
            // The checkout's viewer when built (it may be newer), else the
            // one built into this binary.
            let viewer = viewer
                .join("peitto_viewer_bg.wasm")
                .is_file()
                .then_some(viewer);
            if viewer.is_some() || viewer_assets::Assets::embedded() {
                let span: Vec<i32> = ((*year - 2)..=*year).collect();
                dashboard::build(&project, lang, &site, &span, viewer)?;
                println!(
                    "{}",
                    tr(lang, "demo.dashboard", &[("path", &site.display())])
                );
            } else {
                println!("{}", text(lang, "demo.no_dashboard"));
            }
            println!(
                "{}",
                tr(
                    lang,
                    "demo.done",
                    &[
                        ("out", &project.out_dir().display()),
                        ("project", &project.root().display())
                    ]
                )
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Protect {
            cells,
            hierarchies,
            policy,
            count,
            value,
            contributors,
            top,
            total,
            format,
            out,
            check_pattern,
            no_intervals,
        } => {
            let project = open_project(cli).ok();
            let lang = language(cli.lang.as_deref(), project.as_ref());
            let chosen = release::policy(project.as_ref(), policy)?;
            if chosen.method != peitto_sdc::Method::Suppression {
                anyhow::bail!(
                    "policy {policy} uses {:?}, which needs person-level data (each person's record key); \
                     protect an existing table with a suppression policy such as thl, ely or public",
                    chosen.method
                );
            }
            let chosen_copy = chosen.clone();
            let request = protect::Request {
                cells,
                hierarchies,
                policy: chosen,
                policy_name: policy,
                count,
                value: value.as_deref(),
                contributors: contributors.as_deref(),
                top,
                total,
                json: format == "json",
                pattern: check_pattern.as_deref(),
                intervals: !*no_intervals,
            };
            let done = protect::run(&request).map_err(|e| {
                anyhow::anyhow!(
                    "{}",
                    tr(lang, "protect.failed", &[("error", &format!("{e:#}"))])
                )
            })?;
            match out {
                Some(path) => {
                    peitto_store::write_atomic(path, &done.output)?;
                    eprintln!(
                        "{}",
                        tr(
                            lang,
                            "protect.written",
                            &[
                                ("path", &path.display()),
                                ("cells", &done.cells),
                                ("primary", &done.primary),
                                ("secondary", &done.secondary)
                            ]
                        )
                    );
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&done.output)?;
                }
            }
            if check_pattern.is_none() {
                eprintln!("{}", text(lang, "protect.audit"));
            }
            if let Some(project) = &project {
                let input = std::fs::read(cells).unwrap_or_default();
                let entry = release::log(
                    project,
                    peitto_auditlog::Release {
                        command: "protect".into(),
                        subject: format!("input sha256 {}", peitto_auditlog::sha256(&input)),
                        sql_sha256: String::new(),
                        policy_sha256: peitto_auditlog::sha256(
                            format!("{chosen_copy:?}").as_bytes(),
                        ),
                        policy: policy.clone(),
                        files: vec![peitto_auditlog::FileHash {
                            name: out
                                .as_ref()
                                .map_or_else(|| "stdout".to_owned(), |p| p.display().to_string()),
                            sha256: peitto_auditlog::sha256(&done.output),
                        }],
                        cells: done.cells as u64,
                        suppressed: (done.primary + done.secondary) as u64,
                        perturbed: 0,
                    },
                )?;
                eprintln!("{}", tr(lang, "report.audit", &[("hash", &entry.hash)]));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Query {
            query,
            params,
            policy,
            format,
        } => {
            let (project, lang) = project_and_language(cli)?;
            query::query(&project, lang, query, params, policy, format)
        }
        Command::Tables { table } => {
            let project = open_project(cli).ok();
            let lang = language(cli.lang.as_deref(), project.as_ref());
            query::tables(lang, table.as_deref())
        }
        Command::Report {
            ids,
            all,
            year,
            package,
            timings,
        } => {
            let (project, lang) = project_and_language(cli)?;
            release::report(
                &project,
                lang,
                &release::ReportArgs {
                    ids,
                    all: *all,
                    year: release::report_year(lang, *year),
                    package: package.as_deref(),
                    timings: *timings,
                },
            )
        }
        Command::Dashboard {
            action:
                DashboardAction::Build {
                    out,
                    year,
                    years,
                    viewer,
                },
        } => {
            let (project, lang) = project_and_language(cli)?;
            let year = release::report_year(lang, *year);
            let span: Vec<i32> = ((year - (*years).max(1) + 1)..=year).collect();
            dashboard::build(&project, lang, out, &span, viewer.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Mapping { action } => mapping::run(language(cli.lang.as_deref(), None), action),
        Command::Dashboard {
            action: DashboardAction::Serve { dir, port },
        } => {
            let lang = language(cli.lang.as_deref(), None);
            dashboard::serve(dir, *port, lang)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            action: AuditAction::Verify,
        } => {
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
        Command::Sql { query, params } => {
            let (project, lang) = project_and_language(cli)?;
            let user = os_user().unwrap_or_else(|| "?".to_owned());
            if !project.config.authors.users.contains(&user) {
                anyhow::bail!("{}", tr(lang, "sql.refused", &[("user", &user)]));
            }
            let bound = release::params(params)?;
            // DataFusion runs a query's partitions as tasks: they need worker threads to run in parallel.
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            let batches = runtime.block_on(async {
                let engine = crate::release::open_engine(&project).await?;
                engine.sql(query, &bound).await
            })?;
            eprintln!("{}", text(lang, "sql.banner"));
            println!("{}", peitto_engine::pretty(&batches)?);
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            eprintln!("{}", tr(lang, "sql.rows", &[("rows", &rows)]));
            Ok(ExitCode::SUCCESS)
        }
        Command::Status => {
            let (project, lang) = project_and_language(cli)?;
            let manifest = peitto_store::Store::read_manifest(&project.store_dir())?;
            println!("{}", text(lang, "ingest.summary_header"));
            for (table, parts) in &manifest.tables {
                let rows: u64 = parts.iter().map(|p| p.rows).sum();
                println!(
                    "{}",
                    tr(
                        lang,
                        "ingest.summary_table",
                        &[("table", table), ("rows", &rows)]
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Ingests `files`, prints the summary and writes the JSON report; `None`
/// when there was nothing to ingest.
fn ingest_and_report(
    lang: Lang,
    project: &Project,
    options: Options,
    files: &[PathBuf],
) -> anyhow::Result<Option<peitto_ingest::IngestReport>> {
    let ingester = Ingester::for_project(project, options)
        .map_err(|e| anyhow::anyhow!(ingest_error(lang, &e)))?;
    let report = ingester.ingest(files).map_err(|e| {
        anyhow::anyhow!(
            "{}",
            tr(lang, "ingest.failed", &[("error", &ingest_error(lang, &e))])
        )
    })?;
    for file in &report.skipped {
        eprintln!("{}", tr(lang, "ingest.skipped", &[("file", file)]));
    }
    if report.files.is_empty() {
        println!("{}", text(lang, "ingest.nothing"));
        return Ok(None);
    }
    print_report(lang, &report);
    let path = peitto_ingest::write_report(&report, &project.audit_dir().join("ingest"))
        .context("writing the ingest report")?;
    println!(
        "{}",
        tr(lang, "ingest.report", &[("path", &path.display())])
    );
    Ok(Some(report))
}

fn print_report(lang: Lang, report: &peitto_ingest::IngestReport) {
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

/// The operating-system user running this process, from the kernel's view
/// of the real uid (environment variables can be set by anyone).
fn os_user() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_owned();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.get(2) == Some(&uid.as_str())).then(|| fields[0].to_owned())
    })
}

fn project_error(lang: Lang, e: &ProjectError) -> anyhow::Error {
    match e {
        ProjectError::NotFound(_) => anyhow::anyhow!("{}", text(lang, "error.no_project")),
        ProjectError::Exists(path) => anyhow::anyhow!(
            "{}",
            tr(lang, "error.project_exists", &[("path", &path.display())])
        ),
        other => anyhow::anyhow!("{other}"),
    }
}

fn ingest_error(lang: Lang, e: &IngestError) -> String {
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
