//! `trend_breakout`: Donchian channel breakout with an ATR trailing stop.
//!
//! Rules, evaluated on each bar's close:
//! * flat: a close above the highest high of the previous `lookback` bars buys
//!   with all available equity; with `allow_short`, a close below their lowest
//!   low sells short;
//! * long: exit when the close breaks below the lowest low of the previous
//!   `exit_lookback` bars, or below the trailing stop — the highest close since
//!   the entry signal minus `atr_stop` × ATR(`atr_period`);
//! * short: the mirror image (highest high of `exit_lookback` bars, lowest close plus the ATR multiple).

use crate::{ParamKind, ParamSpec, Params, Strategy, StrategyContext, StrategyError, StrategySpec};
use gt_indicators::{IndicatorBank, IndicatorError, IndicatorHandle, IndicatorKey, Input, Kind};
use gt_model::Quantity;

/// Registry entry.
pub const SPEC: StrategySpec = StrategySpec::new(
    "trend_breakout",
    "Donchian breakout: enter on a new lookback high (or low), exit on a shorter channel or ATR trailing stop",
    "Flat: buy when the close exceeds the highest high of the previous `lookback` bars (with \
     allow_short, sell short below their lowest low). Long: exit when the close falls below the \
     lowest low of the previous `exit_lookback` bars or below the highest close since the signal \
     minus atr_stop x ATR(atr_period). Short: the mirror image. Orders fill at the next bar.",
    &PARAMS,
    build,
);

const PARAMS: [ParamSpec; 5] = [
    ParamSpec {
        name: "lookback",
        kind: ParamKind::Int { default: 20, min: 2, max: 5_000 },
        help: "bars in the entry channel (current bar excluded)",
    },
    ParamSpec {
        name: "exit_lookback",
        kind: ParamKind::Int { default: 10, min: 2, max: 5_000 },
        help: "bars in the exit channel (current bar excluded)",
    },
    ParamSpec::ATR_PERIOD,
    ParamSpec {
        name: "atr_stop",
        kind: ParamKind::Float { default: 3.0, min: 0.1, max: 50.0 },
        help: "trailing stop distance in ATRs from the best close since the signal",
    },
    ParamSpec {
        name: "allow_short",
        kind: ParamKind::Bool { default: false },
        help: "also trade breakouts to the downside",
    },
];

fn build(params: &Params) -> Result<Box<dyn Strategy>, StrategyError> {
    let strategy = TrendBreakout::new(
        params.int("lookback") as usize,
        params.int("exit_lookback") as usize,
        params.int("atr_period") as usize,
        params.float("atr_stop"),
        params.flag("allow_short"),
    )
    .map_err(|e| StrategyError::Inconsistent { strategy: "trend_breakout", message: e.to_string() })?;
    Ok(Box::new(strategy))
}

/// Channel bounds as of the previous bar.
#[derive(Clone, Copy, Debug)]
struct Channels {
    entry_high: f64,
    entry_low: f64,
    exit_high: f64,
    exit_low: f64,
}

/// Donchian breakout state: channels, ATR and the best close since the entry signal.
pub struct TrendBreakout {
    /// Entry channel high and low, exit channel high and low, ATR.
    keys: [IndicatorKey; 5],
    handles: Option<[IndicatorHandle; 5]>,
    atr_stop: f64,
    allow_short: bool,
    previous: Option<Channels>,
    best_close: Option<f64>,
}

impl TrendBreakout {
    /// A breakout strategy with the given channels and stop.
    pub fn new(
        lookback: usize,
        exit_lookback: usize,
        atr_period: usize,
        atr_stop: f64,
        allow_short: bool,
    ) -> Result<Self, IndicatorError> {
        let high = |period| IndicatorKey::new(Kind::Max { period }, Input::High);
        let low = |period| IndicatorKey::new(Kind::Min { period }, Input::Low);
        Ok(Self {
            keys: [
                high(lookback)?,
                low(lookback)?,
                high(exit_lookback)?,
                low(exit_lookback)?,
                IndicatorKey::of_close(Kind::Atr { period: atr_period })?,
            ],
            handles: None,
            atr_stop,
            allow_short,
            previous: None,
            best_close: None,
        })
    }
}

