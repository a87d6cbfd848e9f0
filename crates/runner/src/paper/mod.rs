//! Paper sessions: what defines one, its lock, driving the engine on the
//! simulated venue with every step journaled, its status, and commands
//! applied to a session that is not running. (`alpaca` runs one on an
//! Alpaca paper account.)

pub mod alpaca;

use crate::outcome::time_format_of;
use crate::records::fingerprint;
use crate::{PreparedRun, RunError};
use gt_engine::{BacktestResult, Engine, SeriesReplay, SimulatedClock};
use gt_execution::SimulatedExchange;
use gt_live::{Pacing, SessionLock, SessionMetrics, SessionObserver, StepReport, TimedBars};
use gt_model::{BarSeries, Timestamp};
use gt_store::{SessionRecord, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;

/// What a session is defined by, as stored with it: the options that define
/// it, where they were given (relative paths), and what they resolved to.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionDefinition {
    /// The command-line options that define it.
    pub options: Vec<String>,
    /// The folder they were given in.
    pub cwd: String,
    /// The sleeves' names.
    pub strategy: String,
    /// The strategies with their parameters and allocation.
    pub strategies: String,
    /// The symbols traded.
    pub symbols: Vec<String>,
    /// The replayed bars' fingerprint (`live` for live bars, which differ at every start).
    pub data_fingerprint: String,
    /// Engine, exchange and risk settings.
    pub settings: String,
    /// Replayed bars per second it was started with (0: as fast as
    /// possible); a continued session keeps it unless given another.
    pub speed: Option<f64>,
    /// The shadow models it was started with (`--shadow`); a continued
    /// session keeps them unless given others. They change nothing it trades.
    pub shadows: Vec<String>,
}

impl SessionDefinition {
    /// The definition of `prepared`, run from `options`.
    pub fn new(options: &[String], prepared: &PreparedRun, live_data: bool) -> Result<Self, RunError> {
        let cwd = std::env::current_dir().map_err(|source| RunError::Io {
            what: "reading the current folder".to_owned(),
            path: ".".into(),
            source,
        })?;
        Ok(Self {
            options: options.to_vec(),
            cwd: cwd.display().to_string(),
            strategy: prepared.title.clone(),
            strategies: prepared.strategies.clone(),
            symbols: prepared.series.iter().map(|s| s.symbol().to_string()).collect(),
            data_fingerprint: if live_data { "live".to_owned() } else { fingerprint(&prepared.series) },
            settings: format!("{:?} {:?} {:?}", prepared.config, prepared.exchange, prepared.risk.config()),
            speed: None,
            shadows: Vec::new(),
        })
    }

    /// The definition stored with `record`.
    pub fn of(record: &SessionRecord) -> Self {
        serde_json::from_value(record.definition.clone()).unwrap_or_default()
    }

    /// Fails when `self` would change what the stored session `session` trades.
    pub fn check_continues(&self, session: &str, stored: &SessionDefinition) -> Result<(), RunError> {
        let mut differing: Vec<String> = [
            ("strategy", self.strategy == stored.strategy),
            ("strategies", self.strategies == stored.strategies),
            ("symbols", self.symbols == stored.symbols),
            ("data_fingerprint", self.data_fingerprint == stored.data_fingerprint),
        ]
        .into_iter()
        .filter(|(_, same)| !same)
        .map(|(key, _)| key.to_owned())
        .collect();
        differing.extend(setting_changes(&stored.settings, &self.settings));
        if differing.is_empty() {
            return Ok(());
        }
        Err(RunError::invalid(format!(
            "session {session:?} was started with other settings ({} differ; it was started with {}); \
             continue it with `gpt-trader paper run --session {session}` alone, or start a new --session",
            differing.join(", "),
            if stored.options.is_empty() { "the defaults".to_owned() } else { stored.options.join(" ") }
        )))
    }
}

