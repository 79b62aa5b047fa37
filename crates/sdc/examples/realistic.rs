//! Times `protect` on tables shaped like small-area statistics: municipality
//! → wellbeing county (some counties with one municipality) × placement form
//! (× age band), 25–45 % of cells at 1–4 persons, some zeros:
//! `cargo run --release -p peitto-sdc --example realistic -- 2 300 3 2000`
//! (pairs of dimension count and approximate cell count). `SEEDS=3` runs
//! three tables per size; `AUDIT=1` also runs the full, independent audit
//! ([`peitto_sdc::audit`]: every withheld cell's exact interval) on each
//! released pattern and prints its verdict and time; `AUDIT=check` runs
//! [`peitto_sdc::check`] instead (the same verdict, from scratch, without
//! reusing protection's proofs, and without every secondary's interval).
//! `EXPORT=DIR` writes each table instead of protecting it, for
//! `bench/protect_realistic.py`: `DIR/<n>d-<cells>-s<seed>/` gets
//! `cells.csv` (the most detailed cells, `area;form[;age];count`, as
//! `peitto protect` reads them), `area.csv` (municipality;county pairs for
//! `peitto protect --hierarchy area=area.csv`, the grand total `Total`
//! implied), `area.hrc` (the same hierarchy for tau-Argus) and `cells.tab`
//! with `cells.rda` (tau-Argus's tabular input: codes, count, frequency).

use peitto_sdc::table::Leaf;
use peitto_sdc::{Dimension, Policy, Release, Status, protect};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a number"))
        .collect();
    let seeds: u64 = std::env::var("SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let audit_mode = std::env::var("AUDIT").unwrap_or_default();
    let audit = audit_mode == "1" || audit_mode == "check";
    let full_audit = audit_mode == "1";
    let export = std::env::var_os("EXPORT").map(std::path::PathBuf::from);
    for pair in args.chunks(2) {
        let (n_dims, cells) = (pair[0], pair[1]);
        for seed in 0..seeds {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let (dims, leaves) = table(&mut rng, n_dims, cells);
            if let Some(dir) = &export {
                let dir = dir.join(format!("{n_dims}d-{cells}-s{seed}"));
                write_table(&dir, &dims, &leaves).expect("writing the table");
                println!("{}", dir.display());
                continue;
            }
            let mut r = Release::single("t", dims, &leaves, false).unwrap();
            let start = Instant::now();
            let policy = Policy::frequency(5);
            let result = protect(&mut r, &policy);
            let primary = r
                .cells
                .iter()
                .filter(|c| matches!(c.status, Status::Primary(_)))
                .count();
            let elapsed = start.elapsed().as_secs_f64();
            let secondary: Vec<f64> = r
                .cells
                .iter()
                .filter(|c| c.status == Status::Secondary)
                .map(|c| c.value)
                .collect();
            let full = if audit && result.is_ok() {
                let start = Instant::now();
                let verdict = match if full_audit {
                    peitto_sdc::audit(&r, &policy)
                } else {
                    peitto_sdc::check(&r, &policy)
                } {
                    Ok(a) if a.passed() => "passes".to_owned(),
                    Ok(a) => format!("FAILS ({} primaries)", a.failures.len()),
                    Err(e) => format!("ERROR {e}"),
                };
                format!(
                    ", {} {verdict} ({:.2} s)",
                    if full_audit {
                        "full audit"
                    } else {
                        "fresh check"
                    },
                    start.elapsed().as_secs_f64()
                )
            } else {
                String::new()
            };
            println!(
                "{n_dims}-D seed {seed}: {} cells, {primary} primary: {elapsed:.2} s, {} secondary (value {}), {}{full}",
                r.cells.len(),
                secondary.len(),
                secondary.iter().sum::<f64>(),
                match result {
                    Ok(a) => format!("passed {}", a.passed()),
                    Err(e) => format!("ERROR {e}"),
                }
            );
        }
    }
}

