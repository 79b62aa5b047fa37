//! Numbers as each language writes them: one formatter for files, pages
//! and the terminal.

use crate::Lang;

/// How a number is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// In a file a program reads back: no digit grouping; a decimal comma
    /// (Finnish Excel) or point (RFC 4180, JSON readers).
    File {
        /// Decimal comma instead of point.
        decimal_comma: bool,
    },
    /// For people, the language's way: fi and sv `1 234,5` (no-break
    /// space), en `1,234.5`.
    Display(Lang),
}

/// `v` with at most two decimals, trailing zeros dropped (`1,5`, never
/// `1,50`), no minus sign on a value that rounds to zero.
#[must_use]
pub fn format_number(v: f64, style: Style) -> String {
    let plain = if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    };
    let (negative, digits) = match plain.strip_prefix('-') {
        Some(rest) => (rest != "0", rest),
        None => (false, plain.as_str()),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let (group, point) = match style {
        Style::File { decimal_comma } => ("", if decimal_comma { "," } else { "." }),
        Style::Display(Lang::En) => (",", "."),
        Style::Display(Lang::Fi | Lang::Sv) => ("\u{a0}", ","),
    };
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push_str(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push_str(point);
        out.push_str(frac);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FI: Style = Style::Display(Lang::Fi);
    const EN: Style = Style::Display(Lang::En);
    const EXCEL: Style = Style::File {
        decimal_comma: true,
    };
    const RFC: Style = Style::File {
        decimal_comma: false,
    };

    #[test]
    fn people_read_the_languages_way() {
        assert_eq!(format_number(1234.5, FI), "1\u{a0}234,5");
        assert_eq!(
            format_number(1_234_567.0, Style::Display(Lang::Sv)),
            "1\u{a0}234\u{a0}567"
        );
        assert_eq!(format_number(1234.5, EN), "1,234.5");
        assert_eq!(format_number(-1234.5, EN), "-1,234.5");
        assert_eq!(format_number(-0.25, EN), "-0.25");
        assert_eq!(format_number(12.0, FI), "12");
        assert_eq!(format_number(250.0, FI), "250");
        assert_eq!(format_number(-0.001, EN), "0");
    }

    #[test]
    fn files_get_no_grouping_and_the_same_decimals_everywhere() {
        assert_eq!(format_number(1.5, EXCEL), "1,5");
        assert_eq!(format_number(1.5, RFC), "1.5");
        assert_eq!(format_number(1234.56, EXCEL), "1234,56");
        assert_eq!(format_number(2.999, RFC), "3");
        assert_eq!(format_number(-7.0, EXCEL), "-7");
        assert_eq!(format_number(-0.001, EXCEL), "0");
        // The same value is written the same way by every caller.
        assert_eq!(format_number(1.50, EXCEL), format_number(1.5, EXCEL));
    }
}
