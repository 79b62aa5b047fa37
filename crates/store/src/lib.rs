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

pub mod fast_hash;
mod key_set;

pub use key_set::KeySet;

use arrow::array::{Array, BooleanArray, RecordBatch, StringArray};
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
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

/// A part written to staging, not yet visible. Dropping it without a commit
/// deletes the file.
#[derive(Debug)]
pub struct StagedPart {
    table: &'static TableSpec,
    tmp: PathBuf,
    info: PartInfo,
    keys: KeySet,
    committed: bool,
}

impl StagedPart {
    /// Rows in the part.
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.info.rows
    }
}

impl Drop for StagedPart {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Bytes written between flushes to disk while a part is written.
const SYNC_EVERY: usize = 64 << 20;

/// Streams record batches of one table into a staged Parquet part.
pub struct PartWriter {
    table: &'static TableSpec,
    tmp: PathBuf,
    writer: Option<ArrowWriter<File>>,
    rows: u64,
    /// Whether the file became a [`StagedPart`], which owns it from then on.
    staged: bool,
    /// Bytes written when a flush to disk was last asked for.
    synced: usize,
    /// Flushes the file to disk on its own thread as it grows, so that the
    /// closing flush, which everything after it waits for, has little left
    /// to write.
    syncer: Option<Syncer>,
}

struct Syncer {
    tx: std::sync::mpsc::SyncSender<()>,
    handle: std::thread::JoinHandle<std::io::Result<()>>,
}

impl PartWriter {
    /// Writes the footer and makes the file durable, without staging it:
    /// a writer thread can do this as soon as its last batch is written,
    /// beside whatever else the caller still has to do.
    ///
    /// # Errors
    /// On encoding or I/O errors.
    pub fn close(&mut self) -> Result<(), StoreError> {
        if let Some(Syncer { tx, handle }) = self.syncer.take() {
            drop(tx);
            handle
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the flushing thread panicked")))
                .map_err(io(&self.tmp))?;
        }
        if let Some(writer) = self.writer.take() {
            let file = writer
                .into_inner()
                .map_err(|e| data(&self.tmp)(e.to_string()))?;
            file.sync_all().map_err(io(&self.tmp))?;
        }
        Ok(())
    }

    /// The Arrow schema batches must have.
    #[must_use]
    pub fn schema(&self) -> SchemaRef {
        Arc::new(self.table.schema())
    }

    /// Appends a batch.
    ///
    /// # Errors
    /// On encoding or I/O errors.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        if let Some(writer) = self.writer.as_mut() {
            writer
                .write(batch)
                .map_err(|e| data(&self.tmp)(e.to_string()))?;
            self.rows += batch.num_rows() as u64;
            let written = writer.bytes_written();
            if written >= self.synced + SYNC_EVERY {
                self.synced = written;
                self.request_sync()?;
            }
        }
        Ok(())
    }

    /// Asks the flushing thread, started the first time, to flush what is
    /// written so far. One flush waiting is enough: it covers the bytes
    /// before it, and the closing flush covers all.
    fn request_sync(&mut self) -> Result<(), StoreError> {
        if self.syncer.is_none() {
            let Some(writer) = self.writer.as_ref() else {
                return Ok(());
            };
            let file = writer.inner().try_clone().map_err(io(&self.tmp))?;
            let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
            let handle = std::thread::Builder::new()
                .name("peitto-sync".into())
                .spawn(move || {
                    for () in rx {
                        file.sync_data()?;
                    }
                    Ok(())
                })
                .map_err(io(&self.tmp))?;
            self.syncer = Some(Syncer { tx, handle });
        }
        if let Some(syncer) = &self.syncer {
            let _ = syncer.tx.try_send(());
        }
        Ok(())
    }

    /// Closes the file. The part stays invisible until [`Store::commit`].
    /// `keys` are the row keys ([`KeyHasher`]) the part holds: stored rows
    /// with the same keys are replaced by this part's rows at commit.
    ///
    /// # Errors
    /// On encoding or I/O errors (the staged file is then removed).
    pub fn finish(
        mut self,
        part_id: &str,
        source: &str,
        mapping: &str,
        keys: KeySet,
    ) -> Result<StagedPart, StoreError> {
        let staged = StagedPart {
            table: self.table,
            keys,
            tmp: self.tmp.clone(),
            info: PartInfo {
                file: format!("{}/{}.parquet", self.table.name, part_id),
                part_id: part_id.to_owned(),
                source: source.to_owned(),
                mapping: mapping.to_owned(),
                rows: self.rows,
                committed_at: 0,
            },
            committed: false,
        };
        self.close()?;
        self.staged = true;
        Ok(staged)
    }
}

