//! A running paper session's own Prometheus metrics (`paper run --metrics`):
//! its account after each bar, what its orders did, its risk refusals, how
//! long a bar takes to become an order and a journal write to commit, and the
//! state of its streams. The series carry a constant `session` label; the
//! account gauges have the names the dashboard's `/metrics` gives them, so
//! one Grafana dashboard reads either.

use crate::SessionSnapshot;
use gt_engine::{BarSource, StepView};
use gt_model::{Bar, Symbol, Timestamp};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The content type of [`SessionMetrics::render`]'s text.
pub const METRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A symbol held.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SymbolLabels {
    symbol: String,
}

/// Why an order ended unfilled ([`gt_execution::CancelReason::code`]).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

/// A risk refusal's code ([`gt_risk::Refusal::code`]).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

/// One of the session's streams (`bars`, `trade_updates`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StreamLabels {
    stream: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// The live account, set from each step's snapshot.
#[derive(Default)]
struct AccountGauges {
    equity: FloatGauge,
    cash: FloatGauge,
    gross_exposure: FloatGauge,
    net_exposure: FloatGauge,
    realized_pnl: FloatGauge,
    position: Family<SymbolLabels, FloatGauge>,
    closed_trades: Gauge,
    mismatches: Gauge,
    halted: Gauge,
    last_bar: FloatGauge,
    /// The kill switch's measures and limits, as ratios: absent without a loss limit.
    losses: [LossGauge; 4],
}

/// A series without labels of its own, absent until the session has a value for it.
type LossGauge = Family<Vec<(String, String)>, FloatGauge>;

/// What the session's orders did, counted as the engine reports it.
#[derive(Default)]
struct OrderCounters {
    bars: Counter,
    submitted: Counter,
    fills: Counter,
    canceled: Family<ReasonLabels, Counter>,
    refusals: Family<CodeLabels, Counter>,
}

/// A running session's metrics, shared between the engine thread (which
/// sets them) and the thread that serves them.
pub struct SessionMetrics {
    registry: Registry,
    session: String,
    account: AccountGauges,
    orders: OrderCounters,
    bar_to_order: Histogram,
    journal_write: Histogram,
    stream_connected: Family<StreamLabels, Gauge>,
    stream_reconnects: Family<StreamLabels, Counter>,
    /// When the current step's bars were in hand.
    bars_in_hand: Mutex<Option<Instant>>,
    /// When the last live step was journaled.
    last_step: Mutex<Option<Instant>>,
    /// Held while a step's values are set and while they are rendered, so a
    /// scrape never sees half a step (equity from one bar, cash from another).
    consistent: Mutex<()>,
}

