//! `/metrics` in Prometheus's text format: the dashboard's own requests,
//! the pace of the newest backtest and study, and each paper session's
//! account as its journal last left it.

use crate::error::Failure;
use gt_store::Store;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A request, by the route it matched (never its path: no ids in labels) and its status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

/// A route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// A paper session.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SessionLabels {
    session: String,
}

/// A symbol held by a paper session.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PositionLabels {
    session: String,
    symbol: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;
type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 4 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 14))
}

/// Per-session gauges, set from the store at each scrape.
#[derive(Default)]
struct SessionGauges {
    equity: Family<SessionLabels, FloatGauge>,
    cash: Family<SessionLabels, FloatGauge>,
    gross_exposure: Family<SessionLabels, FloatGauge>,
    net_exposure: Family<SessionLabels, FloatGauge>,
    realized_pnl: Family<SessionLabels, FloatGauge>,
    position: Family<PositionLabels, FloatGauge>,
    bars: Family<SessionLabels, Gauge>,
    closed_trades: Family<SessionLabels, Gauge>,
    mismatches: Family<SessionLabels, Gauge>,
    halted: Family<SessionLabels, Gauge>,
    running: Family<SessionLabels, Gauge>,
    last_bar: Family<SessionLabels, FloatGauge>,
}

impl SessionGauges {
    fn clear(&self) {
        for family in [
            &self.equity,
            &self.cash,
            &self.gross_exposure,
            &self.net_exposure,
            &self.realized_pnl,
            &self.last_bar,
        ] {
            family.clear();
        }
        for family in [&self.bars, &self.closed_trades, &self.mismatches, &self.halted, &self.running] {
            family.clear();
        }
        self.position.clear();
    }
}

/// A series without labels that is absent until there is a value (a plain
/// gauge would read 0 before the store holds any run).
type OptionalGauge = Family<Vec<(String, String)>, FloatGauge>;

/// How fast the newest stored backtest and study went, read from the store at each scrape.
#[derive(Default)]
struct Throughput {
    backtest_bars_per_second: OptionalGauge,
    backtest_seconds: OptionalGauge,
    sweep_bar_evaluations_per_second: OptionalGauge,
    sweep_trials: OptionalGauge,
}

impl Throughput {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "backtest_bars_per_second",
            "Bars the newest stored backtest read per second of its wall time, loading and saving included",
            self.backtest_bars_per_second.clone(),
        );
        registry.register(
            "backtest_duration_seconds",
            "Wall time of the newest stored backtest",
            self.backtest_seconds.clone(),
        );
        registry.register(
            "sweep_bar_evaluations_per_second",
            "Trial bars the most recently updated study evaluated per second of a shard's wall time",
            self.sweep_bar_evaluations_per_second.clone(),
        );
        registry.register(
            "sweep_trials",
            "Trials the most recently updated study holds",
            self.sweep_trials.clone(),
        );
    }

    /// Reads the newest backtest's and the most recently updated study's pace from `store`.
    async fn read(&self, store: &Store) -> Result<(), Failure> {
        let set = |gauge: &OptionalGauge, value: Option<f64>| {
            gauge.clear();
            if let Some(value) = value {
                gauge.get_or_create(&Vec::new()).set(value);
            }
        };
        let backtest = store.latest_backtest_pace().await?.filter(|&(_, ms)| ms > 0);
        set(&self.backtest_bars_per_second, backtest.map(|(bars, ms)| bars as f64 * 1000.0 / ms as f64));
        set(&self.backtest_seconds, backtest.map(|(_, ms)| ms as f64 / 1000.0));
        let studies = store.studies().await?;
        let study = studies.iter().filter(|s| s.work.busy_ms > 0).max_by_key(|s| s.updated_at_ms);
        set(&self.sweep_bar_evaluations_per_second, study.and_then(|s| s.work.per_second()));
        set(&self.sweep_trials, study.map(|s| s.trials as f64));
        Ok(())
    }
}

