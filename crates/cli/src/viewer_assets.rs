//! The dashboard's page and viewer: the copies built into the binary (see
//! `build.rs`), or, for development, a `web/build.sh` output folder given
//! with `--viewer` (its page files then come from the folder above it).

use peitto_i18n::{Lang, format as tr, text};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

macro_rules! embedded {
    ($file:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/viewer/", $file))
    };
}

/// Why the viewer could not be had.
#[derive(Debug, thiserror::Error)]
pub enum AssetError {
    /// This binary was built before `web/dist` was.
    #[error("this binary carries no dashboard viewer")]
    NotEmbedded,
    /// The folder given lacks the viewer.
    #[error("no built viewer in {0}")]
    NotBuilt(PathBuf),
    /// A file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl AssetError {
    /// The message for the user.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AssetError::NotEmbedded => text(lang, "board.no_viewer").to_owned(),
            AssetError::NotBuilt(path) => {
                tr(lang, "dashboard.no_viewer", &[("path", &path.display())])
            }
            AssetError::Read { .. } => self.to_string(),
        }
    }
}

/// The files the site is made of.
pub struct Assets {
    pub js: Cow<'static, [u8]>,
    pub wasm: Cow<'static, [u8]>,
    pub index: Cow<'static, [u8]>,
    pub app: Cow<'static, [u8]>,
    pub style: Cow<'static, [u8]>,
}

fn read(path: PathBuf) -> Result<Cow<'static, [u8]>, AssetError> {
    std::fs::read(&path)
        .map(Cow::Owned)
        .map_err(|source| AssetError::Read { path, source })
}

impl Assets {
    /// From `dir` when given, else the copies built in.
    pub fn load(dir: Option<&Path>) -> Result<Assets, AssetError> {
        let Some(dir) = dir else {
            let wasm: &'static [u8] = embedded!("peitto_viewer_bg.wasm");
            if wasm.is_empty() {
                return Err(AssetError::NotEmbedded);
            }
            return Ok(Assets {
                js: Cow::Borrowed(embedded!("peitto_viewer.js")),
                wasm: Cow::Borrowed(wasm),
                index: Cow::Borrowed(embedded!("index.html")),
                app: Cow::Borrowed(embedded!("app.js")),
                style: Cow::Borrowed(embedded!("style.css")),
            });
        };
        if !dir.join("peitto_viewer_bg.wasm").is_file() || !dir.join("peitto_viewer.js").is_file() {
            return Err(AssetError::NotBuilt(dir.to_path_buf()));
        }
        // The page's files beside the viewer, or (as web/build.sh lays
        // them out: web/dist under web/) in the folder above it.
        let page = |name: &str| {
            let here = dir.join(name);
            if here.is_file() {
                return read(here);
            }
            read(dir.parent().unwrap_or(Path::new("web")).join(name))
        };
        Ok(Assets {
            js: read(dir.join("peitto_viewer.js"))?,
            wasm: read(dir.join("peitto_viewer_bg.wasm"))?,
            index: page("index.html")?,
            app: page("app.js")?,
            style: page("style.css")?,
        })
    }

    /// Whether this binary carries the viewer.
    pub fn embedded() -> bool {
        !embedded!("peitto_viewer_bg.wasm").is_empty()
    }
}
