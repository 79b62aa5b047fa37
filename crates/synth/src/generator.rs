//! One municipality's extracts: the generator's state, the output files of
//! its tables and the order the sections are drawn in. The sections live in
//! the submodules; they share one random stream and one id serial, so their
//! order is part of the output.

mod adult;
mod child_welfare;
mod integration;

use crate::draw::{date, random_date};
use crate::people::{Person, PersonFactory};
use crate::sink::{Sink, V};
use crate::{FileEntry, Municipality, SynthError};
use peitto_mapping::Mapping;
use peitto_model::Date;
use rand_chacha::ChaCha8Rng;
use std::path::Path;

/// Generates one municipality's extracts.
pub(crate) struct MunicipalityGen<'a> {
    pub(crate) m: &'a Municipality,
    pub(crate) mapping: &'a Mapping,
    pub(crate) out: &'a Path,
    pub(crate) dir: &'a str,
    pub(crate) scale: u32,
    pub(crate) rng: &'a mut ChaCha8Rng,
    pub(crate) factory: &'a mut PersonFactory,
}

/// The output files of one municipality, one a table.
struct Sinks {
    residence: Sink,
    notifications: Sink,
    bases: Sink,
    placements: Sink,
    invoices: Sink,
    decisions: Sink,
    clients: Sink,
    services: Sink,
    outcomes: Sink,
    compensations: Sink,
}

impl Sinks {
    /// Finishes every file, in the order they were opened.
    fn finish(self) -> Result<Vec<FileEntry>, SynthError> {
        [
            self.residence,
            self.notifications,
            self.bases,
            self.placements,
            self.invoices,
            self.decisions,
            self.clients,
            self.services,
            self.outcomes,
            self.compensations,
        ]
        .into_iter()
        .map(Sink::finish)
        .collect::<Result<Vec<Vec<FileEntry>>, _>>()
        .map(|files| files.into_iter().flatten().collect())
    }
}

/// Source record ids: a letter for the kind and a serial shared by every
/// table of a municipality.
#[derive(Default)]
struct Ids {
    serial: u64,
}

impl Ids {
    /// The next id with `prefix`.
    fn next(&mut self, prefix: &str) -> String {
        self.serial += 1;
        format!("{prefix}{:08}", self.serial)
    }
}

impl MunicipalityGen<'_> {
    fn sink(&self, table: &str) -> Result<Sink, SynthError> {
        let tm = self.mapping.table(table).ok_or_else(|| SynthError::Write {
            path: self.out.to_owned(),
            message: format!("{} lacks {table}", self.mapping.id),
        })?;
        Sink::create(self.out, self.dir, self.mapping, tm)
    }

    /// Writes every table of the municipality.
    pub(crate) fn run(&mut self) -> Result<Vec<FileEntry>, SynthError> {
        let mut sinks = Sinks {
            residence: self.sink("person_residence")?,
            notifications: self.sink("cw_notification")?,
            bases: self.sink("cw_legal_basis")?,
            placements: self.sink("cw_placement")?,
            invoices: self.sink("care_invoice_line")?,
            decisions: self.sink("service_decision")?,
            clients: self.sink("integration_client")?,
            services: self.sink("integration_service")?,
            outcomes: self.sink("integration_outcome")?,
            compensations: self.sink("state_compensation")?,
        };
        let mut ids = Ids::default();
        self.placed_children(&mut sinks, &mut ids)?;
        self.notified_children(&mut sinks, &mut ids)?;
        self.adult_social_work(&mut sinks, &mut ids)?;
        self.integration_clients(&mut sinks, &mut ids)?;
        sinks.finish()
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
