//! The dashboard's page and viewer built into the binary (see `build.rs`),
//! so an installed `peitto` builds dashboards from any folder.

use peitto_jobs::dashboard::{AssetError, Assets};
use std::borrow::Cow;
use std::path::Path;

macro_rules! embedded {
    ($file:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/viewer/", $file))
    };
}

/// From `dir` (a `web/build.sh` output) when given, else the copies built in.
pub fn load(dir: Option<&Path>) -> Result<Assets, AssetError> {
    if let Some(dir) = dir {
        return Assets::from_dir(dir);
    }
    let wasm: &'static [u8] = embedded!("peitto_viewer_bg.wasm");
    if wasm.is_empty() {
        return Err(AssetError::NotEmbedded);
    }
    Ok(Assets {
        js: Cow::Borrowed(embedded!("peitto_viewer.js")),
        wasm: Cow::Borrowed(wasm),
        index: Cow::Borrowed(embedded!("index.html")),
        app: Cow::Borrowed(embedded!("app.js")),
        style: Cow::Borrowed(embedded!("style.css")),
    })
}

/// Whether this binary carries the viewer.
pub fn embedded() -> bool {
    !embedded!("peitto_viewer_bg.wasm").is_empty()
}
