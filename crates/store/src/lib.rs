//! The run store: every backtest (and later optimisation, paper and ML run)
//! recorded with its configuration, data fingerprint, code version,
//! statistics, trades, equity curve and risk refusals.
//!
//! One code path serves an embedded SQLite file (the default) and PostgreSQL
//! (a `postgres://` URL), through sqlx's `Any` driver and one set of
//! migrations. A run is written in one transaction: a killed process never
//! leaves half a run behind.

mod error;
mod models;
mod paper;
mod shadow;
mod store;
mod studies;

pub use error::StoreError;
pub use models::{ModelChange, ModelRecord, NewModel};
pub use paper::{CommandRecord, FillRecord, OrderRecord, SessionRecord, StepJournal, StepRecord};
pub use shadow::ShadowRow;
pub use store::{CONNECT_TIMEOUT, NewRun, RunDetails, RunFilter, RunRecord, Store};
pub use studies::{StudyRecord, StudyWork, TrialRecord};
