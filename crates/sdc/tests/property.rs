//! Property test: random 2-D and 3-D tables with hierarchies are protected,
//! then attacked by an LP written here, independently of the crate's audit
//! (it builds its own equations from the hierarchies), and no primary cell
//! may be pinned below its protection interval.

use microlp::{ComparisonOp, OptimizationDirection, Problem};
use peitto_sdc::table::Leaf;
use peitto_sdc::{Dimension, Policy, Release, Status};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

fn random_dimension(rng: &mut ChaCha8Rng, name: &str) -> (Dimension, Vec<String>) {
    let groups = rng.random_range(1..=2);
    let mut pairs = Vec::new();
    let mut leaves = Vec::new();
    for g in 0..groups {
        let group = format!("{name}G{g}");
        let parent = if groups == 1 {
            "T".to_owned()
        } else {
            pairs.push((group.clone(), "T".to_owned()));
            group
        };
        for l in 0..rng.random_range(2..=3) {
            let leaf = format!("{name}{g}{l}");
            pairs.push((leaf.clone(), parent.clone()));
            leaves.push(leaf);
        }
    }
    (Dimension::from_parents(name, "T", &pairs).unwrap(), leaves)
}

fn cartesian(lists: &[Vec<String>]) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new()];
    for list in lists {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                list.iter().map(move |x| {
                    let mut p = prefix.clone();
                    p.push(x.clone());
                    p
                })
            })
            .collect();
    }
    out
}

/// The attacker: bounds of cell `target` from the published cells, the
/// hierarchy equations, x ≥ 1 for non-empty cells (x ≥ 0 otherwise), and
/// the value of cell `known` if given (a singleton's own person).
fn attack(r: &Release, target: usize, maximise: bool, known: Option<usize>) -> f64 {
    let mut problem = Problem::new(if maximise {
        OptimizationDirection::Maximize
    } else {
        OptimizationDirection::Minimize
    });
    let mut vars = HashMap::new();
    for (i, cell) in r.cells.iter().enumerate() {
        if cell.status.suppressed() && Some(i) != known {
            let lb = if cell.contributors > 0 { 1.0 } else { 0.0 };
            vars.insert(
                i,
                problem.add_var(if i == target { 1.0 } else { 0.0 }, (lb, f64::INFINITY)),
            );
        }
    }
    // Equations straight from the hierarchies: every code with children, in every dimension, for every cell.
    for (i, cell) in r.cells.iter().enumerate() {
        for (d, dim) in r.dims.iter().enumerate() {
            let code = cell.key[d];
            let children: Vec<usize> = (0..dim.codes.len())
                .filter(|&c| dim.parent[c] == Some(code))
                .collect();
            if children.is_empty() {
                continue;
            }
            let mut terms = Vec::new();
            let mut rhs = 0.0;
            let mut add = |idx: usize, coef: f64| match vars.get(&idx) {
                Some(&v) => terms.push((v, coef)),
                None => rhs -= coef * r.cells[idx].value,
            };
            add(i, -1.0);
            for c in children {
                let codes: Vec<&str> = r
                    .codes(i)
                    .iter()
                    .enumerate()
                    .map(|(k, s)| if k == d { dim.codes[c].as_str() } else { *s })
                    .collect();
                add(r.find(&codes).unwrap(), 1.0);
            }
            if !terms.is_empty() {
                problem.add_constraint(terms.as_slice(), ComparisonOp::Eq, rhs);
            }
        }
    }
    match problem.solve() {
        Ok(outcome) => outcome.into_solution().unwrap().var_value(vars[&target]),
        Err(microlp::Error::Unbounded) => {
            if maximise {
                f64::INFINITY
            } else {
                f64::NEG_INFINITY
            }
        }
        Err(e) => panic!("attacker LP: {e}"),
    }
}

