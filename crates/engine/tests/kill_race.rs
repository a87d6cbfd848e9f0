//! `paper kill` on a broker: an order the broker filled while its cancel was
//! on the way reports its fill only after the book was flattened. The book
//! must end flat anyway, and stay flat while halted.

use gt_engine::{BarSource, Command, Engine, EngineConfig, SimulatedClock, Sleeve, StepObserver, StepView};
use gt_execution::{BarUpdate, ExecutionEvent, Rejection, Venue};
use gt_model::{Bar, Fill, Order, OrderId, Portfolio, Quantity, StrategyId, Symbol, Timestamp};
use gt_risk::{HaltReason, RiskConfig, RiskEngine};
use gt_strategy::{Strategy, StrategyContext};

/// A flat price of 100, one bar a minute, without end.
struct Flat {
    symbols: Vec<Symbol>,
    step: i64,
}

impl BarSource for Flat {
    fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    fn next_step(&mut self, bars: &mut Vec<(usize, Bar)>) -> Option<Timestamp> {
        let ts = Timestamp::from_nanos(self.step * 60_000_000_000);
        self.step += 1;
        bars.clear();
        bars.push((0, Bar { ts, open: 100.0, high: 100.0, low: 100.0, close: 100.0, volume: 1.0 }));
        Some(ts)
    }

    fn expected_steps(&self) -> usize {
        0
    }
}

/// A broker whose market orders fill the moment they arrive, so none can be
/// cancelled, while their fills reach the engine with the next bar.
#[derive(Default)]
struct LateReportingBroker {
    in_flight: Vec<Order>,
}

impl LateReportingBroker {
    fn fill_of(order: &Order, update: &BarUpdate) -> Fill {
        let Quantity::Units(quantity) = order.request.quantity else { panic!("units only") };
        Fill {
            order_id: order.id,
            symbol: order.request.symbol.clone(),
            side: order.request.side,
            quantity,
            price: update.bar.open,
            commission: 0.0,
            bar_index: update.index,
            ts: update.bar.ts,
            strategy: order.request.strategy.clone(),
        }
    }
}

impl Venue for LateReportingBroker {
    fn submit(&mut self, order: Order) -> Result<(), Box<Rejection>> {
        self.in_flight.push(order);
        Ok(())
    }

    fn on_bar(
        &mut self,
        slot: usize,
        update: &BarUpdate,
        portfolio: &mut Portfolio,
        events: &mut Vec<ExecutionEvent>,
    ) {
        for order in std::mem::take(&mut self.in_flight) {
            let fill = Self::fill_of(&order, update);
            portfolio.apply_fill(slot, &fill);
            events.push(ExecutionEvent::Filled(fill));
        }
    }

    fn execute_now(
        &mut self,
        order: Order,
        _price: f64,
        _bar_index: usize,
        _ts: Timestamp,
        _slot: usize,
        _portfolio: &mut Portfolio,
        _events: &mut Vec<ExecutionEvent>,
    ) {
        self.in_flight.push(order);
    }

    fn cancel(&mut self, _id: OrderId) -> Option<Order> {
        None
    }

    fn cancel_all(&mut self, _symbol: &Symbol) -> Vec<Order> {
        Vec::new()
    }

    fn open_orders(&self) -> usize {
        self.in_flight.len()
    }

    fn resting_orders(&self) -> Vec<&Order> {
        self.in_flight.iter().collect()
    }
}

/// Buys 10 on its third bar and 5 more on its sixth; after that it only
/// wants to add (entries a halt refuses).
struct BuyTwice {
    bars: usize,
}

impl Strategy for BuyTwice {
    fn warmup_bars(&self) -> usize {
        0
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        self.bars += 1;
        match self.bars {
            3 => ctx.buy(Quantity::Units(10.0)),
            6.. => ctx.buy(Quantity::Units(5.0)),
            _ => {}
        }
    }
}

/// Pulls the kill switch on the step whose entry order is still in flight,
/// then stops `after` steps later; keeps what the step views showed.
struct KillDuringEntry {
    after: usize,
    killed_at: Option<usize>,
    held: Vec<f64>,
}

impl StepObserver for KillDuringEntry {
    fn after_step(&mut self, step: &StepView<'_>, commands: &mut Vec<Command>) {
        if self.held.len() == step.index {
            self.held.push(step.portfolio.position(0).quantity());
        }
        match self.killed_at {
            None if !step.new_orders.is_empty() => {
                self.killed_at = Some(step.index);
                commands.push(Command::Kill { reason: "desk says stop".to_owned() });
            }
            Some(at) if step.index >= at + self.after && commands.is_empty() => commands.push(Command::Stop),
            _ => {}
        }
    }
}

#[test]
fn a_fill_reported_after_the_kill_is_closed_and_the_book_stays_flat() {
    let mut sleeves = [Sleeve {
        name: StrategyId::new("buyer"),
        weight: 1.0,
        members: vec![(0, Box::new(BuyTwice { bars: 0 }))],
    }];
    let mut risk = RiskEngine::new(RiskConfig::default(), false);
    let mut observer = KillDuringEntry { after: 6, killed_at: None, held: Vec::new() };
    let source = Flat { symbols: vec![Symbol::new("GOOG")], step: 0 };
    let mut engine = Engine::new(
        EngineConfig::with_cash(10_000.0),
        SimulatedClock::default(),
        LateReportingBroker::default(),
    );
    let result = engine.run_observed(source, &mut sleeves, &mut risk, &mut observer);

    let killed_at = observer.killed_at.expect("the entry was seen");
    assert_eq!(killed_at, 2);
    assert!(matches!(result.halt.as_ref().map(|h| &h.reason), Some(HaltReason::Manual { .. })));
    // The entry's fill arrives on the next bar, after the flatten found nothing
    // to close; the book closes it there, and that close fills a bar later.
    assert_eq!(observer.held[killed_at + 1], 10.0, "the late fill is booked");
    assert_eq!(observer.held[killed_at + 2], 0.0, "and closed on the bar after");
    assert!(
        observer.held[killed_at + 2..].iter().all(|&q| q == 0.0),
        "flat while halted: {:?}",
        observer.held
    );
    assert_eq!(result.open_position(&Symbol::new("GOOG")), 0.0);
    // One entry, one close: the later entries were refused, and nothing was closed twice.
    assert_eq!(result.fills.len(), 2, "{:?}", result.fills);
    assert!(result.refusals.iter().all(|r| r.bar_index > killed_at));
}
