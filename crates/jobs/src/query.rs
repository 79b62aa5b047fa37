//! A planner's own query under the closed query model: the project's
//! limits, the cells saved reports withheld and the ledger of earlier
//! answers (locked for the query), then one release to the terminal,
//! logged.

use crate::{JobError, ledger_path, open_engine, params, policy, release_log, withheld_path};
use peitto_i18n::Lang;
use peitto_project::Project;
use peitto_publish::{Publication, Target};
use peitto_release::Released;
use peitto_release::query::{Limits, QueryError};
use std::time::Duration;

/// The limits of `[query]` in peitto.toml (the year domain ending this
/// year unless the project says otherwise), and the memory a query may use.
#[must_use]
pub fn limits(project: &Project, now_seconds: u64) -> (Limits, Option<usize>) {
    let q = &project.config.query;
    let this_year = crate::last_complete_year(now_seconds) + 1;
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

/// Output of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A text table.
    Text,
    /// RFC 4180 CSV.
    Csv,
    /// JSON with each cell's status.
    Json,
}

/// A query's answer: the bytes to print, the release, the log entry's hash.
#[derive(Debug)]
pub struct Answer {
    /// The output.
    pub output: Vec<u8>,
    /// The protected result.
    pub released: Released,
    /// The release-log entry's hash.
    pub hash: String,
}

/// How long past its time limit a query may run before the watchdog ends
/// the process: the limit is checked where the query yields, and an
/// operator that produces rows without ever waiting (a join whose output
/// explodes) yields to nobody.
pub const OVERRUN_GRACE: Duration = Duration::from_secs(2);

/// Runs `sql` under the closed query model and logs the answer.
///
/// `on_overrun` is called, on a watchdog thread, with the limit in
/// seconds if the query is still running [`OVERRUN_GRACE`] after its time
/// limit; it must end the process (nothing has been released or recorded
/// then: the ledger is appended and the answer shown only after the SQL).
///
/// # Errors
/// A refusal, a limit, a failure (never the engine's text), or a log that
/// cannot take the entry, or a ledger that cannot be read or written
/// (nothing is shown then).
pub fn run(
    project: &Project,
    lang: Lang,
    sql: &str,
    raw_params: &[String],
    policy_name: &str,
    format: Format,
    on_overrun: impl FnOnce(u64) + Send + 'static,
) -> Result<Answer, JobError> {
    let chosen = policy(Some(project), policy_name)?;
    let bound = params(raw_params)?;
    let (limits, memory) = limits(project, crate::now_seconds());
    let watchdog = Watchdog::start(limits.time, on_overrun);
    let withheld =
        peitto_release::Withheld::load(&withheld_path(project)).map_err(JobError::Withheld)?;
    // Opened and locked once the SQL has run, until the new answers are
    // appended: one query at a time compares and records its cells.
    let mut ledger = peitto_release::query::Ledger::deferred(&ledger_path(project));
    // A store reaching outside itself is refused by name (a path, no
    // values) before anything runs; the engine's own failures are plain.
    if let Err(e @ peitto_store::StoreError::Outside(_)) =
        peitto_store::Store::read_manifest(&project.store_dir())
    {
        return Err(JobError::Store(e));
    }
    let runtime = crate::runtime()?;
    let released = runtime.block_on(async {
        let engine = open_engine(project, memory)
            .await
            .map_err(|_| QueryError::Failed)?;
        peitto_release::query::query(
            &engine,
            sql,
            &bound,
            &chosen,
            &limits,
            &withheld,
            &mut ledger,
        )
        .await
    });
    // Tasks still running after a limit are not waited for.
    runtime.shutdown_background();
    watchdog.stop();
    let released = released.map_err(|e| match e {
        QueryError::Ledger(io) => JobError::Ledger(io),
        other => JobError::Query(other),
    })?;
    ledger.save().map_err(JobError::Ledger)?;
    drop(ledger);
    let meta = peitto_publish::Meta {
        id: "query".to_owned(),
        policy: policy_name.to_owned(),
        symbol: chosen.symbol.clone(),
        perturbed: released.perturbed > 0,
        params: raw_params.join(", "),
        ..peitto_publish::Meta::default()
    };
    let table = &released.table;
    let output = match format {
        Format::Json => peitto_publish::json(table, &meta, lang)?,
        Format::Csv => peitto_publish::csv(table, &meta, lang, peitto_publish::Dialect::Rfc4180),
        Format::Text => peitto_publish::text_table(table, &meta, lang),
    };
    let mut publication = Publication::new(Target::Stdout)?;
    publication.add("stdout", &output)?;
    let (entry, _) = publication.commit(
        Some(&release_log(project)),
        peitto_auditlog::Release {
            command: "query".into(),
            subject: "stdout".into(),
            sql_sha256: peitto_auditlog::sha256(sql.as_bytes()),
            policy_sha256: peitto_auditlog::sha256(format!("{chosen:?}").as_bytes()),
            policy: policy_name.to_owned(),
            files: Vec::new(),
            cells: released.cells as u64,
            suppressed: released.suppressed as u64,
            perturbed: released.perturbed as u64,
        },
        |_, _| Ok(()),
    )?;
    Ok(Answer {
        output,
        released,
        hash: entry.map(|e| e.hash).unwrap_or_default(),
    })
}

/// Ends a query that runs past its limit when the query itself cannot
/// notice (see [`OVERRUN_GRACE`]).
struct Watchdog {
    done: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl Watchdog {
    fn start(limit: Duration, on_overrun: impl FnOnce(u64) + Send + 'static) -> Watchdog {
        let (done, finished) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                finished.recv_timeout(limit + OVERRUN_GRACE)
            {
                on_overrun(limit.as_secs());
            }
        });
        Watchdog { done, thread }
    }

    /// The query is over (answered or failed): the watchdog ends.
    fn stop(self) {
        let _ = self.done.send(());
        let _ = self.thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Instant;

    #[test]
    fn the_watchdog_fires_after_the_limit_and_its_grace_unless_stopped() {
        let limit = Duration::from_millis(10);
        let (tx, rx) = mpsc::channel();
        let started = Instant::now();
        let watchdog = Watchdog::start(limit, move |seconds| tx.send(seconds).unwrap());
        let fired = rx.recv_timeout(OVERRUN_GRACE + Duration::from_secs(10));
        assert_eq!(fired, Ok(0));
        assert!(started.elapsed() >= limit + OVERRUN_GRACE);
        watchdog.stop();
        // A query that ends in time: the watchdog ends without a word.
        let (tx, rx) = mpsc::channel();
        let watchdog = Watchdog::start(limit, move |seconds| tx.send(seconds).unwrap());
        watchdog.stop();
        assert!(rx.recv_timeout(OVERRUN_GRACE + limit).is_err());
    }
}
