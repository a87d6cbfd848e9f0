use crate::notify::{Notifications, StepNotices};
use crate::snapshot::{quantity_text, side_name, type_name};
use crate::{ClientIds, LiveError, SessionMetrics, snapshot};
use gt_engine::{Command, StepObserver, StepView};
use gt_model::{OrderId, TimeFormat};
use gt_store::{CommandRecord, FillRecord, OrderRecord, StepJournal, StepRecord, Store};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a waiting session looks for the operator's commands.
const COMMAND_POLL: Duration = Duration::from_millis(50);

/// Told about each live step of a session (progress bars, log lines).
pub type StepReport = Box<dyn FnMut(&StepView<'_>)>;

/// How fast replayed bars are played.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pacing {
    /// No waiting between steps.
    AsFastAsPossible,
    /// This many time steps a second.
    StepsPerSecond(f64),
}

/// Runs a paper session's side of the engine loop: journals every step to
/// the store, passes on the operator's commands, paces the steps and stops
/// after `max_steps` new ones. The first `replay_until` steps were journaled
/// by an earlier run of the session: they are replayed without waiting or
/// writing, with the commands applied where they were applied then.
pub struct SessionObserver {
    store: Store,
    runtime: tokio::runtime::Runtime,
    session: String,
    broker: String,
    time_format: TimeFormat,
    replay_until: usize,
    applied: Vec<CommandRecord>,
    pacing: Pacing,
    max_steps: Option<usize>,
    new_steps: usize,
    /// The step last shown, to tell its first showing from those after commands.
    current_step: Option<usize>,
    /// The step being waited after, and until when.
    deadline: Option<(usize, Instant)>,
    /// What the current step changed, not yet written.
    unwritten_orders: Vec<OrderRecord>,
    unwritten_fills: Vec<FillRecord>,
    /// Names orders by session, strategy, symbol, bar and place.
    ids: ClientIds,
    /// Orders not yet filled or cancelled, and how much of each has filled.
    open: HashMap<OrderId, OrderRecord>,
    fills_per_order: HashMap<OrderId, usize>,
    /// Commands handed to the engine, to be journaled as applied with their effects.
    handed_over: Vec<i64>,
    /// Reconciliation mismatches so far (shown by `paper status`).
    mismatches: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// Where the live steps are counted and timed, if anywhere.
    metrics: Option<Arc<SessionMetrics>>,
    /// Whether fills go into the step journal.
    journal_fills: bool,
    /// Told about each live step.
    report: Option<StepReport>,
    /// Shown every step once, replayed or live (shadow models follow the bars through it).
    bar_feed: Option<StepReport>,
    /// Turns live steps into notifications, if the session sends any.
    notices: Option<StepNotices>,
    /// A stop was handed to the engine: no more waiting.
    stopping: bool,
    error: Option<LiveError>,
}

