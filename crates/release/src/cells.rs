//! Protecting the cells of a saved report's release aggregates: the
//! dimension plans with their totals, suppression with the audit, and the
//! cell key method's perturbation of counts and magnitudes.

use super::*;
use crate::contributors::{contributor_stats, series};
pub(crate) use crate::counts::Counts;
use crate::same_persons::{Shown, same_persons_alike};

/// Protected cells: grouping values (`None`: the dimension's total) and,
/// per protected quantity, the value or `None` when withheld.
pub(crate) struct Cells {
    pub(crate) rows: Vec<CellRow>,
    pub(crate) counts: Counts,
}

/// One dimension as the suppression sees it.
struct DimPlan {
    /// The hierarchy given to disclosure control; `None` when the
    /// dimension's totals are not published (or it has one code only): the
    /// table is then protected slice by slice along it.
    sdc: Option<Dimension>,
    /// Codes published as exact copies of another code (a wellbeing county
    /// with one municipality is that municipality; a total over one code
    /// is that code), by the code they copy.
    copies: HashMap<String, Vec<String>>,
}

/// Builds a dimension's plan: the declared hierarchy over `leaves`, with
/// every code that has a single child folded into that child (its cells
/// would equal the child's, and an LP must not see two cells where there is
/// one).
fn dim_plan(name: &str, leaves: &[String], totals: Option<&Totals>) -> Result<DimPlan, SdcError> {
    let Some(t) = totals else {
        return Ok(DimPlan {
            sdc: None,
            copies: HashMap::new(),
        });
    };
    let known: HashMap<&str, &str> = t
        .parents
        .iter()
        .map(|(c, p)| (c.as_str(), p.as_str()))
        .collect();
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    for leaf in leaves {
        let mut at = leaf.clone();
        while at != t.total && !parent.contains_key(&at) {
            let p = known
                .get(at.as_str())
                .map_or(t.total.as_str(), |p| *p)
                .to_owned();
            parent.insert(at.clone(), p.clone());
            at = p;
        }
    }
    let mut copies: HashMap<String, Vec<String>> = HashMap::new();
    loop {
        let mut kids: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (c, p) in &parent {
            kids.entry(p.clone()).or_default().push(c.clone());
        }
        let Some((p, only)) = kids
            .iter()
            .find(|(_, k)| k.len() == 1)
            .map(|(p, k)| (p.clone(), k[0].clone()))
        else {
            break;
        };
        // `p` is a copy of `only`: fold it away.
        let mut inherited = copies.remove(&p).unwrap_or_default();
        inherited.push(p.clone());
        copies.entry(only.clone()).or_default().extend(inherited);
        match parent.remove(&p) {
            Some(grand) => {
                parent.insert(only, grand);
            }
            None => {
                // The total itself had one child: nothing is left to protect
                // along this dimension.
                parent.remove(&only);
                return Ok(DimPlan { sdc: None, copies });
            }
        }
    }
    let pairs: Vec<(String, String)> = parent.into_iter().collect();
    Ok(DimPlan {
        sdc: Some(Dimension::from_parents(name, &t.total, &pairs)?),
        copies,
    })
}

