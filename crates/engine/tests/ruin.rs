//! What the engine does when equity reaches zero: a backtest liquidates and
//! keeps the curve at zero to the end of its data; a broker's account halts
//! and goes on, and a live source, which never ends, is never drained.

use gt_engine::{
    BarSource, Command, Engine, EngineConfig, OnRuin, SimulatedClock, Sleeve, StepObserver, StepView,
};
use gt_execution::{ExchangeConfig, SimulatedExchange};
use gt_model::{Bar, Quantity, StrategyId, Symbol, Timestamp};
use gt_risk::{HaltReason, RiskConfig, RiskEngine};
use gt_strategy::{Strategy, StrategyContext};

/// A source that never ends: a price that rises 50 % a bar from 100.
struct Endless {
    symbols: Vec<Symbol>,
    step: i64,
}

impl BarSource for Endless {
    fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    fn next_step(&mut self, bars: &mut Vec<(usize, Bar)>) -> Option<Timestamp> {
        let price = 100.0 * 1.5f64.powi(self.step as i32);
        let ts = Timestamp::from_nanos(self.step * 60_000_000_000);
        self.step += 1;
        bars.clear();
        bars.push((0, Bar { ts, open: price, high: price, low: price, close: price, volume: 1.0 }));
        Some(ts)
    }

    fn expected_steps(&self) -> usize {
        0
    }
}

/// Sells short with all its equity on the first bar, then tries to add every bar.
struct ShortTheRally;

impl Strategy for ShortTheRally {
    fn warmup_bars(&self) -> usize {
        0
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        ctx.sell(Quantity::ALL_EQUITY);
    }
}

/// Stops the run after `steps` steps, counting the steps it saw.
struct StopAfter {
    steps: usize,
    seen: usize,
}

impl StepObserver for StopAfter {
    fn after_step(&mut self, step: &StepView<'_>, commands: &mut Vec<Command>) {
        self.seen = step.index + 1;
        if self.seen >= self.steps && commands.is_empty() {
            commands.push(Command::Stop);
        }
    }
}

#[test]
fn a_broker_account_at_zero_equity_halts_and_goes_on_without_draining_its_source() {
    let config = EngineConfig { on_ruin: OnRuin::Halt, ..EngineConfig::with_cash(10_000.0) };
    let mut sleeves =
        [Sleeve { name: StrategyId::new("short"), weight: 1.0, members: vec![(0, Box::new(ShortTheRally))] }];
    let mut risk = RiskEngine::new(RiskConfig::default(), false);
    let mut observer = StopAfter { steps: 12, seen: 0 };
    let source = Endless { symbols: vec![Symbol::new("UP")], step: 0 };
    let mut engine =
        Engine::new(config, SimulatedClock::default(), SimulatedExchange::new(ExchangeConfig::default()));
    // Were the source drained, this would never return.
    let result = engine.run_observed(source, &mut sleeves, &mut risk, &mut observer);
    assert_eq!(observer.seen, 12, "every step was shown to the observer, to its stop");
    assert_eq!(result.timeline.len(), 12);
    assert_eq!(result.bankrupt_at, None, "no liquidation by the engine");
    let halt = result.halt.clone().expect("halted");
    assert!(matches!(halt.reason, HaltReason::NoEquity { equity } if equity <= 0.0), "{:?}", halt.reason);
    assert_eq!(halt.reason.code(), "no_equity");
    // The short is still held (the broker's margin call is the broker's), and
    // nothing was added to it after the halt.
    let held = result.open_position(&Symbol::new("UP"));
    assert!(held < 0.0);
    let halted_at = halt.bar_index;
    assert!(result.fills.iter().all(|f| f.bar_index <= halted_at + 1), "no entry filled after the halt");
    assert!(result.refusals.iter().any(|r| r.bar_index > halted_at), "later entries refused");
}

#[test]
fn a_backtest_at_zero_equity_liquidates_and_stays_at_zero() {
    let config = EngineConfig::with_cash(10_000.0);
    assert_eq!(config.on_ruin, OnRuin::Liquidate);
    let mut sleeves =
        [Sleeve { name: StrategyId::new("short"), weight: 1.0, members: vec![(0, Box::new(ShortTheRally))] }];
    let mut risk = RiskEngine::new(RiskConfig::default(), false);
    let mut series = gt_model::BarSeries::with_capacity(Symbol::new("UP"), 20);
    let mut source = Endless { symbols: vec![Symbol::new("UP")], step: 0 };
    let mut bars = Vec::new();
    for _ in 0..20 {
        source.next_step(&mut bars);
        series.push(bars[0].1);
    }
    let result = gt_engine::backtest_portfolio(
        std::slice::from_ref(&series),
        &mut sleeves,
        &mut risk,
        config,
        ExchangeConfig::default(),
    );
    let ruined = result.bankrupt_at.expect("bankrupt");
    assert_eq!(result.equity.len(), 20, "the curve runs to the end of the data");
    assert!(result.equity[ruined..].iter().all(|&e| e == 0.0));
    assert_eq!(result.open_position(&Symbol::new("UP")), 0.0, "liquidated");
}
