//! Synthetic persons: fictitious henkilötunnus values (individual numbers
//! 900–999 only), names, addresses and phone numbers that the ingest must
//! drop. Names stay within Windows-1252 so the Finnish CSV dialect can hold them.

use peitto_model::Date;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

const FIRST_FI: &[&str] = &[
    "Aino", "Eino", "Helmi", "Onni", "Aada", "Väinö", "Siiri", "Leevi", "Ella", "Eetu", "Lilja",
    "Niilo", "Venla", "Oskari", "Kerttu", "Juho", "Iida", "Elias", "Saara", "Mikael",
];
const FIRST_SV: &[&str] = &[
    "Alva", "Elias", "Ellen", "Hugo", "Ebba", "Oliver", "Stella", "Anton", "Linnea", "Axel",
    "Selma", "Emil",
];
const FIRST_OTHER: &[&str] = &[
    "Amina", "Yusuf", "Olena", "Dmytro", "Fatima", "Ahmad", "Hodan", "Zainab", "Tetiana", "Bogdan",
    "Leyla", "Hamid",
];
const LAST_FI: &[&str] = &[
    "Korhonen",
    "Virtanen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Saarinen",
];
const LAST_SV: &[&str] = &[
    "Björklund",
    "Sundqvist",
    "Forsman",
    "Holmström",
    "Nyberg",
    "Westerlund",
    "Lindqvist",
    "Åkerman",
];
const LAST_OTHER: &[&str] = &[
    "Mohamed",
    "Hassan",
    "Kovalenko",
    "Shevchenko",
    "Ali",
    "Abdi",
    "Hussein",
    "Bondarenko",
];
const STREETS: &[&str] = &[
    "Kauppakatu",
    "Satamakatu",
    "Koulukatu",
    "Rantatie",
    "Storgatan",
    "Kyrkogatan",
    "Puistotie",
    "Asemakatu",
];

/// A synthetic person.
#[derive(Debug, Clone)]
pub struct Person {
    /// Fictitious henkilötunnus (empty for "nobody").
    pub hetu: String,
    /// Birth date.
    pub birth: Date,
    /// Full name.
    pub name: String,
    /// Street address.
    pub address: String,
    /// Mobile number.
    pub phone: String,
}

impl Person {
    /// Stand-in for rows that concern no person (reference data, special-cost claims).
    #[must_use]
    pub fn nobody() -> Person {
        Person {
            hetu: String::new(),
            birth: Date(0),
            name: String::new(),
            address: String::new(),
            phone: String::new(),
        }
    }
}

/// Makes persons with unique codes.
pub struct PersonFactory {
    used: HashSet<String>,
}

fn pick<'a>(rng: &mut ChaCha8Rng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

impl PersonFactory {
    pub fn new() -> Self {
        PersonFactory {
            used: HashSet::new(),
        }
    }

    /// A new person born on `birth`; `swedish_share` of names are Swedish.
    pub fn person(&mut self, rng: &mut ChaCha8Rng, birth: Date, swedish_share: f64) -> Person {
        let (y, m, d) = birth.ymd();
        let hetu = loop {
            // Mostly the classic signs; the 2023 additions appear too.
            let sign = if y >= 2000 {
                if rng.random_bool(0.9) {
                    'A'
                } else {
                    ['B', 'C', 'D', 'E', 'F'][rng.random_range(0..5)]
                }
            } else if rng.random_bool(0.9) {
                '-'
            } else {
                ['Y', 'X', 'W', 'V', 'U'][rng.random_range(0..5)]
            };
            let individual = rng.random_range(900u16..=999);
            let birth_date = peitto_hetu::BirthDate {
                year: y,
                month: m,
                day: d,
            };
            if let Some(code) = peitto_hetu::compose(birth_date, sign, individual)
                && self.used.insert(code.clone())
            {
                break code;
            }
        };
        let other = rng.random_bool(0.08);
        let swedish = !other && rng.random_bool(swedish_share);
        let (first, last) = if other {
            (pick(rng, FIRST_OTHER), pick(rng, LAST_OTHER))
        } else if swedish {
            (pick(rng, FIRST_SV), pick(rng, LAST_SV))
        } else {
            (pick(rng, FIRST_FI), pick(rng, LAST_FI))
        };
        let address = format!(
            "{} {} {} {}",
            pick(rng, STREETS),
            rng.random_range(1..80),
            ["A", "B", "C"][rng.random_range(0..3)],
            rng.random_range(1..40)
        );
        let phone = format!(
            "04{} {:03} {:04}",
            rng.random_range(0..10),
            rng.random_range(0..1000),
            rng.random_range(0..10000)
        );
        Person {
            hetu,
            birth,
            name: format!("{first} {last}"),
            address,
            phone,
        }
    }
}
