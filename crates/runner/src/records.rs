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
    /// What each shadow model did beside the run (`--shadow`), when any followed it.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub shadows: &'a [crate::shadow::ShadowSummary],
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
        let attribution = attribution_of(result);
        Self { run_id, report, cancelled_orders, risk, attribution, rebalances, shadows: &[] }
    }

    /// The report with what the shadow models that followed the run did.
    pub fn with_shadows(mut self, shadows: &'a [crate::shadow::ShadowSummary]) -> Self {
        self.shadows = shadows;
        self
    }
}

/// What a reader of `result` should know beyond its statistics: positions
/// still open at the end, orders the exchange cancelled or the risk engine
/// refused (the first of each), and a halt; times written in `format`.
pub fn notes(result: &BacktestResult, format: TimeFormat) -> Vec<String> {
    let mut notes = Vec::new();
    for symbol in &result.symbols {
        let held = result.open_position(symbol);
        if held != 0.0 {
            notes.push(format!(
                "Note: {held} units of {symbol} are still open at the end and not counted as a trade (use --finalize-trades to close them)."
            ));
        }
    }
    if let Some(first) = result.cancellations.first() {
        notes.push(format!(
            "Note: the exchange cancelled {} order(s); the first on {}: {} (all are listed with --format json).",
            result.cancellations.len(),
            first.ts.display(format),
            first.reason
        ));
    }
    if let Some(first) = result.refusals.first() {
        notes.push(format!(
            "Note: the risk engine refused {} order(s); the first on {} ({}): {}.",
            result.refusals.len(),
            first.ts.display(format),
            first.symbol,
            first.refusal
        ));
    }
    if let Some(halt) = &result.halt {
        notes.push(format!("Note: trading halted on {}: {}.", halt.ts.display(format), halt.reason));
    }
    notes
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

/// A parameter's text as the JSON value it stands for: an integer, a
/// number, true or false, else the text.
fn typed(text: &str) -> serde_json::Value {
    let text = text.trim();
    if let Ok(integer) = text.parse::<i64>() {
        integer.into()
    } else if let Some(number) = text.parse::<f64>().ok().filter(|n| n.is_finite()) {
        number.into()
    } else if let Ok(flag) = text.parse::<bool>() {
        flag.into()
    } else {
        text.into()
    }
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
    let params = request.params.iter().map(|(k, v)| (k.clone(), typed(v))).collect();
    let run = NewRun {
        kind: request.kind.to_owned(),
        strategy: request.title.to_owned(),
        symbols: series.iter().map(|s| s.symbol().to_string()).collect(),
        params: serde_json::Value::Object(params),
        config: request.config.clone(),
        data_fingerprint: fingerprint(series),
        code_version: env!("CARGO_PKG_VERSION").to_owned(),
        elapsed_ms: request.elapsed.as_millis() as i64,
        bars: series.iter().map(|s| s.len() as i64).sum(),
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

/// When a run was stored (`2026-12-01 23:07:37`, UTC), from milliseconds since the epoch.
pub fn created_at(ms: i64) -> String {
    use chrono::TimeZone;
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .map_or_else(|| ms.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// A stored run as listed: id, when, strategy, symbols, parameters and statistics.
#[derive(Serialize)]
pub struct RunSummary<'a> {
    /// Run id.
    pub id: &'a str,
    /// When it was stored.
    pub created_at: String,
    /// The sleeves' names.
    pub strategy: &'a str,
    /// The symbols.
    pub symbols: &'a [String],
    /// The parameters given.
    pub params: &'a serde_json::Value,
    /// The statistics.
    pub stats: &'a serde_json::Value,
}

impl<'a> RunSummary<'a> {
    /// The summary of `record`.
    pub fn of(record: &'a gt_store::RunRecord) -> Self {
        Self {
            id: &record.id,
            created_at: created_at(record.created_at_ms),
            strategy: &record.run.strategy,
            symbols: &record.run.symbols,
            params: &record.run.params,
            stats: &record.run.stats,
        }
    }
}

/// A stored run whole, as `runs show` and `runs export` give it.
#[derive(Serialize)]
pub struct StoredRun<'a> {
    /// Id, time, strategy, symbols, parameters, statistics.
    #[serde(flatten)]
    pub summary: RunSummary<'a>,
    /// `backtest`.
    pub kind: &'a str,
    /// How it was asked for (command line, run file, spec).
    pub config: &'a serde_json::Value,
    /// The bars' fingerprint.
    pub data_fingerprint: &'a str,
    /// The program's version.
    pub code_version: &'a str,
    /// Wall time of the run.
    pub elapsed_ms: i64,
    /// Bars it read, summed over its symbols (0 when stored before it was kept).
    pub bars: i64,
    /// Closed trades.
    pub trades: &'a serde_json::Value,
    /// The equity curve.
    pub equity: &'a serde_json::Value,
    /// Refused orders.
    pub refusals: &'a serde_json::Value,
}

impl<'a> StoredRun<'a> {
    /// The whole of `record` with its `details`.
    pub fn of(record: &'a gt_store::RunRecord, details: &'a RunDetails) -> Self {
        Self {
            summary: RunSummary::of(record),
            kind: &record.run.kind,
            config: &record.run.config,
            data_fingerprint: &record.run.data_fingerprint,
            code_version: &record.run.code_version,
            elapsed_ms: record.run.elapsed_ms,
            bars: record.run.bars,
            trades: &details.trades,
            equity: &details.equity,
            refusals: &details.refusals,
        }
    }
}

/// A strategy's parameter as `gpt-trader strategies --format json` gives it.
#[derive(Serialize)]
pub struct ParamRecord {
    /// Its name (`fast`).
    pub name: &'static str,
    /// `int`, `float` or `bool`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its default, as text.
    pub default: String,
    /// Its range, as text (`1..=10000`).
    pub range: String,
    /// What it does.
    pub help: &'static str,
}

/// A built-in strategy: its name, idea, rules and parameter schema.
#[derive(Serialize)]
pub struct StrategyRecord {
    /// Its name.
    pub name: &'static str,
    /// Its idea in a line.
    pub summary: &'static str,
    /// Its rules in words.
    pub rules: &'static str,
    /// Its parameters.
    pub params: Vec<ParamRecord>,
}

impl StrategyRecord {
    /// The record of `spec`.
    pub fn of(spec: &gt_strategy::StrategySpec) -> Self {
        let params = spec
            .params
            .iter()
            .map(|p| {
                let (kind, default, range) = p.describe();
                ParamRecord { name: p.name, kind, default, range, help: p.help }
            })
            .collect();
        Self { name: spec.name, summary: spec.summary, rules: spec.rules, params }
    }
}

/// Writes stored trades (JSON objects) as CSV, in the columns and order of
/// `--trades-out` ([`gt_analytics::TradeRecord::COLUMNS`]; fields of no
/// column, from another version, follow).
pub fn write_trades_csv(sink: impl std::io::Write, trades: &serde_json::Value) -> Result<(), csv::Error> {
    use serde_json::Value;
    let rows = trades.as_array().map_or(&[][..], Vec::as_slice);
    let mut writer = csv::Writer::from_writer(sink);
    let Some(Value::Object(first)) = rows.first() else { return Ok(()) };
    let known = gt_analytics::TradeRecord::COLUMNS;
    let columns: Vec<&str> = known
        .iter()
        .copied()
        .filter(|c| first.contains_key(*c))
        .chain(first.keys().map(String::as_str).filter(|k| !known.contains(k)))
        .collect();
    writer.write_record(&columns)?;
    for row in rows {
        let cells = columns.iter().map(|column| match row.get(*column) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        });
        writer.write_record(cells)?;
    }
    writer.flush()?;
    Ok(())
}

/// A series in the bar cache, as `gpt-trader data list` gives it.
#[derive(Serialize)]
pub struct CachedSeries<'a> {
    /// Its symbol.
    pub symbol: &'a str,
    /// Its interval (`1d`).
    pub interval: &'a str,
    /// Its first bar's time (a date for daily bars).
    pub first: String,
    /// Its last bar's time.
    pub last: String,
    /// Its number of bars.
    pub rows: usize,
    /// Where it came from.
    pub source: &'a str,
}

impl<'a> CachedSeries<'a> {
    /// The record of `entry`.
    pub fn of(entry: &'a gt_data::cache::CacheEntry) -> Self {
        let time = |ts: Option<gt_model::Timestamp>| {
            ts.map_or_else(String::new, |t| {
                t.display(if t.is_midnight() { TimeFormat::Date } else { TimeFormat::DateTime }).to_string()
            })
        };
        Self {
            symbol: &entry.symbol,
            interval: &entry.interval,
            first: time(entry.first),
            last: time(entry.last),
            rows: entry.rows,
            source: &entry.source,
        }
    }
}

/// A statistic of a stored run (NaN when it has none).
pub fn stat(record: &gt_store::RunRecord, key: &str) -> f64 {
    record.run.stats.get(key).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN)
}