#[test]
fn no_primary_cell_is_disclosed_in_random_hierarchical_tables() {
    let mut checked = 0;
    let mut pairs = 0;
    for seed in 0..60u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n_dims = if seed % 3 == 0 { 3 } else { 2 };
        let mut dims = Vec::new();
        let mut leaf_codes = Vec::new();
        for d in 0..n_dims {
            let (dim, leaves) = random_dimension(&mut rng, ["a", "b", "c"][d]);
            dims.push(dim);
            leaf_codes.push(leaves);
        }
        let leaves: Vec<Leaf> = cartesian(&leaf_codes)
            .into_iter()
            .map(|codes| {
                // Many small counts, some zeros, some large.
                let v: u64 = match rng.random_range(0..10) {
                    0 | 1 => 0,
                    2..=4 => rng.random_range(1..5),
                    _ => rng.random_range(5..40),
                };
                let value = v as f64;
                Leaf {
                    codes,
                    value,
                    contributors: v,
                    top: vec![],
                }
            })
            .collect();
        let mut release = Release::single("random", dims, &leaves, false).unwrap();
        let policy = Policy {
            zeros_unsafe: seed % 4 == 1,
            ..Policy::frequency(5)
        };
        let (audit, reasons) = peitto_sdc::protect_explained(&mut release, &policy)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert!(audit.passed());
        // Every secondary names primaries it protects, each tied to it
        // through relations of withheld cells.
        for (i, reason) in reasons.iter().enumerate() {
            if let peitto_sdc::Reason::Secondary(protects) = reason {
                assert!(
                    !protects.is_empty(),
                    "seed {seed}: {} protects nothing",
                    release.describe(i)
                );
                for &p in protects {
                    assert!(matches!(release.cells[p].status, Status::Primary(_)));
                    assert!(
                        withheld_path(&release, i, p),
                        "seed {seed}: {} is said to protect {}, not tied to it",
                        release.describe(i),
                        release.describe(p)
                    );
                }
            } else {
                assert_eq!(
                    matches!(reason, peitto_sdc::Reason::Published),
                    !release.cells[i].status.suppressed()
                );
            }
        }
        for (i, cell) in release.cells.iter().enumerate() {
            if let Status::Primary(_) = cell.status {
                let hi = attack(&release, i, true, None);
                let lo = attack(&release, i, false, None);
                assert!(
                    hi >= 5.0 - 1e-6,
                    "seed {seed}: {} = {} can be shown under 5 (max {hi})",
                    release.describe(i),
                    cell.value
                );
                assert!(
                    lo <= cell.value + 1e-6 && hi > lo + 1e-6,
                    "seed {seed}: {} is exact",
                    release.describe(i)
                );
                checked += 1;
            }
        }
        // The one person in a singleton knows its value: no other primary
        // it shares an equation with (other than its own parts) may then
        // be shown under 5.
        for s in 0..release.cells.len() {
            let single = &release.cells[s];
            if !matches!(single.status, Status::Primary(_)) || single.contributors != 1 {
                continue;
            }
            for p in 0..release.cells.len() {
                if p == s
                    || !matches!(release.cells[p].status, Status::Primary(_))
                    || !shares_equation(&release, s, p)
                    || inside(&release, p, s)
                {
                    continue;
                }
                let hi = attack(&release, p, true, Some(s));
                assert!(
                    hi >= 5.0 - 1e-6,
                    "seed {seed}: knowing singleton {}, {} = {} can be shown under 5 (max {hi})",
                    release.describe(s),
                    release.describe(p),
                    release.cells[p].value
                );
                pairs += 1;
            }
        }
    }
    assert!(checked > 100, "only {checked} primary cells were checked");
    assert!(pairs > 20, "only {pairs} singleton pairs were checked");
}

/// Whether cells `a` and `b` appear in one hierarchy equation: equal in
/// every dimension but one, where one is the other's parent or both have
/// the same parent.
fn shares_equation(r: &Release, a: usize, b: usize) -> bool {
    let (ka, kb) = (&r.cells[a].key, &r.cells[b].key);
    let differing: Vec<usize> = (0..r.dims.len()).filter(|&d| ka[d] != kb[d]).collect();
    let [d] = differing[..] else {
        return false;
    };
    let parent = &r.dims[d].parent;
    parent[ka[d]] == Some(kb[d])
        || parent[kb[d]] == Some(ka[d])
        || (parent[ka[d]].is_some() && parent[ka[d]] == parent[kb[d]])
}

/// Whether cell `inner` lies inside `outer`: in every dimension its code is
/// `outer`'s or a descendant of it.
fn inside(r: &Release, inner: usize, outer: usize) -> bool {
    (0..r.dims.len()).all(|d| {
        let mut code = Some(r.cells[inner].key[d]);
        while let Some(c) = code {
            if c == r.cells[outer].key[d] {
                return true;
            }
            code = r.dims[d].parent[c];
        }
        false
    })
}

/// Whether withheld cells `a` and `b` are joined by a chain of equations
/// whose every step passes through withheld cells.
fn withheld_path(r: &Release, a: usize, b: usize) -> bool {
    let mut seen = vec![false; r.cells.len()];
    let mut stack = vec![a];
    seen[a] = true;
    while let Some(c) = stack.pop() {
        if c == b {
            return true;
        }
        for rel in &r.relations {
            let cells: Vec<usize> = rel.cells().collect();
            if !cells.contains(&c) {
                continue;
            }
            for n in cells {
                if r.cells[n].status.suppressed() && !seen[n] {
                    seen[n] = true;
                    stack.push(n);
                }
            }
        }
    }
    false
}
