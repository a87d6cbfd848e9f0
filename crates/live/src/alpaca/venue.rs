use crate::notify::{Notice, NoticeKind, NoticeTime, Notifications};
use crate::snapshot::{side_name, type_name};
use crate::{ClientIds, SessionMetrics};
use gt_alpaca::{AlpacaError, BrokerOrder, NewOrder, TradeStreamEvent, TradeUpdate, TradingClient};
use gt_execution::{BarUpdate, CancelReason, Cancellation, ExecutionEvent, Rejection, Venue};
use gt_model::{Fill, Order, OrderId, OrderType, Portfolio, Quantity, Side, StrategyId, Symbol, Timestamp};
use gt_store::{FillRecord, OrderRecord, Store};
use rust_decimal::Decimal;
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// What to do with an order decided while the market is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutsideHours {
    /// Refuse it (cancelled with `market_closed`).
    Refuse,
    /// Hold it and send it when the market opens.
    Queue,
}

/// The market clock as last read, and when to read it again.
struct MarketHours {
    open: bool,
    /// The next open or close, whichever changes `open`.
    next_change: Option<chrono::DateTime<chrono::Utc>>,
}

/// An order at the broker, as we follow it.
struct Working {
    order: Order,
    /// Quantity filled so far and what it cost, from the broker's cumulative figures.
    filled: Decimal,
    filled_value: Decimal,
}

/// The venue of a paper session on Alpaca: orders go to the broker by REST
/// (their intent journaled first, under deterministic client order ids);
/// fills come back on the trade-updates stream and are booked at the next
/// bar of their symbol. Fills are counted from the order's cumulative filled
/// quantity, so duplicated or reordered events cannot book a fill twice.
/// Positions are reconciled with the broker after every reconnection and on
/// a timer; the broker's truth wins and each mismatch is counted.
pub struct AlpacaVenue {
    client: TradingClient,
    runtime: tokio::runtime::Handle,
    store: Store,
    session: String,
    ids: ClientIds,
    updates: mpsc::Receiver<TradeStreamEvent>,
    working: HashMap<String, Working>,
    /// Events waiting for their symbol's next bar.
    waiting: HashMap<Symbol, Vec<ExecutionEvent>>,
    last_close: HashMap<Symbol, f64>,
    /// The account's cash and each symbol's position at the latest bar,
    /// moved by the market orders sent since (as if filled at the last close):
    /// what equity fractions are sized against.
    cash: f64,
    held: HashMap<Symbol, f64>,
    fractional: bool,
    live: Arc<AtomicBool>,
    step: Option<usize>,
    reconcile_due: bool,
    last_reconcile: Instant,
    reconcile_every: Duration,
    mismatches: Arc<AtomicU64>,
    owners: HashMap<Symbol, StrategyId>,
    /// Where the latest bar was (for fills booked outside `on_bar`).
    last_bar: (usize, Timestamp),
    outside_hours: OutsideHours,
    hours: Option<MarketHours>,
    /// Orders held until the market opens, with their client ids.
    queued: Vec<(Order, String)>,
    metrics: Option<Arc<SessionMetrics>>,
    notifications: Option<Notifications>,
}

/// How an [`AlpacaVenue`] is set up.
pub struct AlpacaVenueSetup {
    /// The REST client.
    pub client: TradingClient,
    /// The runtime its calls run on.
    pub runtime: tokio::runtime::Handle,
    /// Where intents and acknowledgements are journaled.
    pub store: Store,
    /// Session name.
    pub session: String,
    /// The trade-updates stream's events.
    pub updates: mpsc::Receiver<TradeStreamEvent>,
    /// Whole units only, unless the account trades fractions.
    pub fractional: bool,
    /// True once bars are live (orders decided on warm-up history are not sent).
    pub live: Arc<AtomicBool>,
    /// Time between two reconciliations.
    pub reconcile_every: Duration,
    /// Mismatches found by reconciliation, shared with the session.
    pub mismatches: Arc<AtomicU64>,
    /// The strategy a symbol's positions belong to (for positions found at the broker).
    pub owners: HashMap<Symbol, StrategyId>,
    /// What happens to orders decided while the market is closed.
    pub outside_hours: OutsideHours,
    /// Told when the trade-updates stream connects and disconnects.
    pub metrics: Option<Arc<SessionMetrics>>,
    /// Told about mismatches and the trade-updates stream (`paper run --notify`).
    pub notifications: Option<Notifications>,
}