/// Sorts `runs` by statistic `key`, highest first; fails when no run has it.
pub fn sort_by_stat(runs: &mut [gt_store::RunRecord], key: &str) -> Result<(), crate::RunError> {
    if !runs.is_empty() && runs.iter().all(|r| r.run.stats.get(key).is_none()) {
        return Err(crate::RunError::invalid(format!(
            "no run has a statistic '{key}' (e.g. return_pct, sharpe_ratio, max_drawdown_pct)"
        )));
    }
    runs.sort_by(|a, b| stat(b, key).total_cmp(&stat(a, key)));
    Ok(())
}

/// Writes `rows` (trades, equity points) to the CSV file at `path`, with a header row.
pub fn write_csv<T: Serialize>(path: &std::path::Path, rows: &[T]) -> Result<(), csv::Error> {
    let mut writer = csv::Writer::from_path(path)?;
    for row in rows {
        writer.serialize(row)?;
    }
    writer.flush()?;
    Ok(())
}

/// The first and last `rows` bars of `series` as text cells (time, open,
/// high, low, close, volume), with a `…` row between them when bars are
/// left out: what `gpt-trader data show` prints.
/// One bar as `data show --format json` prints it.
#[derive(Debug, Serialize)]
pub struct BarRecord {
    /// Its time, written as the series' times are.
    pub time: String,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Volume.
    pub volume: f64,
}

