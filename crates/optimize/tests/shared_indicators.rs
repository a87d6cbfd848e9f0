//! Trials that read shared indicator columns get exactly the statistics of
//! an engine that computes every indicator bar by bar, as a live session
//! does: every built-in strategy, with each sizing model that reads an
//! indicator, and with a budget too small for every key.

use gt_analytics::EquitySummary;
use gt_engine::{Engine, SeriesReplay, SimulatedClock, Unobserved};
use gt_execution::SimulatedExchange;
use gt_runner::{RunSpec, SharedRun, StrategyEntry, Variant};
use gt_strategy::registry::STRATEGIES;

/// The statistics of `entry` on `run`'s bars with every indicator streamed (no columns).
fn streamed(run: &SharedRun, entry: &StrategyEntry) -> Vec<(&'static str, f64)> {
    let Variant { mut sleeves, mut risk, config, .. } = run.variant(std::slice::from_ref(entry)).unwrap();
    let mut summary = run.summary(false, None);
    let mut engine = Engine::new(config, SimulatedClock::default(), SimulatedExchange::new(run.exchange));
    let source = SeriesReplay::new(&run.series);
    let result = engine.run_recorded(source, &mut sleeves, &mut risk, &mut Unobserved, &mut summary);
    summary.numbers(&result.trades, result.warmup_bars)
}

fn numbers(run: &SharedRun, entry: &StrategyEntry) -> Vec<(&'static str, f64)> {
    let summary: EquitySummary = run.summary(false, None);
    let (result, summary) = run.run_summarised(std::slice::from_ref(entry), summary).unwrap();
    summary.numbers(&result.trades, result.warmup_bars)
}

fn same(a: &[(&'static str, f64)], b: &[(&'static str, f64)]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|((ka, va), (kb, vb))| ka == kb && va.to_bits() == vb.to_bits())
}

#[test]
fn shared_columns_give_the_statistics_of_computed_indicators() {
    let goog = gt_data::sample::goog().unwrap();
    for sizing in [None, Some("vol-target:15"), Some("atr-risk:1,2")] {
        let mut spec = RunSpec::default();
        spec.execution.commission = Some(0.001);
        spec.risk.sizing = sizing.map(str::to_owned);
        for strategy in STRATEGIES {
            let entry = StrategyEntry { strategy: strategy.name.to_owned(), ..StrategyEntry::default() };
            let shared = SharedRun::new(&spec, vec![goog.clone()])
                .unwrap()
                .sharing_indicators(gt_optimize::INDICATOR_MEMORY);
            let tight = SharedRun::new(&spec, vec![goog.clone()]).unwrap().sharing_indicators(20_000);
            let want = streamed(&shared, &entry);
            assert!(
                want.iter().any(|(k, v)| *k == "trades" && *v > 0.0),
                "{} {sizing:?} trades",
                strategy.name
            );
            let own = SharedRun::new(&spec, vec![goog.clone()]).unwrap();
            for run in [&own, &shared, &tight] {
                assert!(same(&numbers(run, &entry), &want), "{} {sizing:?}", strategy.name);
                // Again, now reading the columns the first run computed.
                assert!(same(&numbers(run, &entry), &want), "{} {sizing:?}, second run", strategy.name);
            }
            let (all, one) = (shared.indicator_sharing().unwrap(), tight.indicator_sharing().unwrap());
            assert_eq!(all.declined, 0, "{}: every key fits 4 MB", strategy.name);
            assert_eq!(one.shared, 1, "{}: 20 KB holds one column of 2,148 bars", strategy.name);
            assert_eq!(one.shared + one.declined, all.shared);
        }
    }
}

#[test]
fn a_key_the_strategy_and_the_sizing_both_read_is_computed_once() {
    let goog = gt_data::sample::goog().unwrap();
    let mut spec = RunSpec::default();
    spec.risk.sizing = Some("atr-risk:1,2".to_owned());
    let entry = StrategyEntry { strategy: "trend_breakout".to_owned(), ..StrategyEntry::default() };
    let bars = goog.len();
    let run = SharedRun::new(&spec, vec![goog]).unwrap().sharing_indicators(gt_optimize::INDICATOR_MEMORY);
    numbers(&run, &entry);
    // Two channels of highs and two of lows, and one ATR(14) for the stop and the sizing.
    let sharing = run.indicator_sharing().unwrap();
    assert_eq!((sharing.shared, sharing.bytes), (5, 5 * bars * 8));
}
