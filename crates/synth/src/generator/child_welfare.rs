//! Child welfare: children placed outside the home with their legal bases,
//! placements and monthly care invoices, and child-welfare notifications
//! with the assessments and open-care support that follow them.

use super::{Ids, MunicipalityGen, Sinks};
use crate::draw::{date, period_end, pick, random_date, scaled};
use crate::people::Person;
use crate::sink::V;
use crate::{FIRST_YEAR, LAST_YEAR, SynthError};
use peitto_model::Date;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const PLACEMENT_FORMS: [(&str, f64, i64); 5] = [
    // form, share, price per care day in cents
    ("PERHEHOITO", 0.40, 9_500),
    ("SUKULAISPERHEHOITO", 0.08, 8_000),
    ("AMMATILLINEN_PERHEHOITO", 0.17, 23_500),
    ("LAITOSHOITO", 0.32, 33_000),
    ("MUU", 0.03, 15_000),
];

impl MunicipalityGen<'_> {
    /// Children placed outside the home during the period.
    pub(super) fn placed_children(
        &mut self,
        sinks: &mut Sinks,
        ids: &mut Ids,
    ) -> Result<(), SynthError> {
        let m = *self.m;
        let muni = V::Muni(m.code);
        let pop = f64::from(m.population);
        let children = scaled(self.rng, pop * 0.18 * 0.025, self.scale);
        let providers: Vec<String> = (0..12).map(|i| provider_id(m.code, i)).collect();
        for _ in 0..children {
            let birth = random_date(self.rng, date(2004, 1, 1), date(2025, 6, 1));
            let child = self.factory.person(self.rng, birth, m.swedish_share);
            self.residence(&mut sinks.residence, &child, muni.clone())?;
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
                let basis_id = ids.next("P");
                let involuntary = basis == "HUOSTAANOTTO" && self.rng.random_bool(0.3);
                sinks.bases.row(
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
                    let placement_id = ids.next("S");
                    let p_ongoing = pe >= period_end();
                    sinks.placements.row(
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
                        sinks.invoices.row(
                            self.rng,
                            &[
                                ("line_id", V::Id(ids.next("L"))),
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
        Ok(())
    }

    /// Child-welfare notifications in the last two years.
    pub(super) fn notified_children(
        &mut self,
        sinks: &mut Sinks,
        ids: &mut Ids,
    ) -> Result<(), SynthError> {
        let m = *self.m;
        let muni = V::Muni(m.code);
        let pop = f64::from(m.population);
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
            self.residence(&mut sinks.residence, &child, muni.clone())?;
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
                sinks.notifications.row(
                    self.rng,
                    &[
                        ("notification_id", V::Id(ids.next("I"))),
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
                    sinks.decisions.row(
                        self.rng,
                        &[
                            ("decision_id", V::Id(ids.next("D"))),
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
            sinks.notifications.row(
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
        Ok(())
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
