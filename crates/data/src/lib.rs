//! Market data for GPT-Trader: where bars come from and the checks they pass
//! before any engine sees them.
//!
//! * [`csv_bars`] loads OHLCV files as backtesting.py writes them and refuses
//!   bad rows with an error naming the file, line and field;
//! * [`sample`] is the daily GOOG history bundled in the binary, so that a
//!   backtest runs with no file at all;
//! * [`synthetic`] makes deterministic random-walk bars for benchmarks and tests;
//! * [`universe`] holds named symbol sets, such as the bundled `sample` stocks.

pub mod alpaca;
pub mod cache;
pub mod calendar;
pub mod csv_bars;
mod error;
mod fetch;
pub mod resample;
pub mod sample;
pub mod synthetic;
mod timestamp;
pub mod universe;
mod validate;
pub mod yahoo;

pub use error::DataError;
pub use fetch::FetchError;
pub use timestamp::parse_timestamp;
