//! Property test on tables shaped like small-area statistics: 1-D to 3-D,
//! municipality → county hierarchies where some counties have a single
//! municipality (cells equal to their total), 25–45 % of cells at 1–4
//! persons, zeros, and linked tables sharing the area margin. Every table
//! must be released, and every release must pass the crate's audit and an
//! attacker's LP written here from the hierarchies alone.

use microlp::{ComparisonOp, OptimizationDirection, Problem};
use peitto_sdc::table::Leaf;
use peitto_sdc::{Dimension, Policy, Release, Status, TableDef, audit};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};

const THRESHOLD: f64 = 5.0;

/// Areas in counties, about a third of counties with one municipality.
fn areas(rng: &mut ChaCha8Rng, municipalities: usize) -> (Dimension, Vec<String>) {
    let mut pairs = Vec::new();
    let mut leaves = Vec::new();
    let mut county = 0;
    while leaves.len() < municipalities {
        let size = if rng.random_bool(0.35) {
            1
        } else {
            rng.random_range(2..5)
        };
        for _ in 0..size.min(municipalities - leaves.len()) {
            let m = format!("m{}", leaves.len());
            pairs.push((m.clone(), format!("k{county}")));
            leaves.push(m);
        }
        pairs.push((format!("k{county}"), "T".to_owned()));
        county += 1;
    }
    (
        Dimension::from_parents("area", "T", &pairs).unwrap(),
        leaves,
    )
}

fn flat(name: &str, n: usize) -> (Dimension, Vec<String>) {
    let codes: Vec<String> = (0..n).map(|i| format!("{name}{i}")).collect();
    let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
    (Dimension::flat(name, "T", &refs), codes)
}

