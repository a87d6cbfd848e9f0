//! Streaming technical indicators.
//!
//! Each indicator takes one bar's inputs at a time in O(1) work without
//! allocating, and reports `None` while it warms up, so the same code serves a
//! backtest replaying history and a live session receiving bars one by one.
//! The values are TA-Lib's: every indicator wraps a streaming handle of the
//! `ta-lib` crate (TA-Lib's official Rust port), bit-identical to TA-Lib's
//! batch functions over the same series.
//!
//! An [`IndicatorKey`] names one output of one indicator over one input
//! (`sma(20)`, `bb(20,2,2).upper`, `stddev(20,1)@return`); an
//! [`IndicatorBank`] keeps one computation per distinct key of a series, so
//! strategies, risk sizing and ML features that read the same key share it;
//! [`IndicatorColumns`] precomputes keys over a whole series for a sweep's
//! threads to read. [`IndicatorSpec`] parses the `name:p1,p2` specs of the
//! `indicators` command into keys.

mod bank;
mod channel;
mod columns;
mod computation;
mod error;
mod key;
mod momentum;
mod moving_average;
mod spec;
mod talib_stream;
mod volatility;

pub use bank::{IndicatorBank, IndicatorHandle};
pub use channel::{Max, Min, Obv};
pub use columns::{IndicatorColumns, KeyColumn};
pub use computation::Computation;
pub use error::IndicatorError;
pub use key::{IndicatorKey, Input, Kind, Real};
pub use momentum::{Adx, Cci, Macd, MacdValue, Mom, Roc, Rsi, Stoch, StochValue, Willr};
pub use moving_average::{Ema, Sma, Wma};
pub use spec::{IndicatorSpec, SPEC_USAGE, distinct_columns, spec_usage};
pub use volatility::{Atr, Bands, BollingerBands, Natr, StdDev, TrueRange};
