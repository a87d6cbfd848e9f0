//! Rendering reports: the stats table, the JSON object and CSV files.

use anyhow::Result;
use clap::ValueEnum;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use gt_analytics::Report;
use gt_engine::BacktestResult;
use gt_model::{Symbol, TimeFormat};
use gt_runner::records::RunReport;
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// How a command prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A readable table.
    Table,
    /// One JSON object on stdout, nothing else.
    Json,
}

/// Prints the JSON report on stdout, nothing else.
pub fn print_json(
    report: &Report,
    result: &BacktestResult,
    format: TimeFormat,
    run_id: Option<&str>,
) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &RunReport::new(report, result, format, run_id))?;
    writeln!(stdout)?;
    Ok(())
}

/// The label backtesting.py prints for a statistic, with its unit.
fn label(key: &str) -> &'static str {
    match key {
        "duration_days" => "Duration [days]",
        "exposure_time_pct" => "Exposure Time [%]",
        "equity_final" => "Equity Final [$]",
        "equity_peak" => "Equity Peak [$]",
        "commissions" => "Commissions [$]",
        "return_pct" => "Return [%]",
        "buy_hold_return_pct" => "Buy & Hold Return [%]",
        "return_ann_pct" => "Return (Ann.) [%]",
        "volatility_ann_pct" => "Volatility (Ann.) [%]",
        "cagr_pct" => "CAGR [%]",
        "sharpe_ratio" => "Sharpe Ratio",
        "sortino_ratio" => "Sortino Ratio",
        "calmar_ratio" => "Calmar Ratio",
        "alpha_pct" => "Alpha [%]",
        "beta" => "Beta",
        "max_drawdown_pct" => "Max. Drawdown [%]",
        "avg_drawdown_pct" => "Avg. Drawdown [%]",
        "max_drawdown_duration_days" => "Max. Drawdown Duration [days]",
        "avg_drawdown_duration_days" => "Avg. Drawdown Duration [days]",
        "trades" => "# Trades",
        "win_rate_pct" => "Win Rate [%]",
        "best_trade_pct" => "Best Trade [%]",
        "worst_trade_pct" => "Worst Trade [%]",
        "avg_trade_pct" => "Avg. Trade [%]",
        "max_trade_duration_days" => "Max. Trade Duration [days]",
        "avg_trade_duration_days" => "Avg. Trade Duration [days]",
        "profit_factor" => "Profit Factor",
        "expectancy_pct" => "Expectancy [%]",
        "sqn" => "SQN",
        "kelly_criterion" => "Kelly Criterion",
        _ => "?",
    }
}

fn format_number(key: &str, value: f64) -> String {
    if value.is_nan() {
        "—".to_owned()
    } else if key == "trades" || key.ends_with("_days") && value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.6}")
    }
}

/// Prints the statistics table, then notes on what is still open, cancelled, refused or halted.
pub fn print_table(
    report: &Report,
    result: &BacktestResult,
    format: TimeFormat,
    strategy: &str,
) -> Result<()> {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let symbols: Vec<&str> = result.symbols.iter().map(Symbol::as_str).collect();
    table.set_header(vec![format!("{strategy} on {}", symbols.join(", ")), String::new()]);
    let stats = &report.stats;
    table.add_row(vec![Cell::new("Start"), Cell::new(&stats.start).set_alignment(CellAlignment::Right)]);
    table.add_row(vec![Cell::new("End"), Cell::new(&stats.end).set_alignment(CellAlignment::Right)]);
    for (key, value) in stats.numbers() {
        table.add_row(vec![
            Cell::new(label(key)),
            Cell::new(format_number(key, value)).set_alignment(CellAlignment::Right),
        ]);
    }
    outln!("{table}");
    for symbol in &result.symbols {
        let held = result.open_position(symbol);
        if held != 0.0 {
            outln!(
                "Note: {held} units of {symbol} are still open at the end and not counted as a trade (use --finalize-trades to close them)."
            );
        }
    }
    if let Some(first) = result.cancellations.first() {
        outln!(
            "Note: the exchange cancelled {} order(s); the first on {}: {} (all are listed with --format json).",
            result.cancellations.len(),
            first.ts.display(format),
            first.reason
        );
    }
    if let Some(first) = result.refusals.first() {
        outln!(
            "Note: the risk engine refused {} order(s); the first on {} ({}): {}.",
            result.refusals.len(),
            first.ts.display(format),
            first.symbol,
            first.refusal
        );
    }
    if let Some(halt) = &result.halt {
        outln!("Note: trading halted on {}: {}.", halt.ts.display(format), halt.reason);
    }
    Ok(())
}

/// Writes `rows` as CSV with a header row.
pub fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    let mut writer = csv::Writer::from_path(path)?;
    for row in rows {
        writer.serialize(row)?;
    }
    writer.flush()?;
    Ok(())
}
