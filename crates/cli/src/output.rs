//! Rendering reports: the stats table, the JSON object and CSV files.

use anyhow::Result;
use clap::ValueEnum;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use gt_analytics::{Attribution, OpenExposure, Report, attribute};
use gt_engine::BacktestResult;
use gt_model::{StrategyId, Symbol, TimeFormat};
use serde::Serialize;
use std::collections::BTreeMap;
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

/// An order the risk engine refused, as reported.
#[derive(Serialize)]
struct RefusedOrder {
    time: String,
    symbol: Symbol,
    strategy: Option<StrategyId>,
    code: &'static str,
    detail: String,
}

/// The risk section of the JSON report.
#[derive(Serialize)]
struct RiskReport {
    refusals: Vec<RefusedOrder>,
    refusal_counts: BTreeMap<&'static str, usize>,
    halted_at: Option<String>,
    halt_reason: Option<String>,
    halt_code: Option<&'static str>,
}

/// Sleeve weights set during the run.
#[derive(Serialize)]
struct RebalanceRecord {
    time: String,
    weights: BTreeMap<String, f64>,
    error: Option<String>,
}

/// The JSON report: statistics, trades, equity, cancellations, risk, attribution and rebalances.
#[derive(Serialize)]
struct JsonReport<'a> {
    /// Id in the run store, when the run was saved.
    run_id: Option<&'a str>,
    #[serde(flatten)]
    report: &'a Report,
    cancelled_orders: Vec<CancelledOrder>,
    risk: RiskReport,
    attribution: Attribution,
    rebalances: Vec<RebalanceRecord>,
}

/// Profit, trades and exposure per strategy and per symbol of `result`.
pub fn attribution_of(result: &BacktestResult) -> Attribution {
    let open: Vec<OpenExposure<'_>> = result
        .open_lots
        .iter()
        .map(|lot| OpenExposure {
            symbol: &lot.symbol,
            strategy: lot.strategy.as_ref(),
            unrealized_pnl: lot.unrealized_pnl,
            entry_bar: lot.entry_bar,
        })
        .collect();
    attribute(&result.trades, &open, result.equity.len())
}

/// Prints the JSON report on stdout, nothing else.
pub fn print_json(
    report: &Report,
    result: &BacktestResult,
    format: TimeFormat,
    run_id: Option<&str>,
) -> Result<()> {
    let time = |ts: gt_model::Timestamp| ts.display(format).to_string();
    let cancelled_orders = result
        .cancellations
        .iter()
        .map(|c| CancelledOrder {
            time: time(c.ts),
            symbol: c.order.request.symbol.clone(),
            side: c.order.request.side,
            code: c.reason.code(),
            detail: c.reason.to_string(),
        })
        .collect();
    let mut refusal_counts = BTreeMap::new();
    for record in &result.refusals {
        *refusal_counts.entry(record.refusal.code()).or_insert(0) += 1;
    }
    let risk = RiskReport {
        refusals: result
            .refusals
            .iter()
            .map(|r| RefusedOrder {
                time: time(r.ts),
                symbol: r.symbol.clone(),
                strategy: r.strategy.clone(),
                code: r.refusal.code(),
                detail: r.refusal.to_string(),
            })
            .collect(),
        refusal_counts,
        halted_at: result.halt.as_ref().map(|h| time(h.ts)),
        halt_reason: result.halt.as_ref().map(|h| h.reason.to_string()),
        halt_code: result.halt.as_ref().map(|h| h.reason.code()),
    };
    let rebalances = result
        .rebalances
        .iter()
        .map(|r| RebalanceRecord {
            time: time(r.ts),
            weights: result.sleeves.iter().map(ToString::to_string).zip(r.weights.iter().copied()).collect(),
            error: r.error.clone(),
        })
        .collect();
    let output = JsonReport {
        run_id,
        report,
        cancelled_orders,
        risk,
        attribution: attribution_of(result),
        rebalances,
    };
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &output)?;
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
