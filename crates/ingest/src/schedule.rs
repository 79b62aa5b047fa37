//! The files of a run converted several at a time, with the results of one
//! after another: each file's outcome is kept at its place in the order
//! given, a file that may name municipalities waits until the organisation
//! files before it have given their names (as it would have, read after
//! them), and an error stops the files after it, never those before it, so
//! the error reported is the first file's in order that fails.

use crate::convert::AreaNames;
use crate::persons::Persons;
use crate::pseudo::Pseudonymiser;
use crate::report::FileReport;
use crate::{IngestError, Ingester, Staged};
use peitto_store::Store;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Files converted at once. Within a file, conversion threads, a reader
/// and a writer run side by side, yet a file alone keeps only some 1.3 of
/// two cores busy (its reader and merger are one thread each); two files
/// at a time keep both busy, and a third would add memory, not speed.
pub(crate) const FILES_AT_ONCE: usize = 2;

/// One file's outcome: `None` when it waits for the second pass.
pub(crate) type Outcome = Option<(FileReport, Option<Staged>)>;

/// What is known of a file while the run goes on.
enum Seen {
    /// Not opened yet, or its table not yet detected.
    Unknown,
    /// A file of another table than the organisations'.
    Other,
    /// An organisation file being read.
    Organisation,
    /// An organisation file done, with the municipality names it gave.
    OrganisationDone(AreaNames),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn cancelled() -> IngestError {
    // Never reported: a file is cancelled only after an earlier one failed,
    // and the earliest error is the one returned.
    IngestError::Arrow("cancelled".into())
}

impl Ingester {
    /// Ingests `files`, several at a time ([`FILES_AT_ONCE`] unless set); returns each file's
    /// outcome and the municipality names each gave (organisation files),
    /// both in the order of `files`. `names` are the names known before.
    ///
    /// # Errors
    /// The error of the first file in order that fails.
    pub(crate) fn ingest_files(
        &self,
        store: &Store,
        files: &[&Path],
        pseudo: &Pseudonymiser,
        names: &AreaNames,
        persons: &Mutex<Persons>,
        first_pass: bool,
    ) -> Result<(Vec<Outcome>, Vec<AreaNames>), IngestError> {
        let n = files.len();
        let next = AtomicUsize::new(0);
        // The first file in order that failed (`usize::MAX`: none).
        let failed = AtomicUsize::new(usize::MAX);
        let seen: Mutex<Vec<Seen>> = Mutex::new((0..n).map(|_| Seen::Unknown).collect());
        let changed = Condvar::new();
        let results: Mutex<Vec<Option<Result<Outcome, IngestError>>>> =
            Mutex::new((0..n).map(|_| None).collect());
        let work = || {
            loop {
                if failed.load(Ordering::SeqCst) != usize::MAX {
                    break;
                }
                let p = next.fetch_add(1, Ordering::SeqCst);
                if p >= n {
                    break;
                }
                let ready = |organisation: bool| -> Result<AreaNames, IngestError> {
                    let mut s = lock(&seen);
                    s[p] = if organisation {
                        Seen::Organisation
                    } else {
                        Seen::Other
                    };
                    changed.notify_all();
                    loop {
                        if failed.load(Ordering::SeqCst) < p {
                            return Err(cancelled());
                        }
                        if s[..p]
                            .iter()
                            .all(|x| matches!(x, Seen::Other | Seen::OrganisationDone(_)))
                        {
                            break;
                        }
                        s = changed.wait(s).unwrap_or_else(PoisonError::into_inner);
                    }
                    let mut areas = names.clone();
                    for x in &s[..p] {
                        if let Seen::OrganisationDone(given) = x {
                            areas.extend(given.iter().map(|(k, v)| (k.clone(), *v)));
                        }
                    }
                    Ok(areas)
                };
                let is_cancelled = || failed.load(Ordering::SeqCst) < p;
                let mut own = AreaNames::default();
                // A panic is an error of this file: the files after it
                // must not wait for it for ever.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.ingest_file(
                        store,
                        files[p],
                        pseudo.clone(),
                        &ready,
                        &mut own,
                        persons,
                        &is_cancelled,
                        first_pass,
                    )
                }))
                .unwrap_or_else(|_| {
                    Err(IngestError::Arrow(format!(
                        "{}: the ingest thread panicked",
                        files[p].display()
                    )))
                });
                if result.is_err() {
                    failed.fetch_min(p, Ordering::SeqCst);
                }
                {
                    // Whatever happened, the files after it wait no longer.
                    let mut s = lock(&seen);
                    s[p] = match std::mem::replace(&mut s[p], Seen::Other) {
                        Seen::Organisation => Seen::OrganisationDone(own),
                        done @ Seen::OrganisationDone(_) => done,
                        Seen::Unknown | Seen::Other => Seen::Other,
                    };
                    changed.notify_all();
                }
                lock(&results)[p] = Some(result);
            }
        };
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..self.files_at_once.min(n))
                .map(|_| scope.spawn(work))
                .collect();
            work();
            for h in helpers {
                if h.join().is_err() {
                    failed.fetch_min(0, Ordering::SeqCst);
                }
            }
        });
        let mut outcomes = Vec::with_capacity(n);
        for result in results.into_inner().unwrap_or_else(PoisonError::into_inner) {
            match result {
                Some(Ok(outcome)) => outcomes.push(outcome),
                Some(Err(e)) => return Err(e),
                // Not started: a file before it failed, and its error comes first.
                None => {}
            }
        }
        if outcomes.len() < n {
            return Err(IngestError::Arrow("a file thread panicked".into()));
        }
        let given = seen
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .into_iter()
            .map(|x| match x {
                Seen::OrganisationDone(given) => given,
                _ => AreaNames::default(),
            })
            .collect();
        Ok((outcomes, given))
    }
}
