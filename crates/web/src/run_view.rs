//! A stored run as its dashboard page and `/api/v1/runs/{id}` show it: the
//! record, the report's chart data, and what is read off them (yearly
//! returns, worst drawdowns, rolling volatility, P&L by symbol and strategy).

use gt_analytics::tearsheet::TearsheetData;
use gt_analytics::{RunProfile, profile};
use gt_model::Timestamp;
use gt_runner::records::StoredRun;
use gt_store::{RunDetails, RunRecord};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Closed trades' results within one group (a symbol, a strategy).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TradeGroup {
    /// Profit of its closed trades.
    pub pnl: f64,
    /// Closed trades.
    pub trades: usize,
    /// Trades that made money, in percent.
    pub win_rate_pct: f64,
}

/// Closed trades' results by symbol and by strategy.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TradeAttribution {
    /// By symbol.
    pub by_symbol: BTreeMap<String, TradeGroup>,
    /// By the strategy that opened the trade (`unassigned` for none).
    pub by_strategy: BTreeMap<String, TradeGroup>,
}

/// Everything the run page draws.
#[derive(Serialize)]
pub struct RunView<'a> {
    /// The stored record (summary, settings, trades, equity, refusals).
    pub run: StoredRun<'a>,
    /// The report's chart data, when the run kept it.
    pub chart: Option<TearsheetData>,
    /// Yearly returns, worst drawdowns and rolling volatility of its equity.
    pub profile: RunProfile,
    /// Closed trades by symbol and strategy.
    pub attribution: TradeAttribution,
}

impl<'a> RunView<'a> {
    /// The view of `record` with `details`.
    pub fn new(record: &'a RunRecord, details: &'a RunDetails) -> Self {
        let points = details.equity.as_array().map(Vec::as_slice).unwrap_or_default();
        let (timestamps, equity): (Vec<Timestamp>, Vec<f64>) = points
            .iter()
            .filter_map(|p| Some((timestamp(p["time"].as_str()?)?, p["equity"].as_f64()?)))
            .unzip();
        Self {
            run: StoredRun::of(record, details),
            chart: serde_json::from_value(details.chart.clone()).ok(),
            profile: profile(&timestamps, &equity),
            attribution: attribute(&details.trades),
        }
    }
}

/// A time as the reports write it (`2020-01-02`, `2020-01-02 09:30:00`, with or without `T`).
pub fn timestamp(text: &str) -> Option<Timestamp> {
    use chrono::{NaiveDate, NaiveDateTime};
    let datetime = if text.len() == 10 {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0)?
    } else {
        NaiveDateTime::parse_from_str(&text.replace('T', " "), "%Y-%m-%d %H:%M:%S%.f").ok()?
    };
    Timestamp::from_naive_utc(datetime)
}

/// Closed trades' P&L, count and win rate by symbol and strategy.
fn attribute(trades: &Value) -> TradeAttribution {
    let mut out = TradeAttribution::default();
    let mut wins: BTreeMap<(bool, String), usize> = BTreeMap::new();
    for trade in trades.as_array().map(Vec::as_slice).unwrap_or_default() {
        let pnl = trade["pnl"].as_f64().unwrap_or(0.0);
        let symbol = trade["symbol"].as_str().unwrap_or("?").to_owned();
        let strategy = trade["strategy"].as_str().unwrap_or("unassigned").to_owned();
        for (by_symbol, key) in [(true, symbol), (false, strategy)] {
            let map = if by_symbol { &mut out.by_symbol } else { &mut out.by_strategy };
            let group = map.entry(key.clone()).or_default();
            group.pnl += pnl;
            group.trades += 1;
            *wins.entry((by_symbol, key)).or_default() += usize::from(pnl > 0.0);
        }
    }
    for ((by_symbol, key), won) in wins {
        let map = if by_symbol { &mut out.by_symbol } else { &mut out.by_strategy };
        if let Some(group) = map.get_mut(&key) {
            group.win_rate_pct = won as f64 / group.trades as f64 * 100.0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn report_times_read_back_as_timestamps() {
        let day = timestamp("2020-01-02").unwrap();
        let minute = timestamp("2020-01-02 09:30:00").unwrap();
        assert_eq!(minute.nanos() - day.nanos(), (9 * 3600 + 1800) * 1_000_000_000);
        assert_eq!(timestamp("2020-01-02T09:30:00"), Some(minute));
        assert!(timestamp("yesterday").is_none());
    }

    #[test]
    fn trades_add_up_by_symbol_and_strategy() {
        let trades = json!([
            {"symbol": "AAPL", "pnl": 10.0, "strategy": "a"},
            {"symbol": "AAPL", "pnl": -4.0, "strategy": "b"},
            {"symbol": "MSFT", "pnl": 6.0, "strategy": "a"},
            {"symbol": "MSFT", "pnl": 1.0}
        ]);
        let a = attribute(&trades);
        assert_eq!(a.by_symbol["AAPL"], TradeGroup { pnl: 6.0, trades: 2, win_rate_pct: 50.0 });
        assert_eq!(a.by_symbol["MSFT"], TradeGroup { pnl: 7.0, trades: 2, win_rate_pct: 100.0 });
        assert_eq!(a.by_strategy["a"], TradeGroup { pnl: 16.0, trades: 2, win_rate_pct: 100.0 });
        assert_eq!(a.by_strategy["unassigned"].trades, 1);
        let total: f64 = a.by_strategy.values().map(|g| g.pnl).sum();
        assert_eq!(total, a.by_symbol.values().map(|g| g.pnl).sum::<f64>());
    }
}
