//! Streaming technical indicators.
//!
//! Each indicator takes one bar's inputs at a time in O(1) work without
//! allocating, and reports `None` while it warms up, so the same code serves a
//! backtest replaying history and a live session receiving bars one by one.
//! The values are TA-Lib's: every indicator wraps a streaming handle of the
//! `ta-lib` crate (TA-Lib's official Rust port), bit-identical to TA-Lib's
//! batch functions over the same series.
//!
//! [`IndicatorSpec`] parses the `name:p1,p2` specs of the `indicators`
//! command and evaluates any of them over bars.

mod channel;
mod error;
mod momentum;
mod moving_average;
mod spec;
mod talib_stream;
mod volatility;

pub use channel::{Max, Min, Obv};
pub use error::IndicatorError;
pub use momentum::{Adx, Cci, Macd, MacdValue, Mom, Roc, Rsi, Stoch, StochValue, Willr};
pub use moving_average::{Ema, Sma, Wma};
pub use spec::{IndicatorSpec, SPEC_USAGE, SpecIndicator, distinct_columns, spec_usage};
pub use volatility::{Atr, Bands, BollingerBands, Natr, StdDev, TrueRange};
