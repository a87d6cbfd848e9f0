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
type Bench = fn(usize) -> BenchLine;

/// Every benchmark, by name. (`paper_latency`, which needs the mock Alpaca,
/// is a bench target of gt-live: `cargo bench -p gt-live --bench paper_latency`.)
const BENCHES: [(&str, Bench); 3] = [
    ("sma_cross_1m", sma_cross_1m),
    ("portfolio_500x10y", portfolio_500x10y),
    ("cache_read_10y_1m", cache_read_10y_1m),
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
        outln!("{}", serde_json::to_string(&bench(args.repeat))?);
    }
    Ok(())
}
