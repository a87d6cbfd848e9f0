//! GPT-Trader's application layer: one run path for every command.
//!
//! A [`RunSpec`] says what a run trades and how (data, strategies with their
//! parameters, execution, risk, allocation, output). A run file reads into
//! one with every problem reported at once, each with its key path
//! ([`spec_file`]); [`data::load`] fetches its bars; [`prepare()`] validates it
//! into a run for the engine, split into the part shared by every variant of
//! a sweep ([`SharedRun`]) and the strategies; [`outcome`] measures the
//! result; [`records`] are the typed shapes it is printed and stored as.
//! `backtest`, `compare`, paper sessions, and later the optimizer, the
//! dashboard and the ML commands all go through here.

mod allocation;
pub mod bench;
pub mod check;
pub mod compare;
pub mod data;
mod error;
pub mod fetch;
pub mod kill_switch;
pub mod outcome;
pub mod paper;
pub mod paths;
pub mod prepare;
pub mod promotion;
pub mod records;
pub mod report;
pub mod selection;
pub mod selector;
mod settings;
pub mod shadow;
pub mod shadow_compare;
pub mod shared_indicators;
pub mod spec;
pub mod spec_file;
pub mod store;
pub mod strategy_source;
pub mod window;

pub use error::RunError;
pub use prepare::{PreparedRun, SharedRun, Variant, prepare};
pub use spec::{
    AllocationSpec, DataSpec, ExecutionSpec, NotifySpec, OutputSpec, RiskSpec, RunSpec, StrategyEntry,
};
