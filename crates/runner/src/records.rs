//! The typed records a run is printed and stored as: the JSON report, the
//! stored run, and the data's fingerprint. Serialised by serde straight to
//! their output; nothing is shaped by hand.

use crate::outcome::{attribution_of, time_format_of};
use gt_analytics::tearsheet::TearsheetData;
use gt_analytics::{Attribution, Report};
use gt_engine::BacktestResult;
use gt_model::{BarSeries, FormattedTime, Side, StrategyId, Symbol, TimeFormat};
use gt_store::{NewRun, RunDetails};
use serde::Serialize;
use std::collections::BTreeMap;

/// An order the exchange cancelled.
#[derive(Debug, Serialize)]
pub struct CancelledOrder {
    /// When.
    pub time: FormattedTime,
    /// Its symbol.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Machine-readable reason (`insufficient_cash`…).
    pub code: &'static str,
    /// The reason in words.
    pub detail: String,
}

/// An order the risk engine refused.
#[derive(Debug, Serialize)]
pub struct RefusedOrder {
    /// When.
    pub time: FormattedTime,
    /// Its symbol.
    pub symbol: Symbol,
    /// The sleeve that asked for it.
    pub strategy: Option<StrategyId>,
    /// Machine-readable reason (`max_position`…).
    pub code: &'static str,
    /// The reason in words.
    pub detail: String,
}

/// The risk section of a report: refusals, their counts by code, and a halt.
#[derive(Debug, Serialize)]
pub struct RiskRecord {
    /// Every refused order.
    pub refusals: Vec<RefusedOrder>,
    /// Refusals by code.
    pub refusal_counts: BTreeMap<&'static str, usize>,
    /// When trading halted, if it did.
    pub halted_at: Option<FormattedTime>,
    /// Why, in words.
    pub halt_reason: Option<String>,
    /// Why, as a code.
    pub halt_code: Option<&'static str>,
}

/// Sleeve weights set during a run.
#[derive(Debug, Serialize)]
pub struct RebalanceRecord {
    /// When.
    pub time: FormattedTime,
    /// The weight of each sleeve, by name.
    pub weights: BTreeMap<String, f64>,
    /// Why the estimate failed (the previous weights stayed), if it did.
    pub error: Option<String>,
}

/// The JSON report of a run: statistics, trades, equity, cancellations,
/// risk, attribution and rebalances.
#[derive(Serialize)]
pub struct RunReport<'a> {
    /// Id in the run store, when the run was saved.
    pub run_id: Option<&'a str>,
    /// Statistics, trades and equity curve.
    #[serde(flatten)]
    pub report: &'a Report,
    /// Orders the exchange cancelled.
    pub cancelled_orders: Vec<CancelledOrder>,
    /// Refusals and halt.
    pub risk: RiskRecord,
    /// Profit, trades and exposure per strategy and symbol.
    pub attribution: Attribution,
    /// Sleeve weights set during the run.
    pub rebalances: Vec<RebalanceRecord>,
}

/// The refused orders of `result`, times written in `format`.
pub fn refusals(result: &BacktestResult, format: TimeFormat) -> Vec<RefusedOrder> {
    result
        .refusals
        .iter()
        .map(|r| RefusedOrder {
            time: r.ts.display(format),
            symbol: r.symbol.clone(),
            strategy: r.strategy.clone(),
            code: r.refusal.code(),
            detail: r.refusal.to_string(),
        })
        .collect()
}

impl<'a> RunReport<'a> {
    /// The report of `result` (with `report` drawn from it), times written in `format`.
    pub fn new(
        report: &'a Report,
        result: &BacktestResult,
        format: TimeFormat,
        run_id: Option<&'a str>,
    ) -> Self {
        let time = |ts: gt_model::Timestamp| ts.display(format);
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
        let risk = RiskRecord {
            refusals: refusals(result, format),
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
                weights: result
                    .sleeves
                    .iter()
                    .map(ToString::to_string)
                    .zip(r.weights.iter().copied())
                    .collect(),
                error: r.error.clone(),
            })
            .collect();
        Self { run_id, report, cancelled_orders, risk, attribution: attribution_of(result), rebalances }
    }
}

/// What a stored run records of how it was asked for.
pub struct RunRequest<'a> {
    /// `backtest`.
    pub kind: &'a str,
    /// The sleeves' names.
    pub title: &'a str,
    /// The strategy parameters given on the command line.
    pub params: &'a [(String, String)],
    /// The command line and run file, as given.
    pub config: serde_json::Value,
    /// Wall time of the run.
    pub elapsed: std::time::Duration,
}

/// The stored form of a run over `series`: what was asked, the data's
/// fingerprint, statistics, trades, equity, refusals and chart.
pub fn stored_run(
    request: &RunRequest<'_>,
    series: &[BarSeries],
    result: &BacktestResult,
    report: &Report,
    chart: &TearsheetData,
) -> Result<(NewRun, RunDetails), serde_json::Error> {
    let params =
        request.params.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
    let run = NewRun {
        kind: request.kind.to_owned(),
        strategy: request.title.to_owned(),
        symbols: series.iter().map(|s| s.symbol().to_string()).collect(),
        params: serde_json::Value::Object(params),
        config: request.config.clone(),
        data_fingerprint: fingerprint(series),
        code_version: env!("CARGO_PKG_VERSION").to_owned(),
        elapsed_ms: request.elapsed.as_millis() as i64,
        stats: serde_json::to_value(&report.stats)?,
    };
    let details = RunDetails {
        trades: serde_json::to_value(&report.trades)?,
        equity: serde_json::to_value(&report.equity)?,
        refusals: serde_json::to_value(refusals(result, time_format_of(series)))?,
        chart: serde_json::to_value(chart)?,
    };
    Ok((run, details))
}

/// A stable fingerprint of the bars a run used (FNV-1a 64 over every field).
pub fn fingerprint(series: &[BarSeries]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for s in series {
        feed(s.symbol().as_str().as_bytes());
        for i in 0..s.len() {
            let bar = s.bar(i);
            feed(&bar.ts.nanos().to_le_bytes());
            for value in [bar.open, bar.high, bar.low, bar.close, bar.volume] {
                feed(&value.to_bits().to_le_bytes());
            }
        }
    }
    format!("{hash:016x}")
}
