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

/// The names of the built-in policies.
pub const BUILTIN: [&str; 4] = ["thl", "ely", "public", "adhoc"];

/// The least `min_frequency` any policy may have: whoever can edit
/// peitto.toml must not get cells of one or two persons published as such.
pub const MIN_FREQUENCY_FLOOR: u64 = 3;

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

    /// Whether the symbol of a withheld cell reads as a mark, not a value:
    /// a number ("0"), the nil symbol "-" or a formula would publish every
    /// withheld cell as something else. Short, printable, no digits.
    #[must_use]
    pub fn symbol_is_a_mark(&self) -> bool {
        let s = self.symbol.as_str();
        !s.is_empty()
            && s.chars().count() <= 4
            && s != "-"
            && !s.starts_with(['=', '+', '-', '@'])
            && !s
                .chars()
                .any(|c| c.is_ascii_digit() || c.is_control() || c.is_whitespace())
    }

    /// The first rule of this policy that protects less than `base` (the
    /// built-in policy of the same name), by its name in peitto.toml; or
    /// that goes under [`MIN_FREQUENCY_FLOOR`]. A project may make a
    /// built-in policy stricter, never looser: a planner who can edit the
    /// project's settings must not switch protection off by it.
    #[must_use]
    pub fn looser_than(&self, base: Option<&Policy>) -> Option<&'static str> {
        if self.min_frequency < MIN_FREQUENCY_FLOOR {
            return Some("min_frequency");
        }
        if !self.symbol_is_a_mark() {
            return Some("symbol");
        }
        let base = base?;
        let at_least = |own: Option<f64>, theirs: Option<f64>| match theirs {
            Some(t) => own.is_some_and(|o| o >= t),
            None => true,
        };
        if self.method != base.method {
            Some("method")
        } else if self.min_frequency < base.min_frequency {
            Some("min_frequency")
        } else if base.zeros_unsafe && !self.zeros_unsafe {
            Some("zeros_unsafe")
        } else if !at_least(self.p_percent, base.p_percent) {
            Some("p_percent")
        } else if base.dominance_n.is_some()
            && (self.dominance_n != base.dominance_n
                || !self
                    .dominance_k
                    .zip(base.dominance_k)
                    .is_some_and(|(own, theirs)| own <= theirs))
        {
            // (n, k): a cell is unsafe when its n largest exceed k % of it,
            // so a higher k, or another n, is not comparable or looser.
            Some("dominance_k")
        } else if self.frequency_range < base.frequency_range {
            Some("frequency_range")
        } else if base.nonempty_known && !self.nonempty_known {
            Some("nonempty_known")
        } else {
            None
        }
    }

    /// The first rule of this policy, as peitto.toml defines it under
    /// `name`, that protects less than peitto allows ([`Policy::looser_than`]):
    /// less than the built-in policy of that name, or, for a name of the
    /// project's own, less than every built-in policy of its method.
    #[must_use]
    pub fn loosened_as(&self, name: &str) -> Option<&'static str> {
        if let Some(base) = Policy::builtin(name) {
            return self.looser_than(Some(&base));
        }
        let mut first = None;
        for base in BUILTIN.iter().filter_map(|n| Policy::builtin(n)) {
            if base.method != self.method {
                continue;
            }
            match self.looser_than(Some(&base)) {
                None => return None,
                found => first = first.or(found),
            }
        }
        first.or_else(|| self.looser_than(None))
    }

    /// The built-in policy called `name` (one of [`BUILTIN`]).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_withheld_cell_is_never_marked_as_a_value() {
        let thl = Policy::builtin("thl").unwrap();
        for name in BUILTIN {
            assert!(Policy::builtin(name).unwrap().symbol_is_a_mark(), "{name}");
        }
        for (symbol, mark) in [
            ("..", true),
            ("x", true),
            (".", true),
            ("0", false),
            ("-", false),
            ("=HYPERLINK(\"x\")", false),
            ("", false),
            ("1..", false),
            ("\u{1b}[0m", false),
            (". .", false),
        ] {
            let own = Policy {
                symbol: symbol.to_owned(),
                ..thl.clone()
            };
            assert_eq!(own.symbol_is_a_mark(), mark, "{symbol:?}");
            let said = own.looser_than(Some(&thl));
            assert_eq!(said == Some("symbol"), !mark, "{symbol:?}: {said:?}");
        }
    }

    #[test]
    fn a_project_may_make_a_builtin_policy_stricter_never_looser() {
        for name in BUILTIN {
            let base = Policy::builtin(name).unwrap();
            assert_eq!(base.looser_than(Some(&base)), None, "{name}");
            let stricter = Policy {
                min_frequency: 10,
                zeros_unsafe: true,
                frequency_range: 20.0,
                ..base.clone()
            };
            assert_eq!(stricter.looser_than(Some(&base)), None, "{name}");
            let fewer = Policy {
                min_frequency: 4,
                ..base.clone()
            };
            assert_eq!(fewer.looser_than(Some(&base)), Some("min_frequency"));
            let exact = Policy {
                method: Method::Suppression,
                ..base.clone()
            };
            if base.method != Method::Suppression {
                assert_eq!(exact.looser_than(Some(&base)), Some("method"));
            }
        }
        let thl = Policy::builtin("thl").unwrap();
        let dominant = Policy {
            dominance_k: Some(90.0),
            ..thl.clone()
        };
        assert_eq!(dominant.looser_than(Some(&thl)), Some("dominance_k"));
        let no_p = Policy {
            p_percent: None,
            ..thl.clone()
        };
        assert_eq!(no_p.looser_than(Some(&thl)), Some("p_percent"));
        // A policy of the project's own name: at least as strict as a
        // built-in one of its method.
        assert_eq!(Policy::frequency(3).looser_than(None), None);
        assert_eq!(
            Policy::frequency(1).looser_than(None),
            Some("min_frequency")
        );
        assert_eq!(thl.loosened_as("mine"), None);
        let three = Policy {
            min_frequency: 3,
            ..Policy::builtin("adhoc").unwrap()
        };
        assert_eq!(three.loosened_as("mine"), Some("min_frequency"));
        assert_eq!(three.loosened_as("adhoc"), Some("min_frequency"));
        let rounding = Policy {
            method: Method::Rounding,
            ..Policy::frequency(3)
        };
        // No built-in rounds: only the floor holds it.
        assert_eq!(rounding.loosened_as("mine"), None);
    }
}
