//! Register SQL.
//!
//! This crate owns the DataFusion session planners write SQL against: every
//! table of the model registered under its model name, read from the
//! store's Parquet parts through listing tables over object-store URLs (so
//! the same plans could run on a distributed engine), the derived
//! `placement_episode` table of merged placements, and peitto's domain
//! functions (care days, age at 31.12., working days…) as SQL functions.
//! It knows nothing about disclosure control: results leave through the
//! release path, or, for report authors only, through `peitto sql`. Saved
//! reports ([`report`]) are parsed here, their headers into typed fields.

pub mod functions;
pub mod report;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Date32Type, Field, Schema};
use datafusion::common::ScalarValue;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::{SessionConfig, SessionContext};
use peitto_domain::Episode;
pub use peitto_domain::compensation::{RateTable, Rates};
use peitto_model::Date;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

/// An error from the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// DataFusion refused or failed the query.
    #[error("{0}")]
    Sql(#[from] datafusion::error::DataFusionError),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] peitto_store::StoreError),
    /// A saved report is malformed or missing.
    #[error("{0}")]
    Report(String),
}

/// A DataFusion session over one project's store.
pub struct Engine {
    ctx: SessionContext,
}

/// A parameter value.
pub use datafusion::common::ScalarValue as Scalar;

/// Formats batches as a text table for the terminal.
///
/// # Errors
/// Only if a value cannot be formatted.
pub fn pretty(batches: &[RecordBatch]) -> Result<String, EngineError> {
    Ok(
        datafusion::arrow::util::pretty::pretty_format_batches(batches)
            .map_err(datafusion::error::DataFusionError::from)?
            .to_string(),
    )
}

/// Name of the derived table of merged placement episodes.
pub const EPISODES: &str = "placement_episode";

/// Name of the derived view of population by area at every level:
/// municipality (its 3-digit code), wellbeing county (`HV` + code) and all
/// areas in the store (`SSS`), so that rates can be computed for totals.
pub const AREA_POPULATION: &str = "area_population";

const AREA_POPULATION_SQL: &str = "CREATE OR REPLACE VIEW area_population AS
WITH m AS (
    SELECT DISTINCT code, 'HV' || parent_code AS county FROM organisation
    WHERE org_type = 'KUNTA' AND parent_type = 'HVA'
),
ku AS (
    SELECT year, substr(area_code, 3) AS code, age, sex, persons FROM population
    WHERE area_code LIKE 'KU%'
)
SELECT year, code AS area_code, age, sex, persons FROM ku
UNION ALL
SELECT ku.year, m.county, ku.age, ku.sex, SUM(ku.persons) FROM ku JOIN m ON m.code = ku.code GROUP BY 1, 2, 3, 4
UNION ALL
SELECT year, 'SSS', age, sex, SUM(persons) FROM ku GROUP BY 1, 2, 3, 4";

impl Engine {
    /// A session with the domain functions and no tables (tests and fixtures).
    #[must_use]
    pub fn empty() -> Engine {
        Engine::empty_limited(None)
    }

    /// A session with the domain functions and no tables, whose queries
    /// fail once they hold more than `memory_limit` bytes (none: no limit).
    #[must_use]
    pub fn empty_limited(memory_limit: Option<usize>) -> Engine {
        let mut config = SessionConfig::new().with_information_schema(true);
        // The store holds Utf8 strings; keep SQL and Parquet reads on the same type.
        config.options_mut().sql_parser.map_string_types_to_utf8view = false;
        config
            .options_mut()
            .execution
            .parquet
            .schema_force_view_types = false;
        let ctx = match memory_limit {
            // A memory pool every operator reserves from: past it a query
            // fails with ResourcesExhausted instead of taking the machine.
            Some(bytes) => match datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
                .with_memory_limit(bytes, 1.0)
                .build_arc()
            {
                Ok(runtime) => SessionContext::new_with_config_rt(config, runtime),
                Err(_) => SessionContext::new_with_config(config),
            },
            None => SessionContext::new_with_config(config),
        };
        functions::register(&ctx);
        Engine { ctx }
    }

    /// A session over the store in `store_dir`: every model table, empty
    /// where nothing has been ingested.
    ///
    /// # Errors
    /// If the manifest cannot be read or a table cannot be registered.
    pub async fn open(store_dir: &Path) -> Result<Engine, EngineError> {
        Engine::open_limited(store_dir, None).await
    }

