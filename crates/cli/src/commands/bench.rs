//! `gpt-trader bench`: performance benchmarks on deterministic synthetic data.

use anyhow::{Result, bail};
use clap::Args;
use gt_data::synthetic;
use gt_engine::{EngineConfig, backtest};
use gt_execution::{CostModel, ExchangeConfig};
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

/// SMA-cross (10/20, shorts allowed, 0.2 % commission) over 1,000,000 synthetic
/// one-minute bars: the full engine path (exchange, portfolio, equity curve).
fn sma_cross_1m(repeat: usize) -> BenchLine {
    const BARS: usize = 1_000_000;
    let bars = synthetic::random_walk(Symbol::new("SYN"), BARS, 42);
    let exchange = ExchangeConfig {
        costs: CostModel::new(0.002, 0.0, 0.0).expect("valid constant costs"),
        ..ExchangeConfig::default()
    };
    let config = EngineConfig {
        initial_cash: 10_000.0,
        finalize_trades: false,
    };
    let mut times: Vec<f64> = (0..repeat)
        .map(|_| {
            let mut strategy = DemoMa::new(10, 20, true);
            let started = Instant::now();
            let result = backtest(&bars, &mut strategy, config, exchange);
            let seconds = started.elapsed().as_secs_f64();
            std::hint::black_box(result);
            seconds
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let seconds = times[times.len() / 2];
    BenchLine {
        name: "sma_cross_1m",
        bars: BARS,
        seconds,
        bars_per_s: BARS as f64 / seconds,
    }
}

/// `gpt-trader bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let benches: [(&str, fn(usize) -> BenchLine); 1] = [("sma_cross_1m", sma_cross_1m)];
    let selected: Vec<_> = benches
        .iter()
        .filter(|(name, _)| args.filter.as_deref().is_none_or(|f| name.contains(f)))
        .collect();
    if selected.is_empty() {
        let names: Vec<&str> = benches.iter().map(|(n, _)| *n).collect();
        bail!(
            "no benchmark matches the filter; benchmarks: {}",
            names.join(", ")
        );
    }
    for (_, bench) in selected {
        println!("{}", serde_json::to_string(&bench(args.repeat))?);
    }
    Ok(())
}
