use super::*;

/// A small deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(1);
        noise::splitmix(self.0)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_set(rng: &mut Rng, n: usize) -> Vec<u64> {
    (0..n).map(|_| rng.next()).collect()
}

/// `b` less `removed` of its elements plus `added` new ones.
fn changed(rng: &mut Rng, b: &[u64], removed: usize, added: usize) -> Vec<u64> {
    let mut a = b.to_vec();
    for _ in 0..removed {
        let i = rng.below(a.len() as u64) as usize;
        a.swap_remove(i);
    }
    a.extend(random_set(rng, added));
    a
}

fn dist(a: &[u64], b: &[u64]) -> Option<u64> {
    distance((a.len() as u64, &sketch(a)), (b.len() as u64, &sketch(b)))
}

#[test]
fn differences_of_up_to_four_are_measured_exactly_and_larger_ones_are_far() {
    let mut rng = Rng(7);
    for trial in 0..3000 {
        let n = [0, 1, 3, 5, 8, 40, 300][trial % 7];
        let b = random_set(&mut rng, n);
        let removed = rng.below(n.min(4) as u64 + 1) as usize;
        let added = rng.below(5 - removed as u64) as usize;
        let a = changed(&mut rng, &b, removed, added);
        assert_eq!(
            dist(&a, &b),
            Some((removed + added) as u64),
            "{n} -{removed} +{added}"
        );
        assert_eq!(dist(&b, &a), Some((removed + added) as u64));
    }
    for trial in 0..3000 {
        let n = [0, 2, 5, 9, 40, 300][trial % 6];
        let b = random_set(&mut rng, n);
        let total = 5 + rng.below(36) as usize;
        let removed = rng.below(n.min(total) as u64 + 1) as usize;
        let a = changed(&mut rng, &b, removed, total - removed);
        assert_eq!(dist(&a, &b), None, "{n} -{removed} +{}", total - removed);
    }
}

fn ledger_with(sets: &[Vec<u64>]) -> Ledger {
    let mut ledger = Ledger::default();
    for (i, s) in sets.iter().enumerate() {
        ledger.add(&Set::new(COUNT_KIND, s.clone()), Some(i as f64));
    }
    ledger
}

#[test]
fn a_set_within_four_of_an_anchor_always_finds_it() {
    let mut rng = Rng(11);
    for trial in 0..3000 {
        let n = 1 + [0, 2, 4, 7, 30, 500][trial % 6];
        let b = random_set(&mut rng, n);
        // Unrelated anchors around it, recorded before and after.
        let others: Vec<Vec<u64>> = (0..3).map(|_| random_set(&mut rng, n)).collect();
        let mut sets = others.clone();
        sets.insert(1, b.clone());
        let ledger = ledger_with(&sets);
        let removed = rng.below((n - 1).min(4) as u64 + 1) as usize;
        let added = rng.below(5 - removed as u64) as usize;
        let a = changed(&mut rng, &b, removed, added);
        assert_eq!(
            ledger.nearest(&Set::new(COUNT_KIND, a)),
            Some(1),
            "{n} -{removed} +{added}"
        );
    }
}

#[test]
fn kinds_are_compared_only_with_their_own() {
    let mut rng = Rng(3);
    let b = random_set(&mut rng, 20);
    let ledger = ledger_with(std::slice::from_ref(&b));
    assert_eq!(ledger.nearest(&Set::new(COUNT_KIND, b.clone())), Some(0));
    assert_eq!(ledger.nearest(&Set::new(COUNT_KIND + 1, b)), None);
}

#[test]
fn records_round_trip_and_a_torn_last_record_is_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("audit/released-cells");
    let mut rng = Rng(5);
    let sets: Vec<Vec<u64>> = (0..3).map(|i| random_set(&mut rng, 3 + i * 10)).collect();
    {
        let mut ledger = Ledger::open(&path).unwrap();
        assert!(ledger.is_empty());
        ledger.add(&Set::new(COUNT_KIND, sets[0].clone()), None);
        ledger.add(&Set::new(7, sets[1].clone()), Some(12.5));
        ledger.save().unwrap();
    }
    let full = std::fs::metadata(&path).unwrap().len();
    assert_eq!(full, HEADER + 2 * RECORD);
    {
        let mut ledger = Ledger::open(&path).unwrap();
        assert_eq!(ledger.len(), 2);
        assert_eq!(ledger.anchors[0].value, None);
        assert_eq!(ledger.anchors[1].value, Some(12.5));
        assert_eq!(ledger.nearest(&Set::new(7, sets[1].clone())), Some(1));
        ledger.add(&Set::new(COUNT_KIND, sets[2].clone()), Some(1.0));
        ledger.save().unwrap();
    }
    // A crash mid-append: half a record, then a whole one of zeros.
    let f = OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(full + RECORD / 2).unwrap();
    drop(f);
    let mut ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.len(), 2);
    ledger.add(&Set::new(COUNT_KIND, sets[2].clone()), Some(2.0));
    ledger.save().unwrap();
    drop(ledger);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), full + RECORD);
    let f = OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(full + 2 * RECORD).unwrap();
    drop(f);
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(ledger.len(), 3);
    assert_eq!(ledger.anchors[2].value, Some(2.0));
    drop(ledger);
    // Not a ledger.
    std::fs::write(&path, b"something else entirely").unwrap();
    assert!(Ledger::open(&path).is_err());
}

