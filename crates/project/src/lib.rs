//! The project directory.
//!
//! A project is what `peitto init DIR` makes and every other command works
//! on: `peitto.toml` (organisation, mappings in use, authors, disclosure
//! policies), the pseudonymisation key, and the folders `store/` (the
//! pseudonymised analysis store), `out/` (protected releases), `quarantine/`
//! (rejected rows, kept for fixing) and `audit/`. This crate creates, finds
//! and opens projects and guards the key; it knows nothing of data.

use serde::Deserialize;
use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

mod paths;
use paths::resolve;

/// Name of the project file.
pub const PROJECT_FILE: &str = "peitto.toml";
/// Key file, relative to the project root.
pub const KEY_FILE: &str = "key/pseudonym.key";

/// Something wrong with a project.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// No `peitto.toml` in the directory or its parents.
    #[error("no peitto project in {0} or its parents")]
    NotFound(PathBuf),
    /// `init` on a directory that already holds a project.
    #[error("{0} already holds a peitto project")]
    Exists(PathBuf),
    /// `peitto.toml` does not parse.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// The key file is missing, malformed or readable by others.
    #[error("pseudonymisation key {path}: {message}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The project's folder (or a folder or file in it) belongs to another
    /// user than the one running the command.
    #[error("{0} belongs to another user: run peitto as the project folder's owner")]
    NotOwner(PathBuf),
    /// A folder or file of the project is a link to somewhere outside it.
    #[error(
        "{0} is outside the project folder (a link): a project's store, audit trail and key must be inside it"
    )]
    Outside(PathBuf),
    /// File-system error.
    #[error("{path}: {source}")]
    Io {
        /// Where.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ProjectError + '_ {
    move |source| ProjectError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Refuses a project folder (or its store, audit trail, output, key) that
/// belongs to another user than the one running the command: a service
/// user given a planner's own folder would write the service's releases,
/// and its record of them, where the planner can change them, and the
/// planner's files where the service reads them.
fn owned(path: &Path) -> Result<(), ProjectError> {
    use std::os::unix::fs::MetadataExt;
    let meta = fs::metadata(path).map_err(io(path))?;
    if meta.uid() == nix::unistd::geteuid().as_raw() {
        Ok(())
    } else {
        Err(ProjectError::NotOwner(path.to_owned()))
    }
}

/// The 256-bit project key for HMAC-SHA256 pseudonyms.
///
/// Never printed: `Debug` is redacted and there is no `Display`.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

impl Key {
    /// A key from raw bytes (tests and benchmarks).
    #[must_use]
    pub fn from_bytes(bytes: [u8; 32]) -> Key {
        Key(bytes)
    }

    /// The raw key bytes, for the HMAC.
    #[must_use]
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn generate() -> Result<Key, std::io::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Key(bytes))
    }

    fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn from_hex(text: &str) -> Option<Key> {
        let text = text.trim();
        if text.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Key(bytes))
    }
}

/// `[organisation]` of peitto.toml.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Organisation {
    /// Name of the controller (rekisterinpitäjä).
    #[serde(default)]
    pub name: String,
    /// Municipality codes the project covers.
    #[serde(default)]
    pub municipalities: Vec<String>,
    /// Default language of messages and reports: fi, sv or en.
    #[serde(default = "default_language")]
    pub language: String,
}

fn default_language() -> String {
    "fi".to_owned()
}

/// `[ingest]` of peitto.toml.
#[derive(Debug, Clone, Deserialize)]
pub struct IngestConfig {
    /// Mappings in use: built-in ids or paths to TOML files (relative to the project).
    #[serde(default = "default_mappings")]
    pub mappings: Vec<String>,
}

fn default_mappings() -> Vec<String> {
    vec!["pro_consona".into(), "abilita".into(), "reference".into()]
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            mappings: default_mappings(),
        }
    }
}

/// `[authors]` of peitto.toml.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Authors {
    /// Operating-system users allowed to see unprotected results while writing reports.
    #[serde(default)]
    pub users: Vec<String>,
}

