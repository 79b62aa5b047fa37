//! Tables of cells over hierarchical dimensions, and the linear relations
//! between a total and its parts. Several tables released together are one
//! [`Release`]: a cell is identified by its code in every dimension of the
//! release (the total where a table lacks the dimension), so a margin two
//! tables share is one cell with the relations of both.

use crate::SdcError;
pub use crate::dimension::Dimension;
use std::collections::HashMap;

/// A table: which dimensions of the release it crosses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// Name.
    pub name: String,
    /// Indices into the release's dimensions.
    pub dims: Vec<usize>,
}

/// Why a cell is unsafe on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrimaryReason {
    /// Fewer distinct persons than the policy's minimum.
    Frequency,
    /// A zero, where zeros are unsafe.
    Zero,
    /// p% rule.
    PPercent,
    /// (n,k) dominance.
    Dominance,
    /// Part of a row or column whose total is under the threshold.
    RowTotal,
    /// The same persons as a cell another release withheld: publishing it
    /// here would give that cell away (linked tables).
    Linked,
}

impl PrimaryReason {
    /// Stable name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            PrimaryReason::Frequency => "frequency",
            PrimaryReason::Zero => "zero",
            PrimaryReason::PPercent => "p_percent",
            PrimaryReason::Dominance => "dominance",
            PrimaryReason::RowTotal => "row_total",
            PrimaryReason::Linked => "linked",
        }
    }
}

/// Whether a cell is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Published.
    Safe,
    /// Unsafe on its own.
    Primary(PrimaryReason),
    /// Hidden so that primaries cannot be recomputed.
    Secondary,
}

impl Status {
    /// Whether the value is withheld.
    #[must_use]
    pub fn suppressed(self) -> bool {
        !matches!(self, Status::Safe)
    }

    /// `safe`, `primary` or `secondary`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Safe => "safe",
            Status::Primary(_) => "primary",
            Status::Secondary => "secondary",
        }
    }
}

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// Code index in each release dimension.
    pub key: Vec<usize>,
    /// The value (a count, or a sum such as euros).
    pub value: f64,
    /// Distinct contributors (persons).
    pub contributors: u64,
    /// The largest per-person contributions, largest first (magnitude tables).
    pub top: Vec<f64>,
    /// Publication status.
    pub status: Status,
    /// How much the attacker's interval must extend above and below the value.
    pub protection: (f64, f64),
    /// Another release published this cell (the same persons, the same
    /// count): the attacker knows it, so it is published here too and no
    /// pattern may rely on hiding it.
    pub known: bool,
    /// Another release withheld this cell: it is a primary here, whose
    /// attacker interval must reach this percent of its value above it
    /// (at least one unit; 0: withheld, with no range of its own, as a
    /// cell an earlier run of the same table withheld).
    pub linked: Option<f64>,
}

/// `total = Σ parts`, over cell indices.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Relation {
    /// The total cell.
    pub total: usize,
    /// The part cells.
    pub parts: Vec<usize>,
}

impl Relation {
    /// Every cell of the relation, the total last.
    pub fn cells(&self) -> impl Iterator<Item = usize> + '_ {
        self.parts.iter().copied().chain([self.total])
    }

    /// Each cell with its coefficient in `Σ parts − total = 0`.
    pub fn terms(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.parts
            .iter()
            .map(|&p| (p, 1.0))
            .chain([(self.total, -1.0)])
    }
}

/// Largest contributions kept per cell.
pub const TOP_KEPT: usize = 3;

/// Tables released together, with every cell and relation.
#[derive(Debug, Clone)]
pub struct Release {
    /// Dimensions of all tables.
    pub dims: Vec<Dimension>,
    /// The tables.
    pub tables: Vec<TableDef>,
    /// Whether values are magnitudes (euros) rather than counts.
    pub magnitude: bool,
    /// Every cell.
    pub cells: Vec<Cell>,
    index: HashMap<Vec<usize>, usize>,
    /// Every relation (deduplicated).
    pub relations: Vec<Relation>,
}

/// One finest-level cell as input.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// Codes, one per dimension of the table, in the table's order.
    pub codes: Vec<String>,
    /// Value.
    pub value: f64,
    /// Distinct contributors.
    pub contributors: u64,
    /// Largest contributions.
    pub top: Vec<f64>,
}