impl SessionMetrics {
    /// The metrics of `session`, registered under the `gpt_trader_` prefix.
    pub fn new(session: &str) -> Self {
        let labels = std::iter::once(("session".into(), session.to_owned().into()));
        let mut registry = Registry::with_prefix_and_labels("gpt_trader", labels);
        let account = AccountGauges::default();
        let orders = OrderCounters::default();
        // 0.1 ms to about 1.6 s: a sim step takes microseconds, an Alpaca order a round trip.
        let bar_to_order = Histogram::new(exponential_buckets(0.0001, 2.0, 15));
        let journal_write = Histogram::new(exponential_buckets(0.0001, 2.0, 15));
        let stream_connected = Family::<StreamLabels, Gauge>::default();
        let stream_reconnects = Family::<StreamLabels, Counter>::default();
        let a = &account;
        for (name, help, gauge) in [
            ("session_equity", "Paper session equity after its last bar (account currency)", &a.equity),
            ("session_cash", "Paper session cash after its last bar (account currency)", &a.cash),
            (
                "session_gross_exposure",
                "Sum of the absolute market values of the session's positions (account currency)",
                &a.gross_exposure,
            ),
            (
                "session_net_exposure",
                "Sum of the signed market values of the session's positions (account currency)",
                &a.net_exposure,
            ),
            ("session_realized_pnl", "Profit the session has realized in all", &a.realized_pnl),
            (
                "session_last_bar_timestamp_seconds",
                "Time of the session's last bar, seconds since the epoch",
                &a.last_bar,
            ),
        ] {
            registry.register(name, help, gauge.clone());
        }
        registry.register(
            "session_position",
            "Signed units the session holds, by symbol",
            a.position.clone(),
        );
        for (name, help, gauge) in [
            ("session_drawdown_ratio", "Fall from the peak equity, as the kill switch measures it", 0),
            ("session_max_drawdown_ratio", "The drawdown that trips the kill switch", 1),
            (
                "session_daily_loss_ratio",
                "Fall from the day's starting equity, as the kill switch measures it",
                2,
            ),
            ("session_max_daily_loss_ratio", "The daily loss that trips the kill switch", 3),
        ] {
            registry.register(name, help, a.losses[gauge].clone());
        }
        for (name, help, gauge) in [
            ("session_closed_trades", "Trades the session has closed", &a.closed_trades),
            (
                "session_reconciliation_mismatches",
                "Positions found different at the broker and resolved in its favour",
                &a.mismatches,
            ),
            ("session_halted", "1 while the session's kill switch is on", &a.halted),
        ] {
            registry.register(name, help, gauge.clone());
        }
        let o = &orders;
        for (name, help, counter) in [
            ("session_bars_processed", "Bars the session has traded live in this run", &o.bars),
            ("session_orders_submitted", "Orders the session sent to its venue", &o.submitted),
            ("session_fills", "Fills booked to the session", &o.fills),
        ] {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "session_orders_canceled",
            "Orders that ended unfilled, by reason (broker, insufficient_funds, invalid_order and \
             market_closed are rejections)",
            o.canceled.clone(),
        );
        registry.register(
            "session_risk_refusals",
            "Orders the risk checks refused, by code",
            o.refusals.clone(),
        );
        registry.register(
            "session_bar_to_order_seconds",
            "From a step's bars in hand to its orders handed to the venue",
            bar_to_order.clone(),
        );
        registry.register(
            "session_journal_write_seconds",
            "Time to commit one step to the journal",
            journal_write.clone(),
        );
        registry.register(
            "session_stream_connected",
            "1 while the stream is connected, by stream (Alpaca sessions)",
            stream_connected.clone(),
        );
        registry.register(
            "session_stream_reconnects",
            "Times a stream connected again after losing its connection",
            stream_reconnects.clone(),
        );
        Self {
            registry,
            session: session.to_owned(),
            account,
            orders,
            bar_to_order,
            journal_write,
            stream_connected,
            stream_reconnects,
            bars_in_hand: Mutex::new(None),
            last_step: Mutex::new(None),
            consistent: Mutex::new(()),
        }
    }

    /// The session these metrics are of.
    pub fn session(&self) -> &str {
        &self.session
    }

    /// Counts a live step's orders, fills, cancellations and refusals; on
    /// its first showing (`new_bar`; later ones carry an operator command's
    /// effects) also the bar, and how long its bars took to become orders.
    pub fn observe_step(&self, step: &StepView<'_>, new_bar: bool) {
        let _consistent = lock(&self.consistent);
        let o = &self.orders;
        if new_bar {
            o.bars.inc();
        }
        o.submitted.inc_by(step.new_orders.len() as u64);
        o.fills.inc_by(step.new_fills.len() as u64);
        for cancellation in step.new_cancellations {
            o.canceled.get_or_create(&ReasonLabels { reason: cancellation.reason.code().to_owned() }).inc();
        }
        for refusal in step.new_refusals {
            o.refusals.get_or_create(&CodeLabels { code: refusal.refusal.code().to_owned() }).inc();
        }
        let in_hand = *lock(&self.bars_in_hand);
        if let Some(in_hand) = in_hand.filter(|_| new_bar && !step.new_orders.is_empty()) {
            self.bar_to_order.observe(in_hand.elapsed().as_secs_f64());
        }
    }

