//! The simulated exchange: fills orders against bars the way backtesting.py does.

use crate::sizing::units_for_fraction;
use crate::{BarUpdate, CancelReason, Cancellation, CostModel, ExecutionEvent, Rejection, Venue};
use gt_model::{Fill, Order, OrderId, OrderRequest, OrderType, Portfolio, Quantity, Side, Symbol, Timestamp};

/// How the simulated exchange fills.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExchangeConfig {
    /// Commission and slippage.
    pub costs: CostModel,
    /// Fill market orders at the close of the bar they were decided on,
    /// instead of the next bar's open.
    pub trade_on_close: bool,
    /// Allow fractional units; whole units otherwise.
    pub fractional_units: bool,
}

/// A pending order and whether its stop has already triggered.
#[derive(Clone, Debug)]
struct Pending {
    order: Order,
    stop_triggered: bool,
    /// Best price seen so far, for trailing stops.
    trail_best: f64,
}

/// Price and booking bar of an order whose condition is met on this bar.
struct Execution {
    price: f64,
    bar_index: usize,
    ts: Timestamp,
}

/// An exchange that fills orders against bars.
///
/// * An order decided on bar *t* is looked at from bar *t+1* on. Market orders
///   fill at that bar's open (or, with `trade_on_close`, at bar *t*'s close).
/// * Stop orders trigger when the bar's range reaches the stop and fill at the
///   stop, or at the open when the bar gaps through it; limit orders fill at the
///   limit or better; a stop-limit becomes a limit once its stop triggers, and
///   when stop and limit are both touched in one bar the limit is assumed
///   touched first (pessimistic).
/// * Reduce-only orders jump ahead of other pending orders, so closing a
///   position frees its cash before new entries are sized.
/// * An order opposite to the position closes it first-in first-out; the rest
///   opens a new position if the available equity pays for it, and is
///   cancelled with [`CancelReason::InsufficientFunds`] otherwise.
#[derive(Debug, Default)]
pub struct SimulatedExchange {
    config: ExchangeConfig,
    pending: Vec<Pending>,
}

impl SimulatedExchange {
    /// An exchange with no pending order.
    pub fn new(config: ExchangeConfig) -> Self {
        Self { config, pending: Vec::new() }
    }

    /// Where and at what price `pending` executes on this bar, if it does.
    fn execution(config: &ExchangeConfig, pending: &mut Pending, update: &BarUpdate) -> Option<Execution> {
        let bar = &update.bar;
        let long = pending.order.request.side == Side::Buy;
        let (stop, limit) = match pending.order.request.order_type {
            OrderType::Market => (None, None),
            OrderType::Limit { limit } => (None, Some(limit)),
            OrderType::Stop { stop } => (Some(stop), None),
            OrderType::StopLimit { stop, limit } => (Some(stop), Some(limit)),
            OrderType::TrailingStop { trail_pct, .. } => {
                // The stop trails the best price up to the previous bar; this bar
                // may trigger it, and otherwise moves it for the next one.
                let distance = trail_pct / 100.0;
                let stop = if long {
                    pending.trail_best * (1.0 + distance)
                } else {
                    pending.trail_best * (1.0 - distance)
                };
                let touched = if long { bar.high >= stop } else { bar.low <= stop };
                if !touched {
                    pending.trail_best =
                        if long { pending.trail_best.min(bar.low) } else { pending.trail_best.max(bar.high) };
                    return None;
                }
                (Some(stop), None)
            }
        };
        // A stop hit on this bar; once hit, the order stays a market/limit order.
        let mut stop_hit = None;
        if let Some(stop) = stop.filter(|_| !pending.stop_triggered) {
            let touched = if long { bar.high >= stop } else { bar.low <= stop };
            if !touched {
                return None;
            }
            pending.stop_triggered = true;
            stop_hit = Some(stop);
        }
        let here = Execution { price: bar.open, bar_index: update.index, ts: bar.ts };
        if let Some(limit) = limit {
            let touched = if long { bar.low <= limit } else { bar.high >= limit };
            let touched_before_stop = touched
                && if long {
                    limit <= stop_hit.unwrap_or(f64::NEG_INFINITY)
                } else {
                    limit >= stop_hit.unwrap_or(f64::INFINITY)
                };
            if !touched || touched_before_stop {
                return None;
            }
            let start = stop_hit.unwrap_or(bar.open);
            let price = if long { start.min(limit) } else { start.max(limit) };
            return Some(Execution { price, ..here });
        }
        let at_previous_close = config.trade_on_close.then_some(update.previous).flatten();
        let mut execution = match at_previous_close {
            Some(previous) if stop_hit.is_none() => {
                Execution { price: previous.close, bar_index: previous.index, ts: previous.ts }
            }
            Some(previous) => Execution { price: previous.close, ..here },
            None => here,
        };
        if let Some(stop) = stop_hit {
            execution.price = if long { execution.price.max(stop) } else { execution.price.min(stop) };
        }
        Some(execution)
    }

