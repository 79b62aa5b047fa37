//! Dimensions: a hierarchy of codes (any depth) under one total, built
//! from (child, parent) pairs as hierarchy files give them. Apart from
//! [`crate::table`] because building and checking a hierarchy needs
//! nothing of cells or relations.

use crate::SdcError;
use std::collections::{BTreeMap, HashMap};

/// A dimension with a hierarchy of codes (any depth) under one total.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// Name, e.g. `municipality`.
    pub name: String,
    /// Codes; index 0 is not special.
    pub codes: Vec<String>,
    /// Parent of each code (None for the total).
    pub parent: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
    /// Index of the total (the root).
    pub total: usize,
}

impl Dimension {
    /// A flat dimension: `leaves` under `total`.
    #[must_use]
    pub fn flat(name: &str, total: &str, leaves: &[&str]) -> Dimension {
        let pairs: Vec<(String, String)> = leaves
            .iter()
            .map(|l| ((*l).to_owned(), total.to_owned()))
            .collect();
        Dimension::from_parents(name, total, &pairs)
            .unwrap_or_else(|_| unreachable!("a flat dimension is a tree"))
    }

    /// A hierarchy as hierarchy files give it: (child, parent) pairs whose
    /// top level may be one code (the grand total) or several (counties
    /// with no parent, the grand total implied, as tau-Argus `.hrc` files
    /// and most exports have it), in which case `total` is added above
    /// them. Codes of `table_codes` the pairs do not name sit directly
    /// under the top.
    ///
    /// # Errors
    /// As [`Dimension::from_parents`]; also when the pairs name no top
    /// (every code has a parent), or when several top codes are given and
    /// one of them is already called `total`.
    pub fn from_hierarchy(
        name: &str,
        total: &str,
        pairs: &[(String, String)],
        table_codes: &[&str],
    ) -> Result<Dimension, SdcError> {
        let children: std::collections::HashSet<&str> =
            pairs.iter().map(|p| p.0.as_str()).collect();
        let mut roots: Vec<&str> = pairs
            .iter()
            .map(|p| p.1.as_str())
            .filter(|p| !children.contains(p))
            .collect();
        roots.sort_unstable();
        roots.dedup();
        let mut pairs = pairs.to_vec();
        let top = match roots[..] {
            [] if !pairs.is_empty() => {
                return Err(SdcError::Definition(format!(
                    "{name}: the hierarchy has no top code (every code has a parent)"
                )));
            }
            [] => total.to_owned(),
            [root] => root.to_owned(),
            _ => {
                if roots.contains(&total) {
                    return Err(SdcError::Definition(format!(
                        "{name}: the hierarchy has several top codes {roots:?}, one of them \
                         the grand total {total:?}; give the others a parent"
                    )));
                }
                let added: Vec<(String, String)> = roots
                    .iter()
                    .map(|r| ((*r).to_owned(), total.to_owned()))
                    .collect();
                pairs.extend(added);
                total.to_owned()
            }
        };
        let known: std::collections::HashSet<&str> = pairs
            .iter()
            .flat_map(|p| [p.0.as_str(), p.1.as_str()])
            .collect();
        let mut extra: Vec<&str> = table_codes
            .iter()
            .copied()
            .filter(|c| !known.contains(c) && *c != top)
            .collect();
        extra.sort_unstable();
        extra.dedup();
        let extra: Vec<(String, String)> = extra
            .into_iter()
            .map(|c| (c.to_owned(), top.clone()))
            .collect();
        pairs.extend(extra);
        Dimension::from_parents(name, &top, &pairs)
    }

