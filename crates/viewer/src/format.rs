//! Numbers as each language writes them.

use peitto_i18n::Lang;

/// A number as the language writes it: fi and sv `1 234,5` (no-break
/// space), en `1,234.5`; up to two decimals.
#[must_use]
pub fn format_number(lang: Lang, v: f64) -> String {
    let negative = v < 0.0;
    let rounded = (v.abs() * 100.0).round() / 100.0;
    let mut whole = format!("{:.0}", rounded.trunc());
    let frac = format!("{:.2}", rounded.fract());
    let frac = frac
        .trim_start_matches('0')
        .trim_start_matches('.')
        .trim_end_matches('0')
        .to_owned();
    let (group, point) = match lang {
        Lang::En => (",", "."),
        Lang::Fi | Lang::Sv => ("\u{a0}", ","),
    };
    let mut grouped = String::new();
    while whole.len() > 3 {
        let tail = whole.split_off(whole.len() - 3);
        grouped = format!("{group}{tail}{grouped}");
    }
    let sign = if negative && (whole != "0" || !frac.is_empty() || !grouped.is_empty()) {
        "-"
    } else {
        ""
    };
    let mut out = format!("{sign}{whole}{grouped}");
    if !frac.is_empty() {
        out.push_str(point);
        out.push_str(&frac);
    }
    out
}

/// A change as the language writes it, always signed (`+12`, `-3,5`).
#[must_use]
pub fn format_change(lang: Lang, v: f64) -> String {
    let s = format_number(lang, v);
    if s.starts_with('-') || s == "0" {
        // A minus sign, not a hyphen, reads as "less" in every language.
        s.replacen('-', "\u{2212}", 1)
    } else {
        format!("+{s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_the_languages_way() {
        assert_eq!(format_number(Lang::Fi, 1234.5), "1\u{a0}234,5");
        assert_eq!(format_number(Lang::Sv, 1_234_567.0), "1\u{a0}234\u{a0}567");
        assert_eq!(format_number(Lang::En, 1234.5), "1,234.5");
        assert_eq!(format_number(Lang::En, -0.25), "-0.25");
        assert_eq!(format_number(Lang::Fi, 12.0), "12");
        assert_eq!(format_number(Lang::Fi, 250.0), "250");
        assert_eq!(format_number(Lang::En, -0.001), "0");
    }

    #[test]
    fn changes_carry_their_sign() {
        assert_eq!(format_change(Lang::Fi, 12.0), "+12");
        assert_eq!(format_change(Lang::Fi, -3.5), "\u{2212}3,5");
        assert_eq!(format_change(Lang::En, 0.0), "0");
    }
}
