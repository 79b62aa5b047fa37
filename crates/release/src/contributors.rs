//! What disclosure control needs of each protected series of a saved
//! report's cells beyond its value: the series themselves (each published
//! quantity, each `of_which` remainder, each way of a `discrepancies`
//! pair, and the count per rate of a sum of a few fixed rates), and per
//! cell how many persons contribute, their largest contributions and the
//! hash of their set.

use super::*;

/// One protected series of a release aggregate's cells: a sum of
/// quantities times coefficients (a published quantity alone, or a whole
/// less its part).
pub(crate) struct Series {
    /// The measure's shown name, or `whole − part`.
    pub(crate) name: String,
    /// (measure, part, coefficient).
    pub(crate) terms: Vec<(usize, Part, f64)>,
    /// Each person's sum of the terms, taken only where positive (one way
    /// of a discrepancy).
    pub(crate) positive: bool,
    /// A count of the persons whose sum of the terms in a leaf is exactly
    /// this amount (one rate of a sum of fixed rates), not the sum itself.
    pub(crate) class: Option<f64>,
}

impl Series {
    /// One person's contribution, from their partials of every measure
    /// (before `positive` is applied).
    pub(crate) fn of(&self, partial: &[(f64, u64)]) -> f64 {
        let sum = self
            .terms
            .iter()
            .map(|&(j, part, c)| c * contribution(part, partial[j]))
            .sum();
        match self.class {
            Some(amount) => f64::from(u8::from(same_amount(sum, amount))),
            None => sum,
        }
    }

    /// What a person's summed contribution to a cell adds.
    pub(crate) fn kept(&self, v: f64) -> f64 {
        if self.positive { v.max(0.0) } else { v }
    }

    /// The series' value for one leaf's persons.
    pub(crate) fn leaf(&self, persons: &PersonPartials) -> f64 {
        if self.positive || self.class.is_some() {
            persons.persons().map(|(_, p)| self.kept(self.of(p))).sum()
        } else {
            self.terms
                .iter()
                .map(|&(j, part, c)| {
                    c * persons
                        .measure(j)
                        .map(|m| contribution(part, m))
                        .sum::<f64>()
                })
                .sum()
        }
    }
}

/// The published quantities, then one series per `of_which` pair (its
/// whole less its part) and two per `discrepancies` pair (each way, what
/// a person has more in one measure than in the other). A pair naming no
/// measure of the aggregate is an error of the report, never skipped.
pub(crate) fn series(
    agg: &ReleaseAggregate,
    quantities: &[(usize, Part)],
    (of_which, discrepancies): (&[peitto_engine::report::OfWhich], &[(String, String)]),
    output: &crate::OutputNames,
) -> Result<Vec<Series>, ReleaseError> {
    let aliases = &output.aliases;
    let groups = agg.node.group_expr.len();
    let name_of =
        |j: usize| crate::explained::shown_name(agg.node.schema.field(groups + j).name(), aliases);
    let mut out: Vec<Series> = quantities
        .iter()
        .map(|&(j, part)| Series {
            name: name_of(j),
            terms: vec![(j, part, 1.0)],
            positive: false,
            class: None,
        })
        .collect();
    let field = |j: usize| agg.node.schema.field(groups + j).name().clone();
    // An output computed from exactly one of this aggregate's measures
    // (and anything else but another measure) is that measure's.
    let computed_from = |name: &str, j: usize| {
        output.refs.get(name).is_some_and(|refs| {
            let measures: Vec<usize> = quantities
                .iter()
                .map(|q| q.0)
                .filter(|&k| refs.contains(&field(k)))
                .collect();
            !measures.is_empty() && measures.iter().all(|&k| k == j)
        })
    };
    let find = |name: &str| {
        quantities
            .iter()
            .find(|&&(j, _)| name_of(j) == name || field(j) == name)
            .or_else(|| quantities.iter().find(|&&(j, _)| computed_from(name, j)))
            .copied()
    };
    for pair in of_which {
        let missing = || {
            ReleaseError::Dimension(format!(
                "of_which: {} names a measure the report does not compute",
                pair.text()
            ))
        };
        let (jw, pw) = find(&pair.whole).ok_or_else(missing)?;
        let mut terms = vec![(jw, pw, 1.0)];
        let mut name = pair.whole.clone();
        for (sign, part) in &pair.parts {
            let (j, p) = find(part).ok_or_else(missing)?;
            // The whole less the part: each of the part's terms, negated.
            terms.push((j, p, -f64::from(*sign)));
            name.push_str(if *sign > 0 { " − " } else { " + " });
            name.push_str(part);
        }
        out.push(Series {
            name,
            terms,
            positive: false,
            class: None,
        });
    }
    for (a, b) in discrepancies {
        let missing = || {
            ReleaseError::Dimension(format!(
                "discrepancies: {a} <> {b} names a measure the report does not compute"
            ))
        };
        let (ja, pa) = find(a).ok_or_else(missing)?;
        let (jb, pb) = find(b).ok_or_else(missing)?;
        // Each way: the persons with more in one measure than in the other.
        for (x, (jx, px), y, (jy, py)) in [(a, (ja, pa), b, (jb, pb)), (b, (jb, pb), a, (ja, pa))] {
            out.push(Series {
                name: format!("{x} > {y}"),
                terms: vec![(jx, px, 1.0), (jy, py, -1.0)],
                positive: true,
                class: None,
            });
        }
    }
    Ok(out)
}

