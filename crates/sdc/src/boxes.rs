//! Box deviations: the cheap, constructive first try at hiding a primary.
//!
//! In a table that crosses hierarchies, a product of one-dimensional moves
//! keeps every relation true: in each dimension a vector over the codes
//! with `v(code) = Σ v(children)` for every code with children (the
//! primary's code +1, then a path down to a leaf, and either every
//! ancestor +1 or, at some level, a sibling −1 with a path down from it),
//! crossed over the dimensions, moves every cell of the product of their
//! supports by ± the same amount. In two dimensions that is a rectangle, in
//! three a box, as in the hypercube method. The cheapest such box, among
//! the moves that are cheapest along the primary's own lines, is found by
//! enumeration, without an LP. It is then checked against every relation
//! its cells take part in and against the attacker's bounds, so a box is
//! a valid deviation whatever the structure of the release (linked tables
//! included); where none is found the caller falls back to the LPs.

use crate::audit::lower_bound;
use crate::neighbourhood::Links;
use crate::policy::Policy;
use crate::table::{Dimension, Release};

/// One-dimensional moves per dimension, cheapest along the primary's lines
/// first, that are crossed: the boxes tried are at most this to the power
/// of the number of dimensions.
const PER_DIM: usize = 8;
/// Largest dense index of cells by key, relative to the number of cells:
/// beyond it (many sparse linked tables) boxes are not tried.
const DENSE: usize = 8;

/// Each cell by its key, in a dense array (mixed radix over the codes of
/// every dimension), or nothing when the release is too sparse for one.
pub(crate) struct Grid {
    strides: Vec<usize>,
    slots: Vec<u32>,
}

impl Grid {
    pub(crate) fn new(release: &Release) -> Option<Grid> {
        let mut size: usize = 1;
        let mut strides = Vec::with_capacity(release.dims.len());
        for d in &release.dims {
            strides.push(size);
            size = size.checked_mul(d.codes.len())?;
        }
        let cells = u32::try_from(release.cells.len()).ok()?;
        if size > DENSE * release.cells.len() + 4096 {
            return None;
        }
        let mut slots = vec![u32::MAX; size];
        for (i, cell) in (0..cells).zip(&release.cells) {
            let at: usize = cell.key.iter().zip(&strides).map(|(k, s)| k * s).sum();
            slots[at] = i;
        }
        Some(Grid { strides, slots })
    }

    fn at(&self, key: &[usize]) -> Option<usize> {
        let at: usize = key.iter().zip(&self.strides).map(|(k, s)| k * s).sum();
        match self.slots[at] {
            u32::MAX => None,
            i => Some(i as usize),
        }
    }
}

/// A one-dimensional move: codes with their sign, the primary's code first (+1).
type Move = Vec<(usize, f64)>;

/// Every path from `x` down to a leaf (the codes below `x`).
fn downs(dim: &Dimension, x: usize) -> Vec<Vec<usize>> {
    if dim.is_leaf(x) {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for &c in dim.children(x) {
        for rest in downs(dim, c) {
            let mut path = vec![c];
            path.extend(rest);
            out.push(path);
        }
    }
    out
}

/// Every one-dimensional move of code `x`: a path down from it, and either
/// every ancestor or, at one level, the ancestors up to it and a sibling
/// with a path down from the sibling, the other way. A root that is also
/// the only code of its table in this dimension (a linked table without
/// the dimension) may move alone.
fn moves(dim: &Dimension, x: usize) -> Vec<Move> {
    let chain = dim.ancestors_and_self(x);
    let mut ups: Vec<Move> = vec![chain[1..].iter().map(|&a| (a, 1.0)).collect()];
    for level in 0..chain.len() - 1 {
        let (node, parent) = (chain[level], chain[level + 1]);
        for &s in dim.children(parent) {
            if s == node {
                continue;
            }
            for down in downs(dim, s) {
                let mut up: Move = chain[1..=level].iter().map(|&a| (a, 1.0)).collect();
                up.push((s, -1.0));
                up.extend(down.into_iter().map(|c| (c, -1.0)));
                ups.push(up);
            }
        }
    }
    let mut out = Vec::new();
    if dim.parent[x].is_none() && !dim.is_leaf(x) {
        out.push(vec![(x, 1.0)]);
    }
    for down in downs(dim, x) {
        for up in &ups {
            let mut m: Move = vec![(x, 1.0)];
            m.extend(down.iter().map(|&c| (c, 1.0)));
            m.extend(up.iter().copied());
            out.push(m);
        }
    }
    out
}

/// What a box search needs to know about the cells.
pub(crate) struct Costs<'a> {
    pub release: &'a Release,
    pub policy: &'a Policy,
    pub links: &'a Links,
    pub grid: &'a Grid,
    /// A cell's cost (infinite: the cell may not move).
    pub cost: &'a dyn Fn(usize) -> f64,
}

