//! Quarantine files: the rejected rows of one file, whole, with their
//! reasons, under a temporary name until the store commits.

use crate::convert::Problem;
use crate::{IngestError, io, read};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Rejected rows of one file, kept whole (identifiers included, mode 0600)
/// so they can be fixed and ingested again: the file has the source's own
/// headers plus `peitto_row` and `peitto_reasons`, which ingest ignores.
pub(crate) struct Quarantine {
    tmp: PathBuf,
    dir: PathBuf,
    stem: String,
    writer: Option<csv::Writer<BufWriter<File>>>,
}

/// Removes quarantine files an ingest that died (kill -9) left under their
/// temporary names: whole rejected rows, identifiers included, that no
/// report names. Called with the store's lock held, so no other ingest is
/// writing any.
pub(crate) fn remove_orphans(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.ends_with(".csv.tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Quarantine files being written by this process, for unique names.
static QUARANTINES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Quarantine {
    /// Starts a quarantine file under a temporary name: its final name
    /// carries the content's identity, which may not be known yet.
    pub(crate) fn create(
        dir: &Path,
        source: &Path,
        headers: &[String],
    ) -> Result<Quarantine, IngestError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
        let stem = source
            .file_stem()
            .map_or_else(|| "extract".into(), |s| s.to_string_lossy().into_owned());
        let serial = QUARANTINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = dir.join(format!(".{stem}-{}-{serial}.csv.tmp", std::process::id()));
        let file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io(&tmp))?;
        let mut out = BufWriter::new(file);
        out.write_all(b"\xEF\xBB\xBF").map_err(io(&tmp))?;
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .flexible(true)
            .from_writer(out);
        let mut header: Vec<&str> = headers.iter().map(String::as_str).collect();
        header.extend(["peitto_row", "peitto_reasons"]);
        writer
            .write_record(&header)
            .map_err(|e| io(&tmp)(e.into()))?;
        Ok(Quarantine {
            tmp,
            dir: dir.to_owned(),
            stem,
            writer: Some(writer),
        })
    }

    pub(crate) fn write(
        &mut self,
        row: &read::RawRow,
        problems: &[Problem],
    ) -> Result<(), IngestError> {
        let reasons = problems
            .iter()
            .map(|p| {
                if p.column.is_empty() {
                    p.reason.code().to_owned()
                } else {
                    format!("{}: {}", p.column, p.reason.code())
                }
            })
            .collect::<Vec<_>>()
            .join("; ");
        let line = row.line.to_string();
        let mut record: Vec<&str> = row.iter().collect();
        record.extend([line.as_str(), reasons.as_str()]);
        let tmp = &self.tmp;
        // The writer is taken only by `finish` and `Drop`; a row that came
        // after either is an error, never dropped in silence.
        let writer = self
            .writer
            .as_mut()
            .ok_or_else(|| io(tmp)(std::io::Error::other("the quarantine file is closed")))?;
        writer.write_record(&record).map_err(|e| io(tmp)(e.into()))
    }

    /// Closes the file; returns its temporary path and the name it takes
    /// when the store commits: the source's name and the content's identity.
    pub(crate) fn finish(mut self, part_id: &str) -> Result<(PathBuf, PathBuf), IngestError> {
        let target = self
            .dir
            .join(format!("{}-{}.csv", self.stem, &part_id[..12]));
        let tmp = self.tmp.clone();
        if let Some(writer) = self.writer.take() {
            let out = writer
                .into_inner()
                .map_err(|e| io(&tmp)(std::io::Error::other(e.to_string())))?;
            let file = out
                .into_inner()
                .map_err(|e| io(&tmp)(std::io::Error::other(e.to_string())))?;
            file.sync_all().map_err(io(&tmp))?;
        }
        // Kept from here on: the caller renames it at commit.
        self.tmp = PathBuf::new();
        Ok((tmp, target))
    }
}

impl Drop for Quarantine {
    /// A quarantine that is not finished (an extract already in the store,
    /// or an error) leaves no file behind.
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            drop(self.writer.take());
            let _ = fs::remove_file(&self.tmp);
        }
    }
}
