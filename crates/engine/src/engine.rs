use crate::indicators::{SymbolIndicators, precomputed_columns};
use crate::protective::ProtectiveOrders;
use crate::rebalance::{AllocationPlan, Rebalancer};
use crate::result::{OpenLotAtEnd, Rebalance, RefusalRecord};
use crate::sleeve_book::SleeveBook;
use crate::{
    BacktestResult, BarSource, Clock, Command, SeriesReplay, SimulatedClock, Sleeve, StepObserver, StepView,
    Unobserved,
};
use gt_execution::{
    BarUpdate, CancelReason, Cancellation, ExchangeConfig, ExecutionEvent, PreviousBar, Rejection,
    SimulatedExchange, Venue,
};
use gt_indicators::IndicatorColumns;
use gt_model::{
    Bar, BarSeries, EquityCurve, EquityRecorder, Fill, Order, OrderId, OrderRequest, Portfolio, Quantity,
    StrategyId, Timestamp,
};
use gt_risk::{AccountView, HaltReason, RiskConfig, RiskEngine};
use gt_strategy::{Strategy, StrategyContext};
use std::sync::Arc;

/// Settings of one run that are not the venue's or the risk engine's.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Starting cash.
    pub initial_cash: f64,
    /// Close every open position at the end, so it counts as a trade.
    pub finalize_trades: bool,
    /// Keep every order and fill in the result (trades, cancellations and
    /// refusals are always kept). Off, a run writes a third of the memory.
    pub keep_order_log: bool,
    /// How sleeve weights move during the run.
    pub allocation: AllocationPlan,
    /// What happens when equity reaches zero.
    pub on_ruin: OnRuin,
    /// When the kill switch trips on a loss limit, also close every position
    /// and withdraw every resting order at that bar's close (otherwise only
    /// new entries are refused and the strategies close at their own pace).
    pub flatten_on_halt: bool,
}

/// What the engine does at the first step whose equity is zero or less.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnRuin {
    /// Close everything at the last closes and end the run; the equity curve
    /// stays at zero to the end of the data (backtesting.py's bankruptcy).
    /// For simulated venues on finite sources.
    #[default]
    Liquidate,
    /// Halt trading (only orders that reduce a position pass) and go on: the
    /// account is a broker's, and margin calls are the broker's to make. A
    /// live source never ends, so it is never drained.
    Halt,
}

impl EngineConfig {
    /// Starting with `initial_cash`, positions left open, orders and fills kept.
    pub fn with_cash(initial_cash: f64) -> Self {
        Self {
            initial_cash,
            finalize_trades: false,
            keep_order_log: true,
            allocation: AllocationPlan::Static,
            on_ruin: OnRuin::Liquidate,
            flatten_on_halt: false,
        }
    }
}

/// The event loop. Generic over the clock and the venue so the same loop
/// serves backtests and paper trading; monomorphised, so the hot path has no
/// dynamic dispatch but the strategy calls.
///
/// Per time step: (1) the venue fills pending orders on each symbol's new bar,
/// (2) positions are marked to the close, protective exits follow the
/// positions, (3) equity is recorded and the kill switch consulted, (4) each
/// strategy sees its symbol's bar and places requests, (5) the risk engine
/// approves, resizes or refuses each, and (6) approved orders go to the venue,
/// which first looks at them on the symbol's next bar.
pub struct Engine<C: Clock, V: Venue> {
    config: EngineConfig,
    clock: C,
    venue: V,
    opening: Vec<OpeningPosition>,
    opening_step: usize,
    columns: Vec<Option<Arc<IndicatorColumns>>>,
}

/// A position the account already holds when a run starts (a paper session
/// restarted against a broker that kept its positions).
#[derive(Clone, Debug, PartialEq)]
pub struct OpeningPosition {
    /// Instrument; it must be one of the run's symbols.
    pub symbol: gt_model::Symbol,
    /// Signed units.
    pub quantity: f64,
    /// Average entry price.
    pub price: f64,
    /// The strategy (sleeve) it belongs to.
    pub strategy: Option<StrategyId>,
}

impl<C: Clock, V: Venue> Engine<C, V> {
    /// An engine with the given clock and venue.
    pub fn new(config: EngineConfig, clock: C, venue: V) -> Self {
        Self { config, clock, venue, opening: Vec::new(), opening_step: 0, columns: Vec::new() }
    }

