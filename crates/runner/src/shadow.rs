//! Shadow models: a registered model in `shadow` status follows a run's bars
//! beside its strategies, and journals on every bar its prediction and what
//! its own hypothetical book did with it (the orders it would have sent,
//! after the same sizing and risk checks, its position and equity).
//!
//! A shadow has no way to the run's venue, by construction: a [`Shadow`]
//! owns its sleeve, its risk engine and a [`SimulatedExchange`] of its own,
//! and all it is given of the run is bars ([`ShadowFollowers::feed`] copies
//! each step's bars; a backtest replays the same series). No value that
//! could reach the run's venue is ever in its scope.

use crate::allocation::selector_sleeves;
use crate::selector::{SELECTOR_KIND, load_selector};
use crate::strategy_source::{MlSignalParams, find_model, load_model};
use crate::{PreparedRun, RunError};
use gt_engine::{
    AllocationPlan, BacktestResult, BarSource, Command, Engine, EngineConfig, OnRuin, OpeningPosition,
    SeriesReplay, SimulatedClock, Sleeve, StepObserver, StepView,
};
use gt_execution::{
    BarUpdate, CancelReason, ExchangeConfig, ExecutionEvent, Rejection, SimulatedExchange, Venue,
};
use gt_ml::PredictionTap;
use gt_model::{Bar, BarSeries, Order, OrderId, Portfolio, StrategyId, Symbol, Timestamp};
use gt_risk::RiskEngine;
use gt_store::{ShadowRow, Store};
use gt_strategy::Strategy;
use serde::Serialize;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a session's shadow writes its journal (and at its end).
const FLUSH_EVERY: Duration = Duration::from_millis(500);