/// Most distinct amounts a sum's persons may have in a leaf for it to be
/// taken as a sum of fixed rates.
const MAX_RATES: usize = 16;

/// Whether two amounts are the same rate (sums of cents in floating point).
fn same_amount(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

/// For each sum whose persons' amounts in a leaf are a few fixed rates
/// (state compensations: a twelfth of a yearly rate by age group, a flat
/// 700 €), a count series per rate: the published sum divided by the rates
/// gives these counts back exactly (an attacker read four children under
/// seven from a county's compensation total, and one initial assessment
/// its own cell withheld from the month's total), so each is protected
/// like a count and hidden with the cell. A sum of many different amounts
/// (invoices), or of small whole numbers, is left as it is. Taken only
/// where each rate has on average four persons' amounts or more, so that
/// a small table of ordinary amounts is not mistaken for one.
pub(crate) fn rate_classes(
    series: &[Series],
    quantities: usize,
    partials: &Partials,
) -> Vec<Series> {
    let mut out = Vec::new();
    for one in &series[..quantities.min(series.len())] {
        if !one.terms.iter().any(|&(_, part, _)| part == Part::Sum) {
            continue;
        }
        let mut amounts: Vec<f64> = Vec::new();
        let mut seen = 0usize;
        let mut few = true;
        'cells: for (_, persons) in &partials.cells {
            for (_, partial) in persons.persons() {
                let v = one.of(partial);
                if v == 0.0 {
                    continue;
                }
                seen += 1;
                if !amounts.iter().any(|&a| same_amount(a, v)) {
                    amounts.push(v);
                    if amounts.len() > MAX_RATES {
                        few = false;
                        break 'cells;
                    }
                }
            }
        }
        // Counts of 0 and 1 are counts already; small whole numbers (a
        // child's matters, rows or days) add up to a total in too many
        // ways to be told apart, where a few rates of euros and cents seldom
        // make the same sum twice.
        let counts = amounts.iter().all(|&a| a.fract() == 0.0 && a.abs() < 100.0);
        if !few || counts || amounts.is_empty() || seen < 4 * amounts.len() {
            continue;
        }
        amounts.sort_by(f64::total_cmp);
        for amount in amounts {
            out.push(Series {
                name: format!("{} = {amount}", one.name),
                terms: one.terms.clone(),
                positive: false,
                class: Some(amount),
            });
        }
    }
    out
}

