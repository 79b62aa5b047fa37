//! User-facing text in Finnish, Swedish and English.
//!
//! This crate owns the message catalogues (`catalogues/{fi,sv,en}.toml`): every
//! sentence peitto shows a planner, a manager or a recipient comes from here,
//! never from a string literal in code. Keys are stable dotted names
//! (`reason.hetu_checksum`); values may hold `{name}` placeholders. A key
//! missing from a language falls back to English, then to the key itself, so a
//! gap shows up as a visible key rather than a blank. A test keeps the three
//! catalogues in step. Builds for `wasm32-unknown-unknown`: the dashboard uses
//! the same catalogues. Numbers are written by one formatter,
//! [`format_number`], for files, pages and the terminal alike.

mod number;

pub use number::{Style, format_number};

use std::collections::BTreeMap;
use std::fmt::{self, Display};
use std::str::FromStr;
use std::sync::OnceLock;

/// A language peitto speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// Suomi.
    Fi,
    /// Svenska.
    Sv,
    /// English.
    En,
}

impl Lang {
    /// All languages, in the order reports list them.
    pub const ALL: [Lang; 3] = [Lang::Fi, Lang::Sv, Lang::En];

    /// ISO 639-1 code.
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fi => "fi",
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }
}

impl Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The text was not a language code peitto knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLang(pub String);

impl Display for UnknownLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown language {:?}: use fi, sv or en", self.0)
    }
}

impl std::error::Error for UnknownLang {}

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fi" | "fin" | "suomi" => Ok(Lang::Fi),
            "sv" | "swe" | "svenska" => Ok(Lang::Sv),
            "en" | "eng" | "english" => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }
}

type Catalogue = BTreeMap<String, String>;

fn parse(source: &str) -> Catalogue {
    // The catalogues are compiled in and checked by tests, so a parse failure
    // is a build defect; an empty catalogue then shows keys, not a crash.
    source
        .parse::<toml::Table>()
        .map(|table| flatten("", &table))
        .unwrap_or_default()
}

fn flatten(prefix: &str, table: &toml::Table) -> Catalogue {
    let mut out = Catalogue::new();
    for (key, value) in table {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::String(s) => {
                out.insert(full, s.clone());
            }
            toml::Value::Table(t) => out.extend(flatten(&full, t)),
            _ => {}
        }
    }
    out
}

fn catalogue(lang: Lang) -> &'static Catalogue {
    static FI: OnceLock<Catalogue> = OnceLock::new();
    static SV: OnceLock<Catalogue> = OnceLock::new();
    static EN: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Lang::Fi => FI.get_or_init(|| parse(include_str!("../catalogues/fi.toml"))),
        Lang::Sv => SV.get_or_init(|| parse(include_str!("../catalogues/sv.toml"))),
        Lang::En => EN.get_or_init(|| parse(include_str!("../catalogues/en.toml"))),
    }
}

/// The message for `key` in `lang`, falling back to English, then the key.
#[must_use]
pub fn text(lang: Lang, key: &str) -> &str {
    catalogue(lang)
        .get(key)
        .or_else(|| catalogue(Lang::En).get(key))
        .map_or(key, String::as_str)
}

/// Whether `key` exists in the English catalogue.
#[must_use]
pub fn has(key: &str) -> bool {
    catalogue(Lang::En).contains_key(key)
}

/// A column's heading: the catalogue's `column.NAME`, else the name as
/// the SQL gives it.
#[must_use]
pub fn column_label(lang: Lang, column: &str) -> String {
    let key = format!("column.{column}");
    if has(&key) {
        text(lang, &key).to_owned()
    } else {
        column.to_owned()
    }
}

/// The message for `key` with `{name}` placeholders replaced by `args`.
#[must_use]
pub fn format(lang: Lang, key: &str, args: &[(&str, &dyn Display)]) -> String {
    let template = text(lang, key);
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, value)) => push_printable(&mut out, &value.to_string()),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Pushes a message's argument with its control and text-direction
/// characters escaped (`\u{1b}`): a file name or a stored value must not
/// move the cursor, colour or reorder the user's terminal. Line breaks and
/// tabs are kept (lists are passed as lines).
fn push_printable(out: &mut String, value: &str) {
    for c in value.chars() {
        let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if (c.is_control() && c != '\n' && c != '\t') || bidi {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
}

/// Every key of a language's catalogue (for completeness checks).
#[must_use]
pub fn keys(lang: Lang) -> Vec<&'static str> {
    catalogue(lang).keys().map(String::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_cannot_drive_the_terminal() {
        // Colour, carriage return and a right-to-left override in a name.
        let name = "kotka\u{1b}[31m\r\u{202e}vsc.exe";
        let said = format(Lang::En, "error.unknown_format", &[("file", &name)]);
        assert!(!said.contains('\u{1b}') && !said.contains('\r') && !said.contains('\u{202e}'));
        assert!(
            said.contains("kotka\\u{1b}[31m\\u{d}\\u{202e}vsc.exe"),
            "{said}"
        );
        // Lines of a list stay lines.
        let listed = format(Lang::En, "error.unknown_format", &[("file", &"a\nb")]);
        assert!(listed.contains("a\nb"), "{listed}");
    }

    #[test]
    fn catalogues_have_the_same_keys() {
        let en = keys(Lang::En);
        assert!(en.len() > 20, "English catalogue did not parse");
        for lang in [Lang::Fi, Lang::Sv] {
            assert_eq!(keys(lang), en, "{lang} differs from en");
        }
    }

    #[test]
    fn placeholders_match_across_languages() {
        let names = |s: &str| {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            v.sort();
            v
        };
        for key in keys(Lang::En) {
            let en = names(text(Lang::En, key));
            for lang in [Lang::Fi, Lang::Sv] {
                assert_eq!(names(text(lang, key)), en, "{lang}: {key}");
            }
        }
    }

    #[test]
    fn formats_arguments_and_falls_back() {
        let s = format(
            Lang::Fi,
            "ingest.file_rows",
            &[("read", &10), ("accepted", &9), ("rejected", &1)],
        );
        assert!(
            s.contains("10") && s.contains('9') && s.contains('1'),
            "{s}"
        );
        assert_eq!(text(Lang::Sv, "no.such.key"), "no.such.key");
        assert_eq!("SV".parse::<Lang>(), Ok(Lang::Sv));
        assert!("de".parse::<Lang>().is_err());
    }
}