#[test]
fn a_deferred_ledger_takes_the_lock_only_when_it_is_made_ready() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("audit/released-cells");
    let mut rng = Rng(9);
    let set = random_set(&mut rng, 12);
    let mut first = Ledger::deferred(&path);
    // While the first query runs its SQL, a second one opens, records
    // and saves: it does not wait.
    {
        let mut second = Ledger::open(&path).unwrap();
        second.add(&Set::new(COUNT_KIND, set.clone()), Some(4.0));
        second.save().unwrap();
    }
    first.ready().unwrap();
    // The first one sees the second one's answer, and now holds the lock.
    assert_eq!(first.len(), 1);
    assert_eq!(first.nearest(&Set::new(COUNT_KIND, set.clone())), Some(0));
    let other = OpenOptions::new().read(true).open(&path).unwrap();
    assert!(matches!(
        other.try_lock(),
        Err(std::fs::TryLockError::WouldBlock)
    ));
    drop(first);
    other.try_lock().unwrap();
    // A deferred ledger never made ready saves nothing and creates nothing.
    let unused = tmp.path().join("audit/never");
    Ledger::deferred(&unused).save().unwrap();
    assert!(!unused.exists());
}

fn persons(names: &'static [&'static str], rows: &[u64]) -> Vec<Contribution> {
    names
        .iter()
        .zip(rows)
        .map(|(n, r)| Contribution {
            record: peitto_sdc::cellkey::record_key(n.as_bytes(), PTable::peitto_v1().modulus),
            hash: crate::withheld::person_hash(n),
            sum: *r as f64 * 10.0,
            rows: *r,
        })
        .collect()
}

/// The persons' hashes (`withheld::person_hash`) of `names`.
fn hashes(names: &[&str]) -> Vec<u64> {
    names
        .iter()
        .map(|n| crate::withheld::person_hash(n))
        .collect()
}

const NAMES: [&str; 12] = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"];

fn protect(
    ledger: &mut Ledger,
    quantity: Quantity,
    p: &[Contribution],
    withheld: &Withheld,
) -> Option<f64> {
    let policy = Policy::builtin("adhoc").unwrap();
    ledger
        .protect(quantity, p, (&policy, &PTable::peitto_v1(), withheld))
        .0
}

#[test]
fn near_cells_get_the_earlier_answer_and_far_ones_their_own() {
    let none = Withheld::default();
    let mut ledger = Ledger::default();
    let ones = [1; 12];
    // Seven persons, then the same six: the earlier answer.
    let seven = protect(
        &mut ledger,
        Quantity::Person,
        &persons(&NAMES[..7], &ones),
        &none,
    );
    assert!(seven.is_some());
    let six = protect(
        &mut ledger,
        Quantity::Person,
        &persons(&NAMES[..6], &ones),
        &none,
    );
    assert_eq!(six, seven);
    // A row count of the same persons, one row each: the same count,
    // and ten times it for rows worth ten.
    let rows = Quantity::Rows {
        scale: 10.0,
        cap: 1e4,
    };
    assert_eq!(
        protect(&mut ledger, rows, &persons(&NAMES[..6], &ones), &none),
        seven.map(|v| v * 10.0)
    );
    // A person without a counted row is no contributor.
    let mut p = persons(&NAMES[..8], &ones);
    p[7].rows = 0;
    assert_eq!(protect(&mut ledger, Quantity::Person, &p, &none), seven);
    assert_eq!(ledger.len(), 1);
    // Unequal rows are compared with unequal rows.
    let mixed = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3];
    let first = protect(&mut ledger, rows, &persons(&NAMES[..8], &mixed), &none);
    // With its persons, for a saved report of sums run later.
    assert_eq!(ledger.len(), 3);
    assert_eq!(
        protect(&mut ledger, rows, &persons(&NAMES[..9], &mixed), &none),
        first
    );
    // Four persons: withheld and kept; with a fifth, still withheld.
    let far = &NAMES[7..];
    assert_eq!(
        protect(
            &mut ledger,
            Quantity::Person,
            &persons(&far[..4], &ones),
            &none
        ),
        None
    );
    assert_eq!(
        protect(&mut ledger, Quantity::Person, &persons(far, &ones), &none),
        None
    );
    assert_eq!(ledger.len(), 4);
    // Nobody: withheld, nothing kept.
    assert_eq!(protect(&mut ledger, Quantity::Person, &[], &none), None);
    assert_eq!(ledger.len(), 4);
    // Twelve persons are five away from the seven: their own answer.
    let twelve = protect(
        &mut ledger,
        Quantity::Person,
        &persons(&NAMES, &ones),
        &none,
    );
    assert_eq!(
        twelve,
        noise::publish(
            Quantity::Person,
            &persons(&NAMES, &ones),
            &Policy::builtin("adhoc").unwrap(),
            &PTable::peitto_v1()
        )
        .0
    );
    assert_eq!(ledger.len(), 5);
}

