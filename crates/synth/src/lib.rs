//! Synthetic register extracts.
//!
//! This crate owns `peitto synth`: realistic, deterministic extracts for the
//! five municipalities of the seeds (Kotka 285, Kemi 240, Joroinen 171,
//! Uusikaupunki 895, Pietarsaari 598), written through the same mapping files
//! the ingest reads with, so every shipped dialect (Finnish Windows-1252 CSV,
//! Swedish XLSX and UTF-8 CSV) is exercised both ways. Henkilötunnus values
//! use only the individual numbers 900–999 (the temporary range DVV's
//! fictitious test persons use), so no code can belong to a real person.
//! A small, known share of rows is made dirty, one kind of fault each, and
//! `synth-manifest.json` lists them so tests can check the ingest catches
//! exactly those. Same seed and scale, same bytes.

mod people;
mod sink;

use peitto_mapping::{Mapping, MappingError};
use peitto_model::Date;
use people::{Person, PersonFactory};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use sink::{Sink, V};
use std::path::{Path, PathBuf};

pub use sink::Dirt;

/// A generation failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A shipped mapping is broken.
    #[error(transparent)]
    Mapping(#[from] MappingError),
    /// Writing failed.
    #[error("{path}: {message}")]
    Write {
        /// Where.
        path: PathBuf,
        /// What.
        message: String,
    },
}

/// A municipality of the seeds.
#[derive(Debug, Clone, Copy)]
pub struct Municipality {
    /// Kuntanumero.
    pub code: &'static str,
    /// Finnish name.
    pub name_fi: &'static str,
    /// Swedish name.
    pub name_sv: &'static str,
    /// Wellbeing services county code.
    pub hva: &'static str,
    /// Source system mapping its registers export in.
    pub mapping: &'static str,
    /// Approximate population.
    pub population: u32,
    /// Language of names: Swedish-majority municipalities get more Swedish names.
    pub swedish_share: f64,
}

/// The five municipalities of the seed privacy notices (domain.md §4).
pub const MUNICIPALITIES: [Municipality; 5] = [
    Municipality {
        code: "285",
        name_fi: "Kotka",
        name_sv: "Kotka",
        hva: "10",
        mapping: "pro_consona",
        population: 51_000,
        swedish_share: 0.01,
    },
    Municipality {
        code: "240",
        name_fi: "Kemi",
        name_sv: "Kemi",
        hva: "21",
        mapping: "pro_consona",
        population: 20_000,
        swedish_share: 0.01,
    },
    Municipality {
        code: "171",
        name_fi: "Joroinen",
        name_sv: "Jorois",
        hva: "13",
        mapping: "pro_consona",
        population: 4_600,
        swedish_share: 0.0,
    },
    Municipality {
        code: "895",
        name_fi: "Uusikaupunki",
        name_sv: "Nystad",
        hva: "05",
        mapping: "pro_consona",
        population: 15_000,
        swedish_share: 0.02,
    },
    Municipality {
        code: "598",
        name_fi: "Pietarsaari",
        name_sv: "Jakobstad",
        hva: "17",
        mapping: "abilita",
        population: 19_000,
        swedish_share: 0.55,
    },
];

/// First and last year the extracts cover.
pub const FIRST_YEAR: i32 = 2021;
/// Last year covered; the extract is taken in January of the next year.
pub const LAST_YEAR: i32 = 2025;

/// One written file.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    /// Path relative to the output folder.
    pub path: String,
    /// Mapping it is written in.
    pub mapping: String,
    /// Model table.
    pub table: String,
    /// Data rows written (dirty ones included).
    pub rows: u64,
    /// The dirty rows: row number in the file and the fault.
    pub dirty: Vec<DirtyRow>,
}

/// A row made dirty on purpose.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DirtyRow {
    /// Row number (header is row 1).
    pub row: u64,
    /// The fault, named as the ingest's rejection reason.
    pub reason: &'static str,
}

/// What `generate` wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Seed.
    pub seed: u64,
    /// Scale.
    pub scale: u32,
    /// Every file.
    pub files: Vec<FileEntry>,
}

