//! `gpt-trader backtest`.

use crate::commands::run_spec::{RunSpecArgs, prepare_on};
use crate::commands::shadow_args::{self, ShadowArgs};
use crate::output::{self, OutputFormat};
use anyhow::{Context, Result, bail};
use clap::Args;
use gt_runner::outcome::{report_of, time_format_of};
use gt_runner::records::{RunRequest, stored_run, write_csv};
use gt_runner::shadow::follow_backtest;
use gt_runner::{PreparedRun, paths};
use std::path::PathBuf;
use std::time::Instant;

/// Options of `gpt-trader backtest`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples:
  gpt-trader backtest
  gpt-trader backtest --data prices.csv --param fast=10 --param slow=30 \\
      --commission 0.001
  gpt-trader backtest --universe sample --strategy trend_breakout \\
      --max-position-pct 25 --stop-loss-pct 8
  gpt-trader backtest --symbols AAPL,MSFT --max-drawdown-pct 20 \\
      --format json > run.json
  gpt-trader backtest --trades-out trades.csv --equity-out equity.csv

The CSV layout is backtesting.py's: a date or date-time first column (header may
be empty), then Open, High, Low, Close and optionally Volume (any case, any order).
An order decided on a bar fills at the next bar's open (or, with --trade-on-close,
at the deciding bar's close). With several symbols the strategy runs on each, on
one merged timeline, sharing one account: each instance sizes against an equal
share of equity, and every order passes the risk checks.")]
pub struct BacktestArgs {
    #[command(flatten)]
    spec: RunSpecArgs,

    /// Output: a readable table (default), or one JSON object
    /// {stats, trades, equity, cancelled_orders, risk, attribution, rebalances}.
    #[arg(long, value_enum)]
    format: Option<OutputFormat>,

    /// Run store: sqlite://FILE or postgres://USER@HOST:PORT/DB [default: $GPT_TRADER_DB, else
    /// runs.db in the data folder ($GPT_TRADER_DATA or ~/.local/share/gpt-trader)].
    #[arg(long, value_name = "URL")]
    db: Option<String>,

    /// Do not record this run in the run store.
    #[arg(long)]
    no_save: bool,

    /// Also write a self-contained HTML report (charts, monthly returns, statistics, trades).
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,

    /// Also write the trade list to this CSV file.
    #[arg(long, value_name = "FILE.csv")]
    trades_out: Option<PathBuf>,

    /// Also write the equity curve (with drawdown) to this CSV file.
    #[arg(long, value_name = "FILE.csv")]
    equity_out: Option<PathBuf>,

    #[command(flatten)]
    shadows: ShadowArgs,
}

/// `gpt-trader backtest`.
pub fn run(args: &BacktestArgs) -> Result<()> {
    // ml_signal's model comes from the store this command names.
    if let Some(db) = &args.db {
        gt_runner::strategy_source::read_models_from(db);
    }
    let spec = args.spec.spec()?;
    let format_choice = match (args.format, spec.output.format.as_deref()) {
        (Some(format), _) => format,
        (None, None | Some("table")) => OutputFormat::Table,
        (None, Some("json")) => OutputFormat::Json,
        (None, Some(other)) => bail!("output.format = {other:?}: use table or json"),
    };
    let trades_out = args.trades_out.clone().or_else(|| spec.output.trades_out.clone());
    let equity_out = args.equity_out.clone().or_else(|| spec.output.equity_out.clone());
    // Everything that could keep the results from being kept is checked
    // first: a run that cannot be written fails at once and records nothing.
    let store = crate::output::open_store_unless(args.no_save, args.db.as_deref())?;
    for (path, what) in
        [(&args.report, "--report"), (&trades_out, "--trades-out"), (&equity_out, "--equity-out")]
    {
        if let Some(path) = path {
            paths::check_writable(path, what)?;
        }
    }
    let started = Instant::now();
    let mut prepared = prepare_on(&spec, crate::commands::data_args::load(&spec.data)?)?;
    for warning in prepared.warm_up_warnings() {
        eprintln!("{warning}");
    }
    let shadows = shadow_args::shadows(args.shadows.or_file(&spec.shadows), &prepared)?;
    let only_stats = args.report.is_none() && trades_out.is_none() && equity_out.is_none();
    if store.is_none() && only_stats && shadows.is_empty() && format_choice == OutputFormat::Table {
        // Only the statistics are shown: no equity curve is kept, it is folded into them.
        let (result, stats) = prepared.run_for_stats();
        for note in gt_runner::kill_switch::demotion_notes(time_format_of(&prepared.series)) {
            eprintln!("{note}");
        }
        return output::print_table(&stats, &result, time_format_of(&prepared.series), &prepared.title);
    }
    let result = prepared.run();
    let PreparedRun { series, title, config, .. } = prepared;
    for note in gt_runner::kill_switch::demotion_notes(time_format_of(&series)) {
        eprintln!("{note}");
    }
    let (shadow_summaries, shadow_rows) = follow_backtest(shadows, &series, config.initial_cash);
    let format = time_format_of(&series);
    let report = report_of(&series, &result);
    // The charts' data, only when a report or the store will keep it.
    let chart = if args.report.is_some() || store.is_some() {
        Some(gt_runner::report::chart_data(&series, &result, &report, &title)?)
    } else {
        None
    };
    if let (Some(path), Some(chart)) = (&args.report, &chart) {
        gt_runner::report::write(path, &title, chart)?;
    }
    if let Some(path) = &trades_out {
        write_csv(path, &report.trades).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &equity_out {
        write_csv(path, &report.equity).with_context(|| format!("writing {}", path.display()))?;
    }
    // Recorded last, once every output is written.
    let run_id = match (&store, &chart) {
        (Some(store), Some(chart)) => {
            let run_file = args.spec.base.config.as_ref().and_then(|path| std::fs::read_to_string(path).ok());
            let request = RunRequest {
                kind: "backtest",
                title: &title,
                params: &args.spec.params,
                config: serde_json::json!({
                    "args": std::env::args().skip(1).collect::<Vec<_>>(),
                    "run_file": run_file,
                    "spec": spec,
                }),
                elapsed: started.elapsed(),
            };
            let (run, details) = stored_run(&request, &series, &result, &report, chart)?;
            let id = store.save(&run, &details)?;
            store.block_on(async |store| store.journal_shadow(&format!("run:{id}"), &shadow_rows).await)?;
            Some(id)
        }
        _ => None,
    };
    match format_choice {
        OutputFormat::Json => {
            output::print_json(&report, &result, format, run_id.as_deref(), &shadow_summaries)?
        }
        OutputFormat::Table => {
            output::print_table(&report.stats, &result, format, &title)?;
            if let Some(id) = &run_id {
                eprintln!("Saved as run {id} (gpt-trader runs show {id}).");
            }
        }
    }
    let compare = run_id.as_ref().map(|id| format!("--run {id}"));
    shadow_args::print_summaries(&shadow_summaries, compare.as_deref());
    Ok(())
}
