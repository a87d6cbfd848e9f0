//! `volatility`: Bollinger squeeze, then breakout.
//!
//! Rules, evaluated on each bar's close:
//! * the band width `(upper − lower) / middle` of Bollinger(`period`,
//!   `std_dev`) is in a squeeze when at most `squeeze_pct` percent of the last
//!   `squeeze_lookback` widths (current included) were narrower;
//! * flat, after a bar in a squeeze: a close above the upper band buys with all
//!   equity; with `allow_short`, a close below the lower band sells short;
//! * long: exit when the close falls back below the middle band, or below the
//!   signal close minus `atr_stop` × ATR(`atr_period`) at the signal;
//! * short: the mirror image.

use crate::{ParamKind, ParamSpec, Params, Strategy, StrategyContext, StrategyError, StrategySpec};
use gt_indicators::{Bands, IndicatorBank, IndicatorError, IndicatorHandle, IndicatorKey, Kind, Real};
use gt_model::Quantity;
use std::collections::VecDeque;

/// Registry entry.
pub const SPEC: StrategySpec = StrategySpec::new(
    "volatility",
    "Bollinger squeeze breakout: after the bands contract, trade the close that leaves them",
    "Squeeze: the band width (upper - lower) / middle of Bollinger(period, std_dev) ranks in the \
     lowest squeeze_pct % of the last squeeze_lookback widths. Flat, after a squeeze bar: buy a \
     close above the upper band (with allow_short, sell one below the lower band). Exit at the \
     middle band, or when the close crosses the signal close -/+ atr_stop x ATR(atr_period). \
     Orders fill at the next bar.",
    &PARAMS,
    build,
);

const PARAMS: [ParamSpec; 7] = [
    ParamSpec {
        name: "period",
        kind: ParamKind::Int { default: 20, min: 2, max: 5_000 },
        help: "bars in the Bollinger bands",
    },
    ParamSpec {
        name: "std_dev",
        kind: ParamKind::Float { default: 2.0, min: 0.1, max: 10.0 },
        help: "band distance in standard deviations",
    },
    ParamSpec {
        name: "squeeze_lookback",
        kind: ParamKind::Int { default: 120, min: 5, max: 10_000 },
        help: "band widths the squeeze percentile is taken over",
    },
    ParamSpec {
        name: "squeeze_pct",
        kind: ParamKind::Float { default: 10.0, min: 0.1, max: 100.0 },
        help: "percentile of width at or below which the bands are in a squeeze",
    },
    ParamSpec::ATR_PERIOD,
    ParamSpec {
        name: "atr_stop",
        kind: ParamKind::Float { default: 2.0, min: 0.1, max: 50.0 },
        help: "stop distance in ATRs from the signal close",
    },
    ParamSpec {
        name: "allow_short",
        kind: ParamKind::Bool { default: true },
        help: "also trade breakouts below the lower band",
    },
];

fn build(params: &Params) -> Result<Box<dyn Strategy>, StrategyError> {
    let squeeze =
        Squeeze { lookback: params.int("squeeze_lookback") as usize, pct: params.float("squeeze_pct") };
    let strategy = VolatilityBreakout::new(
        params.int("period") as usize,
        params.float("std_dev"),
        squeeze,
        params.int("atr_period") as usize,
        params.float("atr_stop"),
        params.flag("allow_short"),
    )
    .map_err(|e| StrategyError::Inconsistent { strategy: "volatility", message: e.to_string() })?;
    Ok(Box::new(strategy))
}

/// When the bands count as squeezed.
#[derive(Clone, Copy, Debug)]
pub struct Squeeze {
    /// Widths the percentile is taken over.
    pub lookback: usize,
    /// Percentile at or below which the width is a squeeze.
    pub pct: f64,
}

/// Squeeze-breakout state.
pub struct VolatilityBreakout {
    /// Upper, middle and lower band, ATR.
    keys: [IndicatorKey; 4],
    handles: Option<[IndicatorHandle; 4]>,
    squeeze: Squeeze,
    widths: VecDeque<f64>,
    atr_stop: f64,
    allow_short: bool,
    squeezed_before: bool,
    stop: Option<f64>,
}

impl VolatilityBreakout {
    /// A squeeze breakout on Bollinger(`period`, `std_dev`) with an ATR stop.
    pub fn new(
        period: usize,
        std_dev: f64,
        squeeze: Squeeze,
        atr_period: usize,
        atr_stop: f64,
        allow_short: bool,
    ) -> Result<Self, IndicatorError> {
        let deviations = Real::new(std_dev)?;
        let bands = IndicatorKey::of_close(Kind::Bollinger { period, up: deviations, down: deviations })?;
        let atr = IndicatorKey::of_close(Kind::Atr { period: atr_period })?;
        Ok(Self {
            keys: [bands.output("upper")?, bands.output("middle")?, bands.output("lower")?, atr],
            handles: None,
            squeeze,
            widths: VecDeque::with_capacity(squeeze.lookback + 1),
            atr_stop,
            allow_short,
            squeezed_before: false,
            stop: None,
        })
    }