impl Release {
    /// An empty release over `dims` and `tables`.
    #[must_use]
    pub fn new(dims: Vec<Dimension>, tables: Vec<TableDef>, magnitude: bool) -> Release {
        Release {
            dims,
            tables,
            magnitude,
            cells: Vec::new(),
            index: HashMap::new(),
            relations: Vec::new(),
        }
    }

    /// A release of one table crossing all `dims`, built from its leaves.
    ///
    /// # Errors
    /// If a leaf names an unknown code or a code that is not a leaf.
    pub fn single(
        name: &str,
        dims: Vec<Dimension>,
        leaves: &[Leaf],
        magnitude: bool,
    ) -> Result<Release, SdcError> {
        let table = TableDef {
            name: name.to_owned(),
            dims: (0..dims.len()).collect(),
        };
        let mut release = Release::new(dims, vec![table], magnitude);
        release.add_leaves(0, leaves)?;
        release.build_relations();
        Ok(release)
    }

    /// Adds table `t`'s leaves, creating every cell of the table (empty
    /// ones as zeros) with values summed up every hierarchy. A cell another
    /// table already has must get the same value.
    ///
    /// # Errors
    /// On unknown or non-leaf codes, and on disagreement with a linked table.
    pub fn add_leaves(&mut self, t: usize, leaves: &[Leaf]) -> Result<(), SdcError> {
        let table = self.tables[t].clone();
        let mut sums: HashMap<Vec<usize>, (f64, u64, Vec<f64>)> = HashMap::new();
        // Every cell of the table exists, empty ones as zero.
        for key in product(
            &table
                .dims
                .iter()
                .map(|&d| self.dims[d].codes.len())
                .collect::<Vec<_>>(),
        ) {
            sums.insert(self.cover_key(&table, &key), (0.0, 0, Vec::new()));
        }
        for leaf in leaves {
            if leaf.codes.len() != table.dims.len() {
                return Err(SdcError::Definition(format!(
                    "table {}: a cell has {} codes, expected {}",
                    table.name,
                    leaf.codes.len(),
                    table.dims.len()
                )));
            }
            let mut chains = Vec::new();
            for (code, &d) in leaf.codes.iter().zip(&table.dims) {
                let dim = &self.dims[d];
                let i = dim.index(code).ok_or_else(|| {
                    SdcError::Definition(format!(
                        "table {}: {} has no code {code:?}",
                        table.name, dim.name
                    ))
                })?;
                if !dim.is_leaf(i) {
                    return Err(SdcError::Definition(format!(
                        "table {}: {code:?} of {} is a subtotal; give the most detailed cells only",
                        table.name, dim.name
                    )));
                }
                chains.push(dim.ancestors_and_self(i));
            }
            for combo in product(&chains.iter().map(Vec::len).collect::<Vec<_>>()) {
                let key: Vec<usize> = combo
                    .iter()
                    .zip(&chains)
                    .map(|(&j, chain)| chain[j])
                    .collect();
                let entry = sums.entry(self.cover_key(&table, &key)).or_default();
                entry.0 += leaf.value;
                entry.1 += leaf.contributors;
                entry.2.extend(leaf.top.iter().copied());
                entry.2.sort_by(|a, b| b.total_cmp(a));
                entry.2.truncate(TOP_KEPT);
            }
        }
        let mut keys: Vec<_> = sums.into_iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        for (key, (value, contributors, top)) in keys {
            if let Some(&i) = self.index.get(&key) {
                let existing = &self.cells[i];
                if (existing.value - value).abs() > 1e-6 * value.abs().max(1.0) {
                    return Err(SdcError::Inconsistent {
                        cell: self.describe(i),
                        a: existing.value,
                        b: value,
                    });
                }
                continue;
            }
            self.index.insert(key.clone(), self.cells.len());
            self.cells.push(Cell {
                key,
                value,
                contributors,
                top,
                status: Status::Safe,
                protection: (0.0, 0.0),
                known: false,
                linked: None,
            });
        }
        Ok(())
    }