    /// [`Engine::open`] with a memory limit for every query, in bytes.
    ///
    /// # Errors
    /// If the manifest cannot be read or a table cannot be registered.
    pub async fn open_limited(
        store_dir: &Path,
        memory_limit: Option<usize>,
    ) -> Result<Engine, EngineError> {
        let engine = Engine::empty_limited(memory_limit);
        let manifest = peitto_store::Store::read_manifest(store_dir)?;
        for table in peitto_model::tables() {
            let schema = Arc::new(table.schema());
            let files = manifest
                .tables
                .get(table.name)
                .map(Vec::as_slice)
                .unwrap_or_default();
            if files.is_empty() {
                let empty = MemTable::try_new(schema, vec![vec![]])?;
                engine.ctx.register_table(table.name, Arc::new(empty))?;
                continue;
            }
            let urls = files
                .iter()
                .map(|part| {
                    let path = std::fs::canonicalize(store_dir.join(&part.file))
                        .unwrap_or_else(|_| store_dir.join(&part.file));
                    ListingTableUrl::parse(path.to_string_lossy())
                })
                .collect::<Result<Vec<_>, _>>()?;
            let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
                .with_file_extension(".parquet");
            let config = ListingTableConfig::new_with_multi_paths(urls)
                .with_listing_options(options)
                .with_schema(schema);
            engine
                .ctx
                .register_table(table.name, Arc::new(ListingTable::try_new(config)?))?;
        }
        Ok(engine)
    }

    /// Uses these flat compensation rates by year in `compensation_month`
    /// (the built-in ones until this is called).
    pub fn set_compensation_rates(&self, rates: RateTable) {
        functions::register_compensation(&self.ctx, rates);
    }

    /// The session.
    #[must_use]
    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs `sql` with named parameters (`$year`) bound, not pasted.
    ///
    /// # Errors
    /// If DataFusion cannot plan or run it.
    pub async fn sql(
        &self,
        sql: &str,
        params: &BTreeMap<String, ScalarValue>,
    ) -> Result<Vec<RecordBatch>, EngineError> {
        self.prepare(sql).await?;
        let mut frame = self.ctx.sql(sql).await?;
        if !params.is_empty() {
            let values: Vec<(String, ScalarValue)> =
                params.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            frame = frame.with_param_values(values)?;
        }
        Ok(frame.collect().await?)
    }

    /// Makes the derived tables `sql` mentions current.
    ///
    /// # Errors
    /// If their sources cannot be read.
    pub async fn prepare(&self, sql: &str) -> Result<(), EngineError> {
        if sql.contains(EPISODES) {
            self.refresh_episodes().await?;
        }
        if sql.contains(AREA_POPULATION) {
            self.ctx.sql(AREA_POPULATION_SQL).await?.collect().await?;
        }
        Ok(())
    }

