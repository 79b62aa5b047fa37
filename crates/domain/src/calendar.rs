//! Ages, months and Finnish working days.

use peitto_model::Date;

/// Age in whole years on `at` (a person born on 29 February turns a year
/// older on 1 March in common years).
#[must_use]
pub fn age_at(birth: Date, at: Date) -> i32 {
    let (by, bm, bd) = birth.ymd();
    let (y, m, d) = at.ymd();
    y - by - i32::from((m, d) < (bm, bd))
}

/// Age on 31 December of `year`: THL counts children's ages at year end,
/// so a child who turned 18 during the year is 18 (and still counted as
/// placed during the year).
#[must_use]
pub fn age_at_year_end(birth: Date, year: i32) -> i32 {
    age_at(birth, Date::from_ymd(year, 12, 31).unwrap_or(birth))
}

/// `date` plus `months` calendar months; a day the target month lacks
/// becomes its last day (31.1. + 1 month = 28.2. or 29.2.).
#[must_use]
pub fn add_months(date: Date, months: i32) -> Date {
    let (y, m, d) = date.ymd();
    let total = y * 12 + i32::try_from(m).unwrap_or(1) - 1 + months;
    let (ny, nm) = (
        total.div_euclid(12),
        u32::try_from(total.rem_euclid(12)).unwrap_or(0) + 1,
    );
    let day = d.min(peitto_model::date::days_in_month(ny, nm));
    Date::from_ymd(ny, nm, day).unwrap_or(date)
}

/// Easter Sunday of `year` (Gregorian computus).
#[must_use]
pub fn easter_sunday(year: i32) -> Date {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::from_ymd(
        year,
        u32::try_from(month).unwrap_or(4),
        u32::try_from(day).unwrap_or(1),
    )
    .unwrap_or(Date(0))
}

/// Weekday, 0 = Monday … 6 = Sunday.
fn weekday(date: Date) -> i32 {
    // 1.1.1970 was a Thursday.
    (date.0 + 3).rem_euclid(7)
}

/// The first date on or after `from` that falls on `weekday` (0 = Monday).
fn next_weekday(from: Date, weekday_wanted: i32) -> Date {
    from.add_days((weekday_wanted - weekday(from)).rem_euclid(7))
}

/// Which weekdays besides the public holidays are not working days when
/// working days (arkipäivät) are counted. The Act on the Calculation of
/// Statutory Time Limits (150/1930) counts Christmas Eve and Midsummer Eve
/// inside a limit and only moves a limit whose last day falls on one (5 §):
/// that is [`time_limit_end`]. These two rules count days: `EvesOff` takes
/// the Eves as days off throughout (the default of the SQL function),
/// `EvesWorking` as working days; a report names the one it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkingDayRule {
    /// Saturdays, Sundays, public holidays, Christmas Eve and Midsummer Eve are off.
    #[default]
    EvesOff,
    /// Saturdays, Sundays and public holidays are off; the Eves are working days.
    EvesWorking,
}

impl WorkingDayRule {
    /// The rule for its SQL code (`EVES_OFF`, `EVES_WORKING`).
    #[must_use]
    pub fn from_code(code: &str) -> Option<WorkingDayRule> {
        match code {
            "EVES_OFF" => Some(WorkingDayRule::EvesOff),
            "EVES_WORKING" => Some(WorkingDayRule::EvesWorking),
            _ => None,
        }
    }
}

/// Days in `year` on which Finnish public offices are closed besides
/// weekends: the public holidays, plus Midsummer Eve and Christmas Eve
/// (on which no time limit ends, 150/1930 5 §).
#[must_use]
pub fn holidays(year: i32) -> Vec<Date> {
    holidays_under(year, WorkingDayRule::EvesOff)
}

