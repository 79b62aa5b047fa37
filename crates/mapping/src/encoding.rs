//! The text encodings a mapping names, by their WHATWG labels.

use serde::Deserialize;

/// Character encoding a system writes its CSV files in. Named in a mapping
/// by any WHATWG Encoding Standard label of UTF-8 or windows-1252 (`utf-8`,
/// `utf8`, `latin1`, `cp1252`, …, any case), or `utf-8-bom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Encoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 with a byte-order mark, as Excel's "CSV UTF-8" writes it.
    Utf8Bom,
    /// Windows-1252, as Finnish Excel writes plain "CSV".
    Windows1252,
}

/// WHATWG labels of UTF-8 (<https://encoding.spec.whatwg.org/#names-and-labels>).
const UTF8_LABELS: &[&str] = &[
    "unicode-1-1-utf-8",
    "unicode11utf8",
    "unicode20utf8",
    "utf-8",
    "utf8",
    "x-unicode20utf8",
];

/// WHATWG labels of windows-1252 (which the standard also uses for Latin-1
/// and ASCII, as browsers do).
const WINDOWS_1252_LABELS: &[&str] = &[
    "ansi_x3.4-1968",
    "ascii",
    "cp1252",
    "cp819",
    "csisolatin1",
    "ibm819",
    "iso-8859-1",
    "iso-ir-100",
    "iso8859-1",
    "iso88591",
    "iso_8859-1",
    "iso_8859-1:1987",
    "l1",
    "latin1",
    "us-ascii",
    "windows-1252",
    "x-cp1252",
];

/// An encoding label peitto does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown encoding {0:?}: use a label of UTF-8 (utf-8), UTF-8 with a byte-order mark (utf-8-bom) or windows-1252 (windows-1252, latin1)"
)]
pub struct UnknownEncoding(pub String);

impl std::str::FromStr for Encoding {
    type Err = UnknownEncoding;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // The standard strips ASCII whitespace and compares labels ASCII
        // case-insensitively.
        let label = s.trim().to_ascii_lowercase();
        if UTF8_LABELS.contains(&label.as_str()) {
            Ok(Encoding::Utf8)
        } else if ["utf-8-bom", "utf8-bom", "utf-8-sig", "utf8-sig"].contains(&label.as_str()) {
            Ok(Encoding::Utf8Bom)
        } else if WINDOWS_1252_LABELS.contains(&label.as_str()) {
            Ok(Encoding::Windows1252)
        } else {
            Err(UnknownEncoding(s.to_owned()))
        }
    }
}

impl TryFrom<String> for Encoding {
    type Error = UnknownEncoding;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl Encoding {
    /// The label a drafted mapping writes.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Windows1252 => "windows-1252",
        }
    }
}
