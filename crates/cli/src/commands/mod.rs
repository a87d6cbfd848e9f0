//! One module per subcommand.

pub mod backtest;
pub mod bench;
mod data_args;
pub mod indicators;
