//! A year's figures, once published, are not published again from changed
//! records unasked.
//!
//! A saved report of a complete year run again after the store took more
//! records of that year (a late registration, a corrected extract) would
//! publish every cell afresh, and the difference from the earlier release
//! is the changed records' own: a black-box tester added one child and
//! read her sex, age, municipality, legal basis, form and days from four
//! reports run before and after (2026-12-07). Withholding only the cells
//! that moved would point at them by the pattern. So each release of a
//! report, year, policy and parameters keeps a fingerprint of the persons
//! in its count cells (`audit/report-versions`), and a release whose
//! persons differ is refused unless a report author publishes it as a
//! revision (`peitto report … --revision`), knowing that readers of both
//! can difference them. The same records give the same fingerprint
//! whatever the order of runs or the answers given meanwhile, so running a
//! report again on the same records is always allowed.
//!
//! The fingerprint covers the persons of count cells; a corrected amount
//! of the same persons is not seen (README, "Not stopped yet").

use peitto_project::Project;
use peitto_release::Released;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Why a release may not be published.
#[derive(Debug)]
pub(crate) enum Refused {
    /// Its persons differ from the published release's.
    Changed,
    /// The record could not be read or written.
    Io(std::io::Error),
}

fn path(project: &Project) -> PathBuf {
    project.audit_dir().join("report-versions")
}

/// The key of a report's release: what makes two releases the same figures.
pub(crate) fn key(report: &str, year: i32, policy: &str, params: &str) -> String {
    peitto_auditlog::sha256(format!("{report}\n{year}\n{policy}\n{params}").as_bytes())
}

/// The fingerprint of a release's records: its count cells' person sets.
fn fingerprint(released: &Released) -> String {
    let mut sets: Vec<u64> = released.count_cells.iter().map(|(h, _)| *h).collect();
    sets.sort_unstable();
    let bytes: Vec<u8> = sets.iter().flat_map(|h| h.to_le_bytes()).collect();
    peitto_auditlog::sha256(&bytes)
}

/// Refuses a release of `key` whose records differ from the one published
/// before, unless `revision`; records the fingerprint of one allowed. The
/// caller holds the project's ledger lock (one release at a time).
pub(crate) fn check(
    project: &Project,
    key: &str,
    released: &Released,
    revision: bool,
) -> Result<(), Refused> {
    let path = path(project);
    let mut known: BTreeMap<String, String> = match std::fs::read(&path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| Refused::Io(std::io::Error::other(e)))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
        Err(e) => return Err(Refused::Io(e)),
    };
    let now = fingerprint(released);
    match known.get(key) {
        Some(before) if *before == now => return Ok(()),
        Some(_) if !revision => return Err(Refused::Changed),
        _ => {}
    }
    known.insert(key.to_owned(), now);
    let bytes = serde_json::to_vec_pretty(&known).map_err(|e| Refused::Io(e.into()))?;
    // Whole or not at all: a crash leaves the earlier record.
    peitto_store::write_atomic(&path, &bytes).map_err(|e| Refused::Io(std::io::Error::other(e)))
}
