//! `peitto report` and `peitto demo`: saved reports and statutory packages
//! through disclosure control to published folders.

use crate::args::Cli;
use crate::messages::{job_error, project_error};
use crate::progress::Progress;
use crate::{language, project_and_language, viewer_assets};
use anyhow::Context;
use peitto_i18n::{Lang, format as tr, text};
use peitto_project::Project;
use std::path::Path;
use std::process::ExitCode;

/// The year asked for, or the last complete calendar year (UTC), said so
/// the user sees which year the outputs are for.
pub fn report_year(lang: Lang, asked: Option<i32>) -> i32 {
    asked.unwrap_or_else(|| {
        let year = peitto_jobs::last_complete_year(peitto_jobs::now_seconds());
        eprintln!("{}", tr(lang, "steps.default_year", &[("year", &year)]));
        year
    })
}

/// Releases and publishes, then says what was written.
fn release(
    project: &Project,
    lang: Lang,
    req: &peitto_jobs::report::Request<'_>,
    timings: bool,
) -> anyhow::Result<()> {
    let outcome = peitto_jobs::report::run(project, req, &mut Progress::new(lang))
        .map_err(|e| job_error(lang, &e, 0))?;
    let path = outcome.path.display();
    for d in &outcome.done {
        println!(
            "{}",
            tr(
                lang,
                "report.written",
                &[
                    ("report", &d.report.id),
                    ("rows", &d.released.table.rows.len()),
                    ("suppressed", &d.released.suppressed),
                    ("cells", &d.released.cells),
                    ("path", &path)
                ]
            )
        );
    }
    for d in outcome
        .done
        .iter()
        .filter(|d| !d.released.unasked.is_empty())
    {
        let measures = d.released.unasked.join(", ");
        eprintln!(
            "{}",
            tr(
                lang,
                "report.unasked",
                &[("report", &d.report.id), ("measures", &measures)]
            )
        );
    }
    println!("{}", tr(lang, "report.audit", &[("hash", &outcome.hash)]));
    match &outcome.reasons {
        peitto_jobs::reasons::Written::To(reasons) => println!(
            "{}",
            tr(lang, "report.reasons", &[("path", &reasons.display())])
        ),
        peitto_jobs::reasons::Written::AuthorsOnly => {
            println!("{}", text(lang, "report.reasons_authors_only"));
        }
        peitto_jobs::reasons::Written::Nothing => {}
    }
    println!("{}", tr(lang, "report.done", &[("path", &path)]));
    if timings {
        for d in &outcome.done {
            let r = &d.released;
            println!(
                "timing\t{}\t{}\t{}\t{:.3}\t{:.3}\t{:.3}\t{:.3}",
                d.report.id,
                r.cells,
                r.suppressed,
                r.sql_seconds,
                r.protect_seconds,
                d.file_seconds,
                r.sql_seconds + r.protect_seconds + d.file_seconds
            );
        }
    }
    Ok(())
}

/// `peitto report`.
pub fn report(
    cli: &Cli,
    ids: &[String],
    all: bool,
    year: Option<i32>,
    package: Option<&str>,
    (timings, revision): (bool, bool),
) -> anyhow::Result<ExitCode> {
    let (project, lang) = project_and_language(cli)?;
    let req = peitto_jobs::report::Request {
        ids,
        all,
        package,
        year: report_year(lang, year),
        lang,
        revision,
    };
    release(&project, lang, &req, timings)?;
    Ok(ExitCode::SUCCESS)
}

/// `peitto demo`: a fresh project, ingest, every saved report, both
/// statutory packages and the dashboard.
pub fn demo(cli: &Cli, data: &Path, out: &Path, year: i32) -> anyhow::Result<ExitCode> {
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
    crate::store::ingest_and_report(
        lang,
        &project,
        peitto_ingest::Options::default(),
        std::slice::from_ref(&data.to_path_buf()),
    )?;
    // The whole path: every saved report, then both statutory packages.
    let packages = peitto_jobs::report::PACKAGES.iter().map(|p| Some(p.name));
    for package in std::iter::once(None).chain(packages) {
        let req = peitto_jobs::report::Request {
            ids: &[],
            all: package.is_none(),
            package,
            year,
            lang,
            revision: false,
        };
        release(&project, lang, &req, false)?;
    }
    // The checkout's viewer when built (it may be newer), else the one
    // built into this binary.
    let dist = Path::new("web/dist");
    let viewer = dist.join("peitto_viewer_bg.wasm").is_file().then_some(dist);
    let site = project.out_dir().join("dashboard");
    if viewer.is_some() || viewer_assets::embedded() {
        let span = peitto_jobs::dashboard::years(year, 3);
        // It says where the site is and how to open it.
        crate::dashboard::build_site(&project, lang, &site, &span, viewer)?;
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
