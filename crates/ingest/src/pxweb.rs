//! Statistics Finland's table 11re (Väestö 31.12.: population by area, age
//! and sex) as PxWeb exports it, read as it comes.
//!
//! PxWeb's "with heading" CSV downloads put the table's title on the first
//! line and a blank line before the header; the header names the variables
//! laid out as rows (the *stub*, for example `Alue` and `Ikä`) and then one
//! column per combination of the variables laid out as columns (the
//! *heading*), labelled with their values joined by spaces, such as
//! `2024 Miehet Väestö 31.12.`. Values are labels, not codes, in the
//! language of the download (`Miehet`/`Män`/`Males`, `100 -`, `KOKO MAA`),
//! and `-` means none. This module recognises that layout in Finnish,
//! Swedish or English, whichever variables are in the stub or the heading,
//! and turns each data cell into one row of the long form the reference
//! mapping reads ([`LONG_HEADERS`]). Totals (the whole country, regions, all
//! ages, both sexes) are not stored: they are counted and reported, since
//! the reports sum municipalities themselves.

use crate::read::trim;

/// The long form each cell becomes: the reference mapping's population
/// headers (`crates/mapping/mappings/reference.toml`).
pub const LONG_HEADERS: [&str; 5] = ["Vuosi", "Alue", "Ikä", "Sukupuoli", "Väestö 31.12."];

const AREA: &[&str] = &["alue", "område", "area", "region"];
const AGE: &[&str] = &["ikä", "ålder", "age"];
const SEX: &[&str] = &["sukupuoli", "kön", "sex", "gender"];
const YEAR: &[&str] = &["vuosi", "år", "year"];
const INFO: &[&str] = &["tiedot", "uppgifter", "information", "data"];
/// The measure of 11re, in the three languages (and its code).
const MEASURE: &[&str] = &[
    "väestö 31.12.",
    "befolkning 31.12.",
    "population 31 dec",
    "population 31.12.",
    "vaesto",
];
/// Labels of the "both sexes" value, longest first.
const SEX_TOTAL: &[&str] = &[
    "sukupuolet yhteensä",
    "båda könen",
    "both sexes",
    "yhteensä",
    "totalt",
    "total",
    "sss",
];
const MEN: &[&str] = &["miehet", "män", "males", "men"];
const WOMEN: &[&str] = &["naiset", "kvinnor", "females", "women"];
/// Labels of the "all ages" value.
const AGE_TOTAL: &[&str] = &[
    "ikäluokat yhteensä",
    "åldersklasser totalt",
    "age groups total",
    "yhteensä",
    "totalt",
    "total",
    "sss",
];
/// Labels of the whole country.
const COUNTRY: &[&str] = &["koko maa", "hela landet", "whole country", "sss"];

/// A value of the sex variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sex {
    Men,
    Women,
    Total,
}

impl Sex {
    fn parse(label: &str) -> Option<Sex> {
        let l = label.trim().to_lowercase();
        if MEN.contains(&l.as_str()) || l == "1" {
            Some(Sex::Men)
        } else if WOMEN.contains(&l.as_str()) || l == "2" {
            Some(Sex::Women)
        } else if SEX_TOTAL.contains(&l.as_str()) {
            Some(Sex::Total)
        } else {
            None
        }
    }

    fn code(self) -> Option<&'static str> {
        match self {
            Sex::Men => Some("1"),
            Sex::Women => Some("2"),
            Sex::Total => None,
        }
    }
}

/// A value of the age variable: `Some(years)` or `None` for all ages.
/// PxWeb labels the oldest class `100 -` (100 and over); codes are `000`–`100`.
fn parse_age(label: &str) -> Option<Option<u32>> {
    let l = label.trim().to_lowercase();
    if AGE_TOTAL.contains(&l.as_str()) {
        return Some(None);
    }
    let digits = l.trim_end_matches(['-', '+', ' ']);
    let digits = digits
        .strip_suffix("vuotta täyttäneet")
        .unwrap_or(digits)
        .trim();
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().map(Some)
}