impl SessionObserver {
    /// An observer of `session` (already created in `store`), which has
    /// journaled `replay_until` steps and applied `commands` so far.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        runtime: tokio::runtime::Runtime,
        session: &str,
        broker: &str,
        time_format: TimeFormat,
        replay_until: usize,
        commands: Vec<CommandRecord>,
        pacing: Pacing,
        max_steps: Option<usize>,
    ) -> Self {
        Self {
            store,
            runtime,
            session: session.to_owned(),
            broker: broker.to_owned(),
            time_format,
            replay_until,
            applied: commands.into_iter().filter(|c| c.applied_step.is_some()).collect(),
            pacing,
            max_steps,
            new_steps: 0,
            current_step: None,
            deadline: None,
            unwritten_orders: Vec::new(),
            unwritten_fills: Vec::new(),
            ids: ClientIds::new(session),
            open: HashMap::new(),
            fills_per_order: HashMap::new(),
            handed_over: Vec::new(),
            mismatches: None,
            metrics: None,
            journal_fills: true,
            report: None,
            bar_feed: None,
            notices: None,
            stopping: false,
            error: None,
        }
    }

    /// Leaves fills out of the step journal: the venue journals them itself
    /// as they arrive (under the broker's execution ids).
    pub fn without_fill_journal(mut self) -> Self {
        self.journal_fills = false;
        self
    }

    /// Calls `report` after each live step is journaled (and again after a
    /// command's effects): progress bars, log lines.
    pub fn with_step_report(mut self, report: StepReport) -> Self {
        self.report = Some(report);
        self
    }

    /// Calls `feed` once on every step, replayed or live, before the step is
    /// journaled: shadow models follow the session's bars through it, and
    /// see nothing else of the session.
    pub fn with_bar_feed(mut self, feed: StepReport) -> Self {
        self.bar_feed = Some(feed);
        self
    }

    /// Notifies the fills, rejections, refusals, halts and resumes of live
    /// steps through `notifications` (`paper run --notify`).
    pub fn with_notifications(mut self, notifications: Notifications) -> Self {
        self.notices = Some(StepNotices::new(notifications));
        self
    }

    /// Counts reconciliation mismatches into the snapshots from `counter`.
    pub fn with_mismatch_counter(mut self, counter: std::sync::Arc<std::sync::atomic::AtomicU64>) -> Self {
        self.mismatches = Some(counter);
        self
    }

    /// Counts and times each live step into `metrics` (`paper run --metrics`).
    pub fn with_metrics(mut self, metrics: Arc<SessionMetrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Steps processed live (not replayed) in this run.
    pub fn new_steps(&self) -> usize {
        self.new_steps
    }

    /// Ends the observation: the error that stopped the session early, if any.
    pub fn finish(self) -> Result<(Store, tokio::runtime::Runtime), LiveError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok((self.store, self.runtime)),
        }
    }

    /// Follows the orders through the step; returns the order and fill records it changed.
    fn track(&mut self, step: &StepView<'_>) -> (Vec<OrderRecord>, Vec<FillRecord>) {
        let mut changed: Vec<OrderId> = Vec::new();
        for order in step.new_orders {
            self.open.insert(
                order.id,
                OrderRecord {
                    client_order_id: self.ids.id(order),
                    symbol: order.request.symbol.as_str().to_owned(),
                    side: side_name(order).to_owned(),
                    qty: quantity_text(order.request.quantity),
                    order_type: type_name(order.request.order_type).to_owned(),
                    status: "accepted".to_owned(),
                    filled_qty: "0".to_owned(),
                    decided_step: order.decided_bar as i64,
                    broker_order_id: None,
                },
            );
            changed.push(order.id);
        }
        let mut fills = Vec::new();
        for fill in step.new_fills {
            let Some(record) = self.open.get_mut(&fill.order_id) else { continue };
            let filled = record.filled_qty.parse::<f64>().unwrap_or(0.0) + fill.quantity;
            record.filled_qty = filled.to_string();
            let n = self.fills_per_order.entry(fill.order_id).or_insert(0);
            *n += 1;
            fills.push(FillRecord {
                fill_id: format!("{}#{n}", record.client_order_id),
                client_order_id: record.client_order_id.clone(),
                symbol: record.symbol.clone(),
                side: record.side.clone(),
                qty: fill.quantity.to_string(),
                price: fill.price.to_string(),
                ts_ms: fill.ts.nanos() / 1_000_000,
            });
            changed.push(fill.order_id);
        }
        for cancellation in step.new_cancellations {
            if let Some(record) = self.open.get_mut(&cancellation.order.id) {
                record.status = format!("canceled:{}", cancellation.reason.code());
                changed.push(cancellation.order.id);
            }
        }
        changed.sort_unstable();
        changed.dedup();
        let resting: Vec<OrderId> = step.resting_orders.iter().map(|o| o.id).collect();
        let mut records = Vec::with_capacity(changed.len());
        for id in changed {
            let Some(record) = self.open.get_mut(&id) else { continue };
            let filled = record.filled_qty != "0";
            let resting = resting.contains(&id);
            let cancelled = record.status.starts_with("canceled");
            // An order that neither rests nor filled nor was cancelled is at a
            // broker that has not reported its fill yet: it stays followed.
            let terminal = cancelled || (filled && !resting);
            if !cancelled {
                record.status = match (resting, filled) {
                    (_, false) => "accepted",
                    (true, true) => "partially_filled",
                    (false, true) => "filled",
                }
                .to_owned();
            }
            if terminal {
                if let Some(record) = self.open.remove(&id) {
                    self.fills_per_order.remove(&id);
                    records.push(record);
                }
            } else {
                records.push(record.clone());
            }
        }
        (records, fills)
    }

    /// Writes the step to the store (one transaction).
    fn journal(&mut self, step: &StepView<'_>) -> Result<(), LiveError> {
        let index = step.index as i64;
        let mut snapshot = snapshot(&self.session, &self.broker, step, self.time_format, &|order| {
            self.open.get(&order.id).map_or_else(String::new, |o| o.client_order_id.clone())
        });
        snapshot.reconciliation_mismatches =
            self.mismatches.as_ref().map_or(0, |m| m.load(std::sync::atomic::Ordering::Relaxed));
        let record = serde_json::to_value(&snapshot)
            .map_err(|e| LiveError::Refused(format!("encoding the snapshot: {e}")))?;
        let journal = StepJournal {
            steps_done: index + 1,
            snapshot: record,
            orders: std::mem::take(&mut self.unwritten_orders),
            fills: std::mem::take(&mut self.unwritten_fills),
            applied_commands: self.handed_over.drain(..).map(|seq| (seq, index)).collect(),
            step: Some(step_record(step)),
        };
        let started = Instant::now();
        self.runtime.block_on(self.store.journal_step(&self.session, &journal))?;
        if let Some(metrics) = &self.metrics {
            metrics.observe_journal(&snapshot, started.elapsed());
        }
        Ok(())
    }

    /// Waits until the next step is due, looking for commands meanwhile;
    /// returns those that arrived (empty when the step is due).
    fn wait_for_commands(&mut self, index: usize) -> Result<Vec<CommandRecord>, LiveError> {
        let deadline = match self.deadline {
            Some((at, deadline)) if at == index => deadline,
            _ => {
                let pause = match self.pacing {
                    Pacing::AsFastAsPossible => Duration::ZERO,
                    Pacing::StepsPerSecond(rate) => Duration::from_secs_f64(1.0 / rate),
                };
                let deadline = Instant::now() + pause;
                self.deadline = Some((index, deadline));
                deadline
            }
        };
        loop {
            let pending: Vec<CommandRecord> = self
                .runtime
                .block_on(self.store.pending_commands(&self.session))?
                .into_iter()
                .filter(|c| !self.handed_over.contains(&c.seq))
                .collect();
            let now = Instant::now();
            if !pending.is_empty() || now >= deadline {
                return Ok(pending);
            }
            std::thread::sleep(COMMAND_POLL.min(deadline - now));
        }
    }

    /// A step past the journaled ones: journal it, then wait for the next
    /// step or a command; stop after `max_steps` new steps.
    fn live_step(
        &mut self,
        step: &StepView<'_>,
        first_call: bool,
        commands: &mut Vec<Command>,
    ) -> Result<(), LiveError> {
        if let Some(metrics) = &self.metrics {
            metrics.observe_step(step, first_call);
        }
        self.journal(step)?;
        let news =
            !step.new_orders.is_empty() || !step.new_fills.is_empty() || !step.new_cancellations.is_empty();
        if let Some(report) = self.report.as_mut().filter(|_| first_call || news) {
            report(step);
        }
        if first_call {
            self.new_steps += 1;
        }
        if self.stopping {
            return Ok(());
        }
        let arrived = self.wait_for_commands(step.index)?;
        if !arrived.is_empty() {
            for record in arrived {
                self.handed_over.push(record.seq);
                let command = command_of(&record);
                self.stopping |= command == Command::Stop;
                commands.push(command);
            }
            return Ok(());
        }
        if self.max_steps.is_some_and(|max| self.new_steps >= max) {
            self.stopping = true;
            commands.push(Command::Stop);
        }
        Ok(())
    }
}

