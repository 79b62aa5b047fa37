//! Adult social work: service decisions.

use super::Kind;
use super::{A, DI, MUNICIPALITY, PERSON_KEY, QI, TableSpec, col};
use crate::codes;

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
