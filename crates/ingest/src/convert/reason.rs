//! Why a row is rejected: the reasons, with the stable codes the catalogues
//! explain, and one problem of a row.

use peitto_hetu::HetuError;

/// Why a row was rejected. The stable code names the catalogue entry
/// `reason.<code>` that explains it to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not of the form DDMMYYCZZZQ, or an unknown century sign.
    HetuFormat,
    /// The henkilötunnus date does not exist.
    HetuDate,
    /// Individual number 000 or 001.
    HetuIndividualNumber,
    /// Wrong check character.
    HetuChecksum,
    /// A required value is empty.
    MissingValue,
    /// Not a date.
    InvalidDate,
    /// Not a number.
    InvalidNumber,
    /// Not a municipality code.
    InvalidMunicipality,
    /// Not a Y-tunnus (seven digits, a hyphen, the check digit).
    InvalidBusinessId,
    /// Not a yes/no word of the mapping.
    InvalidBoolean,
    /// A code the mapping does not know.
    UnknownCode,
    /// Period end before start.
    PeriodEndBeforeStart,
    /// The row's key appeared earlier in the same extract.
    DuplicateKey,
    /// Bytes not valid in the file's encoding.
    InvalidEncoding,
    /// A workbook formula whose value the file does not hold (never
    /// calculated): read as empty, it would silently change the row.
    UncalculatedFormula,
    /// A workbook number too long to be exact (a double holds whole numbers
    /// exactly only below 2^53): two record ids could become one.
    InexactNumber,
    /// More or fewer fields than the header.
    FieldCount,
}

impl Reason {
    /// Every reason, in report order.
    pub const ALL: [Reason; 17] = [
        Reason::HetuFormat,
        Reason::HetuDate,
        Reason::HetuIndividualNumber,
        Reason::HetuChecksum,
        Reason::MissingValue,
        Reason::InvalidDate,
        Reason::InvalidNumber,
        Reason::InvalidMunicipality,
        Reason::InvalidBusinessId,
        Reason::InvalidBoolean,
        Reason::UnknownCode,
        Reason::PeriodEndBeforeStart,
        Reason::DuplicateKey,
        Reason::InvalidEncoding,
        Reason::UncalculatedFormula,
        Reason::InexactNumber,
        Reason::FieldCount,
    ];

    /// Stable code, e.g. `hetu_checksum`.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Reason::HetuFormat => "hetu_format",
            Reason::HetuDate => "hetu_date",
            Reason::HetuIndividualNumber => "hetu_individual_number",
            Reason::HetuChecksum => "hetu_checksum",
            Reason::MissingValue => "missing_value",
            Reason::InvalidDate => "invalid_date",
            Reason::InvalidNumber => "invalid_number",
            Reason::InvalidMunicipality => "invalid_municipality",
            Reason::InvalidBusinessId => "invalid_business_id",
            Reason::InvalidBoolean => "invalid_boolean",
            Reason::UnknownCode => "unknown_code",
            Reason::PeriodEndBeforeStart => "period_end_before_start",
            Reason::DuplicateKey => "duplicate_key",
            Reason::InvalidEncoding => "invalid_encoding",
            Reason::UncalculatedFormula => "uncalculated_formula",
            Reason::InexactNumber => "inexact_number",
            Reason::FieldCount => "field_count",
        }
    }

    /// The reason for a henkilötunnus error.
    #[must_use]
    pub fn of_hetu(e: &HetuError) -> Reason {
        match e {
            HetuError::Length(_) | HetuError::Format | HetuError::CenturySign(_) => {
                Reason::HetuFormat
            }
            HetuError::Date => Reason::HetuDate,
            HetuError::IndividualNumber(_) => Reason::HetuIndividualNumber,
            HetuError::Checksum { .. } => Reason::HetuChecksum,
        }
    }
}

/// One problem of a rejected row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Source header of the column (empty for whole-row problems).
    pub column: String,
    /// Why.
    pub reason: Reason,
}