impl AlpacaVenue {
    /// A venue as `setup` says.
    pub fn new(setup: AlpacaVenueSetup) -> Self {
        Self {
            ids: ClientIds::new(&setup.session),
            client: setup.client,
            runtime: setup.runtime,
            store: setup.store,
            session: setup.session,
            updates: setup.updates,
            working: HashMap::new(),
            waiting: HashMap::new(),
            last_close: HashMap::new(),
            cash: 0.0,
            held: HashMap::new(),
            fractional: setup.fractional,
            live: setup.live,
            step: None,
            reconcile_due: true,
            last_reconcile: Instant::now(),
            reconcile_every: setup.reconcile_every,
            mismatches: setup.mismatches,
            owners: setup.owners,
            last_bar: (0, Timestamp::from_nanos(0)),
            outside_hours: setup.outside_hours,
            hours: None,
            queued: Vec::new(),
            metrics: setup.metrics,
            notifications: setup.notifications,
        }
    }

    /// Whether the market is open, from Alpaca's clock (read again once the
    /// next open or close has passed). An unreadable clock counts as closed:
    /// orders are never sent blindly.
    fn market_open(&mut self) -> bool {
        let now = chrono::Utc::now();
        if let Some(hours) = &self.hours
            && hours.next_change.is_some_and(|change| now < change)
        {
            return hours.open;
        }
        match self.runtime.block_on(self.client.clock()) {
            Ok(clock) => {
                let parse = |text: &str| chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.to_utc());
                let next_change =
                    if clock.is_open { parse(&clock.next_close) } else { parse(&clock.next_open) };
                self.hours = Some(MarketHours { open: clock.is_open, next_change });
                clock.is_open
            }
            Err(error) => {
                eprintln!("cannot read Alpaca's clock ({error}); treating the market as closed");
                self.hours = None;
                false
            }
        }
    }

    /// Sends the orders held while the market was closed, once it is open.
    fn send_queued(&mut self, events: &mut Vec<ExecutionEvent>) {
        if self.queued.is_empty() || !self.market_open() {
            return;
        }
        for (order, client_order_id) in std::mem::take(&mut self.queued) {
            if let Err(rejection) = self.send(order, client_order_id) {
                let Rejection { order, reason } = *rejection;
                let (bar_index, ts) = self.last_bar;
                events.push(ExecutionEvent::Cancelled(Cancellation { order, reason, bar_index, ts }));
            }
        }
    }

    /// Counts a market order of `units` as filled at the last close for the
    /// sizing of the orders that follow it on this step. So the opening leg of
    /// a reversal (a close, then an entry the other way) is sized after the
    /// close's proceeds, as the simulated exchange sizes it.
    fn expect_filled(&mut self, order: &Order, units: f64) {
        if !matches!(order.request.order_type, OrderType::Market) {
            return;
        }
        let symbol = &order.request.symbol;
        let signed = if order.request.side == Side::Buy { units } else { -units };
        *self.held.entry(symbol.clone()).or_insert(0.0) += signed;
        self.cash -= signed * self.last_close.get(symbol).copied().unwrap_or(0.0);
    }

    /// Equity not tied up in positions, at the last closes: what new positions may use.
    fn available(&self) -> f64 {
        let (mut equity, mut gross) = (self.cash, 0.0);
        for (symbol, held) in &self.held {
            let price = self.last_close.get(symbol).copied().unwrap_or(0.0);
            equity += held * price;
            gross += (held * price).abs();
        }
        (equity - gross).max(0.0)
    }

    /// Units to ask for: as given, or an equity fraction at the last close.
    fn units(&self, order: &Order) -> f64 {
        let units = match order.request.quantity {
            Quantity::Units(units) => units,
            Quantity::EquityFraction(fraction) => {
                let price = self.last_close.get(&order.request.symbol).copied().unwrap_or(f64::NAN);
                fraction * self.available() / price
            }
        };
        if self.fractional { (units * 1e9).floor() / 1e9 } else { units.floor() }
    }

    /// Journals `order` with `status` (and the broker's view of it, if any).
    fn journal(
        &self,
        client_order_id: &str,
        order: &Order,
        qty: f64,
        status: &str,
        broker: Option<&BrokerOrder>,
    ) {
        let record = OrderRecord {
            client_order_id: client_order_id.to_owned(),
            symbol: order.request.symbol.as_str().to_owned(),
            side: side_name(order).to_owned(),
            qty: qty.to_string(),
            order_type: type_name(order.request.order_type).to_owned(),
            status: status.to_owned(),
            filled_qty: broker.map_or_else(|| "0".to_owned(), |b| b.filled_qty.to_string()),
            decided_step: order.decided_bar as i64,
            broker_order_id: broker.map(|b| b.id.clone()),
        };
        if let Err(error) = self.runtime.block_on(self.store.record_order(&self.session, &record)) {
            eprintln!("warning: order {client_order_id} not journaled: {error}");
        }
    }

    /// Takes what the trade-updates stream said since the last look.
    fn drain_updates(&mut self) {
        while let Ok(event) = self.updates.try_recv() {
            match event {
                TradeStreamEvent::Update(update) => self.apply_update(&update),
                TradeStreamEvent::Connected { reconnected } => {
                    self.reconcile_due |= reconnected;
                    self.observe_stream(true, reconnected);
                }
                TradeStreamEvent::Disconnected { reason } => {
                    eprintln!("trade updates disconnected ({reason}); reconnecting");
                    self.observe_stream(false, false);
                }
            }
        }
    }

    /// Tells the metrics and notifications, if any, about the trade-updates stream.
    fn observe_stream(&self, connected: bool, reconnected: bool) {
        if let Some(metrics) = &self.metrics {
            metrics.observe_stream("trade_updates", connected, reconnected);
        }
        if let Some(notifications) = &self.notifications {
            notifications.stream_changed("trade_updates", connected);
        }
    }

    /// Books what an update of one of our orders changed: the fill since the
    /// last cumulative figure, or its end.
    fn apply_update(&mut self, update: &TradeUpdate) {
        let broker = &update.order;
        self.follow(broker, update.execution_id.as_deref(), update.timestamp.as_deref());
    }

    /// Brings the order `broker` describes up to date: books any new fill, ends it if final.
    fn follow(&mut self, broker: &BrokerOrder, execution_id: Option<&str>, _time: Option<&str>) {
        let Some(working) = self.working.get_mut(&broker.client_order_id) else { return };
        let new_filled = broker.filled_qty;
        if new_filled > working.filled {
            let value = broker.filled_avg_price.unwrap_or_default() * new_filled;
            let quantity = new_filled - working.filled;
            let price = (value - working.filled_value) / quantity;
            working.filled = new_filled;
            working.filled_value = value;
            let fill = Fill {
                order_id: working.order.id,
                symbol: working.order.request.symbol.clone(),
                side: working.order.request.side,
                quantity: quantity.to_f64().unwrap_or(0.0),
                price: price.to_f64().unwrap_or(f64::NAN),
                commission: 0.0,
                bar_index: self.last_bar.0,
                ts: self.last_bar.1,
                strategy: working.order.request.strategy.clone(),
            };
            let record = FillRecord {
                fill_id: execution_id
                    .map_or_else(|| format!("{}@{new_filled}", broker.client_order_id), str::to_owned),
                client_order_id: broker.client_order_id.clone(),
                symbol: broker.symbol.clone(),
                side: broker.side.clone(),
                qty: quantity.to_string(),
                price: price.round_dp(6).to_string(),
                ts_ms: self.last_bar.1.nanos() / 1_000_000,
            };
            if let Err(error) = self.runtime.block_on(self.store.record_fill(&self.session, &record)) {
                eprintln!("warning: fill of {} not journaled: {error}", broker.client_order_id);
            }
            self.waiting.entry(fill.symbol.clone()).or_default().push(ExecutionEvent::Filled(fill));
        }
        if broker.is_final()
            && let Some(working) = self.working.remove(&broker.client_order_id)
        {
            let asked = match working.order.request.quantity {
                Quantity::Units(units) => Decimal::from_f64(units),
                Quantity::EquityFraction(_) => None,
            };
            let whole = asked.is_some_and(|units| working.filled >= units);
            if broker.status != "filled" && !whole {
                let cancellation = Cancellation {
                    order: working.order.clone(),
                    reason: CancelReason::Broker { message: broker.status.clone() },
                    bar_index: self.last_bar.0,
                    ts: self.last_bar.1,
                };
                let symbol = working.order.request.symbol.clone();
                self.waiting.entry(symbol).or_default().push(ExecutionEvent::Cancelled(cancellation));
            }
        }
    }

    /// Asks the broker about every order we follow (events missed while the
    /// stream was down are not replayed), then compares positions.
    fn reconcile(&mut self, portfolio: &Portfolio) {
        self.last_reconcile = Instant::now();
        self.reconcile_due = false;
        let ids: Vec<String> = self.working.keys().cloned().collect();
        for id in ids {
            match self.runtime.block_on(self.client.order_by_client_id(&id)) {
                Ok(Some(broker)) => self.follow(&broker, None, None),
                Ok(None) => {}
                Err(error) => eprintln!("reconcile: cannot look up order {id}: {error}"),
            }
        }
        let positions = match self.runtime.block_on(self.client.positions()) {
            Ok(positions) => positions,
            Err(error) => {
                eprintln!("reconcile: cannot read positions: {error}");
                self.reconcile_due = true;
                return;
            }
        };
        for local in portfolio.positions() {
            let symbol = local.symbol();
            if self.working.values().any(|w| w.order.request.symbol == *symbol) {
                continue; // fills may be in flight
            }
            let booked_soon: f64 = self.waiting.get(symbol).map_or(0.0, |events| {
                events
                    .iter()
                    .map(|e| match e {
                        ExecutionEvent::Filled(fill) => fill.signed_quantity(),
                        ExecutionEvent::Cancelled(_) => 0.0,
                    })
                    .sum()
            });
            let broker = positions.iter().find(|p| p.symbol == symbol.as_str());
            let broker_qty = broker.and_then(|p| p.qty.to_f64()).unwrap_or(0.0);
            let difference = broker_qty - (local.quantity() + booked_soon);
            if difference.abs() < 1e-9 {
                continue;
            }
            self.mismatches.fetch_add(1, Ordering::Relaxed);
            let price = broker
                .and_then(|p| p.current_price.or(Some(p.avg_entry_price)))
                .and_then(|p| p.to_f64())
                .unwrap_or_else(|| local.mark_price());
            let here = local.quantity() + booked_soon;
            eprintln!(
                "reconcile: {symbol} held {here} here, {broker_qty} at the broker; booking {difference:+} at {price} (the broker is right)",
            );
            if let Some(notifications) = &self.notifications {
                let text = format!(
                    "reconciliation: {symbol} held {here} here, {broker_qty} at the broker; booked {difference:+} at {price}"
                );
                notifications.send(
                    Notice::new(NoticeKind::Mismatch, NoticeTime::Bar(self.last_bar.1), text)
                        .symbol(symbol.as_str())
                        .qty(difference)
                        .price(price)
                        .reason(format!("held {here} here, {broker_qty} at the broker")),
                );
            }
            let fill = Fill {
                order_id: OrderId::BOOKED,
                symbol: symbol.clone(),
                side: if difference > 0.0 { Side::Buy } else { Side::Sell },
                quantity: difference.abs(),
                price,
                commission: 0.0,
                bar_index: self.last_bar.0,
                ts: self.last_bar.1,
                strategy: self.owners.get(symbol).cloned(),
            };
            self.waiting.entry(symbol.clone()).or_default().push(ExecutionEvent::Filled(fill));
        }
    }

    /// The order Alpaca is to receive for `order`, `units` of it.
    fn new_order(&self, client_order_id: &str, order: &Order, units: f64) -> Option<NewOrder> {
        let decimal = |v: f64| Decimal::from_f64(v).map(|d| d.round_dp(4));
        let (limit, stop, trail) = match order.request.order_type {
            OrderType::Market => (None, None, None),
            OrderType::Limit { limit } => (Some(limit), None, None),
            OrderType::Stop { stop } => (None, Some(stop), None),
            OrderType::StopLimit { stop, limit } => (Some(limit), Some(stop), None),
            OrderType::TrailingStop { trail_pct, .. } => (None, None, Some(trail_pct)),
        };
        Some(NewOrder {
            symbol: order.request.symbol.as_str().to_owned(),
            qty: Decimal::from_f64(units)?.normalize(),
            side: side_name(order).to_owned(),
            order_type: type_name(order.request.order_type).to_owned(),
            time_in_force: if matches!(order.request.order_type, OrderType::Market) { "day" } else { "gtc" }
                .to_owned(),
            limit_price: limit.and_then(decimal),
            stop_price: stop.and_then(decimal),
            trail_percent: trail.and_then(decimal),
            client_order_id: client_order_id.to_owned(),
        })
    }

    /// Sends `order` now: sized, its intent journaled, then submitted.
    fn send(&mut self, order: Order, client_order_id: String) -> Result<(), Box<Rejection>> {
        let reject = |order: Order, reason: CancelReason| Err(Box::new(Rejection { order, reason }));
        let units = self.units(&order);
        if !(units.is_finite() && units > 0.0) {
            return reject(order, CancelReason::ZeroQuantity { requested: units });
        }
        let Some(new_order) = self.new_order(&client_order_id, &order, units) else {
            return reject(order, CancelReason::Invalid { field: "quantity", value: units });
        };
        // The intent is on disk before anything leaves: a crash after this
        // point is resolved at restart by asking Alpaca for the id.
        self.journal(&client_order_id, &order, units, "intent", None);
        match self.runtime.block_on(self.client.submit_order(&new_order)) {
            Ok(broker) => {
                self.expect_filled(&order, units);
                let journaled = order.clone();
                let working = Working { order, filled: Decimal::ZERO, filled_value: Decimal::ZERO };
                self.working.insert(client_order_id.clone(), working);
                // It may have filled already (the answer says so before the stream does):
                // its fill is journaled before its status says so.
                self.follow(&broker, None, None);
                self.journal(&client_order_id, &journaled, units, &broker.status, Some(&broker));
                Ok(())
            }
            Err(error) => {
                let status = if error.is_uncertain() { "unknown" } else { "rejected" };
                self.journal(&client_order_id, &order, units, status, None);
                if error.is_uncertain() {
                    self.reconcile_due = true;
                }
                let message = match error {
                    AlpacaError::Forbidden { message } | AlpacaError::Unprocessable { message } => message,
                    other => other.to_string(),
                };
                reject(order, CancelReason::Broker { message })
            }
        }
    }
}