fn parse_year(label: &str) -> Option<u32> {
    let l = label.trim();
    (l.len() == 4 && l.bytes().all(|b| b.is_ascii_digit()))
        .then(|| l.parse().ok())
        .flatten()
        .filter(|y| (1900..=2200).contains(y))
}

/// An area label: a municipality (its code, or its name for the converter
/// to look up), or a total (the whole country, a region `MK##`, a
/// sub-region `SK###`, a wellbeing county `HV##`).
fn area(label: &str) -> Option<String> {
    let l = trim(label);
    if COUNTRY.contains(&l.to_lowercase().as_str()) {
        return None;
    }
    let first = l.split(' ').next().unwrap_or(l);
    let upper = first.to_uppercase();
    for total in ["MK", "SK", "HV", "ELY", "AVI"] {
        if let Some(rest) = upper.strip_prefix(total)
            && !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
    }
    Some(l.to_owned())
}

/// What a heading column's label says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Heading {
    year: Option<u32>,
    sex: Option<Sex>,
    /// `Some(None)`: all ages.
    age: Option<Option<u32>>,
}

/// Reads a heading column's label (`2024 Miehet Väestö 31.12.`, `Män`,
/// `Population 31 Dec`); `None` if it is not a column of the measure.
fn heading(label: &str) -> Option<Heading> {
    let lower = label.trim().to_lowercase();
    let measure = MEASURE.iter().find(|m| lower.contains(**m))?;
    let mut rest = lower.replacen(measure, " ", 1);
    let mut out = Heading::default();
    for phrase in SEX_TOTAL.iter().chain(MEN).chain(WOMEN) {
        let padded = format!(" {rest} ");
        if let Some(at) = padded.find(&format!(" {phrase} ")) {
            out.sex = Sex::parse(phrase);
            rest = format!("{} {}", &padded[..at], &padded[at + phrase.len() + 2..]);
            break;
        }
    }
    let mut words = Vec::new();
    for word in rest.split_whitespace() {
        match parse_year(word) {
            Some(y) if out.year.is_none() => out.year = Some(y),
            _ => words.push(word),
        }
    }
    if !words.is_empty() {
        out.age = Some(parse_age(&words.join(" "))?);
    }
    Some(out)
}

/// Where a variable's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From<T> {
    Stub(usize),
    Heading(T),
}

impl<T: Copy> From<T> {
    /// This row's value: the heading's, or the stub field's label parsed;
    /// the label as it stands when it does not parse.
    fn of<'a>(
        self,
        field: &impl Fn(usize) -> &'a str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, &'a str> {
        match self {
            From::Heading(v) => Ok(v),
            From::Stub(i) => parse(field(i)).ok_or_else(|| field(i)),
        }
    }
}

/// A variable's source: the heading's value if the label has one, else the stub column.
fn pick<T>(stub: Option<usize>, from_heading: Option<T>) -> Option<From<T>> {
    match (stub, from_heading) {
        (_, Some(v)) => Some(From::Heading(v)),
        (Some(i), None) => Some(From::Stub(i)),
        (None, None) => None,
    }
}

/// One data column of the file.
#[derive(Debug, Clone)]
struct ValueColumn {
    index: usize,
    year: From<u32>,
    sex: From<Sex>,
    age: From<Option<u32>>,
}

/// An 11re layout found in a file's header.
#[derive(Debug, Clone)]
pub struct Layout {
    area: usize,
    columns: Vec<ValueColumn>,
}

/// Cells left out of the store, by why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Skipped {
    /// Cells of totals (whole country, regions, all ages, both sexes).
    pub totals: u64,
    /// Lines with a single text, such as PxWeb's footnotes.
    pub notes: u64,
}