/// Writes one table for `peitto protect` and for tau-Argus (see the module
/// documentation). The generator's total `T` is written as `Total`.
fn write_table(dir: &Path, dims: &[Dimension], leaves: &[Leaf]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let names: Vec<&str> = dims.iter().map(|d| d.name.as_str()).collect();
    let mut csv = format!("{};count\n", names.join(";"));
    for leaf in leaves {
        csv.push_str(&format!("{};{}\n", leaf.codes.join(";"), leaf.value));
    }
    std::fs::write(dir.join("cells.csv"), csv)?;
    // tau-Argus's table, every cell with its totals (pytauargus 0.6.0 fails
    // to complete a table given its leaves alone when a county has a single
    // municipality: CompletedTable error 1025). Empty cells are left out, as
    // tau-Argus has them; a zero is published as such by both tools.
    let release = Release::single("t", dims.to_vec(), leaves, false)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut tab = String::new();
    for (i, cell) in release.cells.iter().enumerate() {
        if cell.value > 0.0 {
            let codes: Vec<&str> = release
                .codes(i)
                .into_iter()
                .map(|c| if c == "T" { "Total" } else { c })
                .collect();
            tab.push_str(&format!(
                "{};{};{}\n",
                codes.join(";"),
                cell.value,
                cell.contributors
            ));
        }
    }
    std::fs::write(dir.join("cells.tab"), tab)?;
    // The area hierarchy: municipality;county pairs (counties under the
    // implied grand total) and the same as a tau-Argus .hrc file.
    let area = &dims[0];
    let mut pairs = String::from("municipality;county\n");
    let mut hrc = String::new();
    for &county in area.children(area.total) {
        hrc.push_str(&format!("{}\n", area.codes[county]));
        for &m in area.children(county) {
            pairs.push_str(&format!("{};{}\n", area.codes[m], area.codes[county]));
            hrc.push_str(&format!("@{}\n", area.codes[m]));
        }
    }
    std::fs::write(dir.join("area.csv"), pairs)?;
    std::fs::write(dir.join("area.hrc"), hrc)?;
    let mut rda = String::from("<SEPARATOR> \";\"\n");
    for (i, name) in names.iter().enumerate() {
        rda.push_str(&format!(
            "{name} \"\" \"\"\n  <RECODEABLE>\n  <TOTCODE> \"Total\"\n"
        ));
        if i == 0 {
            rda.push_str(
                "  <HIERARCHICAL>\n  <HIERCODELIST> \"area.hrc\"\n  <HIERLEADSTRING> \"@\"\n",
            );
        }
    }
    rda.push_str("count \"\" \"\"\n  <NUMERIC>\nfreq \"\" \"\"\n  <FREQUENCY>\n");
    std::fs::write(dir.join("cells.rda"), rda)
}

fn table(rng: &mut ChaCha8Rng, n_dims: usize, cells: usize) -> (Vec<Dimension>, Vec<Leaf>) {
    let other: usize = if n_dims == 3 { 6 * 5 } else { 6 };
    let municipalities = (cells / (other + other / 3)).max(2);
    let mut pairs = Vec::new();
    let mut munis = Vec::new();
    let mut m = 0;
    let mut k = 0;
    while m < municipalities {
        let size = if rng.random_bool(0.3) {
            1
        } else {
            rng.random_range(2..6)
        };
        for _ in 0..size.min(municipalities - m) {
            pairs.push((format!("m{m}"), format!("k{k}")));
            munis.push(format!("m{m}"));
            m += 1;
        }
        pairs.push((format!("k{k}"), "T".to_owned()));
        k += 1;
    }
    let mut dims = vec![Dimension::from_parents("area", "T", &pairs).unwrap()];
    let forms: Vec<String> = (0..5).map(|i| format!("f{i}")).collect();
    let fr: Vec<&str> = forms.iter().map(String::as_str).collect();
    dims.push(Dimension::flat("form", "T", &fr));
    let mut lists = vec![munis, forms.clone()];
    if n_dims == 3 {
        let ages: Vec<String> = (0..4).map(|i| format!("a{i}")).collect();
        let ar: Vec<&str> = ages.iter().map(String::as_str).collect();
        dims.push(Dimension::flat("age", "T", &ar));
        lists.push(ages);
    }
    let small = rng.random_range(0.25..0.45);
    let mut keys = vec![Vec::new()];
    for list in &lists {
        keys = keys
            .into_iter()
            .flat_map(|p: Vec<String>| {
                list.iter().map(move |x| {
                    let mut p = p.clone();
                    p.push(x.clone());
                    p
                })
            })
            .collect();
    }
    let leaves = keys
        .into_iter()
        .map(|codes| {
            let v: u64 = if rng.random_bool(0.1) {
                0
            } else if rng.random_bool(small) {
                rng.random_range(1..5)
            } else {
                rng.random_range(5..60)
            };
            Leaf {
                codes,
                value: v as f64,
                contributors: v,
                top: vec![],
            }
        })
        .collect();
    (dims, leaves)
}