/// Counts per leaf combination: 25–45 % small, about 10 % zeros.
fn counts(rng: &mut ChaCha8Rng, lists: &[Vec<String>]) -> BTreeMap<Vec<String>, u64> {
    let small = rng.random_range(0.25..0.45);
    let mut keys = vec![Vec::new()];
    for list in lists {
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
    keys.into_iter()
        .map(|k| {
            let v = if rng.random_bool(0.1) {
                0
            } else if rng.random_bool(small) {
                rng.random_range(1..5)
            } else {
                rng.random_range(5..30)
            };
            (k, v)
        })
        .collect()
}

fn leaves(counts: &BTreeMap<Vec<String>, u64>, keep: &[usize]) -> Vec<Leaf> {
    let mut sums: BTreeMap<Vec<String>, u64> = BTreeMap::new();
    for (k, v) in counts {
        *sums
            .entry(keep.iter().map(|&d| k[d].clone()).collect())
            .or_default() += v;
    }
    sums.into_iter()
        .map(|(codes, v)| {
            let value = v as f64;
            Leaf {
                codes,
                value,
                contributors: v,
                top: vec![],
            }
        })
        .collect()
}

/// The release for `seed`: one table of 1 to 3 dimensions, or two linked
/// tables (area × form, area × age) sharing the area margin.
fn release(seed: u64) -> Release {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let shape = seed % 4;
    let municipalities = rng.random_range(3..9);
    let (area, area_codes) = areas(&mut rng, municipalities);
    let (form, form_codes) = flat("f", rng.random_range(2..5));
    let (age, age_codes) = flat("a", rng.random_range(2..4));
    let data = counts(&mut rng, &[area_codes, form_codes, age_codes]);
    match shape {
        0 => Release::single("1-d", vec![area], &leaves(&data, &[0]), false).unwrap(),
        1 => Release::single("2-d", vec![area, form], &leaves(&data, &[0, 1]), false).unwrap(),
        2 => Release::single(
            "3-d",
            vec![area, form, age],
            &leaves(&data, &[0, 1, 2]),
            false,
        )
        .unwrap(),
        _ => {
            let tables = vec![
                TableDef {
                    name: "by form".into(),
                    dims: vec![0, 1],
                },
                TableDef {
                    name: "by age".into(),
                    dims: vec![0, 2],
                },
            ];
            let mut r = Release::new(vec![area, form, age], tables, false);
            r.add_leaves(0, &leaves(&data, &[0, 1])).unwrap();
            r.add_leaves(1, &leaves(&data, &[0, 2])).unwrap();
            r.build_relations();
            r
        }
    }
}

/// Every equation of every table, straight from the hierarchies: each
/// code with children, in each of the table's dimensions, for each of the
/// table's cells. Each as (total, parts).
fn equations(r: &Release) -> Vec<(usize, Vec<usize>)> {
    let mut out = Vec::new();
    for table in &r.tables {
        for (i, cell) in r.cells.iter().enumerate() {
            let in_table = (0..r.dims.len())
                .all(|d| table.dims.contains(&d) || cell.key[d] == r.dims[d].total);
            if !in_table {
                continue;
            }
            for &d in &table.dims {
                let dim = &r.dims[d];
                let children: Vec<usize> = (0..dim.codes.len())
                    .filter(|&c| dim.parent[c] == Some(cell.key[d]))
                    .collect();
                if children.is_empty() {
                    continue;
                }
                let parts = children
                    .iter()
                    .map(|&c| {
                        let codes: Vec<&str> = r
                            .codes(i)
                            .iter()
                            .enumerate()
                            .map(|(k, s)| if k == d { dim.codes[c].as_str() } else { *s })
                            .collect();
                        r.find(&codes).unwrap()
                    })
                    .collect();
                out.push((i, parts));
            }
        }
    }
    out
}

/// The attacker's bound on `target` from the published cells, the
/// equations, x ≥ 1 for non-empty hidden cells, and `known`'s value.
fn attack(
    r: &Release,
    eqs: &[(usize, Vec<usize>)],
    target: usize,
    maximise: bool,
    known: Option<usize>,
) -> f64 {
    let mut problem = Problem::new(if maximise {
        OptimizationDirection::Maximize
    } else {
        OptimizationDirection::Minimize
    });
    let mut vars = HashMap::new();
    for (i, cell) in r.cells.iter().enumerate() {
        if cell.status.suppressed() && Some(i) != known {
            let lb = if cell.contributors > 0 { 1.0 } else { 0.0 };
            let objective = if i == target { 1.0 } else { 0.0 };
            vars.insert(i, problem.add_var(objective, (lb, f64::INFINITY)));
        }
    }
    for (total, parts) in eqs {
        let mut terms = Vec::new();
        let mut rhs = 0.0;
        for (cell, coef) in parts.iter().map(|&p| (p, 1.0)).chain([(*total, -1.0)]) {
            match vars.get(&cell) {
                Some(&v) => terms.push((v, coef)),
                None => rhs -= coef * r.cells[cell].value,
            }
        }
        if !terms.is_empty() {
            problem.add_constraint(terms.as_slice(), ComparisonOp::Eq, rhs);
        }
    }
    match problem.solve() {
        Ok(outcome) => outcome.into_solution().unwrap().var_value(vars[&target]),
        Err(microlp::Error::Unbounded) if maximise => f64::INFINITY,
        Err(microlp::Error::Unbounded) => f64::NEG_INFINITY,
        Err(e) => panic!("attacker LP: {e}"),
    }
}

/// Whether `inner` lies inside `outer` in every dimension.
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

#[test]
fn realistic_tables_are_all_released_and_pass_an_independent_attack() {
    let (mut checked, mut pairs, mut equal, mut linked) = (0, 0, 0, 0);
    for seed in 0..96u64 {
        let mut r = release(seed);
        let policy = Policy {
            zeros_unsafe: seed % 5 == 3,
            ..Policy::frequency(5)
        };
        let (result, reasons) = peitto_sdc::protect_explained(&mut r, &policy)
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert!(result.passed(), "seed {seed}");
        // A statistician can answer for every withheld cell.
        for (i, reason) in reasons.iter().enumerate() {
            match reason {
                peitto_sdc::Reason::Published => assert!(!r.cells[i].status.suppressed()),
                peitto_sdc::Reason::Primary(_) => {
                    assert!(matches!(r.cells[i].status, Status::Primary(_)));
                }
                peitto_sdc::Reason::Secondary(protects) => assert!(
                    !protects.is_empty()
                        && protects
                            .iter()
                            .all(|&p| matches!(r.cells[p].status, Status::Primary(_))),
                    "seed {seed}: {} has no primary to protect",
                    r.describe(i)
                ),
            }
        }
        assert!(
            audit(&r, &policy).unwrap().passed(),
            "seed {seed}: full audit"
        );
        linked += usize::from(r.tables.len() > 1);
        let eqs = equations(&r);
        equal += eqs
            .iter()
            .filter(|(t, parts)| parts.len() == 1 && r.cells[*t].status.suppressed())
            .count();
        // A total of one part equals it: both withheld or both published.
        for (t, parts) in eqs.iter().filter(|(_, parts)| parts.len() == 1) {
            assert_eq!(
                r.cells[*t].status.suppressed(),
                r.cells[parts[0]].status.suppressed(),
                "seed {seed}: {} and its one part {}",
                r.describe(*t),
                r.describe(parts[0])
            );
        }
        for (i, cell) in r.cells.iter().enumerate() {
            let Status::Primary(_) = cell.status else {
                continue;
            };
            let hi = attack(&r, &eqs, i, true, None);
            let lo = attack(&r, &eqs, i, false, None);
            let need = if cell.contributors == 0 {
                THRESHOLD
            } else {
                THRESHOLD.max(cell.value + 1.0)
            };
            assert!(
                hi >= need - 1e-6 && lo <= cell.value + 1e-6,
                "seed {seed}: {} = {} is within [{lo}, {hi}]",
                r.describe(i),
                cell.value
            );
            checked += 1;
        }
        // A singleton's one person knows its value: no other primary sharing
        // an equation with it, and holding someone else, may then be shown under 5.
        for s in 0..r.cells.len() {
            if !matches!(r.cells[s].status, Status::Primary(_)) || r.cells[s].contributors != 1 {
                continue;
            }
            for (total, parts) in &eqs {
                if *total != s && !parts.contains(&s) {
                    continue;
                }
                for p in parts.iter().copied().chain([*total]) {
                    let others = r.cells[p].contributors != 1 || !inside(&r, s, p);
                    if p == s
                        || !matches!(r.cells[p].status, Status::Primary(_))
                        || inside(&r, p, s)
                        || !others
                    {
                        continue;
                    }
                    let hi = attack(&r, &eqs, p, true, Some(s));
                    assert!(
                        hi >= THRESHOLD - 1e-6,
                        "seed {seed}: knowing {}, {} = {} is at most {hi}",
                        r.describe(s),
                        r.describe(p),
                        r.cells[p].value
                    );
                    pairs += 1;
                }
            }
        }
    }
    assert!(checked > 400, "only {checked} primaries checked");
    assert!(pairs > 50, "only {pairs} singleton pairs checked");
    assert!(
        equal > 100,
        "only {equal} withheld cells equal to their one part"
    );
    assert!(linked >= 20, "only {linked} linked releases");
}