/// What disclosure control needs of one cell of one series.
#[derive(Clone, Default)]
pub(crate) struct Stat {
    /// Persons contributing a non-zero amount.
    pub(crate) contributors: u64,
    /// The largest contributions (absolute, largest first).
    pub(crate) top: Vec<f64>,
    /// The set hash of the contributing persons
    /// ([`crate::withheld::set_hash`]): the same for the same persons in
    /// any release, so that cells of two reports can be linked.
    pub(crate) persons: u64,
    /// The smallest hashes of the contributing persons, ascending (the
    /// first `min(contributors, 5)`): where an own query's answer of
    /// nearly the same persons would be indexed (`query::Answers`).
    pub(crate) smallest: [u64; SMALLEST],
    /// The contributing persons' hashes while there are at most [`FEW`]
    /// of them (empty above): a published count of these persons is
    /// recorded for `query` to answer nearly the same persons with it.
    pub(crate) few: Vec<u64>,
    /// Each of `few`'s contribution (a sum's persons, for `query` to
    /// answer nearly the same persons' sum with the published one).
    pub(crate) few_values: Vec<f64>,
}

/// The most persons of a published count recorded for `query`: padding a
/// small group with a published cell of a few dozen persons is the cheap
/// attack; larger cells would cost memory in every report.
pub(crate) const FEW: u64 = 64;

/// Smallest person hashes kept per cell, as the ledger indexes a set.
pub(crate) const SMALLEST: usize = 5;

impl Stat {
    /// The smallest hashes kept.
    pub(crate) fn smallest(&self) -> &[u64] {
        &self.smallest[..(self.contributors as usize).min(SMALLEST)]
    }
}

/// Per cell (by index) and protected quantity: its [`Stat`]. Taken person
/// by person: a person's contribution to a cell is the sum over the
/// leaves of the cell they appear in. `hashes` are the persons' hashes by
/// person number.
pub(crate) fn contributor_stats(
    members: &[(&Vec<ScalarValue>, &PersonPartials)],
    leaf_cells: &[Vec<usize>],
    cells: usize,
    hashes: &[u64],
    series: &[Series],
) -> Vec<Vec<Stat>> {
    let persons = hashes.len();
    let mut stats = vec![vec![Stat::default(); series.len()]; cells];
    let mut add = |cell: usize, q: usize, v: f64, id: u32| {
        if v != 0.0 {
            let Stat {
                contributors: count,
                top,
                persons,
                smallest,
                few,
                few_values,
            } = &mut stats[cell][q];
            let hash = hashes[id as usize];
            *persons = persons.wrapping_add(hash);
            let kept = (*count as usize).min(SMALLEST);
            let at = smallest[..kept].partition_point(|&s| s < hash);
            if at < SMALLEST {
                smallest.copy_within(at..SMALLEST - 1, at + 1);
                smallest[at] = hash;
            }
            if *count < FEW {
                few.push(hash);
                few_values.push(v);
            } else if *count == FEW {
                *few = Vec::new();
                *few_values = Vec::new();
            }
            *count += 1;
            let v = v.abs();
            let at = top.partition_point(|&t| t >= v);
            if at < peitto_sdc::table::TOP_KEPT {
                top.insert(at, v);
                top.truncate(peitto_sdc::table::TOP_KEPT);
            }
        }
    };
    // Persons found in more than one leaf; everyone else is counted at once.
    const NONE: u32 = u32::MAX;
    let mut first = vec![NONE; persons];
    let mut several = vec![false; persons];
    for (m, (_, leaf)) in members.iter().enumerate() {
        let m = u32::try_from(m).unwrap_or(NONE);
        for &id in &leaf.ids {
            let seen = &mut first[id as usize];
            if *seen == NONE {
                *seen = m;
            } else if *seen != m {
                several[id as usize] = true;
            }
        }
    }
    drop(first);
    // (person, leaf, position in the leaf) of those in several leaves.
    let mut pending: Vec<(u32, u32, u32)> = Vec::new();
    for (m, (_, leaf)) in members.iter().enumerate() {
        for (at, (id, partial)) in leaf.persons().enumerate() {
            if several[id as usize] {
                pending.push((
                    id,
                    u32::try_from(m).unwrap_or(NONE),
                    u32::try_from(at).unwrap_or(NONE),
                ));
                continue;
            }
            for (q, one) in series.iter().enumerate() {
                let v = one.kept(one.of(partial));
                for &cell in &leaf_cells[m] {
                    add(cell, q, v, id);
                }
            }
        }
    }
    pending.sort_unstable();
    // A person's sum per cell, in a dense table reset after each person.
    let width = series.len();
    let mut sums = vec![0.0; cells * width];
    let mut touched: Vec<usize> = Vec::new();
    let mut is_touched = vec![false; cells];
    for group in pending.chunk_by(|a, b| a.0 == b.0) {
        let id = group[0].0;
        for &(_, m, at) in group {
            let (_, leaf) = members[m as usize];
            let partial = leaf.person(at as usize);
            for &cell in &leaf_cells[m as usize] {
                if !is_touched[cell] {
                    is_touched[cell] = true;
                    touched.push(cell);
                }
                for (q, one) in series.iter().enumerate() {
                    sums[cell * width + q] += one.of(partial);
                }
            }
        }
        for &cell in &touched {
            for q in 0..width {
                add(
                    cell,
                    q,
                    series[q].kept(std::mem::take(&mut sums[cell * width + q])),
                    id,
                );
            }
            is_touched[cell] = false;
        }
        touched.clear();
    }
    stats
}

