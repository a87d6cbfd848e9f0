//! A strategy of your own in a few lines: buy a 50-day high while the close is
//! above its 200-day average, sell on a 20-day low. Run it with
//! `cargo run --release --example custom_strategy`.

use gpt_trader::prelude::*;

/// Channel breakout with a trend filter; the channels exclude the current bar.
struct TrendFilteredBreakout {
    entry: Max,
    exit: Min,
    trend: Sma,
    previous: Option<(f64, f64)>,
}

impl Strategy for TrendFilteredBreakout {
    fn warmup_bars(&self) -> usize {
        self.trend.lookback()
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        let bar = *ctx.bar();
        let trend = self.trend.update(bar.close);
        let channels = self.entry.update(bar.high).zip(self.exit.update(bar.low));
        let Some((high, low)) = std::mem::replace(&mut self.previous, channels) else { return };
        if ctx.position() == 0.0 && bar.close > high && trend.is_some_and(|sma| bar.close > sma) {
            ctx.buy(Quantity::ALL_EQUITY);
        } else if ctx.position() > 0.0 && bar.close < low {
            ctx.close_position();
        }
    }
}

/// Backtests the strategy on the bundled GOOG sample with 0.1 % commission.
pub fn run() -> Result<Stats, Box<dyn std::error::Error>> {
    let bars = sample::goog()?;
    let strategy = TrendFilteredBreakout {
        entry: Max::new(50)?,
        exit: Min::new(20)?,
        trend: Sma::new(200)?,
        previous: None,
    };
    let exchange = ExchangeConfig { costs: CostModel::new(0.001, 0.0, 0.0)?, ..ExchangeConfig::default() };
    let config = EngineConfig { finalize_trades: true, ..EngineConfig::with_cash(10_000.0) };
    let result = backtest(&bars, Box::new(strategy), config, exchange);
    Ok(compute_stats(&StatsInput {
        timestamps: bars.timestamps(),
        equity: &result.equity,
        closes: bars.closes(),
        trades: &result.trades,
        first_trading_bar: result.warmup_bars,
        time_format: bars.time_format(),
    }))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stats = run()?;
    println!("{} trades, return {:.2} %, Sharpe {:.2}", stats.trades, stats.return_pct, stats.sharpe_ratio);
    Ok(())
}
