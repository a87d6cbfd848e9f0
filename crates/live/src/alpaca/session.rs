use super::{AlpacaVenue, AlpacaVenueSetup, LiveBars, OutsideHours};
use crate::notify::Notifications;
use crate::{
    LiveError, OrderRecord, Pacing, PositionRecord, SessionMetrics, SessionObserver, SessionSnapshot,
    TimedBars, WholeSession,
};
use gt_alpaca::{BarStream, BarStreamEvent, StreamBar, TradeUpdatesStream, TradingClient};
use gt_data::alpaca::{AlpacaClient, AlpacaKeys};
use gt_engine::{BacktestResult, Engine, EngineConfig, OpeningPosition, SimulatedClock, Sleeve};
use gt_model::{BarSeries, Symbol, TimeFormat, Timestamp};
use gt_risk::RiskEngine;
use gt_store::{FillRecord, Store};
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

/// Where a session's Alpaca services are (every URL can be overridden).
#[derive(Clone, Debug)]
pub struct AlpacaEndpoints {
    /// Trading REST host (`APCA_API_BASE_URL`); its `/stream` carries trade updates.
    pub trading_url: String,
    /// Market-data REST host (`APCA_API_DATA_URL`), for back-fills.
    pub data_url: String,
    /// Market-data stream host (`APCA_API_STREAM_URL`).
    pub stream_url: String,
    /// `iex` or `sip`.
    pub feed: String,
}

/// Timings of a session.
#[derive(Clone, Copy, Debug)]
pub struct AlpacaTimings {
    /// First delay before a retry or reconnection (it doubles).
    pub backoff: Duration,
    /// How long a live step waits for symbols that have not reported yet.
    pub step_grace: Duration,
    /// Time between two reconciliations with the broker.
    pub reconcile_every: Duration,
}

/// A paper session on an Alpaca paper account.
pub struct AlpacaSession<'a> {
    /// The store's URL (journal, commands); the session opens it on its own runtime.
    pub store_url: &'a str,
    /// Session name.
    pub session: &'a str,
    /// Keys.
    pub keys: AlpacaKeys,
    /// Service URLs.
    pub endpoints: AlpacaEndpoints,
    /// Timings.
    pub timings: AlpacaTimings,
    /// Warm-up history, one series per symbol (the symbols traded).
    pub history: &'a [BarSeries],
    /// Stop after this many live bars.
    pub max_steps: Option<usize>,
    /// Whether the account trades fractional units.
    pub fractional: bool,
    /// The halt to restore (the session was killed and not resumed).
    pub halted: Option<String>,
    /// What happens to orders decided while the market is closed.
    pub outside_hours: OutsideHours,
    /// Told about each live bar (log lines).
    pub report: Option<crate::StepReport>,
    /// Shown every bar, warm-up and live ([`crate::SessionObserver::with_bar_feed`]).
    pub bar_feed: Option<crate::StepReport>,
    /// The session's metrics (`paper run --metrics`), kept up as it runs.
    pub metrics: Option<Arc<SessionMetrics>>,
    /// Where the session's events are notified (`paper run --notify`).
    pub notifications: Option<Notifications>,
}

/// How a session on Alpaca ended.
pub struct AlpacaOutcome {
    /// The session since it began, every run of it (its live steps, rebuilt
    /// from the journal), with this run's orders, refusals and halt.
    pub result: BacktestResult,
    /// Live steps processed.
    pub new_steps: usize,
    /// Reconciliation mismatches found (and resolved in the broker's favour).
    pub mismatches: u64,
    /// Every live bar of the session since it began, by symbol (the warm-up
    /// history and this run's bars while no step is journaled yet).
    pub bars: Vec<BarSeries>,
}

/// Journal statuses after which an order can change no more at the broker,
/// its fills all journaled (they are written before the final status).
const FINAL: [&str; 3] = ["rejected", "never_sent", "expired"];