    /// Reads the indicators held in `columns[s]` (precomputed over exactly the
    /// bars the source will give symbol `s`) instead of computing them: a
    /// sweep's trials share one column per distinct key. Keys the columns do
    /// not hold are computed as usual.
    pub fn with_indicator_columns(mut self, columns: Vec<Option<Arc<IndicatorColumns>>>) -> Self {
        self.columns = columns;
        self
    }

    /// Takes on `positions` at their prices just before step `at_step` (a
    /// restarted paper session: the broker's positions of now, taken on at the
    /// first live step, after the warm-up history). The starting cash should
    /// be the account's cash plus their value at those prices, so equity is
    /// the account's throughout.
    pub fn with_opening_positions(mut self, positions: Vec<OpeningPosition>, at_step: usize) -> Self {
        self.opening = positions;
        self.opening_step = at_step;
        self
    }

    /// Runs the `sleeves` over every step of `source`, every order through `risk`.
    pub fn run(
        &mut self,
        source: impl BarSource,
        sleeves: &mut [Sleeve],
        risk: &mut RiskEngine,
    ) -> BacktestResult {
        self.run_observed(source, sleeves, risk, &mut Unobserved)
    }

    /// [`Engine::run`], showing every step to `observer` and applying the
    /// commands it returns (stop, flatten, kill, resume) between steps.
    pub fn run_observed<O: StepObserver>(
        &mut self,
        source: impl BarSource,
        sleeves: &mut [Sleeve],
        risk: &mut RiskEngine,
        observer: &mut O,
    ) -> BacktestResult {
        let mut curve = EquityCurve::with_capacity(source.expected_steps());
        let mut result = self.run_recorded(source, sleeves, risk, observer, &mut curve);
        (result.timeline, result.equity) = (curve.timeline, curve.equity);
        result
    }

