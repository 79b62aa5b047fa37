//! Saved reports and statutory packages, from the store to a published
//! folder: each report released under its policy (or its package's), its
//! withheld cells recorded for `query`, its files in every language the
//! package asks for, the cover page, one release-log entry.

use crate::{JobError, Progress, open_engine, policy, release_log, withheld_path};
use peitto_engine::Engine;
use peitto_engine::report::Report;
use peitto_i18n::Lang;
use peitto_project::Project;
pub use peitto_publish::PACKAGES;
use peitto_publish::{Package, Publication, Target};
use peitto_release::{Released, Spec};
use peitto_sdc::Policy;
use std::path::PathBuf;

/// What to release.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Report ids.
    pub ids: &'a [String],
    /// Every saved report.
    pub all: bool,
    /// A statutory package instead.
    pub package: Option<&'a str>,
    /// The statistical year.
    pub year: i32,
    /// The language of a release that is not a package.
    pub lang: Lang,
    /// A report author publishes figures of a year whose records changed
    /// since they were published ([`crate::revisions`]).
    pub revision: bool,
}

/// One report released.
#[derive(Debug)]
pub struct Done {
    /// The report.
    pub report: Report,
    /// Its protected table and counts.
    pub released: Released,
    /// The policy's name.
    pub policy_name: String,
    /// The policy.
    pub policy: Policy,
    /// Seconds spent writing its files.
    pub file_seconds: f64,
}

/// A published release of reports.
#[derive(Debug)]
pub struct Outcome {
    /// The reports, in order.
    pub done: Vec<Done>,
    /// The folder written.
    pub path: PathBuf,
    /// The release-log entry's hash.
    pub hash: String,
    /// Where it is said why each withheld cell is withheld.
    pub reasons: crate::reasons::Written,
}