/// Generates synthetic extracts into `out` for all five municipalities.
///
/// # Errors
/// If a file cannot be written.
pub fn generate(seed: u64, scale: u32, out: &Path) -> Result<Manifest, SynthError> {
    generate_for(seed, scale, out, &[])
}

/// Generates extracts for the municipalities whose codes are listed (all if
/// none are), plus the reference data.
///
/// # Errors
/// If a file cannot be written or a code is not one of the five.
pub fn generate_for(
    seed: u64,
    scale: u32,
    out: &Path,
    only: &[String],
) -> Result<Manifest, SynthError> {
    if let Some(unknown) = only
        .iter()
        .find(|c| !MUNICIPALITIES.iter().any(|m| m.code == c.as_str()))
    {
        return Err(SynthError::Write {
            path: out.to_owned(),
            message: format!("no synthetic municipality {unknown}; use 285, 240, 171, 895 or 598"),
        });
    }
    let scale = scale.max(1);
    std::fs::create_dir_all(out).map_err(|e| SynthError::Write {
        path: out.to_owned(),
        message: e.to_string(),
    })?;
    let mut files = Vec::new();
    let mut factory = PersonFactory::new();
    for (i, m) in MUNICIPALITIES.iter().enumerate() {
        if !only.is_empty() && !only.iter().any(|c| c == m.code) {
            continue;
        }
        let mapping = Mapping::load(m.mapping)?;
        let mut rng = ChaCha8Rng::seed_from_u64(
            seed ^ (0x5851_f42d_4c95_7f2d_u64.wrapping_mul(i as u64 + 1)),
        );
        let dir = format!("{}-{}", m.code, m.name_fi.to_lowercase());
        let mut g = MunicipalityGen {
            m,
            mapping: &mapping,
            out,
            dir: &dir,
            scale,
            rng: &mut rng,
            factory: &mut factory,
        };
        files.extend(g.run()?);
    }
    let reference = Mapping::load("reference")?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00ff_00ff);
    files.extend(reference_files(&reference, out, scale, &mut rng)?);
    let manifest = Manifest { seed, scale, files };
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| SynthError::Write {
        path: out.to_owned(),
        message: e.to_string(),
    })?;
    let path = out.join("synth-manifest.json");
    std::fs::write(&path, json).map_err(|e| SynthError::Write {
        path,
        message: e.to_string(),
    })?;
    Ok(manifest)
}

fn date(y: i32, m: u32, d: u32) -> Date {
    Date::from_ymd(y, m, d).unwrap_or(Date(0))
}

fn period_start() -> Date {
    date(FIRST_YEAR, 1, 1)
}

fn period_end() -> Date {
    date(LAST_YEAR + 1, 1, 1)
}

fn random_date(rng: &mut ChaCha8Rng, from: Date, to: Date) -> Date {
    if to.0 <= from.0 {
        from
    } else {
        Date(rng.random_range(from.0..to.0))
    }
}

fn scaled(rng: &mut ChaCha8Rng, base: f64, scale: u32) -> usize {
    let mean = base * f64::from(scale);
    let jitter = rng.random_range(0.9..1.1);
    let n = (mean * jitter).round() as usize;
    n.max(1)
}

struct MunicipalityGen<'a> {
    m: &'a Municipality,
    mapping: &'a Mapping,
    out: &'a Path,
    dir: &'a str,
    scale: u32,
    rng: &'a mut ChaCha8Rng,
    factory: &'a mut PersonFactory,
}

const PLACEMENT_FORMS: [(&str, f64, i64); 5] = [
    // form, share, price per care day in cents
    ("PERHEHOITO", 0.40, 9_500),
    ("SUKULAISPERHEHOITO", 0.08, 8_000),
    ("AMMATILLINEN_PERHEHOITO", 0.17, 23_500),
    ("LAITOSHOITO", 0.32, 33_000),
    ("MUU", 0.03, 15_000),
];

