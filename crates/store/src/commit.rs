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
        // Each table's staged parts newest first, and its stored parts.
        let mut jobs: Vec<Job<'_>> = tables
            .iter()
            .map(|&table| {
                let stored =
                    std::mem::take(manifest.tables.entry(table.name.to_owned()).or_default());
                (table, Vec::new(), stored)
            })
            .collect();
        for part in parts.iter_mut().rev() {
            if let Some(job) = jobs.iter_mut().find(|j| j.0.name == part.table.name) {
                job.1.push(part);
            }
        }
        // Tables with nothing stored only merge their staged parts' keys:
        // side by side, one per core. A table with stored parts filters
        // them two at a time itself, so those go one after another (the
        // memory of several tables' filters at once is not worth it).
        let (fresh, with_stored): (Vec<Job<'_>>, Vec<Job<'_>>) =
            jobs.into_iter().partition(|j| j.2.is_empty());
        let fresh: Vec<std::sync::Mutex<Option<Job<'_>>>> = fresh
            .into_iter()
            .map(|j| std::sync::Mutex::new(Some(j)))
            .collect();
        let mut outcomes = parallel(&fresh, |job| {
            let job = job
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            job.map(|(table, staged, stored)| self.supersede(table, staged, stored, committed_at))
        });
        outcomes.extend(with_stored.into_iter().map(|(table, staged, stored)| {
            Some(self.supersede(table, staged, stored, committed_at))
        }));
        for outcome in outcomes.into_iter().flatten() {
            let outcome = outcome?;
            if let Some(n) = outcome.replaced {
                *replaced.entry(outcome.table.name.to_owned()).or_default() += n;
            }
            obsolete.extend(outcome.obsolete);
            *manifest
                .tables
                .entry(outcome.table.name.to_owned())
                .or_default() = outcome.kept;
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

    /// Newest wins within one table: its staged parts (newest first) drop
    /// the rows whose keys a later part holds, then its stored parts drop
    /// every key a staged part holds.
    fn supersede(
        &self,
        table: &'static TableSpec,
        mut staged: Vec<&mut StagedPart>,
        stored: Vec<PartInfo>,
        committed_at: u64,
    ) -> Result<Superseded, StoreError> {
        let mut replaced: Option<u64> = None;
        let mut obsolete = Vec::new();
        let key_columns: Vec<usize> = table
            .key
            .iter()
            .filter_map(|k| table.column_index(k))
            .collect();
        let mut later = KeySet::new();
        // With no stored part of the table, the oldest staged part's
        // keys would filter nothing: they are not merged.
        let none_stored = stored.is_empty();
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
                let (kept, dropped) = self.filter_file(&part.tmp, &key_columns, &later, table)?;
                if let Some(new_tmp) = kept {
                    let _ = fs::remove_file(&part.tmp);
                    part.tmp = new_tmp;
                }
                part.info.rows -= dropped;
                *replaced.get_or_insert(0) += dropped;
            }
            if none_stored && n + 1 == count {
                break;
            }
            // Each part's keys are freed once merged. They come in the
            // order of their slots in the set they were gathered in:
            // with room made first, each insert probes a few slots.
            later.extend(std::mem::take(&mut part.keys));
        }
        let new_ids: Vec<String> = staged.iter().map(|p| p.info.part_id.clone()).collect();
        drop(staged);
        // Each stored part is filtered on its own: two at a time, one
        // per core (a newer extract of every register replaces records
        // in nearly every stored part).
        let filtered = parallel(&stored, |info| {
            // Re-ingesting the same content under a new key set: the
            // stored part of that id goes.
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
                *replaced.get_or_insert(0) += info.rows;
                continue;
            };
            let path = self.dir.join(&info.file);
            if dropped > 0 {
                *replaced.get_or_insert(0) += dropped;
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
        Ok(Superseded {
            table,
            kept: kept_parts,
            replaced,
            obsolete,
        })
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
        let rows: Vec<PersonRow> = batches
            .iter()
            .enumerate()
            .flat_map(|(b, (batch, _))| {
                let keys = &keys[b];
                (0..batch.num_rows()).map(move |r| (key_prefix(keys.value(r)), b, r))
            })
            .collect();
        let key = |&(_, b, r): &PersonRow| keys[b].value(r);
        let mut rows = sort_on_all_cores(rows, |x, y| {
            x.0.cmp(&y.0)
                .then_with(|| key(x).cmp(key(y)))
                .then_with(|| (x.1, x.2).cmp(&(y.1, y.2)))
        });
        rows.dedup_by(|later, first| key(later) == key(first));
        let rows: Vec<(usize, usize)> = rows.into_iter().map(|(_, b, r)| (b, r)).collect();
        // The columns are gathered one per core.
        let columns: Vec<usize> = (0..schema.fields().len()).collect();
        let columns = parallel(&columns, |&c| {
            let arrays: Vec<&dyn arrow::array::Array> =
                batches.iter().map(|(b, _)| b.column(c).as_ref()).collect();
            arrow::compute::interleave(&arrays, &rows)
        })
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| data(&self.dir)(e.to_string()))?;
        RecordBatch::try_new(schema, columns).map_err(|e| data(&self.dir)(e.to_string()))
    }
}

