//! Who made the money: profit, trades and time in the market per strategy and per symbol.

use gt_model::{StrategyId, Symbol, Trade};
use serde::Serialize;
use std::collections::BTreeMap;

/// A lot still open at the end of a run, as attribution needs it.
pub struct OpenExposure<'a> {
    /// Instrument.
    pub symbol: &'a Symbol,
    /// Strategy that opened it.
    pub strategy: Option<&'a StrategyId>,
    /// Profit if closed at the last close.
    pub unrealized_pnl: f64,
    /// Step of its entry.
    pub entry_bar: usize,
}

/// One strategy's or one symbol's share of a run.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Slice {
    /// Closed trades' profit plus open lots' unrealized profit.
    pub pnl: f64,
    /// Closed trades.
    pub trades: usize,
    /// Share of steps with a trade or lot of this slice open, in percent.
    pub exposure_time_pct: f64,
}

/// Profit, trades and exposure by strategy and by symbol.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Attribution {
    /// Keyed by strategy name (`"unassigned"` for orders no strategy placed, e.g. liquidation).
    pub by_strategy: BTreeMap<String, Slice>,
    /// Keyed by symbol.
    pub by_symbol: BTreeMap<String, Slice>,
}

/// Splits a run's results over strategies and symbols; `steps` is the length of the timeline.
pub fn attribute(trades: &[Trade], open: &[OpenExposure<'_>], steps: usize) -> Attribution {
    let mut exposure: BTreeMap<(bool, String), Vec<bool>> = BTreeMap::new();
    let mut attribution = Attribution::default();
    let strategy_name = |s: Option<&StrategyId>| s.map_or("unassigned".to_owned(), |s| s.to_string());
    let mut mark = |key: (bool, String), from: usize, to: usize| {
        let flags = exposure.entry(key).or_insert_with(|| vec![false; steps]);
        for flag in flags.iter_mut().take(to.min(steps.saturating_sub(1)) + 1).skip(from) {
            *flag = true;
        }
    };
    for trade in trades {
        let strategy = strategy_name(trade.strategy.as_ref());
        for (by_symbol, key) in [(false, strategy), (true, trade.symbol.to_string())] {
            let slice = if by_symbol { &mut attribution.by_symbol } else { &mut attribution.by_strategy };
            let entry = slice.entry(key.clone()).or_default();
            entry.pnl += trade.pnl();
            entry.trades += 1;
            mark((by_symbol, key), trade.entry_bar, trade.exit_bar);
        }
    }
    for lot in open {
        let strategy = strategy_name(lot.strategy);
        for (by_symbol, key) in [(false, strategy), (true, lot.symbol.to_string())] {
            let slice = if by_symbol { &mut attribution.by_symbol } else { &mut attribution.by_strategy };
            slice.entry(key.clone()).or_default().pnl += lot.unrealized_pnl;
            mark((by_symbol, key), lot.entry_bar, steps);
        }
    }
    for ((by_symbol, key), flags) in exposure {
        let slice = if by_symbol { &mut attribution.by_symbol } else { &mut attribution.by_strategy };
        if let Some(entry) = slice.get_mut(&key) {
            entry.exposure_time_pct =
                flags.iter().filter(|f| **f).count() as f64 * 100.0 / steps.max(1) as f64;
        }
    }
    attribution
}

#[cfg(test)]
mod tests {
    use super::*;
    use gt_model::Timestamp;

    fn trade(symbol: &str, strategy: &str, entry: usize, exit: usize, pnl: f64) -> Trade {
        Trade {
            symbol: Symbol::new(symbol),
            size: 1.0,
            entry_bar: entry,
            exit_bar: exit,
            entry_time: Timestamp::from_nanos(0),
            exit_time: Timestamp::from_nanos(0),
            entry_price: 100.0,
            exit_price: 100.0 + pnl,
            commission: 0.0,
            strategy: Some(StrategyId::new(strategy)),
        }
    }

    #[test]
    fn profit_trades_and_exposure_add_up_per_strategy_and_symbol() {
        let trades = [trade("A", "s1", 0, 1, 5.0), trade("B", "s1", 1, 2, -2.0), trade("A", "s2", 5, 6, 1.0)];
        let (symbol, strategy) = (Symbol::new("B"), StrategyId::new("s2"));
        let open =
            [OpenExposure { symbol: &symbol, strategy: Some(&strategy), unrealized_pnl: 3.0, entry_bar: 8 }];
        let result = attribute(&trades, &open, 10);
        assert_eq!(result.by_strategy["s1"], Slice { pnl: 3.0, trades: 2, exposure_time_pct: 30.0 });
        assert_eq!(result.by_strategy["s2"], Slice { pnl: 4.0, trades: 1, exposure_time_pct: 40.0 });
        assert_eq!(result.by_symbol["A"], Slice { pnl: 6.0, trades: 2, exposure_time_pct: 40.0 });
        assert_eq!(result.by_symbol["B"], Slice { pnl: 1.0, trades: 1, exposure_time_pct: 40.0 });
    }
}
