//! The tables of the analysis store.

use crate::codes::{self, CodeList};
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
            | Kind::Text => DataType::Utf8,
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

/// Henkilö: one row per person seen in any extract, derived from the
/// henkilötunnus before it is replaced.
pub static PERSON: TableSpec = TableSpec {
    name: "person",
    doc: "Henkilö: a person seen in any extract, with the facts the henkilötunnus states",
    columns: &[
        PERSON_KEY,
        col(
            "birth_date",
            Kind::Date,
            QI,
            true,
            "Syntymäaika from the henkilötunnus",
        ),
        col(
            "sex",
            Kind::Code(&codes::SEX),
            QI,
            true,
            "Sukupuoli from the individual number's parity",
        ),
        col(
            "hetu_temporary",
            Kind::Bool,
            A,
            true,
            "Tilapäinen henkilötunnus: individual number 900–999",
        ),
    ],
    key: &["person_key"],
    period: None,
    from_source: false,
};

/// Kotikuntajakso: where a person lived.
pub static PERSON_RESIDENCE: TableSpec = TableSpec {
    name: "person_residence",
    doc: "Kotikuntajakso: a period of residence in a municipality",
    columns: &[
        PERSON_KEY,
        col(
            "municipality_code",
            Kind::Municipality,
            QI,
            true,
            "Kotikunta: home municipality",
        ),
        col("valid_from", Kind::Date, QI, true, "Start of the period"),
        col(
            "valid_to",
            Kind::Date,
            QI,
            false,
            "End of the period, exclusive; empty while ongoing",
        ),
    ],
    key: &["person_key", "valid_from"],
    period: Some(("valid_from", "valid_to")),
    from_source: true,
};

/// Lastensuojeluilmoitus.
pub static CW_NOTIFICATION: TableSpec = TableSpec {
    name: "cw_notification",
    doc: "Lastensuojeluilmoitus: a child-welfare notification, or another contact that opens a matter, and its handling",
    columns: &[
        col(
            "notification_id",
            Kind::RecordId("notification"),
            DI,
            true,
            "Source record id (pseudonymised)",
        ),
        PERSON_KEY,
        col(
            "received_date",
            Kind::Date,
            QI,
            true,
            "Vastaanottopäivä: day the notification arrived",
        ),
        col(
            "decision_date",
            Kind::Date,
            QI,
            false,
            "Day it was decided whether to assess (7 working days, LsL 26 §)",
        ),
        col(
            "assessment_end",
            Kind::Date,
            QI,
            false,
            "Palvelutarpeen arvio valmis: assessment completed (3 months)",
        ),
        col(
            "outcome",
            Kind::Code(&codes::NOTIFICATION_OUTCOME),
            A,
            false,
            "What followed",
        ),
        col(
            "opened_by",
            Kind::Code(&codes::MATTER_OPENED_BY),
            A,
            false,
            "Vireilletulotapa: how the matter was opened (empty: a notification)",
        ),
        MUNICIPALITY,
    ],
    key: &["notification_id"],
    period: Some(("received_date", "decision_date")),
    from_source: true,
};

/// Sijoituksen oikeusperuste.
pub static CW_LEGAL_BASIS: TableSpec = TableSpec {
    name: "cw_legal_basis",
    doc: "Sijoituksen peruste: a period under one legal basis (care order, urgent placement…)",
    columns: &[
        col(
            "basis_id",
            Kind::RecordId("legal_basis"),
            DI,
            true,
            "Source record id (pseudonymised)",
        ),
        PERSON_KEY,
        col(
            "basis",
            Kind::Code(&codes::LEGAL_BASIS),
            A,
            true,
            "Peruste: legal basis",
        ),
        col(
            "involuntary",
            Kind::Bool,
            A,
            false,
            "Tahdonvastainen: against the family's will",
        ),
        col("start", Kind::Date, QI, true, "Alkupäivä"),
        col(
            "end",
            Kind::Date,
            QI,
            false,
            "Päättymispäivä, exclusive; empty while ongoing",
        ),
        MUNICIPALITY,
    ],
    key: &["basis_id"],
    period: Some(("start", "end")),
    from_source: true,
};