/// One table's staged parts (newest first) and stored parts, to supersede.
type Job<'a> = (&'static TableSpec, Vec<&'a mut StagedPart>, Vec<PartInfo>);

/// What superseding left of one table.
struct Superseded {
    table: &'static TableSpec,
    /// The stored parts kept, some filtered.
    kept: Vec<PartInfo>,
    /// Rows replaced, where any part was filtered or dropped.
    replaced: Option<u64>,
    /// Files no longer in the store once the commit is done.
    obsolete: Vec<PathBuf>,
}

/// A person row to merge: its key's first 32 bytes as numbers, its batch
/// and its row.
type PersonRow = ((u128, u128), usize, usize);

/// `rows` sorted by `cmp` on all cores. The rows are first put in order of
/// their key's first byte (a counting sort), then cut at byte boundaries
/// into one run per core, each sorted on its own thread: rows of different
/// runs differ in that byte, so the runs in turn are the whole sorted.
/// `cmp` must order by the key prefix first. The person merge sorts
/// millions of rows in the ingest's serial end, where one core idles.
fn sort_on_all_cores(
    rows: Vec<PersonRow>,
    cmp: impl Fn(&PersonRow, &PersonRow) -> std::cmp::Ordering + Sync,
) -> Vec<PersonRow> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let first_byte = |row: &PersonRow| (row.0.0 >> 120) as usize;
    if threads <= 1 || rows.len() < 1 << 16 {
        let mut rows = rows;
        rows.sort_unstable_by(cmp);
        return rows;
    }
    let mut starts = [0usize; 257];
    for row in &rows {
        starts[first_byte(row) + 1] += 1;
    }
    for b in 1..257 {
        starts[b] += starts[b - 1];
    }
    let mut next = starts;
    let mut bucketed = vec![((0u128, 0u128), 0usize, 0usize); rows.len()];
    for row in rows {
        let b = first_byte(&row);
        bucketed[next[b]] = row;
        next[b] += 1;
    }
    // Cut points: the byte boundary at or after each core's share.
    let n = bucketed.len();
    let mut cuts: Vec<usize> = (1..threads)
        .map(|t| {
            let want = n * t / threads;
            starts.iter().copied().find(|&s| s >= want).unwrap_or(n)
        })
        .collect();
    cuts.dedup();
    std::thread::scope(|scope| {
        let mut rest: &mut [PersonRow] = &mut bucketed;
        let mut done = 0;
        for cut in cuts {
            let (run, tail) = rest.split_at_mut(cut - done);
            done = cut;
            rest = tail;
            let cmp = &cmp;
            scope.spawn(move || run.sort_unstable_by(cmp));
        }
        rest.sort_unstable_by(&cmp);
    });
    bucketed
}

/// `f` of each item, in order, on up to as many threads as there are
/// cores, taking items as they come free (so items of unequal work share
/// the cores evenly).
pub fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_on_all_cores_gives_the_one_core_order() {
        // Keys drawn so that every first byte and many repeats occur; the
        // (batch, row) tie-break makes the order total.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut draw = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let rows: Vec<PersonRow> = (0..200_000)
            .map(|i| {
                let high = u128::from(draw() % 5_000) << 112 | u128::from(draw() % 3);
                ((high, 0), i % 3, i)
            })
            .collect();
        let cmp =
            |x: &PersonRow, y: &PersonRow| x.0.cmp(&y.0).then_with(|| (x.1, x.2).cmp(&(y.1, y.2)));
        let mut expected = rows.clone();
        expected.sort_unstable_by(cmp);
        assert_eq!(sort_on_all_cores(rows, cmp), expected);
    }
}
