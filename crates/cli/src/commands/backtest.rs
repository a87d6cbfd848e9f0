//! `gpt-trader backtest`.

use crate::commands::data_args::DataArgs;
use crate::output::{self, OutputFormat};
use anyhow::{Context, Result, bail};
use clap::Args;
use gt_analytics::{Report, StatsInput, compute_stats};
use gt_engine::{BacktestResult, EngineConfig, backtest};
use gt_execution::{CostModel, ExchangeConfig};
use gt_model::BarSeries;
use gt_strategy::registry;
use std::path::PathBuf;

/// Options of `gpt-trader backtest`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples:
  gpt-trader backtest
  gpt-trader backtest --data prices.csv --param fast=10 --param slow=30 --commission 0.001
  gpt-trader backtest --format json > run.json
  gpt-trader backtest --trades-out trades.csv --equity-out equity.csv

The CSV layout is backtesting.py's: a date or date-time first column (header may
be empty), then Open, High, Low, Close and optionally Volume (any case, any order).
An order decided on a bar fills at the next bar's open (or, with --trade-on-close,
at the deciding bar's close).")]
pub struct BacktestArgs {
    #[command(flatten)]
    data: DataArgs,

    /// Strategy to run.
    #[arg(long, default_value = "demo_ma")]
    strategy: String,

    /// Strategy parameter as key=value; repeat for several (e.g. --param fast=10 --param slow=20).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    params: Vec<(String, String)>,

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

    /// Output: a readable table, or one JSON object {stats, trades, equity, cancelled_orders}.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,

    /// Also write the trade list to this CSV file.
    #[arg(long, value_name = "FILE.csv")]
    trades_out: Option<PathBuf>,

    /// Also write the equity curve (with drawdown) to this CSV file.
    #[arg(long, value_name = "FILE.csv")]
    equity_out: Option<PathBuf>,
}

fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.trim().to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

/// Runs the backtest the arguments describe.
pub fn execute(args: &BacktestArgs) -> Result<(BarSeries, BacktestResult)> {
    if !(args.cash.is_finite() && args.cash > 0.0) {
        bail!("--cash must be a positive amount, got {}", args.cash);
    }
    let spec = registry::find(&args.strategy)?;
    let params = spec.resolve(&args.params)?;
    let mut strategy = spec.build(&params)?;
    let costs = CostModel::new(args.commission, args.commission_fixed, args.slippage_bps)?;
    let bars = args.data.load()?;
    let exchange =
        ExchangeConfig { costs, trade_on_close: args.trade_on_close, fractional_units: args.fractional };
    let config = EngineConfig { initial_cash: args.cash, finalize_trades: args.finalize_trades };
    let result = backtest(&bars, strategy.as_mut(), config, exchange);
    Ok((bars, result))
}

/// `gpt-trader backtest`.
pub fn run(args: &BacktestArgs) -> Result<()> {
    let (bars, result) = execute(args)?;
    let stats = compute_stats(&StatsInput {
        timestamps: bars.timestamps(),
        equity: &result.equity,
        closes: bars.closes(),
        trades: &result.trades,
        first_trading_bar: result.warmup_bars,
        time_format: bars.time_format(),
    });
    let report = Report::new(stats, &result.trades, bars.timestamps(), &result.equity, bars.time_format());
    if let Some(path) = &args.trades_out {
        output::write_csv(path, &report.trades).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.equity_out {
        output::write_csv(path, &report.equity).with_context(|| format!("writing {}", path.display()))?;
    }
    match args.format {
        OutputFormat::Json => output::print_json(&report, &result, bars.time_format()),
        OutputFormat::Table => {
            output::print_table(&report, &result, &bars, &args.strategy);
            Ok(())
        }
    }
}