impl Venue for AlpacaVenue {
    fn submit(&mut self, order: Order) -> Result<(), Box<Rejection>> {
        let client_order_id = self.ids.id(&order);
        let reject = |order: Order, reason: CancelReason| Err(Box::new(Rejection { order, reason }));
        if !self.live.load(Ordering::Acquire) {
            return reject(order, CancelReason::WarmUp);
        }
        if !self.market_open() {
            return match self.outside_hours {
                OutsideHours::Refuse => reject(order, CancelReason::MarketClosed),
                OutsideHours::Queue => {
                    self.queued.push((order, client_order_id));
                    Ok(())
                }
            };
        }
        self.send(order, client_order_id)
    }

    fn on_bar(
        &mut self,
        slot: usize,
        update: &BarUpdate,
        portfolio: &mut Portfolio,
        events: &mut Vec<ExecutionEvent>,
    ) {
        let symbol = portfolio.position(slot).symbol().clone();
        self.last_close.insert(symbol.clone(), update.bar.close);
        self.last_bar = (update.index, update.bar.ts);
        if self.step != Some(update.index) {
            // The first symbol of a new step: hear the broker out.
            self.step = Some(update.index);
            // What was expected of the orders sent on the last step gives way to the book.
            for position in portfolio.positions() {
                self.held.insert(position.symbol().clone(), position.quantity());
            }
            self.drain_updates();
            self.send_queued(events);
            let due = self.reconcile_due || self.last_reconcile.elapsed() >= self.reconcile_every;
            if due && self.live.load(Ordering::Acquire) {
                self.reconcile(portfolio);
            }
        }
        for event in self.waiting.remove(&symbol).unwrap_or_default() {
            match event {
                ExecutionEvent::Filled(mut fill) => {
                    fill.bar_index = update.index;
                    fill.ts = update.bar.ts;
                    portfolio.apply_fill(slot, &fill);
                    events.push(ExecutionEvent::Filled(fill));
                }
                cancelled => events.push(cancelled),
            }
        }
        self.cash = portfolio.cash();
        self.held.insert(symbol, portfolio.position(slot).quantity());
    }

