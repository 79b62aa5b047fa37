//! The analysis store.
//!
//! This crate owns `store/` of a project: one folder per model table holding
//! Parquet parts, and `manifest.json`, which alone decides what the store
//! contains. Writers stage parts in `.staging/`; a commit renames them into
//! place and then atomically replaces the manifest, so a reader (or a crash)
//! sees either the old store or the new one, never half a table. Parts are
//! named by the content hash of the extract they came from, which makes
//! re-ingesting the same extract a no-op. Only pseudonymised data is handed
//! to this crate; it never sees a henkilötunnus.

mod commit;
pub mod fast_hash;
mod key_hasher;
mod key_set;
mod part;
pub mod pseudonym;
#[cfg(test)]
mod supersede_tests;
#[cfg(test)]
mod tests;

pub use commit::{CommitTimings, parallel};
pub use key_hasher::KeyHasher;
pub use key_set::KeySet;
pub use part::{PartWriter, StagedPart};

use arrow::array::{Array, RecordBatch};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use peitto_model::TableSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Manifest file name inside `store/`.
pub const MANIFEST: &str = "manifest.json";
const STAGING: &str = ".staging";
const LOCK: &str = ".lock";
/// Rows per Parquet row group: bounds the memory a writer holds.
const ROW_GROUP_ROWS: usize = 256 * 1024;

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// File-system error.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Parquet or Arrow error.
    #[error("{path}: {message}")]
    Data {
        /// Where.
        path: PathBuf,
        /// What.
        message: String,
    },
    /// The manifest does not parse.
    #[error("{path}: damaged manifest: {message}")]
    Manifest {
        /// Where.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// A file of the store is a link, or leads, outside it.
    #[error(
        "{0} is outside the store (a link or a path out of it): a store reads only its own files"
    )]
    Outside(PathBuf),
    /// Another peitto process holds the store.
    #[error("the store {0} is in use by another peitto command; try again when it has finished")]
    Locked(PathBuf),
    /// The store was written by a peitto whose format this one does not read.
    #[error(
        "{path}: the store has format {found}, this peitto writes format {FORMAT_VERSION}: its record pseudonyms would not link with new ones; ingest the extracts into a new project"
    )]
    Version {
        /// The manifest.
        path: PathBuf,
        /// The format it names.
        found: u32,
    },
}

/// The store format. 2: record ids of up to 15 bytes are pseudonymised
/// with AES-256 (1 used HMAC-SHA256 for every record id).
pub const FORMAT_VERSION: u32 = 2;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_owned(),
        source,
    }
}

fn data(path: &Path) -> impl FnOnce(String) -> StoreError + '_ {
    move |message| StoreError::Data {
        path: path.to_owned(),
        message,
    }
}

/// One Parquet part of a table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartInfo {
    /// Path relative to `store/`.
    pub file: String,
    /// Content identity of the extract (hash of mapping, table and bytes).
    pub part_id: String,
    /// File name of the extract it came from (no folders: they may name people).
    pub source: String,
    /// Mapping used.
    pub mapping: String,
    /// Rows in the part.
    pub rows: u64,
    /// Seconds since the Unix epoch when committed.
    pub committed_at: u64,
}

/// What the store holds.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq, Eq)]
pub struct Manifest {
    /// Format version.
    pub version: u32,
    /// Parts by table name.
    pub tables: BTreeMap<String, Vec<PartInfo>>,
}

/// An open store, holding its lock.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    manifest: Manifest,
    /// Staging files made by this process, for unique names (parts are
    /// written from several threads at once).
    serial: std::sync::atomic::AtomicU64,
    /// How long the last commit took, step by step.
    last_commit: CommitTimings,
    /// The locked `.lock` file; closing it (also when the process dies)
    /// releases the lock. The file itself stays.
    _lock: fs::File,
}

