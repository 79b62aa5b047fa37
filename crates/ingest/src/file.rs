//! One file's way in: opened and matched to a table, its chunks converted
//! on worker threads and merged back in file order (duplicate keys,
//! rejections, quarantine), written as a staged part on a writer thread,
//! while its content is hashed to know an extract already in the store.

use super::*;
use crate::quarantine::Quarantine;

impl Ingester {
    /// Ingests one file; `None` when `first_pass` and the file is a
    /// population table, which waits for the organisations' names.
    ///
    /// Once the file's table is known, `ready` is told whether it is the
    /// organisation table and answers with the municipality names the file
    /// may use (waiting, if need be, for the organisation files before
    /// it). An organisation file's own names go into `own_names`; the
    /// persons of a file stored go into `persons`. `cancelled` says the
    /// run has failed at an earlier file: this one then stops.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn ingest_file(
        &self,
        store: &Store,
        path: &Path,
        pseudo: Pseudonymiser,
        ready: &dyn Fn(bool) -> Result<AreaNames, IngestError>,
        own_names: &mut AreaNames,
        persons: &std::sync::Mutex<Persons>,
        cancelled: &dyn Fn() -> bool,
        first_pass: bool,
    ) -> Result<Option<(FileReport, Option<Staged>)>, IngestError> {
        let kind = FileKind::of(path).ok_or_else(|| IngestError::UnknownFormat(path.to_owned()))?;
        let opened = read::open(path, kind, self.options.sheet.as_deref())?;
        let (mapping, table_mapping) = self.detect(path, &opened.headers)?;
        let table = table_mapping.table;
        if first_pass && table.name == peitto_model::tables::POPULATION.name {
            return Ok(None);
        }
        let known = |h: &str| {
            let h = h.trim().to_lowercase();
            table_mapping
                .columns
                .iter()
                .any(|(x, _)| x.to_lowercase() == h)
                || table_mapping
                    .dropped
                    .iter()
                    .any(|(x, _)| x.to_lowercase() == h)
        };
        let mut report = FileReport {
            path: path.display().to_string(),
            source: opened.info.clone(),
            mapping: mapping.id.clone(),
            table: table.name.to_owned(),
            status: "ingested",
            rows_read: 0,
            rows_accepted: 0,
            rows_rejected: 0,
            rows_blank: 0,
            rejected_by_reason: BTreeMap::new(),
            rejections: Vec::new(),
            rejections_truncated: false,
            quarantine: None,
            dropped_columns: table_mapping
                .dropped
                .iter()
                .filter(|(h, _)| opened.headers.iter().any(|x| x.eq_ignore_ascii_case(h)))
                .map(|(h, _)| h.clone())
                .collect(),
            ignored_columns: opened
                .headers
                .iter()
                .filter(|h| !h.is_empty() && !known(h))
                .cloned()
                .collect(),
            missing_optional_columns: table_mapping
                .columns
                .iter()
                .filter(|(h, c)| {
                    !c.required
                        && !opened
                            .headers
                            .iter()
                            .any(|x| x.trim().eq_ignore_ascii_case(h))
                })
                .map(|(h, _)| h.clone())
                .collect(),
            cells_skipped_as_totals: 0,
            note_lines_skipped: 0,
        };
        // The content's identity is hashed on its own thread while rows are
        // read, and checked against the store as soon as it is known: an
        // extract ingested before is then dropped within the first moments,
        // and a new one has lost nothing waiting for the hash.
        let unread = report.clone();
        let sheet = opened.info.sheet.clone();
        let writer = BackgroundWriter::spawn(store.part_writer(table)?)?;
        let headers = opened.headers.clone();
        let recycler = opened.recycler();
        let shared = std::sync::Mutex::new((opened, 0u64));
        let (results_tx, results_rx) = std::sync::mpsc::sync_channel::<
            Result<(u64, Vec<read::RawRow>, convert::ConvertedChunk), IngestError>,
        >(WORKERS * 2);
        let mut merger = Merger {
            writer,
            keys: peitto_store::KeySet::new(),
            key_header: String::new(),
            quarantine: None,
            quarantine_dir: &self.quarantine_dir,
            path,
            headers: &headers,
            report: &mut report,
            names: None,
            file_bytes: fs::metadata(path).map_or(0, |m| m.len()),
        };
        let is_organisation = table.name == peitto_model::tables::ORGANISATION.name;
        let areas = ready(is_organisation)?;
        if is_organisation {
            merger.names = Some(own_names);
        }
        let outcome = std::thread::scope(
            |scope| -> Result<(Vec<Persons>, String, bool), IngestError> {
                let mut hashing = Some(
                    scope.spawn(move || content_id(path, mapping, table_mapping, sheet.as_deref())),
                );
                let settle =
                    |handle: std::thread::ScopedJoinHandle<'_, Result<String, IngestError>>| {
                        handle
                            .join()
                            .map_err(|_| IngestError::Arrow("the hashing thread panicked".into()))?
                    };
                let mut part_id = None;
                let mut known = false;
                let mut workers = Vec::new();
                for _ in 0..WORKERS {
                    let results_tx = results_tx.clone();
                    let shared = &shared;
                    let headers = &headers;
                    let pseudo = pseudo.clone();
                    let areas = &areas;
                    workers.push(scope.spawn(move || {
                        let mut converter = Converter::new(mapping, table_mapping, headers, pseudo)
                            .with_area_names(areas);
                        loop {
                            // Take the next chunk and its number under one lock, so numbers follow file order.
                            let next = {
                                let mut guard = shared
                                    .lock()
                                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                                let n = guard.1;
                                guard.1 += 1;
                                guard.0.next_chunk().map(|c| c.map(|c| (n, c)))
                            };
                            let message = match next {
                                Ok(None) => break,
                                Ok(Some((n, chunk))) => converter
                                    .convert_chunk(&chunk)
                                    .map(|converted| (n, chunk, converted))
                                    .map_err(|e| IngestError::Arrow(e.to_string())),
                                Err(e) => Err(e.into()),
                            };
                            let failed = message.is_err();
                            if results_tx.send(message).is_err() || failed {
                                break;
                            }
                        }
                        (
                            converter.key_header(),
                            std::mem::take(&mut converter.persons),
                        )
                    }));
                }
                drop(results_tx);
                // Merge in file order: chunks may finish out of order.
                let mut waiting = std::collections::BTreeMap::new();
                let mut next = 0u64;
                let mut first_error = None;
                for message in results_rx {
                    match message {
                        Ok((n, chunk, converted)) => {
                            waiting.insert(n, (chunk, converted));
                        }
                        Err(e) => {
                            first_error.get_or_insert(e);
                            break;
                        }
                    }
                    while let Some((chunk, converted)) = waiting.remove(&next) {
                        if merger.key_header.is_empty() {
                            merger.key_header = table
                                .key
                                .first()
                                .and_then(|k| table_mapping.header_of(k))
                                .unwrap_or_default()
                                .to_owned();
                        }
                        if let Err(e) = merger.merge(&chunk, converted) {
                            first_error.get_or_insert(e);
                        }
                        let _ = recycler.try_send(chunk);
                        next += 1;
                    }
                    if let Some(handle) = hashing.take_if(|h| h.is_finished()) {
                        match settle(handle) {
                            Ok(id) => {
                                known = store.has_part(table.name, &id);
                                part_id = Some(id);
                            }
                            Err(e) => {
                                first_error.get_or_insert(e);
                            }
                        }
                    }
                    if first_error.is_none() && cancelled() {
                        first_error = Some(IngestError::Arrow("cancelled".into()));
                    }
                    if first_error.is_some() || known {
                        break;
                    }
                }
                let mut persons = Vec::new();
                for w in workers {
                    let (_, p) = w
                        .join()
                        .map_err(|_| IngestError::Arrow("a conversion thread panicked".into()))?;
                    persons.push(p);
                }
                if let Some(e) = first_error {
                    return Err(e);
                }
                let part_id = match (part_id, hashing) {
                    (Some(id), _) => id,
                    (None, Some(handle)) => {
                        let id = settle(handle)?;
                        known = store.has_part(table.name, &id);
                        id
                    }
                    (None, None) => unreachable!("the hash is either settled or pending"),
                };
                Ok((persons, part_id, known))
            },
        )?;
        let (new_persons, part_id, known) = outcome;
        let Merger {
            writer,
            keys,
            quarantine,
            ..
        } = merger;
        if known {
            // Dropping the staged part and quarantine removes their files.
            drop(writer.finish());
            drop(quarantine);
            let mut report = unread;
            report.status = "already_in_store";
            return Ok(Some((report, None)));
        }
        let skipped = shared
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
            .skipped();
        report.cells_skipped_as_totals = skipped.totals;
        report.note_lines_skipped = skipped.notes;
        let writer = writer.finish()?;
        let source_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let part = writer.finish(&part_id, &source_name, &mapping.id, keys)?;
        let quarantine = match quarantine {
            Some(q) => {
                let (tmp, target) = q.finish(&part_id)?;
                report.quarantine = Some(target.display().to_string());
                Some((tmp, target))
            }
            None => None,
        };
        {
            let mut all = persons
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for p in new_persons {
                all.absorb(p);
            }
        }
        Ok(Some((report, Some(Staged { part, quarantine }))))
    }
}

