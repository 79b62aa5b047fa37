//! Henkilötunnus: the Finnish personal identity code.
//!
//! This crate owns one thing: deciding whether an 11-character string is a valid
//! henkilötunnus and deriving what the code itself says about the person (birth
//! date, sex, whether it is a temporary code). It never stores or hashes codes;
//! pseudonymisation happens in `peitto-ingest` after these facts are derived.
//!
//! Rules (DVV, valid since 1.1.2023):
//! - format `DDMMYYCZZZQ`;
//! - century sign `C`: `+` 1800s; `-`, `Y`, `X`, `W`, `V`, `U` 1900s; `A`–`F` 2000s;
//! - individual number `ZZZ`: 002–899 normal, 900–999 temporary codes, odd for
//!   men, even for women;
//! - check character `Q` = `"0123456789ABCDEFHJKLMNPRSTUVWXY"[DDMMYYZZZ mod 31]`,
//!   the century sign not included.

use std::fmt;

/// The 31 check characters, indexed by `DDMMYYZZZ mod 31`.
const CHECK_CHARS: &[u8; 31] = b"0123456789ABCDEFHJKLMNPRSTUVWXY";

/// Sex as the individual number encodes it (odd: male, even: female).
///
/// This is the sex at the time the code was issued; a legal change of gender
/// issues a new code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Mies: odd individual number.
    Male,
    /// Nainen: even individual number.
    Female,
}

impl Sex {
    /// The code Statistics Finland uses: `1` men, `2` women.
    #[must_use]
    pub fn statfin_code(self) -> &'static str {
        match self {
            Sex::Male => "1",
            Sex::Female => "2",
        }
    }
}

/// A calendar date as the code states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BirthDate {
    /// Full year, e.g. 1994.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–31.
    pub day: u32,
}

/// A validated henkilötunnus with the facts derived from it.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Hetu {
    canonical: [u8; 11],
    birth_date: BirthDate,
    individual_number: u16,
}

// The code is personal data: never let it reach logs by accident.
impl fmt::Debug for Hetu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hetu(<redacted>)")
    }
}

/// Why a string is not a valid henkilötunnus.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HetuError {
    /// Not exactly 11 characters after trimming.
    #[error("a henkilötunnus has 11 characters, this has {0}")]
    Length(usize),
    /// Date or individual-number positions are not digits, or the check character is not allowed.
    #[error("a henkilötunnus has the form DDMMYYCZZZQ")]
    Format,
    /// The seventh character is not one of `+-YXWVUABCDEF`.
    #[error("unknown century sign {0:?}")]
    CenturySign(char),
    /// The date part names a day that does not exist.
    #[error("the date part is not a real date")]
    Date,
    /// Individual numbers 000 and 001 are never issued.
    #[error("individual number {0:03} is never issued")]
    IndividualNumber(u16),
    /// The check character does not match.
    #[error("check character is {found:?}, expected {expected:?}")]
    Checksum {
        /// The character the code has.
        found: char,
        /// The character the rule computes.
        expected: char,
    },
}

impl HetuError {
    /// A stable machine-readable reason, used in reports and catalogues.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            HetuError::Length(_) | HetuError::Format | HetuError::CenturySign(_) => "hetu_format",
            HetuError::Date => "hetu_date",
            HetuError::IndividualNumber(_) => "hetu_individual_number",
            HetuError::Checksum { .. } => "hetu_checksum",
        }
    }
}