/// The reports a request names, and its package.
///
/// # Errors
/// An unknown package or report, or no report named.
pub fn chosen(req: &Request<'_>) -> Result<(Vec<Report>, Option<&'static Package>), JobError> {
    let package = req
        .package
        .map(|name| {
            Package::named(name).ok_or_else(|| JobError::NoPackage {
                name: name.to_owned(),
                known: peitto_publish::PACKAGES
                    .iter()
                    .map(|p| p.name)
                    .collect::<Vec<_>>()
                    .join(" or "),
            })
        })
        .transpose()?;
    let all = peitto_engine::report::builtin()?;
    let chosen = if let Some(p) = package {
        p.reports
            .iter()
            .filter_map(|id| all.iter().find(|r| r.id == *id).cloned())
            .collect()
    } else if req.all {
        all
    } else {
        if req.ids.is_empty() {
            return Err(JobError::NoReportNamed);
        }
        req.ids
            .iter()
            .map(|id| {
                all.iter()
                    .find(|r| &r.id == id)
                    .cloned()
                    .ok_or_else(|| JobError::NoReport {
                        id: id.clone(),
                        known: all
                            .iter()
                            .map(|r| r.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            })
            .collect::<Result<_, _>>()?
    };
    Ok((chosen, package))
}

/// How a saved report is released: the named policy, and the totals its
/// header declares (areas roll up through `areas`: municipality → county).
///
/// # Errors
/// If the policy is unknown.
pub fn spec(
    project: &Project,
    report: &Report,
    policy_name: &str,
    areas: &[(String, String)],
) -> Result<Spec, JobError> {
    Ok(Spec {
        policy: policy(Some(project), policy_name)?,
        totals: peitto_release::report_totals(report, areas),
        of_which: report.header.of_which.clone(),
        discrepancies: report.header.discrepancies.clone(),
        linked: peitto_release::ReportCells::load(&crate::report_cells_path(project), &report.id)
            .map_err(JobError::Withheld)?,
    })
}

/// A saved report released for `year`. The cells it withheld are recorded
/// first, so that `query` never publishes one of them (recording more than
/// is finally written only ever withholds more).
///
/// # Errors
/// A refusal or failure, naming the report.
pub async fn release_saved(
    project: &Project,
    engine: &Engine,
    (report, spec): (&Report, &Spec),
    year: i32,
    revision: bool,
) -> Result<Released, JobError> {
    // A year not over has nothing final to count, and its versions are
    // nested: 2027's children still placed are 2026's less those whose
    // placement ended, so two such reports differenced gave a withheld
    // count of two boys exactly (an attacker's finding).
    let last = crate::last_complete_year(crate::now_seconds());
    if year > last {
        return Err(JobError::YearNotOver { year, last });
    }
    // The ledger is held from reading the counts own queries published to
    // recording the report's withheld cells: a query answered in between
    // would be near a withheld cell that neither side saw.
    let mut ledger = peitto_release::query::Ledger::open(&crate::ledger_path(project))
        .map_err(JobError::Ledger)?;
    let spec = Spec {
        linked: spec
            .linked
            .clone()
            .with_answers(ledger.answers())
            .with_params(&format!("year={year}")),
        ..spec.clone()
    };
    let released =
        peitto_release::release(engine, &report.sql, &report.params_for_year(year), &spec)
            .await
            .map_err(|source| JobError::Release {
                report: report.id.clone(),
                source,
            })?;
    // Before anything of it is recorded: figures of a year published
    // before from other records are not published again unasked.
    crate::revisions::check(
        project,
        &crate::revisions::key(
            &report.id,
            year,
            &format!("{:?}", spec.policy),
            &format!("{:?}", report.params_for_year(year)),
        ),
        &released,
        revision,
    )
    .map_err(|e| match e {
        crate::revisions::Refused::Changed => JobError::Revision {
            report: report.id.clone(),
            year,
        },
        crate::revisions::Refused::Io(io) => JobError::Ledger(io),
    })?;
    peitto_release::Withheld::record(&withheld_path(project), &released.withheld_persons)
        .map_err(JobError::Withheld)?;
    peitto_release::ReportCells::record(
        &crate::report_cells_path(project),
        &report.id,
        &released.count_cells,
    )
    .map_err(JobError::Withheld)?;
    // And in the ledger of released cells, so that an own query withholds
    // every cell within a few persons of them, not only the exact ones.
    // And the counts of a few persons it published, so that a query of
    // nearly their persons gets the exact count, not fresh noise.
    ledger.record_withheld(&released.withheld_persons);
    ledger.record_published(&released.published_persons);
    ledger.record_published_sums(&released.published_sums);
    ledger.save().map_err(JobError::Ledger)?;
    Ok(released)
}

/// What the files say about a released report.
#[must_use]
pub fn meta(
    report: &Report,
    policy_name: &str,
    policy: &Policy,
    released: &Released,
    year: i32,
) -> peitto_publish::Meta {
    peitto_publish::Meta {
        id: report.id.clone(),
        titles: Lang::ALL
            .iter()
            .map(|l| {
                let title = report.header.titles.get(l.code()).unwrap_or_default();
                (*l, title.to_owned())
            })
            .collect(),
        description: report.header.description.clone(),
        unit: report.header.unit.clone(),
        policy: policy_name.to_owned(),
        symbol: policy.symbol.clone(),
        perturbed: released.perturbed > 0,
        params: format!("year={year}"),
    }
}

/// The folder of several reports that are not all of them: their ids in
/// order joined by `+`, or for more than four, `reports-YEAR-` and a short
/// hash of the ids (a file name stays short).
fn subset_folder(reports: &[Report], year: i32) -> String {
    let mut ids: Vec<&str> = reports.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() <= 4 {
        format!("{}-{year}", ids.join("+"))
    } else {
        let hash = peitto_auditlog::sha256(ids.join(",").as_bytes());
        format!("reports-{year}-{}", &hash[..8])
    }
}

/// Releases the reports a request names and publishes them in
/// `project/out/NAME` (`PACKAGE-YEAR`, `REPORT-YEAR`, `reports-YEAR` for
/// all of them, or a subset's own folder).
///
/// # Errors
/// If a report is refused or cannot be protected, or the files or the log
/// cannot be written: nothing is published then.
pub fn run(
    project: &Project,
    req: &Request<'_>,
    progress: &mut dyn Progress,
) -> Result<Outcome, JobError> {
    let (chosen, package) = chosen(req)?;
    if req.revision
        && let Some(user) = crate::not_an_author(project)
    {
        return Err(JobError::RevisionNotAuthor { user });
    }
    let languages: Vec<Lang> = package.map_or_else(|| vec![req.lang], |p| p.languages.to_vec());
    let mut done = Vec::new();
    crate::runtime()?.block_on(async {
        let engine = open_engine(project, None).await?;
        let areas = engine.municipality_counties().await?;
        progress.begin("steps.reports", chosen.len() as u64);
        for report in &chosen {
            progress.step(&report.id);
            let policy_name =
                package.map_or_else(|| report.header.policy.clone(), |p| p.policy.to_owned());
            let spec = spec(project, report, &policy_name, &areas)?;
            let released =
                release_saved(project, &engine, (report, &spec), req.year, req.revision).await?;
            done.push(Done {
                report: report.clone(),
                released,
                policy_name,
                policy: spec.policy,
                file_seconds: 0.0,
            });
        }
        progress.end();
        Ok::<_, JobError>(())
    })?;
    let name = match (package, chosen.as_slice()) {
        (Some(p), _) => format!("{}-{}", p.name, req.year),
        (None, [one]) if !req.all => format!("{}-{}", one.id, req.year),
        _ if req.all => format!("reports-{}", req.year),
        // A subset has its own folder: publishing it as `reports-YEAR` would
        // replace the other reports' files there.
        (None, some) => subset_folder(some, req.year),
    };
    let mut publication = Publication::new(Target::Folder {
        out: project.out_dir(),
        name: name.clone(),
    })?;
    let created = peitto_auditlog::now();
    for d in &mut done {
        let writing = std::time::Instant::now();
        let meta = meta(&d.report, &d.policy_name, &d.policy, &d.released, req.year);
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
                publication.add(&rel, &bytes)?;
            }
        }
        d.file_seconds = writing.elapsed().as_secs_f64();
    }
    let join =
        |f: &dyn Fn(&Done) -> String, sep: &str| done.iter().map(f).collect::<Vec<_>>().join(sep);
    let policies: std::collections::BTreeSet<&str> =
        done.iter().map(|d| d.policy_name.as_str()).collect();
    let release = peitto_auditlog::Release {
        command: "report".into(),
        subject: format!("{name}: {}", join(&|d| d.report.id.clone(), ",")),
        sql_sha256: peitto_auditlog::sha256(join(&|d| d.report.sql.clone(), "\n;\n").as_bytes()),
        policy_sha256: peitto_auditlog::sha256(
            join(&|d| format!("{}={:?}", d.policy_name, d.policy), "\n").as_bytes(),
        ),
        policy: policies.into_iter().collect::<Vec<_>>().join(","),
        files: Vec::new(),
        cells: done.iter().map(|d| d.released.cells as u64).sum(),
        suppressed: done.iter().map(|d| d.released.suppressed as u64).sum(),
        perturbed: done.iter().map(|d| d.released.perturbed as u64).sum(),
    };
    let (entry, path) = publication.commit(Some(&release_log(project)), release, |p, entry| {
        // The cover names the log entry: written after it, not in it.
        let (Some(package), Some(entry)) = (package, entry) else {
            return Ok(());
        };
        let tables: Vec<(peitto_publish::Meta, Vec<String>)> = done
            .iter()
            .map(|d| {
                let meta = meta(&d.report, &d.policy_name, &d.policy, &d.released, req.year);
                let files = peitto_publish::file_names(&meta.id, &languages);
                (meta, files)
            })
            .collect();
        let cover = peitto_publish::cover(&peitto_publish::Cover {
            package: package.name,
            recipient_key: package.recipient,
            year: req.year,
            languages: &languages,
            tables: &tables,
            audit_hash: &entry.hash,
            created: &created,
        });
        p.write("index.html", cover.as_bytes())
    })?;
    let hash = entry.map(|e| e.hash).unwrap_or_default();
    let explained: Vec<(&str, &[peitto_release::explained::Explanation])> = done
        .iter()
        .map(|d| (d.report.id.as_str(), d.released.explanations.as_slice()))
        .collect();
    let reasons = crate::reasons::write_for_author(project, &name, &hash, &explained, req.lang)
        .map_err(JobError::Reasons)?;
    Ok(Outcome {
        done,
        path: path.unwrap_or_default(),
        hash,
        reasons,
    })
}