    /// Records `width` and says whether it ranks in the squeeze percentile of the window.
    fn is_squeeze(&mut self, width: f64) -> bool {
        if self.widths.len() == self.squeeze.lookback {
            self.widths.pop_front();
        }
        self.widths.push_back(width);
        if self.widths.len() < self.squeeze.lookback {
            return false;
        }
        // Percentile rank: the share of the window strictly narrower than now (ties count for the squeeze).
        let narrower = self.widths.iter().filter(|w| **w < width).count();
        narrower as f64 * 100.0 / self.widths.len() as f64 <= self.squeeze.pct
    }
}

impl Strategy for VolatilityBreakout {
    fn warmup_bars(&self) -> usize {
        let [upper, _, _, atr] = self.keys;
        (upper.lookback() + self.squeeze.lookback).max(atr.lookback())
    }

    fn declare(&mut self, bank: &mut IndicatorBank) {
        self.handles = Some(self.keys.map(|key| bank.register(key)));
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        let Some([upper, middle, lower, atr]) = self.handles else { return };
        let bar = *ctx.bar();
        let atr = ctx.indicator(atr);
        let (Some(upper), Some(middle), Some(lower)) =
            (ctx.indicator(upper), ctx.indicator(middle), ctx.indicator(lower))
        else {
            return;
        };
        let bands = Bands { upper, middle, lower };
        let width = if bands.middle != 0.0 { (bands.upper - bands.lower) / bands.middle } else { 0.0 };
        let squeezed_now = self.is_squeeze(width);
        let armed = std::mem::replace(&mut self.squeezed_before, squeezed_now);
        let close = bar.close;
        let position = ctx.position();

        if position == 0.0 {
            let distance = atr.map_or(f64::INFINITY, |atr| self.atr_stop * atr);
            if armed && close > bands.upper {
                ctx.buy(Quantity::ALL_EQUITY);
                self.stop = Some(close - distance);
            } else if armed && self.allow_short && close < bands.lower {
                ctx.sell(Quantity::ALL_EQUITY);
                self.stop = Some(close + distance);
            }
            return;
        }
        let long = position > 0.0;
        let stopped = self.stop.is_some_and(|stop| if long { close < stop } else { close > stop });
        let back_inside = if long { close < bands.middle } else { close > bands.middle };
        if stopped || back_inside {
            ctx.close_position();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{bars, signals};
    use gt_model::Side;

    /// Wide swings, then a tight range (the squeeze), then a jump out of it, a drift, and a fall.
    fn squeeze_then_breakout(jump: f64) -> Vec<(f64, f64, f64)> {
        let mut closes: Vec<f64> = (0..12).map(|i| if i % 2 == 0 { 90.0 } else { 110.0 }).collect();
        closes.extend((0..10).map(|i| if i % 2 == 0 { 100.0 } else { 100.2 }));
        closes.extend([100.0 + jump, 100.0 + jump * 1.1, 100.0]);
        closes.iter().map(|&c| (c + 0.5, c - 0.5, c)).collect()
    }

    fn strategy(allow_short: bool) -> VolatilityBreakout {
        VolatilityBreakout::new(6, 1.5, Squeeze { lookback: 10, pct: 20.0 }, 3, 50.0, allow_short).unwrap()
    }

    #[test]
    fn breakout_after_a_squeeze_enters_and_the_middle_band_exits() {
        let got = signals(&mut strategy(false), &bars(&squeeze_then_breakout(5.0)));
        // Bars 14-21 are squeezed; bar 22 jumps above the upper band (105 > 103.67) and bar 24
        // falls back below the middle band (100 < 101.82).
        assert_eq!(got, vec![(22, Side::Buy, false), (24, Side::Sell, true)]);
    }

    #[test]
    fn downside_breakout_goes_short_only_when_allowed() {
        let path = bars(&squeeze_then_breakout(-5.0));
        assert!(signals(&mut strategy(false), &path).is_empty());
        assert_eq!(signals(&mut strategy(true), &path), vec![(22, Side::Sell, false), (24, Side::Buy, true)]);
    }

    #[test]
    fn no_squeeze_no_trade() {
        // Steady wide swings never squeeze, whatever the closes do relative to the bands.
        let closes: Vec<(f64, f64, f64)> =
            (0..40).map(|i| if i % 2 == 0 { 90.0 } else { 110.0 }).map(|c| (c + 0.5, c - 0.5, c)).collect();
        assert!(signals(&mut strategy(true), &bars(&closes)).is_empty());
    }
}
