//! One module per subcommand.

pub mod backtest;
pub mod bench;
pub mod compare;
pub mod dashboard;
pub mod data;
mod data_args;
pub mod indicators;
pub mod ml;
mod ml_compare;
mod ml_registry;
mod ml_select;
pub mod optimize;
pub mod paper;
mod paper_health;
mod paper_notify;
mod paper_report;
mod paper_session;
pub mod run_args;
pub mod run_spec;
pub mod runs;
mod shadow_args;
pub mod strategies;
pub mod studies;
mod sweep_args;
pub mod walkforward;
