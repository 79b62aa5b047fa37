//! Adult social work: social assistance, rehabilitative work and disability
//! services, decided like other services.

use super::{Ids, MunicipalityGen, Sinks};
use crate::SynthError;
use crate::draw::{date, period_end, period_start, pick, random_date, scaled};
use crate::sink::V;
use rand::RngExt;

impl MunicipalityGen<'_> {
    /// Adult social work: social assistance, rehabilitative work, disability services.
    pub(super) fn adult_social_work(
        &mut self,
        sinks: &mut Sinks,
        ids: &mut Ids,
    ) -> Result<(), SynthError> {
        let m = *self.m;
        let muni = V::Muni(m.code);
        let pop = f64::from(m.population);
        let adults = scaled(self.rng, pop * 0.53 * 0.03, self.scale);
        for _ in 0..adults {
            let birth = random_date(self.rng, date(1950, 1, 1), date(2005, 1, 1));
            let adult = self.factory.person(self.rng, birth, m.swedish_share);
            self.residence(&mut sinks.residence, &adult, muni.clone())?;
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
                sinks.decisions.row(
                    self.rng,
                    &[
                        ("decision_id", V::Id(ids.next("D"))),
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
        Ok(())
    }
}