/// Sijoitus.
pub static CW_PLACEMENT: TableSpec = TableSpec {
    name: "cw_placement",
    doc: "Sijoitus: a period in one placement (family, professional family or institutional care)",
    columns: &[
        col(
            "placement_id",
            Kind::RecordId("placement"),
            DI,
            true,
            "Source record id (pseudonymised)",
        ),
        PERSON_KEY,
        col(
            "basis_id",
            Kind::RecordId("legal_basis"),
            DI,
            false,
            "Legal basis the placement belongs to (pseudonymised)",
        ),
        col("start", Kind::Date, QI, true, "Alkupäivä"),
        col(
            "end",
            Kind::Date,
            QI,
            false,
            "Päättymispäivä, exclusive; empty while ongoing",
        ),
        col(
            "form",
            Kind::Code(&codes::PLACEMENT_FORM),
            A,
            true,
            "Sijoitusmuoto: placement form",
        ),
        col(
            "provider_id",
            Kind::Text,
            QI,
            false,
            "Palveluntuottaja: provider's Y-tunnus",
        ),
        MUNICIPALITY,
    ],
    key: &["placement_id"],
    period: Some(("start", "end")),
    from_source: true,
};

/// Hoitovuorokausilaskun rivi.
pub static CARE_INVOICE_LINE: TableSpec = TableSpec {
    name: "care_invoice_line",
    doc: "Laskurivi: care days a provider billed for one child and period",
    columns: &[
        col(
            "line_id",
            Kind::RecordId("invoice_line"),
            DI,
            true,
            "Invoice line id (pseudonymised)",
        ),
        col(
            "placement_id",
            Kind::RecordId("placement"),
            DI,
            false,
            "Placement billed (pseudonymised)",
        ),
        PERSON_KEY,
        col(
            "provider_id",
            Kind::Text,
            QI,
            true,
            "Palveluntuottaja: provider's Y-tunnus",
        ),
        col("period_start", Kind::Date, QI, true, "First day billed"),
        col(
            "period_end",
            Kind::Date,
            QI,
            true,
            "Last day billed (inclusive, as invoices state it)",
        ),
        col(
            "billed_days",
            Kind::Int,
            A,
            true,
            "Laskutetut hoitovuorokaudet: billed care days",
        ),
        col(
            "day_rule",
            Kind::Code(&codes::DAY_RULE),
            A,
            false,
            "Counting rule of the contract",
        ),
        col(
            "unit_price",
            Kind::Euro,
            A,
            false,
            "Hoitovuorokausihinta: price per care day, €",
        ),
        col("amount_eur", Kind::Euro, A, true, "Summa: amount billed, €"),
        MUNICIPALITY,
    ],
    key: &["line_id"],
    period: Some(("period_start", "period_end")),
    from_source: true,
};

/// Palvelupäätös.
pub static SERVICE_DECISION: TableSpec = TableSpec {
    name: "service_decision",
    doc: "Palvelupäätös: a decision on social assistance, rehabilitative work or disability services",
    columns: &[
        col(
            "decision_id",
            Kind::RecordId("service_decision"),
            DI,
            true,
            "Source record id (pseudonymised)",
        ),
        PERSON_KEY,
        col(
            "domain",
            Kind::Code(&codes::SERVICE_DOMAIN),
            A,
            true,
            "Palvelu: the service decided on",
        ),
        col("decision_date", Kind::Date, QI, true, "Päätöspäivä"),
        col(
            "result",
            Kind::Code(&codes::DECISION_RESULT),
            A,
            true,
            "Granted or refused",
        ),
        col(
            "start",
            Kind::Date,
            QI,
            false,
            "Start of the period granted",
        ),
        col(
            "end",
            Kind::Date,
            QI,
            false,
            "End of the period granted, exclusive",
        ),
        col("amount_eur", Kind::Euro, A, false, "Amount granted, €"),
        MUNICIPALITY,
    ],
    key: &["decision_id"],
    period: Some(("start", "end")),
    from_source: true,
};