/// Suppression with the audit over every published total. Dimensions whose
/// totals are not published split the table into independent slices.
// one pass: dimensions, slices, protection, pattern
pub(crate) fn suppress(
    agg: &ReleaseAggregate,
    partials: &Partials,
    spec: &Spec,
    output: &crate::OutputNames,
) -> Result<Cells, ReleaseError> {
    let aliases = &output.aliases;
    let names: Vec<String> = agg
        .node
        .schema
        .fields()
        .iter()
        .take(agg.node.group_expr.len())
        .map(|f| f.name().clone())
        .collect();
    // Leaf codes per dimension, and the value each code stands for.
    let mut codes: Vec<BTreeMap<String, ScalarValue>> = vec![BTreeMap::new(); names.len()];
    for (key, _) in &partials.cells {
        for (d, v) in key.iter().enumerate() {
            if v.is_null() {
                return Err(ReleaseError::Dimension(format!(
                    "dimension {} has empty values: give them a code (COALESCE) so they can be tabulated",
                    names[d]
                )));
            }
            codes[d].insert(v.to_string(), v.clone());
        }
    }
    let plans: Vec<DimPlan> = names
        .iter()
        .enumerate()
        .map(|(d, name)| {
            let leaves: Vec<String> = codes[d].keys().cloned().collect();
            // A grouping such as COALESCE(l.form, 'MUU') is known by its column.
            let totals = spec
                .totals
                .get(name)
                .or_else(|| {
                    // Through each name the column is given on the way out.
                    let mut alias = aliases.get(name);
                    for _ in 0..8 {
                        let a = alias?;
                        if let Some(t) = spec.totals.get(a) {
                            return Some(t);
                        }
                        alias = aliases.get(a);
                    }
                    None
                })
                .or_else(|| {
                    let cols = agg.node.group_expr[d].column_refs();
                    match cols.iter().next() {
                        Some(c) if cols.len() == 1 => spec.totals.get(&c.name),
                        _ => None,
                    }
                });
            dim_plan(name, &leaves, totals)
        })
        .collect::<Result<_, _>>()?;
    let inner: Vec<usize> = (0..names.len())
        .filter(|&d| plans[d].sdc.is_some())
        .collect();
    // The names a reader of the released table sees, for the reasons.
    let shown_names: Vec<String> = names
        .iter()
        .map(|n| crate::explained::shown_name(n, aliases))
        .collect();
    let outer: Vec<usize> = (0..names.len())
        .filter(|&d| plans[d].sdc.is_none())
        .collect();
    // Without any dimension to total over, each cell stands alone: one
    // placeholder dimension whose total is never published.
    let placeholder = inner.is_empty();
    let sdc_dims: Vec<Dimension> = if placeholder {
        vec![Dimension::flat("cell", TOTAL, &["cell"])]
    } else {
        inner.iter().filter_map(|&d| plans[d].sdc.clone()).collect()
    };
    let quantities = parts(agg);
    // Each protected series: a published quantity, or a whole less its
    // part (`of_which`), protected as if published: a cell of 44 clients
    // of whom 43 were placed publishes the one not placed.
    let mut series = series(
        agg,
        &quantities,
        (&spec.of_which, &spec.discrepancies),
        output,
    )?;
    // Sums of a few fixed rates are counts per rate as well.
    let rates = crate::contributors::rate_classes(&series, quantities.len(), partials);
    series.extend(rates);
    let mut slices: BTreeMap<Vec<String>, Vec<(&Vec<ScalarValue>, &PersonPartials)>> =
        BTreeMap::new();
    for (key, persons) in &partials.cells {
        let slice = outer.iter().map(|&d| key[d].to_string()).collect();
        slices.entry(slice).or_default().push((key, persons));
    }
    let series_names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    // A series of sums whose contributions are not all 0 or 1 is a
    // magnitude: known from the whole aggregate, once for every slice.
    let magnitudes: Vec<bool> = series
        .iter()
        .map(|one| {
            one.class.is_none()
                && one.terms.iter().any(|&(j, part, _)| {
                    part == Part::Sum
                        && partials
                            .cells
                            .iter()
                            .flat_map(|(_, p)| p.measure(j))
                            .any(|m| m.0 != 0.0 && m.0 != 1.0)
                })
        })
        .collect();
    // Each person's hash, for the persons of each cell of a count.
    let hashes = partials.names.hashes();
    // Each shown cell's rows and the persons of its counts.
    let mut shown: Vec<Shown> = Vec::new();
    let mut counts = Counts::default();
    let mut rows = Vec::new();
    for (slice, members) in &slices {
        let sample = members[0].0;
        let inner_codes = |key: &Vec<ScalarValue>| -> Vec<String> {
            if placeholder {
                vec!["cell".to_owned()]
            } else {
                inner.iter().map(|&d| key[d].to_string()).collect()
            }
        };
        // Every cell (totals included) each leaf counts in, by index.
        let mut cell_index: FxHashMap<Vec<usize>, usize> = FxHashMap::default();
        let leaf_cells: Vec<Vec<usize>> = members
            .iter()
            .map(|(key, _)| {
                let lines: Vec<Vec<usize>> = inner_codes(key)
                    .iter()
                    .zip(&sdc_dims)
                    .map(|(code, dim)| dim.ancestors_and_self(dim.index(code).unwrap_or(0)))
                    .collect();
                product(&lines)
                    .into_iter()
                    .map(|cell| {
                        let next = cell_index.len();
                        *cell_index.entry(cell).or_insert(next)
                    })
                    .collect()
            })
            .collect();
        let stats = contributor_stats(members, &leaf_cells, cell_index.len(), &hashes, &series);
        // Whether a cell (by key) is an empty cell of count series `q`.
        let empty_count = |key: &Vec<usize>, q: usize| {
            !magnitudes[q]
                && cell_index
                    .get(key)
                    .is_none_or(|&i| stats[i][q].contributors == 0)
        };
        // Each series is protected on its own (the patterns are joined
        // below), so the series share the cores: with a sum of a few rates
        // a table has a dozen of them.
        // (the release, why each cell is withheld, whether it was protected
        // as if own queries' answers were not asked)
        let protect_one =
            |q: usize| -> Result<(Release, Vec<peitto_sdc::Reason>, bool), ReleaseError> {
                let one = &series[q];
                let leaves: Vec<Leaf> = members
                    .iter()
                    .map(|(key, persons)| Leaf {
                        codes: inner_codes(key),
                        value: one.leaf(persons),
                        contributors: 0,
                        top: Vec::new(),
                    })
                    .collect();
                let mut release = Release::single(
                    &format!("measure{q}"),
                    sdc_dims.clone(),
                    &leaves,
                    magnitudes[q],
                )?;
                if placeholder {
                    release.relations.clear();
                }
                // A count's empty cells, by their place: the same zero in any
                // earlier release of this report for the same year.
                let empties: Vec<Option<u64>> = (0..release.cells.len())
                    .map(|c| {
                        empty_count(&release.cells[c].key, q)
                            .then(|| spec.linked.empty_at(slice, &release, c))
                    })
                    .collect();
                // Cells known only through own queries' answers.
                let mut answered: Vec<usize> = Vec::new();
                for (c, (cell, empty)) in release.cells.iter_mut().zip(empties).enumerate() {
                    if let Some(key) = empty {
                        cell.known = spec.linked.published(key);
                        cell.linked = spec.linked.withheld(key);
                    }
                    if let Some(&i) = cell_index.get(&cell.key) {
                        let stat = &stats[i][q];
                        // All the cell's persons, only where an answer
                        // of about its size shares one of its smallest.
                        let persons =
                            || contributors::cell_persons(members, &leaf_cells, i, one, &hashes);
                        cell.contributors = stat.contributors;
                        cell.top.clone_from(&stat.top);
                        // The same persons in a count are the same number in
                        // every report.
                        if !magnitudes[q] && stat.contributors > 0 {
                            cell.known = spec.linked.published(stat.persons);
                            cell.linked = spec.linked.withheld(stat.persons);
                            // An own query published (nearly) these persons
                            // before the report ran: known within its noise,
                            // taken as known exactly. Not a primary's (it
                            // stays withheld; the query's set was five or more
                            // persons, not this one) nor a cell a report
                            // withheld (its pattern relied on it).
                            let near = !cell.known
                                && cell.linked.is_none()
                                && stat.contributors >= spec.policy.min_frequency
                                && spec.linked.answered_near(
                                    stat.contributors,
                                    stat.smallest(),
                                    persons,
                                );
                            if near {
                                cell.known = true;
                                answered.push(c);
                            }
                        }
                        // A sum an own query published for (nearly) these
                        // persons before the report ran, likewise; not a cell
                        // unsafe here (the query's noise protected its largest
                        // contributor, the exact value would not).
                        if magnitudes[q]
                            && stat.contributors >= spec.policy.min_frequency
                            && peitto_sdc::primary::magnitude_rule(
                                &spec.policy,
                                cell.value,
                                &stat.top,
                            )
                            .is_none()
                            && spec.linked.answered_near_sum(
                                stat.contributors,
                                stat.smallest(),
                                persons,
                            )
                        {
                            cell.known = true;
                            answered.push(c);
                        }
                    }
                }
                let done = crate::linked::protect_as_before(&mut release, &spec.policy);
                let mut unasked = false;
                let (audit, why) = match done {
                    Ok((audit, why)) if audit.passed() || answered.is_empty() => (audit, why),
                    Err(e) if answered.is_empty() => return Err(e.into()),
                    // No pattern protects the small cells with the queries'
                    // answers taken as exact (they are within noise): protected
                    // as if unasked rather than never released (README,
                    // "Not stopped yet").
                    _ => {
                        for &c in &answered {
                            release.cells[c].known = false;
                        }
                        unasked = true;
                        crate::linked::protect_as_before(&mut release, &spec.policy)?
                    }
                };
                if !audit.passed() {
                    return Err(SdcError::CannotProtect(format!(
                        "{} cells of measure {} fail the audit",
                        audit.failures.len(),
                        one.name
                    ))
                    .into());
                }
                Ok((release, why, unasked))
            };
        let mut releases = Vec::with_capacity(series.len());
        let mut reasons = Vec::with_capacity(series.len());
        let each: Vec<usize> = (0..series.len()).collect();
        for (q, done) in peitto_store::parallel(&each, |&q| protect_one(q))
            .into_iter()
            .enumerate()
        {
            let (release, why, unasked) = done?;
            if unasked {
                counts.unasked.push(series[q].name.clone());
            }
            releases.push(release);
            reasons.push(why);
        }
        // One pattern for all measures: a cell hidden in one is hidden in
        // all (more suppression never narrows an attacker's interval).
        let Some(first) = releases.first() else {
            return Err(ReleaseError::Dimension("no measure to release".into()));
        };
        // The placeholder dimension's total is never published.
        let placeholder_total = |key: &Vec<usize>| placeholder && key[0] == first.dims[0].total;
        let mut hidden: BTreeSet<&Vec<usize>> = releases
            .iter()
            .flat_map(|r| {
                r.cells
                    .iter()
                    .filter(|c| c.status.suppressed())
                    .map(|c| &c.key)
            })
            .collect();
        // Cells of counts with the same persons are the same number, in
        // whichever measure or place of the table (the persons followed up
        // at three months and at six): one shown gives the other away, so
        // all are withheld where one is (more suppression never narrows
        // an attacker's interval).
        // The persons of each cell's counts (for a count the
        // persons are the number), by cell.
        let count_persons = |i: usize| {
            stats[i]
                .iter()
                .zip(&magnitudes)
                .filter(|(stat, magnitude)| !**magnitude && stat.contributors > 0)
                .map(|(stat, _)| stat.persons)
        };
        let counted: Vec<(&Vec<usize>, u64)> = cell_index
            .iter()
            .filter(|(key, _)| !placeholder_total(key))
            .flat_map(|(key, &i)| count_persons(i).map(move |h| (key, h)))
            .collect();
        let mut same: FxHashMap<u64, Vec<&Vec<usize>>> = FxHashMap::default();
        for &(key, h) in &counted {
            same.entry(h).or_default().push(key);
        }
        for keys in same.values() {
            if keys.len() > 1 && keys.iter().any(|k| hidden.contains(*k)) {
                hidden.extend(keys.iter().copied());
            }
        }
        counts
            .count_cells
            .extend(counted.iter().map(|&(key, h)| (h, !hidden.contains(key))));
        let (few, sums) = crate::published::published_few(
            &releases[..quantities.len()],
            &magnitudes,
            &stats,
            |key| cell_index.get(key).copied(),
            |key| hidden.contains(key) || placeholder_total(key),
            spec.policy.min_frequency,
        );
        counts.published_persons.extend(few);
        counts.published_sums.extend(sums);
        // And the empty cells of counts, by their place.
        for (c, cell) in first.cells.iter().enumerate() {
            let empty = (0..series.len()).any(|q| empty_count(&cell.key, q));
            if empty && !placeholder_total(&cell.key) {
                counts.count_cells.push((
                    spec.linked.empty_at(slice, first, c),
                    !hidden.contains(&cell.key),
                ));
            }
        }
        let distinct = contributors::withheld_sets(
            members,
            &leaf_cells,
            &series,
            first,
            |key| hidden.contains(key),
            |key| cell_index.get(key).copied(),
        );
        counts.withheld_persons.extend(distinct.iter().map(|ids| {
            ids.iter()
                .map(|&id| partials.names.with(id, crate::withheld::person_hash))
                .collect::<Vec<u64>>()
        }));
        let index: Vec<HashMap<&Vec<usize>, usize>> = releases
            .iter()
            .map(|r| {
                r.cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (&c.key, i))
                    .collect()
            })
            .collect();
        for (at, cell) in first.cells.iter().enumerate() {
            if placeholder_total(&cell.key) {
                continue;
            }
            // Codes per original dimension: the cell's own and its copies.
            let mut choices: Vec<Vec<Option<ScalarValue>>> = Vec::new();
            for d in 0..names.len() {
                let own: Option<String> = if let Some(pos) = inner.iter().position(|&i| i == d) {
                    Some(first.dims[pos].codes[cell.key[pos]].clone())
                } else {
                    Some(sample[d].to_string())
                };
                let mut here: Vec<String> = own.into_iter().collect();
                let copies = here
                    .first()
                    .and_then(|c| plans[d].copies.get(c))
                    .cloned()
                    .unwrap_or_default();
                here.extend(copies);
                let text = matches!(
                    codes[d].values().next(),
                    Some(
                        ScalarValue::Utf8(_) | ScalarValue::LargeUtf8(_) | ScalarValue::Utf8View(_)
                    )
                );
                choices.push(
                    here.iter()
                        .map(|code| {
                            codes[d].get(code).cloned().or_else(|| {
                                // A level above the leaves: its code, or
                                // the total (an empty value).
                                (text && code != TOTAL)
                                    .then(|| ScalarValue::Utf8(Some(code.clone())))
                            })
                        })
                        .collect(),
                );
            }
            let withheld = hidden.contains(&cell.key);
            if withheld {
                counts.explanations.push(crate::explained::explain(
                    (&releases, &reasons, &index),
                    &cell.key,
                    &series_names,
                    (&shown_names, &inner, slice),
                ));
            }
            // The published quantities; the remainders are only protected.
            let values: Vec<Option<f64>> = releases[..quantities.len()]
                .iter()
                .zip(&index)
                .map(|(r, index)| {
                    let value = index.get(&cell.key).map_or(0.0, |&i| r.cells[i].value);
                    counts.cells += 1;
                    if withheld {
                        counts.suppressed += 1;
                        counts.hidden.push(value);
                        None
                    } else {
                        Some(value)
                    }
                })
                .collect();
            let sizes: Vec<Vec<usize>> = choices.iter().map(|c| (0..c.len()).collect()).collect();
            let from = rows.len();
            for pick in product(&sizes) {
                let group = pick
                    .iter()
                    .enumerate()
                    .map(|(d, &i)| choices[d][i].clone())
                    .collect();
                rows.push((group, values.clone()));
            }
            if !withheld && let Some(&i) = cell_index.get(&cell.key) {
                let why = crate::explained::same_persons(
                    first,
                    at,
                    &series_names,
                    (&shown_names, &inner, slice),
                );
                shown.push((from..rows.len(), count_persons(i).collect(), why));
            }
        }
    }
    same_persons_alike(&mut rows, &mut counts, &shown);
    Ok(Cells { rows, counts })
}

fn product(lines: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for line in lines {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                line.iter().map(move |&c| {
                    let mut k = prefix.clone();
                    k.push(c);
                    k
                })
            })
            .collect();
    }
    out
}
