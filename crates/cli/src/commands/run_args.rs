//! Options shared by commands that run backtests: money, costs and fill timing.

use anyhow::{Result, bail};
use clap::Args;
use gt_analytics::{Stats, StatsInput, compute_stats};
use gt_engine::{BacktestResult, EngineConfig};
use gt_execution::{CostModel, ExchangeConfig};
use gt_model::BarSeries;

/// How a backtest is run: starting cash, costs, fill timing.
#[derive(Args, Debug)]
pub struct ExecutionArgs {
    /// Starting cash.
    #[arg(long, default_value_t = 10_000.0)]
    cash: f64,

    /// Commission as a fraction of traded value per fill (0.002 = 0.2 %).
    #[arg(long, default_value_t = 0.0)]
    commission: f64,

    /// Fixed fee per order, in cash, on top of --commission.
    #[arg(long, default_value_t = 0.0, value_name = "CASH")]
    commission_fixed: f64,

    /// Slippage in basis points, against the trader on every fill.
    #[arg(long, default_value_t = 0.0, value_name = "BPS")]
    slippage_bps: f64,

    /// Fill market orders at the close of the bar they are decided on.
    #[arg(long)]
    trade_on_close: bool,

    /// Close open trades at the last bar so they count in the statistics.
    #[arg(long)]
    finalize_trades: bool,

    /// Allow fractional units (whole units by default).
    #[arg(long)]
    fractional: bool,
}

impl ExecutionArgs {
    /// The validated engine and exchange settings.
    pub fn configs(&self) -> Result<(EngineConfig, ExchangeConfig)> {
        if !(self.cash.is_finite() && self.cash > 0.0) {
            bail!("--cash must be a positive amount, got {}", self.cash);
        }
        let costs = CostModel::new(self.commission, self.commission_fixed, self.slippage_bps)?;
        Ok((
            EngineConfig { initial_cash: self.cash, finalize_trades: self.finalize_trades },
            ExchangeConfig { costs, trade_on_close: self.trade_on_close, fractional_units: self.fractional },
        ))
    }
}

/// Parses a repeated `KEY=VALUE` option.
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.trim().to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

/// The statistics of `result`, a run over `bars`.
pub fn stats_of(bars: &BarSeries, result: &BacktestResult) -> Stats {
    compute_stats(&StatsInput {
        timestamps: bars.timestamps(),
        equity: &result.equity,
        closes: bars.closes(),
        trades: &result.trades,
        first_trading_bar: result.warmup_bars,
        time_format: bars.time_format(),
    })
}
