//! `peitto query` and `peitto tables`: a planner's own SQL under the closed
//! query model, and the model it is checked against.

use crate::args::Cli;
use crate::messages::job_error;
use crate::{language, open_project, project_and_language};
use peitto_i18n::{Lang, format as tr, text};
use peitto_jobs::query::Format;
use peitto_release::query::{Use, roles::Domain};
use std::process::ExitCode;

/// `peitto query`.
pub fn query(
    cli: &Cli,
    sql: &str,
    params: &[String],
    policy: &str,
    format: &str,
) -> anyhow::Result<ExitCode> {
    let (project, lang) = project_and_language(cli)?;
    let format = match format {
        "json" => Format::Json,
        "csv" => Format::Csv,
        _ => Format::Text,
    };
    // A query the engine cannot stop at its limit ends the process, with
    // the same message, before anything is released.
    let on_overrun = move |seconds: u64| {
        eprintln!(
            "peitto: {}",
            tr(lang, "query.time_limit", &[("seconds", &seconds)])
        );
        std::process::exit(1);
    };
    let answer = peitto_jobs::query::run(&project, lang, sql, params, policy, format, on_overrun)
        .map_err(|e| job_error(lang, &e, project.config.query.memory_limit_mib))?;
    let released = &answer.released;
    print!("{}", String::from_utf8_lossy(&answer.output));
    eprintln!("{}", tr(lang, "report.audit", &[("hash", &answer.hash)]));
    if released.cells == 0 {
        // Reference data alone: nothing in it was protected or counted.
        eprintln!("{}", text(lang, "query.public"));
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "{}",
        tr(
            lang,
            "query.summary",
            &[
                ("cells", &released.cells),
                ("suppressed", &released.suppressed),
                ("perturbed", &released.perturbed)
            ]
        )
    );
    Ok(ExitCode::SUCCESS)
}

fn domain(lang: Lang, d: &Domain) -> String {
    match d {
        Domain::Codes(list) | Domain::IntCodes(list) => {
            let codes: Vec<&str> = list.codes.iter().map(|c| c.code).collect();
            tr(
                lang,
                "tables.domain_codes",
                &[("list", &list.name), ("codes", &codes.join(", "))],
            )
        }
        Domain::Bool => text(lang, "tables.domain_bool").to_owned(),
        Domain::Municipality => text(lang, "tables.domain_municipality").to_owned(),
        _ => String::new(),
    }
}

/// `peitto tables`.
pub fn tables(cli: &Cli, only: Option<&str>) -> anyhow::Result<ExitCode> {
    let project = open_project(cli).ok();
    let lang = language(cli.lang.as_deref(), project.as_ref());
    let catalog = peitto_release::query::catalog();
    if let Some(name) = only
        && !catalog.iter().any(|t| t.name == name)
    {
        anyhow::bail!("{}", tr(lang, "query.unknown_name", &[("name", &name)]));
    }
    let mut out = String::new();
    for t in catalog.iter().filter(|t| only.is_none_or(|n| n == t.name)) {
        // The table's description in the language asked for; the model's
        // own (Finnish term, English text) for a table the catalogues lack.
        let key = format!("tables.table_{}", t.name);
        let doc = if peitto_i18n::has(&key) {
            text(lang, &key)
        } else {
            t.doc
        };
        out.push_str(&format!("{}\n  {doc}\n", t.name));
        for c in &t.columns {
            let usage = match &c.usage {
                Use::PrivacyUnit => text(lang, "tables.use_unit").to_owned(),
                Use::JoinKey(entity) => tr(lang, "tables.use_key", &[("entity", entity)]),
                Use::Dimension(d) => tr(
                    lang,
                    "tables.use_dimension",
                    &[("domain", &domain(lang, d))],
                ),
                Use::Measure(b) => tr(
                    lang,
                    "tables.use_measure",
                    &[
                        ("lo", &b.lo),
                        ("hi", &b.hi),
                        ("edges", &b.grain.edges_text()),
                    ],
                ),
                Use::Date => text(lang, "tables.use_date").to_owned(),
                Use::Filter => text(lang, "tables.use_filter").to_owned(),
                Use::Public => text(lang, "tables.use_public").to_owned(),
            };
            out.push_str(&format!("  {:<24} {usage}\n", c.name));
        }
        out.push('\n');
    }
    out.push_str(text(lang, "tables.derived"));
    out.push('\n');
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}
