//! `gpt-trader bench`: performance benchmarks on deterministic synthetic data.

use anyhow::{Result, bail};
use clap::Args;
use gt_data::synthetic;
use gt_engine::{EngineConfig, backtest};
use gt_execution::ExchangeConfig;
use gt_model::Symbol;
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
    let mut times: Vec<f64> = (0..repeat)
        .map(|_| {
            let strategy = Box::new(DemoMa::new(10, 20, true).expect("valid periods"));
            let started = Instant::now();
            let result = backtest(&bars, strategy, config, exchange);
            let seconds = started.elapsed().as_secs_f64();
            std::hint::black_box(result);
            seconds
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let seconds = times[times.len() / 2];
    BenchLine { name: "sma_cross_1m", bars: BARS, seconds, bars_per_s: BARS as f64 / seconds }
}

/// A benchmark: takes the number of timed repetitions.
type Bench = fn(usize) -> BenchLine;

/// Every benchmark, by name.
const BENCHES: [(&str, Bench); 1] = [("sma_cross_1m", sma_cross_1m)];

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
        println!("{}", serde_json::to_string(&bench(args.repeat))?);
    }
    Ok(())
}
