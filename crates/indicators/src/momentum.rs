//! Momentum and oscillators, as TA-Lib computes them.

use crate::talib_stream::{ta_int, talib_indicator};
use ta_lib::MAType;

/// MACD line, its signal line and their difference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MacdValue {
    /// Fast EMA minus slow EMA.
    pub macd: f64,
    /// EMA of the MACD line.
    pub signal: f64,
    /// MACD minus signal.
    pub histogram: f64,
}

/// Stochastic oscillator lines.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StochValue {
    /// Slow %K.
    pub k: f64,
    /// Slow %D.
    pub d: f64,
}

talib_indicator! {
    /// Relative strength index with Wilder smoothing (TA-Lib `RSI`), 0–100.
    Rsi { period: usize }
    inputs (input) -> f64;
    stream ta_lib::RsiStream;
    open |core, me, input| core.rsi_open(input, ta_int(me.period));
    lookback |core| core.rsi_lookback(ta_int(period));
    value |v| v;
}

talib_indicator! {
    /// Rate of change in percent over `period` bars (TA-Lib `ROC`).
    Roc { period: usize }
    inputs (input) -> f64;
    stream ta_lib::RocStream;
    open |core, me, input| core.roc_open(input, ta_int(me.period));
    lookback |core| core.roc_lookback(ta_int(period));
    value |v| v;
}

talib_indicator! {
    /// Momentum: input minus the input `period` bars ago (TA-Lib `MOM`).
    Mom { period: usize }
    inputs (input) -> f64;
    stream ta_lib::MomStream;
    open |core, me, input| core.mom_open(input, ta_int(me.period));
    lookback |core| core.mom_lookback(ta_int(period));
    value |v| v;
}

talib_indicator! {
    /// Moving average convergence/divergence with EMA signal (TA-Lib `MACD`).
    Macd { fast: usize, slow: usize, signal: usize }
    inputs (input) -> MacdValue;
    stream ta_lib::MacdStream;
    open |core, me, input| core.macd_open(input, ta_int(me.fast), ta_int(me.slow), ta_int(me.signal));
    lookback |core| core.macd_lookback(ta_int(fast), ta_int(slow), ta_int(signal));
    value |v| MacdValue { macd: v.0, signal: v.1, histogram: v.2 };
}

talib_indicator! {
    /// Average directional index with Wilder smoothing (TA-Lib `ADX`), 0–100.
    Adx { period: usize }
    inputs (high, low, close) -> f64;
    stream ta_lib::AdxStream;
    open |core, me, high, low, close| core.adx_open(high, low, close, ta_int(me.period));
    lookback |core| core.adx_lookback(ta_int(period));
    value |v| v;
}

talib_indicator! {
    /// Slow stochastic: %K over `fast_k` bars smoothed by an SMA of `slow_k`, %D an SMA of `slow_d` (TA-Lib `STOCH`).
    Stoch { fast_k: usize, slow_k: usize, slow_d: usize }
    inputs (high, low, close) -> StochValue;
    stream ta_lib::StochStream;
    open |core, me, high, low, close| core.stoch_open(
        high, low, close, ta_int(me.fast_k), ta_int(me.slow_k), MAType::SMA, ta_int(me.slow_d), MAType::SMA,
    );
    lookback |core| core.stoch_lookback(ta_int(fast_k), ta_int(slow_k), MAType::SMA, ta_int(slow_d), MAType::SMA);
    value |v| StochValue { k: v.0, d: v.1 };
}

talib_indicator! {
    /// Commodity channel index over `period` bars of typical price (TA-Lib `CCI`).
    Cci { period: usize }
    inputs (high, low, close) -> f64;
    stream ta_lib::CciStream;
    open |core, me, high, low, close| core.cci_open(high, low, close, ta_int(me.period));
    lookback |core| core.cci_lookback(ta_int(period));
    value |v| v;
}

talib_indicator! {
    /// Williams %R over `period` bars, −100–0 (TA-Lib `WILLR`).
    Willr { period: usize }
    inputs (high, low, close) -> f64;
    stream ta_lib::WillrStream;
    open |core, me, high, low, close| core.willr_open(high, low, close, ta_int(me.period));
    lookback |core| core.willr_lookback(ta_int(period));
    value |v| v;
}
