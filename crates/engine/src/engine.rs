use crate::{BacktestResult, BarSource, Clock, SeriesReplay, SimulatedClock};
use gt_execution::{BarUpdate, Cancellation, ExchangeConfig, ExecutionEvent, SimulatedExchange, Venue};
use gt_model::{BarSeries, Fill, Order, OrderId, OrderRequest, Portfolio, Timestamp};
use gt_strategy::{Strategy, StrategyContext};

/// Settings of one run that are not the venue's.
#[derive(Clone, Copy, Debug)]
pub struct EngineConfig {
    /// Starting cash.
    pub initial_cash: f64,
    /// Close every open position at the end, so it counts as a trade.
    pub finalize_trades: bool,
}

/// The event loop. Generic over the clock and the venue so the same loop
/// serves backtests and paper trading; monomorphised, so the hot path has
/// no dynamic dispatch but the strategy call.
pub struct Engine<C: Clock, V: Venue> {
    config: EngineConfig,
    clock: C,
    venue: V,
}

impl<C: Clock, V: Venue> Engine<C, V> {
    /// An engine with the given clock and venue.
    pub fn new(config: EngineConfig, clock: C, venue: V) -> Self {
        Self { config, clock, venue }
    }

    /// Runs `strategy` over every bar of `source` and returns what happened.
    pub fn run(&mut self, mut source: impl BarSource, strategy: &mut dyn Strategy) -> BacktestResult {
        let symbol = source.symbol().clone();
        let expected = source.expected_bars();
        let mut run = Run::new(self.config.initial_cash, expected);
        let slot = run.portfolio.slot(&symbol);
        let mut requests: Vec<OrderRequest> = Vec::new();
        let mut bankrupt_at = None;
        let mut last_update: Option<BarUpdate> = None;

        while let Some(bar) = source.next_bar() {
            let index = run.equity.len();
            self.clock.advance_to(bar.ts);
            let update = BarUpdate {
                index,
                bar,
                previous: last_update.map(|previous| (previous.bar.ts, previous.bar.close)),
            };
            self.venue.on_bar(slot, &update, &mut run.portfolio, &mut run.events);
            run.record_events();
            run.portfolio.set_mark(slot, bar.close);
            let equity = run.portfolio.equity();
            run.equity.push(equity);
            last_update = Some(update);

            if equity <= 0.0 {
                // Ruin: liquidate at the close and stop, as backtesting.py does.
                let held = run.portfolio.position(slot).quantity();
                if held != 0.0 {
                    let order = run.order(OrderRequest::close(symbol.clone(), held), index, bar.ts);
                    self.venue.execute_now(
                        order,
                        bar.close,
                        index,
                        bar.ts,
                        slot,
                        &mut run.portfolio,
                        &mut run.events,
                    );
                    run.record_events();
                }
                bankrupt_at = Some(index);
                break;
            }

            let position = run.portfolio.position(slot).quantity();
            strategy.on_bar(&mut StrategyContext::new(&symbol, bar, index, position, equity, &mut requests));
            if !requests.is_empty() {
                for request in requests.drain(..) {
                    run.submit(&mut self.venue, request, index, bar.ts);
                }
            }
        }

        if bankrupt_at.is_some() {
            // After ruin the equity curve stays at zero to the end of the data.
            if let Some(last) = run.equity.last_mut() {
                *last = 0.0;
            }
            while source.next_bar().is_some() {
                run.equity.push(0.0);
            }
        } else if let (true, Some(update)) = (self.config.finalize_trades, last_update) {
            let held = run.portfolio.position(slot).quantity();
            if held != 0.0 {
                let request = OrderRequest::close(symbol.clone(), held);
                run.submit(&mut self.venue, request, update.index, update.bar.ts);
            }
            // Re-process the last bar, as backtesting.py does, so the closing
            // orders (and any placed on the last bar) execute.
            self.venue.on_bar(slot, &update, &mut run.portfolio, &mut run.events);
            run.record_events();
            run.portfolio.set_mark(slot, update.bar.close);
            if let Some(last) = run.equity.last_mut() {
                *last = run.portfolio.equity();
            }
        }

        BacktestResult {
            open_position: run.portfolio.position(slot).quantity(),
            trades: run.portfolio.closed_trades().to_vec(),
            symbol,
            equity: run.equity,
            orders: run.orders,
            fills: run.fills,
            cancellations: run.cancellations,
            warmup_bars: strategy.warmup_bars(),
            bankrupt_at,
        }
    }
}

/// The state one run accumulates.
struct Run {
    portfolio: Portfolio,
    equity: Vec<f64>,
    events: Vec<ExecutionEvent>,
    orders: Vec<Order>,
    fills: Vec<Fill>,
    cancellations: Vec<Cancellation>,
    next_order_id: u64,
}

impl Run {
    fn new(initial_cash: f64, expected_bars: usize) -> Self {
        Self {
            portfolio: Portfolio::new(initial_cash),
            equity: Vec::with_capacity(expected_bars),
            events: Vec::new(),
            orders: Vec::new(),
            fills: Vec::new(),
            cancellations: Vec::new(),
            next_order_id: 0,
        }
    }

    /// Gives `request` the next order id (deterministic: the n-th order of the run).
    fn order(&mut self, request: OrderRequest, bar_index: usize, ts: Timestamp) -> Order {
        let id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        Order { id, request, decided_bar: bar_index, decided_at: ts }
    }

    /// Sends `request` to `venue`, recording an immediate refusal as a cancellation.
    fn submit(&mut self, venue: &mut impl Venue, request: OrderRequest, bar_index: usize, ts: Timestamp) {
        let order = self.order(request, bar_index, ts);
        if let Err(reason) = venue.submit(order.clone()) {
            self.cancellations.push(Cancellation { order: order.clone(), reason, bar_index, ts });
        }
        self.orders.push(order);
    }

    /// Moves the venue's events into the fill and cancellation logs.
    #[inline]
    fn record_events(&mut self) {
        if self.events.is_empty() {
            return;
        }
        for event in self.events.drain(..) {
            match event {
                ExecutionEvent::Filled(fill) => self.fills.push(fill),
                ExecutionEvent::Cancelled(cancellation) => self.cancellations.push(cancellation),
            }
        }
    }
}

/// Backtests `strategy` on `series` with the simulated exchange and a simulated clock.
pub fn backtest(
    series: &BarSeries,
    strategy: &mut dyn Strategy,
    config: EngineConfig,
    exchange: ExchangeConfig,
) -> BacktestResult {
    Engine::new(config, SimulatedClock::default(), SimulatedExchange::new(exchange))
        .run(SeriesReplay::new(series), strategy)
}