fn century_base(sign: u8) -> Option<i32> {
    match sign {
        b'+' => Some(1800),
        b'-' | b'Y' | b'X' | b'W' | b'V' | b'U' => Some(1900),
        b'A'..=b'F' => Some(2000),
        _ => None,
    }
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

/// Days in a month of the proleptic Gregorian calendar.
#[must_use]
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// The check character for the nine digits `DDMMYYZZZ`.
#[must_use]
pub fn check_char(date_and_individual: u32) -> char {
    char::from(CHECK_CHARS[(date_and_individual % 31) as usize])
}

impl Hetu {
    /// Parses and validates a code. Surrounding whitespace is ignored and
    /// letters are accepted in either case (exports are not always careful);
    /// the canonical form is upper case.
    ///
    /// # Errors
    /// Returns the first rule the code breaks.
    pub fn parse(input: &str) -> Result<Hetu, HetuError> {
        let trimmed = input.trim();
        let count = trimmed.chars().count();
        if count != 11 || trimmed.len() != 11 {
            return Err(HetuError::Length(count));
        }
        let mut canonical = [0u8; 11];
        canonical.copy_from_slice(trimmed.as_bytes());
        canonical.make_ascii_uppercase();
        let day = digits(&canonical[0..2]).ok_or(HetuError::Format)?;
        let month = digits(&canonical[2..4]).ok_or(HetuError::Format)?;
        let yy = digits(&canonical[4..6]).ok_or(HetuError::Format)?;
        let sign = canonical[6];
        let base = century_base(sign).ok_or(HetuError::CenturySign(char::from(sign)))?;
        let individual = digits(&canonical[7..10]).ok_or(HetuError::Format)?;
        let year = base + i32::try_from(yy).map_err(|_| HetuError::Format)?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(HetuError::Date);
        }
        if individual < 2 {
            return Err(HetuError::IndividualNumber(
                u16::try_from(individual).unwrap_or(0),
            ));
        }
        let found = char::from(canonical[10]);
        if !CHECK_CHARS.contains(&canonical[10]) {
            return Err(HetuError::Format);
        }
        let expected = check_char(((day * 100 + month) * 100 + yy) * 1000 + individual);
        if found != expected {
            return Err(HetuError::Checksum { found, expected });
        }
        Ok(Hetu {
            canonical,
            birth_date: BirthDate { year, month, day },
            individual_number: u16::try_from(individual).map_err(|_| HetuError::Format)?,
        })
    }

    /// The canonical 11-character code (upper case). All 11 characters are
    /// significant: since 2023 the century sign alone can tell two people apart.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII bytes pass `parse`.
        std::str::from_utf8(&self.canonical).unwrap_or_default()
    }

    /// Birth date encoded in the code.
    #[must_use]
    pub fn birth_date(&self) -> BirthDate {
        self.birth_date
    }

    /// Individual number `ZZZ`.
    #[must_use]
    pub fn individual_number(&self) -> u16 {
        self.individual_number
    }

    /// Sex encoded by the parity of the individual number.
    #[must_use]
    pub fn sex(&self) -> Sex {
        if self.individual_number % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Tilapäinen henkilötunnus: individual numbers 900–999 are temporary
    /// codes (and the range DVV's fictitious test persons use); they are not
    /// in the population information system.
    #[must_use]
    pub fn is_temporary(&self) -> bool {
        self.individual_number >= 900
    }
}

