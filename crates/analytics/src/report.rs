//! The full report of a run: statistics, trade list and equity curve.

use crate::Stats;
use crate::drawdown::drawdown_fractions;
use gt_model::{FormattedTime, Symbol, TimeFormat, Timestamp, Trade};
use serde::Serialize;

/// One closed trade as reported.
#[derive(Clone, Debug, Serialize)]
pub struct TradeRecord {
    /// Instrument.
    pub symbol: Symbol,
    /// Signed units (negative = short).
    pub size: f64,
    /// Entry bar index.
    pub entry_bar: usize,
    /// Exit bar index.
    pub exit_bar: usize,
    /// Entry time.
    pub entry_time: String,
    /// Exit time.
    pub exit_time: String,
    /// Entry price.
    pub entry_price: f64,
    /// Exit price.
    pub exit_price: f64,
    /// Profit after commissions.
    pub pnl: f64,
    /// Commissions of both legs.
    pub commission: f64,
    /// Return after commissions, in percent.
    pub return_pct: f64,
    /// Strategy whose order opened the trade.
    pub strategy: Option<gt_model::StrategyId>,
}

impl TradeRecord {
    /// The fields in the order the JSON report, `--trades-out` and `runs export` write them.
    pub const COLUMNS: [&'static str; 12] = [
        "symbol",
        "size",
        "entry_bar",
        "exit_bar",
        "entry_time",
        "exit_time",
        "entry_price",
        "exit_price",
        "pnl",
        "commission",
        "return_pct",
        "strategy",
    ];

    /// The report row of `trade`.
    pub fn new(trade: &Trade, format: TimeFormat) -> Self {
        Self {
            symbol: trade.symbol.clone(),
            size: trade.size,
            entry_bar: trade.entry_bar,
            exit_bar: trade.exit_bar,
            entry_time: trade.entry_time.display(format).to_string(),
            exit_time: trade.exit_time.display(format).to_string(),
            entry_price: trade.entry_price,
            exit_price: trade.exit_price,
            pnl: trade.pnl(),
            commission: trade.commission,
            return_pct: trade.return_fraction() * 100.0,
            strategy: trade.strategy.clone(),
        }
    }
}

/// One point of the equity curve.
#[derive(Clone, Debug, Serialize)]
pub struct EquityPoint {
    /// Bar time (written when the curve is printed or saved).
    pub time: FormattedTime,
    /// Equity after the bar.
    pub equity: f64,
    /// Percent below the running peak (0 at a new high, positive below it).
    pub drawdown_pct: f64,
}

/// Statistics, trades and equity curve of a run, as the JSON report prints them.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The statistics.
    pub stats: Stats,
    /// Closed trades in closing order.
    pub trades: Vec<TradeRecord>,
    /// Equity after every bar.
    pub equity: Vec<EquityPoint>,
}

impl Report {
    /// Assembles the report from the statistics and the run's trades and equity.
    pub fn new(
        stats: Stats,
        trades: &[Trade],
        timestamps: &[Timestamp],
        equity: &[f64],
        format: TimeFormat,
    ) -> Self {
        let drawdowns = drawdown_fractions(equity);
        Self {
            stats,
            trades: trades.iter().map(|t| TradeRecord::new(t, format)).collect(),
            equity: timestamps
                .iter()
                .zip(equity)
                .zip(drawdowns)
                .map(|((ts, value), dd)| EquityPoint {
                    time: ts.display(format),
                    equity: *value,
                    drawdown_pct: dd * 100.0,
                })
                .collect(),
        }
    }
}
