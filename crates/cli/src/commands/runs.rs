//! `gpt-trader runs`: list, show, compare, export and delete recorded runs.

use crate::output::{OutputFormat, format_number};
use anyhow::{Result, anyhow};
use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use gt_analytics::Stats;
use gt_analytics::tearsheet::TearsheetData;
use gt_runner::paths::database_url;
use gt_runner::records::{
    RunSummary, StoredRun, costs_text, created_at, params_text, sort_by_stat, stat, write_trades_csv,
};
use gt_runner::store::{OpenStore, redacted, resolve_run_id};
use gt_store::{RunDetails, RunFilter, RunRecord};
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

/// Options of `gpt-trader runs`.
#[derive(Args, Debug)]
pub struct RunsArgs {
    /// Run store URL [default: $GPT_TRADER_DB, else runs.db in the data folder].
    #[arg(long, value_name = "URL", global = true)]
    db: Option<String>,

    #[command(subcommand)]
    command: RunsCommand,
}

#[derive(Subcommand, Debug)]
enum RunsCommand {
    /// List recorded runs, newest first (or sorted by a statistic).
    #[command(
        after_long_help = "Examples:\n  gpt-trader runs list\n  gpt-trader runs list --strategy demo_ma --since 2026-12-01 --sort sharpe_ratio\n  gpt-trader runs list --symbol AAPL --format json"
    )]
    List {
        /// Only runs of this strategy.
        #[arg(long)]
        strategy: Option<String>,
        /// Only runs trading this symbol.
        #[arg(long)]
        symbol: Option<String>,
        /// Only runs recorded on or after this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        since: Option<NaiveDate>,
        /// Sort by this statistic, best (highest) first, e.g. sharpe_ratio.
        #[arg(long, value_name = "STAT")]
        sort: Option<String>,
        /// A table, or a JSON list of {id, created_at, strategy, symbols, params, stats}.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Show one run: its statistics (table) or everything (JSON).
    #[command(
        after_long_help = "Examples:\n  gpt-trader runs show 01a2346\n  gpt-trader runs show 01a2346 --format json > run.json"
    )]
    Show {
        /// Run id.
        id: String,
        /// A table, or one JSON object with trades and equity.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Compare runs side by side.
    #[command(
        after_long_help = "Examples:\n  gpt-trader runs compare 01a2346 01a2351\n  gpt-trader runs compare 01a2346 01a2351 01a2360 --format json"
    )]
    Compare {
        /// Two or more run ids.
        #[arg(required = true, num_args = 2..)]
        ids: Vec<String>,
        /// A table, or a JSON list of {id, created_at, strategy, symbols, params, stats}.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Export a run: its trades as CSV, or everything as JSON.
    #[command(
        after_long_help = "Examples:\n  gpt-trader runs export 01a2346 --format csv --out trades.csv\n  gpt-trader runs export 01a2346 --format json --out run.json"
    )]
    Export {
        /// Run id.
        id: String,
        /// csv (the trade list) or json (the whole run).
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Write a run's self-contained HTML report.
    #[command(after_long_help = "Examples:\n  gpt-trader runs report 01a2346 report.html")]
    Report {
        /// Run id.
        id: String,
        /// File to write, e.g. report.html.
        out: PathBuf,
    },
    /// Delete a run.
    #[command(after_long_help = "Examples:\n  gpt-trader runs delete 01a2346")]
    Delete {
        /// Run id.
        id: String,
    },
}

/// What `runs export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    /// The trade list as CSV.
    Csv,
    /// The whole run as JSON.
    Json,
}

fn number(value: f64) -> String {
    if value.is_nan() { "—".to_owned() } else { format!("{value:.2}") }
}

