//! Reference data: the organisation register (wellbeing services counties,
//! the municipalities and Joroinen's ELY centres) and Statistics Finland's
//! population table 11re.

use crate::draw::date;
use crate::people::Person;
use crate::sink::{Sink, V};
use crate::{DirtyRow, FIRST_YEAR, FileEntry, LAST_YEAR, MUNICIPALITIES, SynthError};
use peitto_mapping::Mapping;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// The reference files, written under `out/reference/`.
pub(crate) fn reference_files(
    mapping: &Mapping,
    out: &Path,
    scale: u32,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<FileEntry>, SynthError> {
    let table = |name: &str| {
        mapping.table(name).ok_or_else(|| SynthError::Write {
            path: out.to_owned(),
            message: format!("reference lacks {name}"),
        })
    };
    let nobody = Person::nobody();
    let population = population_11re(out, scale, rng, &table("population")?.file)?;
    let mut organisations = Sink::create(out, "reference", mapping, table("organisation")?)?;
    let hvas = [
        (
            "10",
            "Kymenlaakson hyvinvointialue",
            "Kymmenedalens välfärdsområde",
        ),
        ("21", "Lapin hyvinvointialue", "Lapplands välfärdsområde"),
        (
            "13",
            "Pohjois-Savon hyvinvointialue",
            "Norra Savolax välfärdsområde",
        ),
        (
            "05",
            "Varsinais-Suomen hyvinvointialue",
            "Egentliga Finlands välfärdsområde",
        ),
        (
            "17",
            "Pohjanmaan hyvinvointialue",
            "Österbottens välfärdsområde",
        ),
    ];
    let hva_start = date(2023, 1, 1);
    for (code, fi, sv) in hvas {
        organisations.row(
            rng,
            &[
                ("org_type", V::Code("HVA")),
                ("code", V::Text(code.into())),
                ("name_fi", V::Text(fi.into())),
                ("name_sv", V::Text(sv.into())),
                ("valid_from", V::Date(hva_start)),
            ],
            &nobody,
        )?;
    }
    for m in &MUNICIPALITIES {
        organisations.row(
            rng,
            &[
                ("org_type", V::Code("KUNTA")),
                ("code", V::Text(m.code.into())),
                ("name_fi", V::Text(m.name_fi.into())),
                ("name_sv", V::Text(m.name_sv.into())),
                ("parent_type", V::Code("HVA")),
                ("parent_code", V::Text(m.hva.into())),
                ("valid_from", V::Date(hva_start)),
            ],
            &nobody,
        )?;
    }
    // Joroinen belonged to the Etelä-Savo ELY centre until 2020 (domain.md §4).
    for (ely, from, to) in [
        ("07", date(2010, 1, 1), Some(date(2021, 1, 1))),
        ("08", date(2021, 1, 1), Some(date(2026, 1, 1))),
    ] {
        organisations.row(
            rng,
            &[
                ("org_type", V::Code("KUNTA")),
                ("code", V::Text("171".into())),
                ("name_fi", V::Text("Joroinen".into())),
                ("name_sv", V::Text("Jorois".into())),
                ("parent_type", V::Code("ELY")),
                ("parent_code", V::Text(ely.into())),
                ("valid_from", V::Date(from)),
                ("valid_to", to.map_or(V::Null, V::Date)),
            ],
            &nobody,
        )?;
    }
    let mut files = vec![population];
    files.extend(organisations.finish()?);
    Ok(files)
}

/// Statistics Finland's table 11re as PxWeb's "semicolon delimited with
/// heading" download writes it: the title, a blank line, areas and ages as
/// rows (`KOKO MAA` first, municipalities by Finnish name, all ages before
/// each year of age, `100 -` last), years and sexes as columns (both sexes
/// first), Windows-1252. One cell is `..` (not available), which the
/// ingest rejects.
fn population_11re(
    out: &Path,
    scale: u32,
    rng: &mut ChaCha8Rng,
    stem: &str,
) -> Result<FileEntry, SynthError> {
    let years: Vec<i32> = (FIRST_YEAR..=LAST_YEAR).collect();
    // persons[municipality][year][age][sex]
    let mut persons = vec![vec![vec![[0i64; 2]; 101]; years.len()]; MUNICIPALITIES.len()];
    for (m, by_year) in MUNICIPALITIES.iter().zip(persons.iter_mut()) {
        for by_age in by_year.iter_mut() {
            for (age, by_sex) in by_age.iter_mut().enumerate() {
                // A gently ageing population: fewer children and more over-65s than the mean.
                let share = if age < 85 {
                    0.0125 - (age as f64 - 42.0).abs() * 0.00004
                } else {
                    0.012 * (0.82f64).powi(i32::try_from(age - 84).unwrap_or(0))
                };
                for n in by_sex.iter_mut() {
                    let mean = f64::from(m.population) * f64::from(scale) * share / 2.0;
                    let noise = rng.random_range(0.92..1.08);
                    let value = (mean * noise).round() as i64;
                    *n = value.max(0);
                }
            }
        }
    }
    let mut text = format!(
        "\"11re -- Väestö iän (1-v.) ja sukupuolen mukaan alueittain, 1972-{LAST_YEAR}\"\r\n\r\n\"Alue\";\"Ikä\""
    );
    for y in &years {
        for sex in ["Yhteensä", "Miehet", "Naiset"] {
            text.push_str(&format!(";\"{y} {sex} Väestö 31.12.\""));
        }
    }
    text.push_str("\r\n");
    // The unavailable cell: a municipality, an age, a year, a sex.
    let dirty = (
        rng.random_range(0..MUNICIPALITIES.len()),
        rng.random_range(0..=100usize),
        rng.random_range(0..years.len()),
        rng.random_range(0..2usize),
    );
    let mut line = 3u64;
    let mut dirty_line = 0;
    let mut areas: Vec<(String, Option<usize>)> = vec![("KOKO MAA".into(), None)];
    areas.extend(
        MUNICIPALITIES
            .iter()
            .enumerate()
            .map(|(i, m)| (m.name_fi.to_owned(), Some(i))),
    );
    for (label, muni) in &areas {
        let cell = |yi: usize, age: usize, sex: usize| match muni {
            Some(mi) => persons[*mi][yi][age][sex],
            None => (0..MUNICIPALITIES.len())
                .map(|mi| persons[mi][yi][age][sex])
                .sum(),
        };
        for age in std::iter::once(None).chain((0..=100usize).map(Some)) {
            line += 1;
            let age_label = match age {
                None => "Yhteensä".to_owned(),
                Some(100) => "100 -".to_owned(),
                Some(a) => a.to_string(),
            };
            text.push_str(&format!("\"{label}\";\"{age_label}\""));
            for yi in 0..years.len() {
                let of = |sex: usize| match age {
                    Some(a) => cell(yi, a, sex),
                    None => (0..=100).map(|a| cell(yi, a, sex)).sum(),
                };
                text.push_str(&format!(";{}", of(0) + of(1)));
                for sex in 0..2 {
                    if *muni == Some(dirty.0)
                        && age == Some(dirty.1)
                        && yi == dirty.2
                        && sex == dirty.3
                    {
                        text.push_str(";..");
                        dirty_line = line;
                    } else {
                        text.push_str(&format!(";{}", of(sex)));
                    }
                }
            }
            text.push_str("\r\n");
        }
    }
    let relative = format!("reference/{stem}.csv");
    let path = out.join(&relative);
    std::fs::create_dir_all(out.join("reference")).map_err(|e| SynthError::Write {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let bytes = encoding_rs::WINDOWS_1252.encode(&text).0;
    std::fs::write(&path, &bytes).map_err(|e| SynthError::Write {
        path: path.clone(),
        message: e.to_string(),
    })?;
    Ok(FileEntry {
        path: relative,
        mapping: "reference".into(),
        table: "population".into(),
        rows: (MUNICIPALITIES.len() * years.len() * 101 * 2) as u64,
        dirty: vec![DirtyRow {
            row: dirty_line,
            reason: "invalid_number",
        }],
    })
}
