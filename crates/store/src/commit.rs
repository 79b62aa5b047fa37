//! The commit: staged parts and new persons made visible at once, newer
//! records replacing older ones with the same key, the person table merged
//! to one row per person, and the manifest replaced atomically.

use crate::*;
use arrow::array::{BooleanArray, StringArray};
use parquet::arrow::ProjectionMask;
use std::time::{Duration, Instant};

/// How long a commit took, step by step: the serial end of an ingest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitTimings {
    /// Newer records replacing older ones: key sets merged, parts filtered.
    pub supersede: Duration,
    /// The person table merged with the new persons and written (flushed
    /// to disk).
    pub persons: Duration,
    /// Parts moved into place, folders flushed, the manifest replaced.
    pub durable: Duration,
    /// The whole commit.
    pub total: Duration,
}

impl Store {
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
        let started = Instant::now();
        let mut timings = CommitTimings::default();
        let mut manifest = self.manifest.clone();
        let committed_at = now();
        let mut replaced: BTreeMap<String, u64> = BTreeMap::new();
        let mut obsolete = Vec::new();

        // Newest wins: walk each table's parts from newest to oldest.
        // Each table once, in the order of its first part (a folder's
        // parts alternate between tables, municipality by municipality).
        let tables: Vec<&'static TableSpec> = {
            let mut t: Vec<&'static TableSpec> = Vec::new();
            for part in &parts {
                if !t.iter().any(|x| x.name == part.table.name) {
                    t.push(part.table);
                }
            }
            t
        };
        for table in tables {
            let key_columns: Vec<usize> = table
                .key
                .iter()
                .filter_map(|k| table.column_index(k))
                .collect();
            let mut later = KeySet::new();
            // With no stored part of the table, the oldest staged part's
            // keys would filter nothing: they are not merged.
            let none_stored = manifest.tables.get(table.name).is_none_or(Vec::is_empty);
            let mut staged: Vec<&mut StagedPart> = parts
                .iter_mut()
                .rev()
                .filter(|p| p.table.name == table.name)
                .collect();
            let count = staged.len();
            for (n, part) in staged.iter_mut().enumerate() {
                // A part whose keys are all known (one per row) is read
                // back only when some of them are in a later part: most
                // are not, and reading is the slow part of the commit.
                let overlaps = || {
                    part.keys.len() as u64 != part.info.rows
                        || part.keys.iter().any(|&k| later.contains(k))
                };
                if !later.is_empty() && overlaps() {
                    let (kept, dropped) =
                        self.filter_file(&part.tmp, &key_columns, &later, table)?;
                    if let Some(new_tmp) = kept {
                        let _ = fs::remove_file(&part.tmp);
                        part.tmp = new_tmp;
                    }
                    part.info.rows -= dropped;
                    *replaced.entry(table.name.to_owned()).or_default() += dropped;
                }
                if none_stored && n + 1 == count {
                    break;
                }
                // Each part's keys are freed once merged. They come in the
                // order of their slots in the set they were gathered in:
                // with room made first, each insert probes a few slots.
                later.extend(std::mem::take(&mut part.keys));
            }
            drop(staged);
            let new_ids: Vec<String> = parts
                .iter()
                .filter(|p| p.table.name == table.name)
                .map(|p| p.info.part_id.clone())
                .collect();
            let stored = std::mem::take(manifest.tables.entry(table.name.to_owned()).or_default());
            // Each stored part is filtered on its own: two at a time, one
            // per core (a newer extract of every register replaces records
            // in nearly every stored part).
            let filtered = parallel(&stored, |info| {
                if new_ids.contains(&info.part_id) {
                    return Ok(None);
                }
                let path = self.dir.join(&info.file);
                self.filter_file(&path, &key_columns, &later, table)
                    .map(Some)
            });
            let mut kept_parts = Vec::new();
            for (mut info, result) in stored.into_iter().zip(filtered) {
                let Some((kept, dropped)) = result? else {
                    obsolete.push(self.dir.join(&info.file));
                    *replaced.entry(table.name.to_owned()).or_default() += info.rows;
                    continue;
                };
                let path = self.dir.join(&info.file);
                if dropped > 0 {
                    *replaced.entry(table.name.to_owned()).or_default() += dropped;
                    obsolete.push(path);
                    info.rows -= dropped;
                    if let Some(new_tmp) = kept {
                        info.file = format!(
                            "{}/{}.r{}-{}.parquet",
                            table.name,
                            info.part_id,
                            committed_at,
                            self.next_serial()
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

        timings.supersede = started.elapsed();
        let mut renamed = Vec::new();
        let placing = Instant::now();
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
        let mut durable = placing.elapsed();
        let merging = Instant::now();
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
        timings.persons = merging.elapsed();
        let syncing = Instant::now();
        manifest.tables.retain(|_, parts| !parts.is_empty());
        // Each folder once, however many parts went into it.
        let folders: std::collections::BTreeSet<&Path> =
            renamed.iter().filter_map(|p| p.parent()).collect();
        for dir in folders {
            sync_dir(dir)?;
        }
        let json =
            serde_json::to_vec_pretty(&manifest).map_err(|e| data(&self.dir)(e.to_string()))?;
        write_atomic(&self.dir.join(MANIFEST), &json)?;
        self.manifest = manifest;
        for old in obsolete {
            let _ = fs::remove_file(old);
        }
        durable += syncing.elapsed();
        timings.durable = durable;
        timings.total = started.elapsed();
        self.last_commit = timings;
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
    /// file. Returns that file (None if nothing was dropped) and the count
    /// dropped. The key columns are read first, alone: a part that loses
    /// no row is not read further. Then the part is filtered batch by
    /// batch, so a part is never held whole in memory.
    fn filter_file(
        &self,
        path: &Path,
        key_columns: &[usize],
        drop: &KeySet,
        table: &'static TableSpec,
    ) -> Result<(Option<PathBuf>, u64), StoreError> {
        let reader = |projection: Option<&[usize]>| {
            let file = File::open(path).map_err(io(path))?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(file)
                .map_err(|e| data(path)(e.to_string()))?;
            let builder = match projection {
                Some(columns) => {
                    let mask = ProjectionMask::roots(builder.parquet_schema(), columns.to_vec());
                    builder.with_projection(mask)
                }
                None => builder,
            };
            builder.build().map_err(|e| data(path)(e.to_string()))
        };
        // The key columns in file order, and each key column's place among them.
        let mut in_file: Vec<usize> = key_columns.to_vec();
        in_file.sort_unstable();
        in_file.dedup();
        let at: Vec<usize> = key_columns
            .iter()
            .map(|k| in_file.iter().position(|c| c == k).unwrap_or(0))
            .collect();
        let mut dropped = 0u64;
        for batch in reader(Some(&in_file))? {
            let batch = batch.map_err(|e| data(path)(e.to_string()))?;
            dropped += (0..batch.num_rows())
                .filter(|&r| drop.contains(KeyHasher::of_row(&batch, &at, r)))
                .count() as u64;
        }
        if dropped == 0 {
            return Ok((None, 0));
        }
        let mut writer = self.part_writer(table)?;
        for batch in reader(None)? {
            let batch = batch.map_err(|e| data(path)(e.to_string()))?;
            let mask: BooleanArray = (0..batch.num_rows())
                .map(|r| Some(!drop.contains(KeyHasher::of_row(&batch, key_columns, r))))
                .collect();
            let kept = arrow::compute::filter_record_batch(&batch, &mask)
                .map_err(|e| data(path)(e.to_string()))?;
            if kept.num_rows() > 0 {
                writer.write(&kept)?;
            }
        }
        let mut staged = writer.finish("filtered", "", "", KeySet::new())?;
        staged.committed = true;
        Ok((Some(staged.tmp.clone()), dropped))
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

/// `f` of each item, in order, on up to as many threads as there are
/// cores, taking items as they come free.
fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        for worker in workers {
            // A worker that panicked passes its panic on.
            let done = worker
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            for (i, r) in done {
                out[i] = Some(r);
            }
        }
    });
    out.into_iter().flatten().collect()
}

/// The first 32 bytes of `key`, zero-padded, as two big-endian numbers:
/// ordered as the keys are wherever the prefixes differ.
pub(crate) fn key_prefix(key: &str) -> (u128, u128) {
    let mut bytes = [0u8; 32];
    let n = key.len().min(32);
    bytes[..n].copy_from_slice(&key.as_bytes()[..n]);
    let (mut high, mut low) = ([0u8; 16], [0u8; 16]);
    high.copy_from_slice(&bytes[..16]);
    low.copy_from_slice(&bytes[16..]);
    (u128::from_be_bytes(high), u128::from_be_bytes(low))
}
