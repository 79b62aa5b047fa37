//! Integration (kotoutuminen): clients, services, outcomes and state compensation.

use super::Kind;
use super::{A, DI, MUNICIPALITY, PERSON_KEY, QI, TableSpec, col};
use crate::codes;

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
