//! `demo_ma`: the moving-average crossover of backtesting.py's Quick Start.
//!
//! Rules, evaluated on each bar's close:
//! * when SMA(`fast`) crosses above SMA(`slow`) — below it on the previous
//!   bar, above it now — close any short and buy with all available equity;
//! * when it crosses below, close any long, and with `allow_short` sell short
//!   with all available equity (otherwise stay flat).
//!
//! With `allow_short=true` this is exactly backtesting.py's `SmaCross`.

use crate::{ParamKind, ParamSpec, Params, Strategy, StrategyContext, StrategyError};
use gt_indicators::{IndicatorBank, IndicatorError, IndicatorHandle, IndicatorKey, Kind};
use gt_model::Quantity;

/// Registry entry.
pub const SPEC: crate::StrategySpec = crate::StrategySpec::new(
    "demo_ma",
    "SMA crossover: long on a golden cross, flat (or short) on a death cross",
    "Buy with all equity when SMA(fast) crosses above SMA(slow); on the opposite cross close the \
     long and, with allow_short, go short with all equity. Strict crossings: the averages must \
     be on opposite sides on consecutive bars.",
    &PARAMS,
    build,
);

const PARAMS: [ParamSpec; 3] = [
    ParamSpec {
        name: "fast",
        kind: ParamKind::Int { default: 10, min: 1, max: 10_000 },
        help: "bars in the fast simple moving average",
    },
    ParamSpec {
        name: "slow",
        kind: ParamKind::Int { default: 20, min: 2, max: 10_000 },
        help: "bars in the slow simple moving average (greater than fast)",
    },
    ParamSpec {
        name: "allow_short",
        kind: ParamKind::Bool { default: true },
        help: "go short on a death cross instead of staying flat",
    },
];

fn build(params: &Params) -> Result<Box<dyn Strategy>, StrategyError> {
    let (fast, slow) = (params.int("fast"), params.int("slow"));
    if fast >= slow {
        return Err(StrategyError::Inconsistent {
            strategy: "demo_ma",
            message: format!("fast ({fast}) must be less than slow ({slow})"),
        });
    }
    let strategy = DemoMa::new(fast as usize, slow as usize, params.flag("allow_short"))
        .map_err(|error| StrategyError::Inconsistent { strategy: "demo_ma", message: error.to_string() })?;
    Ok(Box::new(strategy))
}

/// SMA crossover state: the two averages' keys and their values on the previous bar.
pub struct DemoMa {
    fast: IndicatorKey,
    slow: IndicatorKey,
    handles: Option<(IndicatorHandle, IndicatorHandle)>,
    allow_short: bool,
    previous: Option<(f64, f64)>,
}

impl DemoMa {
    /// A crossover of SMA(`fast`) over SMA(`slow`).
    pub fn new(fast: usize, slow: usize, allow_short: bool) -> Result<Self, IndicatorError> {
        let sma = |period| IndicatorKey::of_close(Kind::Sma { period });
        Ok(Self { fast: sma(fast)?, slow: sma(slow)?, handles: None, allow_short, previous: None })
    }
}

impl Strategy for DemoMa {
    fn warmup_bars(&self) -> usize {
        self.fast.lookback().max(self.slow.lookback())
    }

    fn declare(&mut self, bank: &mut IndicatorBank) {
        self.handles = Some((bank.register(self.fast), bank.register(self.slow)));
    }

    #[inline]
    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        let Some((fast, slow)) = self.handles else { return };
        let (Some(fast), Some(slow)) = (ctx.indicator(fast), ctx.indicator(slow)) else {
            return;
        };
        if let Some((fast_before, slow_before)) = self.previous {
            if fast_before < slow_before && fast > slow {
                ctx.close_position();
                ctx.buy(Quantity::ALL_EQUITY);
            } else if slow_before < fast_before && slow > fast {
                ctx.close_position();
                if self.allow_short {
                    ctx.sell(Quantity::ALL_EQUITY);
                }
            }
        }
        self.previous = Some((fast, slow));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gt_model::{Bar, OrderRequest, Side, Symbol, Timestamp};

    /// Runs the strategy over closes with a fixed position; returns (bar, side, reduce_only).
    fn signals(strategy: &mut DemoMa, closes: &[f64], position: f64) -> Vec<(usize, Side, bool)> {
        let symbol = Symbol::new("T");
        let mut bank = IndicatorBank::new();
        strategy.declare(&mut bank);
        let mut out = Vec::new();
        for (i, &close) in closes.iter().enumerate() {
            let bar = Bar {
                ts: Timestamp::from_nanos(i as i64),
                open: close,
                high: close,
                low: close,
                close,
                volume: 0.0,
            };
            let mut requests: Vec<OrderRequest> = Vec::new();
            bank.update(&bar);
            let ctx = StrategyContext::new(&symbol, bar, i, position, 1.0, &mut requests);
            strategy.on_bar(&mut ctx.with_indicators(&bank));
            out.extend(requests.into_iter().map(|r| (i, r.side, r.reduce_only)));
        }
        out
    }

    #[test]
    fn golden_cross_buys_and_death_cross_sells_short() {
        // SMA(1) is the close itself; SMA(2) lags it: crosses at bars 3 and 6.
        let closes = [5.0, 4.0, 3.0, 6.0, 7.0, 8.0, 2.0];
        let got = signals(&mut DemoMa::new(1, 2, true).unwrap(), &closes, 0.0);
        assert_eq!(got, vec![(3, Side::Buy, false), (6, Side::Sell, false)]);
    }

    #[test]
    fn without_shorts_a_death_cross_only_closes_the_long() {
        let closes = [5.0, 4.0, 3.0, 6.0, 7.0, 8.0, 2.0];
        let got = signals(&mut DemoMa::new(1, 2, false).unwrap(), &closes, 10.0);
        assert_eq!(got, vec![(3, Side::Sell, true), (3, Side::Buy, false), (6, Side::Sell, true)]);
    }

    #[test]
    fn touching_without_crossing_is_no_signal() {
        let closes = [5.0, 4.0, 4.0, 4.0, 3.0];
        assert!(signals(&mut DemoMa::new(1, 2, true).unwrap(), &closes, 0.0).is_empty());
    }

    #[test]
    fn fast_must_be_below_slow() {
        let params = SPEC.resolve(&[("fast".into(), "20".into()), ("slow".into(), "20".into())]).unwrap();
        let err = SPEC.build(&params).err().unwrap().to_string();
        assert_eq!(err, "strategy 'demo_ma': fast (20) must be less than slow (20)");
    }
}