/// `gpt-trader runs`.
pub fn run(args: &RunsArgs) -> Result<()> {
    let url = database_url(args.db.as_deref())?;
    match &args.command {
        RunsCommand::List { strategy, symbol, since, sort, format } => {
            let filter = RunFilter {
                strategy: strategy.clone(),
                symbol: symbol.clone(),
                since_ms: since.and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc().timestamp_millis()),
            };
            let mut runs = with_store(&url, async |store| Ok(store.list(&filter).await?))?;
            if let Some(key) = sort {
                sort_by_stat(&mut runs, key)?;
            }
            if *format == OutputFormat::Json {
                outln!("{}", serde_json::to_string(&runs.iter().map(RunSummary::of).collect::<Vec<_>>())?);
                return Ok(());
            }
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            table.set_header([
                "id", "created", "strategy", "params", "costs", "symbols", "return %", "sharpe", "max DD %",
                "trades",
            ]);
            for r in &runs {
                table.add_row([
                    r.id.clone(),
                    created_at(r.created_at_ms),
                    r.run.strategy.clone(),
                    params_text(&r.run.params),
                    costs_text(&r.run.config),
                    r.run.symbols.join(","),
                    number(stat(r, "return_pct")),
                    number(stat(r, "sharpe_ratio")),
                    number(stat(r, "max_drawdown_pct")),
                    r.run.stats.get("trades").map_or_else(String::new, ToString::to_string),
                ]);
            }
            outln!("{table}\n{} run(s) in {}", runs.len(), redacted(&url));
            Ok(())
        }
        RunsCommand::Show { id, format } => {
            let (record, details) = fetch(&url, id)?;
            if *format == OutputFormat::Json {
                outln!("{}", serde_json::to_string(&StoredRun::of(&record, &details))?);
                return Ok(());
            }
            outln!(
                "{} — {} on {} ({})",
                record.id,
                record.run.strategy,
                record.run.symbols.join(", "),
                created_at(record.created_at_ms)
            );
            print_stats(&[&record])
        }
        RunsCommand::Compare { ids, format } => {
            let records: Vec<RunRecord> =
                ids.iter().map(|id| fetch(&url, id).map(|(r, _)| r)).collect::<Result<_>>()?;
            if *format == OutputFormat::Json {
                outln!("{}", serde_json::to_string(&records.iter().map(RunSummary::of).collect::<Vec<_>>())?);
                return Ok(());
            }
            print_stats(&records.iter().collect::<Vec<_>>())
        }
        RunsCommand::Export { id, format, out } => {
            let (record, details) = fetch(&url, id)?;
            match (format, out) {
                (ExportFormat::Json, None) => {
                    outln!("{}", serde_json::to_string(&StoredRun::of(&record, &details))?)
                }
                (ExportFormat::Json, Some(path)) => {
                    std::fs::write(path, serde_json::to_string(&StoredRun::of(&record, &details))?)?
                }
                (ExportFormat::Csv, Some(path)) => {
                    write_trades_csv(std::fs::File::create(path)?, &details.trades)?
                }
                (ExportFormat::Csv, None) => write_trades_csv(std::io::stdout().lock(), &details.trades)?,
            }
            std::io::stdout().flush()?;
            Ok(())
        }
        RunsCommand::Report { id, out } => {
            let (record, details) = fetch(&url, id)?;
            let data: TearsheetData = serde_json::from_value(details.chart)
                .map_err(|_| anyhow!("run {id} was recorded without report data; run the backtest again"))?;
            gt_runner::report::write(out, &format!("Run {} — {}", record.id, record.run.strategy), &data)?;
            outln!("Wrote {}.", out.display());
            Ok(())
        }
        RunsCommand::Delete { id } => {
            let id = with_store(&url, async |store| Ok(resolve_run_id(store, id).await?))?;
            with_store(&url, async |store| Ok(store.delete(&id).await?))?;
            outln!("Deleted run {id}.");
            Ok(())
        }
    }
}

/// The run `id` names (its whole id or a unique start of it).
fn fetch(url: &str, id: &str) -> Result<(RunRecord, RunDetails)> {
    with_store(url, async |store| {
        let id = resolve_run_id(store, id).await?;
        store.get(&id).await?.ok_or_else(|| anyhow!("no run {id} in {}", redacted(url)))
    })
}

/// Statistics of `records` side by side, one column per run.
fn print_stats(records: &[&RunRecord]) -> Result<()> {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(std::iter::once("statistic".to_owned()).chain(records.iter().map(|r| r.id.clone())));
    table.add_row(
        std::iter::once(Cell::new("strategy")).chain(records.iter().map(|r| Cell::new(&r.run.strategy))),
    );
    // The backtest table's rows, labels and number format.
    let rows = ["start", "end"].into_iter().chain(Stats::keys());
    for key in rows {
        let cells = records.iter().map(|r| {
            let text = match r.run.stats.get(key) {
                Some(Value::Number(n)) => n.as_f64().map_or_else(|| n.to_string(), |v| format_number(key, v)),
                Some(Value::String(s)) => s.clone(),
                _ => "—".to_owned(),
            };
            Cell::new(text).set_alignment(CellAlignment::Right)
        });
        table.add_row(std::iter::once(Cell::new(gt_analytics::label(key))).chain(cells));
    }
    outln!("{table}");
    Ok(())
}

/// Runs `work` against the store at `url`.
fn with_store<T>(url: &str, work: impl AsyncFnOnce(&gt_store::Store) -> Result<T>) -> Result<T> {
    OpenStore::open(url)?.block_on(work)
}
