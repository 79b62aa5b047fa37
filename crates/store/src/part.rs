//! Staged parts: a table's record batches streamed into a Parquet file in
//! `.staging/` (flushed to disk as it grows), invisible until a commit, and
//! removed if dropped without one.

use crate::{KeySet, PartInfo, ROW_GROUP_ROWS, StoreError, data, io};
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use peitto_model::TableSpec;
use std::fs::{self, File};
use std::path::PathBuf;
use std::sync::Arc;

/// A part written to staging, not yet visible. Dropping it without a commit
/// deletes the file.
#[derive(Debug)]
pub struct StagedPart {
    pub(crate) table: &'static TableSpec,
    pub(crate) tmp: PathBuf,
    pub(crate) info: PartInfo,
    /// The row keys, one per row, as a plain list: 16 bytes a key, where
    /// the set they were gathered in takes up to 43 (staged parts wait for
    /// the commit side by side, millions of keys each).
    pub(crate) keys: Vec<u128>,
    pub(crate) committed: bool,
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
    /// Starts writing a part of `table` to the staging file `tmp`.
    pub(crate) fn create(
        table: &'static TableSpec,
        tmp: PathBuf,
    ) -> Result<PartWriter, StoreError> {
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
            keys: {
                let mut list = Vec::with_capacity(keys.len());
                list.extend(keys.iter());
                list
            },
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