/// The days off in `year` besides weekends under `rule`.
#[must_use]
pub fn holidays_under(year: i32, rule: WorkingDayRule) -> Vec<Date> {
    let d = |m, day| Date::from_ymd(year, m, day).unwrap_or(Date(0));
    let easter = easter_sunday(year);
    let mut days = vec![
        d(1, 1),                    // uudenvuodenpäivä
        d(1, 6),                    // loppiainen
        easter.add_days(-2),        // pitkäperjantai
        easter,                     // pääsiäispäivä
        easter.add_days(1),         // 2. pääsiäispäivä
        d(5, 1),                    // vappu
        easter.add_days(39),        // helatorstai
        easter.add_days(49),        // helluntaipäivä
        next_weekday(d(6, 19), 4),  // juhannusaatto (Friday 19–25 June)
        next_weekday(d(6, 20), 5),  // juhannuspäivä (Saturday 20–26 June)
        next_weekday(d(10, 31), 5), // pyhäinpäivä (Saturday 31.10.–6.11.)
        d(12, 6),                   // itsenäisyyspäivä
        d(12, 24),                  // jouluaatto
        d(12, 25),                  // joulupäivä
        d(12, 26),                  // tapaninpäivä
    ];
    if rule == WorkingDayRule::EvesWorking {
        let eves = [next_weekday(d(6, 19), 4), d(12, 24)];
        days.retain(|day| !eves.contains(day));
    }
    days.sort();
    days
}

/// Whether `date` is a working day: not a Saturday, Sunday or holiday.
#[must_use]
pub fn is_working_day(date: Date) -> bool {
    DaysOff::default().working(date, WorkingDayRule::EvesOff)
}

/// Working days after `start` up to and including `end`: the day of
/// receipt does not count (LsL 26 §), so a decision on the next working
/// day took 1. Negative when `end` precedes `start`.
#[must_use]
pub fn working_days_after(start: Date, end: Date) -> i64 {
    working_days_after_under(start, end, WorkingDayRule::EvesOff)
}

/// [`working_days_after`] with the Eves counted as `rule` says.
#[must_use]
pub fn working_days_after_under(start: Date, end: Date, rule: WorkingDayRule) -> i64 {
    if end < start {
        return -working_days_after_under(end, start, rule);
    }
    // Weekdays counted by whole weeks, holidays per year: the time does not
    // depend on how far apart the dates are (beyond a few operations per
    // year), so a query cannot time it to learn about a row.
    let first = start.add_days(1);
    if end < first {
        return 0;
    }
    let days = i64::from(end.0) - i64::from(first.0) + 1;
    let mut count = days / 7 * 5;
    let tail_start = i64::from(first.0) + days / 7 * 7;
    for k in 0..days % 7 {
        let day = Date(i32::try_from(tail_start + k).unwrap_or(end.0));
        if weekday(day) < 5 {
            count += 1;
        }
    }
    for year in first.ymd().0..=end.ymd().0 {
        let mut off = holidays_under(year, rule);
        off.dedup();
        count -= off
            .iter()
            .filter(|h| **h >= first && **h <= end && weekday(**h) < 5)
            .count()
            .try_into()
            .unwrap_or(0i64);
    }
    count
}

/// The `n`th working day after `start` (the deadline of an n-working-day rule).
#[must_use]
pub fn add_working_days(start: Date, n: u32) -> Date {
    nth_working_day(start, n, WorkingDayRule::EvesOff, &mut DaysOff::default())
}

/// The `n`th working day after `start` under `rule`.
fn nth_working_day(start: Date, n: u32, rule: WorkingDayRule, days_off: &mut DaysOff) -> Date {
    let mut day = start;
    let mut left = n;
    while left > 0 {
        day = day.add_days(1);
        if days_off.working(day, rule) {
            left -= 1;
        }
    }
    day
}

/// The last day of a time limit of `n` working days after `start`, as the
/// Act on the Calculation of Statutory Time Limits (150/1930) sets it:
/// working days are counted without Saturdays, Sundays and public holidays
/// (THL's handbook: "Arkipäivänä ei pidetä pyhäpäiviä eikä arkilauantaita"),
/// so an Eve inside the limit counts, and a last day that falls on
/// Christmas Eve or Midsummer Eve moves to the next working day (5 §).
#[must_use]
pub fn time_limit_end(start: Date, n: u32) -> Date {
    let mut days_off = DaysOff::default();
    let day = nth_working_day(start, n, WorkingDayRule::EvesWorking, &mut days_off);
    deadline_day_with(day, &mut days_off)
}

