//! One module per subcommand.

pub mod backtest;
pub mod bench;
pub mod compare;
pub mod data;
mod data_args;
pub mod indicators;
pub mod run_args;
pub mod runs;
mod sleeves;
pub mod strategies;