    /// [`Engine::run_observed`], giving each step's equity to `recorder`
    /// instead of keeping the curve: the result's `timeline` and `equity`
    /// are empty (a sweep's trials fold them into statistics as they come).
    pub fn run_recorded<O: StepObserver, R: EquityRecorder>(
        &mut self,
        mut source: impl BarSource,
        sleeves: &mut [Sleeve],
        risk: &mut RiskEngine,
        observer: &mut O,
        recorder: &mut R,
    ) -> BacktestResult {
        let symbols = source.symbols().to_vec();
        let indicators = SymbolIndicators::declare(symbols.len(), &self.columns, risk.sizing_key(), sleeves);
        let mut run = Run::new(&self.config, SleeveBook::new(sleeves, symbols.len()), indicators);
        let slots: Vec<usize> = symbols.iter().map(|s| run.portfolio.slot(s)).collect();
        let mut protective = ProtectiveOrders::new(*risk.config().exits(), symbols.len());
        // Each symbol's previous bar, and where its bar sits in the current step (if it has one).
        let mut previous: Vec<Option<PreviousBar>> = vec![None; symbols.len()];
        let mut last_bars: Vec<Option<BarUpdate>> = vec![None; symbols.len()];
        let mut in_step: Vec<usize> = vec![usize::MAX; symbols.len()];
        let follow_exits = risk.config().exits().any();
        let mut rebalancer = Rebalancer::new(self.config.allocation.clone(), symbols.len());
        let mut step: Vec<(usize, Bar)> = Vec::with_capacity(symbols.len());
        let mut requests: Vec<OrderRequest> = Vec::new();
        let mut bankrupt_at = None;
        let mut seen = Seen::default();
        let mut commands = Vec::new();

        while let Some(ts) = source.next_step(&mut step) {
            let index = run.steps;
            self.clock.advance_to(ts);
            if index == self.opening_step && !self.opening.is_empty() {
                run.open_positions(std::mem::take(&mut self.opening), &symbols, &slots, index, ts);
            }
            for (position_in_step, &(symbol, bar)) in step.iter().enumerate() {
                let update = BarUpdate { index, bar, previous: previous[symbol] };
                let slot = slots[symbol];
                let held_before = if follow_exits { run.portfolio.position(slot).quantity() } else { 0.0 };
                self.venue.on_bar(slot, &update, &mut run.portfolio, &mut run.events);
                let filled = !run.events.is_empty() && run.record_events(symbol);
                run.portfolio.set_mark(slot, bar.close);
                run.indicators.update(symbol, &bar);
                rebalancer.observe(symbol, bar.close);
                if filled && follow_exits {
                    let position = run.portfolio.position(slot);
                    let (venue, next_id) = (&mut self.venue, &mut run.next_order_id);
                    let placed = protective.follow(symbol, held_before, position, venue, next_id, index, ts);
                    run.log_orders(placed);
                }
                previous[symbol] = Some(PreviousBar { index, ts: bar.ts, close: bar.close });
                in_step[symbol] = position_in_step;
                if self.config.finalize_trades {
                    last_bars[symbol] = Some(update);
                }
            }
            let equity = run.portfolio.equity();
            recorder.record(ts, equity);
            run.steps += 1;
            let was_halted = risk.halt().is_some();
            risk.on_equity(index, ts, equity);
            if self.config.flatten_on_halt && !was_halted && risk.halt().is_some() {
                self.flatten(&mut run, &slots, &mut protective, index, ts);
            } else if was_halted && self.holds_flat(risk) {
                self.close_strays(&mut run, &slots, &mut protective, index, ts);
            }

            if equity <= 0.0 {
                match self.config.on_ruin {
                    OnRuin::Liquidate => {
                        bankrupt_at = Some(index);
                        self.liquidate(&mut run, &slots, index, ts);
                        break;
                    }
                    OnRuin::Halt => risk.halt_on_ruin(index, ts, equity),
                }
            }

            if let Some(weights) = rebalancer.weights_due(ts, sleeves) {
                self.reweigh(
                    &mut run,
                    sleeves,
                    weights,
                    &step,
                    &in_step,
                    &symbols,
                    risk,
                    (index, ts, equity),
                );
            }

            for (s, sleeve) in sleeves.iter_mut().enumerate() {
                let share = sleeve.member_share();
                for (m, (symbol, strategy)) in sleeve.members.iter_mut().enumerate() {
                    let Some(&(_, bar)) = step.get(in_step[*symbol]).filter(|(s, _)| s == symbol) else {
                        continue;
                    };
                    let position = run.book.position(s, m);
                    let shared = run.book.is_shared(*symbol);
                    let ctx =
                        StrategyContext::new(&symbols[*symbol], bar, index, position, equity, &mut requests);
                    strategy.on_bar(&mut ctx.with_indicators(run.indicators.bank(*symbol)));
                    // Most bars place nothing: not even an empty drain.
                    if requests.is_empty() {
                        continue;
                    }
                    for request in requests.drain(..) {
                        let request =
                            sized_for_sleeve(request, &sleeve.name, share, shared, equity, bar.close);
                        run.route(&mut self.venue, risk, request, (*symbol, bar.close), index, ts);
                    }
                }
            }

            if O::WATCHES {
                // The observer sees the step, then again the effects of any
                // commands it gave, until it has none left or asked to stop.
                let mut stop = false;
                loop {
                    let view = run.view(&self.venue, risk, &seen, (index, ts), (&symbols, &step));
                    observer.after_step(&view, &mut commands);
                    seen = run.seen();
                    if commands.is_empty() || stop {
                        break;
                    }
                    stop |= self.apply(&mut commands, &mut run, &slots, &mut protective, risk, (index, ts));
                }
                if stop {
                    break;
                }
            }
        }

        if bankrupt_at.is_some() {
            // After ruin the equity curve stays at zero to the end of the data.
            recorder.amend_last(0.0);
            while let Some(ts) = source.next_step(&mut step) {
                recorder.record(ts, 0.0);
                run.steps += 1;
            }
        } else if self.config.finalize_trades {
            self.finalize(&mut run, &slots, &last_bars, &mut protective);
            if run.steps > 0 {
                recorder.amend_last(run.portfolio.equity());
            }
        }

        let warmup_bars = sleeves
            .iter()
            .flat_map(|s| s.members.iter().map(|(_, strategy)| strategy.warmup_bars()))
            .max()
            .unwrap_or(0);
        let names = sleeves.iter().map(|s| s.name.clone()).collect();
        run.into_result(symbols, names, &slots, risk, warmup_bars, bankrupt_at)
    }

