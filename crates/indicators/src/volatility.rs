//! Volatility and bands, as TA-Lib computes them.

use crate::talib_stream::{ta_int, talib_indicator};
use ta_lib::MAType;

/// Bollinger bands around a simple moving average.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bands {
    /// Middle band plus `dev_up` standard deviations.
    pub upper: f64,
    /// Simple moving average.
    pub middle: f64,
    /// Middle band minus `dev_down` standard deviations.
    pub lower: f64,
}

talib_indicator! {
    /// True range: the bar's range extended to the previous close (TA-Lib `TRANGE`).
    TrueRange {}
    inputs (high, low, close) -> f64;
    stream ta_lib::TrangeStream;
    open |core, me, high, low, close| { let _ = me; core.trange_open(high, low, close) };
    lookback |core| core.trange_lookback();
    value |v| v;
}

talib_indicator! {
    /// Average true range with Wilder smoothing (TA-Lib `ATR`).
    Atr { period: usize }
    inputs (high, low, close) -> f64;
    stream ta_lib::AtrStream;
    open |core, me, high, low, close| core.atr_open(high, low, close, ta_int(me.period));
    lookback |core| core.atr_lookback(ta_int(period));
    value |v| v;
}

talib_indicator! {
    /// Average true range as a percent of the close (TA-Lib `NATR`).
    Natr { period: usize }
    inputs (high, low, close) -> f64;
    stream ta_lib::NatrStream;
    open |core, me, high, low, close| core.natr_open(high, low, close, ta_int(me.period));
    lookback |core| core.natr_lookback(ta_int(period));
    value |v| v;
}

talib_indicator! {
    /// Population standard deviation over `period` inputs, times `deviations` (TA-Lib `STDDEV`).
    StdDev { period: usize, deviations: f64 }
    inputs (input) -> f64;
    stream ta_lib::StddevStream;
    open |core, me, input| core.stddev_open(input, ta_int(me.period), me.deviations);
    lookback |core| core.stddev_lookback(ta_int(period), deviations);
    value |v| v;
}

talib_indicator! {
    /// Bollinger bands: SMA(`period`) ± `dev_up`/`dev_down` standard deviations (TA-Lib `BBANDS`).
    BollingerBands { period: usize, dev_up: f64, dev_down: f64 }
    inputs (input) -> Bands;
    stream ta_lib::BbandsStream;
    open |core, me, input| core.bbands_open(input, ta_int(me.period), me.dev_up, me.dev_down, MAType::SMA);
    lookback |core| core.bbands_lookback(ta_int(period), dev_up, dev_down, MAType::SMA);
    value |v| Bands { upper: v.0, middle: v.1, lower: v.2 };
}