/// Reads `--shadow MODEL[:name=value,...]`: the model's id (or a unique
/// start of it) and `ml_signal`'s parameters for its hypothetical book
/// (`threshold`, `allow_short`, `size`; their defaults when not given).
pub fn parse_shadow(text: &str) -> Result<MlSignalParams, RunError> {
    let (model, rest) = text.split_once(':').unwrap_or((text, ""));
    let mut given = vec![("model".to_owned(), model.trim().to_owned())];
    for pair in rest.split(',').filter(|p| !p.trim().is_empty()) {
        let (name, value) = pair.split_once('=').ok_or_else(|| {
            RunError::invalid(format!(
                "--shadow {text:?}: write MODEL or MODEL:name=value,... (threshold, allow_short, size)"
            ))
        })?;
        given.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    MlSignalParams::parse(&given)
}

/// A model ready to follow a run's bars on a hypothetical book of its own:
/// a signal model trading every symbol as `ml_signal`, or a strategy
/// selector weighing the run's own strategies each month.
pub struct Shadow {
    model_id: String,
    sleeves: Vec<Sleeve>,
    /// Per symbol, a signal model's predictions (none for a selector).
    taps: Vec<PredictionTap>,
    risk: RiskEngine,
    config: EngineConfig,
    exchange: ExchangeConfig,
    /// What its book held when its session last stopped, taken on at the
    /// first live step of a continued session on Alpaca.
    opening: Vec<OpeningPosition>,
    /// Trades its journal counted before the session was continued.
    trades_before: i64,
}

impl Shadow {
    /// The model `params` names, trading every symbol of `prepared` with its
    /// cash, exchange and risk settings (a selector: `prepared`'s strategies,
    /// weighed by it; `params`' trading settings are a signal model's);
    /// refused unless the model is in `shadow` status.
    pub fn new(params: &MlSignalParams, prepared: &PreparedRun) -> Result<Self, RunError> {
        if find_model(&params.model, "--shadow")?.model.kind == SELECTOR_KIND {
            if *params != MlSignalParams::parse(&[("model".to_owned(), params.model.clone())])? {
                return Err(RunError::invalid(format!(
                    "--shadow {}: a strategy selector takes no parameters (they are a signal model's)",
                    params.model
                )));
            }
            return Self::selector(&params.model, prepared);
        }
        let loaded = load_model(&params.model)?;
        if loaded.status != "shadow" {
            return Err(not_in_shadow(&loaded.id, &loaded.status));
        }
        let mut members: Vec<(usize, Box<dyn Strategy>)> = Vec::new();
        let mut taps = Vec::new();
        for symbol in 0..prepared.series.len() {
            let tap = PredictionTap::default();
            members.push((symbol, Box::new(params.signal(&loaded)?.with_tap(tap.clone()))));
            taps.push(tap);
        }
        let sleeve = Sleeve { name: StrategyId::new(&format!("shadow:{}", loaded.id)), weight: 1.0, members };
        Ok(Self::on_own_book(loaded.id, vec![sleeve], taps, AllocationPlan::Static, prepared))
    }

    /// The selector `id` weighing `prepared`'s strategies on a book of its own.
    fn selector(id: &str, prepared: &PreparedRun) -> Result<Self, RunError> {
        let loaded = load_selector(id)?;
        if loaded.status != "shadow" {
            return Err(not_in_shadow(&loaded.id, &loaded.status));
        }
        let (mut sleeves, plan) = selector_sleeves(&prepared.entries, &loaded, &prepared.series)?;
        for sleeve in &mut sleeves {
            sleeve.name = StrategyId::new(&format!("shadow:{}:{}", loaded.id, sleeve.name));
        }
        Ok(Self::on_own_book(loaded.id, sleeves, Vec::new(), plan, prepared))
    }

    /// `sleeves` with `prepared`'s cash, exchange and risk settings.
    fn on_own_book(
        model_id: String,
        sleeves: Vec<Sleeve>,
        taps: Vec<PredictionTap>,
        allocation: AllocationPlan,
        prepared: &PreparedRun,
    ) -> Self {
        let mut config = prepared.config.clone();
        config.keep_order_log = true;
        config.finalize_trades = false;
        config.allocation = allocation;
        // A ruined hypothetical book halts and goes on journaling its predictions.
        config.on_ruin = OnRuin::Halt;
        Self {
            sleeves,
            model_id,
            taps,
            risk: RiskEngine::new(*prepared.risk.config(), prepared.exchange.fractional_units),
            config,
            exchange: prepared.exchange,
            opening: Vec::new(),
            trades_before: 0,
        }
    }

    /// Continues the hypothetical book its journal `rows` (this model's, in
    /// time order) ended with: its equity, and each symbol's last position
    /// taken on at its last close. A selector's book of several sleeves
    /// cannot tell which sleeve held what, and starts afresh.
    fn resume(&mut self, rows: &[ShadowRow]) {
        let ([sleeve], Some(last)) = (self.sleeves.as_slice(), rows.last()) else { return };
        self.config.initial_cash = last.equity;
        self.trades_before = last.trades;
        let mut latest: Vec<&ShadowRow> = Vec::new();
        for row in rows.iter().rev() {
            if !latest.iter().any(|r| r.symbol == row.symbol) {
                latest.push(row);
            }
        }
        self.opening = latest
            .into_iter()
            .filter(|r| r.position != 0.0)
            .map(|r| OpeningPosition {
                symbol: Symbol::new(&r.symbol),
                quantity: r.position,
                price: r.close,
                strategy: Some(sleeve.name.clone()),
            })
            .collect();
    }

    /// The model's full id.
    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    /// Follows `source` to its end, journaling each bar from step
    /// `journal_from` on into `journal`.
    fn follow(mut self, source: impl BarSource, journal: ShadowJournal, journal_from: usize) -> Followed {
        let mut observer = ShadowObserver {
            model_id: self.model_id.clone(),
            taps: self.taps,
            symbols: source.symbols().to_vec(),
            journal_from,
            trades_before: self.trades_before,
            journal,
        };
        let venue = WarmUpGate { inner: SimulatedExchange::new(self.exchange), live_from: journal_from };
        let engine = Engine::new(self.config, SimulatedClock::default(), venue);
        let result = engine.with_opening_positions(self.opening, journal_from).run_observed(
            source,
            &mut self.sleeves,
            &mut self.risk,
            &mut observer,
        );
        Followed { model_id: self.model_id, result, journal: observer.journal }
    }
}

/// Why a model that is not in shadow status cannot follow a run.
fn not_in_shadow(id: &str, status: &str) -> RunError {
    RunError::invalid(format!(
        "model {id} has status {status}: only a model in shadow status follows a run \
         (`gpt-trader ml promote {id} --to shadow`)"
    ))
}

/// The shadow's exchange, refusing orders decided before the first live
/// step as a session's broker does (the warm-up history trains indicators,
/// it is not traded), so the shadow enters live bars as the session does.
struct WarmUpGate {
    inner: SimulatedExchange,
    live_from: usize,
}

impl Venue for WarmUpGate {
    fn submit(&mut self, order: Order) -> Result<(), Box<Rejection>> {
        if order.decided_bar < self.live_from {
            return Err(Box::new(Rejection { order, reason: CancelReason::WarmUp }));
        }
        self.inner.submit(order)
    }

    fn on_bar(
        &mut self,
        slot: usize,
        update: &BarUpdate,
        portfolio: &mut Portfolio,
        events: &mut Vec<ExecutionEvent>,
    ) {
        self.inner.on_bar(slot, update, portfolio, events);
    }

    #[allow(clippy::too_many_arguments)]
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
        self.inner.execute_now(order, price, bar_index, ts, slot, portfolio, events);
    }

    fn cancel(&mut self, id: OrderId) -> Option<Order> {
        self.inner.cancel(id)
    }

    fn cancel_all(&mut self, symbol: &Symbol) -> Vec<Order> {
        self.inner.cancel_all(symbol)
    }

    fn open_orders(&self) -> usize {
        self.inner.open_orders()
    }

    fn resting_orders(&self) -> Vec<&Order> {
        self.inner.resting_orders()
    }
}