    /// Closes every position by re-processing each symbol's last bar, as
    /// backtesting.py does, at that bar's prices. Orders still pending (exits
    /// resting at the venue, entries placed on the last bar) are withdrawn
    /// first, so nothing is left open.
    fn finalize(
        &mut self,
        run: &mut Run,
        slots: &[usize],
        last: &[Option<BarUpdate>],
        protective: &mut ProtectiveOrders,
    ) {
        for (symbol, update) in last.iter().enumerate() {
            let Some(update) = update else { continue };
            protective.forget(symbol);
            let slot = slots[symbol];
            let symbol_name = run.portfolio.position(slot).symbol().clone();
            for order in self.venue.cancel_all(&symbol_name) {
                let (bar_index, ts) = (update.index, update.bar.ts);
                run.cancellations.push(Cancellation { order, reason: CancelReason::EndOfRun, bar_index, ts });
            }
            let held = run.portfolio.position(slot).quantity();
            if held != 0.0 {
                let request = OrderRequest::close(run.portfolio.position(slot).symbol().clone(), held);
                let order = run.order(request, update.index, update.bar.ts);
                run.send(&mut self.venue, order, update.index, update.bar.ts);
            }
            self.venue.on_bar(slot, update, &mut run.portfolio, &mut run.events);
            run.record_events(symbol);
            run.portfolio.set_mark(slot, update.bar.close);
        }
    }

    /// Applies new sleeve weights (or records why there are none) and resizes
    /// each sleeve's open positions to its new share, where they trade this step
    /// and the change is at least 5 % of the position (to avoid churn).
    #[allow(clippy::too_many_arguments)]
    fn reweigh(
        &mut self,
        run: &mut Run,
        sleeves: &mut [Sleeve],
        weights: Result<Vec<f64>, gt_risk::allocation::AllocationError>,
        step: &[(usize, gt_model::Bar)],
        in_step: &[usize],
        symbols: &[gt_model::Symbol],
        risk: &mut RiskEngine,
        (index, ts, equity): (usize, Timestamp, f64),
    ) {
        let weights = match weights {
            Ok(weights) => weights,
            Err(error) => {
                run.rebalances.push(Rebalance {
                    bar_index: index,
                    ts,
                    weights: Vec::new(),
                    error: Some(error.to_string()),
                });
                return;
            }
        };
        for (sleeve, weight) in sleeves.iter_mut().zip(&weights) {
            sleeve.weight = *weight;
        }
        run.rebalances.push(Rebalance { bar_index: index, ts, weights, error: None });
        for (s, sleeve) in sleeves.iter().enumerate() {
            let share = sleeve.member_share();
            for (m, (symbol, _)) in sleeve.members.iter().enumerate() {
                let Some(&(_, bar)) = step.get(in_step[*symbol]).filter(|(k, _)| k == symbol) else {
                    continue;
                };
                let held = run.book.position(s, m);
                if held == 0.0 {
                    continue;
                }
                let target = held.signum() * share * equity / bar.close;
                let change = target - held;
                if change.abs() < 0.05 * held.abs() {
                    continue;
                }
                let side = if change > 0.0 { gt_model::Side::Buy } else { gt_model::Side::Sell };
                let mut request =
                    OrderRequest::market(symbols[*symbol].clone(), side, Quantity::Units(change.abs()));
                request.strategy = Some(sleeve.name.clone());
                run.route(&mut self.venue, risk, request, (*symbol, bar.close), index, ts);
            }
        }
    }

    /// Applies an observer's `commands` after step `index`; true to stop the run.
    fn apply(
        &mut self,
        commands: &mut Vec<Command>,
        run: &mut Run,
        slots: &[usize],
        protective: &mut ProtectiveOrders,
        risk: &mut RiskEngine,
        (index, ts): (usize, Timestamp),
    ) -> bool {
        let mut stop = false;
        for command in commands.drain(..) {
            match command {
                Command::Stop => stop = true,
                Command::Flatten => self.flatten(run, slots, protective, index, ts),
                Command::Kill { reason } => {
                    risk.halt_now(index, ts, &reason);
                    self.flatten(run, slots, protective, index, ts);
                }
                Command::Resume => risk.resume(),
            }
        }
        stop
    }

    /// Withdraws every resting order and closes every position at its last close.
    fn flatten(
        &mut self,
        run: &mut Run,
        slots: &[usize],
        protective: &mut ProtectiveOrders,
        index: usize,
        ts: Timestamp,
    ) {
        for (symbol, &slot) in slots.iter().enumerate() {
            self.withdraw(run, protective, (symbol, slot), index, ts);
        }
        self.liquidate(run, slots, index, ts);
    }