/// The parsed peitto.toml. Sections later features read (policies) are kept
/// as raw tables until their owners parse them.
#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    /// Who the project belongs to.
    #[serde(default)]
    pub organisation: Organisation,
    /// Ingest settings.
    #[serde(default)]
    pub ingest: IngestConfig,
    /// Report authors.
    #[serde(default)]
    pub authors: Authors,
    /// Disclosure policies by name (`thl`, `ely`, `public`, `adhoc`, …).
    #[serde(default)]
    pub policies: toml::Table,
    /// Integration compensation settings.
    #[serde(default)]
    pub compensation: CompensationConfig,
    /// Limits and domains of planners' own queries.
    #[serde(default)]
    pub query: QueryConfig,
}

/// `[query]` of peitto.toml: limits of `peitto query` and the year domain
/// its tables are enumerated over.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueryConfig {
    /// Memory one query may use, MiB.
    #[serde(default = "default_memory_mib")]
    pub memory_limit_mib: u64,
    /// Wall-clock seconds one query may run.
    #[serde(default = "default_time_limit")]
    pub time_limit_s: u64,
    /// First year of the year domain.
    #[serde(default = "default_first_year")]
    pub first_year: i32,
    /// Last year of the year domain (none: the current year).
    #[serde(default)]
    pub last_year: Option<i32>,
    /// Most cells a released table may have.
    #[serde(default = "default_max_cells")]
    pub max_cells: usize,
}

fn default_memory_mib() -> u64 {
    4096
}
fn default_time_limit() -> u64 {
    60
}
fn default_first_year() -> i32 {
    2010
}
fn default_max_cells() -> usize {
    50_000
}

impl Default for QueryConfig {
    fn default() -> Self {
        QueryConfig {
            memory_limit_mib: default_memory_mib(),
            time_limit_s: default_time_limit(),
            first_year: default_first_year(),
            last_year: None,
            max_cells: default_max_cells(),
        }
    }
}

/// `[compensation]` of peitto.toml.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct CompensationConfig {
    /// The municipality's flat rates by year (`[[compensation.rates]]`);
    /// none: the built-in rates.
    #[serde(default)]
    pub rates: Vec<RateConfig>,
}

/// One `[[compensation.rates]]` entry: euros a year per person, in force
/// from `from_year` until the next entry's year.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateConfig {
    /// First year the rates apply to.
    pub from_year: i32,
    /// Per person aged under 7.
    pub under_7: f64,
    /// Per person aged 7 or over.
    pub from_7: f64,
}

/// An opened project.
#[derive(Debug, Clone)]
pub struct Project {
    root: PathBuf,
    /// Parsed peitto.toml.
    pub config: Config,
}

const TEMPLATE: &str = include_str!("peitto.toml.template");

