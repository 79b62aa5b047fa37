//! Synthetic register extracts.
//!
//! This crate owns `peitto synth`: realistic, deterministic extracts for the
//! five municipalities of the seeds (Kotka 285, Kemi 240, Joroinen 171,
//! Uusikaupunki 895, Pietarsaari 598), written through the same mapping files
//! the ingest reads with, so every shipped dialect (Finnish Windows-1252 CSV,
//! Swedish XLSX and UTF-8 CSV) is exercised both ways. Henkilötunnus values
//! use only the individual numbers 900–999 (the temporary range DVV's
//! fictitious test persons use), so no code can belong to a real person.
//! A small, known share of rows is made dirty, one kind of fault each, and
//! `synth-manifest.json` lists them so tests can check the ingest catches
//! exactly those. Same seed and scale, same bytes.

mod draw;
mod generator;
mod manifest;
mod municipality;
mod people;
mod reference;
mod sink;

use generator::MunicipalityGen;
use peitto_mapping::{Mapping, MappingError};
use people::PersonFactory;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use reference::reference_files;
use std::path::{Path, PathBuf};

pub use manifest::{DirtyRow, FileEntry, Manifest};
pub use municipality::{FIRST_YEAR, LAST_YEAR, MUNICIPALITIES, Municipality};
pub use sink::Dirt;

/// A generation failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A shipped mapping is broken.
    #[error(transparent)]
    Mapping(#[from] MappingError),
    /// Writing failed.
    #[error("{path}: {message}")]
    Write {
        /// Where.
        path: PathBuf,
        /// What.
        message: String,
    },
}
/// Generates synthetic extracts into `out` for all five municipalities.
///
/// # Errors
/// If a file cannot be written.
pub fn generate(seed: u64, scale: u32, out: &Path) -> Result<Manifest, SynthError> {
    generate_for(seed, scale, out, &[])
}

/// Generates extracts for the municipalities whose codes are listed (all if
/// none are), plus the reference data.
///
/// # Errors
/// If a file cannot be written or a code is not one of the five.
pub fn generate_for(
    seed: u64,
    scale: u32,
    out: &Path,
    only: &[String],
) -> Result<Manifest, SynthError> {
    if let Some(unknown) = only
        .iter()
        .find(|c| !MUNICIPALITIES.iter().any(|m| m.code == c.as_str()))
    {
        return Err(SynthError::Write {
            path: out.to_owned(),
            message: format!("no synthetic municipality {unknown}; use 285, 240, 171, 895 or 598"),
        });
    }
    let scale = scale.max(1);
    std::fs::create_dir_all(out).map_err(|e| SynthError::Write {
        path: out.to_owned(),
        message: e.to_string(),
    })?;
    let mut files = Vec::new();
    let mut factory = PersonFactory::new();
    for (i, m) in MUNICIPALITIES.iter().enumerate() {
        if !only.is_empty() && !only.iter().any(|c| c == m.code) {
            continue;
        }
        let mapping = Mapping::load(m.mapping)?;
        let mut rng = ChaCha8Rng::seed_from_u64(
            seed ^ (0x5851_f42d_4c95_7f2d_u64.wrapping_mul(i as u64 + 1)),
        );
        let dir = format!("{}-{}", m.code, m.name_fi.to_lowercase());
        let mut g = MunicipalityGen {
            m,
            mapping: &mapping,
            out,
            dir: &dir,
            scale,
            rng: &mut rng,
            factory: &mut factory,
        };
        files.extend(g.run()?);
    }
    let reference = Mapping::load("reference")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00ff_00ff);
    files.extend(reference_files(&reference, out, scale, &mut rng)?);
    let manifest = Manifest { seed, scale, files };
    manifest::write(&manifest, out)?;
    Ok(manifest)
}