/// Kotoutumisen asiakas.
pub static INTEGRATION_CLIENT: TableSpec = TableSpec {
    name: "integration_client",
    doc: "Kotoutumisen asiakas: a person in the integration programme, with permit basis and dates",
    columns: &[
        PERSON_KEY,
        col(
            "permit_basis",
            Kind::Code(&codes::PERMIT_BASIS),
            QI,
            true,
            "Oleskeluluvan peruste (UlkL section)",
        ),
        col(
            "family_member",
            Kind::Bool,
            A,
            false,
            "Perheenjäsen: family member of a person with that basis",
        ),
        col(
            "sponsor_permit_basis",
            Kind::Code(&codes::PERMIT_BASIS),
            A,
            false,
            "Perheenkokoajan oleskeluluvan peruste: the basis of the family member's sponsor, for permits under UlkL 114 and 115 §",
        ),
        col(
            "first_permit_date",
            Kind::Date,
            QI,
            true,
            "Ensimmäisen oleskeluluvan päivä",
        ),
        col(
            "home_municipality_date",
            Kind::Date,
            QI,
            false,
            "Kotikunnan saamispäivä: starts the compensation window",
        ),
        col(
            "citizenship_date",
            Kind::Date,
            QI,
            false,
            "Kansalaisuuden saamispäivä: ends compensation",
        ),
        MUNICIPALITY,
    ],
    key: &["person_key"],
    period: Some(("first_permit_date", "citizenship_date")),
    from_source: true,
};

/// Kotoutumisen palvelu.
pub static INTEGRATION_SERVICE: TableSpec = TableSpec {
    name: "integration_service",
    doc: "Kotoutumispalvelu: assessment, plan, orientation or training given to a client",
    columns: &[
        col(
            "service_id",
            Kind::RecordId("integration_service"),
            DI,
            true,
            "Source record id (pseudonymised)",
        ),
        PERSON_KEY,
        col(
            "kind",
            Kind::Code(&codes::INTEGRATION_SERVICE_KIND),
            A,
            true,
            "Palvelu: which service",
        ),
        col(
            "law",
            Kind::Code(&codes::INTEGRATION_LAW),
            A,
            true,
            "Act the service was given under",
        ),
        col(
            "jobseeker",
            Kind::Bool,
            A,
            false,
            "Työnhakija: registered jobseeker",
        ),
        col("start", Kind::Date, QI, true, "Alkupäivä"),
        col(
            "end",
            Kind::Date,
            QI,
            false,
            "Päättymispäivä, exclusive; empty while ongoing",
        ),
        MUNICIPALITY,
    ],
    key: &["service_id"],
    period: Some(("start", "end")),
    from_source: true,
};

/// Kotoutumisen seuranta.
pub static INTEGRATION_OUTCOME: TableSpec = TableSpec {
    name: "integration_outcome",
    doc: "Seuranta: a client's labour-market status some months after a service ended",
    columns: &[
        PERSON_KEY,
        col(
            "anchor_service_id",
            Kind::RecordId("integration_service"),
            DI,
            true,
            "Service the follow-up counts from (pseudonymised)",
        ),
        col(
            "offset_months",
            Kind::IntCode(&codes::OUTCOME_OFFSET),
            A,
            true,
            "Months after the service ended: 3, 6 or 12",
        ),
        col(
            "status",
            Kind::Code(&codes::OUTCOME_STATUS),
            A,
            true,
            "Työmarkkina-asema",
        ),
        MUNICIPALITY,
    ],
    key: &["anchor_service_id", "offset_months"],
    period: None,
    from_source: true,
};