/// The day a time limit ending on `date` really ends (150/1930 5 §): `date`
/// itself, or when it is a Saturday, Sunday, public holiday, Christmas Eve
/// or Midsummer Eve, the first working day after it.
#[must_use]
pub fn deadline_day(date: Date) -> Date {
    deadline_day_with(date, &mut DaysOff::default())
}

fn deadline_day_with(date: Date, days_off: &mut DaysOff) -> Date {
    let mut day = date;
    while !days_off.working(day, WorkingDayRule::EvesOff) {
        day = day.add_days(1);
    }
    day
}

/// The days off of the year last asked about, under each rule: a report
/// calls these functions for millions of rows, and building a year's list
/// for every day walked would dominate its time.
#[derive(Default)]
struct DaysOff {
    year: Option<i32>,
    off: [Vec<Date>; 2],
}

impl DaysOff {
    fn working(&mut self, date: Date, rule: WorkingDayRule) -> bool {
        if weekday(date) >= 5 {
            return false;
        }
        let year = date.ymd().0;
        if self.year != Some(year) {
            self.off = [
                holidays_under(year, WorkingDayRule::EvesOff),
                holidays_under(year, WorkingDayRule::EvesWorking),
            ];
            self.year = Some(year);
        }
        let off = match rule {
            WorkingDayRule::EvesOff => &self.off[0],
            WorkingDayRule::EvesWorking => &self.off[1],
        };
        !off.contains(&date)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_days_by_weeks_match_counting_day_by_day() {
        let by_day = |start: Date, end: Date, rule| {
            let mut n = 0;
            let mut day = start.add_days(1);
            while day <= end {
                if weekday(day) < 5 && !holidays_under(day.ymd().0, rule).contains(&day) {
                    n += 1;
                }
                day = day.add_days(1);
            }
            n
        };
        let base = Date::from_ymd(2019, 12, 20).unwrap();
        for rule in [WorkingDayRule::EvesOff, WorkingDayRule::EvesWorking] {
            for from in (0..800).step_by(37) {
                for span in [0, 1, 2, 5, 6, 7, 8, 13, 30, 95, 200, 400, 1100] {
                    let (s, e) = (base.add_days(from), base.add_days(from + span));
                    assert_eq!(
                        working_days_after_under(s, e, rule),
                        by_day(s, e, rule),
                        "{s:?} {e:?}"
                    );
                    assert_eq!(working_days_after_under(e, s, rule), -by_day(s, e, rule));
                }
            }
        }
    }

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::from_ymd(y, m, day).unwrap()
    }