/// The settings that differ between two descriptions of them (`name: value`
/// pieces of the same shape), each as `name (value, now value)`.
fn setting_changes(stored: &str, given: &str) -> Vec<String> {
    if stored == given {
        return Vec::new();
    }
    let pieces = |text: &str| -> Vec<String> {
        text.split([',', '{', '}', '(', ')'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let (before, after) = (pieces(stored), pieces(given));
    if before.len() != after.len() {
        return vec!["settings".to_owned()];
    }
    before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, a)| match (b.split_once(": "), a.split_once(": ")) {
            (Some((name, was)), Some((_, now))) => format!("{name} ({was}, now {now})"),
            _ => format!("settings ({b}, now {a})"),
        })
        .collect()
}

impl From<StoreError> for RunError {
    fn from(source: StoreError) -> Self {
        Self::Store { context: "the run store".to_owned(), source }
    }
}

/// Checks a session name: 1 to 40 letters, digits, `_`, `.` or `-` (it names a lock file).
pub fn check_session_name(text: &str) -> Result<String, String> {
    let valid = !text.is_empty()
        && text.len() <= 40
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
    if valid {
        Ok(text.to_owned())
    } else {
        Err(format!("{text:?}: use 1 to 40 letters, digits, '_', '.' or '-'"))
    }
}

/// The replay speed of a run of the session `existing` (if any): `given`,
/// else the one it was started with, else 0 (as fast as possible).
pub fn speed_of(given: Option<f64>, existing: Option<&SessionRecord>) -> f64 {
    given.or_else(|| existing.and_then(|record| SessionDefinition::of(record).speed)).unwrap_or(0.0)
}

/// Fails when the stored session `existing` trades on another broker than `broker`.
pub fn check_broker(existing: Option<&SessionRecord>, name: &str, broker: &str) -> Result<(), RunError> {
    match existing {
        Some(record) if record.broker != broker => Err(RunError::invalid(format!(
            "session {name:?} trades on broker {}; it cannot continue on {broker}",
            record.broker
        ))),
        _ => Ok(()),
    }
}

/// Starts session `name` on `broker` (`sim`, `alpaca`) as `definition`, or
/// continues the stored `existing` one when `definition` trades the same
/// (`None`: continue with the stored definition); the number of journaled
/// steps to replay.
pub fn start_or_continue(
    store: &Store,
    runtime: &tokio::runtime::Runtime,
    (name, broker): (&str, &str),
    existing: Option<&SessionRecord>,
    definition: Option<&SessionDefinition>,
) -> Result<usize, RunError> {
    check_broker(existing, name, broker)?;
    if let Some(record) = existing {
        if let Some(definition) = definition {
            definition.check_continues(name, &SessionDefinition::of(record))?;
        }
    } else {
        let definition = serde_json::to_value(definition.cloned().unwrap_or_default())?;
        runtime.block_on(store.create_session(name, broker, &definition))?;
    }
    runtime.block_on(store.set_session_state(name, "running"))?;
    Ok(existing.map_or(0, |record| record.steps_done as usize))
}

/// Makes SIGINT (Ctrl-C) and SIGTERM (`docker stop`, Kubernetes) stop the
/// session `name` in the store at `url` as `paper stop` does, while the
/// returned guard lives: the signal raises a flag, and a watcher thread
/// queues a `stop`, which the session applies after its current bar,
/// persists and exits 0. A second signal while stopping ends the process at
/// once (exit code 130). Once the guard is dropped (the session is over) a
/// signal queues nothing, so no stale stop waits for the next run.
pub fn stop_on_signals(url: &str, name: &str) -> Result<SignalStop, RunError> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::sync::atomic::{AtomicBool, Ordering};
    let raised = std::sync::Arc::new(AtomicBool::new(false));
    let over = std::sync::Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        let register = |result: std::io::Result<signal_hook::SigId>| {
            result.map_err(|source| RunError::Io {
                what: "handling signals".to_owned(),
                path: ".".into(),
                source,
            })
        };
        // The shutdown goes first: it fires only once the flag is up (the second signal).
        register(signal_hook::flag::register_conditional_shutdown(signal, 130, raised.clone()))?;
        register(signal_hook::flag::register(signal, raised.clone()))?;
    }
    let (url, name, watching) = (url.to_owned(), name.to_owned(), over.clone());
    std::thread::spawn(move || {
        while !raised.load(Ordering::Acquire) {
            if watching.load(Ordering::Acquire) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        if watching.load(Ordering::Acquire) {
            return;
        }
        if let Ok((store, runtime)) = crate::store::open_with_runtime(&url) {
            let _ = runtime.block_on(store.queue_command(&name, "stop", Some("signal"), "signal"));
            runtime.block_on(store.close());
        }
    });
    Ok(SignalStop { over })
}

