//! `gpt-trader backtest`.

use crate::commands::data_args::DataArgs;
use crate::commands::run_args::{ExecutionArgs, parse_key_value, stats_of};
use crate::output::{self, OutputFormat};
use anyhow::{Context, Result};
use clap::Args;
use gt_analytics::Report;
use gt_engine::{BacktestResult, backtest};
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

    #[command(flatten)]
    execution: ExecutionArgs,

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

/// Runs the backtest the arguments describe.
pub fn execute(args: &BacktestArgs) -> Result<(BarSeries, BacktestResult)> {
    let (config, exchange) = args.execution.configs()?;
    let spec = registry::find(&args.strategy)?;
    let params = spec.resolve(&args.params)?;
    let mut strategy = spec.build(&params)?;
    let bars = args.data.load()?;
    let result = backtest(&bars, strategy.as_mut(), config, exchange);
    Ok((bars, result))
}

/// `gpt-trader backtest`.
pub fn run(args: &BacktestArgs) -> Result<()> {
    let (bars, result) = execute(args)?;
    let stats = stats_of(&bars, &result);
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
