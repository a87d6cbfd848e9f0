//! Rolling extremes (Donchian channels) and volume, as TA-Lib computes them.

use crate::talib_stream::{ta_int, talib_indicator};

talib_indicator! {
    /// Highest input of the last `period` bars, current bar included (TA-Lib `MAX`).
    Max { period: usize }
    inputs (input) -> f64;
    stream ta_lib::MaxStream;
    open |core, me, input| core.max_open(input, ta_int(me.period));
    lookback |core| core.max_lookback(ta_int(period));
    value |v| v;
}

talib_indicator! {
    /// Lowest input of the last `period` bars, current bar included (TA-Lib `MIN`).
    Min { period: usize }
    inputs (input) -> f64;
    stream ta_lib::MinStream;
    open |core, me, input| core.min_open(input, ta_int(me.period));
    lookback |core| core.min_lookback(ta_int(period));
    value |v| v;
}

talib_indicator! {
    /// On-balance volume: volume added on up closes, subtracted on down closes (TA-Lib `OBV`).
    Obv {}
    inputs (close, volume) -> f64;
    stream ta_lib::ObvStream;
    open |core, me, close, volume| { let _ = me; core.obv_open(close, volume) };
    lookback |core| core.obv_lookback();
    value |v| v;
}
