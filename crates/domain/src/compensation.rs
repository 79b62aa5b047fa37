//! The state's integration compensation (laskennallinen korvaus): which
//! months a person is compensated for and how much (domain.md §2). The
//! durations and rates changed on 1.1.2025 and are yearly configuration.

use crate::calendar::{add_months, age_at};
use peitto_model::Date;

/// The durations in force; defaults are those of domain.md §2.
#[derive(Debug, Clone, PartialEq)]
pub struct Durations {
    /// When the shorter durations start to apply (by home-municipality date).
    pub change: Date,
    /// Years for quota refugees before / after the change.
    pub quota: (i32, i32),
    /// Years for everyone else before / after the change.
    pub other: (i32, i32),
}

impl Default for Durations {
    fn default() -> Self {
        Durations {
            change: Date::from_ymd(2025, 1, 1).unwrap_or(Date(0)),
            quota: (4, 3),
            other: (3, 2),
        }
    }
}

/// Family members' permit bases (UlkL 114 § 1 mom, 115 §), whose
/// compensation period follows their sponsor's basis.
pub const FAMILY_BASES: [&str; 2] = ["114", "115"];

/// The basis whose period applies: a family member's follows the
/// sponsor's ("Neljän vuoden korvausaika koskee myös kiintiöpakolaisen
/// perheenyhdistämisen kautta Suomeen saapunutta perheenjäsentä",
/// kotoutuminen.fi); a family member whose sponsor's basis is not recorded
/// gets the period of everyone else.
#[must_use]
pub fn period_basis<'a>(permit_basis: &'a str, sponsor: Option<&'a str>) -> &'a str {
    if FAMILY_BASES.contains(&permit_basis) {
        sponsor.unwrap_or(permit_basis)
    } else {
        permit_basis
    }
}

/// The compensation window `[start, end)` from the first home-municipality
/// date, ended early by citizenship (except for victims of trafficking,
/// 52 a §). A family member's (114, 115 §) length follows the sponsor's
/// basis ([`period_basis`]). Which lengths apply is decided by the day the
/// window starts: a window begun before the change keeps the old lengths
/// (the reading of 322/2024's transitional provision this code makes).
#[must_use]
pub fn window(
    home_municipality: Date,
    permit_basis: &str,
    sponsor: Option<&str>,
    citizenship: Option<Date>,
    durations: &Durations,
) -> (Date, Date) {
    let new_rules = home_municipality >= durations.change;
    let (old, new) = if period_basis(permit_basis, sponsor) == "90" {
        durations.quota
    } else {
        durations.other
    };
    let end = add_months(home_municipality, 12 * if new_rules { new } else { old });
    let end = match citizenship {
        Some(c) if permit_basis != "52A" => end.min(c),
        _ => end,
    };
    (home_municipality, end.max(home_municipality))
}

/// Yearly flat rates in euros: (under 7, 7 and over).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Per person aged under 7.
    pub under_7: f64,
    /// Per person aged 7 or over.
    pub from_7: f64,
}

/// The municipality's share since 2023 (domain.md §2).
pub const MUNICIPAL_2023: Rates = Rates {
    under_7: 6503.0,
    from_7: 1955.0,
};
/// The wellbeing county's share since 2023.
pub const COUNTY_2023: Rates = Rates {
    under_7: 342.0,
    from_7: 345.0,
};

/// The municipality's flat rates by year: each entry applies from its year
/// until the next entry's (domain.md §2). Laws change the rates, so they
/// are configuration (`[[compensation.rates]]` in peitto.toml).
#[derive(Debug, Clone, PartialEq)]
pub struct RateTable {
    /// (first year, rates), sorted by year.
    entries: Vec<(i32, Rates)>,
}

impl Default for RateTable {
    fn default() -> RateTable {
        RateTable {
            entries: vec![(2023, MUNICIPAL_2023)],
        }
    }
}

impl RateTable {
    /// A table from (first year, rates) entries in any order; the built-in
    /// one when there are none.
    #[must_use]
    pub fn new(mut entries: Vec<(i32, Rates)>) -> RateTable {
        if entries.is_empty() {
            return RateTable::default();
        }
        entries.sort_by_key(|e| e.0);
        RateTable { entries }
    }

    /// The rates in force in `year` (the earliest entry's before it).
    #[must_use]
    pub fn for_year(&self, year: i32) -> Rates {
        self.entries
            .iter()
            .rev()
            .find(|e| e.0 <= year)
            .or(self.entries.first())
            .map_or(MUNICIPAL_2023, |e| e.1)
    }
}

/// Whether calendar month `month_start` (the 1st of a month) is a paid
/// month of `window`: KEHA pays a month when its 1st day falls in the
/// compensation period (to the municipality whose resident the person is on
/// that day, kotoutuminen.fi, Maksaminen ja hakeminen), so a window
/// starting on 15.3. is paid from April and its last paid month is the one
/// it ends in; a window of n years pays exactly 12 × n twelfths whatever
/// day it starts on.
#[must_use]
pub fn is_paid_month(month_start: Date, window: (Date, Date)) -> bool {
    month_start >= window.0 && month_start < window.1
}