/// A shadow's run over, with its journal.
struct Followed {
    model_id: String,
    result: BacktestResult,
    journal: ShadowJournal,
}

/// What a shadow did over a run, as printed after it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShadowSummary {
    /// The model's id.
    pub model_id: String,
    /// Bars journaled (one per symbol and step).
    pub bars: usize,
    /// Of them, bars with a prediction (the others were the features' warm-up).
    pub predictions: usize,
    /// Trades its hypothetical book closed.
    pub trades: usize,
    /// Its hypothetical book's final equity.
    pub equity_final: f64,
    /// Its hypothetical book's return, in percent.
    pub return_pct: f64,
}

impl Followed {
    fn summary(&self) -> ShadowSummary {
        let last = self.result.equity.last().copied().unwrap_or(self.journal.initial_cash);
        ShadowSummary {
            model_id: self.model_id.clone(),
            bars: self.journal.journaled,
            predictions: self.journal.predictions,
            trades: self.result.trades.len(),
            equity_final: last,
            return_pct: (last / self.journal.initial_cash - 1.0) * 100.0,
        }
    }
}

/// Runs each shadow of a backtest over `series` (the run's bars), keeping
/// every journaled bar: the summaries, and the rows to store with the run.
pub fn follow_backtest(
    shadows: Vec<Shadow>,
    series: &[BarSeries],
    initial_cash: f64,
) -> (Vec<ShadowSummary>, Vec<ShadowRow>) {
    let mut summaries = Vec::new();
    let mut rows = Vec::new();
    for shadow in shadows {
        let followed = shadow.follow(SeriesReplay::new(series), ShadowJournal::in_memory(initial_cash), 0);
        summaries.push(followed.summary());
        rows.extend(followed.journal.rows);
    }
    (summaries, rows)
}

/// Where a shadow's journaled bars go: kept (a backtest stores them with
/// its run), or written to the store as the session runs.
struct ShadowJournal {
    initial_cash: f64,
    rows: Vec<ShadowRow>,
    journaled: usize,
    predictions: usize,
    writer: Option<JournalWriter>,
}

/// A session's shadow journal in the store, written every [`FLUSH_EVERY`].
struct JournalWriter {
    store: Store,
    runtime: tokio::runtime::Runtime,
    owner: String,
    last_flush: Instant,
    error: Option<RunError>,
}

impl ShadowJournal {
    fn in_memory(initial_cash: f64) -> Self {
        Self { initial_cash, rows: Vec::new(), journaled: 0, predictions: 0, writer: None }
    }

    fn push(&mut self, row: ShadowRow) {
        self.journaled += 1;
        self.predictions += usize::from(row.probability.is_some());
        self.rows.push(row);
        if let Some(writer) = &self.writer
            && writer.last_flush.elapsed() >= FLUSH_EVERY
        {
            self.flush();
        }
    }

    /// Writes the rows not yet written; the first failure stops the writing
    /// (and is reported when the session ends), never the session.
    fn flush(&mut self) {
        let Some(writer) = self.writer.as_mut().filter(|w| w.error.is_none()) else { return };
        writer.last_flush = Instant::now();
        let rows = std::mem::take(&mut self.rows);
        if let Err(error) = writer.runtime.block_on(writer.store.journal_shadow(&writer.owner, &rows)) {
            writer.error = Some(error.into());
        }
    }
}

/// Journals each step of a shadow's own engine run.
struct ShadowObserver {
    model_id: String,
    taps: Vec<PredictionTap>,
    symbols: Vec<Symbol>,
    journal_from: usize,
    /// Added to the trades its book closes (a continued session's earlier ones).
    trades_before: i64,
    journal: ShadowJournal,
}

