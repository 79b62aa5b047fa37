//! Numbers as each language writes them.

use peitto_i18n::Lang;

/// A number as the language writes it: fi and sv `1 234,5` (no-break
/// space), en `1,234.5`; up to two decimals (the one formatter of
/// `peitto_i18n`, which files use too).
#[must_use]
pub fn format_number(lang: Lang, v: f64) -> String {
    peitto_i18n::format_number(v, peitto_i18n::Style::Display(lang))
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
