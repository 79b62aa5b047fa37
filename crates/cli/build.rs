//! Puts the dashboard's page and viewer into `OUT_DIR/viewer/` so the
//! binary carries them (`include_bytes!` in `viewer_assets.rs`): an
//! installed `peitto` builds dashboards from any folder. The viewer
//! (`web/dist`, made by `bash web/build.sh`) may not be built yet, as on a
//! fresh checkout where `cargo clippy` runs first: then empty files stand
//! in and `peitto dashboard build` says how to get it.

use std::path::Path;

const DIST: [&str; 2] = ["peitto_viewer.js", "peitto_viewer_bg.wasm"];
const PAGE: [&str; 3] = ["index.html", "app.js", "style.css"];

fn main() -> std::io::Result<()> {
    let root = std::env::var("CARGO_MANIFEST_DIR").map_err(std::io::Error::other)?;
    let out = std::env::var("OUT_DIR").map_err(std::io::Error::other)?;
    let web = Path::new(&root).join("web");
    let target = Path::new(&out).join("viewer");
    std::fs::create_dir_all(&target)?;
    let dist = web.join("dist");
    let built = DIST.iter().all(|f| dist.join(f).is_file());
    for f in DIST {
        if built {
            std::fs::copy(dist.join(f), target.join(f))?;
            println!("cargo::rerun-if-changed={}", dist.join(f).display());
        } else {
            std::fs::write(target.join(f), b"")?;
        }
    }
    if !built {
        // Rerun once web/build.sh has made web/dist: a new entry changes
        // the folder's listing.
        println!("cargo::rerun-if-changed={}", web.display());
    }
    for f in PAGE {
        std::fs::copy(web.join(f), target.join(f))?;
        println!("cargo::rerun-if-changed={}", web.join(f).display());
    }
    Ok(())
}
