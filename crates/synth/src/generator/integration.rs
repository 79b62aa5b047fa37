//! Integration: newcomers as clients, their services and outcomes, and the
//! state's compensations for them.

use super::{Ids, MunicipalityGen, Sinks};
use crate::draw::{date, period_end, pick, random_date, scaled};
use crate::people::Person;
use crate::sink::{Sink, V};
use crate::{LAST_YEAR, SynthError};
use peitto_model::Date;
use rand::RngExt;

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

/// What the state's compensations for a newcomer depend on.
#[derive(Clone, Copy)]
struct Newcomer<'p> {
    /// The client.
    person: &'p Person,
    /// First day in the home municipality.
    home: Date,
    /// The newcomer's own permit basis.
    own_basis: &'static str,
    /// The permit basis that decides the compensation period (the
    /// sponsor's for a family member).
    basis: &'static str,
    /// Whether the client came as a family member.
    family_member: bool,
    /// Whether the new integration act (681/2023) applies.
    new_law: bool,
    /// The initial assessment or service-needs assessment.
    assessment: Date,
}

impl MunicipalityGen<'_> {
    /// Integration clients, their services, outcomes and the state's compensations.
    pub(super) fn integration_clients(
        &mut self,
        sinks: &mut Sinks,
        ids: &mut Ids,
    ) -> Result<(), SynthError> {
        let muni = V::Muni(self.m.code);
        let pop = f64::from(self.m.population);
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
            self.residence_from(&mut sinks.residence, &person, muni.clone(), home)?;
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
            sinks.clients.row(
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
                let service_id = ids.next("K");
                sinks.services.row(
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
                        sinks.outcomes.row(
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
            let newcomer = Newcomer {
                person: &person,
                home,
                own_basis,
                basis,
                family_member,
                new_law,
                assessment,
            };
            self.state_compensations(&mut sinks.compensations, ids, newcomer)?;
        }
        Ok(())
    }

    /// The state's compensations for this client, as KEHA and the
    /// ELY centre pay them: the flat rate per calendar year of the
    /// window, the initial assessment under the old law, and
    /// actual-cost claims for some clients.
    fn state_compensations(
        &mut self,
        compensations: &mut Sink,
        ids: &mut Ids,
        newcomer: Newcomer<'_>,
    ) -> Result<(), SynthError> {
        let Newcomer {
            person,
            home,
            own_basis,
            basis,
            family_member,
            new_law,
            assessment,
        } = newcomer;
        let muni = V::Muni(self.m.code);
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
                        * peitto_domain::compensation::monthly(person.birth, month, window, rates);
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
                        ("claim_id", V::Id(ids.next("C"))),
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
                    person,
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
                    ("claim_id", V::Id(ids.next("C"))),
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
                person,
            )?;
        }
        Ok(())
    }
}
