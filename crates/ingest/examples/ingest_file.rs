//! Ingests files into a throw-away store with a fixed key and prints the
//! time taken: for profiling the ingest path without the command line and
//! DataFusion (`cargo run --release -p peitto-ingest --example ingest_file -- DIR FILE...`).

use peitto_ingest::{Ingester, Options};
use peitto_mapping::Mapping;
use peitto_project::Key;
use std::path::PathBuf;

// The allocator the `peitto` binary uses, so the profile is the same.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args_os().skip(1).map(PathBuf::from);
    let dir = args.next().ok_or("usage: ingest_file DIR FILE...")?;
    let files: Vec<PathBuf> = args.collect();
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mappings = ["pro_consona", "abilita", "reference"]
        .iter()
        .map(|m| Mapping::load(m))
        .collect::<Result<Vec<_>, _>>()?;
    let ingester = Ingester::new(
        mappings,
        Key::from_bytes([7; 32]),
        dir.join("store"),
        dir.join("quarantine"),
        Options::default(),
    );
    let started = std::time::Instant::now();
    let report = ingester.ingest(&files)?;
    let seconds = started.elapsed().as_secs_f64();
    for file in &report.files {
        println!(
            "{}: {} read, {} accepted, {} rejected",
            file.path, file.rows_read, file.rows_accepted, file.rows_rejected
        );
    }
    println!("{seconds:.2} s");
    Ok(())
}