/// Encodes Parquet on its own thread, so that validation, reading and
/// compression overlap.
struct BackgroundWriter {
    tx: Option<std::sync::mpsc::SyncSender<arrow::array::RecordBatch>>,
    handle: Option<std::thread::JoinHandle<Result<peitto_store::PartWriter, StoreError>>>,
}

impl BackgroundWriter {
    fn spawn(mut writer: peitto_store::PartWriter) -> Result<BackgroundWriter, IngestError> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<arrow::array::RecordBatch>(2);
        let handle = std::thread::Builder::new()
            .name("peitto-write".into())
            .spawn(move || {
                for batch in rx {
                    writer.write(&batch)?;
                }
                // The footer and the fsync here, while the caller gathers persons.
                writer.close()?;
                Ok(writer)
            })
            .map_err(|e| IngestError::Arrow(e.to_string()))?;
        Ok(BackgroundWriter {
            tx: Some(tx),
            handle: Some(handle),
        })
    }

    fn write(&mut self, batch: arrow::array::RecordBatch) -> Result<(), IngestError> {
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(batch).is_ok());
        if sent {
            return Ok(());
        }
        // The thread stopped: it has the error.
        self.join().map(|_| ())
    }

    fn join(&mut self) -> Result<peitto_store::PartWriter, IngestError> {
        self.tx = None;
        match self.handle.take().map(std::thread::JoinHandle::join) {
            Some(Ok(result)) => Ok(result?),
            Some(Err(_)) => Err(IngestError::Arrow(
                "the Parquet writer thread panicked".into(),
            )),
            None => Err(IngestError::Arrow(
                "the Parquet writer was already closed".into(),
            )),
        }
    }

    fn finish(mut self) -> Result<peitto_store::PartWriter, IngestError> {
        self.join()
    }
}