/// While it lives, SIGINT and SIGTERM stop the session ([`stop_on_signals`]).
pub struct SignalStop {
    over: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for SignalStop {
    fn drop(&mut self) {
        self.over.store(true, std::sync::atomic::Ordering::Release);
    }
}

/// The folder of the sessions' lock files.
pub fn lock_dir() -> Result<PathBuf, RunError> {
    Ok(crate::paths::data_dir()?.join("paper"))
}

/// Takes the lock of `session`, or explains that it is running.
pub fn lock(session: &str) -> Result<SessionLock, RunError> {
    SessionLock::try_acquire(&lock_dir()?, session)?.ok_or_else(|| {
        RunError::invalid(format!(
            "session {session:?} is already running; stop it with `gpt-trader paper stop --session {session}`"
        ))
    })
}

/// True when a process runs `session` now.
pub fn is_running(session: &str) -> Result<bool, RunError> {
    Ok(SessionLock::is_held(&lock_dir()?, session)?)
}

/// The stored session `name`, or a message naming the ones there are.
pub async fn find_session(store: &Store, name: &str) -> Result<SessionRecord, RunError> {
    if let Some(record) = store.session(name).await? {
        return Ok(record);
    }
    let names: Vec<String> = store.sessions().await?.into_iter().map(|s| s.name).collect();
    Err(RunError::invalid(format!(
        "no paper session {name:?} (sessions: {}); start one with `gpt-trader paper run --session {name}`",
        if names.is_empty() { "none yet".to_owned() } else { names.join(", ") }
    )))
}

/// The state of the session `record` now, the one answer `paper status` and
/// `paper list` give: `running` while a process holds its lock; marked
/// running by a process that no longer holds it, `interrupted` (it died:
/// SIGKILL, a crash); otherwise as stored (`stopped`, `finished`).
pub fn state_of(record: &SessionRecord) -> Result<String, RunError> {
    Ok(match (is_running(&record.name)?, record.state.as_str()) {
        (true, _) => "running".to_owned(),
        (false, "running") => "interrupted".to_owned(),
        (false, other) => other.to_owned(),
    })
}

/// A session as `paper list` lists it.
#[derive(Debug, Serialize)]
pub struct SessionRow {
    /// Its name.
    pub session: String,
    /// `sim` or `alpaca`.
    pub broker: String,
    /// The sleeves' names.
    pub strategy: String,
    /// Its state now ([`state_of`]).
    pub state: String,
    /// Bars journaled.
    pub bars: i64,
    /// Equity after the last bar.
    pub equity: Option<f64>,
}

/// A session's state in one line: equity, open positions and orders, halt.
pub fn summary(snapshot: &Value) -> String {
    let count = |key: &str, one: &str| match snapshot[key].as_array().map_or(0, Vec::len) {
        1 => format!("1 open {one}"),
        n => format!("{n} open {one}s"),
    };
    format!(
        "Equity {:.2}, {}, {}{}.",
        snapshot["equity"].as_f64().unwrap_or(f64::NAN),
        count("positions", "position"),
        count("open_orders", "order"),
        snapshot["halt_reason"].as_str().map_or(String::new(), |r| format!(", halted: {r}"))
    )
}

/// Every session in the store, as `paper list` lists them.
pub async fn sessions(store: &Store) -> Result<Vec<SessionRow>, RunError> {
    store
        .sessions()
        .await?
        .iter()
        .map(|s| {
            Ok(SessionRow {
                session: s.name.clone(),
                broker: s.broker.clone(),
                strategy: SessionDefinition::of(s).strategy,
                state: state_of(s)?,
                bars: s.steps_done,
                equity: s.snapshot["equity"].as_f64(),
            })
        })
        .collect()
}

/// A session's status: its last snapshot (equity, cash, positions, open
/// orders, halt, P&L) with its name, broker, state, steps and the commands
/// still pending.
pub async fn status(store: &Store, name: &str) -> Result<Value, RunError> {
    let record = find_session(store, name).await?;
    let commands = store.commands(name).await?;
    let state = state_of(&record)?;
    let mut status = match &record.snapshot {
        Value::Object(map) if !map.is_empty() => record.snapshot.clone(),
        _ => json!({"equity": null, "cash": null, "positions": [], "open_orders": [], "halted": false,
                    "halt_reason": null}),
    };
    let pending: Vec<Value> = commands
        .iter()
        .filter(|c| c.applied_step.is_none())
        .map(|c| json!({"seq": c.seq, "command": c.command, "reason": c.reason}))
        .collect();
    status["session"] = json!(record.name);
    status["broker"] = json!(record.broker);
    status["state"] = json!(state);
    status["steps_done"] = json!(record.steps_done);
    status["pending_commands"] = Value::Array(pending);
    if status.get("reconciliation_mismatches").is_none() {
        status["reconciliation_mismatches"] = json!(0);
    }
    Ok(status)
}

/// Journals that command `seq` took effect on a session that is not
/// running, leaving `snapshot` as its state.
pub async fn mark_applied(
    store: &Store,
    record: &SessionRecord,
    seq: i64,
    snapshot: Value,
) -> Result<(), RunError> {
    let applied = gt_store::StepJournal {
        steps_done: record.steps_done,
        snapshot,
        applied_commands: vec![(seq, (record.steps_done - 1).max(0))],
        ..Default::default()
    };
    Ok(store.journal_step(&record.name, &applied).await?)
}

/// Waits up to `limit` for a running session to apply command `seq`; the
/// step it was applied after, or `None` when it has not been yet.
pub async fn wait_applied(
    store: &Store,
    name: &str,
    seq: i64,
    limit: std::time::Duration,
) -> Result<Option<i64>, RunError> {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        let commands = store.commands(name).await?;
        if let Some(step) = commands.iter().find(|c| c.seq == seq).and_then(|c| c.applied_step) {
            return Ok(Some(step));
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Ok(None)
}

/// Number of time steps on the merged timeline of `series`.
pub fn total_steps(series: &[BarSeries]) -> usize {
    let mut times: Vec<Timestamp> = series.iter().flat_map(|s| s.timestamps().iter().copied()).collect();
    times.sort_unstable();
    times.dedup();
    times.len()
}

/// How a drive of the engine ended.
pub struct Drive {
    /// The whole session's result so far (replayed and new steps).
    pub result: BacktestResult,
    /// Steps processed live in this drive.
    pub new_steps: usize,
}

/// How a drive runs beyond what it trades.
pub struct DriveOptions {
    /// Journaled steps replayed without sending anything.
    pub replay_until: usize,
    /// How fast new steps come.
    pub pacing: Pacing,
    /// Stop after this many new steps.
    pub max_steps: Option<usize>,
    /// Told about each step.
    pub report: Option<StepReport>,
    /// The session's metrics (`paper run --metrics`), kept up after each step.
    pub metrics: Option<Arc<SessionMetrics>>,
    /// Where the session's events are notified (`paper run --notify`).
    pub notifications: Option<gt_live::notify::Notifications>,
    /// Shown every step, replayed or live: the session's shadow models follow it.
    pub bar_feed: Option<StepReport>,
}

/// Runs `prepared` on the simulated venue as `session`: replays the journaled
/// steps, then journals each new step, paced, until the data ends, the
/// step limit is reached or a stop arrives. Gives the store back with its runtime.
pub fn drive(
    store: Store,
    runtime: tokio::runtime::Runtime,
    session: &str,
    prepared: &mut PreparedRun,
    options: DriveOptions,
) -> Result<(Drive, Store, tokio::runtime::Runtime), RunError> {
    let commands = runtime.block_on(store.commands(session))?;
    let time_format = time_format_of(&prepared.series);
    let mut observer = SessionObserver::new(
        store,
        runtime,
        session,
        "sim",
        time_format,
        options.replay_until,
        commands,
        options.pacing,
        options.max_steps,
    );
    if let Some(report) = options.report {
        observer = observer.with_step_report(report);
    }
    if let Some(metrics) = &options.metrics {
        observer = observer.with_metrics(Arc::clone(metrics));
    }
    if let Some(notifications) = options.notifications {
        observer = observer.with_notifications(notifications);
    }
    if let Some(feed) = options.bar_feed {
        observer = observer.with_bar_feed(feed);
    }
    let mut config = prepared.config.clone();
    config.keep_order_log = true;
    config.finalize_trades = false;
    let result = Engine::new(config, SimulatedClock::default(), SimulatedExchange::new(prepared.exchange))
        .run_observed(
            TimedBars::new(SeriesReplay::new(&prepared.series), options.metrics),
            &mut prepared.sleeves,
            &mut prepared.risk,
            &mut observer,
        );
    let new_steps = observer.new_steps();
    let (store, runtime) = observer.finish().map_err(|error| {
        RunError::invalid(format!("the session stopped: its journal could not be written: {error}"))
    })?;
    Ok((Drive { result, new_steps }, store, runtime))
}

/// What a command did to a simulated session that is not running.
pub enum IdleOutcome {
    /// `stop`: nothing runs, so nothing was to stop (journaled as applied).
    NothingToStop,
    /// The session has not traded yet: the command applies at its first bar.
    AtFirstBar,
    /// Applied after the journal's last bar.
    Applied {
        /// Bars of the session in all.
        bars: usize,
        /// Trades it closed in all.
        trades: usize,
        /// Its state afterwards.
        snapshot: Value,
    },
}

/// Applies command `seq` to the simulated session `record`, which is not
/// running: replays its journal (on the run `prepare` rebuilds), applies the
/// command after its last bar and journals the effects.
pub fn apply_idle<E: From<RunError>>(
    store: Store,
    runtime: tokio::runtime::Runtime,
    record: &SessionRecord,
    (seq, command): (i64, &str),
    prepare: impl FnOnce() -> Result<PreparedRun, E>,
) -> Result<IdleOutcome, E> {
    if command == "stop" {
        runtime.block_on(mark_applied(&store, record, seq, record.snapshot.clone()))?;
        return Ok(IdleOutcome::NothingToStop);
    }
    if record.steps_done == 0 {
        return Ok(IdleOutcome::AtFirstBar);
    }
    let mut prepared = prepare()?;
    let options = DriveOptions {
        replay_until: record.steps_done as usize - 1,
        pacing: Pacing::AsFastAsPossible,
        max_steps: Some(1),
        report: None,
        metrics: None,
        notifications: None,
        bar_feed: None,
    };
    let (drive, store, runtime) = drive(store, runtime, &record.name, &mut prepared, options)?;
    let after = runtime.block_on(find_session(&store, &record.name))?;
    Ok(IdleOutcome::Applied {
        bars: drive.result.timeline.len(),
        trades: drive.result.trades.len(),
        snapshot: after.snapshot,
    })
}
