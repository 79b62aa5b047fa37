//! Calendar dates as days since 1970-01-01, the representation of Arrow's
//! `Date32`, with the parsers for the formats Finnish registers export.

use std::fmt;

/// A calendar date (proleptic Gregorian), stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i32);

/// Why a date string was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// The text is not in any accepted format.
    #[error("not a date in d.m.yyyy or yyyy-mm-dd form")]
    Format,
    /// The parts form no real calendar day (e.g. 31.4.).
    #[error("no such calendar day")]
    NoSuchDay,
}

/// Days in `month` of `year`; 0 for an invalid month.
pub use peitto_hetu::days_in_month;

impl Date {
    /// The date for a year, month and day, if that day exists.
    #[must_use]
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = i64::from(year) - i64::from(month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        i32::try_from(era * 146_097 + doe - 719_468).ok().map(Date)
    }

    /// Year, month and day of this date.
    #[must_use]
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = i64::from(self.0) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        // The ranges above keep every part in bounds.
        (
            i32::try_from(year).unwrap_or(i32::MAX),
            u32::try_from(month).unwrap_or(1),
            u32::try_from(day).unwrap_or(1),
        )
    }

    /// The date `days` days later (earlier when negative).
    #[must_use]
    pub fn add_days(self, days: i32) -> Date {
        Date(self.0 + days)
    }

    /// Parses the date formats registers export: Finnish `d.m.yyyy`
    /// (leading zeros optional, a trailing ` 0:00` time as Excel writes it is
    /// ignored) and ISO `yyyy-mm-dd` (optionally followed by a time).
    ///
    /// # Errors
    /// [`DateError::Format`] if neither form matches, [`DateError::NoSuchDay`]
    /// if the form matches but the day does not exist.
    pub fn parse(text: &str) -> Result<Date, DateError> {
        match Date::parse_plain(text.as_bytes()) {
            Some(date) => date,
            None => Date::parse_general(text),
        }
    }

    /// Any form [`Date::parse`] reads: around the date blanks and a time.
    fn parse_general(text: &str) -> Result<Date, DateError> {
        let text = text.trim();
        // Drop a time part: "1.2.2024 0:00", "2024-02-01T00:00:00", "2024-02-01 00:00:00".
        let date_part = text.split([' ', 'T']).next().unwrap_or(text);
        let (y, m, d) = if let Some((d, rest)) = date_part.split_once('.') {
            let (m, y) = rest.split_once('.').ok_or(DateError::Format)?;
            (y, m, d)
        } else {
            let mut parts = date_part.splitn(3, '-');
            let y = parts.next().ok_or(DateError::Format)?;
            let m = parts.next().ok_or(DateError::Format)?;
            let d = parts.next().ok_or(DateError::Format)?;
            if y.len() != 4 {
                return Err(DateError::Format);
            }
            (y, m, d)
        };
        let number = |s: &str, max_len: usize| -> Result<u32, DateError> {
            if s.is_empty() || s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DateError::Format);
            }
            s.parse().map_err(|_| DateError::Format)
        };
        if y.len() != 4 {
            return Err(DateError::Format);
        }
        let year = i32::try_from(number(y, 4)?).map_err(|_| DateError::Format)?;
        let month = number(m, 2)?;
        let day = number(d, 2)?;
        Date::from_ymd(year, month, day).ok_or(DateError::NoSuchDay)
    }

    /// `d.m.yyyy` or `yyyy-mm-dd` and nothing else, the forms nearly every
    /// export uses, read without the general path's splitting and trimming;
    /// `None` sends anything else there. Accepts exactly what that path
    /// accepts for these forms.
    fn parse_plain(b: &[u8]) -> Option<Result<Date, DateError>> {
        let number = |s: &[u8]| -> Option<u32> {
            if s.is_empty() {
                return None;
            }
            s.iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let (year, month, day) = if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
            (number(&b[..4])?, number(&b[5..7])?, number(&b[8..])?)
        } else {
            let first = b.iter().position(|&c| c == b'.')?;
            let second = first + 1 + b[first + 1..].iter().position(|&c| c == b'.')?;
            let (d, m, y) = (&b[..first], &b[first + 1..second], &b[second + 1..]);
            if d.len() > 2 || m.len() > 2 || y.len() != 4 {
                return None;
            }
            (number(y)?, number(m)?, number(d)?)
        };
        let year = i32::try_from(year).ok()?;
        Some(Date::from_ymd(year, month, day).ok_or(DateError::NoSuchDay))
    }

    /// Finnish display form `d.m.yyyy`.
    #[must_use]
    pub fn to_finnish(self) -> String {
        let (y, m, d) = self.ymd();
        format!("{d}.{m}.{y}")
    }
}

impl fmt::Display for Date {
    /// ISO 8601 `yyyy-mm-dd`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_round_trip() {
        assert_eq!(Date::from_ymd(1970, 1, 1), Some(Date(0)));
        assert_eq!(Date::from_ymd(2000, 3, 1), Some(Date(11_017)));
        for days in (-80_000..80_000).step_by(37) {
            let (y, m, d) = Date(days).ymd();
            assert_eq!(Date::from_ymd(y, m, d), Some(Date(days)));
        }
    }

    #[test]
    fn parses_finnish_and_iso_forms() {
        let expected = Date::from_ymd(2024, 2, 5).unwrap();
        for text in [
            "5.2.2024",
            "05.02.2024",
            " 5.2.2024 ",
            "5.2.2024 0:00",
            "2024-02-05",
            "2024-02-05T00:00:00",
        ] {
            assert_eq!(Date::parse(text), Ok(expected), "{text}");
        }
        assert_eq!(expected.to_string(), "2024-02-05");
        assert_eq!(expected.to_finnish(), "5.2.2024");
    }

    #[test]
    fn the_plain_path_agrees_with_the_general_one() {
        let parts = [
            "", "0", "1", "01", "5", "12", "13", "29", "31", "32", "123", "a",
        ];
        let years = ["2024", "2023", "1900", "0000", "202", "20245", "20a4"];
        let mut tried = 0;
        for d in parts {
            for m in parts {
                for y in years {
                    for text in [format!("{d}.{m}.{y}"), format!("{y}-{m}-{d}")] {
                        if let Some(plain) = Date::parse_plain(text.as_bytes()) {
                            assert_eq!(plain, Date::parse_general(&text), "{text}");
                            tried += 1;
                        }
                    }
                }
            }
        }
        assert!(tried > 100, "{tried}");
    }

    #[test]
    fn rejects_bad_dates() {
        assert_eq!(Date::parse("31.4.2024"), Err(DateError::NoSuchDay));
        assert_eq!(Date::parse("29.2.2023"), Err(DateError::NoSuchDay));
        assert!(Date::parse("29.2.2024").is_ok());
        for text in [
            "",
            "2024",
            "5.2.24",
            "5/2/2024",
            "2024-2",
            "aa.bb.cccc",
            "1.1.20245",
        ] {
            assert_eq!(Date::parse(text), Err(DateError::Format), "{text}");
        }
    }
}