const PERMIT_BASES: [(&str, f64); 10] = [
    ("110", 0.34),
    ("87", 0.16),
    ("88", 0.12),
    ("90", 0.14),
    ("89", 0.04),
    ("93", 0.03),
    ("52", 0.05),
    ("52A", 0.02),
    ("51", 0.02),
    ("54", 0.08),
];

fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|i| i.1).sum();
    let mut x = rng.random_range(0.0..total);
    for item in items {
        if x < item.1 {
            return item.0;
        }
        x -= item.1;
    }
    items[items.len() - 1].0
}

impl MunicipalityGen<'_> {
    fn sink(&self, table: &str) -> Result<Sink, SynthError> {
        let tm = self.mapping.table(table).ok_or_else(|| SynthError::Write {
            path: self.out.to_owned(),
            message: format!("{} lacks {table}", self.mapping.id),
        })?;
        Sink::create(self.out, self.dir, self.mapping, tm)
    }

    fn run(&mut self) -> Result<Vec<FileEntry>, SynthError> {
        let m = *self.m;
        let muni = V::Muni(m.code);
        let mut residence = self.sink("person_residence")?;
        let mut notifications = self.sink("cw_notification")?;
        let mut bases = self.sink("cw_legal_basis")?;
        let mut placements = self.sink("cw_placement")?;
        let mut invoices = self.sink("care_invoice_line")?;
        let mut decisions = self.sink("service_decision")?;
        let mut clients = self.sink("integration_client")?;
        let mut services = self.sink("integration_service")?;
        let mut outcomes = self.sink("integration_outcome")?;
        let mut compensations = self.sink("state_compensation")?;
        let pop = f64::from(m.population);
        let mut serial = 0u64;
        let mut next = |prefix: &str| {
            serial += 1;
            format!("{prefix}{serial:08}")
        };

        // Child welfare: children placed outside the home during the period.
        let children = scaled(self.rng, pop * 0.18 * 0.025, self.scale);
        let providers: Vec<String> = (0..12).map(|i| provider_id(m.code, i)).collect();
        for _ in 0..children {
            let birth = random_date(self.rng, date(2004, 1, 1), date(2025, 6, 1));
            let child = self.factory.person(self.rng, birth, m.swedish_share);
            self.residence(&mut residence, &child, muni.clone())?;
            let mut cursor = random_date(
                self.rng,
                birth.max(date(FIRST_YEAR - 1, 6, 1)),
                period_end().add_days(-30),
            );
            let episodes = self.rng.random_range(1..=3);
            for _ in 0..episodes {
                if cursor >= period_end() {
                    break;
                }
                let basis = pick(
                    self.rng,
                    &[
                        ("KIIREELLINEN", 0.35),
                        ("HUOSTAANOTTO", 0.35),
                        ("AVOHUOLLON_SIJOITUS", 0.22),
                        ("JALKIHUOLTO", 0.08),
                    ],
                );
                let length = match basis {
                    "KIIREELLINEN" => self.rng.random_range(3..60),
                    "AVOHUOLLON_SIJOITUS" => self.rng.random_range(20..300),
                    _ => self.rng.random_range(60..1400),
                };
                let start = cursor;
                let end = start.add_days(length);
                let ongoing = end >= period_end();
                let basis_id = next("P");
                let involuntary = basis == "HUOSTAANOTTO" && self.rng.random_bool(0.3);
                bases.row(
                    self.rng,
                    &[
                        ("basis_id", V::Id(basis_id.clone())),
                        ("person_key", V::Hetu(child.hetu.clone())),
                        ("basis", V::Code(basis)),
                        ("involuntary", V::Bool(involuntary)),
                        ("start", V::Date(start)),
                        ("end", if ongoing { V::Null } else { V::Date(end) }),
                        ("municipality_code", muni.clone()),
                    ],
                    &child,
                )?;
                // One or two placements within the basis period, sometimes same-day transfers.
                let split = if length > 90 && self.rng.random_bool(0.3) {
                    Some(start.add_days(length / 2))
                } else {
                    None
                };
                let pieces: Vec<(Date, Date)> = match split {
                    Some(s) => vec![(start, s), (s, end)],
                    None => vec![(start, end)],
                };
                for (ps, pe) in pieces {
                    let form = pick(self.rng, &PLACEMENT_FORMS.map(|f| (f.0, f.1)));
                    let price = PLACEMENT_FORMS
                        .iter()
                        .find(|f| f.0 == form)
                        .map_or(10_000, |f| f.2);
                    let price = price + self.rng.random_range(-1_500..1_500);
                    let provider = providers[self.rng.random_range(0..providers.len())].clone();
                    let placement_id = next("S");
                    let p_ongoing = pe >= period_end();
                    placements.row(
                        self.rng,
                        &[
                            ("placement_id", V::Id(placement_id.clone())),
                            ("person_key", V::Hetu(child.hetu.clone())),
                            ("basis_id", V::Id(basis_id.clone())),
                            ("form", V::Code(form)),
                            ("start", V::Date(ps)),
                            ("end", if p_ongoing { V::Null } else { V::Date(pe) }),
                            ("provider_id", V::Text(provider.clone())),
                            ("municipality_code", muni.clone()),
                        ],
                        &child,
                    )?;
                    // Monthly invoice lines, arrival day billed, departure day not.
                    let mut month = date(ps.ymd().0, ps.ymd().1, 1);
                    let last = pe.min(period_end());
                    while month < last {
                        let (y, mo, _) = month.ymd();
                        let next_month = if mo == 12 {
                            date(y + 1, 1, 1)
                        } else {
                            date(y, mo + 1, 1)
                        };
                        let from = ps.max(month);
                        let to = last.min(next_month);
                        let days = i64::from((to.0 - from.0).max(1));
                        invoices.row(
                            self.rng,
                            &[
                                ("line_id", V::Id(next("L"))),
                                ("placement_id", V::Id(placement_id.clone())),
                                ("person_key", V::Hetu(child.hetu.clone())),
                                ("provider_id", V::Text(provider.clone())),
                                ("period_start", V::Date(from)),
                                ("period_end", V::Date(to.add_days(-1).max(from))),
                                ("billed_days", V::Int(days)),
                                ("day_rule", V::Code("ARRIVAL_NOT_DEPARTURE")),
                                ("unit_price", V::Euro(price)),
                                ("amount_eur", V::Euro(price * days)),
                                ("municipality_code", muni.clone()),
                            ],
                            &child,
                        )?;
                        month = next_month;
                    }
                }
                cursor = end.add_days(self.rng.random_range(0..200));
            }
        }

        // Child-welfare notifications in the last two years.
        let notified = scaled(self.rng, pop * 0.18 * 0.08, self.scale);
        // Assessments of children needing special support (SHL 36 §),
        // opened without a notification, drawn from a stream of their own
        // and written after the notifications, so that adding them left
        // every other generated record as it was.
        let mut special_rng =
            ChaCha8Rng::seed_from_u64(self.rng.clone().random::<u64>() ^ 0x5e_c1a1);
        let mut special: Vec<(Person, Date, Date, Date)> = Vec::new();
        for _ in 0..notified {
            let birth = random_date(self.rng, date(2008, 1, 1), date(2025, 6, 1));
            let child = self.factory.person(self.rng, birth, m.swedish_share);
            self.residence(&mut residence, &child, muni.clone())?;
            let count = if self.rng.random_bool(0.25) { 2 } else { 1 };
            for _ in 0..count {
                let received = random_date(
                    self.rng,
                    date(LAST_YEAR - 1, 1, 1).max(birth),
                    date(LAST_YEAR, 12, 20),
                );
                let decided = received.add_days(self.rng.random_range(0..12));
                let outcome = pick(
                    self.rng,
                    &[
                        ("SELVITYS", 0.55),
                        ("EI_SELVITYSTA", 0.25),
                        ("ASIAKKUUS_JO", 0.17),
                        ("SIIRRETTY", 0.03),
                    ],
                );
                let assessed = (outcome == "SELVITYS")
                    .then(|| decided.add_days(self.rng.random_range(20..110)));
                notifications.row(
                    self.rng,
                    &[
                        ("notification_id", V::Id(next("I"))),
                        ("person_key", V::Hetu(child.hetu.clone())),
                        ("received_date", V::Date(received)),
                        ("decision_date", V::Date(decided)),
                        (
                            "assessment_end",
                            assessed
                                .filter(|d| *d < period_end())
                                .map_or(V::Null, V::Date),
                        ),
                        ("outcome", V::Code(outcome)),
                        ("opened_by", V::Code("ILMOITUS")),
                        ("municipality_code", muni.clone()),
                    ],
                    &child,
                )?;
                if special_rng.random_bool(0.06) {
                    let opened = random_date(
                        &mut special_rng,
                        date(LAST_YEAR - 1, 1, 1).max(birth),
                        date(LAST_YEAR, 12, 20),
                    );
                    let started = opened.add_days(special_rng.random_range(0..10));
                    let completed = started.add_days(special_rng.random_range(20..110));
                    special.push((child.clone(), opened, started, completed));
                }
                // Some assessments lead to open-care support measures
                // (LsL 36 §), decided like other services.
                if let Some(from) = assessed.filter(|d| *d < period_end())
                    && self.rng.random_bool(0.4)
                {
                    let until = from.add_days(self.rng.random_range(60..500));
                    decisions.row(
                        self.rng,
                        &[
                            ("decision_id", V::Id(next("D"))),
                            ("person_key", V::Hetu(child.hetu.clone())),
                            ("domain", V::Code("LASTENSUOJELU_AVOHUOLTO")),
                            ("decision_date", V::Date(from)),
                            ("result", V::Code("MYONTEINEN")),
                            ("start", V::Date(from)),
                            (
                                "end",
                                if until >= period_end() {
                                    V::Null
                                } else {
                                    V::Date(until)
                                },
                            ),
                            ("municipality_code", muni.clone()),
                        ],
                        &child,
                    )?;
                }
            }
        }
        for (n, (child, opened, started, completed)) in special.into_iter().enumerate() {
            notifications.row(
                &mut special_rng,
                &[
                    ("notification_id", V::Id(format!("E{:08}", n + 1))),
                    ("person_key", V::Hetu(child.hetu.clone())),
                    ("received_date", V::Date(opened)),
                    ("decision_date", V::Date(started)),
                    (
                        "assessment_end",
                        if completed < period_end() {
                            V::Date(completed)
                        } else {
                            V::Null
                        },
                    ),
                    ("outcome", V::Code("SELVITYS")),
                    ("opened_by", V::Code("ERITYINEN_TUKI")),
                    ("municipality_code", muni.clone()),
                ],
                &child,
            )?;
        }

        // Adult social work: social assistance, rehabilitative work, disability services.
        let adults = scaled(self.rng, pop * 0.53 * 0.03, self.scale);
        for _ in 0..adults {
            let birth = random_date(self.rng, date(1950, 1, 1), date(2005, 1, 1));
            let adult = self.factory.person(self.rng, birth, m.swedish_share);
            self.residence(&mut residence, &adult, muni.clone())?;
            let count = self.rng.random_range(1..=4);
            for _ in 0..count {
                let domain = pick(
                    self.rng,
                    &[
                        ("TOIMEENTULOTUKI_TAYDENTAVA", 0.45),
                        ("TOIMEENTULOTUKI_EHKAISEVA", 0.2),
                        ("KUNTOUTTAVA_TYOTOIMINTA", 0.2),
                        ("VAMMAISPALVELU", 0.15),
                    ],
                );
                let decided = random_date(self.rng, period_start(), period_end().add_days(-1));
                let granted = self.rng.random_bool(0.82);
                let start = decided.add_days(self.rng.random_range(0..20));
                let end = start.add_days(self.rng.random_range(30..365));
                let amount = domain
                    .starts_with("TOIMEENTULOTUKI")
                    .then(|| self.rng.random_range(5_000..180_000));
                decisions.row(
                    self.rng,
                    &[
                        ("decision_id", V::Id(next("D"))),
                        ("person_key", V::Hetu(adult.hetu.clone())),
                        ("domain", V::Code(domain)),
                        ("decision_date", V::Date(decided)),
                        (
                            "result",
                            V::Code(if granted { "MYONTEINEN" } else { "KIELTEINEN" }),
                        ),
                        ("start", if granted { V::Date(start) } else { V::Null }),
                        ("end", if granted { V::Date(end) } else { V::Null }),
                        (
                            "amount_eur",
                            match (granted, amount) {
                                (true, Some(a)) => V::Euro(a),
                                _ => V::Null,
                            },
                        ),
                        ("municipality_code", muni.clone()),
                    ],
                    &adult,
                )?;
            }
        }

        // Integration clients, their services, outcomes and the state's compensations.
        let newcomers = scaled(self.rng, pop * 0.004, self.scale);
        for _ in 0..newcomers {
            let birth = random_date(self.rng, date(1960, 1, 1), date(2024, 1, 1));
            let person = self.factory.person(self.rng, birth, 0.0);
            let permit = random_date(
                self.rng,
                date(2020, 6, 1).max(birth),
                date(LAST_YEAR, 10, 1),
            );
            let home = permit.add_days(self.rng.random_range(10..120));
            // A newcomer's first home municipality in Finland is this one,
            // from the day recorded on the client record.
            self.residence_from(&mut residence, &person, muni.clone(), home)?;
            let basis = pick(self.rng, &PERMIT_BASES);
            let family_member = self.rng.random_bool(0.3);
            // A family member's own permit is for family ties (UlkL 114 §
            // for the family of a person granted protection, 115 § for
            // others); the sponsor's basis decides the compensation
            // period. Temporary protection covers the family itself.
            let (own_basis, sponsor) = match basis {
                _ if !family_member || basis == "110" => (basis, V::Null),
                "87" | "88" | "90" | "93" => ("114", V::Code(basis)),
                _ => ("115", V::Code(basis)),
            };
            clients.row(
                self.rng,
                &[
                    ("person_key", V::Hetu(person.hetu.clone())),
                    ("permit_basis", V::Code(own_basis)),
                    ("family_member", V::Bool(family_member)),
                    ("sponsor_permit_basis", sponsor),
                    ("first_permit_date", V::Date(permit)),
                    ("home_municipality_date", V::Date(home)),
                    ("citizenship_date", V::Null),
                    ("municipality_code", muni.clone()),
                ],
                &person,
            )?;
            let new_law = home >= date(2025, 1, 1);
            let law = if new_law { "681/2023" } else { "1386/2010" };
            let assessment = home.add_days(self.rng.random_range(5..150));
            let mut kinds = vec![(
                if new_law {
                    "PALVELUTARPEEN_ARVIOINTI"
                } else {
                    "ALKUKARTOITUS"
                },
                assessment,
                30,
            )];
            if self.rng.random_bool(0.8) {
                let plan = assessment.add_days(self.rng.random_range(5..60));
                kinds.push((
                    "KOTOUTUMISSUUNNITELMA",
                    plan,
                    self.rng.random_range(180..700),
                ));
                if self.rng.random_bool(0.6) {
                    kinds.push((
                        "KOTOUTUMISKOULUTUS",
                        plan.add_days(20),
                        self.rng.random_range(120..400),
                    ));
                }
            }
            if new_law && self.rng.random_bool(0.7) {
                kinds.push(("ORIENTAATIO", assessment.add_days(10), 30));
            }
            let jobseeker = self.rng.random_bool(0.6);
            for (kind, start, length) in kinds {
                if start >= period_end() {
                    continue;
                }
                let end = start.add_days(length);
                let service_id = next("K");
                services.row(
                    self.rng,
                    &[
                        ("service_id", V::Id(service_id.clone())),
                        ("person_key", V::Hetu(person.hetu.clone())),
                        ("kind", V::Code(kind)),
                        ("law", V::Code(law)),
                        ("jobseeker", V::Bool(jobseeker)),
                        ("start", V::Date(start)),
                        (
                            "end",
                            if end >= period_end() {
                                V::Null
                            } else {
                                V::Date(end)
                            },
                        ),
                        ("municipality_code", muni.clone()),
                    ],
                    &person,
                )?;
                if kind == "KOTOUTUMISSUUNNITELMA" {
                    for offset in [3i64, 6] {
                        let when = end.add_days(i32::try_from(offset * 30).unwrap_or(90));
                        if when >= period_end() {
                            continue;
                        }
                        let status = pick(
                            self.rng,
                            &[
                                ("TYOLLINEN", 0.3),
                                ("OPISKELIJA", 0.15),
                                ("TYOTON", 0.35),
                                ("TYOVOIMAN_ULKOPUOLELLA", 0.12),
                                ("TUNTEMATON", 0.08),
                            ],
                        );
                        outcomes.row(
                            self.rng,
                            &[
                                ("person_key", V::Hetu(person.hetu.clone())),
                                ("anchor_service_id", V::Id(service_id.clone())),
                                ("offset_months", V::Int(offset)),
                                ("status", V::Code(status)),
                                ("municipality_code", muni.clone()),
                            ],
                            &person,
                        )?;
                    }
                }
            }
            // The state's compensations for this client, as KEHA and the
            // ELY centre pay them: the flat rate per calendar year of the
            // window, the initial assessment under the old law, and
            // actual-cost claims for some clients.
            let window = peitto_domain::compensation::window(
                home,
                own_basis,
                Some(basis),
                None,
                &peitto_domain::compensation::Durations::default(),
            );
            // KEHA pays the months whose 1st day falls in the window, so a
            // year's payment covers its first to its last paid month.
            let first_paid = {
                let (y, m, d) = window.0.ymd();
                let first = date(y, m, 1);
                if d == 1 {
                    first
                } else {
                    peitto_domain::add_months(first, 1)
                }
            };
            let last_paid_end = {
                let (y, m, _) = window.1.add_days(-1).ymd();
                peitto_domain::add_months(date(y, m, 1), 1).add_days(-1)
            };
            let mut year = first_paid.ymd().0;
            while year <= LAST_YEAR {
                let from = date(year, 1, 1).max(first_paid);
                let to = date(year, 12, 31).min(last_paid_end);
                if from > to || from >= period_end() {
                    break;
                }
                // KEHA pays the municipality's and the county's shares apart.
                for (recipient, rates) in [
                    ("KUNTA", peitto_domain::compensation::MUNICIPAL_2023),
                    ("HVA", peitto_domain::compensation::COUNTY_2023),
                ] {
                    let mut month = from;
                    let mut cents = 0.0;
                    while month <= to {
                        cents += 100.0
                            * peitto_domain::compensation::monthly(
                                person.birth,
                                month,
                                window,
                                rates,
                            );
                        month = peitto_domain::add_months(month, 1);
                    }
                    // a year's rate in cents
                    let claimed = cents.round() as i64;
                    if claimed == 0 {
                        continue;
                    }
                    // Mostly paid as expected; some short, some not yet.
                    let paid = match self.rng.random_range(0..100) {
                        0..93 => V::Euro(claimed),
                        93..97 => V::Euro(claimed - claimed / 12),
                        _ => V::Null,
                    };
                    compensations.row(
                        self.rng,
                        &[
                            ("claim_id", V::Id(next("C"))),
                            ("person_key", V::Hetu(person.hetu.clone())),
                            ("compensation_type", V::Code("LASKENNALLINEN")),
                            ("period_start", V::Date(from)),
                            ("period_end", V::Date(to)),
                            ("claimed_eur", V::Euro(claimed)),
                            ("paid_eur", paid),
                            ("payer_code", V::Text("KEHA".into())),
                            ("recipient", V::Code(recipient)),
                            ("municipality_code", muni.clone()),
                        ],
                        &person,
                    )?;
                }
                year += 1;
            }
            let minor = peitto_domain::age_at(person.birth, home) < 18;
            let mut claims: Vec<(&str, Date, i32, i64)> = Vec::new();
            if !new_law && assessment < period_end() {
                claims.push(("ALKUKARTOITUS", assessment, 0, 70_000));
            }
            for (kind, share, days, low, high) in [
                ("ERITYISKUSTANNUS", 0.04, 180, 300_000, 4_000_000),
                ("TULKKAUS", 0.08, 30, 10_000, 300_000),
                ("TOIMEENTULOTUKI", 0.10, 90, 50_000, 800_000),
                (
                    "ILMAN_HUOLTAJAA",
                    if minor && !family_member { 0.5 } else { 0.0 },
                    180,
                    2_000_000,
                    6_000_000,
                ),
            ] {
                if share > 0.0 && self.rng.random_bool(share) {
                    let from = random_date(self.rng, home, window.1.max(home.add_days(1)));
                    claims.push((kind, from, days, self.rng.random_range(low..high)));
                }
            }
            for (kind, from, days, claimed) in claims {
                if from >= period_end() {
                    continue;
                }
                let paid = match self.rng.random_range(0..100) {
                    0..88 => V::Euro(claimed),
                    88..96 => V::Euro(claimed * self.rng.random_range(70..95) / 100),
                    _ => V::Null,
                };
                compensations.row(
                    self.rng,
                    &[
                        ("claim_id", V::Id(next("C"))),
                        ("person_key", V::Hetu(person.hetu.clone())),
                        ("compensation_type", V::Code(kind)),
                        ("period_start", V::Date(from)),
                        ("period_end", V::Date(from.add_days(days))),
                        ("claimed_eur", V::Euro(claimed)),
                        ("paid_eur", paid),
                        // KEHA pays every compensation; social assistance,
                        // special social and health-care costs and the
                        // support of unaccompanied minors are the county's.
                        ("payer_code", V::Text("KEHA".into())),
                        (
                            "recipient",
                            V::Code(match kind {
                                "TOIMEENTULOTUKI" | "ERITYISKUSTANNUS" | "ILMAN_HUOLTAJAA" => "HVA",
                                _ => "KUNTA",
                            }),
                        ),
                        ("municipality_code", muni.clone()),
                    ],
                    &person,
                )?;
            }
        }

        [
            residence,
            notifications,
            bases,
            placements,
            invoices,
            decisions,
            clients,
            services,
            outcomes,
            compensations,
        ]
        .into_iter()
        .map(Sink::finish)
        .collect::<Result<Vec<Vec<FileEntry>>, _>>()
        .map(|files| files.into_iter().flatten().collect())
    }

    fn residence(&mut self, sink: &mut Sink, person: &Person, muni: V) -> Result<(), SynthError> {
        let from = person
            .birth
            .max(random_date(self.rng, date(2000, 1, 1), date(2024, 1, 1)));
        self.residence_from(sink, person, muni, from)
    }

    /// A residence period in `muni` from `from`, open-ended.
    fn residence_from(
        &mut self,
        sink: &mut Sink,
        person: &Person,
        muni: V,
        from: Date,
    ) -> Result<(), SynthError> {
        sink.row(
            self.rng,
            &[
                ("person_key", V::Hetu(person.hetu.clone())),
                ("municipality_code", muni.clone()),
                ("valid_from", V::Date(from)),
                ("valid_to", V::Null),
            ],
            person,
        )
    }
}

/// A plausible Y-tunnus (with its check digit) for a provider.
fn provider_id(municipality: &str, i: u32) -> String {
    let base: u32 = 2_000_000 + municipality.parse::<u32>().unwrap_or(0) * 100 + i;
    let digits: Vec<u32> = format!("{base:07}")
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    let weights = [7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = digits.iter().zip(weights).map(|(d, w)| d * w).sum();
    let check = match sum % 11 {
        0 => 0,
        r => 11 - r,
    };
    // Remainder 1 gives no valid check digit; such numbers are never issued, so shift.
    if check == 10 {
        provider_id(municipality, i + 50)
    } else {
        format!("{base:07}-{check}")
    }
}

fn reference_files(
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
