//! Child welfare (lastensuojelu): notifications, legal bases, placements and care invoices.

use super::Kind;
use super::{A, DI, MUNICIPALITY, PERSON_KEY, QI, TableSpec, col};
use crate::codes;

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
            Kind::BusinessId,
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
            Kind::BusinessId,
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
