//! `paper_latency`: a paper session on the mock Alpaca (loopback), from a bar
//! message leaving the mock's stream to the order request reaching the mock,
//! through the stream client, the engine step, the strategy, the risk check,
//! the order's intent journaled in SQLite, and the REST submission. One order
//! per bar; p50, p90 and p99 over the session's orders after the first ten.
//!
//! `cargo bench -p gt-live --bench paper_latency` prints one JSON line. The
//! session ends when the mock's feed does: once every bar is published (and
//! a moment for the last one to be traded), a `stop` is queued in the store,
//! as `gpt-trader paper stop` would, so a slow start never leaves it waiting
//! for bars that will not come.
//!
//! It runs three times: as is; with every event notified to a webhook that
//! accepts connections and never answers (`paper_latency_hanging_webhook`:
//! notifications must not slow the session); and with the strategy also
//! pushing each bar's features and asking a gradient-boosted model for its
//! probability before it orders (`paper_latency_ml_model`: what a model adds
//! to a live step).

use gt_engine::{EngineConfig, Sleeve};
use gt_live::alpaca::{AlpacaEndpoints, AlpacaSession, AlpacaTimings, OutsideHours};
use gt_live::notify::{Notifier, NotifyConfig, Webhook};
use gt_ml::{Dataset, FeatureSet, FeatureStream, LabelSpec, Model, ModelKind, SchemaBound};
use gt_model::{BarSeries, Quantity, StrategyId, Symbol};
use gt_risk::{RiskConfig, RiskEngine};
use gt_store::Store;
use gt_strategy::{Strategy, StrategyContext};
use gt_testkit::alpaca_mock::{MockAlpaca, MockBar};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bars published before the session starts (its warm-up by REST).
const HISTORY_BARS: usize = 30;

/// Bars streamed to the session, one every [`BAR_INTERVAL`].
const LIVE_BARS: usize = 400;

/// Time between two streamed bars.
const BAR_INTERVAL: Duration = Duration::from_millis(10);

/// Orders left out of the statistics: those decided on bars that queued
/// while the session was starting.
const WARMUP_ORDERS: usize = 10;

/// Longest the whole benchmark may take before it gives up with an error.
const DEADLINE: Duration = Duration::from_secs(120);

/// A model and the feature stream it reads.
type Scored = (Arc<SchemaBound>, FeatureSet, FeatureStream);

/// Buys one unit when flat and sells it when long, on every bar: an order
/// per bar; with a model, it first computes the bar's features and the
/// model's probability (and ignores it: the orders stay the same).
struct EveryBar {
    model: Option<Scored>,
}

impl Strategy for EveryBar {
    fn warmup_bars(&self) -> usize {
        0
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        if let Some((model, features, stream)) = &mut self.model
            && let Some(row) = stream.push(ctx.bar())
        {
            std::hint::black_box(model.predict(features, &row).ok());
        }
        if ctx.position() == 0.0 {
            ctx.buy(Quantity::Units(1.0));
        } else {
            ctx.close_position();
        }
    }
}

/// Minute bars stamped up to now, prices cycling over a week of values.
fn mock_bars() -> Vec<MockBar> {
    let start = chrono::Utc::now().timestamp() / 60 * 60 - 60 * HISTORY_BARS as i64;
    (0..HISTORY_BARS + LIVE_BARS)
        .map(|i| {
            let close = 100.0 + (i % 7) as f64;
            let time = chrono::DateTime::from_timestamp(start + 60 * i as i64, 0).unwrap_or_default();
            MockBar {
                symbol: "SYN".into(),
                time: time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ohlc: [close, close + 1.0, close - 1.0, close],
                volume: 1_000.0,
            }
        })
        .collect()
}

/// Queues a `stop` for `session` once `mock` has published every bar (plus
/// a second for the last to be traded), or at the deadline.
fn stop_when_the_feed_ends(mock: &MockAlpaca, store_url: &str, session: &str) -> Result<(), String> {
    let started = Instant::now();
    while mock.bars_published() < HISTORY_BARS + LIVE_BARS && started.elapsed() < DEADLINE {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1));
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let store = Store::open(store_url).await.map_err(|e| e.to_string())?;
        let queued = store.queue_command(session, "stop", Some("the feed ended"), "cli").await;
        store.close().await;
        queued.map(drop).map_err(|e| e.to_string())
    })
}

/// The p-quantile of sorted `values`.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    sorted.get(((sorted.len() as f64 - 1.0) * q).round() as usize).copied()
}