/// The step as the store keeps it: time, equity, bars.
fn step_record(step: &StepView<'_>) -> StepRecord {
    let bars: serde_json::Map<String, serde_json::Value> = step
        .bars
        .iter()
        .map(|(symbol, bar)| {
            let name = step.symbols[*symbol].as_str().to_owned();
            (name, serde_json::json!([bar.open, bar.high, bar.low, bar.close, bar.volume]))
        })
        .collect();
    StepRecord { ts: step.ts.nanos(), equity: step.portfolio.equity(), bars: serde_json::Value::Object(bars) }
}

/// The engine command a stored command stands for.
fn command_of(record: &CommandRecord) -> Command {
    match record.command.as_str() {
        "flatten" => Command::Flatten,
        "kill" => Command::Kill { reason: record.reason.clone().unwrap_or_else(|| "paper kill".to_owned()) },
        "resume" => Command::Resume,
        _ => Command::Stop,
    }
}

impl StepObserver for SessionObserver {
    fn after_step(&mut self, step: &StepView<'_>, commands: &mut Vec<Command>) {
        if self.error.is_some() {
            return;
        }
        let (orders, fills) = self.track(step);
        if let Some(notices) = &mut self.notices {
            notices.observe(step, step.index >= self.replay_until);
        }
        self.unwritten_orders.extend(orders);
        if self.journal_fills {
            self.unwritten_fills.extend(fills);
        }
        let first_call = self.current_step != Some(step.index);
        if first_call {
            self.current_step = Some(step.index);
            if let Some(feed) = self.bar_feed.as_mut() {
                feed(step);
            }
            // Commands an earlier run applied after this step are applied again, at the same point.
            let earlier: Vec<Command> = self
                .applied
                .iter()
                .filter(|c| c.applied_step == Some(step.index as i64) && c.command != "stop")
                .map(command_of)
                .collect();
            if !earlier.is_empty() {
                commands.extend(earlier);
                return;
            }
        }
        if step.index < self.replay_until {
            self.unwritten_orders.clear();
            self.unwritten_fills.clear();
            return;
        }
        if let Err(error) = self.live_step(step, first_call, commands) {
            self.error = Some(error);
            commands.clear();
            commands.push(Command::Stop);
        }
    }
}
