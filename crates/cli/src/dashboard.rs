//! `peitto dashboard build` and `peitto dashboard serve`.

use crate::args::Cli;
use crate::messages::job_error;
use crate::progress::Progress;
use crate::report::report_year;
use crate::{language, project_and_language, viewer_assets};
use peitto_i18n::{Lang, format as tr};
use peitto_project::Project;
use std::path::Path;
use std::process::ExitCode;

/// Builds the site in `out` for `years` and says where.
pub fn build_site(
    project: &Project,
    lang: Lang,
    out: &Path,
    years: &[i32],
    viewer: Option<&Path>,
) -> anyhow::Result<()> {
    let fail = |e: peitto_jobs::JobError| job_error(lang, &e, 0);
    let assets = viewer_assets::load(viewer).map_err(|e| fail(e.into()))?;
    let built =
        peitto_jobs::dashboard::build(project, out, years, &assets, &mut Progress::new(lang))
            .map_err(fail)?;
    println!(
        "{}",
        tr(
            lang,
            "dashboard.built",
            &[("path", &built.path.display()), ("hash", &built.hash)]
        )
    );
    Ok(())
}

/// `peitto dashboard build`.
pub fn build(
    cli: &Cli,
    out: &Path,
    year: Option<i32>,
    years: i32,
    viewer: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let (project, lang) = project_and_language(cli)?;
    let year = report_year(lang, year);
    let span = peitto_jobs::dashboard::years(year, years);
    build_site(&project, lang, out, &span, viewer)?;
    Ok(ExitCode::SUCCESS)
}

/// `peitto dashboard serve`.
pub fn serve(cli: &Cli, dir: &Path, port: u16) -> anyhow::Result<ExitCode> {
    let lang = language(cli.lang.as_deref(), None);
    peitto_jobs::dashboard::serve(dir, port, |url| {
        println!("{}", tr(lang, "dashboard.serving", &[("url", &url)]));
    })
    .map_err(|e| match e {
        peitto_jobs::dashboard::ServeError::NotADashboard(path) => anyhow::anyhow!(
            "{}",
            tr(lang, "dashboard.not_a_site", &[("path", &path.display())])
        ),
        other => other.into(),
    })?;
    Ok(ExitCode::SUCCESS)
}
