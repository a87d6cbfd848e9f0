//! Rendering reports: the stats table, the JSON object and CSV files.

use anyhow::Result;
use clap::ValueEnum;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use gt_analytics::Report;
use gt_engine::BacktestResult;
use gt_model::{BarSeries, Symbol, TimeFormat};
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

/// A cancelled order as reported.
#[derive(Serialize)]
struct CancelledOrder {
    time: String,
    symbol: Symbol,
    side: gt_model::Side,
    code: &'static str,
    detail: String,
}

/// Prints `{"stats", "trades", "equity", "cancelled_orders"}` on stdout.
pub fn print_json(report: &Report, result: &BacktestResult, format: TimeFormat) -> Result<()> {
    #[derive(Serialize)]
    struct Output<'a> {
        #[serde(flatten)]
        report: &'a Report,
        cancelled_orders: Vec<CancelledOrder>,
    }
    let cancelled_orders = result
        .cancellations
        .iter()
        .map(|c| CancelledOrder {
            time: c.ts.display(format).to_string(),
            symbol: c.order.request.symbol.clone(),
            side: c.order.request.side,
            code: c.reason.code(),
            detail: c.reason.to_string(),
        })
        .collect();
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &Output { report, cancelled_orders })?;
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

/// Prints the statistics table, with a line on open positions and cancellations.
pub fn print_table(report: &Report, result: &BacktestResult, bars: &BarSeries, strategy: &str) {
    let symbol = bars.symbol();
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![format!("{strategy} on {symbol}"), String::new()]);
    let stats = &report.stats;
    table.add_row(vec![Cell::new("Start"), Cell::new(&stats.start).set_alignment(CellAlignment::Right)]);
    table.add_row(vec![Cell::new("End"), Cell::new(&stats.end).set_alignment(CellAlignment::Right)]);
    for (key, value) in stats.numbers() {
        table.add_row(vec![
            Cell::new(label(key)),
            Cell::new(format_number(key, value)).set_alignment(CellAlignment::Right),
        ]);
    }
    println!("{table}");
    if result.open_position != 0.0 {
        println!(
            "Note: {} units of {symbol} are still open at the end and not counted as a trade (use --finalize-trades to close them).",
            result.open_position
        );
    }
    if let Some(first) = result.cancellations.first() {
        println!(
            "Note: the exchange cancelled {} order(s); the first on {}: {} (all are listed with --format json).",
            result.cancellations.len(),
            first.ts.display(bars.time_format()),
            first.reason
        );
    }
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