    /// Whether the book is to stay flat: halted by hand (`paper kill`), or by a
    /// loss limit when the run flattens on a halt.
    fn holds_flat(&self, risk: &RiskEngine) -> bool {
        risk.halt().is_some_and(|halt| {
            self.config.flatten_on_halt || matches!(halt.reason, HaltReason::Manual { .. })
        })
    }

    /// Closes what a flat, halted book holds again: a broker's fill of an order
    /// that could no longer be withdrawn when the book was flattened (it filled
    /// while the cancel was on its way) arrives after the closing orders did.
    /// A symbol is closed once nothing of it rests at the venue any more.
    fn close_strays(
        &mut self,
        run: &mut Run,
        slots: &[usize],
        protective: &mut ProtectiveOrders,
        index: usize,
        ts: Timestamp,
    ) {
        for (symbol, &slot) in slots.iter().enumerate() {
            if run.portfolio.position(slot).quantity() == 0.0 {
                continue;
            }
            self.withdraw(run, protective, (symbol, slot), index, ts);
            let name = run.portfolio.position(slot).symbol();
            if self.venue.resting_orders().iter().all(|order| order.request.symbol != *name) {
                self.liquidate_one(run, (symbol, slot), index, ts);
            }
        }
    }

    /// Withdraws every resting order of one symbol, its protective exits included.
    fn withdraw(
        &mut self,
        run: &mut Run,
        protective: &mut ProtectiveOrders,
        (symbol, slot): (usize, usize),
        index: usize,
        ts: Timestamp,
    ) {
        protective.forget(symbol);
        let name = run.portfolio.position(slot).symbol().clone();
        for order in self.venue.cancel_all(&name) {
            run.cancellations.push(Cancellation {
                order,
                reason: CancelReason::Withdrawn,
                bar_index: index,
                ts,
            });
        }
    }

    /// Closes every position at its last close (the account ran out of money).
    fn liquidate(&mut self, run: &mut Run, slots: &[usize], index: usize, ts: Timestamp) {
        for (symbol, &slot) in slots.iter().enumerate() {
            self.liquidate_one(run, (symbol, slot), index, ts);
        }
    }

    /// Closes one symbol's position, if any, at its last close.
    fn liquidate_one(&mut self, run: &mut Run, (symbol, slot): (usize, usize), index: usize, ts: Timestamp) {
        let position = run.portfolio.position(slot);
        let (held, price) = (position.quantity(), position.mark_price());
        if held != 0.0 {
            let order = run.order(OrderRequest::close(position.symbol().clone(), held), index, ts);
            run.log_orders([order.clone()]);
            self.venue.execute_now(order, price, index, ts, slot, &mut run.portfolio, &mut run.events);
            run.record_events(symbol);
        }
    }
}

/// Tags `request` with its sleeve and fits it to the sleeve's share of the account.
///
/// When the sleeve owns less than the whole account, an equity fraction
/// becomes units of the sleeve's share of equity at the decision close (a
/// strategy that owns the whole account keeps its fraction, sized against
/// available equity at the fill as backtesting.py sizes it). When several
/// sleeves trade the symbol, a closing order closes the sleeve's own units as a
/// plain order: reduce-only would act on the netted account position.
fn sized_for_sleeve(
    mut request: OrderRequest,
    sleeve: &StrategyId,
    share: f64,
    shared_symbol: bool,
    equity: f64,
    close: f64,
) -> OrderRequest {
    request.strategy = Some(sleeve.clone());
    if let Quantity::EquityFraction(fraction) = request.quantity
        && share < 1.0
        && !request.reduce_only
    {
        request.quantity = Quantity::Units(fraction * share * equity / close);
    }
    if shared_symbol {
        request.reduce_only = false;
    }
    request
}

/// Lengths of a run's logs at the end of the previous step.
#[derive(Default)]
struct Seen {
    orders: usize,
    fills: usize,
    cancellations: usize,
    refusals: usize,
}

