//! The five municipalities of the seeds and the years the extracts cover.

/// A municipality of the seeds.
#[derive(Debug, Clone, Copy)]
pub struct Municipality {
    /// Kuntanumero.
    pub code: &'static str,
    /// Finnish name.
    pub name_fi: &'static str,
    /// Swedish name.
    pub name_sv: &'static str,
    /// Wellbeing services county code.
    pub hva: &'static str,
    /// Source system mapping its registers export in.
    pub mapping: &'static str,
    /// Approximate population.
    pub population: u32,
    /// Language of names: Swedish-majority municipalities get more Swedish names.
    pub swedish_share: f64,
}

/// The five municipalities of the seed privacy notices (domain.md §4).
pub const MUNICIPALITIES: [Municipality; 5] = [
    Municipality {
        code: "285",
        name_fi: "Kotka",
        name_sv: "Kotka",
        hva: "10",
        mapping: "pro_consona",
        population: 51_000,
        swedish_share: 0.01,
    },
    Municipality {
        code: "240",
        name_fi: "Kemi",
        name_sv: "Kemi",
        hva: "21",
        mapping: "pro_consona",
        population: 20_000,
        swedish_share: 0.01,
    },
    Municipality {
        code: "171",
        name_fi: "Joroinen",
        name_sv: "Jorois",
        hva: "13",
        mapping: "pro_consona",
        population: 4_600,
        swedish_share: 0.0,
    },
    Municipality {
        code: "895",
        name_fi: "Uusikaupunki",
        name_sv: "Nystad",
        hva: "05",
        mapping: "pro_consona",
        population: 15_000,
        swedish_share: 0.02,
    },
    Municipality {
        code: "598",
        name_fi: "Pietarsaari",
        name_sv: "Jakobstad",
        hva: "17",
        mapping: "abilita",
        population: 19_000,
        swedish_share: 0.55,
    },
];

/// First and last year the extracts cover.
pub const FIRST_YEAR: i32 = 2021;
/// Last year covered; the extract is taken in January of the next year.
pub const LAST_YEAR: i32 = 2025;