impl Drop for PartWriter {
    fn drop(&mut self) {
        if !self.staged {
            drop(self.writer.take());
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// An open store, holding its lock.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    manifest: Manifest,
    serial: u64,
    /// The locked `.lock` file; closing it (also when the process dies)
    /// releases the lock. The file itself stays.
    _lock: fs::File,
}

fn writer_properties(table: &TableSpec) -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS));
    // Pseudonyms are random and mostly distinct: a dictionary would only
    // cost time, and their minimum and maximum prune nothing.
    for column in table.columns {
        // Amounts are mostly distinct: a dictionary fills up and is dropped
        // in every row group, after every value has been hashed into it.
        // Plain values and Snappy take a tenth less of the writer's time
        // and make a file of the same size.
        if column.kind == peitto_model::Kind::Euro {
            let path = parquet::schema::types::ColumnPath::from(column.name);
            builder = builder.set_column_dictionary_enabled(path, false);
        }
        if matches!(
            column.kind,
            peitto_model::Kind::RecordId(_) | peitto_model::Kind::Person
        ) {
            let path = parquet::schema::types::ColumnPath::from(column.name);
            builder = builder
                .set_column_dictionary_enabled(path.clone(), false)
                .set_column_statistics_enabled(path.clone(), EnabledStatistics::None);
            // A table's own record id is unique: its hex digits never repeat,
            // so Snappy would search them for nothing. (Foreign keys and
            // persons repeat from row to row and do compress.)
            if table.key == [column.name] {
                builder = builder.set_column_compression(path, Compression::UNCOMPRESSED);
            }
        }
    }
    builder.build()
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
            serial: 0,
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

    /// Starts a staged part of `table`.
    ///
    /// # Errors
    /// On I/O errors.
    pub fn part_writer(&mut self, table: &'static TableSpec) -> Result<PartWriter, StoreError> {
        self.serial += 1;
        let tmp = self.dir.join(STAGING).join(format!(
            "{}-{}-{}.parquet",
            table.name,
            std::process::id(),
            self.serial
        ));
        let file = File::create(&tmp).map_err(io(&tmp))?;
        let writer = ArrowWriter::try_new(
            file,
            Arc::new(table.schema()),
            Some(writer_properties(table)),
        )
        .map_err(|e| data(&tmp)(e.to_string()))?;
        Ok(PartWriter {
            table,
            tmp,
            writer: Some(writer),
            rows: 0,
            staged: false,
            synced: 0,
            syncer: None,
        })
    }

    /// Makes staged parts and new persons visible at once.
    ///
    /// A record is identified by its table's key: when a staged part holds a
    /// key already stored (or held by an earlier staged part), the newer row
    /// replaces the older one, so re-ingesting an extract, or a corrected or
    /// updated one, never duplicates records. `persons` holds rows of the
    /// `person` table; they are merged with the stored persons (one row per
    /// `person_key`) into a new generation of the person part.
    ///
    /// Returns, per table, how many stored rows were replaced.
    ///
    /// # Errors
    /// On I/O errors; the store then still shows its previous content.
    pub fn commit(
        &mut self,
        mut parts: Vec<StagedPart>,
        persons: &[RecordBatch],
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let mut manifest = self.manifest.clone();
        let committed_at = now();
        let mut replaced: BTreeMap<String, u64> = BTreeMap::new();
        let mut obsolete = Vec::new();

        // Newest wins: walk each table's parts from newest to oldest.
        let tables: Vec<&'static TableSpec> = {
            let mut t: Vec<&'static TableSpec> = parts.iter().map(|p| p.table).collect();
            t.dedup_by_key(|t| t.name);
            t
        };
        for table in tables {
            let key_columns: Vec<usize> = table
                .key
                .iter()
                .filter_map(|k| table.column_index(k))
                .collect();
            let mut later = KeySet::new();
            for part in parts
                .iter_mut()
                .rev()
                .filter(|p| p.table.name == table.name)
            {
                if !later.is_empty() {
                    let (kept, dropped) =
                        self.filter_file(&part.tmp, &key_columns, &later, table)?;
                    if let Some(new_tmp) = kept {
                        let _ = fs::remove_file(&part.tmp);
                        part.tmp = new_tmp;
                    }
                    part.info.rows -= dropped;
                    *replaced.entry(table.name.to_owned()).or_default() += dropped;
                }
                // The newest part's keys are taken, not copied: most commits
                // have one part per table, with millions of keys.
                if later.is_empty() {
                    later = std::mem::take(&mut part.keys);
                } else {
                    later.merge(&part.keys);
                }
            }
            let new_ids: Vec<String> = parts
                .iter()
                .filter(|p| p.table.name == table.name)
                .map(|p| p.info.part_id.clone())
                .collect();
            let stored = manifest.tables.entry(table.name.to_owned()).or_default();
            let mut kept_parts = Vec::new();
            for mut info in std::mem::take(stored) {
                if new_ids.contains(&info.part_id) {
                    obsolete.push(self.dir.join(&info.file));
                    *replaced.entry(table.name.to_owned()).or_default() += info.rows;
                    continue;
                }
                let path = self.dir.join(&info.file);
                let (kept, dropped) = self.filter_file(&path, &key_columns, &later, table)?;
                if dropped > 0 {
                    *replaced.entry(table.name.to_owned()).or_default() += dropped;
                    obsolete.push(path);
                    info.rows -= dropped;
                    if let Some(new_tmp) = kept {
                        self.serial += 1;
                        info.file = format!(
                            "{}/{}.r{}-{}.parquet",
                            table.name, info.part_id, committed_at, self.serial
                        );
                        let target = self.dir.join(&info.file);
                        fs::rename(&new_tmp, &target).map_err(io(&target))?;
                    }
                    if info.rows == 0 {
                        continue;
                    }
                }
                kept_parts.push(info);
            }
            *manifest.tables.entry(table.name.to_owned()).or_default() = kept_parts;
        }

        let mut renamed = Vec::new();
        for mut part in parts {
            if part.info.rows == 0 {
                // Every row was replaced by a later part: nothing to place (the drop removes the file).
                continue;
            }
            // Re-ingesting the same content under a new key set: keep the old file path free.
            obsolete.retain(|o| *o != self.dir.join(&part.info.file));
            let (target, info) = self.place(&mut part, committed_at)?;
            renamed.push(target);
            manifest
                .tables
                .entry(part.table.name.to_owned())
                .or_default()
                .push(info);
        }
        if persons.iter().any(|b| b.num_rows() > 0) {
            let merged = self.merged_persons(persons)?;
            let person = &peitto_model::tables::PERSON;
            let generation = manifest
                .tables
                .get(person.name)
                .and_then(|p| p.first())
                .map_or(0, |p| {
                    p.part_id
                        .trim_start_matches("generation-")
                        .parse::<u64>()
                        .unwrap_or(0)
                })
                + 1;
            let part_id = format!("generation-{generation}");
            let mut writer = self.part_writer(person)?;
            writer.write(&merged)?;
            let mut staged = writer.finish(&part_id, "(all extracts)", "derived", KeySet::new())?;
            let (target, info) = self.place(&mut staged, committed_at)?;
            renamed.push(target);
            if let Some(old) = manifest.tables.insert(person.name.to_owned(), vec![info]) {
                obsolete.extend(old.into_iter().map(|p| self.dir.join(p.file)));
            }
        }
        manifest.tables.retain(|_, parts| !parts.is_empty());
        for dir in renamed.iter().filter_map(|p| p.parent()) {
            sync_dir(dir)?;
        }
        let json =
            serde_json::to_vec_pretty(&manifest).map_err(|e| data(&self.dir)(e.to_string()))?;
        write_atomic(&self.dir.join(MANIFEST), &json)?;
        self.manifest = manifest;
        for old in obsolete {
            let _ = fs::remove_file(old);
        }
        Ok(replaced)
    }

    /// Moves a staged part into its table's folder; returns where it went and its manifest entry.
    fn place(
        &self,
        part: &mut StagedPart,
        committed_at: u64,
    ) -> Result<(PathBuf, PartInfo), StoreError> {
        let folder = self.dir.join(part.table.name);
        fs::create_dir_all(&folder).map_err(io(&folder))?;
        let target = self.dir.join(&part.info.file);
        fs::rename(&part.tmp, &target).map_err(io(&target))?;
        part.committed = true;
        let mut info = part.info.clone();
        info.committed_at = committed_at;
        Ok((target, info))
    }

    /// Writes `path` without the rows whose key is in `drop` to a staging
    /// file. Returns that file (None if nothing was dropped) and the count dropped.
    fn filter_file(
        &mut self,
        path: &Path,
        key_columns: &[usize],
        drop: &KeySet,
        table: &'static TableSpec,
    ) -> Result<(Option<PathBuf>, u64), StoreError> {
        let batches = read_parquet(path)?;
        let masks: Vec<BooleanArray> = batches
            .iter()
            .map(|b| {
                (0..b.num_rows())
                    .map(|r| Some(!drop.contains(KeyHasher::of_row(b, key_columns, r))))
                    .collect()
            })
            .collect();
        let dropped: u64 = masks
            .iter()
            .map(|m| m.iter().filter(|v| *v == Some(false)).count() as u64)
            .sum();
        if dropped == 0 {
            return Ok((None, 0));
        }
        let mut writer = self.part_writer(table)?;
        for (batch, mask) in batches.iter().zip(&masks) {
            let kept = arrow::compute::filter_record_batch(batch, mask)
                .map_err(|e| data(path)(e.to_string()))?;
            if kept.num_rows() > 0 {
                writer.write(&kept)?;
            }
        }
        let mut staged = writer.finish("filtered", "", "", KeySet::new())?;
        staged.committed = true;
        Ok((Some(staged.tmp.clone()), dropped))
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

    fn merged_persons(&self, new: &[RecordBatch]) -> Result<RecordBatch, StoreError> {
        // Stored persons first: a person already stored keeps the stored facts.
        let mut batches: Vec<(RecordBatch, PathBuf)> = Vec::new();
        for path in self.table_files(peitto_model::tables::PERSON.name) {
            for batch in read_parquet(&path)? {
                batches.push((batch, path.clone()));
            }
        }
        batches.extend(new.iter().map(|b| (b.clone(), self.dir.clone())));
        let schema = Arc::new(peitto_model::tables::PERSON.schema());
        // A file whose columns are not the person table's is named, column and all.
        for (batch, path) in &batches {
            if batch.num_columns() != schema.fields().len() {
                return Err(data(path)("the person table's columns".into()));
            }
            for (field, column) in schema.fields().iter().zip(batch.columns()) {
                if column.data_type() != field.data_type() {
                    return Err(data(path)(field.name().clone()));
                }
            }
        }
        let keys = batches
            .iter()
            .map(|(batch, path)| {
                batch
                    .column(0)
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .ok_or_else(|| data(path)("person_key".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Every (batch, row) sorted by key, ties in (batch, row) order so the
        // first of a key is the one kept; the output is in key order,
        // deterministic. The sort compares the keys' first 32 bytes (all of a
        // pseudonym) as two numbers, where comparing the texts would call
        // `memcmp` some twenty times per person.
        let mut rows: Vec<((u128, u128), usize, usize)> = batches
            .iter()
            .enumerate()
            .flat_map(|(b, (batch, _))| {
                let keys = &keys[b];
                (0..batch.num_rows()).map(move |r| (key_prefix(keys.value(r)), b, r))
            })
            .collect();
        let key = |&(_, b, r): &((u128, u128), usize, usize)| keys[b].value(r);
        rows.sort_unstable_by(|x, y| {
            x.0.cmp(&y.0)
                .then_with(|| key(x).cmp(key(y)))
                .then_with(|| (x.1, x.2).cmp(&(y.1, y.2)))
        });
        rows.dedup_by(|later, first| key(later) == key(first));
        let rows: Vec<(usize, usize)> = rows.into_iter().map(|(_, b, r)| (b, r)).collect();
        let columns = (0..schema.fields().len())
            .map(|c| {
                let arrays: Vec<&dyn arrow::array::Array> =
                    batches.iter().map(|(b, _)| b.column(c).as_ref()).collect();
                arrow::compute::interleave(&arrays, &rows)
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| data(&self.dir)(e.to_string()))?;
        RecordBatch::try_new(schema, columns).map_err(|e| data(&self.dir)(e.to_string()))
    }
}

/// The first 32 bytes of `key`, zero-padded, as two big-endian numbers:
/// ordered as the keys are wherever the prefixes differ.
fn key_prefix(key: &str) -> (u128, u128) {
    let mut bytes = [0u8; 32];
    let n = key.len().min(32);
    bytes[..n].copy_from_slice(&key.as_bytes()[..n]);
    let (mut high, mut low) = ([0u8; 16], [0u8; 16]);
    high.copy_from_slice(&bytes[..16]);
    low.copy_from_slice(&bytes[16..]);
    (u128::from_be_bytes(high), u128::from_be_bytes(low))
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

/// Hashes the key of a row to 128 bits, the same way whether the values come
/// from an extract being ingested or from stored Parquet, so a newer extract's
/// record can replace the stored one. Only ever compared within one run.
#[derive(Debug, Clone)]
pub struct KeyHasher {
    a: std::collections::hash_map::DefaultHasher,
    b: std::collections::hash_map::DefaultHasher,
}

impl Default for KeyHasher {
    fn default() -> Self {
        use std::hash::Hasher;
        let a = std::collections::hash_map::DefaultHasher::new();
        let mut b = std::collections::hash_map::DefaultHasher::new();
        // A different start state makes the second half independent of the first.
        b.write_u64(0x9e37_79b9_7f4a_7c15);
        KeyHasher { a, b }
    }
}

impl KeyHasher {
    fn bytes(&mut self, tag: u8, bytes: &[u8]) {
        use std::hash::Hasher;
        for h in [&mut self.a, &mut self.b] {
            h.write_u8(tag);
            h.write_usize(bytes.len());
            h.write(bytes);
        }
    }

    /// Adds a text value.
    pub fn text(&mut self, s: &str) {
        self.bytes(1, s.as_bytes());
    }

    /// Adds a whole number (also dates, as days).
    pub fn int(&mut self, v: i64) {
        self.bytes(2, &v.to_le_bytes());
    }

    /// Adds a missing value.
    pub fn null(&mut self) {
        self.bytes(3, &[]);
    }

    /// The 128-bit key.
    #[must_use]
    pub fn finish(&self) -> u128 {
        use std::hash::Hasher;
        (u128::from(self.a.finish()) << 64) | u128::from(self.b.finish())
    }

    /// The key of a single text value that is a pseudonym (32 hex digits):
    /// already a keyed 128-bit hash, so it is its own key and needs no hashing.
    #[must_use]
    pub fn pseudonym_key(value: &str) -> Option<u128> {
        (value.len() == 32)
            .then(|| u128::from_str_radix(value, 16).ok())
            .flatten()
    }

    /// Key of row `row` of `batch` over columns `columns`.
    #[must_use]
    pub fn of_row(batch: &RecordBatch, columns: &[usize], row: usize) -> u128 {
        use arrow::array::AsArray;
        use arrow::datatypes::{DataType, Date32Type, Int64Type};
        if let [c] = columns
            && let Some(strings) = batch.column(*c).as_string_opt::<i32>()
            && !strings.is_null(row)
            && let Some(k) = KeyHasher::pseudonym_key(strings.value(row))
        {
            return k;
        }
        let mut h = KeyHasher::default();
        for &c in columns {
            let array = batch.column(c);
            if array.is_null(row) {
                h.null();
                continue;
            }
            match array.data_type() {
                DataType::Utf8 => h.text(array.as_string::<i32>().value(row)),
                DataType::Int64 => h.int(array.as_primitive::<Int64Type>().value(row)),
                DataType::Date32 => h.int(i64::from(array.as_primitive::<Date32Type>().value(row))),
                DataType::Boolean => h.int(i64::from(array.as_boolean().value(row))),
                _ => h.null(),
            }
        }
        h.finish()
    }
}

/// Number of rows in batches.
#[must_use]
pub fn row_count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Date32Array;
    use arrow::array::{Int64Array, StringArray};

    fn population_batch(rows: i64) -> RecordBatch {
        let t = &peitto_model::tables::POPULATION;
        RecordBatch::try_new(
            Arc::new(t.schema()),
            vec![
                Arc::new(Int64Array::from(vec![2024; rows as usize])),
                Arc::new(StringArray::from(vec!["KU598"; rows as usize])),
                Arc::new(Int64Array::from((0..rows).collect::<Vec<_>>())),
                Arc::new(StringArray::from(vec!["1"; rows as usize])),
                Arc::new(Int64Array::from(vec![10; rows as usize])),
            ],
        )
        .unwrap()
    }

    /// A population part of `rows` rows staged as extract `abc`.
    fn staged_population(store: &mut Store, rows: i64) -> StagedPart {
        let mut w = store
            .part_writer(&peitto_model::tables::POPULATION)
            .unwrap();
        w.write(&population_batch(rows)).unwrap();
        w.finish("abc", "vaesto.csv", "reference", KeySet::new())
            .unwrap()
    }

    #[test]
    fn staged_parts_are_invisible_until_commit_and_removed_when_dropped() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(tmp.path()).unwrap();
        let staged = staged_population(&mut store, 3);
        assert!(read_table(tmp.path(), "population").unwrap().is_empty());
        drop(staged);
        assert_eq!(fs::read_dir(tmp.path().join(STAGING)).unwrap().count(), 0);

        let staged = staged_population(&mut store, 4);
        store.commit(vec![staged], &[]).unwrap();
        assert_eq!(row_count(&read_table(tmp.path(), "population").unwrap()), 4);
        assert!(store.has_part("population", "abc"));
        assert_eq!(store.table_rows()["population"], 4);
    }

    #[test]
    fn a_second_open_is_refused_while_locked_and_leftovers_are_cleaned() {
        let tmp = tempfile::tempdir().unwrap();
        let store = Store::open(tmp.path()).unwrap();
        assert!(matches!(
            Store::open(tmp.path()),
            Err(StoreError::Locked(_))
        ));
        drop(store);
        fs::create_dir_all(tmp.path().join("population")).unwrap();
        fs::write(tmp.path().join("population/orphan.parquet"), b"x").unwrap();
        let _store = Store::open(tmp.path()).unwrap();
        assert!(!tmp.path().join("population/orphan.parquet").exists());
    }

    #[test]
    fn a_lock_file_left_by_a_killed_command_does_not_block() {
        // What a process killed with -9 leaves: the file, no lock on it.
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join(LOCK), "12345\n").unwrap();
        let store = Store::open(tmp.path()).unwrap();
        // The lock is held while the store is open, by the system.
        let other = fs::File::open(tmp.path().join(LOCK)).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(fs::TryLockError::WouldBlock)
        ));
        drop(store);
        assert!(other.try_lock().is_ok());
    }

    #[test]
    fn a_store_of_another_format_is_refused_and_left_as_it_is() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(tmp.path()).unwrap();
        let staged = staged_population(&mut store, 3);
        store.commit(vec![staged], &[]).unwrap();
        drop(store);
        let path = tmp.path().join(MANIFEST);
        let written = fs::read_to_string(&path).unwrap();
        let old = written.replace(&format!("\"version\": {FORMAT_VERSION}"), "\"version\": 1");
        assert_ne!(old, written, "the manifest names its format");
        fs::write(&path, &old).unwrap();
        match Store::open(tmp.path()) {
            Err(StoreError::Version { found: 1, .. }) => {}
            other => panic!("expected a format error, got {other:?}"),
        }
        assert!(matches!(
            Store::read_manifest(tmp.path()),
            Err(StoreError::Version { found: 1, .. })
        ));
        assert_eq!(fs::read_to_string(&path).unwrap(), old);
        let lock = fs::File::open(tmp.path().join(LOCK)).unwrap();
        assert!(lock.try_lock().is_ok(), "the lock is released");
    }

    #[test]
    fn persons_merge_to_one_row_per_key() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(tmp.path()).unwrap();
        let batch = |keys: Vec<&str>, born: i32| {
            let n = keys.len();
            RecordBatch::try_new(
                Arc::new(peitto_model::tables::PERSON.schema()),
                vec![
                    Arc::new(StringArray::from(keys)),
                    Arc::new(Date32Array::from(vec![born; n])),
                    Arc::new(StringArray::from(vec!["2"; n])),
                    Arc::new(BooleanArray::from(vec![true; n])),
                ],
            )
            .unwrap()
        };
        store.commit(vec![], &[batch(vec!["b", "a"], 100)]).unwrap();
        // Two batches of one commit, each repeating a person.
        store
            .commit(vec![], &[batch(vec!["c", "b"], 200), batch(vec!["c"], 300)])
            .unwrap();
        let batches = read_table(tmp.path(), "person").unwrap();
        assert_eq!(row_count(&batches), 3);
        assert_eq!(fs::read_dir(tmp.path().join("person")).unwrap().count(), 1);
        let merged = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
        let keys = merged
            .column(0)
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        let born = merged
            .column(1)
            .as_any()
            .downcast_ref::<Date32Array>()
            .unwrap();
        let rows: Vec<(&str, i32)> = (0..3).map(|i| (keys.value(i), born.value(i))).collect();
        // In key order; a stored person keeps the stored facts; the first of a commit wins.
        assert_eq!(rows, [("a", 100), ("b", 100), ("c", 200)]);
    }

    #[test]
    fn key_prefixes_order_as_the_keys_do() {
        let long = "f".repeat(32);
        let keys = [
            String::new(),
            "a".into(),
            "a\0".into(),
            "ab".into(),
            long.clone(),
            format!("{long}\0"),
            format!("{long}a"),
            format!("{long}b"),
            "0123456789abcdef0123456789abcdef".into(),
            "0123456789abcdef0123456789abcdee".into(),
            "ä".into(),
        ];
        for x in &keys {
            for y in &keys {
                let by_prefix = key_prefix(x).cmp(&key_prefix(y)).then_with(|| x.cmp(y));
                assert_eq!(by_prefix, x.cmp(y), "{x:?} {y:?}");
            }
        }
    }
}

