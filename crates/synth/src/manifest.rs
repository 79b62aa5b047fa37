//! The manifest: every file written, its rows and the rows made dirty on
//! purpose, saved as `synth-manifest.json`.

use crate::SynthError;
use serde::Serialize;
use std::path::Path;

/// One written file.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    /// Path relative to the output folder.
    pub path: String,
    /// Mapping it is written in.
    pub mapping: String,
    /// Model table.
    pub table: String,
    /// Data rows written (dirty ones included).
    pub rows: u64,
    /// The dirty rows: row number in the file and the fault.
    pub dirty: Vec<DirtyRow>,
}

/// A row made dirty on purpose.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DirtyRow {
    /// Row number (header is row 1).
    pub row: u64,
    /// The fault, named as the ingest's rejection reason.
    pub reason: &'static str,
}

/// What `generate` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Seed.
    pub seed: u64,
    /// Scale.
    pub scale: u32,
    /// Every file.
    pub files: Vec<FileEntry>,
}

/// Writes `manifest` as `out/synth-manifest.json`.
pub(crate) fn write(manifest: &Manifest, out: &Path) -> Result<(), SynthError> {
    let json = serde_json::to_vec_pretty(manifest).map_err(|e| SynthError::Write {
        path: out.to_owned(),
        message: e.to_string(),
    })?;
    let path = out.join("synth-manifest.json");
    std::fs::write(&path, json).map_err(|e| SynthError::Write {
        path,
        message: e.to_string(),
    })
}