impl StepObserver for ShadowObserver {
    fn after_step(&mut self, step: &StepView<'_>, _: &mut Vec<Command>) {
        for &(symbol, bar) in step.bars {
            let probability = self
                .taps
                .get(symbol)
                .and_then(PredictionTap::take)
                .filter(|(ts, _)| *ts == bar.ts)
                .map(|(_, p)| p);
            if step.index < self.journal_from {
                continue;
            }
            let name = &self.symbols[symbol];
            let position = step.portfolio.positions().iter().find(|p| p.symbol() == name);
            let orders: Vec<_> = step.new_orders.iter().filter(|o| &o.request.symbol == name).collect();
            self.journal.push(ShadowRow {
                model_id: self.model_id.clone(),
                symbol: name.to_string(),
                ts: bar.ts.nanos(),
                close: bar.close,
                probability,
                position: position.map_or(0.0, |p| p.quantity()),
                equity: step.portfolio.equity(),
                trades: self.trades_before + step.portfolio.closed_trades().len() as i64,
                orders: serde_json::to_string(&orders).unwrap_or_else(|_| "[]".to_owned()),
            });
        }
    }
}

/// One step's bars, as a session's shadows are fed them.
type FedStep = (Timestamp, Vec<(usize, Bar)>);

/// The bars a session feeds its shadows, one step at a time, until the session ends.
struct FedBars {
    symbols: Vec<Symbol>,
    steps: Receiver<FedStep>,
}

impl BarSource for FedBars {
    fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    fn next_step(&mut self, bars: &mut Vec<(usize, Bar)>) -> Option<Timestamp> {
        let (ts, step) = self.steps.recv().ok()?;
        bars.clear();
        bars.extend(step);
        Some(ts)
    }

    fn expected_steps(&self) -> usize {
        0
    }
}

/// A paper session's shadows, each following the session's bars on a thread
/// of its own and writing its journal to the session's store; a slow or
/// failing shadow never holds the session up.
pub struct ShadowFollowers {
    threads: Vec<(String, JoinHandle<Result<ShadowSummary, RunError>>)>,
}

impl ShadowFollowers {
    /// Starts `shadows` on the symbols `symbols`, journaling as `session` in
    /// the store at `store_url` from step `journal_from` on (a session on
    /// Alpaca journals its live bars, not its warm-up history). Returns them
    /// with the feed the session calls on every step, replayed or live.
    pub fn start(
        shadows: Vec<Shadow>,
        symbols: &[Symbol],
        (store_url, session): (&str, &str),
        journal_from: usize,
        initial_cash: f64,
    ) -> Result<(Self, gt_live::StepReport), RunError> {
        let mut feeds: Vec<Sender<FedStep>> = Vec::new();
        let mut threads = Vec::new();
        let owner = format!("session:{session}");
        for mut shadow in shadows {
            let (store, runtime) = crate::store::open_with_runtime(store_url)?;
            if journal_from > 0 {
                // A continued session on Alpaca: the book goes on from where its journal ended.
                let rows = runtime.block_on(store.shadow_rows(&owner))?;
                let own: Vec<ShadowRow> =
                    rows.into_iter().filter(|r| r.model_id == shadow.model_id).collect();
                shadow.resume(&own);
            }
            let (feed, steps) = channel();
            feeds.push(feed);
            let source = FedBars { symbols: symbols.to_vec(), steps };
            let mut journal = ShadowJournal::in_memory(initial_cash);
            journal.writer = Some(JournalWriter {
                store,
                runtime,
                owner: owner.clone(),
                last_flush: Instant::now(),
                error: None,
            });
            let model_id = shadow.model_id.clone();
            let thread = std::thread::Builder::new()
                .name(format!("shadow-{model_id}"))
                .spawn(move || {
                    let mut followed = shadow.follow(source, journal, journal_from);
                    followed.journal.flush();
                    let summary = followed.summary();
                    if let Some(writer) = followed.journal.writer.take() {
                        writer.runtime.block_on(writer.store.close());
                        if let Some(error) = writer.error {
                            return Err(error);
                        }
                    }
                    Ok(summary)
                })
                .map_err(|source| RunError::Io {
                    what: "starting a shadow model's thread".to_owned(),
                    path: ".".into(),
                    source,
                })?;
            threads.push((model_id, thread));
        }
        let feed: gt_live::StepReport = Box::new(move |step: &StepView<'_>| {
            for feed in &feeds {
                // A shadow that stopped (its journal failed) is reported at the end.
                let _ = feed.send((step.ts, step.bars.to_vec()));
            }
        });
        Ok((Self { threads }, feed))
    }

    /// Waits for every shadow to follow the last bar it was fed (the feed
    /// must be dropped first: the session's observer is finished) and
    /// returns what each did, or why its journal is incomplete.
    pub fn finish(self) -> Vec<Result<ShadowSummary, RunError>> {
        self.threads
            .into_iter()
            .map(|(model_id, thread)| {
                thread.join().unwrap_or_else(|_| {
                    Err(RunError::invalid(format!("shadow model {model_id} stopped on a panic")))
                })
            })
            .collect()
    }
}
