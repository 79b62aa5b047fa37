//! The release log.
//!
//! This crate owns `audit/releases.jsonl`: one line per release (report,
//! query, protect, dashboard build) saying when, by which operating-system
//! user, with which command, the SHA-256 of the SQL and of the policy, the
//! SHA-256 of every file released, and how many cells were withheld or
//! perturbed. Never an identifier, a pseudonym or a cell value.
//! [`operator`] names the user from the system's user database.
//!
//! Each entry carries the hash of the one before it and its own hash over
//! both, so an edited, deleted or reordered entry breaks the chain. A
//! truncated log (last entries removed) is caught by `releases.head`, which
//! holds the count and last hash and is replaced atomically with each
//! append.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The log file's name in the audit folder.
pub const LOG: &str = "releases.jsonl";
/// The head file's name.
pub const HEAD: &str = "releases.head";
/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A released file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileHash {
    /// Path relative to the project's `out/`.
    pub name: String,
    /// SHA-256, hex.
    pub sha256: String,
}

/// What one release did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Release {
    /// `report`, `query`, `protect`, `dashboard`.
    pub command: String,
    /// What was released (report ids, package name).
    pub subject: String,
    /// SHA-256 of the SQL (all statements, in order).
    pub sql_sha256: String,
    /// SHA-256 of the policy as applied.
    pub policy_sha256: String,
    /// Policy name.
    pub policy: String,
    /// Files released.
    pub files: Vec<FileHash>,
    /// Cells protected.
    pub cells: u64,
    /// Of them withheld.
    pub suppressed: u64,
    /// Of them perturbed.
    pub perturbed: u64,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// 1, 2, 3, …
    pub seq: u64,
    /// UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub time: String,
    /// Operating-system user.
    pub user: String,
    /// The release.
    #[serde(flatten)]
    pub release: Release,
    /// Hash of the previous entry.
    pub prev: String,
    /// SHA-256 over `prev` and this entry without `hash`.
    pub hash: String,
}

/// What is wrong with the log.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuditError {
    /// The log or head could not be read or written.
    #[error("{path}: {detail}")]
    Io {
        /// File.
        path: PathBuf,
        /// What happened.
        detail: String,
    },
    /// A line is not an entry (edited or cut).
    #[error("line {line}: not a log entry ({detail})")]
    Malformed {
        /// 1-based line.
        line: usize,
        /// Parser's words.
        detail: String,
    },
    /// An entry's content does not match its hash: edited.
    #[error("line {line}: entry {seq} was changed after it was written")]
    Edited {
        /// 1-based line.
        line: usize,
        /// Its sequence number.
        seq: u64,
    },
    /// An entry does not follow the one before it: deleted or reordered.
    #[error(
        "line {line}: entry {seq} does not follow entry {after} (an entry was deleted or moved)"
    )]
    Broken {
        /// 1-based line.
        line: usize,
        /// Its sequence number.
        seq: u64,
        /// The previous entry's sequence number.
        after: u64,
    },
    /// Fewer entries than the head records: truncated.
    #[error(
        "the log ends at entry {found} but {expected} were written (entries removed from the end)"
    )]
    Truncated {
        /// Entries found.
        found: u64,
        /// Entries the head records.
        expected: u64,
    },
    /// The head's last hash is not the log's.
    #[error("the last entry is not the one last written")]
    HeadMismatch,
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> AuditError + '_ {
    move |e| AuditError::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

/// SHA-256 of bytes, hex.
#[must_use]
pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn entry_hash(e: &Entry) -> String {
    let mut body = e.clone();
    body.hash = String::new();
    let json = serde_json::to_string(&body).unwrap_or_default();
    sha256(format!("{}\n{json}", e.prev).as_bytes())
}

#[derive(Debug, Serialize, Deserialize)]
struct Head {
    entries: u64,
    last: String,
}