impl Drop for BackgroundWriter {
    /// A file stopped early (an error, a file before it failed) waits for
    /// its writer thread, so the part it was writing is deleted before the
    /// ingest returns, not some moment after.
    fn drop(&mut self) {
        self.tx = None;
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// Puts converted chunks back in file order: finds duplicate keys (the
/// first occurrence wins), reports and quarantines rejected rows, and hands
/// accepted rows to the writer.
struct Merger<'a> {
    writer: BackgroundWriter,
    keys: peitto_store::KeySet,
    key_header: String,
    quarantine: Option<Quarantine>,
    quarantine_dir: &'a Path,
    path: &'a Path,
    headers: &'a [String],
    report: &'a mut FileReport,
    /// Where an organisation file's municipality names go.
    names: Option<&'a mut AreaNames>,
    /// The file's size in bytes, for sizing `keys` once from the first chunk.
    file_bytes: u64,
}

impl Merger<'_> {
    /// Sizes the key set for the whole file, estimated from the bytes per
    /// row of its first chunk: growing it by doubling to millions of keys
    /// would copy them over and over and fault in fresh memory each time.
    /// (Compressed files, XLSX and Parquet, are underestimated; the set
    /// then grows as usual.)
    fn reserve_keys(&mut self, chunk: &[read::RawRow]) {
        let bytes: usize = chunk
            .iter()
            .map(|row| row.iter().map(|f| f.len() + 1).sum::<usize>() + 1)
            .sum();
        let per_row = (bytes / chunk.len().max(1)).max(16) as u64;
        // A first chunk need not be typical: reserve at most 16 M keys
        // (about 300 MB); a set that needs more grows as usual.
        let rows = (self.file_bytes / per_row).min(16 << 20);
        self.keys.reserve(usize::try_from(rows).unwrap_or(0));
    }

