//! Field parsers: whole numbers and amounts as exports write them,
//! municipality and area codes (or municipalities' names).

use super::*;

/// Parses a whole number as exports write it: spaces as thousands separators,
/// and a zero fraction (`12,0`) as Excel sometimes adds.
#[must_use]
pub fn parse_int(raw: &str) -> Option<i64> {
    let v = parse_decimal(raw, 0)?;
    i64::try_from(v).ok()
}

/// Parses a decimal number to an integer of `scale` decimals: `1 234,50`,
/// `1234.5`, `-12`, `−3,00`. A number with both `,` and `.`, or with more
/// non-zero decimals than `scale`, is refused rather than guessed.
#[must_use]
pub fn parse_decimal(raw: &str, scale: i8) -> Option<i128> {
    decimal_plain(raw.as_bytes(), scale).or_else(|| decimal_general(raw, scale))
}

/// `[-]digits[,|.digits]` in ASCII, short enough for `i64`: the form
/// nearly every amount has. `None` leaves anything else, and anything it
/// would refuse, to [`decimal_general`], which gives the same value for
/// what this accepts.
pub(super) fn decimal_plain(b: &[u8], scale: i8) -> Option<i128> {
    let scale = u32::try_from(scale).ok()?;
    let (negative, digits) = match b.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, b),
    };
    let mut value: i64 = 0;
    let mut count = 0u32;
    let mut fraction: Option<u32> = None;
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                if let Some(f) = fraction.as_mut() {
                    if *f >= scale {
                        return None;
                    }
                    *f += 1;
                }
                count += 1;
                if count > 15 {
                    return None;
                }
                value = value * 10 + i64::from(c - b'0');
            }
            b',' | b'.' if fraction.is_none() => fraction = Some(0),
            _ => return None,
        }
    }
    if count == 0 {
        return None;
    }
    for _ in fraction.unwrap_or(0)..scale {
        value = value.checked_mul(10)?;
    }
    let value = i128::from(value);
    if value.unsigned_abs() >= 10u128.pow(u32::from(EURO_PRECISION)) {
        return None;
    }
    Some(if negative { -value } else { value })
}

pub(super) fn decimal_general(raw: &str, scale: i8) -> Option<i128> {
    let scale = u32::try_from(scale).ok()?;
    let mut text = raw.trim();
    let mut negative = false;
    if let Some(rest) = text
        .strip_prefix('-')
        .or_else(|| text.strip_prefix('\u{2212}'))
    {
        negative = true;
        text = rest;
    } else if let Some(rest) = text.strip_prefix('+') {
        text = rest;
    }
    let mut value: i128 = 0;
    let mut digits = 0u32;
    let mut fraction: Option<u32> = None;
    // Fraction digits after the scale must be zeros ("12,500" is 12,50).
    let mut excess_nonzero = false;
    for c in text.chars() {
        match c {
            '0'..='9' => {
                let d = i128::from(u32::from(c) - u32::from('0'));
                digits += 1;
                match fraction.as_mut() {
                    Some(f) if *f >= scale => excess_nonzero |= d != 0,
                    Some(f) => {
                        value = value.checked_mul(10)?.checked_add(d)?;
                        *f += 1;
                    }
                    None => value = value.checked_mul(10)?.checked_add(d)?,
                }
            }
            ' ' | '\u{a0}' | '\u{202f}' if fraction.is_none() => {}
            ',' | '.' if fraction.is_none() => fraction = Some(0),
            _ => return None,
        }
    }
    if digits == 0 || excess_nonzero {
        return None;
    }
    for _ in fraction.unwrap_or(0)..scale {
        value = value.checked_mul(10)?;
    }
    if value.unsigned_abs() >= 10u128.pow(u32::from(EURO_PRECISION)) {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// A 3-digit municipality code; `91` → `091`, `KU091` → `091`, and a code
/// with its name (`KU285 Kotka`, `285 Kotka`) → `285`.
#[must_use]
pub fn parse_municipality(raw: &str) -> Option<[u8; 3]> {
    let raw = raw.trim();
    // A code alone is the common case: look for a name after it only in longer text.
    let digits = if raw.len() > 5 {
        raw.split_once(' ').map_or(raw, |(code, _)| code)
    } else {
        raw
    };
    let digits = digits
        .strip_prefix("KU")
        .or_else(|| digits.strip_prefix("ku"))
        .unwrap_or(digits);
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out = [b'0'; 3];
    out[3 - digits.len()..].copy_from_slice(digits.as_bytes());
    Some(out)
}

/// Whether `raw` is a Y-tunnus: seven digits (six in old ones, a leading
/// zero left out), a hyphen and the check digit, `11 − Σ dᵢwᵢ mod 11`
/// (0 for remainder 0; remainder 1 is never issued) with weights 7, 9, 10,
/// 5, 8, 4, 2.
#[must_use]
pub fn is_business_id(raw: &str) -> bool {
    let Some((digits, check)) = raw.trim().split_once('-') else {
        return false;
    };
    if !(6..=7).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || check.len() != 1
        || !check.bytes().all(|b| b.is_ascii_digit())
    {
        return false;
    }
    // A six-digit id's leading zero weighs nothing: the digits take the
    // last weights (no padded copy: this runs for every invoice line).
    const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = digits
        .bytes()
        .zip(&WEIGHTS[7 - digits.len()..])
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let expected = match sum % 11 {
        0 => 0,
        1 => return false,
        r => 11 - r,
    };
    u32::from(check.as_bytes()[0] - b'0') == expected
}

/// A municipality by its code ([`parse_municipality`]) or, failing that, by
/// its name in `areas`.
pub(super) fn municipality_or_name(raw: &str, areas: Option<&AreaNames>) -> Option<[u8; 3]> {
    parse_municipality(raw)
        .or_else(|| areas.and_then(|a| a.get(&raw.trim().to_lowercase()).copied()))
}

/// A Statistics Finland area code (`SSS`, `KU###`, `MK##`, …) from a code,
/// a code with its name (`KU285 Kotka`, `MK08 Kymenlaakso`), a bare
/// municipality code (`285`) or a municipality's name in `areas`.
#[must_use]
pub fn parse_area(raw: &str, areas: Option<&AreaNames>) -> Option<([u8; 5], u8)> {
    let raw = raw.trim();
    let mut out = [0u8; 5];
    let code = raw.split_once(' ').map_or(raw, |(code, _)| code);
    if code.eq_ignore_ascii_case("SSS") {
        out[..3].copy_from_slice(b"SSS");
        return Some((out, 3));
    }
    if let Some(m) = municipality_or_name(raw, areas) {
        out[..2].copy_from_slice(b"KU");
        out[2..].copy_from_slice(&m);
        return Some((out, 5));
    }
    // Other divisions: two letters and digits (MK## region, SK### sub-region).
    let bytes = code.as_bytes();
    if (3..=5).contains(&bytes.len())
        && bytes[..2].iter().all(u8::is_ascii_alphabetic)
        && bytes[2..].iter().all(u8::is_ascii_digit)
    {
        out[..bytes.len()].copy_from_slice(&code.to_ascii_uppercase().into_bytes());
        return u8::try_from(bytes.len()).ok().map(|n| (out, n));
    }
    None
}