/// The current time, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
#[must_use]
pub fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i32::try_from(secs / 86_400).unwrap_or(0);
    let rest = secs % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        peitto_model::Date(days),
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Reads and checks every entry.
///
/// # Errors
/// The first defect found.
pub fn verify(audit_dir: &Path) -> Result<Vec<Entry>, AuditError> {
    let log = audit_dir.join(LOG);
    let text = match std::fs::read_to_string(&log) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(io(&log)(e)),
    };
    let mut entries: Vec<Entry> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let e: Entry = serde_json::from_str(line).map_err(|err| AuditError::Malformed {
            line: line_no,
            detail: err.to_string(),
        })?;
        if entry_hash(&e) != e.hash {
            return Err(AuditError::Edited {
                line: line_no,
                seq: e.seq,
            });
        }
        let (prev_hash, prev_seq) = entries
            .last()
            .map_or((GENESIS, 0), |p| (p.hash.as_str(), p.seq));
        if e.prev != prev_hash || e.seq != prev_seq + 1 {
            return Err(AuditError::Broken {
                line: line_no,
                seq: e.seq,
                after: prev_seq,
            });
        }
        entries.push(e);
    }
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(AuditError::Malformed {
            line: entries.len(),
            detail: "the last line is cut short".into(),
        });
    }
    let head_path = audit_dir.join(HEAD);
    let head: Head = match std::fs::read_to_string(&head_path) {
        Ok(t) => serde_json::from_str(&t).map_err(|e| AuditError::Io {
            path: head_path.clone(),
            detail: e.to_string(),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && entries.is_empty() => Head {
            entries: 0,
            last: GENESIS.into(),
        },
        Err(e) => return Err(io(&head_path)(e)),
    };
    let found = entries.len() as u64;
    if found < head.entries {
        return Err(AuditError::Truncated {
            found,
            expected: head.entries,
        });
    }
    let last = entries.last().map_or(GENESIS, |e| e.hash.as_str());
    if found != head.entries || last != head.last {
        return Err(AuditError::HeadMismatch);
    }
    Ok(entries)
}

/// Appends an entry for `release` by `user`, after checking the log is
/// intact (a damaged log is not written to). Returns the new entry.
///
/// # Errors
/// If the log is damaged or cannot be written.
pub fn append(audit_dir: &Path, user: &str, release: Release) -> Result<Entry, AuditError> {
    std::fs::create_dir_all(audit_dir).map_err(io(audit_dir))?;
    let _lock = Lock::take(audit_dir)?;
    let entries = verify(audit_dir)?;
    let (prev, seq) = entries
        .last()
        .map_or((GENESIS.to_owned(), 0), |e| (e.hash.clone(), e.seq));
    let mut entry = Entry {
        seq: seq + 1,
        time: now(),
        user: user.to_owned(),
        release,
        prev,
        hash: String::new(),
    };
    entry.hash = entry_hash(&entry);
    let log = audit_dir.join(LOG);
    let line = serde_json::to_string(&entry).map_err(|e| AuditError::Io {
        path: log.clone(),
        detail: e.to_string(),
    })? + "\n";
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .map_err(io(&log))?;
    file.write_all(line.as_bytes()).map_err(io(&log))?;
    file.sync_all().map_err(io(&log))?;
    let head = serde_json::to_vec(&Head {
        entries: entry.seq,
        last: entry.hash.clone(),
    })
    .unwrap_or_default();
    let head_path = audit_dir.join(HEAD);
    let tmp = audit_dir.join(format!(".{HEAD}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, head).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &head_path).map_err(io(&head_path))?;
    Ok(entry)
}

/// One writer at a time: two releases appending at once would both chain
/// onto the same entry.
struct Lock(PathBuf);

impl Lock {
    fn take(dir: &Path) -> Result<Lock, AuditError> {
        let path = dir.join("releases.lock");
        for attempt in 0..600 {
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(_) => return Ok(Lock(path)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    // A lock left by a crashed run is stale after a minute.
                    let stale = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .is_some_and(|age| age.as_secs() > 60);
                    if stale && attempt > 0 {
                        let _ = std::fs::remove_file(&path);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => return Err(io(&path)(e)),
            }
        }
        Err(AuditError::Io {
            path,
            detail: "another release is writing the log".into(),
        })
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(n: u64) -> Release {
        Release {
            command: "report".into(),
            subject: format!("r{n}"),
            sql_sha256: sha256(b"SELECT 1"),
            policy_sha256: sha256(b"thl"),
            policy: "thl".into(),
            files: vec![FileHash {
                name: "a.csv".into(),
                sha256: sha256(&n.to_le_bytes()),
            }],
            cells: 10,
            suppressed: 2,
            perturbed: 0,
        }
    }

    fn log_with(n: u64) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..n {
            append(dir.path(), "planner", release(i)).unwrap();
        }
        dir
    }

    fn lines(dir: &Path) -> Vec<String> {
        std::fs::read_to_string(dir.join(LOG))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn write(dir: &Path, lines: &[String]) {
        std::fs::write(dir.join(LOG), lines.join("\n") + "\n").unwrap();
    }

    #[test]
    fn an_intact_log_verifies_and_chains() {
        let dir = log_with(3);
        let entries = verify(dir.path()).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].prev, GENESIS);
        assert_eq!(entries[1].prev, entries[0].hash);
        assert_eq!(entries[2].seq, 3);
    }

    #[test]
    fn an_edited_entry_is_detected() {
        let dir = log_with(3);
        let mut l = lines(dir.path());
        l[1] = l[1].replace("\"suppressed\":2", "\"suppressed\":0");
        write(dir.path(), &l);
        assert_eq!(
            verify(dir.path()),
            Err(AuditError::Edited { line: 2, seq: 2 })
        );
    }

    #[test]
    fn a_deleted_entry_is_detected() {
        let dir = log_with(3);
        let mut l = lines(dir.path());
        l.remove(1);
        write(dir.path(), &l);
        assert!(matches!(
            verify(dir.path()),
            Err(AuditError::Broken {
                line: 2,
                seq: 3,
                after: 1
            })
        ));
    }

    #[test]
    fn reordered_entries_are_detected() {
        let dir = log_with(3);
        let mut l = lines(dir.path());
        l.swap(0, 1);
        write(dir.path(), &l);
        assert!(matches!(
            verify(dir.path()),
            Err(AuditError::Broken { line: 1, .. })
        ));
    }

    #[test]
    fn a_truncated_log_is_detected() {
        let dir = log_with(3);
        let l = lines(dir.path());
        write(dir.path(), &l[..2]);
        assert_eq!(
            verify(dir.path()),
            Err(AuditError::Truncated {
                found: 2,
                expected: 3
            })
        );
        // Cut inside the last line.
        let full = std::fs::read_to_string(dir.path().join(LOG)).unwrap();
        let dir = log_with(3);
        let text = std::fs::read_to_string(dir.path().join(LOG)).unwrap();
        std::fs::write(dir.path().join(LOG), &text[..text.len() - 20]).unwrap();
        assert!(matches!(
            verify(dir.path()),
            Err(AuditError::Malformed { .. })
        ));
        assert!(!full.is_empty());
    }

    #[test]
    fn a_rewritten_chain_does_not_match_the_head() {
        // A log swapped for another one of the same length: the head
        // still records the last entry of the real one.
        let dir = log_with(2);
        let head = std::fs::read(dir.path().join(HEAD)).unwrap();
        // Another log of as many entries, about other releases.
        let other = tempfile::tempdir().unwrap();
        for i in 10..12 {
            append(other.path(), "planner", release(i)).unwrap();
        }
        std::fs::write(other.path().join(HEAD), head).unwrap();
        assert_eq!(verify(other.path()), Err(AuditError::HeadMismatch));
    }

    #[test]
    fn a_damaged_log_is_not_appended_to() {
        let dir = log_with(2);
        let mut l = lines(dir.path());
        l[0] = l[0].replace("planner", "someone");
        write(dir.path(), &l);
        assert!(append(dir.path(), "planner", release(9)).is_err());
    }

    #[test]
    fn entries_hold_no_cell_values_or_keys() {
        let dir = log_with(1);
        let text = std::fs::read_to_string(dir.path().join(LOG)).unwrap();
        let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for k in keys {
            assert!(
                [
                    "seq",
                    "time",
                    "user",
                    "command",
                    "subject",
                    "sql_sha256",
                    "policy_sha256",
                    "policy",
                    "files",
                    "cells",
                    "suppressed",
                    "perturbed",
                    "prev",
                    "hash"
                ]
                .contains(&k),
                "unexpected field {k}"
            );
        }
    }
}

/// The operating-system user running this process: the name the system's
/// user database (`/etc/passwd`, LDAP, any NSS source) gives the real uid,
/// else the uid itself. Environment variables are not asked: anyone can
/// set them.
#[must_use]
pub fn operator() -> Option<String> {
    #[cfg(unix)]
    {
        let uid = nix::unistd::getuid();
        Some(match nix::unistd::User::from_uid(uid) {
            Ok(Some(user)) => user.name,
            _ => format!("uid {uid}"),
        })
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod operator_tests {
    #[cfg(unix)]
    #[test]
    fn the_operator_is_the_name_id_gives() {
        let out = std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap();
        let name = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        assert!(!name.is_empty());
        assert_eq!(super::operator().as_deref(), Some(name.as_str()));
    }
}