impl Project {
    /// Creates a project in `dir` (created if missing; it may exist but must
    /// not hold a project already) and a fresh key.
    ///
    /// # Errors
    /// If a project is already there or the files cannot be written.
    pub fn init(dir: &Path, organisation: &str) -> Result<Project, ProjectError> {
        let config_path = dir.join(PROJECT_FILE);
        if config_path.exists() {
            return Err(ProjectError::Exists(dir.to_owned()));
        }
        fs::create_dir_all(dir).map_err(io(dir))?;
        for (sub, mode) in [
            ("store", 0o700),
            ("out", 0o755),
            ("quarantine", 0o700),
            ("audit", 0o700),
            ("key", 0o700),
        ] {
            let path = dir.join(sub);
            fs::create_dir_all(&path).map_err(io(&path))?;
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).map_err(io(&path))?;
        }
        let key_path = dir.join(KEY_FILE);
        let key = Key::generate().map_err(io(&key_path))?;
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key_path)
            .map_err(io(&key_path))?;
        file.write_all(format!("{}\n", key.to_hex()).as_bytes())
            .map_err(io(&key_path))?;
        file.sync_all().map_err(io(&key_path))?;
        let escaped = organisation.replace('\\', "\\\\").replace('"', "\\\"");
        let text = TEMPLATE.replace("{organisation}", &escaped);
        write_new(&config_path, text.as_bytes())?;
        Project::open(dir)
    }

    /// Opens the project whose root is `dir`.
    ///
    /// # Errors
    /// If `dir` holds no `peitto.toml` or it does not parse.
    pub fn open(dir: &Path) -> Result<Project, ProjectError> {
        let config_path = dir.join(PROJECT_FILE);
        if !config_path.is_file() {
            return Err(ProjectError::NotFound(dir.to_owned()));
        }
        let text = fs::read_to_string(&config_path).map_err(io(&config_path))?;
        let config: Config = toml::from_str(&text).map_err(|e| ProjectError::Config {
            path: config_path.clone(),
            message: e.to_string(),
        })?;
        // The folder as it is now, links resolved once: every later path is
        // built from it, so a link above the project that is swapped while a
        // command runs cannot send its reads or writes elsewhere.
        let root = fs::canonicalize(dir).map_err(io(dir))?;
        let project = Project { root, config };
        project.contained()?;
        Ok(project)
    }

    /// Refuses a project whose store, audit trail, quarantine, output or
    /// key lead outside its folder. A folder of one's own with a link to
    /// another project's store would read that store with an empty audit
    /// trail: no record of what was released before, so every earlier
    /// answer could be asked again and differenced. The service user's
    /// folders cannot be read by planners, so a link is the only way in.
    fn contained(&self) -> Result<(), ProjectError> {
        let root = self.root.clone();
        owned(&root)?;
        let key = self.root.join(KEY_FILE);
        for path in [
            self.store_dir(),
            self.audit_dir(),
            self.quarantine_dir(),
            self.out_dir(),
            key,
        ] {
            if fs::symlink_metadata(&path).is_err() {
                continue;
            }
            let real = fs::canonicalize(&path).map_err(|_| ProjectError::Outside(path.clone()))?;
            if !real.starts_with(&root) {
                return Err(ProjectError::Outside(path));
            }
            owned(&real)?;
        }
        Ok(())
    }

    /// Finds the project at `start` or the nearest parent that has one.
    ///
    /// # Errors
    /// [`ProjectError::NotFound`] if there is none.
    pub fn discover(start: &Path) -> Result<Project, ProjectError> {
        let mut dir = Some(start);
        while let Some(d) = dir {
            if d.join(PROJECT_FILE).is_file() {
                return Project::open(d);
            }
            dir = d.parent();
        }
        Err(ProjectError::NotFound(start.to_owned()))
    }

    /// Project root.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `store/`.
    #[must_use]
    pub fn store_dir(&self) -> PathBuf {
        self.root.join("store")
    }

    /// `out/`.
    #[must_use]
    pub fn out_dir(&self) -> PathBuf {
        self.root.join("out")
    }

    /// `quarantine/`.
    #[must_use]
    pub fn quarantine_dir(&self) -> PathBuf {
        self.root.join("quarantine")
    }

    /// `audit/`.
    #[must_use]
    pub fn audit_dir(&self) -> PathBuf {
        self.root.join("audit")
    }

    /// Whether `path` is, or lies inside, one of the project's own files
    /// that an output must never replace: its settings, key, store, audit
    /// trail or quarantine (a dashboard built with `--out audit` replaced
    /// the record of earlier answers, and `audit verify` then passed on the
    /// fresh one). Links and `..` are resolved as far as the path exists.
    #[must_use]
    pub fn owns(&self, path: &Path) -> bool {
        let resolved = resolve(path);
        let root = resolve(&self.root);
        [
            root.join(PROJECT_FILE),
            root.join("key"),
            root.join("store"),
            root.join("audit"),
            root.join("quarantine"),
        ]
        .iter()
        .any(|own| resolved.starts_with(own))
    }

    /// Reads the pseudonymisation key, refusing one that others can read.
    ///
    /// # Errors
    /// If the key is missing, malformed or group/world accessible.
    pub fn key(&self) -> Result<Key, ProjectError> {
        let path = self.root.join(KEY_FILE);
        let key_error = |message: &str| ProjectError::Key {
            path: path.clone(),
            message: message.to_owned(),
        };
        let meta = fs::metadata(&path).map_err(|e| key_error(&e.to_string()))?;
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(key_error(
                "others can read it; run `chmod 600` on it and consider the key exposed",
            ));
        }
        let text = fs::read_to_string(&path).map_err(|e| key_error(&e.to_string()))?;
        Key::from_hex(&text).ok_or_else(|| key_error("not 64 hexadecimal digits"))
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<(), ProjectError> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io(path))?;
    file.write_all(bytes).map_err(io(path))?;
    file.sync_all().map_err(io(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_opened_through_a_link_stays_where_the_link_pointed() {
        // A planner's link in the path, swapped to another folder while a
        // command runs, must not move the command's reads and writes.
        let tmp = tempfile::tempdir().unwrap();
        let service = Project::init(&tmp.path().join("service"), "").unwrap();
        let own = Project::init(&tmp.path().join("own"), "").unwrap();
        let link = tmp.path().join("x");
        std::os::unix::fs::symlink(service.root(), &link).unwrap();
        let opened = Project::open(&link.join(".")).unwrap();
        fs::remove_file(&link).unwrap();
        std::os::unix::fs::symlink(own.root(), &link).unwrap();
        let real = fs::canonicalize(tmp.path().join("service")).unwrap();
        assert_eq!(opened.root(), real);
        assert_eq!(opened.audit_dir(), real.join("audit"));
        assert_eq!(opened.store_dir(), real.join("store"));
    }

    #[test]
    fn a_project_of_another_user_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        Project::init(&dir, "").unwrap();
        assert!(Project::open(&dir).is_ok());
        // Given to another user (root can; anyone else cannot give files
        // away, and then the folder "/" of root stands for another's).
        let me = nix::unistd::geteuid().as_raw();
        if me == 0 {
            std::os::unix::fs::chown(&dir, Some(65_534), None).unwrap();
            assert!(
                matches!(Project::open(&dir), Err(ProjectError::NotOwner(p)) if p == fs::canonicalize(&dir).unwrap())
            );
            std::os::unix::fs::chown(&dir, Some(0), None).unwrap();
            std::os::unix::fs::chown(dir.join("audit"), Some(65_534), None).unwrap();
            assert!(matches!(
                Project::open(&dir),
                Err(ProjectError::NotOwner(_))
            ));
        } else {
            assert!(matches!(
                owned(Path::new("/")),
                Err(ProjectError::NotOwner(_))
            ));
        }
        assert!(owned(tmp.path()).is_ok());
    }

    #[test]
    fn init_makes_folders_and_a_private_key() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p");
        let project = Project::init(&dir, "Pohjanmaan \"HVA\"").unwrap();
        for sub in ["store", "out", "quarantine", "audit"] {
            assert!(dir.join(sub).is_dir(), "{sub}");
        }
        let mode = fs::metadata(dir.join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            fs::metadata(dir.join("quarantine"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
        assert_eq!(project.config.organisation.name, "Pohjanmaan \"HVA\"");
        assert!(project.config.policies.contains_key("thl"));
        let key = project.key().unwrap();
        assert!(!format!("{key:?}").contains(&key.to_hex()[..8]));
        // Two projects get different keys.
        let other = Project::init(&tmp.path().join("q"), "x")
            .unwrap()
            .key()
            .unwrap();
        assert_ne!(key.bytes(), other.bytes());
    }

    #[test]
    fn init_refuses_an_existing_project_and_discover_walks_up() {
        let tmp = tempfile::tempdir().unwrap();
        Project::init(tmp.path(), "x").unwrap();
        assert!(matches!(
            Project::init(tmp.path(), "x"),
            Err(ProjectError::Exists(_))
        ));
        let nested = tmp.path().join("out").join("deep");
        fs::create_dir_all(&nested).unwrap();
        assert_eq!(Project::discover(&nested).unwrap().root(), tmp.path());
        let elsewhere = tempfile::tempdir().unwrap();
        assert!(matches!(
            Project::discover(elsewhere.path()),
            Err(ProjectError::NotFound(_))
        ));
    }

    #[test]
    fn refuses_a_key_others_can_read() {
        let tmp = tempfile::tempdir().unwrap();
        let project = Project::init(tmp.path(), "x").unwrap();
        fs::set_permissions(tmp.path().join(KEY_FILE), fs::Permissions::from_mode(0o644)).unwrap();
        let err = project.key().unwrap_err().to_string();
        assert!(err.contains("chmod 600"), "{err}");
    }
}
