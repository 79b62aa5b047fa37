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

/// The compensation window `[start, end)` from the home-municipality date,
/// ended early by citizenship (except for victims of trafficking, 52 a §).
#[must_use]
pub fn window(
    home_municipality: Date,
    permit_basis: &str,
    citizenship: Option<Date>,
    durations: &Durations,
) -> (Date, Date) {
    let new_rules = home_municipality >= durations.change;
    let (old, new) = if permit_basis == "90" {
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

/// The 1st of the month `date` falls in.
fn first_of_month(date: Date) -> Date {
    let (y, m, _) = date.ymd();
    Date::from_ymd(y, m, 1).unwrap_or(date)
}

/// Whether calendar month `month_start` (the 1st of a month) is a paid
/// month of `window`: the month the window starts in is paid, the month it
/// ends in is not, so a window of n years pays exactly 12 × n twelfths
/// whatever day it starts on (a window ending on the 1st ends before its
/// month). The law pays a yearly sum for the years of the window (681/2023
/// as amended by 322/2024); how KEHA rounds a window to months is not
/// published, so this is the documented choice of the reports.
#[must_use]
pub fn is_paid_month(month_start: Date, window: (Date, Date)) -> bool {
    let first = first_of_month(window.0);
    let past = first_of_month(window.1);
    month_start >= first && month_start < past
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
            window(d(2024, 6, 15), "90", None, &rules),
            (d(2024, 6, 15), d(2028, 6, 15))
        );
        assert_eq!(
            window(d(2024, 6, 15), "87", None, &rules),
            (d(2024, 6, 15), d(2027, 6, 15))
        );
        assert_eq!(
            window(d(2025, 1, 1), "90", None, &rules),
            (d(2025, 1, 1), d(2028, 1, 1))
        );
        assert_eq!(
            window(d(2025, 3, 1), "110", None, &rules),
            (d(2025, 3, 1), d(2027, 3, 1))
        );
        // Citizenship ends it, except for victims of trafficking.
        assert_eq!(
            window(d(2025, 3, 1), "87", Some(d(2026, 1, 1)), &rules).1,
            d(2026, 1, 1)
        );
        assert_eq!(
            window(d(2025, 3, 1), "52A", Some(d(2026, 1, 1)), &rules).1,
            d(2027, 3, 1)
        );
    }

    #[test]
    fn monthly_amounts_follow_the_age_band() {
        let w = (d(2025, 3, 15), d(2027, 3, 15));
        let child = d(2019, 5, 1);
        assert_eq!(
            monthly(child, d(2025, 3, 1), w, MUNICIPAL_2023),
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
        // The month the window ends in is not paid: 24 twelfths, not 25.
        assert_eq!(monthly(child, d(2027, 3, 1), w, MUNICIPAL_2023), 0.0);
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