/// The hashes of the persons contributing to `cell` in `one`, as
/// [`contributor_stats`] counts them: for the rare cell whose persons must
/// be compared in full with an own query's answer, so taken leaf by leaf
/// rather than kept for every cell.
pub(crate) fn cell_persons(
    members: &[(&Vec<ScalarValue>, &PersonPartials)],
    leaf_cells: &[Vec<usize>],
    cell: usize,
    one: &Series,
    hashes: &[u64],
) -> Vec<u64> {
    let mut sums: peitto_store::fast_hash::FxHashMap<u32, f64> = Default::default();
    for ((_, leaf), cells) in members.iter().zip(leaf_cells) {
        if cells.contains(&cell) {
            for (id, partial) in leaf.persons() {
                *sums.entry(id).or_default() += one.of(partial);
            }
        }
    }
    sums.into_iter()
        .filter(|&(_, v)| one.kept(v) != 0.0)
        .map(|(id, _)| hashes[id as usize])
        .collect()
}

/// The persons of a saved report's withheld cells, for `query` to
/// withhold every cell near them: each withheld cell's persons, all of
/// them and those behind each series apart (a query's measure is keyed by
/// its own contributors: the children urgently placed are fewer than the
/// cell's persons when the cell also counts new care orders), and the
/// withheld parts of each published total together
/// (`withheld::unions_of_parts`); distinct and non-empty, as person
/// numbers. `hidden` says whether a cell (by key) is withheld, `index`
/// gives its number among the cells the leaves count in (`leaf_cells`).
pub(crate) fn withheld_sets(
    members: &[(&Vec<ScalarValue>, &PersonPartials)],
    leaf_cells: &[Vec<usize>],
    series: &[Series],
    release: &peitto_sdc::Release,
    hidden: impl Fn(&Vec<usize>) -> bool,
    index: impl Fn(&Vec<usize>) -> Option<usize>,
) -> BTreeSet<BTreeSet<u32>> {
    let withheld: BTreeSet<usize> = release
        .cells
        .iter()
        .filter(|c| hidden(&c.key))
        .filter_map(|c| index(&c.key))
        .collect();
    let mut persons_of: FxHashMap<usize, Vec<BTreeSet<u32>>> = FxHashMap::default();
    for ((_, persons), cells) in members.iter().zip(leaf_cells) {
        for &c in cells.iter().filter(|c| withheld.contains(c)) {
            let sets = persons_of
                .entry(c)
                .or_insert_with(|| vec![BTreeSet::new(); 1 + series.len()]);
            sets[0].extend(&persons.ids);
            for (id, partial) in persons.persons() {
                for (q, one) in series.iter().enumerate() {
                    if one.kept(one.of(partial)) != 0.0 {
                        sets[1 + q].insert(id);
                    }
                }
            }
        }
    }
    let unions = crate::withheld::unions_of_parts(
        release,
        &hidden,
        |key| index(key).and_then(|c| persons_of.get(&c)),
        1 + series.len(),
    );
    persons_of
        .into_values()
        .flatten()
        .chain(unions)
        .filter(|s| !s.is_empty())
        .collect()
}
