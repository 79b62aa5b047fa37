//! Domain rules that make Finnish social-services statistics hard to get
//! right by hand, as plain functions: the register SQL exposes them as
//! DataFusion functions, and the browser can use them too (no native-only
//! dependencies; builds for `wasm32-unknown-unknown`).
//!
//! Sources are in `shared/research/domain.md`: care days and the counting
//! rules (§1 "Care days"), age at 31.12. (§1 "Concepts"), the 7-working-day
//! and 3-month limits of LsL 26 § (§1 "Statutory limits"), and the
//! integration compensation windows and rates (§2). Rules marked [I] there
//! are parameters here, not constants.

pub mod calendar;
pub mod care;
pub mod compensation;

pub use calendar::{
    WorkingDayRule, add_months, add_working_days, age_at, age_at_year_end, deadline_day,
    easter_sunday, is_working_day, time_limit_end, working_days_after, working_days_after_under,
};
pub use care::{DayRule, Episode, care_days, merge_episodes};
