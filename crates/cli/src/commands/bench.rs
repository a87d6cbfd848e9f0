//! `gpt-trader bench`: performance benchmarks on deterministic synthetic data.

use crate::commands::run_args::stats_of;
use anyhow::{Result, bail};
use clap::Args;
use gt_data::synthetic;
use gt_engine::{EngineConfig, Sleeve, backtest, backtest_portfolio};
use gt_execution::ExchangeConfig;
use gt_model::Symbol;
use gt_model::{BarSeries, StrategyId};
use gt_risk::{ProtectiveExits, RiskConfig, RiskEngine, RiskLimits, Sizing};
use gt_strategy::Strategy;
use gt_strategy::demo_ma::DemoMa;
use serde::Serialize;
use serde_json::Value;
use std::time::Instant;

/// Options of `gpt-trader bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Run only benchmarks whose name contains this text.
    #[arg(long)]
    filter: Option<String>,

    /// Timed repetitions per benchmark; the median is reported.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
}

/// One benchmark's result line.
#[derive(Serialize)]
struct BenchLine {
    name: &'static str,
    bars: usize,
    seconds: f64,
    bars_per_s: f64,
}

/// SMA-cross (10/20, shorts allowed) over 1,000,000 synthetic one-minute bars:
/// the full engine path (exchange, portfolio, trade ledger, equity curve).
///
/// The account starts with 1e9 and pays no commission so that it keeps
/// trading to the last bar (about 46,500 round trips): with the Quick Start's
/// 10,000 and 0.2 % the whipsaw of random data would leave it unable to afford
/// one unit long before the end, and the benchmark would time an idle loop.
fn sma_cross_1m(repeat: usize) -> BenchLine {
    const BARS: usize = 1_000_000;
    let bars = synthetic::random_walk(Symbol::new("SYN"), BARS, 42);
    let exchange = ExchangeConfig::default();
    let config = EngineConfig { keep_order_log: false, ..EngineConfig::with_cash(1e9) };
    let seconds = median_seconds(repeat, || {
        backtest(&bars, Box::new(DemoMa::new(10, 20, true).expect("valid periods")), config, exchange)
    });
    BenchLine { name: "sma_cross_1m", bars: BARS, seconds, bars_per_s: BARS as f64 / seconds }
}

/// 500 symbols × 10 years of synthetic daily bars (2,520 each), SMA-cross on
/// every symbol in one account, every order through the risk engine (position
/// cap 5 %, gross exposure 100 %, drawdown kill switch 50 %), then the
/// statistics: the whole `backtest --universe` path but loading.
fn portfolio_500x10y(repeat: usize) -> BenchLine {
    const SYMBOLS: usize = 500;
    const DAYS: usize = 2_520;
    let series: Vec<BarSeries> = (0..SYMBOLS)
        .map(|i| synthetic::daily_walk(Symbol::new(&format!("S{i:03}")), DAYS, 1_000 + i as u64))
        .collect();
    let limits = RiskLimits {
        max_position_pct: Some(5.0),
        max_gross_exposure_pct: Some(100.0),
        max_drawdown_pct: Some(50.0),
        ..RiskLimits::default()
    };
    let risk_config = RiskConfig::new(limits, ProtectiveExits::default(), Sizing::AsRequested)
        .expect("valid constant limits");
    let config = EngineConfig { keep_order_log: false, ..EngineConfig::with_cash(1_000_000.0) };
    let seconds = median_seconds(repeat, || {
        let members = (0..SYMBOLS)
            .map(|i| (i, Box::new(DemoMa::new(10, 20, true).expect("valid periods")) as Box<dyn Strategy>))
            .collect();
        let mut sleeves = [Sleeve { name: StrategyId::new("demo_ma"), weight: 1.0, members }];
        let mut risk = RiskEngine::new(risk_config, false);
        let result = backtest_portfolio(&series, &mut sleeves, &mut risk, config, ExchangeConfig::default());
        std::hint::black_box(stats_of(&series, &result));
        result
    });
    let bars = SYMBOLS * DAYS;
    BenchLine { name: "portfolio_500x10y", bars, seconds, bars_per_s: bars as f64 / seconds }
}

/// Reading 10 years of one-minute bars (252 days × 390 minutes) back from the local cache.
fn cache_read_10y_1m(repeat: usize) -> BenchLine {
    const BARS: usize = 252 * 390 * 10;
    let dir = std::env::temp_dir().join(format!("gpt-trader-bench-cache-{}", std::process::id()));
    let cache = gt_data::cache::BarCache::new(&dir);
    cache
        .store(&synthetic::random_walk(Symbol::new("SYN"), BARS, 7), "1m", "bench")
        .expect("writable temp dir");
    let seconds = median_seconds(repeat, || cache.load("SYN", "1m").expect("just written").expect("present"));
    let _ = std::fs::remove_dir_all(&dir);
    BenchLine { name: "cache_read_10y_1m", bars: BARS, seconds, bars_per_s: BARS as f64 / seconds }
}

/// Buys one unit when flat and sells it when long, on every bar: an order per bar.
struct EveryBar;

impl Strategy for EveryBar {
    fn warmup_bars(&self) -> usize {
        0
    }