#[cfg(test)]
mod supersede_tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};

    fn population(ages: &[i64], persons: i64) -> (RecordBatch, KeySet) {
        let t = &peitto_model::tables::POPULATION;
        let n = ages.len();
        let batch = RecordBatch::try_new(
            Arc::new(t.schema()),
            vec![
                Arc::new(Int64Array::from(vec![2024; n])),
                Arc::new(StringArray::from(vec!["KU598"; n])),
                Arc::new(Int64Array::from(ages.to_vec())),
                Arc::new(StringArray::from(vec!["1"; n])),
                Arc::new(Int64Array::from(vec![persons; n])),
            ],
        )
        .unwrap();
        let cols: Vec<usize> = t.key.iter().map(|k| t.column_index(k).unwrap()).collect();
        let keys = (0..n)
            .map(|r| KeyHasher::of_row(&batch, &cols, r))
            .collect();
        (batch, keys)
    }

    fn stage(store: &mut Store, id: &str, ages: &[i64], persons: i64) -> StagedPart {
        let (batch, keys) = population(ages, persons);
        let mut w = store
            .part_writer(&peitto_model::tables::POPULATION)
            .unwrap();
        w.write(&batch).unwrap();
        w.finish(id, "p.csv", "reference", keys).unwrap()
    }

    #[test]
    fn newer_rows_replace_stored_rows_with_the_same_key() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(tmp.path()).unwrap();
        let first = stage(&mut store, "one", &[0, 1, 2], 10);
        assert!(store.commit(vec![first], &[]).unwrap().is_empty());
        // An updated extract: ages 1 and 2 again with new counts, and age 3.
        let second = stage(&mut store, "two", &[1, 2, 3], 20);
        let replaced = store.commit(vec![second], &[]).unwrap();
        assert_eq!(replaced["population"], 2);
        let batches = read_table(tmp.path(), "population").unwrap();
        assert_eq!(row_count(&batches), 4);
        let total: i64 = batches
            .iter()
            .map(|b| {
                b.column(4)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .unwrap()
                    .iter()
                    .flatten()
                    .sum::<i64>()
            })
            .sum();
        assert_eq!(total, 10 + 3 * 20);
    }

    #[test]
    fn later_staged_parts_win_over_earlier_ones_in_one_commit() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open(tmp.path()).unwrap();
        let a = stage(&mut store, "a", &[0, 1], 1);
        let b = stage(&mut store, "b", &[1, 2], 2);
        let replaced = store.commit(vec![a, b], &[]).unwrap();
        assert_eq!(replaced["population"], 1);
        assert_eq!(row_count(&read_table(tmp.path(), "population").unwrap()), 3);
    }
}