#[test]
fn a_set_a_report_withheld_is_kept_withheld() {
    let ones = [1; 12];
    let p = persons(&NAMES[..6], &ones);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("withheld");
    Withheld::record(&path, &[p.iter().map(|c| c.hash).collect()]).unwrap();
    let withheld = Withheld::load(&path).unwrap();
    let mut ledger = Ledger::default();
    assert_eq!(protect(&mut ledger, Quantity::Person, &p, &withheld), None);
    // The persons near it too.
    let seven = persons(&NAMES[..7], &ones);
    assert_eq!(
        protect(&mut ledger, Quantity::Person, &seven, &withheld),
        None
    );
}

#[test]
fn every_cell_near_the_persons_of_a_reports_withheld_cell_is_withheld() {
    // A report withheld the cell of eleven persons (a through k). An
    // attacker of the exact check asked the cell's definition less a
    // target when a condition held: `..` meant "the condition is false".
    // Now the cell less one, two or four persons, or with one more, is
    // withheld too, whatever it measures; a cell five persons away is not.
    let none = Withheld::default();
    let ones = [1; 12];
    let mixed = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3];
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("released-cells");
    let mut ledger = Ledger::open(&path).unwrap();
    ledger.record_withheld(&[hashes(&NAMES[..11])]);
    // Recording the same cell again adds nothing.
    ledger.record_withheld(&[hashes(&NAMES[..11])]);
    assert_eq!(ledger.len(), 1);
    ledger.save().unwrap();
    drop(ledger);
    // It survives the process, as the report's run and the query's are two.
    let mut ledger = Ledger::open(&path).unwrap();
    let sum = Quantity::Sum { lo: 0.0, hi: 1e6 };
    for names in [
        &NAMES[..11],
        &NAMES[..10],
        &NAMES[1..10],
        &NAMES[..7],
        &NAMES[..],
    ] {
        for (quantity, rows) in [(Quantity::Person, &ones), (sum, &mixed)] {
            assert_eq!(
                protect(&mut ledger, quantity, &persons(names, rows), &none),
                None,
                "{} persons, {quantity:?}",
                names.len()
            );
        }
    }
    // Withheld cells are no new anchors.
    assert_eq!(ledger.len(), 1);
    assert!(
        protect(
            &mut ledger,
            Quantity::Person,
            &persons(&NAMES[..6], &ones),
            &none
        )
        .is_some()
    );
}

