//! Publishing a release: its files are written and hashed, the release log
//! gets one entry naming them, and only then do they appear.

use peitto_auditlog::{Entry, FileHash, Release};
use std::path::{Path, PathBuf};

/// A release folder being written: files go to a hidden folder beside the
/// destination, which replaces the destination in one rename when all are
/// written. Dropped without [`Staging::commit`], it is removed: a failed
/// run leaves no partial output.
#[derive(Debug)]
pub(crate) struct Staging {
    dir: PathBuf,
    dest: PathBuf,
    committed: bool,
}

/// Cleans up after a publishing process that died (kill -9, power cut):
/// its staging folder is removed (its files were never logged, and `out/`
/// is the folder that leaves the building), and a previous release it had
/// moved aside is put back where its own new one never arrived. Only
/// folders of processes no longer running are touched.
fn recover_orphans(out: &Path) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if let Some(rest) = name.strip_prefix(".staging-") {
            // NAME-PID-SERIAL
            let mut parts = rest.rsplitn(3, '-');
            let pid = parts.nth(1).and_then(|p| p.parse().ok());
            if pid.is_some_and(process_is_gone) {
                let _ = std::fs::remove_dir_all(&path);
            }
        } else if let Some((dest, pid)) = name
            .strip_prefix(".old-")
            .and_then(|rest| rest.rsplit_once('-'))
            && pid.parse().ok().is_some_and(process_is_gone)
        {
            let dest = out.join(dest);
            if dest.exists() {
                let _ = std::fs::remove_dir_all(&path);
            } else {
                let _ = std::fs::rename(&path, &dest);
            }
        }
    }
}

/// Whether no process `pid` runs now. Only where the system says so
/// (`/proc`); elsewhere every process counts as running and nothing is
/// touched.
fn process_is_gone(pid: u32) -> bool {
    let proc = Path::new("/proc");
    pid != std::process::id() && proc.join("self").exists() && !proc.join(pid.to_string()).exists()
}

impl Staging {
    /// Starts writing the folder `out/name`.
    ///
    /// # Errors
    /// If the staging folder cannot be made.
    pub(crate) fn new(out: &Path, name: &str) -> std::io::Result<Staging> {
        std::fs::create_dir_all(out)?;
        recover_orphans(out);
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = out.join(format!(".staging-{name}-{}-{n}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Staging {
            dir,
            dest: out.join(name),
            committed: false,
        })
    }