/// The state one run accumulates.
struct Run {
    portfolio: Portfolio,
    book: SleeveBook,
    /// Steps recorded so far.
    steps: usize,
    events: Vec<ExecutionEvent>,
    orders: Vec<Order>,
    fills: Vec<Fill>,
    cancellations: Vec<Cancellation>,
    refusals: Vec<RefusalRecord>,
    rebalances: Vec<Rebalance>,
    next_order_id: u64,
    keep_order_log: bool,
    indicators: SymbolIndicators,
}

impl Run {
    fn new(config: &EngineConfig, book: SleeveBook, indicators: SymbolIndicators) -> Self {
        Self {
            portfolio: Portfolio::new(config.initial_cash),
            book,
            steps: 0,
            events: Vec::new(),
            orders: Vec::new(),
            fills: Vec::new(),
            cancellations: Vec::new(),
            refusals: Vec::new(),
            rebalances: Vec::new(),
            next_order_id: 0,
            keep_order_log: config.keep_order_log,
            indicators,
        }
    }

    /// Gives `request` the next order id (deterministic: the n-th order of the run).
    fn order(&mut self, request: OrderRequest, bar_index: usize, ts: Timestamp) -> Order {
        let id = OrderId(self.next_order_id);
        self.next_order_id += 1;
        Order { id, request, decided_bar: bar_index, decided_at: ts }
    }

    /// Books positions held before the first bar, as fills at their prices.
    fn open_positions(
        &mut self,
        positions: Vec<OpeningPosition>,
        symbols: &[gt_model::Symbol],
        slots: &[usize],
        index: usize,
        ts: Timestamp,
    ) {
        for opening in positions {
            let Some(symbol) = symbols.iter().position(|s| *s == opening.symbol) else { continue };
            let side = if opening.quantity > 0.0 { gt_model::Side::Buy } else { gt_model::Side::Sell };
            let fill = Fill {
                order_id: OrderId::BOOKED,
                symbol: opening.symbol,
                side,
                quantity: opening.quantity.abs(),
                price: opening.price,
                commission: 0.0,
                bar_index: index,
                ts,
                strategy: opening.strategy,
            };
            self.portfolio.apply_fill(slots[symbol], &fill);
            self.portfolio.set_mark(slots[symbol], opening.price);
            self.book.apply(&fill, symbol);
        }
    }

    /// How long each log is now.
    fn seen(&self) -> Seen {
        Seen {
            orders: self.orders.len(),
            fills: self.fills.len(),
            cancellations: self.cancellations.len(),
            refusals: self.refusals.len(),
        }
    }