/// The first `rows` bars of `series` and its last `rows` (none when the
/// first already reach the end), as records.
pub fn first_and_last_bar_records(series: &BarSeries, rows: usize) -> (Vec<BarRecord>, Vec<BarRecord>) {
    let format = series.time_format();
    let record = |i: usize| {
        let bar = series.bar(i);
        BarRecord {
            time: bar.ts.display(format).to_string(),
            open: bar.open,
            high: bar.high,
            low: bar.low,
            close: bar.close,
            volume: bar.volume,
        }
    };
    let n = series.len();
    let (first_end, last_start) = if n <= 2 * rows { (n, n) } else { (rows, n - rows) };
    ((0..first_end).map(record).collect(), (last_start..n).map(record).collect())
}

/// The first and last `rows` bars of `series` as table cells, with a `…` row between.
pub fn first_and_last_bars(series: &BarSeries, rows: usize) -> Vec<[String; 6]> {
    let format = series.time_format();
    let cells = |i: usize| {
        let bar = series.bar(i);
        [
            bar.ts.display(format).to_string(),
            bar.open.to_string(),
            bar.high.to_string(),
            bar.low.to_string(),
            bar.close.to_string(),
            bar.volume.to_string(),
        ]
    };
    if series.len() <= 2 * rows {
        return (0..series.len()).map(cells).collect();
    }
    let gap = ["…".to_owned(), String::new(), String::new(), String::new(), String::new(), String::new()];
    (0..rows)
        .map(cells)
        .chain(std::iter::once(gap))
        .chain((series.len() - rows..series.len()).map(cells))
        .collect()
}

/// A run's stored parameters in one line: `fast=5 slow=30`.
pub fn params_text(params: &serde_json::Value) -> String {
    let pairs = params.as_object().into_iter().flatten();
    pairs
        .map(|(key, value)| {
            format!("{key}={}", value.as_str().map_or_else(|| value.to_string(), str::to_owned))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A stored run's costs in one line (`commission=0.002 slippage_bps=5`),
/// read from the spec it was run with; empty when it paid none or was
/// stored before specs were kept.
pub fn costs_text(config: &serde_json::Value) -> String {
    let execution = &config["spec"]["execution"];
    ["commission", "commission_fixed", "slippage_bps"]
        .iter()
        .filter_map(|key| execution[key].as_f64().filter(|v| *v != 0.0).map(|v| format!("{key}={v}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A model's registry id: the first 12 hex digits of a SHA-256 over all it
/// is (kind, schema, label, bars, model text, definition), so the same
/// model registers once.
pub fn model_id(model: &gt_store::NewModel) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in [&model.kind, &model.schema_hash, &model.label, &model.data_fingerprint, &model.model] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.update(model.definition.to_string().as_bytes());
    hasher.finalize().iter().take(6).map(|b| format!("{b:02x}")).collect()
}
