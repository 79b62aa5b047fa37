//! The tables of the analysis store.

use crate::codes::CodeList;
use arrow_schema::{DataType, Field, Schema};

/// Privacy class of a column: what it could reveal on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// Identifies a person or record directly (henkilötunnus, record ids).
    /// Stored only as a keyed pseudonym and never released.
    DirectIdentifier,
    /// Identifies in combination with other columns (birth date, sex, home
    /// municipality, exact event dates). Released only through disclosure control.
    QuasiIdentifier,
    /// Describes the person or event without identifying (form, amounts).
    Attribute,
}

impl Class {
    /// Stable lower-case name for documentation and reports.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Class::DirectIdentifier => "direct_identifier",
            Class::QuasiIdentifier => "quasi_identifier",
            Class::Attribute => "attribute",
        }
    }
}

/// What a column holds, which decides how a source value is parsed and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Henkilötunnus in the source; validated, then stored as the keyed pseudonym.
    Person,
    /// A source system's record identifier of the named entity; stored as a
    /// keyed pseudonym so it links records (an invoice line to its placement)
    /// but cannot be looked up in the source system.
    RecordId(&'static str),
    /// A calendar date.
    Date,
    /// A whole number.
    Int,
    /// Euros with cents.
    Euro,
    /// Yes or no.
    Bool,
    /// A value from a code list, stored as its canonical code.
    Code(&'static CodeList),
    /// A value from a code list whose canonical codes are numbers, stored as a number.
    IntCode(&'static CodeList),
    /// Kuntanumero: a 3-digit municipality code (`91` becomes `091`).
    Municipality,
    /// Alue: a Statistics Finland area code as table 11re writes it: `SSS`
    /// the whole country, `KU###` a municipality, `MK##` a region.
    Area,
    /// An organisational code or name (never a person's free text).
    Text,
    /// Y-tunnus: a business id, seven digits, a hyphen and the check
    /// digit. Checked, so that where a register keeps a private carer's
    /// henkilötunnus or name as the provider, the row is rejected instead of
    /// publishing it as a provider's code.
    BusinessId,
}

impl Kind {
    /// The Arrow type the store uses.
    #[must_use]
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Person
            | Kind::RecordId(_)
            | Kind::Code(_)
            | Kind::Municipality
            | Kind::Area
            | Kind::Text
            | Kind::BusinessId => DataType::Utf8,
            Kind::Date => DataType::Date32,
            Kind::Int | Kind::IntCode(_) => DataType::Int64,
            Kind::Euro => DataType::Decimal128(EURO_PRECISION, EURO_SCALE),
            Kind::Bool => DataType::Boolean,
        }
    }
}

/// Precision of euro amounts (digits).
pub const EURO_PRECISION: u8 = 14;
/// Scale of euro amounts (cents).
pub const EURO_SCALE: i8 = 2;

/// One column of a model table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnSpec {
    /// Column name in the store and in SQL.
    pub name: &'static str,
    /// How values are parsed and stored.
    pub kind: Kind,
    /// Privacy class.
    pub class: Class,
    /// Whether every row must have a value.
    pub required: bool,
    /// Meaning, with the Finnish term of art.
    pub doc: &'static str,
}

/// One table of the model.
#[derive(Debug, PartialEq, Eq)]
pub struct TableSpec {
    /// Table name in the store and in SQL.
    pub name: &'static str,
    /// What one row is.
    pub doc: &'static str,
    /// The columns, in store order.
    pub columns: &'static [ColumnSpec],
    /// Columns that identify a row; a second row with the same key in one
    /// extract is rejected as a duplicate.
    pub key: &'static [&'static str],
    /// `(start, end)` columns of a period: the end may not precede the start.
    pub period: Option<(&'static str, &'static str)>,
    /// Whether extracts map onto this table (false: derived during ingest).
    pub from_source: bool,
}

