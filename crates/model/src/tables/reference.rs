//! Reference data with no person in it: population and organisations.

use super::Kind;
use super::{A, TableSpec, col};
use crate::codes;

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
