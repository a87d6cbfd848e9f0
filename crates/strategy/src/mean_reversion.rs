//! `mean_reversion`: buy oversold RSI, sell when it has reverted to the mean.
//!
//! Rules, evaluated on each bar's close:
//! * flat: RSI(`rsi_period`) below `oversold` buys with all available equity
//!   (with `trend_filter`, only while the close is above SMA(`trend_period`));
//!   with `allow_short`, RSI above `overbought` sells short (with the filter,
//!   only below the SMA);
//! * long: exit when RSI crosses above `exit_level`, or after `max_hold` bars;
//! * short: exit when RSI crosses below `exit_level`, or after `max_hold` bars.

use crate::{ParamKind, ParamSpec, Params, Strategy, StrategyContext, StrategyError, StrategySpec};
use gt_indicators::{IndicatorBank, IndicatorError, IndicatorHandle, IndicatorKey, Kind};
use gt_model::Quantity;

/// Registry entry.
pub const SPEC: StrategySpec = StrategySpec::new(
    "mean_reversion",
    "RSI mean reversion: buy oversold, exit when RSI is back at the mean or after max_hold bars",
    "Flat: buy when RSI(rsi_period) < oversold (with trend_filter, only if the close is above \
     SMA(trend_period)); with allow_short, sell short when RSI > overbought (with the filter, only \
     below the SMA). Long: exit when RSI crosses above exit_level or after max_hold bars. Short: \
     exit when RSI crosses below exit_level or after max_hold bars. Orders fill at the next bar.",
    &PARAMS,
    build,
);

const PARAMS: [ParamSpec; 8] = [
    ParamSpec {
        name: "rsi_period",
        kind: ParamKind::Int { default: 14, min: 2, max: 1_000 },
        help: "bars in the RSI (Wilder)",
    },
    ParamSpec {
        name: "oversold",
        kind: ParamKind::Float { default: 30.0, min: 1.0, max: 50.0 },
        help: "RSI below this enters long",
    },
    ParamSpec {
        name: "overbought",
        kind: ParamKind::Float { default: 70.0, min: 50.0, max: 99.0 },
        help: "RSI above this enters short (with allow_short)",
    },
    ParamSpec {
        name: "exit_level",
        kind: ParamKind::Float { default: 50.0, min: 1.0, max: 99.0 },
        help: "RSI crossing this level (the mean) exits",
    },
    ParamSpec {
        name: "max_hold",
        kind: ParamKind::Int { default: 10, min: 1, max: 100_000 },
        help: "bars after which a position is closed regardless",
    },
    ParamSpec {
        name: "trend_filter",
        kind: ParamKind::Bool { default: false },
        help: "trade only in the direction of SMA(trend_period)",
    },
    ParamSpec {
        name: "trend_period",
        kind: ParamKind::Int { default: 200, min: 2, max: 10_000 },
        help: "bars in the trend filter's simple moving average",
    },
    ParamSpec {
        name: "allow_short",
        kind: ParamKind::Bool { default: false },
        help: "also sell overbought markets short",
    },
];

fn build(params: &Params) -> Result<Box<dyn Strategy>, StrategyError> {
    let (oversold, overbought, exit_level) =
        (params.float("oversold"), params.float("overbought"), params.float("exit_level"));
    if !(oversold < exit_level && exit_level < overbought) {
        return Err(StrategyError::Inconsistent {
            strategy: "mean_reversion",
            message: format!(
                "need oversold < exit_level < overbought, got {oversold} / {exit_level} / {overbought}"
            ),
        });
    }
    let rules = Rules {
        oversold,
        overbought,
        exit_level,
        max_hold: params.int("max_hold") as usize,
        allow_short: params.flag("allow_short"),
    };
    let trend_period = params.flag("trend_filter").then(|| params.int("trend_period") as usize);
    let strategy = MeanReversion::new(params.int("rsi_period") as usize, trend_period, rules)
        .map_err(|e| StrategyError::Inconsistent { strategy: "mean_reversion", message: e.to_string() })?;
    Ok(Box::new(strategy))
}

/// Entry and exit thresholds of [`MeanReversion`].
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// RSI below this enters long.
    pub oversold: f64,
    /// RSI above this enters short (with `allow_short`).
    pub overbought: f64,
    /// RSI crossing this exits.
    pub exit_level: f64,
    /// Bars after which a position is closed regardless.
    pub max_hold: usize,
    /// Whether to sell overbought markets short.
    pub allow_short: bool,
}

/// RSI mean-reversion state.
pub struct MeanReversion {
    rsi: IndicatorKey,
    trend: Option<IndicatorKey>,
    handles: Option<(IndicatorHandle, Option<IndicatorHandle>)>,
    rules: Rules,
    previous_rsi: Option<f64>,
    bars_held: usize,
}