/// A gradient-boosted model of the default features, trained on 20,000 synthetic minute bars.
fn trained_model() -> Result<Scored, String> {
    let series = gt_data::synthetic::random_walk(Symbol::new("SYN"), 20_000, 3);
    let features = FeatureSet::named("default").map_err(|e| e.to_string())?;
    let data = Dataset::build(&series, &features, &LabelSpec::Forward { horizon: 5, cost: 0.0 });
    let weights = vec![1.0; data.labels.len()];
    let model = Model::fit(ModelKind::Gbm, &data.rows, data.columns.len(), &data.labels, &weights, 1)
        .map_err(|e| e.to_string())?;
    let stream = features.stream();
    Ok((Arc::new(SchemaBound::new(&data.schema_hash, model)), features, stream))
}

/// One session on a fresh mock; with `webhook`, every event is notified
/// there; with `model`, the strategy scores every bar with it.
fn run(name: &str, webhook: Option<&str>, model: Option<Scored>) -> Result<serde_json::Value, String> {
    let mock = MockAlpaca::start(1_000_000.0, mock_bars(), HISTORY_BARS, BAR_INTERVAL);
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime
        .block_on(async {
            let store = Store::open(&store_url).await?;
            let created = store.create_session("bench", "alpaca", &serde_json::json!({})).await;
            store.close().await;
            created
        })
        .map_err(|e| e.to_string())?;
    let history = vec![BarSeries::with_capacity(Symbol::new("SYN"), 0)];
    let session = AlpacaSession {
        store_url: &store_url,
        session: "bench",
        keys: gt_data::alpaca::AlpacaKeys::new("PKBENCH", "bench"),
        endpoints: AlpacaEndpoints {
            trading_url: mock.url().to_owned(),
            data_url: mock.url().to_owned(),
            stream_url: mock.url().replacen("http://", "ws://", 1),
            feed: "iex".into(),
        },
        timings: AlpacaTimings {
            backoff: Duration::from_millis(50),
            step_grace: Duration::from_millis(100),
            reconcile_every: Duration::from_secs(3600),
        },
        history: &history,
        max_steps: None,
        fractional: false,
        halted: None,
        outside_hours: OutsideHours::Refuse,
        bar_feed: None,
        report: None,
        metrics: None,
        notifications: None,
    };
    let notifier = match webhook {
        Some(url) => Some(
            Notifier::start("bench", NotifyConfig::new(vec![Webhook::parse(url)?]))
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    let session = AlpacaSession { notifications: notifier.as_ref().map(Notifier::handle), ..session };
    let mut sleeves = [Sleeve {
        name: StrategyId::new("every_bar"),
        weight: 1.0,
        members: vec![(0, Box::new(EveryBar { model }))],
    }];
    let mut risk = RiskEngine::new(RiskConfig::default(), false);
    let (outcome, stopper) = std::thread::scope(|scope| {
        let stopper = scope.spawn(|| stop_when_the_feed_ends(&mock, &store_url, "bench"));
        let outcome = session.run(&mut sleeves, &mut risk, EngineConfig::with_cash(1_000_000.0));
        (outcome, stopper.join())
    });
    outcome.map_err(|e| e.to_string())?;
    stopper.map_err(|_| "the stopping thread panicked".to_owned())??;
    let notified = notifier.map(|n| n.finish(Duration::from_millis(100)));
    let mut latencies: Vec<f64> =
        mock.bar_to_order_latencies().iter().skip(WARMUP_ORDERS).map(|d| d.as_secs_f64() * 1e6).collect();
    latencies.sort_by(f64::total_cmp);
    Ok(serde_json::json!({
        "name": name,
        "orders": latencies.len(),
        "notifications": notified.map(|report| report.to_string()),
        "p50_us": quantile(&latencies, 0.5),
        "p90_us": quantile(&latencies, 0.9),
        "p99_us": quantile(&latencies, 0.99),
        "max_us": latencies.last(),
    }))
}

fn main() {
    // Accepts connections (the kernel's backlog) and never answers.
    let hanging = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| Ok((l.local_addr()?, l)));
    let (address, _listener) = match hanging {
        Ok(bound) => bound,
        Err(error) => {
            eprintln!("paper_latency failed: cannot bind a webhook: {error}");
            std::process::exit(1);
        }
    };
    let url = format!("http://{address}/hook");
    let model = match trained_model() {
        Ok(model) => model,
        Err(error) => {
            eprintln!("paper_latency failed: cannot train its model: {error}");
            std::process::exit(1);
        }
    };
    let runs = [
        ("paper_latency", None, None),
        ("paper_latency_hanging_webhook", Some(url.as_str()), None),
        ("paper_latency_ml_model", None, Some(model)),
    ];
    for (name, webhook, model) in runs {
        match run(name, webhook, model) {
            Ok(line) => println!("{line}"),
            Err(error) => {
                eprintln!("{name} failed: {error}");
                std::process::exit(1);
            }
        }
    }
}
