//! A broker session's whole history, rebuilt from its journal: every live
//! step of every run (time, bars, the account's equity) and every fill, so
//! that statistics and reports cover the session since it began, not only
//! the run since its last restart.

use gt_engine::{BacktestResult, OpenLotAtEnd};
use gt_model::{Bar, BarSeries, Fill, OrderId, Portfolio, Side, StrategyId, Symbol, Timestamp};
use gt_store::{FillRecord, StepRecord};
use std::collections::HashMap;

/// What a session's journal says of its whole life.
pub struct WholeSession {
    /// Every live step's time.
    pub timeline: Vec<Timestamp>,
    /// The account's equity after each step.
    pub equity: Vec<f64>,
    /// Each symbol's bars at those steps.
    pub bars: Vec<BarSeries>,
    /// The journaled fills, placed at the step they arrived in.
    pub fills: Vec<Fill>,
    /// The trades those fills closed, first-in first-out.
    pub trades: Vec<gt_model::Trade>,
    /// What is still open, marked at the last close.
    pub open_lots: Vec<OpenLotAtEnd>,
}

impl WholeSession {
    /// Rebuilds the session of `symbols` from its journaled `steps` (in time
    /// order) and `fills` (in time order, and in order of placement within
    /// a step); a position belongs to the sleeve `owners` names for its symbol.
    pub fn rebuild(
        symbols: &[Symbol],
        steps: &[StepRecord],
        fills: &[FillRecord],
        owners: &HashMap<Symbol, StrategyId>,
    ) -> Self {
        let timeline: Vec<Timestamp> = steps.iter().map(|s| Timestamp::from_nanos(s.ts)).collect();
        let mut bars: Vec<BarSeries> =
            symbols.iter().map(|s| BarSeries::with_capacity(s.clone(), steps.len())).collect();
        for step in steps {
            for (series, symbol) in bars.iter_mut().zip(symbols) {
                if let Some(bar) = bar_of(&step.bars[symbol.as_str()], step.ts) {
                    series.push(bar);
                }
            }
        }
        let mut portfolio = Portfolio::new(0.0);
        let slots: Vec<usize> = symbols.iter().map(|s| portfolio.slot(s)).collect();
        let mut booked = Vec::with_capacity(fills.len());
        for record in fills {
            let Some(symbol) = symbols.iter().position(|s| s.as_str() == record.symbol) else { continue };
            let (Ok(quantity), Ok(price)) = (record.qty.parse::<f64>(), record.price.parse::<f64>()) else {
                continue;
            };
            let ts = Timestamp::from_nanos(record.ts_ms.saturating_mul(1_000_000));
            let arrived = timeline.partition_point(|t| *t < ts).min(timeline.len().saturating_sub(1));
            let fill = Fill {
                order_id: OrderId(booked.len() as u64),
                symbol: symbols[symbol].clone(),
                side: if record.side == "buy" { Side::Buy } else { Side::Sell },
                quantity,
                price,
                commission: 0.0,
                bar_index: arrived,
                ts: timeline.get(arrived).copied().unwrap_or(ts),
                strategy: owners.get(&symbols[symbol]).cloned(),
            };
            portfolio.apply_fill(slots[symbol], &fill);
            booked.push(fill);
        }
        for (series, &slot) in bars.iter().zip(&slots) {
            if let Some(&close) = series.closes().last() {
                portfolio.set_mark(slot, close);
            }
        }
        let open_lots = OpenLotAtEnd::all_in(&portfolio, &slots);
        Self {
            equity: steps.iter().map(|s| s.equity).collect(),
            timeline,
            bars,
            trades: portfolio.closed_trades().to_vec(),
            fills: booked,
            open_lots,
        }
    }

    /// `run` (the latest run of the session) with its curve, trades, fills
    /// and open lots replaced by the whole session's; its orders, refusals,
    /// cancellations and halt stay the run's own. A session with no journaled
    /// step yet keeps `run` as it is.
    pub fn over(self, mut run: BacktestResult) -> (BacktestResult, Option<Vec<BarSeries>>) {
        if self.timeline.is_empty() {
            return (run, None);
        }
        run.timeline = self.timeline;
        run.equity = self.equity;
        run.trades = self.trades;
        run.fills = self.fills;
        run.open_lots = self.open_lots;
        run.warmup_bars = 0;
        run.bankrupt_at = None;
        (run, Some(self.bars))
    }
}

/// A journaled `[open, high, low, close, volume]` at `ts`.
fn bar_of(value: &serde_json::Value, ts: i64) -> Option<Bar> {
    let numbers: Vec<f64> = value.as_array()?.iter().filter_map(serde_json::Value::as_f64).collect();
    let &[open, high, low, close, volume] = numbers.as_slice() else { return None };
    Some(Bar { ts: Timestamp::from_nanos(ts), open, high, low, close, volume })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(minute: i64, close: f64, equity: f64) -> StepRecord {
        StepRecord {
            ts: minute * 60_000_000_000,
            equity,
            bars: serde_json::json!({"AAPL": [close, close, close, close, 100.0]}),
        }
    }

    fn fill(minute: i64, side: &str, qty: &str, price: &str, id: &str) -> FillRecord {
        FillRecord {
            fill_id: id.to_owned(),
            client_order_id: id.to_owned(),
            symbol: "AAPL".to_owned(),
            side: side.to_owned(),
            qty: qty.to_owned(),
            price: price.to_owned(),
            ts_ms: minute * 60_000,
        }
    }

    #[test]
    fn a_reversal_across_two_runs_is_two_trades_and_the_curve_is_the_journals() {
        let symbols = [Symbol::new("AAPL")];
        // Run 1: minutes 1-3; run 2 (after a restart): minutes 10-12.
        let steps =
            [step(1, 10.0, 1000.0), step(2, 11.0, 1010.0), step(3, 12.0, 1020.0), step(10, 12.0, 1020.0)];
        let fills = [
            fill(1, "buy", "10", "10", "a"),
            fill(3, "sell", "10", "12", "b"),  // closes the long...
            fill(3, "sell", "5", "12", "c"),   // ...and opens a short, same step
            fill(10, "buy", "5", "12.5", "d"), // closed in the second run
        ];
        let owners = HashMap::from([(Symbol::new("AAPL"), StrategyId::new("demo_ma"))]);
        let whole = WholeSession::rebuild(&symbols, &steps, &fills, &owners);
        assert_eq!(whole.equity, [1000.0, 1010.0, 1020.0, 1020.0]);
        assert_eq!(whole.bars[0].closes(), [10.0, 11.0, 12.0, 12.0]);
        let trades: Vec<(f64, usize, usize, f64)> =
            whole.trades.iter().map(|t| (t.size, t.entry_bar, t.exit_bar, t.pnl())).collect();
        assert_eq!(trades, [(10.0, 0, 2, 20.0), (-5.0, 2, 3, -2.5)]);
        assert_eq!(whole.trades[0].strategy, Some(StrategyId::new("demo_ma")));
        assert!(whole.open_lots.is_empty());
    }
}