impl<'a> Costs<'a> {
    /// The costs of `cost` over `release`, where its links know the grid
    /// of its cells (none without one: no box can be searched).
    pub(crate) fn new(
        release: &'a Release,
        policy: &'a Policy,
        links: &'a Links,
        cost: &'a dyn Fn(usize) -> f64,
    ) -> Option<Costs<'a>> {
        Some(Costs {
            release,
            policy,
            links,
            grid: links.grid.as_ref()?,
            cost,
        })
    }

    /// Whether cell `i` may move by `delta` in a deviation: not a cell
    /// the attacker knows, and not below the attacker's lower bound.
    fn may_move(&self, i: usize, delta: f64, known: Option<usize>) -> bool {
        Some(i) != known
            && !self.release.cells[i].known
            && (delta >= 0.0
                || self.release.cells[i].value + delta
                    >= lower_bound(self.release, self.policy, i) - 1e-9)
    }

    /// Whether moving `moved` (cells with their change, sorted by cell)
    /// keeps every relation any of them takes part in.
    fn balanced(&self, moved: &[(usize, f64)]) -> bool {
        let delta = |c: usize| {
            moved
                .binary_search_by_key(&c, |&(i, _)| i)
                .map_or(0.0, |k| moved[k].1)
        };
        moved.iter().all(|&(i, _)| {
            self.links.of(i).iter().all(|&r| {
                let sum: f64 = self.release.relations[r]
                    .terms()
                    .map(|(c, coef)| coef * delta(c))
                    .sum();
                sum.abs() <= 1e-9 * (1.0 + moved[0].1.abs())
            })
        })
    }
}

/// The cells of the cheapest box that moves `p` by `direction × amount`
/// (`p` included), or `None` when no box among those tried is feasible.
pub(crate) fn cheapest(
    costs: &Costs,
    p: usize,
    direction: f64,
    amount: f64,
    known: Option<usize>,
) -> Option<Vec<usize>> {
    let release = costs.release;
    let key = &release.cells[p].key;
    let step = direction * amount;
    // Per dimension, the moves cheapest along the primary's own line.
    let mut per_dim: Vec<Vec<Move>> = Vec::with_capacity(key.len());
    for (d, dim) in release.dims.iter().enumerate() {
        let mut line = key.clone();
        let mut ranked: Vec<(f64, Move)> = moves(dim, key[d])
            .into_iter()
            .filter_map(|m| {
                let mut total = 0.0;
                for &(code, sign) in &m[1..] {
                    line[d] = code;
                    let i = costs.grid.at(&line)?;
                    let c = (costs.cost)(i);
                    if !c.is_finite() || !costs.may_move(i, sign * step, known) {
                        return None;
                    }
                    total += c;
                }
                Some((total, m))
            })
            .collect();
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
        ranked.truncate(PER_DIM);
        if ranked.is_empty() {
            return None;
        }
        per_dim.push(ranked.into_iter().map(|(_, m)| m).collect());
    }
    let mut best: Option<(f64, Vec<(usize, f64)>)> = None;
    let mut choice = vec![0usize; per_dim.len()];
    let mut moved: Vec<(usize, f64)> = Vec::new();
    let mut cell_key = key.clone();
    loop {
        let bound = best.as_ref().map_or(f64::INFINITY, |b| b.0);
        let supports: Vec<&Move> = choice.iter().zip(&per_dim).map(|(&c, m)| &m[c]).collect();
        if let Some(total) = price(
            costs,
            &supports,
            &mut cell_key,
            step,
            known,
            bound,
            &mut moved,
        ) {
            moved.sort_unstable_by_key(|&(i, _)| i);
            if costs.balanced(&moved) {
                best = Some((total, moved.clone()));
            }
        }
        // Next combination (mixed radix over the dimensions).
        let mut d = 0;
        while d < choice.len() {
            choice[d] += 1;
            if choice[d] < per_dim[d].len() {
                break;
            }
            choice[d] = 0;
            d += 1;
        }
        if d == choice.len() {
            break;
        }
    }
    best.map(|(_, moved)| moved.into_iter().map(|(i, _)| i).collect())
}

/// The cost of the box crossing `supports`, with its cells and their
/// change in `moved`; `None` when a cell is missing or may not move, or
/// the cost reaches `bound`.
fn price(
    costs: &Costs,
    supports: &[&Move],
    key: &mut [usize],
    step: f64,
    known: Option<usize>,
    bound: f64,
    moved: &mut Vec<(usize, f64)>,
) -> Option<f64> {
    moved.clear();
    let mut at = vec![0usize; supports.len()];
    let mut total = 0.0;
    loop {
        let mut sign = 1.0;
        for (d, (&k, support)) in at.iter().zip(supports).enumerate() {
            key[d] = support[k].0;
            sign *= support[k].1;
        }
        let i = costs.grid.at(key)?;
        if !costs.may_move(i, sign * step, known) {
            return None;
        }
        total += (costs.cost)(i);
        if total >= bound {
            return None;
        }
        moved.push((i, sign * step));
        let mut d = 0;
        while d < at.len() {
            at[d] += 1;
            if at[d] < supports[d].len() {
                break;
            }
            at[d] = 0;
            d += 1;
        }
        if d == at.len() {
            return Some(total);
        }
    }
}
