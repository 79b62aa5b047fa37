//! `peitto protect`: disclosure control for a table that already exists.

use crate::args::{Cli, ProtectArgs};
use crate::messages::job_error;
use crate::{language, open_project};
use peitto_i18n::{format as tr, text};
use std::process::ExitCode;

/// `peitto protect`.
pub fn protect(cli: &Cli, args: &ProtectArgs) -> anyhow::Result<ExitCode> {
    let ProtectArgs {
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
    } = args;
    let project = open_project(cli).ok();
    let lang = language(cli.lang.as_deref(), project.as_ref());
    let fail = |e: peitto_jobs::JobError| job_error(lang, &e, 0);
    let chosen =
        peitto_jobs::protect::suppression_policy(project.as_ref(), policy).map_err(fail)?;
    let request = peitto_jobs::protect::Request {
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
    let (done, hash) =
        peitto_jobs::protect::publish(project.as_ref(), &request, out.as_deref()).map_err(fail)?;
    match out {
        Some(path) => eprintln!(
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
        ),
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&done.output)?;
        }
    }
    if check_pattern.is_none() {
        eprintln!("{}", text(lang, "protect.audit"));
    }
    if let Some(hash) = hash {
        eprintln!("{}", tr(lang, "report.audit", &[("hash", &hash)]));
    }
    Ok(ExitCode::SUCCESS)
}