    /// A hierarchy from (child, parent) pairs; `total` is the root. Codes
    /// that appear only as parents other than the total must themselves have
    /// a parent.
    ///
    /// # Errors
    /// If a code has two parents, a parent chain does not reach the total, or
    /// the total has a parent.
    pub fn from_parents(
        name: &str,
        total: &str,
        pairs: &[(String, String)],
    ) -> Result<Dimension, SdcError> {
        let mut codes: Vec<String> = vec![total.to_owned()];
        let mut index: HashMap<String, usize> = HashMap::from([(total.to_owned(), 0)]);
        let mut parent_of: BTreeMap<usize, usize> = BTreeMap::new();
        let mut id = |code: &str, codes: &mut Vec<String>| -> usize {
            *index.entry(code.to_owned()).or_insert_with(|| {
                codes.push(code.to_owned());
                codes.len() - 1
            })
        };
        for (child, parent) in pairs {
            let c = id(child, &mut codes);
            let p = id(parent, &mut codes);
            if c == 0 {
                return Err(SdcError::Definition(format!(
                    "{name}: the total {total:?} cannot have a parent"
                )));
            }
            if let Some(old) = parent_of.insert(c, p)
                && old != p
            {
                return Err(SdcError::Definition(format!(
                    "{name}: code {child:?} has two parents"
                )));
            }
        }
        let mut parent = vec![None; codes.len()];
        for (c, p) in &parent_of {
            parent[*c] = Some(*p);
        }
        // Every code must reach the total without a cycle.
        for start in 1..codes.len() {
            let mut at = start;
            let mut steps = 0;
            while let Some(p) = parent[at] {
                at = p;
                steps += 1;
                if steps > codes.len() {
                    return Err(SdcError::Definition(format!(
                        "{name}: the hierarchy has a cycle at {:?}",
                        codes[start]
                    )));
                }
            }
            if at != 0 {
                return Err(SdcError::Definition(format!(
                    "{name}: code {:?} does not lead to the total {total:?}",
                    codes[start]
                )));
            }
        }
        let mut children = vec![Vec::new(); codes.len()];
        for (c, p) in parent.iter().enumerate() {
            if let Some(p) = p {
                children[*p].push(c);
            }
        }
        Ok(Dimension {
            name: name.to_owned(),
            codes,
            parent,
            children,
            total: 0,
        })
    }

    /// Index of `code`.
    #[must_use]
    pub fn index(&self, code: &str) -> Option<usize> {
        self.codes.iter().position(|c| c == code)
    }

    /// Children of code `i`.
    #[must_use]
    pub fn children(&self, i: usize) -> &[usize] {
        &self.children[i]
    }

    /// Whether code `i` has no children.
    #[must_use]
    pub fn is_leaf(&self, i: usize) -> bool {
        self.children[i].is_empty()
    }

    /// Code `i` and all its ancestors up to the total.
    #[must_use]
    pub fn ancestors_and_self(&self, i: usize) -> Vec<usize> {
        let mut out = vec![i];
        let mut at = i;
        while let Some(p) = self.parent[at] {
            out.push(p);
            at = p;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchies_reject_cycles_and_orphans() {
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect::<Vec<_>>()
        };
        assert!(
            Dimension::from_parents("m", "All", &pairs(&[("K1", "All"), ("M1", "K1")])).is_ok()
        );
        assert!(Dimension::from_parents("m", "All", &pairs(&[("M1", "K1")])).is_err());
        assert!(
            Dimension::from_parents("m", "All", &pairs(&[("M1", "K1"), ("K1", "M1")])).is_err()
        );
        assert!(
            Dimension::from_parents(
                "m",
                "All",
                &pairs(&[("M1", "K1"), ("M1", "K2"), ("K1", "All"), ("K2", "All")])
            )
            .is_err()
        );
    }

    #[test]
    fn hierarchies_with_several_top_codes_get_the_grand_total() {
        let pairs: Vec<(String, String)> = [("M1", "K1"), ("M2", "K1"), ("M3", "K2")]
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        let d = Dimension::from_hierarchy("m", "Total", &pairs, &["M1", "M2", "M3", "M9"]).unwrap();
        assert_eq!(d.codes[d.total], "Total");
        let top: Vec<&str> = d
            .children(d.total)
            .iter()
            .map(|&c| d.codes[c].as_str())
            .collect();
        assert_eq!(top, ["K1", "K2", "M9"]);
        // One top code is the grand total itself.
        let mut one = pairs.clone();
        one.extend([
            ("K1".to_owned(), "All".to_owned()),
            ("K2".to_owned(), "All".to_owned()),
        ]);
        let d = Dimension::from_hierarchy("m", "Total", &one, &["M1"]).unwrap();
        assert_eq!(d.codes[d.total], "All");
        // A top code named like the grand total beside others is ambiguous.
        let mut clash = pairs;
        clash.push(("K3".to_owned(), "Total".to_owned()));
        assert!(Dimension::from_hierarchy("m", "Total", &clash, &[]).is_err());
    }
}
