//! `gpt-trader compare`: several strategies on the same bars, side by side, with buy & hold.

use crate::commands::data_args::{DataArgs, WindowArgs};
use crate::commands::run_args::{ExecutionArgs, RiskArgs, as_option_error, parse_key_value};
use crate::output::OutputFormat;
use anyhow::Result;
use clap::Args;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use gt_analytics::Stats;
use gt_runner::RunSpec;
use gt_runner::compare::{compare, entries};

/// Options of `gpt-trader compare`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples:
  gpt-trader compare
  gpt-trader compare --strategy demo_ma --strategy momentum \\
      --param demo_ma.fast=5 --commission 0.001
  gpt-trader compare --data prices.csv --format json")]
pub struct CompareArgs {
    #[command(flatten)]
    data: DataArgs,

    #[command(flatten)]
    window: WindowArgs,

    /// Strategy to include; repeat for several (default: every built-in strategy).
    #[arg(long = "strategy", value_name = "NAME")]
    strategies: Vec<String>,

    /// Parameter for one strategy as STRATEGY.KEY=VALUE (e.g. demo_ma.fast=5); repeat for several.
    #[arg(long = "param", value_name = "STRATEGY.KEY=VALUE", value_parser = parse_key_value)]
    params: Vec<(String, String)>,

    #[command(flatten)]
    execution: ExecutionArgs,

    #[command(flatten)]
    risk: RiskArgs,

    /// A readable table, or a JSON list of {strategy, stats}.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// A column of the comparison table: its title and how to read it from the statistics.
type Column = (&'static str, fn(&Stats) -> f64);

/// The comparison table's columns.
const COLUMNS: [Column; 9] = [
    ("Return [%]", |s| s.return_pct),
    ("Return (Ann.) [%]", |s| s.return_ann_pct),
    ("Volatility (Ann.) [%]", |s| s.volatility_ann_pct),
    ("Sharpe", |s| s.sharpe_ratio),
    ("Sortino", |s| s.sortino_ratio),
    ("Max. DD [%]", |s| s.max_drawdown_pct),
    ("# Trades", |s| s.trades as f64),
    ("Win Rate [%]", |s| s.win_rate_pct),
    ("Exposure [%]", |s| s.exposure_time_pct),
];

/// `gpt-trader compare`.
pub fn run(args: &CompareArgs) -> Result<()> {
    let mut spec = RunSpec::default();
    args.window.overlay(&mut spec.data);
    gt_runner::window::Window::of(&spec.data).map_err(as_option_error)?;
    args.execution.overlay(&mut spec.execution);
    args.risk.overlay(&mut spec.risk);
    // Settings and strategies are checked before any bars are read.
    gt_runner::SharedRun::new(&spec, Vec::new()).map_err(as_option_error)?;
    let entries = entries(&args.strategies, &args.params)?;
    let series = args.data.load()?;
    let symbols: Vec<String> = series.iter().map(|s| s.symbol().to_string()).collect();
    let rows = compare(&spec, series, &entries).map_err(as_option_error)?;

    if args.format == OutputFormat::Json {
        outln!("{}", serde_json::to_string(&rows)?);
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(std::iter::once("strategy").chain(COLUMNS.iter().map(|(name, _)| *name)));
    for row in &rows {
        let cells = COLUMNS.iter().map(|(name, value)| {
            let v = value(&row.stats);
            let text = match (v.is_nan(), *name == "# Trades") {
                (true, _) => "—".to_owned(),
                (false, true) => format!("{v:.0}"),
                (false, false) => format!("{v:.2}"),
            };
            Cell::new(text).set_alignment(CellAlignment::Right)
        });
        table.add_row(std::iter::once(Cell::new(&row.strategy)).chain(cells));
    }
    outln!("{} from {} to {}", symbols.join(", "), rows[0].stats.start, rows[0].stats.end);
    outln!("{table}");
    Ok(())
}
