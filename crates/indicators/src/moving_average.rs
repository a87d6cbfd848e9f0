//! Moving averages, as TA-Lib computes them.

use crate::talib_stream::{ta_int, talib_indicator};

talib_indicator! {
    /// Simple moving average of the last `period` inputs (TA-Lib `SMA`).
    Sma { period: usize }
    inputs (input) -> f64;
    stream ta_lib::SmaStream;
    open |core, me, input| core.sma_open(input, ta_int(me.period));
    lookback |core| core.sma_lookback(ta_int(period));
    value |v| v;
}

talib_indicator! {
    /// Exponential moving average, seeded with the SMA of the first `period` inputs (TA-Lib `EMA`).
    Ema { period: usize }
    inputs (input) -> f64;
    stream ta_lib::EmaStream;
    open |core, me, input| core.ema_open(input, ta_int(me.period));
    lookback |core| core.ema_lookback(ta_int(period));
    value |v| v;
}

talib_indicator! {
    /// Linearly weighted moving average, newest input weighted `period` (TA-Lib `WMA`).
    Wma { period: usize }
    inputs (input) -> f64;
    stream ta_lib::WmaStream;
    open |core, me, input| core.wma_open(input, ta_int(me.period));
    lookback |core| core.wma_lookback(ta_int(period));
    value |v| v;
}