    /// Fills what can be filled of `order` at `at`, booking fills in `portfolio`.
    fn fill(
        &self,
        order: Order,
        at: &Execution,
        slot: usize,
        portfolio: &mut Portfolio,
        events: &mut Vec<ExecutionEvent>,
    ) {
        let costs = &self.config.costs;
        let sign = order.request.side.sign();
        let price = costs.execution_price(at.price, sign);
        let cancel = |order: Order, reason, events: &mut Vec<ExecutionEvent>| {
            events.push(ExecutionEvent::Cancelled(Cancellation {
                order,
                reason,
                bar_index: at.bar_index,
                ts: at.ts,
            }));
        };
        // Value open positions at this fill's quote while sizing, never at a later price.
        portfolio.set_mark(slot, at.price);

        // Cost of one unit with commission, the way backtesting.py reserves it.
        let (units, cost_per_unit) = match order.request.quantity {
            Quantity::Units(requested) => {
                let units = if self.config.fractional_units { requested } else { requested.floor() };
                if units <= 0.0 {
                    return cancel(order, CancelReason::ZeroQuantity { requested }, events);
                }
                (units, price + costs.commission(requested, at.price, true) / requested)
            }
            Quantity::EquityFraction(fraction) => {
                let cost = price + costs.commission(fraction, at.price, true) / fraction;
                let available = portfolio.margin_available();
                let units = units_for_fraction(available, fraction, cost, self.config.fractional_units);
                if units <= 0.0 || !units.is_finite() {
                    return cancel(
                        order,
                        CancelReason::InsufficientFunds { required: cost, available },
                        events,
                    );
                }
                (units, cost)
            }
        };

        let held = portfolio.position(slot).quantity();
        let opposite = held != 0.0 && held.signum() != sign;
        if order.request.reduce_only && !opposite {
            return cancel(order, CancelReason::NothingToClose, events);
        }
        let closing = if opposite { units.min(held.abs()) } else { 0.0 };
        let opening = if order.request.reduce_only { 0.0 } else { units - closing };

        let mut book = |fill: Fill, portfolio: &mut Portfolio| {
            portfolio.apply_fill(slot, &fill);
            events.push(ExecutionEvent::Filled(fill));
        };
        let fill_of = |id, symbol, side, strategy, quantity: f64, first: bool| Fill {
            order_id: id,
            symbol,
            side,
            quantity,
            price,
            commission: costs.commission(quantity, price, first),
            bar_index: at.bar_index,
            ts: at.ts,
            strategy,
        };
        // The order's last fill takes its symbol and strategy along instead of copying them.
        if closing > 0.0 && opening > 0.0 {
            let request = &order.request;
            let fill = fill_of(
                order.id,
                request.symbol.clone(),
                request.side,
                request.strategy.clone(),
                closing,
                true,
            );
            book(fill, portfolio);
        } else if closing > 0.0 {
            let Order { id, request: OrderRequest { symbol, side, strategy, .. }, .. } = order;
            return book(fill_of(id, symbol, side, strategy, closing, true), portfolio);
        }
        if opening > 0.0 {
            let available = portfolio.margin_available();
            let required = opening * cost_per_unit;
            if required > available {
                return cancel(order, CancelReason::InsufficientFunds { required, available }, events);
            }
            let Order { id, request: OrderRequest { symbol, side, strategy, .. }, .. } = order;
            book(fill_of(id, symbol, side, strategy, opening, closing == 0.0), portfolio);
        }
    }
}