    /// Writes one file (path relative to the release folder).
    ///
    /// # Errors
    /// If it cannot be written.
    pub(crate) fn write(&self, rel: &str, bytes: &[u8]) -> std::io::Result<()> {
        let path = self.dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)
    }

    /// Puts the folder in place, replacing an older one of the same name.
    ///
    /// # Errors
    /// If the rename fails (the staging folder is then removed).
    pub(crate) fn commit(mut self) -> std::io::Result<PathBuf> {
        let old = self.dest.with_file_name(format!(
            ".old-{}-{}",
            self.dest
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("release"),
            std::process::id()
        ));
        let had_old = self.dest.exists();
        if had_old {
            std::fs::rename(&self.dest, &old)?;
        }
        if let Err(e) = std::fs::rename(&self.dir, &self.dest) {
            if had_old {
                let _ = std::fs::rename(&old, &self.dest);
            }
            return Err(e);
        }
        self.committed = true;
        if had_old {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(self.dest.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A single file being written: a temporary file beside the destination,
/// synced, renamed over it on commit; removed when dropped uncommitted.
#[derive(Debug)]
struct StagedFile {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl StagedFile {
    fn new(dest: &Path, bytes: &[u8]) -> std::io::Result<StagedFile> {
        use std::io::Write as _;
        let dir = dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = dest.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let staged = StagedFile {
            tmp,
            dest: dest.to_path_buf(),
            committed: false,
        };
        let mut file = std::fs::File::create(&staged.tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        Ok(staged)
    }

    fn commit(mut self) -> std::io::Result<PathBuf> {
        std::fs::rename(&self.tmp, &self.dest)?;
        self.committed = true;
        // The rename itself is durable once the folder is synced.
        let dir = self
            .dest
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(dir).and_then(|d| d.sync_all())?;
        Ok(self.dest.clone())
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Where a publication goes.
#[derive(Debug)]
pub enum Target {
    /// A folder `out/name`, replaced as a whole.
    Folder {
        /// The folder it goes in.
        out: PathBuf,
        /// Its name (also the prefix of every file in the log).
        name: String,
    },
    /// One file, replaced atomically.
    File(PathBuf),
    /// The caller prints it (the terminal); only logged here.
    Stdout,
}

/// Why a publication failed: nothing was published.
#[derive(Debug, thiserror::Error)]
pub enum PublicationError {
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The release log could not take the entry (nothing is released that
    /// cannot be logged).
    #[error("the audit log: {0}")]
    Log(#[from] peitto_auditlog::AuditError),
    /// A single-file publication was given a second file, a file that
    /// would not be in the log entry, or none at all.
    #[error("a publication to one file or the terminal has exactly one logged output")]
    OneOutput,
}

/// The release log a publication is entered in: the project's audit folder
/// and the operating-system user releasing.
#[derive(Debug, Clone)]
pub struct Log {
    /// The audit folder.
    pub dir: PathBuf,
    /// Who releases.
    pub user: String,
}

impl Log {
    /// The log in `audit_dir`, for the user running this process.
    #[must_use]
    pub fn for_operator(audit_dir: &Path) -> Log {
        Log {
            dir: audit_dir.to_path_buf(),
            user: peitto_auditlog::operator().unwrap_or_else(|| "?".to_owned()),
        }
    }
}

/// One release's files on their way out: each is written (to a staging
/// folder, or a temporary file beside the one destination) and hashed as
/// it is added; [`Publication::commit`] enters them
/// in the release log and then puts them in place. This is the only place
/// that appends to the release log.
#[derive(Debug)]
pub struct Publication {
    target: Target,
    stage: Option<Staging>,
    files: Vec<FileHash>,
    /// The one file of a [`Target::File`], staged beside its destination.
    single: Option<StagedFile>,
}

impl Publication {
    /// Starts a publication.
    ///
    /// # Errors
    /// If a staging folder cannot be made.
    pub fn new(target: Target) -> Result<Publication, PublicationError> {
        let stage =
            match &target {
                Target::Folder { out, name } => Some(Staging::new(out, name).map_err(
                    |source| PublicationError::Io {
                        path: out.join(name),
                        source,
                    },
                )?),
                Target::File(_) | Target::Stdout => None,
            };
        Ok(Publication {
            target,
            stage,
            files: Vec::new(),
            single: None,
        })
    }

    /// The name the log gives a file `rel` of this publication.
    fn logged_name(&self, rel: &str) -> String {
        match &self.target {
            Target::Folder { name, .. } => format!("{name}/{rel}"),
            Target::File(path) => path.display().to_string(),
            Target::Stdout => "stdout".to_owned(),
        }
    }

    /// Adds a file (for a folder, `rel` is its path inside it; for a
    /// single file or the terminal, the one output). It is written and its
    /// SHA-256 goes in the log entry.
    ///
    /// # Errors
    /// If it cannot be written.
    pub fn add(&mut self, rel: &str, bytes: &[u8]) -> Result<(), PublicationError> {
        match &self.target {
            Target::Folder { .. } => self.write(rel, bytes)?,
            Target::File(path) => {
                if !self.files.is_empty() {
                    return Err(PublicationError::OneOutput);
                }
                self.single =
                    Some(
                        StagedFile::new(path, bytes).map_err(|source| PublicationError::Io {
                            path: path.clone(),
                            source,
                        })?,
                    );
            }
            Target::Stdout if !self.files.is_empty() => return Err(PublicationError::OneOutput),
            Target::Stdout => {}
        }
        self.files.push(FileHash {
            name: self.logged_name(rel),
            sha256: peitto_auditlog::sha256(bytes),
        });
        Ok(())
    }

    /// Writes a file of a folder that is not in the log entry: one that
    /// carries the entry's own hash (a cover page, the dashboard's
    /// manifest), or the page and viewer of a site.
    ///
    /// # Errors
    /// If it cannot be written, or the publication is not a folder (its
    /// one output is logged).
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), PublicationError> {
        let (Some(stage), Target::Folder { out, name }) = (&self.stage, &self.target) else {
            return Err(PublicationError::OneOutput);
        };
        stage
            .write(rel, bytes)
            .map_err(|source| PublicationError::Io {
                path: out.join(name).join(rel),
                source,
            })
    }

    /// Enters the release in the log (`release.files` are this
    /// publication's), then lets `after` write the files that carry the
    /// entry's hash, then puts everything in place. Returns the entry and,
    /// for a folder or file, where it went. Without a `log` (a table
    /// protected outside a project) nothing is entered.
    ///
    /// # Errors
    /// If the log refuses the entry (nothing is published) or a file
    /// cannot be put in place.
    pub fn commit(
        mut self,
        log: Option<&Log>,
        release: Release,
        after: impl FnOnce(&mut Publication, Option<&Entry>) -> Result<(), PublicationError>,
    ) -> Result<(Option<Entry>, Option<PathBuf>), PublicationError> {
        let one_output = match self.target {
            Target::Folder { .. } => true,
            Target::File(_) => self.single.is_some(),
            Target::Stdout => self.files.len() == 1,
        };
        if !one_output {
            return Err(PublicationError::OneOutput);
        }
        let entry = match log {
            Some(log) => Some(peitto_auditlog::append(
                &log.dir,
                &log.user,
                Release {
                    files: std::mem::take(&mut self.files),
                    ..release
                },
            )?),
            None => None,
        };
        after(&mut self, entry.as_ref())?;
        let path = match (&self.target, self.stage.take(), self.single.take()) {
            (Target::Folder { out, name }, Some(stage), _) => {
                Some(stage.commit().map_err(|source| PublicationError::Io {
                    path: out.join(name),
                    source,
                })?)
            }
            (Target::File(path), _, Some(staged)) => {
                Some(staged.commit().map_err(|source| PublicationError::Io {
                    path: path.clone(),
                    source,
                })?)
            }
            _ => None,
        };
        Ok((entry, path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release() -> Release {
        Release {
            command: "report".into(),
            subject: "t".into(),
            ..Release::default()
        }
    }

    #[test]
    fn what_a_killed_release_left_is_cleaned_up_by_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        // Beyond the largest process id Linux gives (2^22): never running.
        let dead = 4_194_399;
        let alive = std::process::id();
        let make = |rel: &str| {
            std::fs::create_dir_all(out.join(rel)).unwrap();
            std::fs::write(out.join(rel).join("t.csv"), b"x").unwrap();
        };
        make(&format!(".staging-reports-2024-{dead}-0"));
        make(&format!(".staging-a-b-2024-{alive}-7"));
        // Killed between moving the old release aside and putting the new in.
        make(&format!(".old-care_costs-2025-{dead}"));
        // Killed after the new one was in place.
        make("placed_children-2025");
        make(&format!(".old-placed_children-2025-{dead}"));
        let staging = Staging::new(&out, "x-2025").unwrap();
        let left: std::collections::BTreeSet<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with(".staging-x-2025"))
            .collect();
        let expected: std::collections::BTreeSet<String> = [
            format!(".staging-a-b-2024-{alive}-7"),
            "care_costs-2025".to_owned(),
            "placed_children-2025".to_owned(),
        ]
        .into();
        assert_eq!(left, expected);
        assert!(out.join("care_costs-2025/t.csv").is_file());
        drop(staging);
    }

    #[test]
    fn a_folder_appears_with_its_files_logged_and_the_cover_after() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log {
            dir: dir.path().join("audit"),
            user: "planner".into(),
        };
        let mut p = Publication::new(Target::Folder {
            out: dir.path().join("out"),
            name: "r-2025".into(),
        })
        .unwrap();
        p.add("fi/a.csv", b"a;1\n").unwrap();
        assert!(
            !dir.path().join("out/r-2025").exists(),
            "visible before commit"
        );
        let (entry, path) = p
            .commit(Some(&log), release(), |p, entry| {
                p.write("index.html", entry.unwrap().hash.as_bytes())
            })
            .unwrap();
        let entry = entry.unwrap();
        let path = path.unwrap();
        assert_eq!(std::fs::read(path.join("fi/a.csv")).unwrap(), b"a;1\n");
        assert_eq!(
            std::fs::read_to_string(path.join("index.html")).unwrap(),
            entry.hash
        );
        assert_eq!(entry.user, "planner");
        assert_eq!(
            entry.release.files,
            vec![FileHash {
                name: "r-2025/fi/a.csv".into(),
                sha256: peitto_auditlog::sha256(b"a;1\n"),
            }]
        );
        assert_eq!(peitto_auditlog::verify(&log.dir).unwrap().len(), 1);
    }

    #[test]
    fn a_damaged_log_publishes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit");
        std::fs::create_dir_all(&audit).unwrap();
        std::fs::write(audit.join(peitto_auditlog::LOG), "not a log entry\n").unwrap();
        let log = Log {
            dir: audit,
            user: "planner".into(),
        };
        let out = dir.path().join("table.csv");
        let mut p = Publication::new(Target::File(out.clone())).unwrap();
        p.add("table.csv", b"x").unwrap();
        assert!(p.commit(Some(&log), release(), |_, _| Ok(())).is_err());
        assert!(!out.exists());
        let mut folder = Publication::new(Target::Folder {
            out: dir.path().join("out"),
            name: "r".into(),
        })
        .unwrap();
        folder.add("a.csv", b"a").unwrap();
        assert!(folder.commit(Some(&log), release(), |_, _| Ok(())).is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path().join("out")).unwrap().collect();
        assert!(left.is_empty(), "staging left behind: {left:?}");
    }

    #[test]
    fn a_file_that_cannot_be_written_is_not_logged() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::for_operator(&dir.path().join("audit"));
        let mut p =
            Publication::new(Target::File(dir.path().join("no/such/folder/t.csv"))).unwrap();
        assert!(p.add("t.csv", b"1").is_err());
        // Whoever goes on regardless logs nothing: there is no output.
        assert!(matches!(
            p.commit(Some(&log), release(), |_, _| Ok(())),
            Err(PublicationError::OneOutput)
        ));
        assert!(!dir.path().join("audit").join(peitto_auditlog::LOG).exists());
    }

    #[test]
    fn one_file_publications_take_exactly_one_logged_output() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("t.csv");
        let mut p = Publication::new(Target::File(out.clone())).unwrap();
        p.add("t.csv", b"1").unwrap();
        assert!(matches!(
            p.add("t.csv", b"2"),
            Err(PublicationError::OneOutput)
        ));
        assert!(matches!(
            p.write("x", b"3"),
            Err(PublicationError::OneOutput)
        ));
        drop(p);
        assert!(!out.exists());
        let leftover: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(leftover.is_empty(), "temporary file left: {leftover:?}");
        let mut s = Publication::new(Target::Stdout).unwrap();
        s.add("stdout", b"1").unwrap();
        assert!(matches!(
            s.add("stdout", b"2"),
            Err(PublicationError::OneOutput)
        ));
    }

    #[test]
    fn a_file_is_written_atomically_and_stdout_only_logged() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::for_operator(&dir.path().join("audit"));
        let out = dir.path().join("t.csv");
        let mut p = Publication::new(Target::File(out.clone())).unwrap();
        p.add("t.csv", b"1").unwrap();
        let (entry, path) = p.commit(Some(&log), release(), |_, _| Ok(())).unwrap();
        assert_eq!(path.as_deref(), Some(out.as_path()));
        assert_eq!(std::fs::read(&out).unwrap(), b"1");
        assert_eq!(
            entry.unwrap().release.files[0].name,
            out.display().to_string()
        );
        let mut s = Publication::new(Target::Stdout).unwrap();
        s.add("stdout", b"2").unwrap();
        let (entry, path) = s.commit(Some(&log), release(), |_, _| Ok(())).unwrap();
        assert!(path.is_none());
        assert_eq!(entry.unwrap().release.files[0].name, "stdout");
        let mut unlogged = Publication::new(Target::Stdout).unwrap();
        unlogged.add("stdout", b"3").unwrap();
        let (entry, _) = unlogged.commit(None, release(), |_, _| Ok(())).unwrap();
        assert!(entry.is_none());
    }
}