/// Expected compensation for calendar month `month_start` (the 1st of a
/// month): a twelfth of the yearly rate if it is a paid month of the window
/// ([`is_paid_month`]), by age at the start of the month.
#[must_use]
pub fn monthly(birth: Date, month_start: Date, window: (Date, Date), rates: Rates) -> f64 {
    if !is_paid_month(month_start, window) {
        return 0.0;
    }
    let yearly = if age_at(birth, month_start) < 7 {
        rates.under_7
    } else {
        rates.from_7
    };
    yearly / 12.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::from_ymd(y, m, day).unwrap()
    }

    #[test]
    fn windows_before_and_after_2025() {
        let rules = Durations::default();
        assert_eq!(
            window(d(2024, 6, 15), "90", None, None, &rules),
            (d(2024, 6, 15), d(2028, 6, 15))
        );
        assert_eq!(
            window(d(2024, 6, 15), "87", None, None, &rules),
            (d(2024, 6, 15), d(2027, 6, 15))
        );
        assert_eq!(
            window(d(2025, 1, 1), "90", None, None, &rules),
            (d(2025, 1, 1), d(2028, 1, 1))
        );
        assert_eq!(
            window(d(2025, 3, 1), "110", None, None, &rules),
            (d(2025, 3, 1), d(2027, 3, 1))
        );
        // Citizenship ends it, except for victims of trafficking.
        assert_eq!(
            window(d(2025, 3, 1), "87", None, Some(d(2026, 1, 1)), &rules).1,
            d(2026, 1, 1)
        );
        assert_eq!(
            window(d(2025, 3, 1), "52A", None, Some(d(2026, 1, 1)), &rules).1,
            d(2027, 3, 1)
        );
    }

    #[test]
    fn a_family_member_follows_the_sponsors_basis() {
        let rules = Durations::default();
        // A quota refugee's family member: the quota refugee's period.
        assert_eq!(
            window(d(2025, 2, 1), "114", Some("90"), None, &rules).1,
            d(2028, 2, 1)
        );
        assert_eq!(
            window(d(2024, 2, 1), "114", Some("90"), None, &rules).1,
            d(2028, 2, 1)
        );
        // An asylum seeker's family member, or a sponsor not recorded:
        // everyone else's.
        assert_eq!(
            window(d(2025, 2, 1), "115", Some("87"), None, &rules).1,
            d(2027, 2, 1)
        );
        assert_eq!(
            window(d(2025, 2, 1), "114", None, None, &rules).1,
            d(2027, 2, 1)
        );
        // The sponsor's basis says nothing for a person's own basis.
        assert_eq!(
            window(d(2025, 2, 1), "87", Some("90"), None, &rules).1,
            d(2027, 2, 1)
        );
    }

    #[test]
    fn monthly_amounts_follow_the_age_band() {
        let w = (d(2025, 3, 15), d(2027, 3, 15));
        let child = d(2019, 5, 1);
        // The 1st of March is before the window: paid from April.
        assert_eq!(monthly(child, d(2025, 3, 1), w, MUNICIPAL_2023), 0.0);
        assert_eq!(
            monthly(child, d(2025, 4, 1), w, MUNICIPAL_2023),
            6503.0 / 12.0
        );
        // Turns 7 on 1.5.2026: the 7-and-over rate from May.
        assert_eq!(
            monthly(child, d(2026, 4, 1), w, MUNICIPAL_2023),
            6503.0 / 12.0
        );
        assert_eq!(
            monthly(child, d(2026, 5, 1), w, MUNICIPAL_2023),
            1955.0 / 12.0
        );
        assert_eq!(monthly(child, d(2025, 2, 1), w, MUNICIPAL_2023), 0.0);
        assert_eq!(
            monthly(child, d(2027, 2, 1), w, MUNICIPAL_2023),
            1955.0 / 12.0
        );
        // The month the window ends in is paid (its 1st is inside), the
        // next is not: 24 twelfths, not 25.
        assert_eq!(
            monthly(child, d(2027, 3, 1), w, MUNICIPAL_2023),
            1955.0 / 12.0
        );
        assert_eq!(monthly(child, d(2027, 4, 1), w, MUNICIPAL_2023), 0.0);
    }

    #[test]
    fn a_two_year_window_pays_twenty_four_months() {
        for (start, end) in [
            (d(2025, 3, 15), d(2027, 3, 15)),
            (d(2025, 3, 1), d(2027, 3, 1)),
            (d(2025, 1, 31), d(2027, 1, 31)),
        ] {
            let paid = (0..36)
                .map(|k| add_months(d(2025, 1, 1), k))
                .filter(|m| is_paid_month(*m, (start, end)))
                .count();
            assert_eq!(paid, 24, "{start:?}..{end:?}");
        }
    }

    #[test]
    fn rates_apply_from_their_year_until_the_next() {
        let new = Rates {
            under_7: 7000.0,
            from_7: 2100.0,
        };
        let table = RateTable::new(vec![(2027, new), (2023, MUNICIPAL_2023)]);
        assert_eq!(table.for_year(2026), MUNICIPAL_2023);
        assert_eq!(table.for_year(2027), new);
        assert_eq!(table.for_year(2030), new);
        // Before the first entry, the first entry's rates.
        assert_eq!(table.for_year(2020), MUNICIPAL_2023);
        assert_eq!(RateTable::new(Vec::new()), RateTable::default());
    }
}
