//! `peitto report`: saved SQL through disclosure control.

use anyhow::Context;
use peitto_engine::Scalar;
use peitto_engine::report::Report;
use peitto_i18n::{Lang, format as tr, text};
use peitto_project::Project;
use peitto_release::{ReleaseError, Spec};
use peitto_sdc::Policy;
use std::collections::BTreeMap;
use std::process::ExitCode;

/// The policy called `name`: peitto.toml's, else the built-in one.
pub fn policy(project: Option<&Project>, name: &str) -> anyhow::Result<Policy> {
    match project.and_then(|p| p.config.policies.get(name)) {
        Some(table) => table
            .clone()
            .try_into::<Policy>()
            .with_context(|| format!("peitto.toml: [policies.{name}]")),
        None => Policy::builtin(name).with_context(|| {
            format!("no policy {name:?}: use thl, ely, public, adhoc or define it in peitto.toml")
        }),
    }
}

/// `NAME=VALUE` parameters, numbers as integers.
pub fn params(raw: &[String]) -> anyhow::Result<BTreeMap<String, Scalar>> {
    let mut bound = BTreeMap::new();
    for p in raw {
        let (k, v) = p
            .split_once('=')
            .with_context(|| format!("--param {p:?}: write NAME=VALUE"))?;
        let value = v.parse::<i64>().map_or_else(
            |_| Scalar::Utf8(Some(v.to_owned())),
            |n| Scalar::Int64(Some(n)),
        );
        bound.insert(k.to_owned(), value);
    }
    Ok(bound)
}

/// A refusal or failure in the planner's language.
pub fn release_error(lang: Lang, e: &ReleaseError) -> anyhow::Error {
    match e {
        ReleaseError::Refused(r) => {
            let why = tr(
                lang,
                &format!("refusal.{}", r.code()),
                &[("detail", &r.detail())],
            );
            let hint = text(lang, &format!("refusal.{}_hint", r.code())).to_owned();
            anyhow::anyhow!(
                "{}",
                tr(lang, "query.refused", &[("why", &why), ("hint", &hint)])
            )
        }
        // Engine text can carry stored values: it is never shown.
        ReleaseError::Engine(_) | ReleaseError::DataFusion(_) => {
            anyhow::anyhow!("{}", text(lang, "query.run_failed"))
        }
        other => anyhow::anyhow!("{}", tr(lang, "query.failed", &[("error", other)])),
    }
}

/// Appends a release to the project's audit log; a damaged log stops the
/// release (nothing is released that cannot be logged).
pub fn log(
    project: &Project,
    release: peitto_auditlog::Release,
) -> anyhow::Result<peitto_auditlog::Entry> {
    peitto_auditlog::append(
        &project.audit_dir(),
        &crate::os_user().unwrap_or_else(|| "?".to_owned()),
        release,
    )
    .context("the audit log")
}

/// A statutory package: which reports go to which recipient, under which
/// policy, in which languages.
pub struct Package {
    /// Name used on the command line and for the output folder.
    pub name: &'static str,
    /// Catalogue key of the recipient's name.
    pub recipient: &'static str,
    /// Policy every table of the package is released under.
    pub policy: &'static str,
    /// Report ids, in the order the cover lists them.
    pub reports: &'static [&'static str],
    /// Languages the tables are written in.
    pub languages: &'static [Lang],
}

/// The packages peitto knows.
pub const PACKAGES: &[Package] = &[
    Package {
        name: "thl-lastensuojelu",
        recipient: "package.thl",
        policy: "thl",
        reports: &[
            "placed_children",
            "children_in_care",
            "urgent_and_new_care_orders",
            "placement_day_bands",
            "placement_days_by_form",
            "notification_time_limits",
            "notifications_and_children",
            "open_care_clients",
            "after_care_clients",
            "care_costs",
        ],
        languages: &[Lang::Fi, Lang::Sv],
    },
    Package {
        name: "ely-kotoutuminen",
        recipient: "package.ely",
        policy: "ely",
        reports: &[
            "integration_services_within_months",
            "integration_outcomes",
            "compensation_reconciliation",
            "actual_cost_claims",
        ],
        languages: &[Lang::Fi, Lang::Sv],
    },
];

/// What `peitto report` was asked.
pub struct ReportArgs<'a> {
    pub ids: &'a [String],
    pub all: bool,
    pub year: i32,
    pub package: Option<&'a str>,
    /// Print one tab-separated timing line per report (benchmarks).
    pub timings: bool,
}

/// The year asked for, or the last complete calendar year (UTC), printed
/// so the user sees which year the outputs are for.
pub fn report_year(lang: Lang, asked: Option<i32>) -> i32 {
    asked.unwrap_or_else(|| {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let year = calendar_year(i64::try_from(secs / 86_400).unwrap_or(0)) - 1;
        eprintln!("{}", tr(lang, "steps.default_year", &[("year", &year)]));
        year
    })
}

