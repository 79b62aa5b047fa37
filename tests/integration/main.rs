//! End-to-end tests of the `peitto` command and the ingest path, run on the
//! committed `sample-data/` and on small hand-made extracts.

mod adversarial;
mod common;
mod dashboard;
mod dashboard_labels;
mod formats;
mod hostile_extracts;
mod mapping;
mod outputs;
mod planner_questions;
mod privacy;
mod project_links;
mod protect;
mod query_attacks;
mod query_before_reports;
mod query_conditions;
mod query_differencing;
mod query_durations;
mod query_model;
mod query_model_measures;
mod query_values;
mod query_windows;
mod release;
mod release_log;
mod report_costs;
mod report_folders;
mod report_links;
mod report_remainders;
mod report_revisions;
mod report_year;
mod sample;
mod sql;
mod store;
mod workbooks;