/// Valtion korvaus.
pub static STATE_COMPENSATION: TableSpec = TableSpec {
    name: "state_compensation",
    doc: "Valtion korvaus: a compensation claimed from or paid by the state (KEHA, ELY)",
    columns: &[
        col(
            "claim_id",
            Kind::RecordId("compensation"),
            DI,
            true,
            "Claim or payment id (pseudonymised)",
        ),
        col(
            "person_key",
            Kind::Person,
            DI,
            false,
            "Person the compensation is for, where it names one",
        ),
        col(
            "compensation_type",
            Kind::Code(&codes::COMPENSATION_TYPE),
            A,
            true,
            "Korvauslaji",
        ),
        col(
            "period_start",
            Kind::Date,
            QI,
            true,
            "First day the compensation covers",
        ),
        col(
            "period_end",
            Kind::Date,
            QI,
            true,
            "Last day the compensation covers (inclusive)",
        ),
        col("claimed_eur", Kind::Euro, A, false, "Haettu: claimed, €"),
        col("paid_eur", Kind::Euro, A, false, "Maksettu: paid, €"),
        col(
            "payer_code",
            Kind::Text,
            A,
            false,
            "Maksaja: paying organisation's code",
        ),
        col(
            "recipient",
            Kind::Code(&codes::COMPENSATION_RECIPIENT),
            A,
            false,
            "Saaja: the municipality or the wellbeing county the compensation is for; empty is the municipality",
        ),
        MUNICIPALITY,
    ],
    key: &["claim_id"],
    period: Some(("period_start", "period_end")),
    from_source: true,
};

/// Väestö (Statistics Finland 11re).
pub static POPULATION: TableSpec = TableSpec {
    name: "population",
    doc: "Väestö 31.12.: population by area, age and sex (Statistics Finland table 11re)",
    columns: &[
        col(
            "year",
            Kind::Int,
            A,
            true,
            "Vuosi: the reference date is 31.12. of this year",
        ),
        col(
            "area_code",
            Kind::Area,
            A,
            true,
            "Alue: SSS whole country, KU### municipality, MK## region",
        ),
        col(
            "age",
            Kind::Int,
            A,
            true,
            "Ikä in whole years; 100 means 100 or over",
        ),
        col("sex", Kind::Code(&codes::SEX), A, true, "Sukupuoli"),
        col("persons", Kind::Int, A, true, "Väestö: number of persons"),
    ],
    key: &["year", "area_code", "age", "sex"],
    period: None,
    from_source: true,
};

/// Organisaatio, with dated codes.
pub static ORGANISATION: TableSpec = TableSpec {
    name: "organisation",
    doc: "Organisaatio: municipality, wellbeing county, ELY/elinvoimakeskus or provider, with the period its code is valid",
    columns: &[
        col(
            "org_type",
            Kind::Code(&codes::ORG_TYPE),
            A,
            true,
            "Organisation type",
        ),
        col(
            "code",
            Kind::Text,
            A,
            true,
            "Official code (municipality 3 digits, HVA 2 digits, Y-tunnus)",
        ),
        col("name_fi", Kind::Text, A, true, "Name in Finnish"),
        col("name_sv", Kind::Text, A, false, "Name in Swedish"),
        col(
            "parent_type",
            Kind::Code(&codes::ORG_TYPE),
            A,
            false,
            "Type of the organisation it belongs to",
        ),
        col(
            "parent_code",
            Kind::Text,
            A,
            false,
            "Code of the organisation it belongs to (municipality → HVA)",
        ),
        col(
            "valid_from",
            Kind::Date,
            A,
            true,
            "First day the code and parent are valid",
        ),
        col(
            "valid_to",
            Kind::Date,
            A,
            false,
            "Day they stop being valid, exclusive",
        ),
    ],
    key: &["org_type", "code", "parent_type", "valid_from"],
    period: Some(("valid_from", "valid_to")),
    from_source: true,
};

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
