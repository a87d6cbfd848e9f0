//! Running a paper session on the simulated venue: its definition, its lock,
//! and the engine driven by the session observer.

use crate::commands::paper_report::StepReport;
use crate::commands::run_spec::RunSpecArgs;
use anyhow::{Context, Result, anyhow, bail};
use clap::Parser;
use gt_engine::{BacktestResult, Engine, SeriesReplay, SimulatedClock};
use gt_execution::SimulatedExchange;
use gt_live::{Pacing, SessionLock, SessionObserver};
use gt_model::{BarSeries, Timestamp};
use gt_runner::PreparedRun;
use gt_runner::outcome::time_format_of;
use gt_runner::records::fingerprint;
use gt_store::{SessionRecord, Store};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Options of `paper run` that are not part of a session's stored definition
/// (each takes a value): they do not change what it trades, or (the broker)
/// are kept apart.
const NOT_DEFINING: [&str; 11] = [
    "--outside-hours",
    "--session",
    "--max-bars",
    "--speed",
    "--format",
    "--db",
    "--warmup-days",
    "--reconcile-every",
    "--broker",
    "--feed",
    "--alpaca-feed",
];

/// Re-reads a session's stored options as `paper run` would.
#[derive(Parser)]
#[command(no_binary_name = true)]
struct StoredOptions {
    #[command(flatten)]
    spec: RunSpecArgs,
}

/// The command-line options after `paper run` that define the session:
/// those of `args` that are not in [`NOT_DEFINING`].
pub fn defining_options(args: &[String]) -> Vec<String> {
    let mut kept = Vec::new();
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if let Some(flag) = NOT_DEFINING.iter().find(|flag| arg.starts_with(*flag)) {
            skip_value = arg.len() == flag.len();
            continue;
        }
        kept.push(arg.clone());
    }
    kept
}

/// The folder of the sessions' lock files.
pub fn lock_dir() -> Result<PathBuf> {
    Ok(gt_runner::paths::data_dir()?.join("paper"))
}

/// Takes the lock of `session`, or explains that it is running.
pub fn lock(session: &str) -> Result<SessionLock> {
    SessionLock::try_acquire(&lock_dir()?, session)?.ok_or_else(|| {
        anyhow!(
            "session {session:?} is already running; stop it with `gpt-trader paper stop --session {session}`"
        )
    })
}

/// True when a process runs `session` now.
pub fn is_running(session: &str) -> Result<bool> {
    Ok(SessionLock::is_held(&lock_dir()?, session)?)
}

/// Opens the store at `url` on a runtime the session keeps for its writes.
pub fn open_store(url: &str) -> Result<(Store, tokio::runtime::Runtime)> {
    Ok(gt_runner::store::open_with_runtime(url)?)
}

/// What a session's definition records: the options that define it, where
/// they were given (relative paths), and what they resolved to.
pub fn definition(options: &[String], prepared: &PreparedRun, live_data: bool) -> Result<Value> {
    Ok(json!({
        "options": options,
        "cwd": std::env::current_dir()?.display().to_string(),
        "strategy": prepared.title,
        "strategies": prepared.strategies,
        "symbols": prepared.series.iter().map(|s| s.symbol().as_str()).collect::<Vec<_>>(),
        // Live bars differ at every start; replayed ones must not change under a session.
        "data_fingerprint": if live_data { "live".to_owned() } else { fingerprint(&prepared.series) },
        "settings": format!("{:?} {:?} {:?}", prepared.config, prepared.exchange, prepared.risk.config()),
    }))
}

/// The keys of a definition that must match for a run to continue a session.
const MUST_MATCH: [&str; 5] = ["strategy", "strategies", "symbols", "data_fingerprint", "settings"];

/// Fails when `given` would change what `stored`'s session trades.
pub fn check_same_definition(session: &str, stored: &Value, given: &Value) -> Result<()> {
    let differing: Vec<&str> = MUST_MATCH.into_iter().filter(|key| stored[key] != given[key]).collect();
    if differing.is_empty() {
        return Ok(());
    }
    let options: Vec<&str> =
        stored["options"].as_array().map_or(Vec::new(), |o| o.iter().filter_map(Value::as_str).collect());
    bail!(
        "session {session:?} was started with other settings ({} differ; it was started with {}); \
         continue it with `gpt-trader paper run --session {session}` alone, or start a new --session",
        differing.join(", "),
        if options.is_empty() { "the defaults".to_owned() } else { options.join(" ") }
    )
}

/// Runs `prepare` on the options a stored session was defined with, from
/// the folder it was started in (its paths are relative to it).
pub fn with_stored_spec<T>(
    record: &SessionRecord,
    prepare: impl FnOnce(&RunSpecArgs) -> Result<T>,
) -> Result<T> {
    let options: Vec<String> = record.definition["options"]
        .as_array()
        .map(|o| o.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    let stored = StoredOptions::try_parse_from(&options)
        .map_err(|e| anyhow!("session {:?}: its stored options no longer parse: {e}", record.name))?;
    let cwd = record.definition["cwd"].as_str().map(PathBuf::from);
    let here = std::env::current_dir()?;
    if let Some(cwd) = &cwd {
        std::env::set_current_dir(cwd)
            .with_context(|| format!("session {:?} was started in {}", record.name, cwd.display()))?;
    }
    let prepared = prepare(&stored.spec);
    std::env::set_current_dir(here)?;
    prepared
}

/// Rebuilds the run a stored session was defined with.
pub fn prepare_stored(record: &SessionRecord) -> Result<PreparedRun> {
    with_stored_spec(record, RunSpecArgs::prepare)
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

/// Runs `prepared` on the simulated venue for `session`: replays the
/// `replay_until` journaled steps, then journals each new step, paced, until
/// the data ends, `max_steps` new steps were made or a stop arrives.
#[allow(clippy::too_many_arguments)]
pub fn drive(
    store: Store,
    runtime: tokio::runtime::Runtime,
    session: &str,
    prepared: &mut PreparedRun,
    replay_until: usize,
    pacing: Pacing,
    max_steps: Option<usize>,
    report: Option<StepReport>,
) -> Result<(Drive, Store, tokio::runtime::Runtime)> {
    let commands = runtime.block_on(store.commands(session))?;
    let time_format = time_format_of(&prepared.series);
    let mut observer = SessionObserver::new(
        store,
        runtime,
        session,
        "sim",
        time_format,
        replay_until,
        commands,
        pacing,
        max_steps,
    );
    if let Some(report) = report {
        observer = observer.with_step_report(report);
    }
    let mut config = prepared.config;
    config.keep_order_log = true;
    config.finalize_trades = false;
    let result = Engine::new(config, SimulatedClock::default(), SimulatedExchange::new(prepared.exchange))
        .run_observed(
            SeriesReplay::new(&prepared.series),
            &mut prepared.sleeves,
            &mut prepared.risk,
            &mut observer,
        );
    let new_steps = observer.new_steps();
    let (store, runtime) =
        observer.finish().context("the session stopped: its journal could not be written")?;
    Ok((Drive { result, new_steps }, store, runtime))
}