impl MeanReversion {
    /// RSI(`rsi_period`) reversion, with a trend filter over `trend_period` bars when given.
    pub fn new(rsi_period: usize, trend_period: Option<usize>, rules: Rules) -> Result<Self, IndicatorError> {
        Ok(Self {
            rsi: IndicatorKey::of_close(Kind::Rsi { period: rsi_period })?,
            trend: trend_period.map(|period| IndicatorKey::of_close(Kind::Sma { period })).transpose()?,
            handles: None,
            rules,
            previous_rsi: None,
            bars_held: 0,
        })
    }
}

impl Strategy for MeanReversion {
    fn warmup_bars(&self) -> usize {
        self.rsi.lookback().max(self.trend.as_ref().map_or(0, IndicatorKey::lookback))
    }

    fn declare(&mut self, bank: &mut IndicatorBank) {
        self.handles = Some((bank.register(self.rsi), self.trend.map(|key| bank.register(key))));
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        let Some((rsi, trend)) = self.handles else { return };
        let close = ctx.bar().close;
        let trend = trend.map(|sma| ctx.indicator(sma));
        let Some(rsi) = ctx.indicator(rsi) else { return };
        let previous = self.previous_rsi.replace(rsi);
        let rules = self.rules;
        let position = ctx.position();

        if position == 0.0 {
            self.bars_held = 0;
            // Without a filter every direction is allowed; with one, only while its SMA exists.
            let (up, down) = match trend {
                None => (true, true),
                Some(Some(sma)) => (close > sma, close < sma),
                Some(None) => (false, false),
            };
            if rsi < rules.oversold && up {
                ctx.buy(Quantity::ALL_EQUITY);
            } else if rules.allow_short && rsi > rules.overbought && down {
                ctx.sell(Quantity::ALL_EQUITY);
            }
            return;
        }
        self.bars_held += 1;
        let crossed = previous.is_some_and(|before| {
            if position > 0.0 {
                before <= rules.exit_level && rsi > rules.exit_level
            } else {
                before >= rules.exit_level && rsi < rules.exit_level
            }
        });
        if crossed || self.bars_held >= rules.max_hold {
            ctx.close_position();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{flat_bars, signals};
    use gt_indicators::Rsi;
    use gt_model::Side;

    const RULES: Rules =
        Rules { oversold: 30.0, overbought: 70.0, exit_level: 50.0, max_hold: 100, allow_short: false };

    fn rsi_path(closes: &[f64]) -> Vec<Option<f64>> {
        let mut rsi = Rsi::new(2).unwrap();
        closes.iter().map(|&c| rsi.update(c)).collect()
    }

    #[test]
    fn buys_when_oversold_and_exits_when_rsi_crosses_back_above_the_mean() {
        // A fall then a rebound: RSI(2) drops below 30 on bar 3 and is back above 50 on bar 5.
        let closes = [10.0, 11.0, 10.0, 9.0, 9.5, 10.5, 11.0];
        let path = rsi_path(&closes);
        assert!(path[3].unwrap() < 30.0 && path[4].unwrap() <= 50.0 && path[5].unwrap() > 50.0, "{path:?}");
        let got = signals(&mut MeanReversion::new(2, None, RULES).unwrap(), &flat_bars(&closes));
        assert_eq!(got, vec![(3, Side::Buy, false), (5, Side::Sell, true)]);
    }

    #[test]
    fn max_hold_closes_a_trade_that_does_not_revert() {
        // Keeps falling: RSI stays low; with max_hold 2 the long entered at bar 3
        // (filled at bar 4) is closed on its second bar.
        let closes = [10.0, 11.0, 10.0, 9.0, 8.0, 7.0, 6.0];
        let rules = Rules { max_hold: 2, ..RULES };
        let got = signals(&mut MeanReversion::new(2, None, rules).unwrap(), &flat_bars(&closes));
        assert_eq!(got, vec![(3, Side::Buy, false), (5, Side::Sell, true), (6, Side::Buy, false)]);
    }

    #[test]
    fn trend_filter_blocks_longs_below_the_average() {
        let closes = [10.0, 11.0, 10.0, 9.0, 9.5, 10.5, 11.0];
        // SMA(3) on bar 3 is 10 > close 9: the oversold signal is ignored.
        let got = signals(&mut MeanReversion::new(2, Some(3), RULES).unwrap(), &flat_bars(&closes));
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn inconsistent_levels_are_refused() {
        let given = [("oversold".to_owned(), "40".to_owned()), ("exit_level".to_owned(), "35".to_owned())];
        let err = SPEC.build(&SPEC.resolve(&given).unwrap()).err().unwrap().to_string();
        assert!(err.contains("need oversold < exit_level < overbought, got 40 / 35 / 70"), "{err}");
    }
}