impl Layout {
    /// The layout of `headers` if they are those of an 11re export: an area
    /// variable in the stub and at least one column of the measure, with
    /// year, age and sex each either in the stub or in every column's label.
    #[must_use]
    pub fn detect(headers: &[String]) -> Option<Layout> {
        let find = |names: &[&str]| {
            headers
                .iter()
                .position(|h| names.contains(&h.trim().to_lowercase().as_str()))
        };
        let area = find(AREA)?;
        let (age, sex, year, info) = (find(AGE), find(SEX), find(YEAR), find(INFO));
        let mut columns = Vec::new();
        for (index, label) in headers.iter().enumerate() {
            if [Some(area), age, sex, year, info].contains(&Some(index)) {
                continue;
            }
            let Some(mut h) = heading(label) else {
                continue;
            };
            // `Yhteensä`, `Totalt` and `Total` name the total of age and of
            // sex alike: it is the one of the two not in the stub.
            if h.sex == Some(Sex::Total) && sex.is_some() && h.age.is_none() {
                h.sex = None;
                h.age = Some(None);
            }
            columns.push(ValueColumn {
                index,
                year: pick(year, h.year)?,
                sex: pick(sex, h.sex)?,
                age: pick(age, h.age)?,
            });
        }
        (!columns.is_empty()).then_some(Layout { area, columns })
    }