    /// The step `index` as an observer sees it: what the logs gained since `seen`.
    fn view<'a>(
        &'a self,
        venue: &'a impl Venue,
        risk: &'a RiskEngine,
        seen: &Seen,
        (index, ts): (usize, Timestamp),
        (symbols, bars): (&'a [gt_model::Symbol], &'a [(usize, Bar)]),
    ) -> StepView<'a> {
        StepView {
            index,
            ts,
            symbols,
            bars,
            portfolio: &self.portfolio,
            new_orders: &self.orders[seen.orders..],
            new_fills: &self.fills[seen.fills..],
            new_cancellations: &self.cancellations[seen.cancellations..],
            new_refusals: &self.refusals[seen.refusals..],
            resting_orders: venue.resting_orders(),
            halt: risk.halt(),
            losses: risk.losses(),
        }
    }

    /// Keeps `orders` in the order log, if the run keeps one.
    fn log_orders(&mut self, orders: impl IntoIterator<Item = Order>) {
        if self.keep_order_log {
            self.orders.extend(orders);
        }
    }

    /// Submits `order` to `venue`, logging it and recording a rejection as a cancellation.
    fn send(&mut self, venue: &mut impl Venue, order: Order, bar_index: usize, ts: Timestamp) {
        let logged = self.keep_order_log.then(|| order.clone());
        if let Err(rejection) = venue.submit(order) {
            let Rejection { order, reason } = *rejection;
            self.cancellations.push(Cancellation { order, reason, bar_index, ts });
        }
        self.orders.extend(logged);
    }

    /// Sends `request` through the risk engine to the venue, recording refusals and rejections.
    fn route(
        &mut self,
        venue: &mut impl Venue,
        risk: &mut RiskEngine,
        request: OrderRequest,
        (symbol, price): (usize, f64),
        bar_index: usize,
        ts: Timestamp,
    ) {
        let view = AccountView {
            equity: self.portfolio.equity(),
            positions: self.portfolio.positions(),
            sizing_measure: self.indicators.sizing_measure(symbol),
        };
        match risk.check(request, price, &view) {
            Ok(approved) => {
                let order = self.order(approved.into_inner(), bar_index, ts);
                self.send(venue, order, bar_index, ts);
            }
            Err(refused) => self.refusals.push(RefusalRecord {
                bar_index,
                ts,
                symbol: refused.item.symbol,
                strategy: refused.item.strategy,
                refusal: refused.refusal,
            }),
        }
    }

    /// Moves the venue's events for `symbol` into the sleeves' books and the
    /// fill and cancellation logs; true if anything filled.
    #[inline]
    fn record_events(&mut self, symbol: usize) -> bool {
        if self.events.is_empty() {
            return false;
        }
        let mut filled = false;
        for event in self.events.drain(..) {
            match event {
                ExecutionEvent::Filled(fill) => {
                    filled = true;
                    self.book.apply(&fill, symbol);
                    if self.keep_order_log {
                        self.fills.push(fill);
                    }
                }
                ExecutionEvent::Cancelled(cancellation) => self.cancellations.push(cancellation),
            }
        }
        filled
    }

    fn into_result(
        self,
        symbols: Vec<gt_model::Symbol>,
        sleeves: Vec<StrategyId>,
        slots: &[usize],
        risk: &RiskEngine,
        warmup_bars: usize,
        bankrupt_at: Option<usize>,
    ) -> BacktestResult {
        let open_lots = OpenLotAtEnd::all_in(&self.portfolio, slots);
        let indicators = self.indicators.keys();
        BacktestResult {
            symbols,
            sleeves,
            timeline: Vec::new(),
            equity: Vec::new(),
            trades: self.portfolio.into_closed_trades(),
            orders: self.orders,
            fills: self.fills,
            cancellations: self.cancellations,
            refusals: self.refusals,
            rebalances: self.rebalances,
            halt: risk.halt().cloned(),
            open_lots,
            warmup_bars,
            bankrupt_at,
            indicators,
        }
    }
}

/// Backtests `strategy` alone on `series`: the whole account, no risk limits,
/// the simulated exchange and a simulated clock (backtesting.py's profile).
pub fn backtest(
    series: &BarSeries,
    strategy: Box<dyn Strategy>,
    config: EngineConfig,
    exchange: ExchangeConfig,
) -> BacktestResult {
    let mut sleeves =
        [Sleeve { name: StrategyId::new("strategy"), weight: 1.0, members: vec![(0, strategy)] }];
    let mut risk = RiskEngine::new(RiskConfig::default(), exchange.fractional_units);
    backtest_portfolio(std::slice::from_ref(series), &mut sleeves, &mut risk, config, exchange)
}

/// [`backtest_portfolio`], giving each step's equity to `recorder` instead
/// of keeping the curve (the result's `timeline` and `equity` are empty),
/// and reading the indicators `columns` hold (see
/// [`Engine::with_indicator_columns`]; empty: every indicator is computed).
#[allow(clippy::too_many_arguments)]
pub fn backtest_portfolio_recorded<R: EquityRecorder>(
    series: &[BarSeries],
    sleeves: &mut [Sleeve],
    risk: &mut RiskEngine,
    config: EngineConfig,
    exchange: ExchangeConfig,
    columns: Vec<Option<Arc<IndicatorColumns>>>,
    recorder: &mut R,
) -> BacktestResult {
    let engine = Engine::new(config, SimulatedClock::default(), SimulatedExchange::new(exchange));
    engine.with_indicator_columns(columns).run_recorded(
        SeriesReplay::new(series),
        sleeves,
        risk,
        &mut Unobserved,
        recorder,
    )
}

/// Backtests `sleeves` on several series (merged on one timeline) with one account and `risk`.
/// Every indicator they read is precomputed over the series first.
pub fn backtest_portfolio(
    series: &[BarSeries],
    sleeves: &mut [Sleeve],
    risk: &mut RiskEngine,
    config: EngineConfig,
    exchange: ExchangeConfig,
) -> BacktestResult {
    let columns = precomputed_columns(series, sleeves, risk);
    let engine = Engine::new(config, SimulatedClock::default(), SimulatedExchange::new(exchange));
    engine.with_indicator_columns(columns).run(SeriesReplay::new(series), sleeves, risk)
}
