//! The command line's arguments: every command and option, with the help
//! text `peitto --help` shows.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// peitto: anonymised statistics from Finnish social-services registers.
#[derive(Parser, Debug)]
#[command(name = "peitto", version, about)]
pub struct Cli {
    /// Project folder, given before the command (default: the current folder or the nearest parent with a peitto.toml).
    // Not global: a rule that runs `peitto --project DIR query …` for a
    // planner must not be overridden by a second `--project` after `query`.
    #[arg(long)]
    pub project: Option<PathBuf>,
    /// Language of messages: fi, sv or en (default: PEITTO_LANG, then the project's language).
    #[arg(long, global = true)]
    pub lang: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
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
    Protect(ProtectArgs),
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
        #[arg(long, value_parser = year())]
        year: Option<i32>,
        /// A statutory package: thl-lastensuojelu or ely-kotoutuminen.
        #[arg(long)]
        package: Option<String>,
        /// Also print per report the seconds spent in SQL, protection and files (tab-separated).
        #[arg(long)]
        timings: bool,
        /// Publish a year's figures again although its records changed since they were published (report authors only).
        #[arg(long)]
        revision: bool,
    },
    /// Mappings for register systems peitto does not know yet: draft one from an extract, check it.
    Mapping {
        #[command(subcommand)]
        action: MappingAction,
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
        #[arg(long, default_value_t = 2025, value_parser = year())]
        year: i32,
    },
}

#[derive(Subcommand, Debug)]
pub enum DashboardAction {
    /// Build the site: index.html, the viewer (WebAssembly), and a bundle of protected tables.
    Build {
        /// Folder to write (replaced as a whole when the build succeeds).
        #[arg(long)]
        out: PathBuf,
        /// Last statistical year shown (default: the last complete calendar year).
        #[arg(long, value_parser = year())]
        year: Option<i32>,
        /// How many years back the time series go (1 to 30).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(i32).range(1..=30))]
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
pub enum AuditAction {
    /// Verify the hash chain of audit/releases.jsonl.
    Verify,
}

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

/// What `peitto protect` is asked.
#[derive(clap::Args, Debug)]
pub struct ProtectArgs {
    /// CSV file: dimension columns, a count column, optional value, contributor and top-contribution columns.
    pub cells: PathBuf,
    /// A dimension's hierarchy as DIMENSION=FILE (CSV of child,parent codes); repeat for more.
    #[arg(long = "hierarchy")]
    pub hierarchies: Vec<String>,
    /// Disclosure policy: thl, ely, public, adhoc, or one defined in peitto.toml.
    #[arg(long, default_value = "thl")]
    pub policy: String,
    /// Column holding the number of persons in the cell.
    #[arg(long, default_value = "count")]
    pub count: String,
    /// Column holding a magnitude (such as euros); makes the table a magnitude table.
    #[arg(long)]
    pub value: Option<String>,
    /// Column holding distinct contributors, if not the count.
    #[arg(long)]
    pub contributors: Option<String>,
    /// Columns holding the largest contributions, largest first (for p% and dominance).
    #[arg(long)]
    pub top: Vec<String>,
    /// Code of the total for dimensions without a hierarchy file.
    #[arg(long, default_value = "Total")]
    pub total: String,
    /// Output format.
    #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
    pub format: String,
    /// Write to this file (atomically) instead of the terminal.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Instead of protecting, audit this suppression pattern (CSV with the dimension columns and a status column).
    #[arg(long)]
    pub check_pattern: Option<PathBuf>,
    /// Leave out of the JSON output the exact interval an attacker can derive for each withheld cell (finding it takes a full audit, two LPs per withheld cell, on top of the protection).
    #[arg(long)]
    pub no_intervals: bool,
}

/// A statistical year: registers of the welfare state, not a typo's 20205
/// (a folder and a release of empty tables) or a year before any register.
fn year() -> clap::builder::RangedI64ValueParser<i32> {
    clap::value_parser!(i32).range(1900..=2100)
}
