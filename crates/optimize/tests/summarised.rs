//! A trial that keeps no equity curve gives the statistics of the full run:
//! every combination of a grid, on the bundled GOOG sample and on minute
//! bars, with costs, shorts and trades closed at the end, and against the
//! market when the objective asks for it.

use gt_analytics::SUMMARY_KEYS;
use gt_model::Symbol;
use gt_optimize::{Admission, Method, Objective, SearchSpace, Sweep, Trials};
use gt_runner::RunSpec;
use gt_runner::outcome::stats_of;
use gt_strategy::registry;

fn close(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

fn every_trial_equals_its_full_run(
    series: gt_model::BarSeries,
    spec: RunSpec,
    params: &[&str],
    objective: &str,
) -> usize {
    let strategy = registry::find("demo_ma").unwrap();
    let params: Vec<String> = params.iter().map(|p| p.to_string()).collect();
    let space = SearchSpace::parse(strategy, &params).unwrap();
    let objective = Objective::new(objective, false, 0).unwrap();
    let sweep = Sweep::new(spec, vec![series], space.clone(), objective).unwrap();
    let keys = if sweep.needs_market() { 30 } else { SUMMARY_KEYS.len() };
    let mut admission = Admission::new(&space, None);
    let mut trials = Trials::plan(Method::Grid, &mut admission, None, 0, None).unwrap();
    let mut checked = 0;
    while let Some(trial) = trials.next(&mut admission) {
        let lean = sweep.run(&trial).unwrap();
        let (shared, result) = sweep.run_full(&trial).unwrap();
        let full = stats_of(&shared.series, &result);
        assert_eq!(lean.stats.iter().count(), keys);
        for (key, value) in full.numbers() {
            if sweep.needs_market() || SUMMARY_KEYS.contains(&key) {
                let got = lean.stats.get(key);
                assert!(close(value, got), "{:?} {key}: full {value}, summarised {got}", trial.values);
            }
        }
        checked += 1;
    }
    checked
}

#[test]
fn on_daily_bars_with_costs_and_trades_closed_at_the_end() {
    let mut spec = RunSpec::default();
    spec.execution.commission = Some(0.002);
    spec.execution.finalize_trades = Some(true);
    let goog = gt_data::sample::goog().unwrap();
    let params = ["fast=2..20:3", "slow=21..81:15", "allow_short=true,false"];
    assert_eq!(every_trial_equals_its_full_run(goog, spec, &params, "sqn"), 7 * 5 * 2);
}

#[test]
fn on_minute_bars_through_many_trading_days() {
    let mut spec = RunSpec::default();
    spec.execution.slippage_bps = Some(1.0);
    let minutes = gt_data::synthetic::random_walk(Symbol::new("SYN"), 20_000, 3);
    let params = ["fast=3,10,40", "slow=50,200"];
    assert_eq!(every_trial_equals_its_full_run(minutes, spec, &params, "sharpe_ratio"), 6);
}

#[test]
fn against_the_market_with_every_statistic() {
    let mut spec = RunSpec::default();
    spec.execution.commission = Some(0.001);
    let goog = gt_data::sample::goog().unwrap();
    assert_eq!(every_trial_equals_its_full_run(goog, spec, &["fast=5,10", "slow=30,60"], "alpha_pct"), 4);
}