/// Checks the numbers in an order before it is accepted.
fn validate(order: &Order) -> Result<(), CancelReason> {
    let invalid = |field, value: f64| Err(CancelReason::Invalid { field, value });
    match order.request.quantity {
        Quantity::Units(units) if !(units.is_finite() && units > 0.0) => {
            return invalid("units", units);
        }
        Quantity::EquityFraction(f) if !(f > 0.0 && f <= 1.0) => {
            return invalid("equity_fraction", f);
        }
        _ => {}
    }
    let prices = match order.request.order_type {
        OrderType::Market => [None, None],
        OrderType::Limit { limit } => [Some(("limit", limit)), None],
        OrderType::Stop { stop } => [Some(("stop", stop)), None],
        OrderType::StopLimit { stop, limit } => [Some(("stop", stop)), Some(("limit", limit))],
        OrderType::TrailingStop { trail_pct, anchor } => {
            if !(trail_pct > 0.0 && trail_pct < 100.0) {
                return invalid("trail_pct", trail_pct);
            }
            [Some(("anchor", anchor)), None]
        }
    };
    for (field, price) in prices.into_iter().flatten() {
        if !(price.is_finite() && price > 0.0) {
            return invalid(field, price);
        }
    }
    Ok(())
}

impl Venue for SimulatedExchange {
    fn submit(&mut self, order: Order) -> Result<(), Box<Rejection>> {
        if let Err(reason) = validate(&order) {
            return Err(Box::new(Rejection { order, reason }));
        }
        let trail_best = match order.request.order_type {
            OrderType::TrailingStop { anchor, .. } => anchor,
            _ => f64::NAN,
        };
        let pending = Pending { order, stop_triggered: false, trail_best };
        if pending.order.request.reduce_only {
            self.pending.insert(0, pending);
        } else {
            self.pending.push(pending);
        }
        Ok(())
    }

    #[inline]
    /// Orders are looked at in queue order. The engine submits an order only
    /// after the bar it was decided on was processed, so it can never fill on
    /// a bar it has already seen — except when the engine deliberately
    /// re-processes the last bar to close positions at the end of a run.
    fn on_bar(
        &mut self,
        slot: usize,
        update: &BarUpdate,
        portfolio: &mut Portfolio,
        events: &mut Vec<ExecutionEvent>,
    ) {
        if self.pending.is_empty() {
            return;
        }
        // With trade-on-close, market orders fill at the previous close before
        // anything that needs this bar's prices, so their sizing cannot see them.
        if self.config.trade_on_close {
            self.process(update, slot, portfolio, events, |order| {
                order.request.order_type == OrderType::Market
            });
        }
        self.process(update, slot, portfolio, events, |_| true);
    }

    fn execute_now(
        &mut self,
        order: Order,
        price: f64,
        bar_index: usize,
        ts: Timestamp,
        slot: usize,
        portfolio: &mut Portfolio,
        events: &mut Vec<ExecutionEvent>,
    ) {
        if validate(&order).is_ok() {
            self.fill(order, &Execution { price, bar_index, ts }, slot, portfolio, events);
        }
    }

    fn cancel(&mut self, id: OrderId) -> Option<Order> {
        let index = self.pending.iter().position(|p| p.order.id == id)?;
        Some(self.pending.remove(index).order)
    }

    fn cancel_all(&mut self, symbol: &Symbol) -> Vec<Order> {
        let (withdrawn, kept): (Vec<Pending>, Vec<Pending>) =
            std::mem::take(&mut self.pending).into_iter().partition(|p| p.order.request.symbol == *symbol);
        self.pending = kept;
        withdrawn.into_iter().map(|p| p.order).collect()
    }

    fn open_orders(&self) -> usize {
        self.pending.len()
    }

    fn resting_orders(&self) -> Vec<&Order> {
        self.pending.iter().map(|p| &p.order).collect()
    }
}

impl SimulatedExchange {
    /// Fills or keeps, in queue order, the pending orders of the symbol in
    /// portfolio `slot` that `eligible` selects.
    fn process(
        &mut self,
        update: &BarUpdate,
        slot: usize,
        portfolio: &mut Portfolio,
        events: &mut Vec<ExecutionEvent>,
        eligible: impl Fn(&Order) -> bool,
    ) {
        let mut index = 0;
        while index < self.pending.len() {
            let pending = &mut self.pending[index];
            let ours = pending.order.request.symbol == *portfolio.position(slot).symbol();
            let execution = if ours && eligible(&pending.order) {
                Self::execution(&self.config, pending, update)
            } else {
                None
            };
            match execution {
                Some(at) => {
                    let pending = self.pending.remove(index);
                    self.fill(pending.order, &at, slot, portfolio, events);
                }
                None => index += 1,
            }
        }
    }
}

#[cfg(test)]
#[path = "simulated_tests.rs"]
mod tests;
