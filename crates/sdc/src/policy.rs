//! Disclosure policies: the parameters of the primary rules and the method,
//! by recipient. Values come from `[policies.NAME]` in peitto.toml; the
//! defaults here are the four policies peitto ships with.

use serde::Deserialize;

/// How a table is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Primary and secondary cell suppression with an audit.
    Suppression,
    /// Cell key perturbation (counts), for ad-hoc queries.
    CellKey,
    /// Deterministic rounding to base 3 seeded by the contributing set.
    Rounding,
}

/// What a secondary suppression costs, for choosing the cheapest pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostKind {
    /// The cell's value (plus one, so empty cells are not free).
    Value,
    /// One per cell.
    Count,
}

/// A named disclosure policy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Method.
    pub method: Method,
    /// A cell of 1..min_frequency-1 distinct persons is unsafe.
    pub min_frequency: u64,
    /// Whether a zero cell is itself unsafe.
    #[serde(default)]
    pub zeros_unsafe: bool,
    /// p of the p% rule for magnitudes (None: not applied).
    #[serde(default)]
    pub p_percent: Option<f64>,
    /// n of the (n,k) dominance rule.
    #[serde(default)]
    pub dominance_n: Option<usize>,
    /// k of the (n,k) dominance rule, percent.
    #[serde(default)]
    pub dominance_k: Option<f64>,
    /// For magnitude cells unsafe by frequency: the protection range, percent of the value.
    #[serde(default = "default_range")]
    pub frequency_range: f64,
    /// Symbol shown for a suppressed or perturbed value.
    #[serde(default = "default_symbol")]
    pub symbol: String,
    /// Cost of a secondary suppression.
    #[serde(default = "default_cost")]
    pub cost: CostKind,
    /// Whether the attacker is assumed to know that non-empty cells hold at least one person.
    #[serde(default = "default_true")]
    pub nonempty_known: bool,
}

fn default_range() -> f64 {
    10.0
}
fn default_symbol() -> String {
    "..".to_owned()
}
fn default_cost() -> CostKind {
    CostKind::Value
}
fn default_true() -> bool {
    true
}

impl Policy {
    /// A suppression policy with the frequency rule only.
    #[must_use]
    pub fn frequency(min_frequency: u64) -> Policy {
        Policy {
            method: Method::Suppression,
            min_frequency,
            zeros_unsafe: false,
            p_percent: None,
            dominance_n: None,
            dominance_k: None,
            frequency_range: default_range(),
            symbol: default_symbol(),
            cost: CostKind::Value,
            nonempty_known: true,
        }
    }

    /// The built-in policy called `name` (`thl`, `ely`, `public`, `adhoc`).
    #[must_use]
    pub fn builtin(name: &str) -> Option<Policy> {
        let base = Policy::frequency(5);
        match name {
            "thl" => Some(Policy {
                p_percent: Some(10.0),
                dominance_n: Some(1),
                dominance_k: Some(75.0),
                ..base
            }),
            "ely" => Some(Policy {
                p_percent: Some(10.0),
                dominance_n: Some(2),
                dominance_k: Some(85.0),
                ..base
            }),
            "public" => Some(Policy {
                zeros_unsafe: true,
                p_percent: Some(15.0),
                dominance_n: Some(1),
                dominance_k: Some(70.0),
                ..base
            }),
            "adhoc" => Some(Policy {
                method: Method::CellKey,
                zeros_unsafe: true,
                ..base
            }),
            _ => None,
        }
    }
}