    fn merge(
        &mut self,
        chunk: &[read::RawRow],
        converted: convert::ConvertedChunk,
    ) -> Result<(), IngestError> {
        let convert::ConvertedChunk {
            batch,
            accepted,
            mut rejected,
            blank,
        } = converted;
        self.report.rows_blank += blank;
        self.report.rows_read += (accepted.len() + rejected.len()) as u64;
        if self.keys.is_empty() && !accepted.is_empty() {
            self.reserve_keys(chunk);
        }
        let keys: Vec<u128> = accepted.iter().map(|&(_, key)| key).collect();
        let mut keep = Vec::with_capacity(accepted.len());
        self.keys.insert_all(&keys, &mut keep);
        let mut duplicates = false;
        for (&(i, _), &fresh) in accepted.iter().zip(&keep) {
            if !fresh {
                duplicates = true;
                rejected.push((
                    i,
                    vec![Problem {
                        column: self.key_header.clone(),
                        reason: Reason::DuplicateKey,
                    }],
                ));
            }
        }
        if let Some(batch) = batch {
            self.report.rows_accepted += keep.iter().filter(|k| **k).count() as u64;
            if let Some(names) = self.names.as_deref_mut() {
                let batch = if duplicates {
                    let mask = arrow::array::BooleanArray::from(keep.clone());
                    arrow::compute::filter_record_batch(&batch, &mask)
                        .map_err(|e| IngestError::Arrow(e.to_string()))?
                } else {
                    batch.clone()
                };
                add_area_names(&batch, names);
            }
            // The runs of kept rows go to the writer as slices of the batch:
            // a duplicate costs a cut, not a copy of every column.
            let mut start = 0;
            while start < keep.len() {
                let Some(run) = keep[start..].iter().position(|k| *k) else {
                    break;
                };
                let from = start + run;
                let len = keep[from..]
                    .iter()
                    .position(|k| !*k)
                    .unwrap_or(keep.len() - from);
                self.writer.write(batch.slice(from, len))?;
                start = from + len;
            }
        }
        rejected.sort_by_key(|(i, _)| *i);
        for (i, problems) in rejected {
            let row = &chunk[i];
            self.report.rows_rejected += 1;
            let mut reasons: Vec<Reason> = problems.iter().map(|p| p.reason).collect();
            reasons.dedup();
            for reason in reasons {
                *self.report.rejected_by_reason.entry(reason).or_default() += 1;
            }
            for p in &problems {
                if self.report.rejections.len() < REPORTED_REJECTIONS {
                    self.report.rejections.push(Rejection {
                        row: row.line,
                        column: p.column.clone(),
                        reason: p.reason,
                    });
                } else {
                    self.report.rejections_truncated = true;
                }
            }
            if self.quarantine.is_none() {
                self.quarantine = Some(Quarantine::create(
                    self.quarantine_dir,
                    self.path,
                    self.headers,
                )?);
            }
            if let Some(q) = self.quarantine.as_mut() {
                q.write(row, &problems)?;
            }
        }
        Ok(())
    }
}

/// Adds the names (Finnish and Swedish) of the municipalities in a batch
/// of the organisation table.
pub(crate) fn add_area_names(batch: &arrow::array::RecordBatch, names: &mut AreaNames) {
    use arrow::array::{Array, AsArray};
    let text = |name: &str| {
        batch
            .column_by_name(name)
            .and_then(|c| arrow::compute::cast(c, &arrow::datatypes::DataType::Utf8).ok())
    };
    let (Some(kind), Some(code), Some(fi), Some(sv)) = (
        text("org_type"),
        text("code"),
        text("name_fi"),
        text("name_sv"),
    ) else {
        return;
    };
    let (kind, code) = (kind.as_string::<i32>(), code.as_string::<i32>());
    for row in 0..batch.num_rows() {
        if kind.is_null(row) || kind.value(row) != "KUNTA" || code.is_null(row) {
            continue;
        }
        let Some(code) = convert::parse_municipality(code.value(row)) else {
            continue;
        };
        for column in [&fi, &sv] {
            let column = column.as_string::<i32>();
            if !column.is_null(row) {
                names.insert(column.value(row).trim().to_lowercase(), code);
            }
        }
    }
}

/// The identity of an extract's content under a mapping and table. BLAKE3,
/// not SHA-256: the whole file is hashed while its first chunks are
/// converted, and BLAKE3 does it several times faster (vector units over
/// many blocks at once), so an extract already in the store is known soon.
fn content_id(
    path: &Path,
    mapping: &Mapping,
    table: &TableMapping,
    sheet: Option<&str>,
) -> Result<String, IngestError> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"peitto/content/v2\0");
    hasher.update(mapping.id.as_bytes());
    hasher.update(&[0]);
    hasher.update(table.table.name.as_bytes());
    hasher.update(&[0]);
    hasher.update(sheet.unwrap_or("").as_bytes());
    hasher.update(&[0]);
    let mut file = File::open(path).map_err(io(path))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().as_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
