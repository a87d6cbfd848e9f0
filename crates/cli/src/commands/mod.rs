//! One module per subcommand.

pub mod backtest;
pub mod bench;
pub mod compare;
mod data_args;
pub mod indicators;
mod run_args;
mod sleeves;
pub mod strategies;