/// The calendar year of a day counted from 1970-01-01 (civil-from-days,
/// proleptic Gregorian).
fn calendar_year(days: i64) -> i32 {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let year = yoe + era * 400 + i64::from(mp >= 10);
    i32::try_from(year).unwrap_or(i32::MAX)
}

/// One released table and its files.
struct Done {
    report: Report,
    released: peitto_release::Released,
    policy_name: String,
    policy: Policy,
}

/// `peitto report`.
#[allow(clippy::too_many_lines)] // the release sequence reads best in one place
pub fn report(project: &Project, lang: Lang, args: &ReportArgs<'_>) -> anyhow::Result<ExitCode> {
    let package = args
        .package
        .map(|name| {
            PACKAGES.iter().find(|p| p.name == name).with_context(|| {
                let names: Vec<&str> = PACKAGES.iter().map(|p| p.name).collect();
                format!("no package {name:?}: use {}", names.join(" or "))
            })
        })
        .transpose()?;
    let all = peitto_engine::report::builtin()?;
    let chosen: Vec<Report> = if let Some(p) = package {
        p.reports
            .iter()
            .filter_map(|id| all.iter().find(|r| r.id == *id).cloned())
            .collect()
    } else if args.all {
        all.clone()
    } else {
        if args.ids.is_empty() {
            anyhow::bail!("name a report, or use --all or --package");
        }
        args.ids
            .iter()
            .map(|id| {
                all.iter().find(|r| &r.id == id).cloned().with_context(|| {
                    let ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
                    format!("no saved report {id:?}: the reports are {}", ids.join(", "))
                })
            })
            .collect::<Result<_, _>>()?
    };
    let languages: Vec<Lang> = package.map_or_else(|| vec![lang], |p| p.languages.to_vec());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut done = Vec::new();
    runtime.block_on(async {
        let engine = open_engine(project).await?;
        let areas = engine.municipality_counties().await?;
        let progress =
            crate::progress::Progress::new(text(lang, "steps.reports"), chosen.len() as u64);
        for report in &chosen {
            progress.step(&report.id);
            let policy_name =
                package.map_or_else(|| report.header["policy"].clone(), |p| p.policy.to_owned());
            let spec = report_spec(project, report, &policy_name, &areas)?;
            let released = release_saved(project, &engine, lang, report, &spec, args.year).await?;
            done.push(Done {
                report: report.clone(),
                released,
                policy_name,
                policy: spec.policy,
            });
        }
        progress.finish();
        anyhow::Ok(())
    })?;
    let name = match (package, chosen.as_slice()) {
        (Some(p), _) => format!("{}-{}", p.name, args.year),
        (None, [one]) if !args.all => format!("{}-{}", one.id, args.year),
        _ => format!("reports-{}", args.year),
    };
    let out_dir = project.out_dir();
    let stage = peitto_publish::Staging::new(&out_dir, &name)?;
    let created = peitto_auditlog::now();
    let mut files = Vec::new();
    let mut file_seconds = Vec::new();
    for d in &done {
        let writing = std::time::Instant::now();
        let meta = meta(&d.report, &d.policy_name, &d.policy, &d.released, args.year);
        for (i, l) in languages.iter().enumerate() {
            let sub = if languages.len() > 1 {
                format!("{}/", l.code())
            } else {
                String::new()
            };
            let mut outputs = peitto_publish::all_formats(&d.released.table, &meta, *l, &created)?;
            outputs.extend(peitto_publish::charts(&d.released.table, &meta, *l)?);
            for (file, bytes) in outputs {
                // PX carries every language: written once.
                if file.ends_with(".px") && i > 0 {
                    continue;
                }
                let rel = if file.ends_with(".px") {
                    file
                } else {
                    format!("{sub}{file}")
                };
                stage.write(&rel, &bytes)?;
                files.push(peitto_auditlog::FileHash {
                    name: format!("{name}/{rel}"),
                    sha256: peitto_auditlog::sha256(&bytes),
                });
            }
        }
        file_seconds.push(writing.elapsed().as_secs_f64());
    }
    let sql: String = done
        .iter()
        .map(|d| d.report.sql.as_str())
        .collect::<Vec<_>>()
        .join("\n;\n");
    let policies: String = done
        .iter()
        .map(|d| format!("{}={:?}", d.policy_name, d.policy))
        .collect::<Vec<_>>()
        .join("\n");
    let entry = log(
        project,
        peitto_auditlog::Release {
            command: "report".into(),
            subject: format!(
                "{name}: {}",
                done.iter()
                    .map(|d| d.report.id.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            sql_sha256: peitto_auditlog::sha256(sql.as_bytes()),
            policy_sha256: peitto_auditlog::sha256(policies.as_bytes()),
            policy: done
                .iter()
                .map(|d| d.policy_name.as_str())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect::<Vec<_>>()
                .join(","),
            files,
            cells: done.iter().map(|d| d.released.cells as u64).sum(),
            suppressed: done.iter().map(|d| d.released.suppressed as u64).sum(),
            perturbed: done.iter().map(|d| d.released.perturbed as u64).sum(),
        },
    )?;
    if let Some(p) = package {
        let tables: Vec<(peitto_publish::Meta, Vec<String>)> = done
            .iter()
            .map(|d| {
                let meta = meta(&d.report, &d.policy_name, &d.policy, &d.released, args.year);
                let files = peitto_publish::file_names(&meta.id, &languages);
                (meta, files)
            })
            .collect();
        let cover = peitto_publish::cover(&peitto_publish::Cover {
            package: p.name,
            recipient_key: p.recipient,
            year: args.year,
            languages: &languages,
            tables: &tables,
            audit_hash: &entry.hash,
            created: &created,
        });
        stage.write("index.html", cover.as_bytes())?;
    }
    let path = stage.commit()?;
    for d in &done {
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
                    ("path", &path.display())
                ]
            )
        );
    }
    println!("{}", tr(lang, "report.audit", &[("hash", &entry.hash)]));
    println!("{}", tr(lang, "report.done", &[("path", &path.display())]));
    if args.timings {
        for (d, files) in done.iter().zip(&file_seconds) {
            let r = &d.released;
            println!(
                "timing\t{}\t{}\t{}\t{:.3}\t{:.3}\t{:.3}\t{:.3}",
                d.report.id,
                r.cells,
                r.suppressed,
                r.sql_seconds,
                r.protect_seconds,
                files,
                r.sql_seconds + r.protect_seconds + files
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn meta(
    report: &Report,
    policy_name: &str,
    policy: &Policy,
    released: &peitto_release::Released,
    year: i32,
) -> peitto_publish::Meta {
    let h = |k: &str| report.header.get(k).cloned().unwrap_or_default();
    peitto_publish::Meta {
        id: report.id.clone(),
        titles: Lang::ALL
            .iter()
            .map(|l| (*l, h(&format!("title.{}", l.code()))))
            .collect(),
        description: h("description"),
        unit: h("unit"),
        policy: policy_name.to_owned(),
        symbol: policy.symbol.clone(),
        perturbed: released.perturbed > 0,
        params: format!("year={year}"),
    }
}

/// The engine over the project's store, with the project's compensation rates.
pub(crate) async fn open_engine(
    project: &Project,
) -> Result<peitto_engine::Engine, peitto_engine::EngineError> {
    open_engine_limited(project, None).await
}

/// [`open_engine`] whose queries may hold at most `memory` bytes.
pub(crate) async fn open_engine_limited(
    project: &Project,
    memory: Option<usize>,
) -> Result<peitto_engine::Engine, peitto_engine::EngineError> {
    let engine = peitto_engine::Engine::open_limited(&project.store_dir(), memory).await?;
    let rates = &project.config.compensation.rates;
    engine.set_compensation_rates(peitto_engine::RateTable::new(
        rates
            .iter()
            .map(|r| {
                (
                    r.from_year,
                    peitto_engine::Rates {
                        under_7: r.under_7,
                        from_7: r.from_7,
                    },
                )
            })
            .collect(),
    ));
    Ok(engine)
}

/// How a saved report is released: the named policy, and the totals its
/// header declares (areas roll up through `areas`: municipality → county).
pub(crate) fn report_spec(
    project: &Project,
    report: &Report,
    policy_name: &str,
    areas: &[(String, String)],
) -> anyhow::Result<Spec> {
    Ok(Spec {
        policy: policy(Some(project), policy_name)?,
        totals: peitto_release::report_totals(report, areas),
    })
}

/// Where the person-set hashes of cells saved reports withheld are kept.
pub(crate) fn withheld_path(project: &Project) -> std::path::PathBuf {
    project.audit_dir().join("withheld-cells")
}

/// A saved report released for `year`; a refusal or failure names the
/// report. The cells it withheld are recorded first, so that `query`
/// never publishes one of them (recording more than is finally written
/// only ever withholds more).
pub(crate) async fn release_saved(
    project: &Project,
    engine: &peitto_engine::Engine,
    lang: Lang,
    report: &Report,
    spec: &Spec,
    year: i32,
) -> anyhow::Result<peitto_release::Released> {
    let released =
        peitto_release::release(engine, &report.sql, &report.params_for_year(year), spec)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {}", report.id, release_error(lang, &e)))?;
    peitto_release::Withheld::record(&withheld_path(project), &released.withheld_sets)
        .context("recording the withheld cells")?;
    Ok(released)
}

#[cfg(test)]
mod year_tests {
    #[test]
    fn days_fall_in_their_calendar_year() {
        assert_eq!(super::calendar_year(0), 1970);
        assert_eq!(super::calendar_year(364), 1970);
        assert_eq!(super::calendar_year(365), 1971);
        // 2024-12-31 and 2025-01-01.
        assert_eq!(super::calendar_year(20_088), 2024);
        assert_eq!(super::calendar_year(20_089), 2025);
        // 2000-02-29, a leap day.
        assert_eq!(super::calendar_year(11_016), 2000);
    }
}
