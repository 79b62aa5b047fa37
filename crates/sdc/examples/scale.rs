//! Times `protect` on random 2-D count tables of growing size:
//! `cargo run --release -p peitto-sdc --example scale -- 100 1000 5000`.

use peitto_sdc::table::Leaf;
use peitto_sdc::{Dimension, Policy, Release, protect};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

fn main() {
    for arg in std::env::args().skip(1) {
        let cells: usize = arg.parse().expect("a cell count");
        let side = (cells as f64).sqrt().ceil() as usize;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let a: Vec<String> = (0..side).map(|i| format!("a{i}")).collect();
        let b: Vec<String> = (0..side).map(|i| format!("b{i}")).collect();
        let leaves: Vec<Leaf> = a
            .iter()
            .flat_map(|x| b.iter().map(move |y| (x.clone(), y.clone())))
            .map(|(x, y)| {
                let v: u64 = if rng.random_bool(0.1) {
                    rng.random_range(1..5)
                } else {
                    rng.random_range(5..60)
                };
                Leaf {
                    codes: vec![x, y],
                    value: v as f64,
                    contributors: v,
                    top: vec![],
                }
            })
            .collect();
        let ar: Vec<&str> = a.iter().map(String::as_str).collect();
        let br: Vec<&str> = b.iter().map(String::as_str).collect();
        let mut r = Release::single(
            "t",
            vec![
                Dimension::flat("a", "T", &ar),
                Dimension::flat("b", "T", &br),
            ],
            &leaves,
            false,
        )
        .unwrap();
        let start = Instant::now();
        let audit = protect(&mut r, &Policy::frequency(5)).unwrap();
        let secondary = r
            .cells
            .iter()
            .filter(|c| c.status == peitto_sdc::Status::Secondary)
            .count();
        println!(
            "{} cells: {:.2} s, {} suppressed ({} secondary), audit {}",
            r.cells.len(),
            start.elapsed().as_secs_f64(),
            r.suppressed().len(),
            secondary,
            audit.passed()
        );
    }
}
