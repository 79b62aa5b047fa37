//! Tests of validation and conversion.

use super::parse::{decimal_general, decimal_plain};
use super::*;

#[test]
fn area_codes_from_codes_and_names() {
    let mut names = AreaNames::default();
    names.insert("jakobstad".into(), *b"598");
    let area = |raw: &str| {
        parse_area(raw, Some(&names))
            .map(|(a, n)| String::from_utf8(a[..usize::from(n)].to_vec()).unwrap())
    };
    assert_eq!(area("KU285").as_deref(), Some("KU285"));
    assert_eq!(area("285").as_deref(), Some("KU285"));
    assert_eq!(area("KU285 Kotka").as_deref(), Some("KU285"));
    assert_eq!(area("Jakobstad").as_deref(), Some("KU598"));
    assert_eq!(area("SSS").as_deref(), Some("SSS"));
    assert_eq!(area("MK08 Kymenlaakso").as_deref(), Some("MK08"));
    assert_eq!(area("Vasa"), None);
    assert_eq!(area(""), None);
}

#[test]
fn decimals_in_finnish_and_plain_forms() {
    assert_eq!(parse_decimal("1 234,50", 2), Some(123_450));
    assert_eq!(parse_decimal("1\u{a0}234,5", 2), Some(123_450));
    assert_eq!(parse_decimal("1234.5", 2), Some(123_450));
    assert_eq!(parse_decimal("-12", 2), Some(-1200));
    assert_eq!(parse_decimal("\u{2212}3,00", 2), Some(-300));
    assert_eq!(parse_decimal(",5", 2), Some(50));
    assert_eq!(parse_decimal("12.500", 2), Some(1250));
    assert_eq!(parse_decimal("1.234,50", 2), None);
    assert_eq!(parse_decimal("12,345", 2), None);
    assert_eq!(parse_decimal("12e3", 2), None);
    assert_eq!(parse_decimal("", 2), None);
    assert_eq!(parse_decimal("-", 2), None);
}

#[test]
fn cached_dates_are_the_dates_parsed() {
    let mut cache = DateCache::new();
    let mut texts = Vec::new();
    for year in [1999, 2023, 2024] {
        for month in 0..=13 {
            for day in [0, 1, 9, 28, 29, 30, 31, 32] {
                texts.push(format!("{day}.{month}.{year}"));
                texts.push(format!("{year}-{month:02}-{day:02}"));
            }
        }
    }
    texts.extend(["x".into(), "1.1.2024 0:00".into(), "1.1.2024\0".into()]);
    texts.push("2024-02-29T00:00:00+02:00 extra".into());
    // Twice over: the second time from the cache, where the slots hold.
    for text in texts.iter().chain(&texts) {
        assert_eq!(
            cache.parse(text),
            Date::parse(text).ok().map(|d| d.0),
            "{text}"
        );
    }
}

#[test]
fn the_plain_decimal_path_agrees_with_the_general_one() {
    let parts = [
        "",
        "0",
        "5",
        "12",
        "315",
        "2524",
        "100000",
        "123456789012",
        "99999999999999",
        "100000000000000",
        "1234567890123456",
    ];
    let fractions = [
        "", ",", ".", ",5", ",50", ",55", ",500", ",555", ".1", ",,5",
    ];
    let mut tried = 0;
    for sign in ["", "-"] {
        for whole in parts {
            for fraction in fractions {
                let text = format!("{sign}{whole}{fraction}");
                for scale in [0, 2, 6] {
                    if let Some(plain) = decimal_plain(text.as_bytes(), scale) {
                        assert_eq!(Some(plain), decimal_general(&text, scale), "{text}");
                        tried += 1;
                    }
                    assert_eq!(
                        parse_decimal(&text, scale),
                        decimal_general(&text, scale),
                        "{text}"
                    );
                }
            }
        }
    }
    assert!(tried > 100, "{tried}");
}

#[test]
fn integers_accept_spaces_and_zero_fractions() {
    assert_eq!(parse_int("31"), Some(31));
    assert_eq!(parse_int("1 000"), Some(1000));
    assert_eq!(parse_int("31,0"), Some(31));
    assert_eq!(parse_int("31,5"), None);
    assert_eq!(parse_int("kolme"), None);
}

#[test]
fn municipality_codes_are_padded() {
    assert_eq!(parse_municipality("91"), Some(*b"091"));
    assert_eq!(parse_municipality("598"), Some(*b"598"));
    assert_eq!(parse_municipality("KU285"), Some(*b"285"));
    assert_eq!(parse_municipality("KU285 Kotka"), Some(*b"285"));
    assert_eq!(parse_municipality("598 Pietarsaari"), Some(*b"598"));
    assert_eq!(parse_municipality("Pieksämäki 1"), None);
    assert_eq!(parse_municipality("1234"), None);
    assert_eq!(parse_municipality("Kotka"), None);
}

#[test]
fn every_reason_has_a_catalogue_entry() {
    for r in Reason::ALL {
        let key = format!("reason.{}", r.code());
        assert!(peitto_i18n::has(&key), "{key}");
    }
}

#[test]
fn business_ids_have_their_check_digit_and_nothing_else_passes() {
    // Y-tunnus of the sample providers, an old six-digit one, and what a
    // register might hold instead: a carer's henkilötunnus or name.
    for ok in [
        "2017106-9",
        "2024006-0",
        "0737546-2",
        "737546-2",
        " 2028554-1 ",
    ] {
        assert!(is_business_id(ok), "{ok}");
    }
    for bad in [
        "1234567-8",
        "2017106-8",
        "050570-912R",
        "Maija Meikäläinen",
        "20171069",
        "2017106-",
        "=HYPERLINK(\"x\")",
        "2017106-9 x",
        "",
    ] {
        assert!(!is_business_id(bad), "{bad}");
    }
}
