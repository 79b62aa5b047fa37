//! Secondary suppression: equal cells, linked cells, small rows.

use super::*;
use crate::table::{Dimension, Leaf};

fn leaf(area: &str, form: &str, n: u32) -> Leaf {
    Leaf {
        codes: vec![area.to_owned(), form.to_owned()],
        value: f64::from(n),
        contributors: u64::from(n),
        top: Vec::new(),
    }
}

/// K2 is a county of one municipality (M3), and M1 has no one in
/// `Fam`: (K2, x) equals (M3, x), and (M1, Total) equals (M1, Inst).
fn table() -> Release {
    let pairs: Vec<(String, String)> = [
        ("M1", "K1"),
        ("M2", "K1"),
        ("M4", "K1"),
        ("M3", "K2"),
        ("K1", "T"),
        ("K2", "T"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    let area = Dimension::from_parents("area", "T", &pairs).unwrap();
    let form = Dimension::flat("form", "Total", &["Inst", "Fam", "Prof"]);
    let leaves = [
        leaf("M1", "Inst", 3),
        leaf("M1", "Fam", 0),
        leaf("M1", "Prof", 7),
        leaf("M2", "Inst", 8),
        leaf("M2", "Fam", 9),
        leaf("M2", "Prof", 2),
        leaf("M4", "Inst", 12),
        leaf("M4", "Fam", 6),
        leaf("M4", "Prof", 11),
        leaf("M3", "Inst", 2),
        leaf("M3", "Fam", 14),
        leaf("M3", "Prof", 6),
    ];
    Release::single("t", vec![area, form], &leaves, false).unwrap()
}

fn cell(r: &Release, area: &str, form: &str) -> usize {
    (0..r.cells.len())
        .find(|&i| r.codes(i) == [area, form])
        .unwrap()
}

#[test]
fn equal_cells_are_found_and_share_their_status() {
    let mut r = table();
    let policy = Policy::frequency(5);
    primary::apply(&mut r, &policy);
    let equal = Equal::new(&r);
    for form in ["Inst", "Fam", "Prof", "Total"] {
        let (m3, k2) = (cell(&r, "M3", form), cell(&r, "K2", form));
        assert_eq!(
            equal.of(m3),
            [m3.min(k2), m3.max(k2)],
            "a county of one municipality ({form})"
        );
    }
    // M1 × Fam is empty and published: M1 × Total is M1 × Inst + M1 × Prof, not one cell.
    assert!(equal.of(cell(&r, "M1", "Inst")).is_empty());
    assert!(equal.of(cell(&r, "M2", "Inst")).is_empty());

    let mut r = table();
    let result = protect(&mut r, &policy).unwrap();
    assert!(result.passed());
    assert!(crate::audit(&r, &policy).unwrap().passed());
    for form in ["Inst", "Fam", "Prof", "Total"] {
        let (m3, k2) = (cell(&r, "M3", form), cell(&r, "K2", form));
        assert_eq!(
            r.cells[m3].status.suppressed(),
            r.cells[k2].status.suppressed(),
            "M3 and K2 × {form}"
        );
    }
    assert!(r.cells[cell(&r, "K2", "Inst")].status.suppressed());
}

#[test]
fn a_relation_with_one_non_empty_part_makes_its_total_equal_to_it() {
    let pairs: Vec<(String, String)> = [("M1", "K1"), ("M2", "K1"), ("K1", "T")]
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    let area = Dimension::from_parents("area", "T", &pairs).unwrap();
    let form = Dimension::flat("form", "Total", &["Inst", "Fam"]);
    // (A row total under 5 would withhold the empty cell as well.)
    let leaves = [
        leaf("M1", "Inst", 7),
        leaf("M1", "Fam", 0),
        leaf("M2", "Inst", 8),
        leaf("M2", "Fam", 9),
    ];
    let mut r = Release::single("t", vec![area, form], &leaves, false).unwrap();
    primary::apply(&mut r, &Policy::frequency(5));
    let equal = Equal::new(&r);
    let (inst, total) = (cell(&r, "M1", "Inst"), cell(&r, "M1", "Total"));
    assert!(equal.of(inst).contains(&total));
    // With empty cells unsafe they are withheld, and the attacker no longer knows them.
    let mut r = Release::single("t", r.dims.clone(), &leaves, false).unwrap();
    let policy = Policy {
        zeros_unsafe: true,
        ..Policy::frequency(5)
    };
    primary::apply(&mut r, &policy);
    assert!(!Equal::new(&r).of(inst).contains(&total));
}
/// A cell another release published is the attacker's: the pattern
/// never hides it and still protects every primary with it known; a
/// cell another release withheld is withheld here too.
#[test]
fn cells_another_release_published_or_withheld_are_respected() {
    let policy = Policy::frequency(5);
    let zeros = Policy {
        zeros_unsafe: true,
        ..Policy::frequency(5)
    };
    let mut plain = table();
    protect(&mut plain, &policy).unwrap();
    let secondaries: Vec<usize> = (0..plain.cells.len())
        .filter(|&i| plain.cells[i].status == Status::Secondary)
        .collect();
    assert!(!secondaries.is_empty());
    // Each secondary of the plain pattern, published elsewhere.
    for &s in &secondaries {
        let mut r = table();
        r.cells[s].known = true;
        let audit = protect(&mut r, &policy).unwrap();
        assert!(audit.passed());
        assert_eq!(r.cells[s].status, Status::Safe, "{:?}", r.codes(s));
        // The audit with the cell known says the same.
        assert!(crate::audit::check(&r, &policy).unwrap().passed());
    }
    // A small cell another release published (under a looser policy, or
    // an empty cell where zeros are safe): withheld here as the policy
    // says, but nothing else is hidden for it (the attacker has it).
    for (area, form, strict) in [("M1", "Inst", &policy), ("M1", "Fam", &zeros)] {
        let mut r = table();
        let small = cell(&r, area, form);
        r.cells[small].known = true;
        let audit = protect(&mut r, strict).unwrap();
        assert!(audit.passed(), "{area} {form}");
        assert!(r.cells[small].status.suppressed(), "{area} {form}");
        assert!(crate::audit::check(&r, strict).unwrap().passed());
    }
    // A large cell another release withheld: withheld, and the
    // attacker's interval reaches a tenth of it above.
    let mut r = table();
    let big = cell(&r, "M3", "Fam");
    r.cells[big].linked = Some(10.0);
    protect(&mut r, &policy).unwrap();
    assert_eq!(
        r.cells[big].status,
        Status::Primary(crate::table::PrimaryReason::Linked)
    );
    let audit = crate::audit::audit(&r, &policy).unwrap();
    let interval = audit.intervals[big].unwrap();
    assert!(interval.upper >= 14.0 + 1.4 - 1e-6, "{interval:?}");
}

/// In a table of euros, a row of one person shows nothing: not even
/// which of its cells are empty.
#[test]
fn a_magnitude_row_of_too_few_persons_hides_its_empty_cells_too() {
    let month = Dimension::flat("month", "Year", &["1", "2", "3", "4"]);
    let provider = Dimension::flat("provider", "All", &["A", "B"]);
    let euros = |p: &str, m: &str, v: f64, n: u64| Leaf {
        codes: vec![p.to_owned(), m.to_owned()],
        value: v,
        contributors: n,
        top: if n > 0 {
            vec![v / n as f64; n.min(3) as usize]
        } else {
            Vec::new()
        },
    };
    let leaves = [
        euros("A", "1", 0.0, 0),
        euros("A", "2", 3000.0, 1),
        euros("A", "3", 3100.0, 1),
        euros("A", "4", 0.0, 0),
        euros("B", "1", 9000.0, 7),
        euros("B", "2", 9500.0, 7),
        euros("B", "3", 9900.0, 8),
        euros("B", "4", 8700.0, 6),
    ];
    let mut r = Release::single("t", vec![provider, month], &leaves, true).unwrap();
    let policy = Policy::frequency(5);
    protect(&mut r, &policy).unwrap();
    for m in ["1", "2", "3", "4", "Year"] {
        let i = (0..r.cells.len())
            .find(|&i| r.codes(i) == ["A", m])
            .unwrap();
        assert!(r.cells[i].status.suppressed(), "A, {m}");
    }
    assert!(crate::audit::check(&r, &policy).unwrap().passed());
}