impl Strategy for TrendBreakout {
    fn warmup_bars(&self) -> usize {
        let [entry_high, _, _, exit_low, atr] = self.keys;
        (entry_high.lookback() + 1).max(exit_low.lookback() + 1).max(atr.lookback())
    }

    fn declare(&mut self, bank: &mut IndicatorBank) {
        self.handles = Some(self.keys.map(|key| bank.register(key)));
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        let Some([entry_high, entry_low, exit_high, exit_low, atr]) = self.handles else { return };
        let bar = *ctx.bar();
        let atr = ctx.indicator(atr);
        let current = match (
            ctx.indicator(entry_high),
            ctx.indicator(entry_low),
            ctx.indicator(exit_high),
            ctx.indicator(exit_low),
        ) {
            (Some(entry_high), Some(entry_low), Some(exit_high), Some(exit_low)) => {
                Some(Channels { entry_high, entry_low, exit_high, exit_low })
            }
            _ => None,
        };
        let Some(channels) = std::mem::replace(&mut self.previous, current) else { return };
        let close = bar.close;
        let position = ctx.position();

        if position == 0.0 {
            self.best_close = None;
            if close > channels.entry_high {
                ctx.buy(Quantity::ALL_EQUITY);
                self.best_close = Some(close);
            } else if self.allow_short && close < channels.entry_low {
                ctx.sell(Quantity::ALL_EQUITY);
                self.best_close = Some(close);
            }
            return;
        }
        let long = position > 0.0;
        let best = match self.best_close {
            Some(best) if long => best.max(close),
            Some(best) => best.min(close),
            None => close,
        };
        self.best_close = Some(best);
        let stop_distance = atr.map_or(f64::INFINITY, |atr| self.atr_stop * atr);
        let exit = if long {
            close < channels.exit_low || close < best - stop_distance
        } else {
            close > channels.exit_high || close > best + stop_distance
        };
        if exit {
            ctx.close_position();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{bars, flat_bars, signals};
    use gt_model::Side;

    #[test]
    fn buys_a_new_high_and_exits_on_the_exit_channel() {
        // Channel of 3 bars: bar 4 closes at 12 above the prior highs (10) → buy.
        // Exit channel of 2 bars: bar 7 closes at 11, below the prior lows 13 and 14 → exit.
        let closes = [10.0, 10.0, 10.0, 10.0, 12.0, 13.0, 14.0, 11.0, 11.0];
        let got = signals(&mut TrendBreakout::new(3, 2, 2, 50.0, false).unwrap(), &flat_bars(&closes));
        assert_eq!(got, vec![(4, Side::Buy, false), (7, Side::Sell, true)]);
    }

    #[test]
    fn atr_trailing_stop_exits_before_the_channel_does() {
        // Bars span close ± 1. ATR(2) by Wilder: 2 at bar 3, then 3, 3.5, 3.75 and 3.625 at bar 7.
        let hlc: Vec<(f64, f64, f64)> =
            [10.0, 10.0, 10.0, 10.0, 13.0, 16.0, 19.0, 16.5].iter().map(|&c| (c + 1.0, c - 1.0, c)).collect();
        let got = signals(&mut TrendBreakout::new(3, 3, 2, 0.5, false).unwrap(), &bars(&hlc));
        // Bar 7 closes at 16.5 < 19 − 0.5 × 3.625 while the 3-bar exit low is still 12: the stop exits.
        assert_eq!(got, vec![(4, Side::Buy, false), (7, Side::Sell, true)]);
    }

    #[test]
    fn short_side_mirrors_the_long_side() {
        let closes = [10.0, 10.0, 10.0, 10.0, 8.0, 7.0, 6.0, 7.5];
        let long_only = signals(&mut TrendBreakout::new(3, 2, 2, 50.0, false).unwrap(), &flat_bars(&closes));
        assert!(long_only.is_empty());
        let got = signals(&mut TrendBreakout::new(3, 2, 2, 50.0, true).unwrap(), &flat_bars(&closes));
        assert_eq!(got, vec![(4, Side::Sell, false), (7, Side::Buy, true)]);
    }
}
