//! Persons and where they live: henkilö and kotikunta.

use super::Kind;
use super::{A, PERSON_KEY, QI, TableSpec, col};
use crate::codes;

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
