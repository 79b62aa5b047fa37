//! sdc.md worked examples 1 and 2, end to end through `protect` and `audit`.

use peitto_sdc::table::Leaf;
use peitto_sdc::{Dimension, Policy, Release, Status, audit, protect};

fn leaf(codes: &[&str], value: f64) -> Leaf {
    let contributors = value as u64;
    Leaf {
        codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        value,
        contributors,
        top: vec![],
    }
}

fn example_1() -> Release {
    let rows = Dimension::flat("row", "Total", &["A", "B", "C"]);
    let cols = Dimension::flat("form", "Total", &["Family", "Inst", "Prof"]);
    let values = [
        ("A", [12.0, 3.0, 9.0]),
        ("B", [7.0, 6.0, 8.0]),
        ("C", [15.0, 10.0, 2.0]),
    ];
    let leaves: Vec<Leaf> = values
        .iter()
        .flat_map(|(r, v)| {
            ["Family", "Inst", "Prof"]
                .iter()
                .zip(v)
                .map(move |(c, x)| leaf(&[r, c], *x))
        })
        .collect();
    Release::single("example-1", vec![rows, cols], &leaves, false).unwrap()
}

fn suppressed_codes(r: &Release) -> Vec<Vec<&str>> {
    let mut v: Vec<Vec<&str>> = r.suppressed().into_iter().map(|i| r.codes(i)).collect();
    v.sort();
    v
}

fn interval(r: &Release, a: &peitto_sdc::Audit, codes: &[&str]) -> (f64, f64) {
    let i = r.find(codes).unwrap();
    let iv = a.intervals[i].unwrap();
    (iv.lower.round(), iv.upper.round())
}

#[test]
fn example_1_row_total_leak_is_closed_with_the_minimum_pattern() {
    let mut r = example_1();
    // Naive: only the primaries. The audit must catch the leak A-Inst = 24 - 12 - 9.
    peitto_sdc::primary::apply(&mut r, &Policy::frequency(5));
    let naive = audit(&r, &Policy::frequency(5)).unwrap();
    assert!(!naive.passed());
    let a_inst = naive.intervals[r.find(&["A", "Inst"]).unwrap()].unwrap();
    assert_eq!(
        (a_inst.lower.round(), a_inst.upper.round()),
        (3.0, 3.0),
        "exactly recomputable"
    );

    let result = protect(&mut r, &Policy::frequency(5)).unwrap();
    assert!(result.passed());
    assert_eq!(
        suppressed_codes(&r),
        vec![
            vec!["A", "Inst"],
            vec!["A", "Prof"],
            vec!["C", "Inst"],
            vec!["C", "Prof"]
        ]
    );
    assert!(matches!(
        r.cells[r.find(&["A", "Prof"]).unwrap()].status,
        Status::Secondary
    ));
    // Attacker knowing non-empty cells hold at least one person: the exact
    // intervals take the full audit (protect only shows each primary safe).
    let result = audit(&r, &Policy::frequency(5)).unwrap();
    assert!(result.passed());
    assert_eq!(interval(&r, &result, &["A", "Inst"]), (2.0, 11.0));
    assert_eq!(interval(&r, &result, &["A", "Prof"]), (1.0, 10.0));
    assert_eq!(interval(&r, &result, &["C", "Inst"]), (2.0, 11.0));
    assert_eq!(interval(&r, &result, &["C", "Prof"]), (1.0, 10.0));
    // With non-negativity only.
    let weaker = Policy {
        nonempty_known: false,
        ..Policy::frequency(5)
    };
    let plain = audit(&r, &weaker).unwrap();
    assert_eq!(interval(&r, &plain, &["A", "Inst"]), (1.0, 12.0));
    assert_eq!(interval(&r, &plain, &["A", "Prof"]), (0.0, 11.0));
    assert_eq!(interval(&r, &plain, &["C", "Inst"]), (1.0, 12.0));
    assert_eq!(interval(&r, &plain, &["C", "Prof"]), (0.0, 11.0));
}