    fn cover_key(&self, table: &TableDef, key: &[usize]) -> Vec<usize> {
        let mut full: Vec<usize> = self.dims.iter().map(|d| d.total).collect();
        for (&d, &code) in table.dims.iter().zip(key) {
            full[d] = code;
        }
        full
    }

    /// Builds the relations of every table (call after all leaves are in).
    pub fn build_relations(&mut self) {
        let mut relations = std::collections::BTreeSet::new();
        for table in &self.tables {
            for (i, cell) in self.cells.iter().enumerate() {
                // Only this table's cells: dimensions outside it are at their total.
                let in_table = (0..self.dims.len())
                    .all(|d| table.dims.contains(&d) || cell.key[d] == self.dims[d].total);
                if !in_table {
                    continue;
                }
                for &d in &table.dims {
                    let children = self.dims[d].children(cell.key[d]);
                    if children.is_empty() {
                        continue;
                    }
                    let parts: Vec<usize> = children
                        .iter()
                        .filter_map(|&c| {
                            let mut k = cell.key.clone();
                            k[d] = c;
                            self.index.get(&k).copied()
                        })
                        .collect();
                    relations.insert(Relation { total: i, parts });
                }
            }
        }
        self.relations = relations.into_iter().collect();
    }

    /// The cell with these codes (one per release dimension).
    #[must_use]
    pub fn find(&self, codes: &[&str]) -> Option<usize> {
        let key: Option<Vec<usize>> = codes
            .iter()
            .zip(&self.dims)
            .map(|(c, d)| d.index(c))
            .collect();
        self.index.get(&key?).copied()
    }

    /// `dim=code` pairs of a cell, for messages.
    #[must_use]
    pub fn describe(&self, i: usize) -> String {
        self.codes(i)
            .iter()
            .zip(&self.dims)
            .map(|(c, d)| format!("{}={c}", d.name))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The codes of cell `i`.
    #[must_use]
    pub fn codes(&self, i: usize) -> Vec<&str> {
        self.cells[i]
            .key
            .iter()
            .zip(&self.dims)
            .map(|(&k, d)| d.codes[k].as_str())
            .collect()
    }

    /// Cells of table `t`.
    #[must_use]
    pub fn table_cells(&self, t: usize) -> Vec<usize> {
        let table = &self.tables[t];
        (0..self.cells.len())
            .filter(|&i| {
                (0..self.dims.len())
                    .all(|d| table.dims.contains(&d) || self.cells[i].key[d] == self.dims[d].total)
            })
            .collect()
    }

    /// Suppressed cells.
    #[must_use]
    pub fn suppressed(&self) -> Vec<usize> {
        (0..self.cells.len())
            .filter(|&i| self.cells[i].status.suppressed())
            .collect()
    }
}

/// All index tuples below `sizes`, in lexicographic order.
fn product(sizes: &[usize]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for &n in sizes {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                (0..n).map(move |i| {
                    let mut p = prefix.clone();
                    p.push(i);
                    p
                })
            })
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_and_relations_of_a_two_level_table() {
        let pairs: Vec<(String, String)> = [("K1", "All"), ("M1", "K1"), ("M2", "K1")]
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        let area = Dimension::from_parents("area", "All", &pairs).unwrap();
        let form = Dimension::flat("form", "Total", &["A", "B"]);
        let leaf = |m: &str, f: &str, v: f64| Leaf {
            codes: vec![m.into(), f.into()],
            value: v,
            contributors: v as u64,
            top: vec![],
        };
        let r = Release::single(
            "t",
            vec![area, form],
            &[leaf("M1", "A", 1.0), leaf("M2", "B", 4.0)],
            false,
        )
        .unwrap();
        assert_eq!(r.cells.len(), 4 * 3);
        assert_eq!(r.cells[r.find(&["All", "Total"]).unwrap()].value, 5.0);
        assert_eq!(r.cells[r.find(&["K1", "B"]).unwrap()].value, 4.0);
        assert_eq!(r.cells[r.find(&["M2", "A"]).unwrap()].value, 0.0);
        // Relations: for each of 4 area codes, Total = A + B (4); for each of 3 form codes, All = K1 and K1 = M1 + M2 (6).
        assert_eq!(r.relations.len(), 4 + 6);
    }
}
