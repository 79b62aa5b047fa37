//! The declared catalogue: which tables are public, which stored numeric
//! columns and functions are measures and with what bounds, and the role
//! each stored column has from the register model.

use super::{Bounds, Domain, Role};
use crate::query::conditions::Grain;
use peitto_model::{Class, Kind};

/// Tables of reference data with no person in them.
pub const PUBLIC_TABLES: &[&str] = &["population", "organisation"];

/// Declared numeric measures: (table, column, bounds per person and cell).
/// Bounds are wide enough for any real register (a child's care costs for a
/// year stay far below a million euros) and cap a corrupt or forged value.
pub const MEASURES: &[(&str, &str, Bounds)] = &[
    (
        "care_invoice_line",
        "amount_eur",
        Bounds {
            lo: 0.0,
            hi: 1_000_000.0,
            grain: Grain::Euros,
        },
    ),
    (
        "care_invoice_line",
        "billed_days",
        Bounds {
            lo: 0.0,
            hi: 3660.0,
            grain: Grain::Days,
        },
    ),
    (
        "care_invoice_line",
        "unit_price",
        Bounds {
            lo: 0.0,
            hi: 10_000.0,
            grain: Grain::Euros,
        },
    ),
    (
        "service_decision",
        "amount_eur",
        Bounds {
            lo: 0.0,
            hi: 1_000_000.0,
            grain: Grain::Euros,
        },
    ),
    (
        "state_compensation",
        "amount_eur",
        Bounds {
            lo: -1_000_000.0,
            hi: 1_000_000.0,
            grain: Grain::Euros,
        },
    ),
];

/// Domain functions that compute a measure per row, with the bounds of
/// one person's contribution to one cell.
pub(super) const MEASURE_FUNCTIONS: &[(&str, Bounds)] = &[
    (
        "care_days",
        Bounds {
            lo: 0.0,
            hi: 3660.0,
            grain: Grain::Presence,
        },
    ),
    (
        "working_days_after",
        Bounds {
            lo: 0.0,
            hi: 3660.0,
            grain: Grain::WorkingDays,
        },
    ),
    (
        "compensation_month",
        Bounds {
            lo: 0.0,
            hi: 100_000.0,
            grain: Grain::Presence,
        },
    ),
];

/// The declared bounds of a stored numeric column, if it is a measure.
pub fn measure_bounds(table: &str, column: &str) -> Option<Bounds> {
    MEASURES
        .iter()
        .find(|(t, c, _)| *t == table && *c == column)
        .map(|m| m.2)
}

/// The role of a stored column of a person-level table.
pub fn stored_role(table: &str, column: &str) -> Role {
    if column == crate::query::PRIVACY_UNIT {
        return Role::Unit;
    }
    if table == peitto_engine::EPISODES {
        return Role::Date;
    }
    let Some(spec) = peitto_model::table(table).and_then(|t| t.column(column)) else {
        return Role::Value;
    };
    match spec.kind {
        Kind::Person => Role::Unit,
        Kind::RecordId(entity) => Role::Key(entity),
        Kind::Code(list) => Role::Dim(Domain::Codes(list)),
        Kind::IntCode(list) => Role::Dim(Domain::IntCodes(list)),
        Kind::Bool => Role::Dim(Domain::Bool),
        Kind::Municipality => Role::Dim(Domain::Municipality),
        Kind::Date => Role::Date,
        Kind::Int | Kind::Euro => measure_bounds(table, column).map_or(Role::Value, Role::Measure),
        Kind::Area | Kind::Text | Kind::BusinessId => {
            if spec.class == Class::DirectIdentifier {
                Role::Key("text")
            } else {
                Role::Value
            }
        }
    }
}
