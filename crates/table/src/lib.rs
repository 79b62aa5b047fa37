//! A protected table, the one shape in which numbers leave disclosure
//! control.
//!
//! This crate owns [`Table`], its columns ([`OutColumn`]) and values
//! ([`Value`]): what the release crate produces and what the publisher,
//! the dashboard bundle and the viewer read. It depends on nothing, so
//! that writing files or drawing a page never compiles the query engine,
//! and it builds for `wasm32-unknown-unknown`.

/// One value of a released table.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A dimension code or a text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number with decimals.
    Number(f64),
    /// The total of a dimension.
    Total,
    /// Withheld: shown as the policy's symbol.
    Suppressed,
}

impl Value {
    /// The published number, if this is one (not a text, total or withheld value).
    #[must_use]
    pub fn number(&self) -> Option<f64> {
        match self {
            // Counts and euros are far below 2^52: the conversion is exact.
            Value::Int(i) => Some(*i as f64),
            Value::Number(x) => Some(*x),
            _ => None,
        }
    }

    /// A dimension value as text: its code, or `None` for a total or a
    /// withheld value.
    #[must_use]
    pub fn code(&self) -> Option<String> {
        match self {
            Value::Text(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Number(x) => Some(x.to_string()),
            Value::Total | Value::Suppressed => None,
        }
    }
}

/// A column of the released table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutColumn {
    /// Name, as the SQL named it.
    pub name: String,
    /// Dimension (classifies cells) or measure (a number).
    pub dimension: bool,
}

/// A protected table.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Columns.
    pub columns: Vec<OutColumn>,
    /// Rows.
    pub rows: Vec<Vec<Value>>,
}

impl Table {
    /// The index of the column called `name`.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_published_numbers_are_numbers() {
        assert_eq!(Value::Int(3).number(), Some(3.0));
        assert_eq!(Value::Number(2.5).number(), Some(2.5));
        assert_eq!(Value::Suppressed.number(), None);
        assert_eq!(Value::Total.number(), None);
        assert_eq!(Value::Text("7".into()).number(), None);
    }

    #[test]
    fn totals_and_withheld_values_have_no_code() {
        assert_eq!(Value::Text("091".into()).code().as_deref(), Some("091"));
        assert_eq!(Value::Int(2024).code().as_deref(), Some("2024"));
        assert_eq!(Value::Total.code(), None);
        assert_eq!(Value::Suppressed.code(), None);
    }

    #[test]
    fn columns_are_found_by_name() {
        let t = Table {
            columns: vec![
                OutColumn {
                    name: "year".into(),
                    dimension: true,
                },
                OutColumn {
                    name: "persons".into(),
                    dimension: false,
                },
            ],
            rows: Vec::new(),
        };
        assert_eq!(t.column("persons"), Some(1));
        assert_eq!(t.column("euros"), None);
    }
}
