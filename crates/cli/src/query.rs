//! `peitto query` and `peitto tables`: a planner's own SQL under the closed
//! query model, and the model it is checked against.

use crate::release::{log, open_engine_limited, params, policy};
use anyhow::Context;
use peitto_i18n::{Lang, format as tr, text};
use peitto_project::Project;
use peitto_release::query::{Limits, QueryError, Use, roles::Domain};
use std::process::ExitCode;
use std::time::Duration;

/// The limits of `[query]` in peitto.toml, the year domain ending this
/// year unless the project says otherwise.
fn limits(project: &Project) -> (Limits, Option<usize>) {
    let q = &project.config.query;
    let this_year = i32::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 31_556_952)
            + 1970,
    )
    .unwrap_or(2030);
    let memory = usize::try_from(q.memory_limit_mib.saturating_mul(1 << 20)).ok();
    (
        Limits {
            time: Duration::from_secs(q.time_limit_s.max(1)),
            first_year: q.first_year,
            last_year: q.last_year.unwrap_or(this_year),
            max_cells: q.max_cells,
        },
        memory,
    )
}

/// A failed query in the planner's language: what rule, and what to write
/// instead; never the engine's own text.
fn query_error(lang: Lang, e: &QueryError, project: &Project) -> anyhow::Error {
    let message = match e {
        QueryError::Refused(r) => {
            let why = tr(
                lang,
                &format!("refusal.{}", r.code()),
                &[("detail", &r.detail())],
            );
            let hint = text(lang, &format!("refusal.{}_hint", r.code())).to_owned();
            tr(lang, "query.refused", &[("why", &why), ("hint", &hint)])
        }
        QueryError::Syntax { line, column } => {
            tr(lang, "query.syntax", &[("line", line), ("column", column)])
        }
        QueryError::UnknownName(name) => tr(lang, "query.unknown_name", &[("name", name)]),
        QueryError::Plan => text(lang, "query.plan").to_owned(),
        QueryError::Failed => text(lang, "query.run_failed").to_owned(),
        QueryError::TimeLimit(s) => tr(lang, "query.time_limit", &[("seconds", s)]),
        QueryError::MemoryLimit => tr(
            lang,
            "query.memory_limit",
            &[("mib", &project.config.query.memory_limit_mib)],
        ),
    };
    anyhow::anyhow!("{message}")
}

/// `peitto query`.
pub fn query(
    project: &Project,
    lang: Lang,
    sql: &str,
    raw_params: &[String],
    policy_name: &str,
    format: &str,
) -> anyhow::Result<ExitCode> {
    let chosen = policy(Some(project), policy_name)?;
    let bound = params(raw_params)?;
    let (limits, memory) = limits(project);
    let withheld = peitto_release::Withheld::load(&crate::release::withheld_path(project))
        .context("reading the cells saved reports withheld")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let released = runtime.block_on(async {
        let engine = open_engine_limited(project, memory)
            .await
            .map_err(|_| QueryError::Failed)?;
        peitto_release::query::query(&engine, sql, &bound, &chosen, &limits, &withheld).await
    });
    // Tasks still running after a limit are not waited for.
    runtime.shutdown_background();
    let released = released.map_err(|e| query_error(lang, &e, project))?;
    let table = &released.table;
    let meta = peitto_publish::Meta {
        id: "query".to_owned(),
        policy: policy_name.to_owned(),
        symbol: chosen.symbol.clone(),
        perturbed: released.perturbed > 0,
        params: raw_params.join(", "),
        ..peitto_publish::Meta::default()
    };
    let out = match format {
        "json" => peitto_publish::json(table, &meta, lang)?,
        "csv" => peitto_publish::csv(table, &meta, lang, peitto_publish::Dialect::Rfc4180),
        _ => peitto_publish::text_table(table, &meta, lang),
    };
    let entry = log(
        project,
        peitto_auditlog::Release {
            command: "query".into(),
            subject: "stdout".into(),
            sql_sha256: peitto_auditlog::sha256(sql.as_bytes()),
            policy_sha256: peitto_auditlog::sha256(format!("{chosen:?}").as_bytes()),
            policy: policy_name.to_owned(),
            files: vec![peitto_auditlog::FileHash {
                name: "stdout".into(),
                sha256: peitto_auditlog::sha256(&out),
            }],
            cells: released.cells as u64,
            suppressed: released.suppressed as u64,
            perturbed: released.perturbed as u64,
        },
    )?;
    print!("{}", String::from_utf8_lossy(&out));
    eprintln!("{}", tr(lang, "report.audit", &[("hash", &entry.hash)]));
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
pub fn tables(lang: Lang, only: Option<&str>) -> anyhow::Result<ExitCode> {
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
                Use::Measure(b) => tr(lang, "tables.use_measure", &[("lo", &b.lo), ("hi", &b.hi)]),
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
