//! Care and placement days.
//!
//! Periods are half-open, `[start, end)`, with `end` empty while ongoing
//! (domain.md, "Minimal input data model"). Days are counted within a
//! reporting period, itself half-open: the year 2025 is
//! `[1.1.2025, 1.1.2026)`.

use peitto_model::Date;

/// How days of a stay are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRule {
    /// Tilastolliset hoitopäivät: end minus start; a stay that begins and
    /// ends on the same day counts one day.
    Statistical,
    /// Arrival day counts, departure day does not, as invoices commonly
    /// count (the sending unit does not charge the transfer day). Counts as
    /// `Statistical` does, but belongs to invoices.
    ArrivalNotDeparture,
    /// Both the arrival and the departure day count.
    Inclusive,
}

impl DayRule {
    /// The rule for a canonical `day_rule` code of the model.
    #[must_use]
    pub fn from_code(code: &str) -> Option<DayRule> {
        match code {
            "STATISTICAL" => Some(DayRule::Statistical),
            "ARRIVAL_NOT_DEPARTURE" | "TRANSFER_DAY_TO_RECEIVER" => {
                Some(DayRule::ArrivalNotDeparture)
            }
            "INCLUSIVE" => Some(DayRule::Inclusive),
            _ => None,
        }
    }
}

/// Days of the stay `[start, end)` (ongoing when `end` is None) that fall in
/// the period `[from, until)`, counted by `rule`.
#[must_use]
pub fn care_days(start: Date, end: Option<Date>, from: Date, until: Date, rule: DayRule) -> i64 {
    // The days the stay occupies, as a half-open range of calendar days.
    let last_exclusive = match (end, rule) {
        (None, _) => until,
        (Some(e), DayRule::Inclusive) => e.add_days(1),
        // Same day in and out is one day.
        (Some(e), _) if e <= start => start.add_days(1),
        (Some(e), _) => e,
    };
    let lo = start.max(from);
    let hi = last_exclusive.min(until);
    i64::from((hi.0 - lo.0).max(0))
}

/// A period of one person: `[start, end)`, `end` None while ongoing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Episode {
    /// First day.
    pub start: Date,
    /// Day after the last, or None while ongoing.
    pub end: Option<Date>,
}

/// Merges one person's overlapping or adjacent periods, so that no
/// calendar day is counted twice (a child moved from one placement to
/// another on the same day stays one episode). A same-day stay occupies
/// its day.
#[must_use]
pub fn merge_episodes(periods: &[Episode]) -> Vec<Episode> {
    let mut sorted: Vec<Episode> = periods
        .iter()
        .map(|p| Episode {
            start: p.start,
            end: p
                .end
                .map(|e| if e <= p.start { p.start.add_days(1) } else { e }),
        })
        .collect();
    sorted.sort();
    let mut merged: Vec<Episode> = Vec::new();
    for p in sorted {
        match merged.last_mut() {
            Some(last) if last.end.is_none_or(|e| p.start <= e) => {
                last.end = match (last.end, p.end) {
                    (None, _) | (_, None) => None,
                    (Some(a), Some(b)) => Some(a.max(b)),
                };
            }
            _ => merged.push(p),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::from_ymd(y, m, day).unwrap()
    }

    const Y2025: (i32, i32) = (2025, 2026);

    fn year(y: (i32, i32)) -> (Date, Date) {
        (d(y.0, 1, 1), d(y.1, 1, 1))
    }

    #[test]
    fn days_are_clipped_to_the_year() {
        let (from, until) = year(Y2025);
        // 15.12.2024–10.1.2025: 9 days in 2025 (1.–9.1.).
        assert_eq!(
            care_days(
                d(2024, 12, 15),
                Some(d(2025, 1, 10)),
                from,
                until,
                DayRule::Statistical
            ),
            9
        );
        // Ongoing since 2020: the whole year.
        assert_eq!(
            care_days(d(2020, 3, 1), None, from, until, DayRule::Statistical),
            365
        );
        // Starts on 31.12.: one day in 2025.
        assert_eq!(
            care_days(d(2025, 12, 31), None, from, until, DayRule::Statistical),
            1
        );
        // Entirely outside.
        assert_eq!(
            care_days(
                d(2023, 1, 1),
                Some(d(2024, 1, 1)),
                from,
                until,
                DayRule::Statistical
            ),
            0
        );
    }

    #[test]
    fn counting_rules_differ_at_the_ends() {
        let (from, until) = year(Y2025);
        let (s, e) = (d(2025, 3, 1), d(2025, 3, 11));
        assert_eq!(care_days(s, Some(e), from, until, DayRule::Statistical), 10);
        assert_eq!(
            care_days(s, Some(e), from, until, DayRule::ArrivalNotDeparture),
            10
        );
        assert_eq!(care_days(s, Some(e), from, until, DayRule::Inclusive), 11);
        // Same day in and out: one day whatever the rule.
        for rule in [
            DayRule::Statistical,
            DayRule::ArrivalNotDeparture,
            DayRule::Inclusive,
        ] {
            assert_eq!(care_days(s, Some(s), from, until, rule), 1, "{rule:?}");
        }
        // Inclusive across the year end: 31.12.2025 departure counts in 2025, not 2026.
        assert_eq!(
            care_days(
                d(2025, 12, 20),
                Some(d(2025, 12, 31)),
                from,
                until,
                DayRule::Inclusive
            ),
            12
        );
        assert_eq!(
            care_days(
                d(2025, 12, 20),
                Some(d(2026, 1, 1)),
                d(2026, 1, 1),
                d(2027, 1, 1),
                DayRule::Inclusive
            ),
            1
        );
        assert_eq!(DayRule::from_code("INCLUSIVE"), Some(DayRule::Inclusive));
        assert_eq!(DayRule::from_code("X"), None);
    }

    #[test]
    fn episodes_merge_overlaps_and_same_day_transfers() {
        let e = |s: Date, end: Option<Date>| Episode { start: s, end };
        let merged = merge_episodes(&[
            e(d(2025, 1, 1), Some(d(2025, 2, 1))),
            // Transfer on the same day: adjacent, one episode.
            e(d(2025, 2, 1), Some(d(2025, 3, 1))),
            // Overlapping.
            e(d(2025, 2, 15), Some(d(2025, 3, 10))),
            // A gap, then a same-day stay.
            e(d(2025, 5, 5), Some(d(2025, 5, 5))),
            // Ongoing.
            e(d(2025, 9, 1), None),
            e(d(2025, 10, 1), Some(d(2025, 11, 1))),
        ]);
        assert_eq!(
            merged,
            vec![
                e(d(2025, 1, 1), Some(d(2025, 3, 10))),
                e(d(2025, 5, 5), Some(d(2025, 5, 6))),
                e(d(2025, 9, 1), None)
            ]
        );
        let (from, until) = year(Y2025);
        let total: i64 = merged
            .iter()
            .map(|m| care_days(m.start, m.end, from, until, DayRule::Statistical))
            .sum();
        assert_eq!(total, 68 + 1 + 122);
    }
}