    fn execute_now(
        &mut self,
        order: Order,
        _price: f64,
        bar_index: usize,
        ts: Timestamp,
        _slot: usize,
        _portfolio: &mut Portfolio,
        events: &mut Vec<ExecutionEvent>,
    ) {
        // A broker cannot fill on the spot: the order goes out at market and its fill comes back later.
        if let Err(rejection) = self.submit(order) {
            let Rejection { order, reason } = *rejection;
            events.push(ExecutionEvent::Cancelled(Cancellation { order, reason, bar_index, ts }));
        }
    }

    fn cancel(&mut self, id: OrderId) -> Option<Order> {
        let key = self.working.iter().find(|(_, w)| w.order.id == id).map(|(k, _)| k.clone())?;
        let broker_id = self.runtime.block_on(self.client.order_by_client_id(&key)).ok().flatten()?.id;
        match self.runtime.block_on(self.client.cancel_order(&broker_id)) {
            Ok(true) => self.working.remove(&key).map(|w| w.order),
            _ => None,
        }
    }

    fn cancel_all(&mut self, symbol: &Symbol) -> Vec<Order> {
        let (held, kept): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.queued).into_iter().partition(|(o, _)| o.request.symbol == *symbol);
        self.queued = kept;
        let held = held.into_iter().map(|(order, _)| order);
        let ids: Vec<OrderId> =
            self.working.values().filter(|w| w.order.request.symbol == *symbol).map(|w| w.order.id).collect();
        ids.into_iter().filter_map(|id| self.cancel(id)).chain(held).collect()
    }

    fn open_orders(&self) -> usize {
        self.working.len() + self.queued.len()
    }

    fn resting_orders(&self) -> Vec<&Order> {
        let held = self.queued.iter().map(|(order, _)| order);
        let mut orders: Vec<&Order> = self.working.values().map(|w| &w.order).chain(held).collect();
        orders.sort_by_key(|o| o.id);
        orders
    }
}