    fn on_bar(&mut self, ctx: &mut gt_strategy::StrategyContext<'_>) {
        if ctx.position() == 0.0 {
            ctx.buy(gt_model::Quantity::Units(1.0));
        } else {
            ctx.close_position();
        }
    }
}

/// Bars streamed to the paper session in `paper_latency`.
const LATENCY_BARS: usize = 400;

/// Orders of `paper_latency` left out of its statistics: those decided on
/// bars that queued while the session was starting.
const LATENCY_WARMUP_ORDERS: usize = 10;

/// A paper session on the mock Alpaca (loopback): from a bar message leaving
/// the mock's stream to the order request reaching the mock, through the
/// stream client, the engine step, the strategy, the risk check, the order's
/// intent journaled in SQLite, and the REST submission. One order per bar;
/// p50, p90 and p99 over the session's orders after the first ten (not repeated).
fn paper_latency(_repeat: usize) -> Value {
    use gt_live::alpaca::{AlpacaEndpoints, AlpacaSession, AlpacaTimings, OutsideHours};
    use gt_testkit::alpaca_mock::{MockAlpaca, MockBar};
    let history = 30;
    let start = chrono::Utc::now().timestamp() / 60 * 60 - 60 * history as i64;
    let bars: Vec<MockBar> = (0..history + LATENCY_BARS)
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
        .collect();
    let mock = MockAlpaca::start(1_000_000.0, bars, history, std::time::Duration::from_millis(10));
    let dir = std::env::temp_dir().join(format!("gpt-trader-bench-paper-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let store_url = format!("sqlite://{}", dir.join("bench.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let created = runtime.block_on(async {
        let store = gt_store::Store::open(&store_url).await?;
        store.create_session("bench", "alpaca", &serde_json::json!({})).await
    });
    if let Err(error) = created {
        return serde_json::json!({"name": "paper_latency", "error": error.to_string()});
    }
    let history: Vec<BarSeries> = vec![BarSeries::with_capacity(Symbol::new("SYN"), 0)];
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
            backoff: std::time::Duration::from_millis(50),
            step_grace: std::time::Duration::from_millis(100),
            reconcile_every: std::time::Duration::from_secs(3600),
        },
        history: &history,
        max_steps: Some(LATENCY_BARS - 10),
        fractional: false,
        halted: None,
        outside_hours: OutsideHours::Refuse,
        report: None,
    };
    let mut sleeves =
        [Sleeve { name: StrategyId::new("every_bar"), weight: 1.0, members: vec![(0, Box::new(EveryBar))] }];
    let mut risk = RiskEngine::new(RiskConfig::default(), false);
    let outcome = session.run(&mut sleeves, &mut risk, EngineConfig::with_cash(1_000_000.0));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(error) = outcome {
        return serde_json::json!({"name": "paper_latency", "error": error.to_string()});
    }
    // The first orders wait for the session to start (bars published meanwhile queue up): left out.
    let mut latencies: Vec<f64> = mock
        .bar_to_order_latencies()
        .iter()
        .skip(LATENCY_WARMUP_ORDERS)
        .map(|d| d.as_secs_f64() * 1e6)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let quantile = |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q).round() as usize).copied();
    serde_json::json!({
        "name": "paper_latency",
        "orders": latencies.len(),
        "p50_us": quantile(0.5),
        "p90_us": quantile(0.9),
        "p99_us": quantile(0.99),
        "max_us": latencies.last(),
    })
}

/// Runs `work` `repeat` times and returns the median wall time in seconds;
/// what `work` returns is dropped outside the timing.
fn median_seconds<T>(repeat: usize, mut work: impl FnMut() -> T) -> f64 {
    let mut times: Vec<f64> = (0..repeat)
        .map(|_| {
            let started = Instant::now();
            let output = work();
            let seconds = started.elapsed().as_secs_f64();
            drop(std::hint::black_box(output));
            seconds
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// A benchmark: takes the number of timed repetitions, gives its result line.
type Bench = fn(usize) -> Value;

/// A throughput benchmark's line.
fn throughput(bench: fn(usize) -> BenchLine) -> impl Fn(usize) -> Value {
    move |repeat| serde_json::to_value(bench(repeat)).unwrap_or(Value::Null)
}

/// Every benchmark, by name.
const BENCHES: [(&str, Bench); 4] = [
    ("sma_cross_1m", |repeat| throughput(sma_cross_1m)(repeat)),
    ("portfolio_500x10y", |repeat| throughput(portfolio_500x10y)(repeat)),
    ("cache_read_10y_1m", |repeat| throughput(cache_read_10y_1m)(repeat)),
    ("paper_latency", paper_latency),
];

/// `gpt-trader bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let selected: Vec<_> =
        BENCHES.iter().filter(|(name, _)| args.filter.as_deref().is_none_or(|f| name.contains(f))).collect();
    if selected.is_empty() {
        let names: Vec<&str> = BENCHES.iter().map(|(n, _)| *n).collect();
        bail!("no benchmark matches the filter; benchmarks: {}", names.join(", "));
    }
    for (_, bench) in selected {
        outln!("{}", bench(args.repeat));
    }
    Ok(())
}