/// Writes `bytes` to `path` so that readers see the old or the new content, never a mix.
///
/// # Errors
/// On I/O errors; the old file is then untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = File::create(&tmp).map_err(io(&tmp))?;
        file.write_all(bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, path).map_err(io(path))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Store {
    /// Opens (creating if needed) the store in `dir` and takes its lock.
    /// Leftovers of an interrupted run (staged files, parts the manifest does
    /// not list) are removed: they were never visible.
    ///
    /// # Errors
    /// If another command holds the lock, the manifest is damaged, or on I/O errors.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        fs::create_dir_all(dir.join(STAGING)).map_err(io(dir))?;
        let path = dir.join(LOCK);
        // An operating-system lock on the file, not the file's existence:
        // it dies with the process (kill -9, out of memory), so no later
        // command has to be told to delete anything by hand.
        let lock = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(StoreError::Locked(dir.to_owned())),
            Err(fs::TryLockError::Error(e)) => return Err(io(&path)(e)),
        }
        // Built before the manifest is read, so a damaged manifest still releases the lock.
        let mut store = Store {
            dir: dir.to_owned(),
            manifest: Manifest::default(),
            serial: std::sync::atomic::AtomicU64::new(0),
            last_commit: CommitTimings::default(),
            _lock: lock,
        };
        store.manifest = Store::read_manifest(dir)?;
        store.remove_leftovers()?;
        Ok(store)
    }

    /// Opens a store for reading without taking the lock.
    ///
    /// # Errors
    /// If the manifest is damaged or unreadable, or names another format.
    pub fn read_manifest(dir: &Path) -> Result<Manifest, StoreError> {
        let path = dir.join(MANIFEST);
        if !path.exists() {
            return Ok(Manifest {
                version: FORMAT_VERSION,
                ..Manifest::default()
            });
        }
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| StoreError::Manifest {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if manifest.version != FORMAT_VERSION {
            return Err(StoreError::Version {
                path,
                found: manifest.version,
            });
        }
        // Every file the store reads is inside it: a manifest (or a table
        // folder) linked or naming `../` would read another project's
        // parts with this project's, empty, record of what was released.
        let inside = fs::canonicalize(dir).map_err(io(dir))?;
        let files = std::iter::once(path.clone()).chain(
            manifest
                .tables
                .values()
                .flatten()
                .map(|part| dir.join(&part.file)),
        );
        for file in files {
            let real = fs::canonicalize(&file).map_err(io(&file))?;
            if !real.starts_with(&inside)
                || fs::symlink_metadata(&file).is_ok_and(|m| m.is_symlink())
            {
                return Err(StoreError::Outside(file));
            }
        }
        Ok(manifest)
    }

    fn remove_leftovers(&self) -> Result<(), StoreError> {
        let staging = self.dir.join(STAGING);
        for entry in fs::read_dir(&staging).map_err(io(&staging))?.flatten() {
            let _ = fs::remove_file(entry.path());
        }
        for table in peitto_model::tables() {
            let folder = self.dir.join(table.name);
            let Ok(entries) = fs::read_dir(&folder) else {
                continue;
            };
            let listed: Vec<&str> = self
                .manifest
                .tables
                .get(table.name)
                .map(|parts| parts.iter().map(|p| p.file.as_str()).collect())
                .unwrap_or_default();
            for entry in entries.flatten() {
                let rel = format!("{}/{}", table.name, entry.file_name().to_string_lossy());
                if !listed.contains(&rel.as_str()) {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
        Ok(())
    }

    /// The store folder.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the store holds.
    #[must_use]
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Whether a part with this content identity is already committed.
    #[must_use]
    pub fn has_part(&self, table: &str, part_id: &str) -> bool {
        self.manifest
            .tables
            .get(table)
            .is_some_and(|parts| parts.iter().any(|p| p.part_id == part_id))
    }

    /// A number no other staging file of this process has.
    fn next_serial(&self) -> u64 {
        self.serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            + 1
    }

    /// How long the last [`Store::commit`] of this store took, step by step.
    #[must_use]
    pub fn last_commit_timings(&self) -> &CommitTimings {
        &self.last_commit
    }

    /// Starts a staged part of `table`.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn part_writer(&self, table: &'static TableSpec) -> Result<PartWriter, StoreError> {
        let serial = self.next_serial();
        let tmp = self.dir.join(STAGING).join(format!(
            "{}-{}-{}.parquet",
            table.name,
            std::process::id(),
            serial
        ));
        PartWriter::create(table, tmp)
    }

    /// Absolute paths of a table's committed parts.
    #[must_use]
    pub fn table_files(&self, table: &str) -> Vec<PathBuf> {
        self.manifest
            .tables
            .get(table)
            .map(|parts| parts.iter().map(|p| self.dir.join(&p.file)).collect())
            .unwrap_or_default()
    }

    /// Rows per table.
    #[must_use]
    pub fn table_rows(&self) -> BTreeMap<String, u64> {
        self.manifest
            .tables
            .iter()
            .map(|(t, parts)| (t.clone(), parts.iter().map(|p| p.rows).sum()))
            .collect()
    }
}

fn read_parquet(path: &Path) -> Result<Vec<RecordBatch>, StoreError> {
    let file = File::open(path).map_err(io(path))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(|e| data(path)(e.to_string()))?;
    reader
        .map(|b| b.map_err(|e| data(path)(e.to_string())))
        .collect()
}

/// Reads every row of a table (tests and small tables; queries use DataFusion).
///
/// # Errors
/// On I/O or decoding errors.
pub fn read_table(dir: &Path, table: &str) -> Result<Vec<RecordBatch>, StoreError> {
    let manifest = Store::read_manifest(dir)?;
    let mut out = Vec::new();
    for part in manifest.tables.get(table).into_iter().flatten() {
        out.extend(read_parquet(&dir.join(&part.file))?);
    }
    Ok(out)
}

/// Number of rows in batches.
#[must_use]
pub fn row_count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}
