//! `momentum`: time-series momentum with a trend filter.
//!
//! Rules, evaluated on each bar's close:
//! * flat: buy when the rate of change over `lookback` bars exceeds
//!   `threshold` percent and the close is above SMA(`trend_period`);
//! * long: exit when the rate of change turns negative.
//!
//! Position size is all available equity, or with `vol_scaling` the fraction
//! `target_vol_pct / realised volatility` (capped at 1), where realised
//! volatility is the standard deviation of the last `vol_period` one-bar
//! returns, annualised with √252 (daily bars).

use crate::{ParamKind, ParamSpec, Params, Strategy, StrategyContext, StrategyError, StrategySpec};
use gt_indicators::{IndicatorBank, IndicatorError, IndicatorHandle, IndicatorKey, Input, Kind, Real};
use gt_model::Quantity;

/// Registry entry.
pub const SPEC: StrategySpec = StrategySpec::new(
    "momentum",
    "Time-series momentum: long while the lookback return is positive and price is above its trend",
    "Flat: buy when ROC(lookback) > threshold % and the close is above SMA(trend_period). Long: \
     exit when ROC(lookback) < 0. Size: all equity, or with vol_scaling the fraction \
     target_vol_pct / (stdev of vol_period one-bar returns x sqrt(252) x 100), at most 1. Orders \
     fill at the next bar.",
    &PARAMS,
    build,
);

const PARAMS: [ParamSpec; 6] = [
    ParamSpec {
        name: "lookback",
        kind: ParamKind::Int { default: 20, min: 1, max: 5_000 },
        help: "bars in the rate of change",
    },
    ParamSpec {
        name: "threshold",
        kind: ParamKind::Float { default: 0.0, min: -100.0, max: 1_000.0 },
        help: "rate of change, in percent, that must be exceeded to enter",
    },
    ParamSpec {
        name: "trend_period",
        kind: ParamKind::Int { default: 50, min: 2, max: 10_000 },
        help: "bars in the trend filter's simple moving average",
    },
    ParamSpec {
        name: "vol_scaling",
        kind: ParamKind::Bool { default: false },
        help: "size positions to target_vol_pct of annualised volatility",
    },
    ParamSpec {
        name: "vol_period",
        kind: ParamKind::Int { default: 20, min: 2, max: 5_000 },
        help: "one-bar returns in the volatility estimate",
    },
    ParamSpec {
        name: "target_vol_pct",
        kind: ParamKind::Float { default: 15.0, min: 0.1, max: 500.0 },
        help: "annualised volatility, in percent, a position is sized to",
    },
];

fn build(params: &Params) -> Result<Box<dyn Strategy>, StrategyError> {
    let sizing = params.flag("vol_scaling").then(|| VolTarget {
        period: params.int("vol_period") as usize,
        target_pct: params.float("target_vol_pct"),
    });
    let strategy = Momentum::new(
        params.int("lookback") as usize,
        params.float("threshold"),
        params.int("trend_period") as usize,
        sizing,
    )
    .map_err(|e| StrategyError::Inconsistent { strategy: "momentum", message: e.to_string() })?;
    Ok(Box::new(strategy))
}

/// Volatility-targeted sizing.
#[derive(Clone, Copy, Debug)]
pub struct VolTarget {
    /// One-bar returns in the estimate.
    pub period: usize,
    /// Annualised volatility to size to, in percent.
    pub target_pct: f64,
}

/// Trading days a year, to annualise one-bar volatility.
const PERIODS_PER_YEAR: f64 = 252.0;

/// Momentum state.
pub struct Momentum {
    roc: IndicatorKey,
    threshold: f64,
    trend: IndicatorKey,
    /// The standard deviation of one-bar returns, and the target in percent a year.
    volatility: Option<(IndicatorKey, f64)>,
    handles: Option<(IndicatorHandle, IndicatorHandle, Option<IndicatorHandle>)>,
}

impl Momentum {
    /// Momentum over `lookback` bars above `threshold` %, filtered by SMA(`trend_period`).
    pub fn new(
        lookback: usize,
        threshold: f64,
        trend_period: usize,
        sizing: Option<VolTarget>,
    ) -> Result<Self, IndicatorError> {
        let volatility = |v: VolTarget| {
            let kind = Kind::StdDev { period: v.period, deviations: Real::new(1.0)? };
            Ok::<_, IndicatorError>((IndicatorKey::new(kind, Input::Return)?, v.target_pct))
        };
        Ok(Self {
            roc: IndicatorKey::of_close(Kind::Roc { period: lookback })?,
            threshold,
            trend: IndicatorKey::of_close(Kind::Sma { period: trend_period })?,
            volatility: sizing.map(volatility).transpose()?,
            handles: None,
        })
    }

