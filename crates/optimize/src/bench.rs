//! The sweep benchmarks of `gpt-trader bench`: `demo_ma` (shorts on) over
//! synthetic one-minute bars, every trial on both cores, timed once (a sweep
//! is long enough), with the peak memory of the sweep and of one trial alone.
//!
//! The account starts with 1e12 and pays 1 bp per fill, so that the fastest
//! pairs still trade to the last bar on random-walk whipsaw (with 10,000 and
//! 0.2 % they go broke early and the benchmark would time an idle loop).

use crate::sampler::Method;
use crate::study::{Progress, StudyPlan};
use crate::sweep::{Sweep, TrialOutcome};
use crate::{Objective, SearchSpace};
use gt_data::synthetic;
use gt_model::Symbol;
use gt_runner::bench::{Bench, BenchLine, BenchOptions, Memory, median_seconds, peak_rss_mb};
use gt_runner::{RunError, RunSpec, SharedRun, StrategyEntry};
use gt_strategy::registry;

/// A progress listener that listens to nothing.
struct Quiet;

impl Progress for Quiet {
    fn start(&self, _: u64, _: u64) {}
    fn trial_done(&self, _: &TrialOutcome, _: &TrialOutcome) {}
}

/// Sweeps `params` (a grid, or `budget` combinations of it drawn with seed 0)
/// under `fast < slow` over `bars` synthetic bars.
fn sweep_bench(
    name: &'static str,
    options: &BenchOptions<'_>,
    bars: usize,
    params: [&str; 2],
    budget: Option<u64>,
) -> Result<BenchLine, RunError> {
    let invalid = |e: crate::OptimizeError| RunError::invalid(e.to_string());
    let bars = options.bars(bars);
    let series = || synthetic::random_walk(Symbol::new("SYN"), bars, 42);
    let mut spec = RunSpec::default();
    spec.execution.cash = Some(1e12);
    spec.execution.commission = Some(1e-4);
    // One trial alone, as a plain summarised backtest (no shared columns), its bars gone after.
    let single_run_rss_mb = {
        let single = SharedRun::new(&spec, vec![series()])?;
        let entry = StrategyEntry {
            strategy: "demo_ma".to_owned(),
            params: vec![("fast".to_owned(), "10".to_owned()), ("slow".to_owned(), "20".to_owned())],
            ..StrategyEntry::default()
        };
        peak_rss_mb(|| single.run_summarised(std::slice::from_ref(&entry), single.summary(false, None))).1
    };
    let strategy = registry::find("demo_ma")?;
    let space = SearchSpace::parse(strategy, &params.map(str::to_owned)).map_err(invalid)?;
    let objective = Objective::new("sharpe_ratio", false, 0).map_err(invalid)?;
    let sweep = Sweep::new(spec, vec![series()], space, objective).map_err(invalid)?;
    let plan = StudyPlan {
        method: Method::Grid,
        budget,
        seed: 0,
        constraint: Some(crate::Constraint::parse(strategy, "fast < slow").map_err(invalid)?),
        shard: None,
        jobs: std::thread::available_parallelism().map_or(1, usize::from),
        top: 10,
    };
    let mut combinations = 0;
    let (seconds, peak_rss_mb) = peak_rss_mb(|| {
        median_seconds(1, || {
            let report = sweep.run_study(&plan, None, false, &Quiet);
            combinations = report.as_ref().map_or(0, |r| r.ran as usize);
            report
        })
    });
    Ok(BenchLine {
        combinations: Some(combinations),
        memory: Some(Memory { peak_rss_mb, single_run_rss_mb }),
        shared_indicators: Some(sweep.indicator_sharing()),
        ..BenchLine::new(name, bars * combinations, seconds)
    })
}

/// The 20 × 20 fast/slow grid of the benchmarks (300 pairs with `fast < slow`).
const GRID: [&str; 2] = ["fast=5..100:5", "slow=10..200:10"];

/// The sweep benchmarks, by name.
pub const BENCHES: [(&str, Bench); 3] = [
    ("sweep_sma_grid", |options| sweep_bench("sweep_sma_grid", options, 1_000_000, GRID, None)),
    ("sweep_sma_100", |options| sweep_bench("sweep_sma_100", options, 1_000_000, GRID, Some(100))),
    ("sweep_sma_2000", |options| {
        sweep_bench("sweep_sma_2000", options, 100_000, ["fast=2..101", "slow=10..400:10"], Some(2_000))
    }),
];
