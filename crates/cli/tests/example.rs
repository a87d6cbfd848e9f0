//! The user-facing example builds against the public API and produces a real backtest.

#[allow(dead_code)]
#[path = "../examples/custom_strategy.rs"]
mod custom_strategy;

#[test]
fn custom_strategy_example_backtests_with_the_public_api() {
    let stats = custom_strategy::run().unwrap();
    assert!(stats.trades > 0, "the example trades");
    assert!(stats.equity_final > 0.0);
    assert!(stats.exposure_time_pct > 0.0 && stats.exposure_time_pct < 100.0);
    let lines = include_str!("../examples/custom_strategy.rs").lines().count();
    assert!(lines < 60, "the example stays under 60 lines, it has {lines}");
}