    /// The fraction of equity to buy: all of it, or the volatility-targeted share.
    fn size(&self, one_bar_stdev: Option<f64>) -> Option<Quantity> {
        let Some((_, target_pct)) = self.volatility else { return Some(Quantity::ALL_EQUITY) };
        let annual_pct = one_bar_stdev? * PERIODS_PER_YEAR.sqrt() * 100.0;
        let fraction = if annual_pct > 0.0 { (target_pct / annual_pct).min(1.0) } else { 1.0 };
        Some(if fraction >= 1.0 { Quantity::ALL_EQUITY } else { Quantity::EquityFraction(fraction) })
    }
}

impl Strategy for Momentum {
    fn warmup_bars(&self) -> usize {
        // The returns' key counts the bar before the first return in its lookback.
        let vol = self.volatility.as_ref().map_or(0, |(key, _)| key.lookback());
        self.roc.lookback().max(self.trend.lookback()).max(vol)
    }

    fn declare(&mut self, bank: &mut IndicatorBank) {
        let volatility = self.volatility.map(|(key, _)| bank.register(key));
        self.handles = Some((bank.register(self.roc), bank.register(self.trend), volatility));
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        let Some((roc, trend, volatility)) = self.handles else { return };
        let close = ctx.bar().close;
        let stdev = volatility.and_then(|handle| ctx.indicator(handle));
        let trend = ctx.indicator(trend);
        let Some(roc) = ctx.indicator(roc) else { return };

        if ctx.position() == 0.0 {
            if roc > self.threshold
                && trend.is_some_and(|sma| close > sma)
                && let Some(quantity) = self.size(stdev)
            {
                ctx.buy(quantity);
            }
        } else if roc < 0.0 {
            ctx.close_position();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{flat_bars, signals};
    use gt_model::{OrderRequest, Side, Symbol};

    #[test]
    fn enters_on_positive_momentum_above_trend_and_exits_when_it_turns_negative() {
        // ROC(2) and SMA(3): bar 3 (12 vs 10 two bars earlier, above the SMA 11) enters;
        // bar 6 (10 vs 13 two bars earlier) has negative momentum and exits.
        let closes = [10.0, 10.0, 10.0, 12.0, 13.0, 13.0, 10.0, 10.0];
        let got = signals(&mut Momentum::new(2, 0.0, 3, None).unwrap(), &flat_bars(&closes));
        assert_eq!(got, vec![(3, Side::Buy, false), (6, Side::Sell, true)]);
    }

    #[test]
    fn threshold_must_be_exceeded() {
        let closes = [10.0, 10.0, 10.0, 10.5, 11.0, 11.0];
        // ROC(2) peaks at 10 %: a 15 % threshold never enters.
        assert!(signals(&mut Momentum::new(2, 15.0, 3, None).unwrap(), &flat_bars(&closes)).is_empty());
    }

    #[test]
    fn volatility_targeting_buys_a_fraction_of_equity() {
        // Alternating ±1 % returns (one-bar stdev 0.01, 15.87 % a year), then two jumps that enter.
        // The target is half of 15.87 %, so without the jumps the fraction would be exactly 1/2.
        let mut closes = vec![100.0];
        for i in 0..30 {
            let last = *closes.last().unwrap();
            closes.push(if i % 2 == 0 { last * 1.01 } else { last * 0.99 });
        }
        closes.extend([110.0, 120.0]);
        let target = 0.01 * 252f64.sqrt() * 100.0 / 2.0;
        let mut strategy =
            Momentum::new(2, 0.0, 3, Some(VolTarget { period: 20, target_pct: target })).unwrap();
        let symbol = Symbol::new("T");
        let mut requests: Vec<OrderRequest> = Vec::new();
        let mut bank = IndicatorBank::new();
        strategy.declare(&mut bank);
        for (i, bar) in flat_bars(&closes).into_iter().enumerate() {
            bank.update(&bar);
            let ctx = StrategyContext::new(&symbol, bar, i, 0.0, 1.0, &mut requests);
            strategy.on_bar(&mut ctx.with_indicators(&bank));
        }
        let Some(Quantity::EquityFraction(fraction)) = requests.last().map(|r| r.quantity) else {
            panic!("expected a fractional buy, got {requests:?}")
        };
        // The jumps (+9 %, +9 %) are in the window too, so the volatility is higher and the fraction below 1/2.
        assert!(fraction > 0.0 && fraction < 0.5, "{fraction}");
    }
}