/// True when a journaled order may have changed at the broker since, or
/// may have fills the journal lacks: anything not final, and a `filled`
/// order with fewer units journaled than it asked for.
fn needs_settling(order: &gt_store::OrderRecord, journaled: rust_decimal::Decimal) -> bool {
    let status = order.status.as_str();
    if status.starts_with("canceled") || FINAL.contains(&status) {
        return false;
    }
    let asked = order.qty.parse::<rust_decimal::Decimal>().ok();
    status != "filled" || asked.is_none_or(|asked| journaled < asked)
}

impl AlpacaSession<'_> {
    /// Recovers the session from the journal and the broker, then trades live
    /// bars until the stream ends, `max_steps` or a stop.
    pub fn run(
        mut self,
        sleeves: &mut [Sleeve],
        risk: &mut RiskEngine,
        mut config: EngineConfig,
    ) -> Result<AlpacaOutcome, LiveError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(LiveError::Runtime)?;
        let client =
            TradingClient::new(&self.endpoints.trading_url, self.keys.clone(), self.timings.backoff)?;
        let owners = owners(self.history, sleeves);
        // Opened on the runtime that keeps running, so the pool's own tasks run too.
        let store = runtime.block_on(Store::open(self.store_url))?;

        // Broker first: what happened to our orders while we were away, what is held.
        eprintln!(
            "Session {:?}: settling the journal with Alpaca ({}).",
            self.session, self.endpoints.trading_url
        );
        self.settle_journal(&runtime, &client, &store, true)?;
        self.check_assets(&runtime, &client)?;
        let account = runtime.block_on(client.account())?;
        if account.trading_blocked {
            return Err(LiveError::Refused(format!("Alpaca account {} has trading blocked", account.id)));
        }
        let positions = runtime.block_on(client.positions())?;
        // The broker's positions of now, at their current prices, so that
        // equity is the account's from the first bar on.
        let mut opening = Vec::new();
        let mut held_value = 0.0;
        for position in &positions {
            let symbol = Symbol::new(&position.symbol);
            let price = position.current_price.unwrap_or(position.avg_entry_price);
            let (Some(quantity), Some(price)) = (position.qty.to_f64(), price.to_f64()) else {
                continue;
            };
            if !owners.contains_key(&symbol) {
                eprintln!(
                    "note: the account holds {quantity} {symbol}, which this session does not trade; left alone"
                );
                continue;
            }
            held_value += quantity * price;
            opening.push(OpeningPosition {
                symbol: symbol.clone(),
                quantity,
                price,
                strategy: owners.get(&symbol).cloned(),
            });
        }
        config.initial_cash = account.cash.to_f64().unwrap_or(0.0) + held_value;
        config.keep_order_log = true;
        config.finalize_trades = false;
        config.on_ruin = gt_engine::OnRuin::Halt;
        if let Some(reason) = &self.halted {
            risk.halt_now(0, Timestamp::from_nanos(0), reason);
        }

        // The streams: trade updates to the venue, bars to the engine.
        let (update_tx, update_rx) = mpsc::channel(4096);
        let trade_stream =
            TradeUpdatesStream::new(&self.endpoints.trading_url, self.keys.clone(), self.timings.backoff);
        let stream_error: Arc<Mutex<Option<String>>> = Arc::default();
        let failed = Arc::clone(&stream_error);
        runtime.spawn(async move {
            if let Err(error) = trade_stream.run(update_tx).await {
                *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(error.to_string());
            }
        });
        let (bar_tx, bar_rx) = std::sync::mpsc::channel();
        let symbols: Vec<String> = self.history.iter().map(|s| s.symbol().as_str().to_owned()).collect();
        let bar_stream = BarStream::new(
            &self.endpoints.stream_url,
            &self.endpoints.feed,
            self.keys.clone(),
            symbols.clone(),
            self.timings.backoff,
        );
        let history_end = self.history.iter().filter_map(|s| s.timestamps().last().copied()).max();
        let backfill =
            Backfill { endpoints: self.endpoints.clone(), keys: self.keys.clone(), symbols, history_end };
        let forwarding = Forwarding {
            bars: bar_tx,
            backfill,
            failed: Arc::clone(&stream_error),
            metrics: self.metrics.clone(),
            notifications: self.notifications.clone(),
        };
        runtime.spawn(forward_bars(bar_stream, forwarding));

        // Stops given while the session waits for a bar end it without waiting for the bar.
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        // Its own pool: its polls never hold the connection an order's intent is written on.
        let watcher_store = runtime.block_on(Store::open(self.store_url))?;
        let watcher = watch_for_stop(runtime.handle().clone(), watcher_store, self.session, &stop, &done);

        let live = Arc::new(AtomicBool::new(false));
        let mismatches = Arc::new(AtomicU64::new(0));
        let venue = AlpacaVenue::new(AlpacaVenueSetup {
            client,
            runtime: runtime.handle().clone(),
            store: store.clone(),
            session: self.session.to_owned(),
            updates: update_rx,
            fractional: self.fractional,
            live: Arc::clone(&live),
            reconcile_every: self.timings.reconcile_every,
            mismatches: Arc::clone(&mismatches),
            owners: owners.clone(),
            outside_hours: self.outside_hours,
            metrics: self.metrics.clone(),
            notifications: self.notifications.clone(),
        });
        let warmup = gt_engine::SeriesReplay::new(self.history);
        let warmup_steps = count_steps(warmup);
        let commands = runtime.block_on(store.commands(self.session))?;
        // Commands of earlier runs were applied then; they are not replayed on live bars.
        let commands = commands.into_iter().filter(|c| c.applied_step.is_none()).collect();
        // One runtime for the whole session: the streams, the REST calls and
        // the store's pool run on its worker; the observer lends it to the
        // journal while the engine runs, and gives it back at the end.
        let mut observer = SessionObserver::new(
            store.clone(),
            runtime,
            self.session,
            "alpaca",
            TimeFormat::DateTime,
            warmup_steps,
            commands,
            Pacing::AsFastAsPossible,
            self.max_steps,
        )
        .with_mismatch_counter(Arc::clone(&mismatches))
        .without_fill_journal();
        if let Some(report) = self.report.take() {
            observer = observer.with_step_report(report);
        }
        if let Some(feed) = self.bar_feed.take() {
            observer = observer.with_bar_feed(feed);
        }
        if let Some(metrics) = &self.metrics {
            observer = observer.with_metrics(Arc::clone(metrics));
        }
        if let Some(notifications) = &self.notifications {
            observer = observer.with_notifications(notifications.clone());
        }
        eprintln!(
            "Session {:?}: {} warm-up bars; waiting for live bars from {}.",
            self.session, warmup_steps, self.endpoints.stream_url
        );
        let mut source =
            LiveBars::new(self.history, bar_rx, self.timings.step_grace, live, Arc::clone(&stop));
        let result = Engine::new(config, SimulatedClock::default(), venue)
            .with_opening_positions(opening, warmup_steps)
            .run_observed(TimedBars::new(&mut source, self.metrics.clone()), sleeves, risk, &mut observer);
        let bars = source.bars_seen(self.history);
        done.store(true, Ordering::Release);
        let _ = watcher.join();
        let new_steps = observer.new_steps();
        let (_, runtime) = observer.finish()?;
        if stop.load(Ordering::Acquire) {
            // The stop that ended the wait is done.
            let last = result.timeline.len() as i64 - 1;
            for command in runtime.block_on(store.commands(self.session))? {
                if command.applied_step.is_none() && command.command == "stop" {
                    let applied = gt_store::StepJournal {
                        steps_done: last + 1,
                        snapshot: runtime
                            .block_on(store.session(self.session))?
                            .map_or(serde_json::Value::Null, |s| s.snapshot),
                        applied_commands: vec![(command.seq, last)],
                        ..Default::default()
                    };
                    runtime.block_on(store.journal_step(self.session, &applied))?;
                }
            }
        }
        // Orders sent on the last bar fill after it: settle them and show the broker's positions.
        self.show_broker_state(&runtime, &self_client(&self)?, &store)?;
        // What the session did since it began, every run of it, from the journal.
        let steps = runtime.block_on(store.steps(self.session))?;
        let fills = runtime.block_on(store.fills(self.session))?;
        let symbols: Vec<Symbol> = self.history.iter().map(|s| s.symbol().clone()).collect();
        let (result, whole_bars) = WholeSession::rebuild(&symbols, &steps, &fills, &owners).over(result);
        let bars = whole_bars.unwrap_or(bars);
        runtime.shutdown_timeout(Duration::from_millis(100));
        if let Some(error) = stream_error.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Err(LiveError::Stream(error));
        }
        Ok(AlpacaOutcome { result, new_steps, mismatches: mismatches.load(Ordering::Relaxed), bars })
    }

    /// Fails unless every symbol is tradable (and fractionable, if the
    /// session trades fractions); warns of symbols that cannot be shorted.
    fn check_assets(
        &self,
        runtime: &tokio::runtime::Runtime,
        client: &TradingClient,
    ) -> Result<(), LiveError> {
        for series in self.history {
            let symbol = series.symbol().as_str();
            let asset = match runtime.block_on(client.asset(symbol)) {
                Ok(asset) => asset,
                Err(gt_alpaca::AlpacaError::NotFound { .. }) => {
                    return Err(LiveError::Refused(format!("Alpaca does not know the symbol {symbol}")));
                }
                Err(error) => return Err(error.into()),
            };
            if !asset.tradable || asset.status != "active" {
                return Err(LiveError::Refused(format!(
                    "{symbol} is not tradable on Alpaca ({})",
                    asset.status
                )));
            }
            if self.fractional && !asset.fractionable {
                return Err(LiveError::Refused(format!(
                    "{symbol} cannot be traded in fractions on Alpaca: drop --fractional"
                )));
            }
            if !asset.shortable {
                eprintln!(
                    "note: Alpaca does not allow shorting {symbol}; short entries will be refused by the broker"
                );
            }
        }
        Ok(())
    }

    /// Writes the broker's positions, cash and equity into the session's
    /// snapshot (its truth, after the orders of the last bar filled).
    fn show_broker_state(
        &self,
        runtime: &tokio::runtime::Runtime,
        client: &TradingClient,
        store: &Store,
    ) -> Result<(), LiveError> {
        // Give the fills of orders sent on the last bar a moment to land.
        for _ in 0..20 {
            if runtime.block_on(client.open_orders())?.iter().all(|o| o.order_type != "market") {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.settle_journal(runtime, client, store, false)?;
        let account = runtime.block_on(client.account())?;
        let positions = runtime.block_on(client.positions())?;
        let Some(record) = runtime.block_on(store.session(self.session))? else { return Ok(()) };
        let mut snapshot: SessionSnapshot = serde_json::from_value(record.snapshot).unwrap_or_default();
        let number = |d: Option<rust_decimal::Decimal>| d.and_then(|d| d.to_f64());
        snapshot.positions = positions
            .iter()
            .map(|p| PositionRecord {
                symbol: p.symbol.clone(),
                qty: number(Some(p.qty)),
                avg_entry_price: number(Some(p.avg_entry_price)),
                market_value: number(p.market_value),
                unrealized_pnl: number(p.unrealized_pl),
            })
            .collect();
        snapshot.cash = number(Some(account.cash));
        snapshot.equity = number(Some(account.equity));
        snapshot.open_orders = runtime
            .block_on(client.open_orders())?
            .iter()
            .map(|o| OrderRecord {
                client_order_id: o.client_order_id.clone(),
                symbol: o.symbol.clone(),
                side: o.side.clone(),
                qty: o.qty.map(|q| q.to_string()),
                order_type: o.order_type.clone(),
                status: o.status.clone(),
            })
            .collect();
        let snapshot = serde_json::to_value(snapshot)
            .map_err(|e| LiveError::Refused(format!("encoding the snapshot: {e}")))?;
        let journal = gt_store::StepJournal { steps_done: record.steps_done, snapshot, ..Default::default() };
        runtime.block_on(store.journal_step(self.session, &journal))?;
        Ok(())
    }

    /// Settles every journaled order that may have changed while no session
    /// ran: records fills that happened meanwhile, marks what Alpaca never
    /// received, and with `cancel_open` (at start) cancels what is still open:
    /// its decision is stale.
    fn settle_journal(
        &self,
        runtime: &tokio::runtime::Runtime,
        client: &TradingClient,
        store: &Store,
        cancel_open: bool,
    ) -> Result<(), LiveError> {
        let orders = runtime.block_on(store.orders(self.session))?;
        let fills = runtime.block_on(store.fills(self.session))?;
        // Fills that happened while no session ran are placed after the last step seen.
        let missed_at_ms =
            runtime.block_on(store.last_step_time(self.session))?.map_or(0, |ns| ns / 1_000_000 + 1);
        let journaled_of = |id: &str| -> rust_decimal::Decimal {
            fills
                .iter()
                .filter(|f| f.client_order_id == id)
                .filter_map(|f| f.qty.parse::<rust_decimal::Decimal>().ok())
                .sum()
        };
        for mut order in orders.into_iter().filter(|o| needs_settling(o, journaled_of(&o.client_order_id))) {
            let Some(mut broker) = runtime.block_on(client.order_by_client_id(&order.client_order_id))?
            else {
                order.status = "never_sent".to_owned();
                runtime.block_on(store.record_order(self.session, &order))?;
                continue;
            };
            if cancel_open && !broker.is_final() {
                if runtime.block_on(client.cancel_order(&broker.id))? {
                    eprintln!("note: cancelled order {} left open by an earlier run", order.client_order_id);
                }
                if let Some(now) = runtime.block_on(client.order_by_client_id(&order.client_order_id))? {
                    broker = now;
                }
            }
            let journaled = journaled_of(&order.client_order_id);
            if broker.filled_qty > journaled {
                let missed = broker.filled_qty - journaled;
                let fill = FillRecord {
                    fill_id: format!("{}@{}", order.client_order_id, broker.filled_qty),
                    client_order_id: order.client_order_id.clone(),
                    symbol: broker.symbol.clone(),
                    side: broker.side.clone(),
                    qty: missed.to_string(),
                    price: broker.filled_avg_price.unwrap_or_default().to_string(),
                    ts_ms: missed_at_ms,
                };
                runtime.block_on(store.record_fill(self.session, &fill))?;
                eprintln!(
                    "note: order {} filled {missed} while no session ran; journaled",
                    order.client_order_id
                );
            }
            order.status = broker.status.clone();
            order.filled_qty = broker.filled_qty.to_string();
            order.broker_order_id = Some(broker.id.clone());
            runtime.block_on(store.record_order(self.session, &order))?;
        }
        Ok(())
    }
}

/// A client of the session's trading host.
fn self_client(session: &AlpacaSession<'_>) -> Result<TradingClient, LiveError> {
    Ok(TradingClient::new(&session.endpoints.trading_url, session.keys.clone(), session.timings.backoff)?)
}

/// The sleeve each symbol's positions belong to: the first that trades it.
fn owners(history: &[BarSeries], sleeves: &[Sleeve]) -> HashMap<Symbol, gt_model::StrategyId> {
    let mut owners = HashMap::new();
    for sleeve in sleeves {
        for (index, _) in &sleeve.members {
            if let Some(series) = history.get(*index) {
                owners.entry(series.symbol().clone()).or_insert_with(|| sleeve.name.clone());
            }
        }
    }
    owners
}

fn count_steps(mut replay: gt_engine::SeriesReplay<'_>) -> usize {
    use gt_engine::BarSource;
    let mut bars = Vec::new();
    let mut steps = 0;
    while replay.next_step(&mut bars).is_some() {
        steps += 1;
    }
    steps
}

/// What a (re)connected bar stream needs to fetch the bars it missed.
struct Backfill {
    endpoints: AlpacaEndpoints,
    keys: AlpacaKeys,
    symbols: Vec<String>,
    /// The last bar of the warm-up history.
    history_end: Option<Timestamp>,
}

/// Where [`forward_bars`] sends bars, fetches missed ones, reports a failed
/// stream, and tells the metrics about connections.
struct Forwarding {
    bars: std::sync::mpsc::Sender<StreamBar>,
    backfill: Backfill,
    failed: Arc<Mutex<Option<String>>>,
    metrics: Option<Arc<SessionMetrics>>,
    notifications: Option<Notifications>,
}

/// Passes the stream's bars to the engine thread; on every connection,
/// first fetches by REST the minute bars since the last one seen (or since the
/// warm-up history): those published while it was down, or, on the first
/// connection, between the history's fetch and the subscription.
async fn forward_bars(stream: BarStream, forwarding: Forwarding) {
    let Forwarding { bars, backfill, failed, metrics, notifications } = forwarding;
    let observe = |connected: bool, reconnected: bool| {
        if let Some(metrics) = &metrics {
            metrics.observe_stream("bars", connected, reconnected);
        }
        if let Some(notifications) = &notifications {
            notifications.stream_changed("bars", connected);
        }
    };
    let (tx, mut rx) = mpsc::channel(4096);
    let running = tokio::spawn(stream.run(tx));
    let mut last: Option<Timestamp> = backfill.history_end;
    while let Some(event) = rx.recv().await {
        match event {
            BarStreamEvent::Bar(bar) => {
                last = Some(last.map_or(bar.bar.ts, |t| t.max(bar.bar.ts)));
                if bars.send(bar).is_err() {
                    return;
                }
            }
            BarStreamEvent::Connected { reconnected } => {
                observe(true, reconnected);
                let Some(since) = last else { continue };
                let Backfill { endpoints, keys, symbols, .. } = &backfill;
                let (endpoints, keys, symbols) = (endpoints.clone(), keys.clone(), symbols.clone());
                let fetched =
                    tokio::task::spawn_blocking(move || fetch_since(&endpoints, keys, &symbols, since)).await;
                match fetched {
                    Ok(Ok(missed)) => {
                        for bar in missed {
                            last = Some(last.map_or(bar.bar.ts, |t| t.max(bar.bar.ts)));
                            if bars.send(bar).is_err() {
                                return;
                            }
                        }
                    }
                    Ok(Err(error)) => eprintln!("back-fill after reconnecting failed: {error}"),
                    Err(error) => eprintln!("back-fill after reconnecting failed: {error}"),
                }
            }
            BarStreamEvent::Disconnected { reason } => {
                observe(false, false);
                eprintln!("bar stream disconnected ({reason}); reconnecting")
            }
        }
    }
    if let Ok(Err(error)) = running.await {
        *failed.lock().unwrap_or_else(|e| e.into_inner()) = Some(error.to_string());
    }
}

/// Minute bars of `symbols` after `since`, by REST, in time order.
fn fetch_since(
    endpoints: &AlpacaEndpoints,
    keys: AlpacaKeys,
    symbols: &[String],
    since: Timestamp,
) -> Result<Vec<StreamBar>, gt_data::FetchError> {
    let client = AlpacaClient::new(&endpoints.data_url, keys, &endpoints.feed, Duration::from_millis(200))?;
    let start =
        (since.to_utc() + chrono::Duration::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let end = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let series = client.bars_many(symbols, "1Min", &start, &end, "raw")?;
    let received = std::time::Instant::now();
    let mut bars: Vec<StreamBar> = series
        .into_iter()
        .flat_map(|(symbol, series)| {
            (0..series.len()).map(move |i| StreamBar { symbol: symbol.clone(), bar: series.bar(i), received })
        })
        .collect();
    bars.sort_by_key(|b| b.bar.ts);
    Ok(bars)
}

/// Looks for a pending `stop` every 200 ms until `done`, and raises `stop` when one comes.
fn watch_for_stop(
    runtime: tokio::runtime::Handle,
    store: Store,
    session: &str,
    stop: &Arc<AtomicBool>,
    done: &Arc<AtomicBool>,
) -> std::thread::JoinHandle<()> {
    let (session, stop, done) = (session.to_owned(), Arc::clone(stop), Arc::clone(done));
    std::thread::spawn(move || {
        while !done.load(Ordering::Acquire) {
            if let Ok(commands) = runtime.block_on(store.pending_commands(&session))
                && commands.iter().any(|c| c.command == "stop")
            {
                stop.store(true, Ordering::Release);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
}