    /// Sets the account gauges from the snapshot just journaled, and how long that took.
    pub fn observe_journal(&self, snapshot: &SessionSnapshot, took: Duration) {
        let _consistent = lock(&self.consistent);
        self.journal_write.observe(took.as_secs_f64());
        *lock(&self.last_step) = Some(Instant::now());
        let a = &self.account;
        let values: Vec<f64> = snapshot.positions.iter().filter_map(|p| p.market_value).collect();
        for (gauge, value) in [
            (&a.equity, snapshot.equity),
            (&a.cash, snapshot.cash),
            // Folded from +0.0: an empty f64 sum is -0.0.
            (&a.gross_exposure, Some(values.iter().fold(0.0, |sum, v| sum + v.abs()))),
            (&a.net_exposure, Some(values.iter().fold(0.0, |sum, v| sum + v))),
            (&a.realized_pnl, Some(snapshot.realized_pnl_total)),
            (&a.last_bar, Some(snapshot.time_ms as f64 / 1_000.0)),
        ] {
            if let Some(value) = value {
                gauge.set(value);
            }
        }
        // A position closed since the last step is dropped, not left at its last size.
        a.position.clear();
        for position in &snapshot.positions {
            if let Some(qty) = position.qty {
                a.position.get_or_create(&SymbolLabels { symbol: position.symbol.clone() }).set(qty);
            }
        }
        a.closed_trades.set(snapshot.closed_trades as i64);
        a.mismatches.set(snapshot.reconciliation_mismatches as i64);
        a.halted.set(i64::from(snapshot.halted));
        let losses = [
            snapshot.drawdown_pct,
            snapshot.max_drawdown_pct,
            snapshot.daily_loss_pct,
            snapshot.max_daily_loss_pct,
        ];
        for (gauge, pct) in a.losses.iter().zip(losses) {
            gauge.clear();
            if let Some(pct) = pct {
                gauge.get_or_create(&Vec::new()).set(pct / 100.0);
            }
        }
    }

    /// Records that `stream` connected (`reconnected` when not for the first time) or lost its connection.
    pub fn observe_stream(&self, stream: &str, connected: bool, reconnected: bool) {
        let labels = StreamLabels { stream: stream.to_owned() };
        self.stream_connected.get_or_create(&labels).set(i64::from(connected));
        if connected && reconnected {
            self.stream_reconnects.get_or_create(&labels).inc();
        }
    }

    /// Seconds since the last live step was journaled (`None` before the first).
    pub fn seconds_since_last_step(&self) -> Option<f64> {
        lock(&self.last_step).map(|at| at.elapsed().as_secs_f64())
    }

    /// Live bars traded in this run.
    pub fn bars_processed(&self) -> u64 {
        self.orders.bars.get()
    }

    /// The exposition in the OpenMetrics text format ([`METRICS_CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut text = String::new();
        let _consistent = lock(&self.consistent);
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }

    /// Notes that the next step's bars are in hand now.
    fn bars_arrived(&self) {
        *lock(&self.bars_in_hand) = Some(Instant::now());
    }
}

/// The guard of `mutex`, whether or not a holder panicked (the values are plain numbers).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A bar source that tells [`SessionMetrics`] when each step's bars are in
/// hand, so the time from there to the step's orders can be measured.
pub struct TimedBars<S> {
    inner: S,
    metrics: Option<Arc<SessionMetrics>>,
}

impl<S: BarSource> TimedBars<S> {
    /// `inner`, timed into `metrics` (not timed when `None`).
    pub fn new(inner: S, metrics: Option<Arc<SessionMetrics>>) -> Self {
        Self { inner, metrics }
    }
}

impl<S: BarSource> BarSource for TimedBars<S> {
    fn symbols(&self) -> &[Symbol] {
        self.inner.symbols()
    }

    fn next_step(&mut self, bars: &mut Vec<(usize, Bar)>) -> Option<Timestamp> {
        let ts = self.inner.next_step(bars);
        if let Some(metrics) = &self.metrics {
            metrics.bars_arrived();
        }
        ts
    }

    fn expected_steps(&self) -> usize {
        self.inner.expected_steps()
    }
}