/// The dashboard's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    runs: Gauge,
    sessions: SessionGauges,
    throughput: Throughput,
    /// One scrape at a time sets the session gauges.
    scrape: tokio::sync::Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The metrics, registered under the `gpt_trader_` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("gpt_trader");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let runs = Gauge::default();
        let sessions = SessionGauges::default();
        let throughput = Throughput::default();
        throughput.register(&mut registry);
        registry.register(
            "dashboard_requests",
            "Dashboard requests answered, by route and status",
            requests.clone(),
        );
        registry.register(
            "dashboard_request_duration_seconds",
            "Time to answer a dashboard request, by route",
            latency.clone(),
        );
        registry.register("runs_stored", "Runs in the run store", runs.clone());
        let s = &sessions;
        registry.register(
            "session_equity",
            "Paper session equity after its last bar (account currency)",
            s.equity.clone(),
        );
        registry.register(
            "session_cash",
            "Paper session cash after its last bar (account currency)",
            s.cash.clone(),
        );
        registry.register(
            "session_gross_exposure",
            "Sum of the absolute market values of a paper session's positions (account currency)",
            s.gross_exposure.clone(),
        );
        registry.register(
            "session_net_exposure",
            "Sum of the signed market values of a paper session's positions (account currency)",
            s.net_exposure.clone(),
        );
        registry.register(
            "session_realized_pnl",
            "Profit realized by a paper session in all",
            s.realized_pnl.clone(),
        );
        registry.register(
            "session_position",
            "Signed units a paper session holds, by symbol",
            s.position.clone(),
        );
        registry.register("session_bars", "Bars a paper session has journaled", s.bars.clone());
        registry.register(
            "session_closed_trades",
            "Trades a paper session has closed",
            s.closed_trades.clone(),
        );
        registry.register(
            "session_reconciliation_mismatches",
            "Positions found different at the broker and resolved in its favour",
            s.mismatches.clone(),
        );
        registry.register("session_halted", "1 while a paper session's kill switch is on", s.halted.clone());
        registry.register("session_running", "1 while a process runs the paper session", s.running.clone());
        registry.register(
            "session_last_bar_timestamp_seconds",
            "Time of the paper session's last bar, seconds since the epoch",
            s.last_bar.clone(),
        );
        Self { registry, requests, latency, runs, sessions, throughput, scrape: tokio::sync::Mutex::new(()) }
    }

    /// Counts one answered request.
    pub fn record(&self, route: &str, status: u16, seconds: f64) {
        self.requests.get_or_create(&RequestLabels { route: route.to_owned(), status }).inc();
        self.latency.get_or_create(&RouteLabels { route: route.to_owned() }).observe(seconds);
    }

    /// The exposition, with the session gauges read from `store` now.
    pub async fn render(&self, store: &Store) -> Result<String, Failure> {
        let _one_at_a_time = self.scrape.lock().await;
        let (runs, _) = store.runs_version().await?;
        self.runs.set(runs);
        self.throughput.read(store).await?;
        let records = store.sessions().await?;
        let s = &self.sessions;
        s.clear();
        for record in &records {
            let labels = SessionLabels { session: record.name.clone() };
            let snapshot = &record.snapshot;
            let number = |key: &str| snapshot[key].as_f64();
            let positions = snapshot["positions"].as_array().cloned().unwrap_or_default();
            let values: Vec<f64> = positions.iter().filter_map(|p| p["market_value"].as_f64()).collect();
            for (family, value) in [
                (&s.equity, number("equity")),
                (&s.cash, number("cash")),
                (&s.realized_pnl, number("realized_pnl_total")),
                (&s.last_bar, number("time_ms").map(|ms| ms / 1_000.0)),
                (&s.gross_exposure, Some(values.iter().map(|v| v.abs()).sum())),
                (&s.net_exposure, Some(values.iter().sum())),
            ] {
                if let Some(value) = value {
                    family.get_or_create(&labels).set(value);
                }
            }
            for position in &positions {
                if let (Some(symbol), Some(qty)) = (position["symbol"].as_str(), position["qty"].as_f64()) {
                    let labels = PositionLabels { session: record.name.clone(), symbol: symbol.to_owned() };
                    s.position.get_or_create(&labels).set(qty);
                }
            }
            let running = gt_runner::paper::is_running(&record.name).unwrap_or(false);
            s.bars.get_or_create(&labels).set(record.steps_done);
            s.closed_trades.get_or_create(&labels).set(snapshot["closed_trades"].as_i64().unwrap_or(0));
            s.mismatches
                .get_or_create(&labels)
                .set(snapshot["reconciliation_mismatches"].as_i64().unwrap_or(0));
            s.halted.get_or_create(&labels).set(i64::from(snapshot["halted"].as_bool().unwrap_or(false)));
            s.running.get_or_create(&labels).set(i64::from(running));
        }
        let mut text = String::new();
        encode(&mut text, &self.registry)
            .map_err(|e| Failure::new(axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        Ok(text)
    }
}