/// Builds a valid code from its parts; used to make synthetic persons.
///
/// Returns `None` if the date does not exist, the individual number is out of
/// 2–999, or the sign does not belong to the year's century.
#[must_use]
pub fn compose(birth: BirthDate, sign: char, individual: u16) -> Option<String> {
    let base = century_base(u8::try_from(sign).ok()?)?;
    if birth.year - base < 0 || birth.year - base > 99 {
        return None;
    }
    if !(1..=12).contains(&birth.month)
        || birth.day == 0
        || birth.day > days_in_month(birth.year, birth.month)
        || !(2..=999).contains(&individual)
    {
        return None;
    }
    let yy = u32::try_from(birth.year - base).ok()?;
    let number = ((birth.day * 100 + birth.month) * 100 + yy) * 1000 + u32::from(individual);
    Some(format!(
        "{:02}{:02}{:02}{}{:03}{}",
        birth.day,
        birth.month,
        yy,
        sign,
        individual,
        check_char(number)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DVV's fictitious test persons (domain.md section 3), one per century sign and more.
    const DVV_TEST_CODES: &[&str] = &[
        "010594Y9032",
        "010594Y9021",
        "020594X903P",
        "020594X902N",
        "030594W903B",
        "030694W9024",
        "040594V9030",
        "040594V902Y",
        "050594U903M",
        "050594U902L",
        "010516B903X",
        "010516B902W",
        "020516C903K",
        "020516C902J",
        "030516D9037",
        "030516D9026",
        "010501E9032",
        "020502E902X",
        "020503F9037",
        "020504A902E",
        "020504B904H",
    ];

    #[test]
    fn accepts_every_dvv_test_code_and_flags_them_temporary() {
        for code in DVV_TEST_CODES {
            let hetu = Hetu::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
            assert!(hetu.is_temporary(), "{code}");
            assert_eq!(hetu.as_str(), *code);
        }
    }

    #[test]
    fn century_signs_give_the_right_century() {
        let cases = [
            ("131052-308T", 1952),
            ("010594Y9032", 1994),
            ("020594X903P", 1994),
            ("030594W903B", 1994),
            ("040594V9030", 1994),
            ("050594U903M", 1994),
            ("020504A902E", 2004),
            ("010516B903X", 2016),
            ("020516C903K", 2016),
            ("030516D9037", 2016),
            ("010501E9032", 2001),
            ("020503F9037", 2003),
        ];
        for (code, year) in cases {
            assert_eq!(Hetu::parse(code).unwrap().birth_date().year, year, "{code}");
        }
        // The 1800s sign: compose a code and check it round-trips.
        let code = compose(
            BirthDate {
                year: 1899,
                month: 12,
                day: 31,
            },
            '+',
            123,
        )
        .unwrap();
        let hetu = Hetu::parse(&code).unwrap();
        assert_eq!(
            hetu.birth_date(),
            BirthDate {
                year: 1899,
                month: 12,
                day: 31
            }
        );
        assert!(!hetu.is_temporary());
    }

    #[test]
    fn derives_sex_from_parity_and_normal_range_is_not_temporary() {
        let woman = Hetu::parse("131052-308T").unwrap();
        assert_eq!(woman.sex(), Sex::Female);
        assert!(!woman.is_temporary());
        assert_eq!(
            woman.birth_date(),
            BirthDate {
                year: 1952,
                month: 10,
                day: 13
            }
        );
        assert_eq!(Hetu::parse("010594Y9032").unwrap().sex(), Sex::Male);
        assert_eq!(Hetu::parse("010594Y9021").unwrap().sex(), Sex::Female);
    }

    #[test]
    fn rejects_wrong_check_character() {
        // telp.fi's example: the check character should be W.
        assert_eq!(
            Hetu::parse("010190-999K"),
            Err(HetuError::Checksum {
                found: 'K',
                expected: 'W'
            })
        );
        assert!(matches!(
            Hetu::parse("131052-308U"),
            Err(HetuError::Checksum { .. })
        ));
    }

    #[test]
    fn rejects_impossible_dates() {
        // 29 February exists only in leap years (2000 was one, 1900 was not).
        let leap = compose(
            BirthDate {
                year: 2000,
                month: 2,
                day: 29,
            },
            'A',
            905,
        )
        .unwrap();
        assert!(Hetu::parse(&leap).is_ok());
        for bad in [
            "290200-9052",
            "320194-9052",
            "001394-9052",
            "310494-9052",
            "000194-9052",
        ] {
            // Recompute a matching check character so only the date is wrong.
            let digits: u32 = format!("{}{}", &bad[0..6], &bad[7..10]).parse().unwrap();
            let code = format!("{}{}", &bad[0..10], check_char(digits));
            assert_eq!(Hetu::parse(&code), Err(HetuError::Date), "{code}");
        }
    }

    #[test]
    fn rejects_malformed_codes() {
        assert_eq!(Hetu::parse("131052-308"), Err(HetuError::Length(10)));
        assert_eq!(Hetu::parse("131052Z308T"), Err(HetuError::CenturySign('Z')));
        assert_eq!(Hetu::parse("13105A-308T"), Err(HetuError::Format));
        assert_eq!(
            Hetu::parse("1310ä2-308T").unwrap_err().reason(),
            "hetu_format"
        );
        assert_eq!(Hetu::parse(""), Err(HetuError::Length(0)));
        // Individual numbers 000 and 001 are not issued.
        let code = format!("010594-001{}", check_char(10_594_001));
        assert_eq!(Hetu::parse(&code), Err(HetuError::IndividualNumber(1)));
    }

    #[test]
    fn normalises_case_and_whitespace() {
        let hetu = Hetu::parse(" 020504a902e ").unwrap();
        assert_eq!(hetu.as_str(), "020504A902E");
    }

    #[test]
    fn compose_round_trips_across_signs() {
        for (year, sign) in [
            (1990, '-'),
            (1990, 'Y'),
            (1990, 'U'),
            (2010, 'A'),
            (2010, 'F'),
        ] {
            for individual in [2u16, 899, 900, 999] {
                let birth = BirthDate {
                    year,
                    month: 7,
                    day: 15,
                };
                let code = compose(birth, sign, individual).unwrap();
                let hetu = Hetu::parse(&code).unwrap();
                assert_eq!(hetu.birth_date(), birth);
                assert_eq!(hetu.individual_number(), individual);
                assert_eq!(hetu.is_temporary(), individual >= 900);
            }
        }
        assert!(
            compose(
                BirthDate {
                    year: 2010,
                    month: 7,
                    day: 15
                },
                '-',
                905
            )
            .is_none()
        );
    }

    #[test]
    fn debug_never_prints_the_code() {
        let hetu = Hetu::parse("131052-308T").unwrap();
        assert!(!format!("{hetu:?}").contains("131052"));
    }
}