    #[test]
    fn easter_dates() {
        assert_eq!(easter_sunday(2024), d(2024, 3, 31));
        assert_eq!(easter_sunday(2025), d(2025, 4, 20));
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2019), d(2019, 4, 21));
    }

    #[test]
    fn finnish_holidays_of_2025() {
        let h = holidays(2025);
        for day in [
            d(2025, 1, 1),
            d(2025, 1, 6),
            d(2025, 4, 18),
            d(2025, 4, 20),
            d(2025, 4, 21),
            d(2025, 5, 1),
            d(2025, 5, 29),
            d(2025, 6, 8),
            d(2025, 6, 20),
            d(2025, 6, 21),
            d(2025, 11, 1),
            d(2025, 12, 6),
            d(2025, 12, 24),
            d(2025, 12, 25),
            d(2025, 12, 26),
        ] {
            assert!(h.contains(&day), "{day}");
        }
        assert_eq!(h.len(), 15);
    }

    #[test]
    fn seven_working_days_over_easter_and_midsummer() {
        // Received Thursday 17.4.2025; Good Friday and Easter Monday are off.
        assert_eq!(add_working_days(d(2025, 4, 17), 7), d(2025, 4, 30));
        assert_eq!(working_days_after(d(2025, 4, 17), d(2025, 4, 29)), 6);
        assert_eq!(working_days_after(d(2025, 4, 17), d(2025, 4, 30)), 7);
        // Received Wednesday 18.6.2025; Midsummer Eve (Fri 20.6.) is off.
        assert_eq!(working_days_after(d(2025, 6, 18), d(2025, 6, 27)), 6);
        assert_eq!(add_working_days(d(2025, 6, 18), 7), d(2025, 6, 30));
        // The day of receipt does not count; a weekend adds nothing.
        assert_eq!(working_days_after(d(2025, 3, 7), d(2025, 3, 10)), 1);
        assert_eq!(working_days_after(d(2025, 3, 7), d(2025, 3, 7)), 0);
        // Across Christmas, New Year and Epiphany.
        assert_eq!(working_days_after(d(2024, 12, 23), d(2025, 1, 7)), 6);
    }

    #[test]
    fn statutory_time_limits_count_the_eves_and_move_off_them() {
        // Received Tue 10.6.2025: Wed 11. … Thu 19.6. is the 7th working
        // day; Midsummer Eve (Fri 20.6.) is after it, not inside.
        assert_eq!(time_limit_end(d(2025, 6, 10), 7), d(2025, 6, 19));
        // Received Thu 12.6.2025: the Eve inside the limit counts, so the
        // 7th working day is Mon 23.6. (not Tue 24.6.).
        assert_eq!(time_limit_end(d(2025, 6, 12), 7), d(2025, 6, 23));
        // Received Wed 11.6.2025: the 7th working day is the Eve itself,
        // so the limit ends on the next working day, Mon 23.6.
        assert_eq!(time_limit_end(d(2025, 6, 11), 7), d(2025, 6, 23));
        // Christmas Eve 2025 (Wed) as the last day: Christmas and Boxing Day
        // follow, so the limit ends on Mon 29.12.
        assert_eq!(time_limit_end(d(2025, 12, 15), 7), d(2025, 12, 29));
        // A 3-month limit ending on Saturday 7.6.2025 ends on Monday 9.6.;
        // one ending on a working day stays.
        assert_eq!(deadline_day(d(2025, 6, 7)), d(2025, 6, 9));
        assert_eq!(deadline_day(d(2025, 6, 5)), d(2025, 6, 5));
        assert_eq!(deadline_day(d(2025, 6, 20)), d(2025, 6, 23));
    }

    #[test]
    fn the_eves_follow_the_rule() {
        // Received Wednesday 18.6.2025: Thursday 19.6. and, only when the
        // Eves are working days, Midsummer Eve (Friday 20.6.).
        let (from, to) = (d(2025, 6, 18), d(2025, 6, 20));
        assert_eq!(
            working_days_after_under(from, to, WorkingDayRule::EvesOff),
            1
        );
        assert_eq!(
            working_days_after_under(from, to, WorkingDayRule::EvesWorking),
            2
        );
        // Christmas Eve 2025 is a Wednesday.
        let (from, to) = (d(2025, 12, 23), d(2025, 12, 24));
        assert_eq!(
            working_days_after_under(from, to, WorkingDayRule::EvesOff),
            0
        );
        assert_eq!(
            working_days_after_under(from, to, WorkingDayRule::EvesWorking),
            1
        );
        assert_eq!(
            WorkingDayRule::from_code("EVES_WORKING"),
            Some(WorkingDayRule::EvesWorking)
        );
        assert_eq!(WorkingDayRule::from_code("eves"), None);
    }

    #[test]
    fn ages_and_months() {
        let born = d(2007, 5, 10);
        assert_eq!(age_at(born, d(2025, 5, 9)), 17);
        assert_eq!(age_at(born, d(2025, 5, 10)), 18);
        // THL counts at 31.12.: a child turning 18 in 2025 is 18 for 2025.
        assert_eq!(age_at_year_end(born, 2025), 18);
        assert_eq!(age_at(d(2008, 2, 29), d(2025, 2, 28)), 16);
        assert_eq!(age_at(d(2008, 2, 29), d(2025, 3, 1)), 17);
        assert_eq!(add_months(d(2025, 1, 31), 1), d(2025, 2, 28));
        assert_eq!(add_months(d(2024, 1, 31), 1), d(2024, 2, 29));
        assert_eq!(add_months(d(2025, 11, 15), 3), d(2026, 2, 15));
        assert_eq!(add_months(d(2025, 3, 31), -1), d(2025, 2, 28));
    }
}