impl TableSpec {
    /// The column called `name`.
    #[must_use]
    pub fn column(&self, name: &str) -> Option<&'static ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Index of the column called `name`.
    #[must_use]
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The Arrow schema of the stored table.
    #[must_use]
    pub fn schema(&self) -> Schema {
        Schema::new(
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.kind.data_type(), !c.required))
                .collect::<Vec<_>>(),
        )
    }

    /// Whether any column holds a henkilötunnus in the source.
    #[must_use]
    pub fn has_person(&self) -> bool {
        self.columns.iter().any(|c| c.kind == Kind::Person)
    }
}

const fn col(
    name: &'static str,
    kind: Kind,
    class: Class,
    required: bool,
    doc: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        class,
        required,
        doc,
    }
}

use Class::{Attribute as A, DirectIdentifier as DI, QuasiIdentifier as QI};

const PERSON_KEY: ColumnSpec = col(
    "person_key",
    Kind::Person,
    DI,
    true,
    "Henkilötunnus replaced by HMAC-SHA256 with the project key: links one person across tables",
);
const MUNICIPALITY: ColumnSpec = col(
    "municipality_code",
    Kind::Municipality,
    QI,
    true,
    "Kuntanumero of the responsible municipality",
);

mod child_welfare;
mod integration;
mod persons;
mod reference;
mod social_work;

pub use child_welfare::{CARE_INVOICE_LINE, CW_LEGAL_BASIS, CW_NOTIFICATION, CW_PLACEMENT};
pub use integration::{
    INTEGRATION_CLIENT, INTEGRATION_OUTCOME, INTEGRATION_SERVICE, STATE_COMPENSATION,
};
pub use persons::{PERSON, PERSON_RESIDENCE};
pub use reference::{ORGANISATION, POPULATION};
pub use social_work::SERVICE_DECISION;

static ALL: &[&TableSpec] = &[
    &PERSON,
    &PERSON_RESIDENCE,
    &CW_NOTIFICATION,
    &CW_LEGAL_BASIS,
    &CW_PLACEMENT,
    &CARE_INVOICE_LINE,
    &SERVICE_DECISION,
    &INTEGRATION_CLIENT,
    &INTEGRATION_SERVICE,
    &INTEGRATION_OUTCOME,
    &STATE_COMPENSATION,
    &POPULATION,
    &ORGANISATION,
];

/// Every table of the model.
#[must_use]
pub fn tables() -> &'static [&'static TableSpec] {
    ALL
}

/// The table called `name`.
#[must_use]
pub fn table(name: &str) -> Option<&'static TableSpec> {
    ALL.iter().copied().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_and_period_names_real_columns() {
        for t in tables() {
            for k in t.key {
                assert!(t.column(k).is_some(), "{}: key {k}", t.name);
            }
            if let Some((s, e)) = t.period {
                assert_eq!(t.column(s).map(|c| c.kind), Some(Kind::Date), "{}", t.name);
                assert_eq!(t.column(e).map(|c| c.kind), Some(Kind::Date), "{}", t.name);
            }
            assert_eq!(t.schema().fields().len(), t.columns.len());
        }
    }

    #[test]
    fn identifiers_are_classified_direct() {
        for t in tables() {
            for c in t.columns {
                if matches!(c.kind, Kind::Person | Kind::RecordId(_)) {
                    assert_eq!(c.class, Class::DirectIdentifier, "{}.{}", t.name, c.name);
                }
            }
        }
    }

    #[test]
    fn issue_tables_exist() {
        for name in [
            "person",
            "person_residence",
            "cw_notification",
            "cw_legal_basis",
            "cw_placement",
            "care_invoice_line",
            "service_decision",
            "integration_client",
            "integration_service",
            "integration_outcome",
            "state_compensation",
            "population",
            "organisation",
        ] {
            assert!(table(name).is_some(), "{name}");
        }
        assert_eq!(table("person").map(|t| t.from_source), Some(false));
    }
}