    /// The long-form cells of one record: `[year, area, age, sex, persons]`
    /// per stored cell. Totals and notes are counted in `skipped`.
    pub fn expand(&self, fields: &[&str], skipped: &mut Skipped, out: &mut Vec<[String; 5]>) {
        if fields.iter().filter(|f| !trim(f).is_empty()).count() <= 1 {
            skipped.notes += 1;
            return;
        }
        let field = |i: usize| fields.get(i).map_or("", |f| trim(f));
        let Some(area) = area(field(self.area)) else {
            skipped.totals += self.columns.len() as u64;
            return;
        };
        for c in &self.columns {
            let year = match c.year {
                From::Heading(y) => y.to_string(),
                From::Stub(i) => field(i).to_owned(),
            };
            // An unknown label goes through as it stands, for the
            // converter to reject with its row and column.
            let sex = match c.sex.of(&field, Sex::parse) {
                Ok(Sex::Total) => {
                    skipped.totals += 1;
                    continue;
                }
                Ok(s) => s.code().unwrap_or_default().to_owned(),
                Err(raw) => raw.to_owned(),
            };
            let age = match c.age.of(&field, parse_age) {
                Ok(None) => {
                    skipped.totals += 1;
                    continue;
                }
                Ok(Some(a)) => a.to_string(),
                Err(raw) => raw.to_owned(),
            };
            let value = match field(c.index) {
                "-" => "0".to_owned(),
                v => v.to_owned(),
            };
            out.push([year, area.clone(), age, sex, value]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(line: &str) -> Vec<String> {
        line.split(';')
            .map(|h| h.trim_matches('"').to_owned())
            .collect()
    }

    fn cells(layout: &Layout, line: &str) -> (Vec<[String; 5]>, Skipped) {
        let fields: Vec<&str> = line.split(';').map(|f| f.trim_matches('"')).collect();
        let mut out = Vec::new();
        let mut skipped = Skipped::default();
        layout.expand(&fields, &mut skipped, &mut out);
        (out, skipped)
    }

    fn row(cells: [&str; 5]) -> [String; 5] {
        cells.map(str::to_owned)
    }

    #[test]
    fn finnish_wide_export_with_year_and_sex_in_the_heading() {
        let layout = Layout::detect(&headers(
            "\"Alue\";\"Ikä\";\"2024 Yhteensä Väestö 31.12.\";\"2024 Miehet Väestö 31.12.\";\"2024 Naiset Väestö 31.12.\"",
        ))
        .unwrap();
        let (out, skipped) = cells(&layout, "\"Kotka\";\"7\";530;270;260");
        assert_eq!(
            out,
            vec![
                row(["2024", "Kotka", "7", "1", "270"]),
                row(["2024", "Kotka", "7", "2", "260"])
            ]
        );
        assert_eq!(skipped.totals, 1);
        let (out, _) = cells(&layout, "\"KU285 Kotka\";\"100 -\";3;-;3");
        assert_eq!(out[0], row(["2024", "KU285 Kotka", "100", "1", "0"]));
        let (out, skipped) = cells(&layout, "\"KOKO MAA\";\"7\";1;1;1");
        assert!(out.is_empty());
        assert_eq!(skipped.totals, 3);
        let (out, skipped) = cells(&layout, "\"Kotka\";\"Yhteensä\";1;1;1");
        assert!(out.is_empty());
        assert_eq!(skipped.totals, 3);
        let (out, skipped) = cells(&layout, "\"MK08 Kymenlaakso\";\"7\";1;1;1");
        assert!(out.is_empty());
        assert_eq!(skipped.totals, 3);
        let (out, skipped) = cells(&layout, "\"Lähde: Tilastokeskus\"");
        assert!(out.is_empty());
        assert_eq!(skipped.notes, 1);
    }

    #[test]
    fn swedish_and_english_labels() {
        let layout = Layout::detect(&headers(
            "Område;Ålder;2023 Män Befolkning 31.12.;2023 Kvinnor Befolkning 31.12.",
        ))
        .unwrap();
        let (out, _) = cells(&layout, "Jakobstad;0;90;85");
        assert_eq!(out[1], row(["2023", "Jakobstad", "0", "2", "85"]));
        let layout = Layout::detect(&headers(
            "Area;Sex;Age;2022 Population 31 Dec;2023 Population 31 Dec",
        ))
        .unwrap();
        let (out, skipped) = cells(&layout, "Kemi;Females;12;101;99");
        assert_eq!(
            out,
            vec![
                row(["2022", "Kemi", "12", "2", "101"]),
                row(["2023", "Kemi", "12", "2", "99"])
            ]
        );
        assert_eq!(skipped, Skipped::default());
        let (out, skipped) = cells(&layout, "WHOLE COUNTRY;Total;12;1;1");
        assert!(out.is_empty());
        assert_eq!(skipped.totals, 2);
    }

    #[test]
    fn long_form_with_every_variable_in_the_stub() {
        let layout = Layout::detect(&headers("Vuosi;Alue;Ikä;Sukupuoli;Väestö 31.12.")).unwrap();
        let (out, _) = cells(&layout, "2021;KU285;0;1;260");
        assert_eq!(out, vec![row(["2021", "KU285", "0", "1", "260"])]);
        let (out, _) = cells(&layout, "2021;Kotka;100 -;Naiset;4");
        assert_eq!(out, vec![row(["2021", "Kotka", "100", "2", "4"])]);
        // An unknown label reaches the converter as it stands.
        let (out, _) = cells(&layout, "2021;Kotka;sata;Naiset;4");
        assert_eq!(out, vec![row(["2021", "Kotka", "sata", "2", "4"])]);
    }

    #[test]
    fn age_in_the_heading() {
        let layout = Layout::detect(&headers(
            "Vuosi;Alue;Sukupuoli;0 Väestö 31.12.;100 - Väestö 31.12.;Yhteensä Väestö 31.12.",
        ))
        .unwrap();
        let (out, skipped) = cells(&layout, "2024;Kemi;Miehet;50;1;9000");
        assert_eq!(
            out,
            vec![
                row(["2024", "Kemi", "0", "1", "50"]),
                row(["2024", "Kemi", "100", "1", "1"])
            ]
        );
        assert_eq!(skipped.totals, 1);
    }

    #[test]
    fn other_tables_are_not_taken_for_11re() {
        assert!(Layout::detect(&headers("Alue;Vuosi;Työttömät")).is_none());
        assert!(Layout::detect(&headers("Henkilötunnus;Alkupäivä;Loppupäivä")).is_none());
        // Without a year anywhere the cells cannot be placed.
        assert!(Layout::detect(&headers("Alue;Ikä;Miehet Väestö 31.12.")).is_none());
    }

    #[test]
    fn long_headers_are_the_reference_mapping_s() {
        let mapping = peitto_mapping::Mapping::load("reference").unwrap();
        let population = mapping
            .tables
            .iter()
            .find(|t| t.table.name == "population")
            .unwrap();
        for (column, header) in ["year", "area_code", "age", "sex", "persons"]
            .iter()
            .zip(LONG_HEADERS)
        {
            assert_eq!(population.header_of(column), Some(header), "{column}");
        }
    }
}