    /// Municipality code → wellbeing county (`HV` + its code), from the
    /// organisation register, for rolling municipalities up.
    ///
    /// # Errors
    /// If the organisation table cannot be read.
    pub async fn municipality_counties(&self) -> Result<Vec<(String, String)>, EngineError> {
        let rows = self
            .text_rows(
                "SELECT DISTINCT code, 'HV' || parent_code FROM organisation \
                 WHERE org_type = 'KUNTA' AND parent_type = 'HVA' ORDER BY 1",
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| match <[Option<String>; 2]>::try_from(row) {
                Ok([Some(code), Some(parent)]) => Some((code, parent)),
                _ => None,
            })
            .collect())
    }

    /// Names of the areas reports break down by, from the organisation
    /// register: (code as the reports write it, Finnish name, Swedish
    /// name); a municipality by its 3-digit code, a wellbeing county as
    /// `HV` and its code.
    ///
    /// # Errors
    /// If the organisation table cannot be read.
    pub async fn area_names(&self) -> Result<Vec<(String, String, Option<String>)>, EngineError> {
        let rows = self
            .text_rows(
                "SELECT DISTINCT CASE WHEN org_type = 'HVA' THEN 'HV' || code ELSE code END, \
                 name_fi, name_sv FROM organisation \
                 WHERE org_type IN ('KUNTA', 'HVA') AND name_fi IS NOT NULL ORDER BY 1",
            )
            .await?;
        let mut out: Vec<(String, String, Option<String>)> = Vec::new();
        for row in rows {
            let Ok([Some(code), Some(fi), sv]) = <[Option<String>; 3]>::try_from(row) else {
                continue;
            };
            // One name per code: the register may list a code once per
            // validity period.
            if out.last().is_none_or(|(c, _, _)| *c != code) {
                out.push((code, fi, sv));
            }
        }
        Ok(out)
    }

    /// The rows of `sql` with every column as text.
    async fn text_rows(&self, sql: &str) -> Result<Vec<Vec<Option<String>>>, EngineError> {
        let batches = self.ctx.sql(sql).await?.collect().await?;
        let mut out = Vec::new();
        for b in &batches {
            let columns = b
                .columns()
                .iter()
                .map(|c| datafusion::arrow::compute::cast(c, &DataType::Utf8))
                .collect::<Result<Vec<_>, _>>()
                .map_err(datafusion::error::DataFusionError::from)?;
            for i in 0..b.num_rows() {
                out.push(
                    columns
                        .iter()
                        .map(|c| {
                            let c = c.as_string::<i32>();
                            (!c.is_null(i)).then(|| c.value(i).to_owned())
                        })
                        .collect(),
                );
            }
        }
        Ok(out)
    }

    /// (Re)computes `placement_episode`: each child's placements merged so
    /// that no calendar day counts twice (same-day transfers and overlaps
    /// become one episode).
    ///
    /// # Errors
    /// If `cw_placement` cannot be read.
    pub async fn refresh_episodes(&self) -> Result<(), EngineError> {
        let batches = self
            .ctx
            .sql("SELECT person_key, start, \"end\" FROM cw_placement")
            .await?
            .collect()
            .await?;
        // Grouped by the pseudonym as it stands in the read batches: no
        // string is copied until the merged episodes are written.
        let mut by_person: HashMap<&str, Vec<Episode>> = HashMap::new();
        for batch in &batches {
            let keys = batch.column(0).as_string::<i32>();
            let starts = batch.column(1).as_primitive::<Date32Type>();
            let ends = batch.column(2).as_primitive::<Date32Type>();
            for i in 0..batch.num_rows() {
                if keys.is_null(i) || starts.is_null(i) {
                    continue;
                }
                let end = (!ends.is_null(i)).then(|| Date(ends.value(i)));
                by_person.entry(keys.value(i)).or_default().push(Episode {
                    start: Date(starts.value(i)),
                    end,
                });
            }
        }
        let schema = Arc::new(Schema::new(vec![
            Field::new("person_key", DataType::Utf8, false),
            Field::new("start", DataType::Date32, false),
            Field::new("end", DataType::Date32, true),
        ]));
        // Batches of the usual size spread over the session's partitions,
        // so the queries over the episodes run in parallel.
        let partitions = self.ctx.copied_config().target_partitions().max(1);
        let mut parts: Vec<Vec<RecordBatch>> = vec![Vec::new(); partitions];
        let (mut keys, mut starts, mut ends) = (Vec::new(), Vec::new(), Vec::new());
        let mut flush = |keys: &mut Vec<&str>,
                         starts: &mut Vec<i32>,
                         ends: &mut Vec<Option<i32>>|
         -> Result<(), EngineError> {
            if keys.is_empty() {
                return Ok(());
            }
            let batch = RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(datafusion::arrow::array::StringArray::from(std::mem::take(
                        keys,
                    ))),
                    Arc::new(datafusion::arrow::array::Date32Array::from(std::mem::take(
                        starts,
                    ))),
                    Arc::new(datafusion::arrow::array::Date32Array::from(std::mem::take(
                        ends,
                    ))),
                ],
            )
            .map_err(datafusion::error::DataFusionError::from)?;
            let fewest = (0..partitions).min_by_key(|&p| parts[p].len()).unwrap_or(0);
            parts[fewest].push(batch);
            Ok(())
        };
        for (key, periods) in by_person {
            for e in peitto_domain::merge_episodes(&periods) {
                keys.push(key);
                starts.push(e.start.0);
                ends.push(e.end.map(|d| d.0));
            }
            if keys.len() >= 8192 {
                flush(&mut keys, &mut starts, &mut ends)?;
            }
        }
        flush(&mut keys, &mut starts, &mut ends)?;
        let _ = self.ctx.deregister_table(EPISODES)?;
        self.ctx
            .register_table(EPISODES, Arc::new(MemTable::try_new(schema, parts)?))?;
        Ok(())
    }
}