#[test]
fn a_report_sees_the_counts_queries_published_near_its_cells() {
    // A query published a count of seven persons before any report ran;
    // a report's cell of those seven less two, or with one more, is
    // known to the attacker within the query's noise. Withheld answers,
    // other kinds and sets five or more away are not.
    let none = Withheld::default();
    let ones = [1; 12];
    let mixed = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3];
    let near = |answers: &Answers, names: &[&str]| {
        let mut all = hashes(names);
        all.sort_unstable();
        let smallest: Vec<u64> = all.iter().copied().take(5).collect();
        answers.near(all.len() as u64, &smallest, || all.clone())
    };
    let mut ledger = Ledger::default();
    assert!(ledger.answers().is_empty());
    let rows = Quantity::Rows {
        scale: 1.0,
        cap: 1e4,
    };
    // Rows of unequal counts (another kind), and a withheld pair.
    assert!(protect(&mut ledger, rows, &persons(&NAMES[..8], &mixed), &none).is_some());
    assert_eq!(
        protect(
            &mut ledger,
            Quantity::Person,
            &persons(&NAMES[9..], &ones),
            &none
        ),
        None
    );
    let answers = ledger.answers();
    assert!(!near(&answers, &NAMES[..8]), "rows are not a count");
    assert!(!near(&answers, &NAMES[9..]));
    // But their persons are a sum's, for a report's cells of sums.
    let sum_near = |names: &[&str]| {
        let mut all = hashes(names);
        all.sort_unstable();
        let smallest: Vec<u64> = all.iter().copied().take(5).collect();
        answers.near_sum(all.len() as u64, &smallest, || all.clone())
    };
    assert!(sum_near(&NAMES[..8]) && sum_near(&NAMES[1..8]));
    assert!(!sum_near(&NAMES[9..]) && !sum_near(&NAMES[3..]));
    assert!(
        protect(
            &mut ledger,
            Quantity::Person,
            &persons(&NAMES[..7], &ones),
            &none
        )
        .is_some()
    );
    let answers = ledger.answers();
    assert!(!answers.is_empty());
    for names in [
        &NAMES[..7],
        &NAMES[..5],
        &NAMES[2..7],
        &NAMES[..8],
        &NAMES[..11],
    ] {
        assert!(near(&answers, names), "{names:?}");
    }
    assert!(!near(&answers, &NAMES[..]), "five away");
    assert!(!near(&answers, &NAMES[7..]), "disjoint");
}

#[test]
fn a_sum_near_a_sum_a_report_published_gets_the_reports_sum() {
    // A report published 1 000 for the sum of a through h (each with
    // their contribution). A query's sum of them with up to four more or
    // fewer persons is given 1 000, in any order of rows; the same
    // persons with other contributions (another column) or seven persons
    // away get their own answer.
    let none = Withheld::default();
    let mixed = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3];
    let sum = Quantity::Sum { lo: 0.0, hi: 1e6 };
    let elements = |names: &'static [&'static str], rows: &[u64]| -> Vec<u64> {
        persons(names, rows)
            .iter()
            .map(|c| sum_element(c.hash, c.sum))
            .collect()
    };
    let mut ledger = Ledger::default();
    ledger.record_published_sums(&[(elements(&NAMES[..8], &mixed), 1000.0)]);
    ledger.record_published_sums(&[(elements(&NAMES[..8], &mixed), 1000.0)]);
    assert_eq!(ledger.len(), 1, "recorded once");
    // Each person keeps their contribution in every query.
    let of = |names: &'static [&'static str], from: usize| {
        let mut p = persons(names, &mixed[from..from + names.len()]);
        p.reverse();
        p
    };
    for (names, from) in [
        (&NAMES[..8], 0),
        (&NAMES[..12], 0),
        (&NAMES[1..8], 1),
        (&NAMES[4..8], 4),
    ] {
        assert_eq!(
            protect(&mut ledger, sum, &of(names, from), &none),
            Some(1000.0),
            "{names:?}"
        );
    }
    let other = [5; 12];
    for p in [persons(&NAMES[..8], &other), of(&NAMES[3..12], 3)] {
        assert_ne!(protect(&mut ledger, sum, &p, &none), Some(1000.0));
    }
}

#[test]
fn a_sum_keeps_the_number_of_its_own_contributors_only() {
    // Twelve persons with rows, six of whom add 31 days and six nothing:
    // the sum's persons are the six. Kept with the count of all twelve, a
    // later count of the six got twelve's number (a tester's finding).
    let none = Withheld::default();
    let mut ledger = Ledger::default();
    let mut p = persons(&NAMES, &[1; 12]);
    for (i, c) in p.iter_mut().enumerate() {
        c.sum = if i < 6 { 31.0 } else { 0.0 };
    }
    let sum = Quantity::Sum {
        lo: 0.0,
        hi: 3660.0,
    };
    let days = protect(&mut ledger, sum, &p, &none).expect("six persons");
    // Everyone adding the same is no reason to publish exactly 31 times a
    // count: the average would be exactly 31.
    assert_ne!(days % 31.0, 0.0, "{days}");
    let six = protect(
        &mut ledger,
        Quantity::Person,
        &persons(&NAMES[..6], &[1; 6]),
        &none,
    )
    .expect("six persons");
    assert!((4.0..=8.0).contains(&six), "{six}");
    let mut fresh = Ledger::default();
    let alone = protect(
        &mut fresh,
        Quantity::Person,
        &persons(&NAMES[..6], &[1; 6]),
        &none,
    );
    assert_eq!(Some(six), alone, "the six's own count");
}