fn example_2() -> Release {
    let pairs: Vec<(String, String)> = [
        ("K1", "All"),
        ("K2", "All"),
        ("M1", "K1"),
        ("M2", "K1"),
        ("M3", "K2"),
        ("M4", "K2"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    let area = Dimension::from_parents("area", "All", &pairs).unwrap();
    let form = Dimension::flat("form", "Total", &["Inst", "Fam"]);
    let values = [
        ("M1", 2.0, 10.0),
        ("M2", 8.0, 9.0),
        ("M3", 5.0, 9.0),
        ("M4", 7.0, 12.0),
    ];
    let leaves: Vec<Leaf> = values
        .iter()
        .flat_map(|(m, i, f)| [leaf(&[m, "Inst"], *i), leaf(&[m, "Fam"], *f)])
        .collect();
    Release::single("example-2", vec![area, form], &leaves, false).unwrap()
}

#[test]
fn example_2_hierarchy_leak_is_closed_within_the_county() {
    let mut r = example_2();
    let result = protect(&mut r, &Policy::frequency(5)).unwrap();
    assert_eq!(
        suppressed_codes(&r),
        vec![
            vec!["M1", "Fam"],
            vec!["M1", "Inst"],
            vec!["M2", "Fam"],
            vec!["M2", "Inst"]
        ],
        "a flat solver would pair M1 with M3 and leak through K1"
    );
    let plain = audit(
        &r,
        &Policy {
            nonempty_known: false,
            ..Policy::frequency(5)
        },
    )
    .unwrap();
    assert_eq!(interval(&r, &plain, &["M1", "Inst"]), (0.0, 10.0));
    assert_eq!(interval(&r, &plain, &["M1", "Fam"]), (2.0, 12.0));
    assert_eq!(interval(&r, &plain, &["M2", "Inst"]), (0.0, 10.0));
    assert_eq!(interval(&r, &plain, &["M2", "Fam"]), (7.0, 17.0));
    // Knowing non-empty cells hold at least one person narrows each by one.
    assert!(result.passed());
    let result = audit(&r, &Policy::frequency(5)).unwrap();
    assert_eq!(interval(&r, &result, &["M1", "Inst"]), (1.0, 9.0));
    assert_eq!(interval(&r, &result, &["M2", "Fam"]), (8.0, 16.0));
}

#[test]
fn example_2_the_flat_pattern_fails_the_audit() {
    let mut r = example_2();
    peitto_sdc::primary::apply(&mut r, &Policy::frequency(5));
    for codes in [["M1", "Fam"], ["M3", "Inst"], ["M3", "Fam"]] {
        let i = r.find(&codes).unwrap();
        r.cells[i].status = Status::Secondary;
    }
    let a = audit(&r, &Policy::frequency(5)).unwrap();
    assert!(
        !a.passed(),
        "with the county rows published, M1-Inst = K1 - M2 is exact"
    );
    assert_eq!(interval(&r, &a, &["M1", "Inst"]), (2.0, 2.0));
}

#[test]
fn example_3_one_dimensional_magnitude_table_with_its_total() {
    // X = 300+20+10 is unsafe under p=10 %; the total must not give it away.
    let dim = Dimension::flat("provider", "Total", &["X", "Y", "Z"]);
    let leaves = vec![
        Leaf {
            codes: vec!["X".into()],
            value: 330.0,
            contributors: 3,
            top: vec![300.0, 20.0, 10.0],
        },
        Leaf {
            codes: vec!["Y".into()],
            value: 100.0,
            contributors: 3,
            top: vec![60.0, 35.0, 5.0],
        },
        Leaf {
            codes: vec!["Z".into()],
            value: 100.0,
            contributors: 4,
            top: vec![40.0, 30.0, 20.0],
        },
    ];
    let mut r = Release::single("example-3", vec![dim], &leaves, true).unwrap();
    let policy = Policy {
        p_percent: Some(10.0),
        min_frequency: 3,
        ..Policy::frequency(3)
    };
    let result = protect(&mut r, &policy).unwrap();
    let x = r.find(&["X"]).unwrap();
    let y = r.find(&["Y"]).unwrap();
    assert!(matches!(r.cells[x].status, Status::Primary(_)));
    assert!(matches!(r.cells[y].status, Status::Primary(_)));
    let iv = result.intervals[x].unwrap();
    assert!(
        iv.upper >= 330.0 + 20.0 - 1e-6 && iv.lower <= 330.0 - 20.0 + 1e-6,
        "{iv:?}"
    );
}

#[test]
fn two_singletons_in_a_row_do_not_protect_each_other() {
    // Row A: two cells of one person each and one safe cell; each singleton's
    // contributor, knowing their own value, must not learn the other.
    let rows = Dimension::flat("row", "Total", &["A", "B"]);
    let cols = Dimension::flat("col", "Total", &["x", "y", "z"]);
    let leaves = vec![
        leaf(&["A", "x"], 1.0),
        leaf(&["A", "y"], 1.0),
        leaf(&["A", "z"], 20.0),
        leaf(&["B", "x"], 30.0),
        leaf(&["B", "y"], 25.0),
        leaf(&["B", "z"], 40.0),
    ];
    let mut r = Release::single("singletons", vec![rows, cols], &leaves, false).unwrap();
    let result = protect(&mut r, &Policy::frequency(5)).unwrap();
    assert!(result.passed());
    // A-z (or a whole column pair) must be hidden too, else A-x = A-Total - A-y - A-z for A-y's person.
    assert!(
        r.suppressed().len() > 4,
        "{:?}",
        r.suppressed()
            .iter()
            .map(|&i| r.codes(i))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_single_category_table_hides_both_the_cell_and_its_total() {
    let dim = Dimension::flat("only", "Total", &["a"]);
    let mut r = Release::single("lonely", vec![dim], &[leaf(&["a"], 2.0)], false).unwrap();
    let result = protect(&mut r, &Policy::frequency(5)).unwrap();
    assert!(result.passed());
    assert_eq!(r.suppressed().len(), 2, "the total equals the cell");
}

#[test]
fn a_table_that_cannot_be_protected_is_not_released() {
    // A single-contributor amount under (1,40) dominance needs a protection
    // range larger than the amount itself: no pattern can give that, so the
    // release fails closed instead of publishing.
    let dim = Dimension::flat("provider", "Total", &["X", "Y", "Z"]);
    let leaves = vec![
        Leaf {
            codes: vec!["X".into()],
            value: 500.0,
            contributors: 1,
            top: vec![500.0],
        },
        Leaf {
            codes: vec!["Y".into()],
            value: 100.0,
            contributors: 5,
            top: vec![30.0, 25.0, 20.0],
        },
        Leaf {
            codes: vec!["Z".into()],
            value: 100.0,
            contributors: 5,
            top: vec![30.0, 25.0, 20.0],
        },
    ];
    let mut r = Release::single("dominated", vec![dim], &leaves, true).unwrap();
    let policy = Policy {
        dominance_n: Some(1),
        dominance_k: Some(40.0),
        ..Policy::frequency(1)
    };
    // The total is dominated by the same provider: the message names it.
    let err = protect(&mut r, &policy).unwrap_err();
    assert!(
        matches!(err, peitto_sdc::SdcError::TotalUnsafe(ref c) if c.contains("provider=Total")),
        "{err}"
    );
}

#[test]
fn small_cells_under_a_safe_total_are_released_withheld() {
    // Six cells of one person each under a total of six: with the total
    // published each is at most 6 − 5 = 1, so the total is withheld too,
    // and the release passes the full audit.
    let codes = ["A", "B", "C", "D", "E", "F"];
    let dim = Dimension::flat("area", "Total", &codes);
    let leaves: Vec<Leaf> = codes.iter().map(|c| leaf(&[c], 1.0)).collect();
    let mut r = Release::single("tiny", vec![dim], &leaves, false).unwrap();
    protect(&mut r, &Policy::frequency(5)).unwrap();
    assert!(r.cells[r.find(&["Total"]).unwrap()].status.suppressed());
    assert!(audit(&r, &Policy::frequency(5)).unwrap().passed());
}

#[test]
fn a_cell_no_pattern_protects_is_named_with_what_to_change() {
    // One provider's 500 under (1,40) dominance needs a range of 750 below
    // it, more than the amount: even with every cell withheld no pattern
    // gives that, while the total (2 500) is itself safe.
    let dim = Dimension::flat("provider", "Total", &["X", "Y", "Z"]);
    let spread = |code: &str| Leaf {
        codes: vec![code.into()],
        value: 1000.0,
        contributors: 50,
        top: vec![30.0, 25.0, 20.0],
    };
    let leaves = vec![
        Leaf {
            codes: vec!["X".into()],
            value: 500.0,
            contributors: 1,
            top: vec![500.0],
        },
        spread("Y"),
        spread("Z"),
    ];
    let mut r = Release::single("dominated", vec![dim], &leaves, true).unwrap();
    let policy = Policy {
        dominance_n: Some(1),
        dominance_k: Some(40.0),
        ..Policy::frequency(1)
    };
    let err = protect(&mut r, &policy).unwrap_err();
    assert!(
        matches!(err, peitto_sdc::SdcError::TooSmall(ref cell) if cell.contains("provider=X")),
        "{err}"
    );
    assert!(err.to_string().contains("merge categories"), "{err}");
}

#[test]
fn protection_is_deterministic() {
    let mut a = example_2();
    let mut b = example_2();
    protect(&mut a, &Policy::frequency(5)).unwrap();
    protect(&mut b, &Policy::frequency(5)).unwrap();
    assert_eq!(a.suppressed(), b.suppressed());
}

#[test]
fn linked_tables_share_their_margin_cells_and_are_protected_together() {
    use peitto_sdc::TableDef;
    let area = Dimension::flat("area", "All", &["M1", "M2", "M3"]);
    let form = Dimension::flat("form", "Total", &["Fam", "Inst"]);
    let sex = Dimension::flat("sex", "Total", &["1", "2"]);
    let tables = vec![
        TableDef {
            name: "by form".into(),
            dims: vec![0, 1],
        },
        TableDef {
            name: "by sex".into(),
            dims: vec![0, 2],
        },
    ];
    let mut r = Release::new(vec![area, form, sex], tables, false);
    let by_form = [("M1", 2.0, 1.0), ("M2", 10.0, 12.0), ("M3", 8.0, 9.0)];
    let by_sex = [("M1", 1.0, 2.0), ("M2", 11.0, 11.0), ("M3", 9.0, 8.0)];
    let form_leaves: Vec<Leaf> = by_form
        .iter()
        .flat_map(|(m, a, b)| [leaf(&[m, "Fam"], *a), leaf(&[m, "Inst"], *b)])
        .collect();
    let sex_leaves: Vec<Leaf> = by_sex
        .iter()
        .flat_map(|(m, a, b)| [leaf(&[m, "1"], *a), leaf(&[m, "2"], *b)])
        .collect();
    r.add_leaves(0, &form_leaves).unwrap();
    r.add_leaves(1, &sex_leaves).unwrap();
    r.build_relations();
    // 4 × 3 cells each, sharing the four area margins.
    assert_eq!(r.cells.len(), 12 + 12 - 4);
    let result = protect(&mut r, &Policy::frequency(5)).unwrap();
    assert!(result.passed());
    let m1 = r.find(&["M1", "Total", "Total"]).unwrap();
    assert!(
        r.cells[m1].status.suppressed(),
        "M1 has 3 persons in both tables"
    );
    assert!(result.intervals[m1].unwrap().upper >= 5.0);
    // A table that disagrees with its partner on a shared cell is refused.
    let mut bad = Release::new(r.dims.clone(), r.tables.clone(), false);
    bad.add_leaves(0, &form_leaves).unwrap();
    let mut wrong = sex_leaves.clone();
    wrong[0].value += 1.0;
    assert!(matches!(
        bad.add_leaves(1, &wrong),
        Err(peitto_sdc::SdcError::Inconsistent { .. })
    ));
}

#[test]
fn a_cell_of_a_big_and_a_tiny_contribution_is_released_withheld() {
    // Row A holds two persons: 1 000 € and 5 €. The first knows that the
    // row holds at least their 1 000 € before anything is published, so no
    // pattern can keep them from bounding it below by 1 000; withholding
    // tells them nothing more, and the table is released withheld instead
    // of "cannot be protected".
    let rows = Dimension::flat("row", "Total", &["A", "B"]);
    let cols = Dimension::flat("col", "Total", &["x", "y"]);
    let one = |codes: &[&str], value: f64| Leaf {
        codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        value,
        contributors: 1,
        top: vec![value],
    };
    let many = |codes: &[&str], value: f64| Leaf {
        codes: codes.iter().map(|c| (*c).to_owned()).collect(),
        value,
        contributors: 20,
        top: vec![value / 10.0, value / 12.0, value / 15.0],
    };
    let leaves = vec![
        one(&["A", "x"], 1000.0),
        one(&["A", "y"], 5.0),
        many(&["B", "x"], 20_000.0),
        many(&["B", "y"], 30_000.0),
    ];
    let mut r = Release::single("big-and-tiny", vec![rows, cols], &leaves, true).unwrap();
    let policy = Policy::builtin("ely").unwrap();
    let result = protect(&mut r, &policy).unwrap();
    assert!(result.passed());
    for codes in [["A", "x"], ["A", "y"], ["A", "Total"]] {
        let i = r.find(&codes).unwrap();
        assert!(r.cells[i].status.suppressed(), "{codes:?} published");
    }
    // The grand total is published and the audit agrees.
    assert!(audit(&r, &policy).unwrap().passed());
}

#[test]
fn each_withheld_cell_says_why_it_is_withheld() {
    let mut r = example_2();
    let (result, reasons) = peitto_sdc::protect_explained(&mut r, &Policy::frequency(5)).unwrap();
    assert!(result.passed());
    assert_eq!(reasons.len(), r.cells.len());
    let m1_inst = r.find(&["M1", "Inst"]).unwrap();
    for (i, reason) in reasons.iter().enumerate() {
        let codes = r.codes(i);
        match reason {
            peitto_sdc::Reason::Published => assert!(!r.cells[i].status.suppressed()),
            peitto_sdc::Reason::Primary(rule) => {
                assert_eq!(i, m1_inst, "{codes:?}");
                assert_eq!(rule.as_str(), "frequency");
            }
            // The three cells around M1 × Inst in its county are withheld for it.
            peitto_sdc::Reason::Secondary(protects) => {
                assert_eq!(protects, &[m1_inst], "{codes:?}");
            }
        }
    }
    let secondaries = reasons
        .iter()
        .filter(|r| matches!(r, peitto_sdc::Reason::Secondary(_)))
        .count();
    assert_eq!(secondaries, 3);
}
