//! `gpt-trader paper`: run a strategy as a paper-trading session, watch it,
//! and steer it (stop, flatten, kill, resume).

use crate::commands::paper_health;
use crate::commands::paper_notify::{self, NotifyArgs};
use crate::commands::paper_report;
use crate::commands::paper_session::{defining_options, prepare_stored, with_stored_spec};
use crate::commands::run_spec::{RunSpecArgs, prepare_on};
use crate::commands::shadow_args::{self, ShadowArgs};
use crate::output::{self, OutputFormat};
use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use gt_live::alpaca::OutsideHours;
use gt_live::{Pacing, SessionMetrics};
use gt_runner::kill_switch;
use gt_runner::outcome::{report_of, time_format_of};
use gt_runner::paper::alpaca::{self, AlpacaRunOptions};
use gt_runner::paper::{
    Drive, DriveOptions, IdleOutcome, SessionDefinition, apply_idle, drive, find_session, lock, speed_of,
    start_or_continue, total_steps, wait_applied,
};
use gt_runner::paths::database_url;
use gt_runner::shadow::ShadowFollowers;
use gt_runner::store::open_with_runtime as open_store;
use gt_runner::{NotifySpec, PreparedRun};
use gt_store::Store;
use gt_web::SessionMetricsServer;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Options of `gpt-trader paper`.
#[derive(Args, Debug)]
pub struct PaperArgs {
    /// Run store URL, where sessions live [default: $GPT_TRADER_DB, else runs.db in the data folder].
    #[arg(long, value_name = "URL", global = true)]
    db: Option<String>,

    #[command(subcommand)]
    command: PaperCommand,
}

#[derive(Subcommand, Debug)]
enum PaperCommand {
    /// Run (or continue) a session: the backtest's strategies, risk checks and
    /// accounting on bars played in real time, every step journaled.
    Run(Box<PaperRunArgs>),
    /// Positions, open orders, P&L, equity and risk state of a session.
    #[command(
        after_long_help = "Examples:\n  gpt-trader paper status\n  gpt-trader paper status --session spy --format json"
    )]
    Status {
        #[command(flatten)]
        session: SessionName,
        /// A readable summary, or one JSON object.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Stop a running session after its current bar (it can be continued with `paper run`).
    #[command(
        after_long_help = "Examples:\n  gpt-trader paper stop --session spy   # `paper run --session spy` goes on"
    )]
    Stop(SessionName),
    /// Cancel a session's open orders and close all its positions.
    #[command(after_long_help = "Examples:\n  gpt-trader paper flatten --session spy")]
    Flatten(SessionName),
    /// The kill switch: cancel all, close all, and refuse new entries until `paper resume`.
    #[command(
        after_long_help = "Examples:\n  gpt-trader paper kill --session spy --reason 'data feed looks wrong'"
    )]
    Kill {
        #[command(flatten)]
        session: SessionName,
        /// Why, kept with the halt and shown by `paper status`.
        #[arg(long, default_value = "manual kill switch")]
        reason: String,
    },
    /// Lift a halt (after `paper kill` or a loss limit): entries pass the risk checks again.
    #[command(after_long_help = "Examples:\n  gpt-trader paper resume --session spy")]
    Resume(SessionName),
    /// List the sessions in the store.
    #[command(after_long_help = "Examples:\n  gpt-trader paper list\n  gpt-trader paper list --format json")]
    List {
        /// A table, or a JSON list of {session, broker, strategy, state, bars, equity}.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Ask a running session's health check (`paper run --metrics ADDR`): exits 0 when it is up.
    /// For a container's HEALTHCHECK or a Kubernetes probe.
    #[command(after_long_help = "Examples:\n  gpt-trader paper health --metrics 127.0.0.1:9184\n  \
                           GPT_TRADER_METRICS_TOKEN=... gpt-trader paper health --metrics 127.0.0.1:9184")]
    Health {
        /// The address the session's --metrics serves on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9184")]
        metrics: std::net::SocketAddr,
        /// The session's --metrics-token [default: $GPT_TRADER_METRICS_TOKEN].
        #[arg(long, value_name = "T")]
        metrics_token: Option<String>,
    },
    /// Delete a stopped session and its journal.
    #[command(
        after_long_help = "Examples:\n  gpt-trader paper delete --session spy   # a stopped session only"
    )]
    Delete(SessionName),
}

/// The session a command is about.
#[derive(Args, Debug)]
struct SessionName {
    /// Session name.
    #[arg(long, default_value = "default", value_parser = gt_runner::paper::check_session_name)]
    session: String,
}

/// Where orders go.
#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum Broker {
    /// Our simulated exchange: no keys, no network.
    Sim,
    /// An Alpaca paper account.
    Alpaca,
}

/// What to do with orders decided outside market hours.
#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum OutsideHoursChoice {
    /// Refuse them.
    Refuse,
    /// Hold them until the market opens.
    Queue,
}

/// Where bars come from.
#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum Feed {
    /// Bars of --data, cached --symbols or the bundled sample, played at --speed.
    Replay,
    /// Alpaca's market-data stream.
    Alpaca,
}

/// Options of `gpt-trader paper run`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples:
  gpt-trader paper run              # demo_ma on the sample, simulated fills
  gpt-trader paper run --speed 5 --session demo   # 5 bars a second
  gpt-trader paper status --session demo          # in another terminal
  gpt-trader paper run --universe sample --strategy momentum \\
      --max-position-pct 25 --session folio
  gpt-trader paper run --session demo --max-bars 100   # 100 more bars

A session's state lives in the run store under its name: every order (with a
deterministic client order id), fill and the account after each bar. Run the
same --session again to continue it; a session that was killed resumes where
its journal ends, without sending any order twice. Its options are kept: give
none to continue, or the same ones. `paper stop`, `flatten`, `kill` and
`resume` reach a running session through the store (it looks between bars and
while waiting for the next one), and also work on one that is not running.")]
pub struct PaperRunArgs {
    #[command(flatten)]
    spec: RunSpecArgs,

    /// Where orders go.
    #[arg(long, value_enum, default_value_t = Broker::Sim)]
    broker: Broker,

    /// Where bars come from [default: replay with --broker sim, alpaca with --broker alpaca].
    #[arg(long, value_enum)]
    feed: Option<Feed>,

    /// Replayed bars per second; 0 plays them as fast as possible [default: the session's own, else 0].
    #[arg(long, value_name = "BARS_PER_SECOND")]
    speed: Option<f64>,

    #[command(flatten)]
    session: SessionName,

    /// Alpaca market-data feed for --feed alpaca: iex (free) or sip (all exchanges, paid plans).
    #[arg(long, value_name = "FEED", default_value = "iex", value_parser = ["iex", "sip"])]
    alpaca_feed: String,

    /// Days of minute bars fetched from Alpaca to warm the strategies up before live bars.
    #[arg(long, value_name = "DAYS", default_value_t = 5)]
    warmup_days: u32,

    /// Orders decided while Alpaca's clock says the market is closed: refuse them, or queue them
    /// until it opens. Either way none is sent while it is closed.
    #[arg(long, value_enum, default_value_t = OutsideHoursChoice::Refuse)]
    outside_hours: OutsideHoursChoice,

    /// Seconds between two reconciliations of positions with Alpaca (also after every reconnection).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    reconcile_every: u64,

    /// Stop cleanly after this many new bars (the session can be continued).
    #[arg(long, value_name = "N")]
    max_bars: Option<usize>,

    /// Serve the session's Prometheus metrics at http://ADDR/metrics and a health check at
    /// /healthz while it runs (e.g. 127.0.0.1:9184; port 0 picks a free one). Anywhere but
    /// loopback needs --metrics-token.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<std::net::SocketAddr>,

    /// Token every metrics request must carry as `Authorization: Bearer`
    /// [default: $GPT_TRADER_METRICS_TOKEN]; at least 16 characters.
    #[arg(long, value_name = "T", requires = "metrics")]
    metrics_token: Option<String>,

    #[command(flatten)]
    notify: NotifyArgs,

    #[command(flatten)]
    shadows: ShadowArgs,

    /// At the end: a readable table, or the same JSON object as `backtest` for the whole session.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// `gpt-trader paper`.
pub fn run(args: &PaperArgs) -> Result<()> {
    let url = database_url(args.db.as_deref())?;
    // ml_signal's model comes from the session's store.
    gt_runner::strategy_source::read_models_from(&url);
    match &args.command {
        PaperCommand::Run(run_args) => run_session(&url, run_args),
        PaperCommand::Status { session, format } => status(&url, &session.session, *format),
        PaperCommand::Stop(name) => control(&url, &name.session, "stop", None),
        PaperCommand::Flatten(name) => control(&url, &name.session, "flatten", None),
        PaperCommand::Kill { session, reason } => control(&url, &session.session, "kill", Some(reason)),
        PaperCommand::Resume(name) => control(&url, &name.session, "resume", None),
        PaperCommand::List { format } => list(&url, *format),
        PaperCommand::Delete(name) => delete(&url, &name.session),
        PaperCommand::Health { metrics, metrics_token } => {
            let token = metrics_token.clone().or_else(|| std::env::var("GPT_TRADER_METRICS_TOKEN").ok());
            paper_health::check(*metrics, token.as_deref())
        }
    }
}

/// `paper run`.
fn run_session(url: &str, args: &PaperRunArgs) -> Result<()> {
    let name = &args.session.session;
    let feed = args.feed.unwrap_or(match args.broker {
        Broker::Sim => Feed::Replay,
        Broker::Alpaca => Feed::Alpaca,
    });
    match (args.broker, feed) {
        (Broker::Sim, Feed::Replay) | (Broker::Alpaca, Feed::Alpaca) => {}
        (Broker::Alpaca, Feed::Replay) => {
            bail!("--broker alpaca trades at Alpaca's live prices: use --feed alpaca (the default with it)")
        }
        (Broker::Sim, Feed::Alpaca) => bail!(
            "--broker sim with --feed alpaca is not available yet: use --broker alpaca for live bars, or \
             --feed replay to replay history on the simulated exchange"
        ),
    }
    if let Some(speed) = args.speed.filter(|s| !(s.is_finite() && *s >= 0.0)) {
        bail!("--speed must be 0 (as fast as possible) or a positive number of bars per second, got {speed}");
    }
    if args.max_bars == Some(0) {
        bail!("--max-bars must be at least 1");
    }
    let _lock = lock(name)?;
    let metrics = args.metrics.map(|_| Arc::new(SessionMetrics::new(name)));
    let _metrics_server = match (args.metrics, &metrics) {
        (Some(bind), Some(metrics)) => {
            let token = args.metrics_token.clone().or_else(|| std::env::var("GPT_TRADER_METRICS_TOKEN").ok());
            let server = SessionMetricsServer::start(bind, token, Arc::clone(metrics))?;
            eprintln!("Metrics on http://{}/metrics (health: /healthz).", server.addr());
            Some(server)
        }
        _ => None,
    };
    let (store, runtime) = open_store(url)?;
    let signals = gt_runner::paper::stop_on_signals(url, name)?;
    let existing = runtime.block_on(store.session(name))?;
    let given: Vec<String> = std::env::args().skip_while(|a| a != "run").skip(1).collect();
    let options = defining_options(&given);
    let broker_name = match args.broker {
        Broker::Sim => "sim",
        Broker::Alpaca => "alpaca",
    };
    gt_runner::paper::check_broker(existing.as_ref(), name, broker_name)?;
    // Continuing with no options: the session's own.
    let use_stored = existing.is_some() && options.is_empty();
    let live = args.broker == Broker::Alpaca;
    // The run, and the run file's [notify] (which is no part of the run).
    let prepare = |options: &RunSpecArgs| -> Result<(PreparedRun, NotifySpec, Vec<String>)> {
        let spec = options.spec()?;
        if spec.execution.finalizes() {
            bail!(
                "--finalize-trades has no meaning for a paper session: use `paper flatten` to close positions"
            );
        }
        if live && (spec.data.start.is_some() || spec.data.end.is_some()) {
            bail!("--start and --end cut replayed bars; a session on Alpaca trades live bars from now on");
        }
        let series = if live {
            let symbols = gt_runner::data::symbol_names(&spec.data);
            let (history, notes) = alpaca::history(&symbols, args.warmup_days, &args.alpaca_feed)?;
            notes.iter().for_each(|note| eprintln!("{note}"));
            history
        } else {
            crate::commands::data_args::load(&spec.data)?
        };
        Ok((prepare_on(&spec, series)?, spec.notify, spec.shadows))
    };
    let (mut prepared, notify_file, file_shadows) = match &existing {
        Some(record) if use_stored => with_stored_spec(record, prepare)?,
        _ => prepare(&args.spec)?,
    };
    // The shadows given (options, run file), else those the session was started with.
    let given = args.shadows.or_file(&file_shadows).to_vec();
    let shadow_names = match (&existing, given.is_empty()) {
        (Some(record), true) => SessionDefinition::of(record).shadows,
        _ => given,
    };
    let shadows = shadow_args::shadows(&shadow_names, &prepared)?;
    let definition = match use_stored {
        true => None,
        false => Some(SessionDefinition {
            speed: args.speed,
            shadows: shadow_names,
            ..SessionDefinition::new(&options, &prepared, live)?
        }),
    };
    let replay_until =
        start_or_continue(&store, &runtime, (name, broker_name), existing.as_ref(), definition.as_ref())?;
    if use_stored && let Some(record) = &existing {
        eprintln!("Continuing session {name:?} after {} bars.", record.steps_done);
    }
    let notifier = args.notify.start(name, &notify_file)?;
    let notifications = notifier.as_ref().map(gt_live::notify::Notifier::handle);
    let continued = existing.as_ref().map(|record| record.steps_done).filter(|steps| *steps > 0);
    paper_notify::started(notifications.as_ref(), broker_name, continued);
    // An Alpaca session journals its live bars: its shadows skip the warm-up history.
    let journal_from = if live { total_steps(&prepared.series) } else { 0 };
    let symbols: Vec<gt_model::Symbol> = prepared.series.iter().map(|s| s.symbol().clone()).collect();
    let mut feeds = Vec::new();
    let followers = match shadows.is_empty() {
        true => None,
        false => {
            let cash = prepared.config.initial_cash;
            let (followers, feed) =
                ShadowFollowers::start(shadows, &symbols, (url, name), journal_from, cash)?;
            feeds.push(feed);
            Some(followers)
        }
    };
    let time_format = if live { gt_model::TimeFormat::DateTime } else { time_format_of(&prepared.series) };
    feeds.extend(kill_switch::demotion_recorder(url, name, time_format)?);
    let bar_feed = kill_switch::all_of(feeds);
    let (result, new_steps, finished, store, runtime) = if live {
        let halted = existing.as_ref().and_then(|r| r.snapshot["halt_reason"].as_str().map(str::to_owned));
        let options = AlpacaRunOptions {
            max_steps: args.max_bars,
            halted,
            feed: args.alpaca_feed.clone(),
            reconcile_every: Duration::from_secs(args.reconcile_every),
            report: paper_report::bar_lines(gt_model::TimeFormat::DateTime),
            outside_hours: match args.outside_hours {
                OutsideHoursChoice::Refuse => OutsideHours::Refuse,
                OutsideHoursChoice::Queue => OutsideHours::Queue,
            },
            metrics: metrics.clone(),
            notifications,
            bar_feed,
        };
        let outcome = match alpaca::run(url, name, &mut prepared, options) {
            Ok(outcome) => outcome,
            Err(error) => {
                // It did not run: say so in the store, then report why.
                let _ = runtime.block_on(store.set_session_state(name, "stopped"));
                paper_notify::finish(notifier, &format!("failed: {error}"));
                return Err(error.into());
            }
        };
        if outcome.mismatches > 0 {
            eprintln!(
                "Reconciliation found {} mismatches (resolved in the broker's favour).",
                outcome.mismatches
            );
        }
        // The statistics (buy & hold included) cover the live bars too.
        prepared.series = outcome.bars;
        (outcome.result, outcome.new_steps, false, store, runtime)
    } else {
        let (pacing, report) = match speed_of(args.speed, existing.as_ref()) {
            0.0 => (Pacing::AsFastAsPossible, paper_report::progress_bar(total_steps(&prepared.series))),
            speed => {
                (Pacing::StepsPerSecond(speed), paper_report::bar_lines(time_format_of(&prepared.series)))
            }
        };
        let options = DriveOptions {
            replay_until,
            pacing,
            max_steps: args.max_bars,
            report: Some(report),
            metrics,
            notifications,
            bar_feed,
        };
        let (Drive { result, new_steps }, store, runtime) =
            match drive(store, runtime, name, &mut prepared, options) {
                Ok(driven) => driven,
                Err(error) => {
                    paper_notify::finish(notifier, &format!("failed: {error}"));
                    return Err(error.into());
                }
            };
        let finished = result.timeline.len() >= total_steps(&prepared.series);
        (result, new_steps, finished, store, runtime)
    };
    drop(signals); // The session is over: a signal from here on queues no stop for the next run.
    let shadow_summaries = finish_shadows(followers);
    // The runtime the store was opened on: its pool hands connections back on it.
    runtime.block_on(store.set_session_state(name, if finished { "finished" } else { "stopped" }))?;
    let why = match (finished, &result.halt) {
        (true, _) => "the data is played out".to_owned(),
        (false, Some(halt)) => format!("stopped while halted ({})", halt.reason),
        (false, None) => "stopped; `gpt-trader paper run` continues it".to_owned(),
    };
    paper_notify::finish(notifier, &why);

    let series = &prepared.series;
    let format = time_format_of(series);
    let report = report_of(series, &result);
    match args.format {
        OutputFormat::Json => output::print_json(&report, &result, format, None, &shadow_summaries)?,
        OutputFormat::Table => output::print_table(&report.stats, &result, format, &prepared.title)?,
    }
    eprintln!(
        "Session {name:?}: {} bars in all, {new_steps} new; {}. See `gpt-trader paper status --session {name}`.",
        result.timeline.len(),
        if finished { "the data is played out" } else { "stopped, continue with `gpt-trader paper run`" },
    );
    shadow_args::print_summaries(&shadow_summaries, Some(&format!("--session {name}")));
    Ok(())
}

/// Waits for the session's shadows to journal the last bar; warns of any
/// whose journal is incomplete (the session itself is unaffected).
fn finish_shadows(followers: Option<ShadowFollowers>) -> Vec<gt_runner::shadow::ShadowSummary> {
    let Some(followers) = followers else { return Vec::new() };
    let mut summaries = Vec::new();
    for outcome in followers.finish() {
        match outcome {
            Ok(summary) => summaries.push(summary),
            Err(error) => eprintln!("warning: a shadow model's journal is incomplete: {error}"),
        }
    }
    summaries
}

/// `paper status`.
fn status(url: &str, name: &str, format: OutputFormat) -> Result<()> {
    let (store, runtime) = open_store(url)?;
    let status = runtime.block_on(gt_runner::paper::status(&store, name))?;
    match format {
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&status)?),
        OutputFormat::Table => print_status(&status)?,
    }
    Ok(())
}

/// The columns of `paper status`'s positions.
const POSITION_COLUMNS: [&str; 5] = ["Symbol", "Qty", "Avg entry", "Market value", "Unrealized P&L"];

/// The columns of `paper status`'s open orders.
const ORDER_COLUMNS: [&str; 6] = ["Client order id", "Symbol", "Side", "Qty", "Type", "Status"];

/// `paper status` as a readable summary.
fn print_status(status: &Value) -> Result<()> {
    let number = |key: &str| status[key].as_f64().map_or("-".to_owned(), |v| format!("{v:.2}"));
    outln!(
        "Session {} ({} broker): {}, {} bars done, last bar {}",
        status["session"].as_str().unwrap_or("?"),
        status["broker"].as_str().unwrap_or("?"),
        status["state"].as_str().unwrap_or("?"),
        status["steps_done"],
        status["time"].as_str().unwrap_or("-"),
    );
    outln!("Equity {}   cash {}", number("equity"), number("cash"));
    outln!("Realized P&L: today {}, total {}", number("realized_pnl_today"), number("realized_pnl_total"));
    match status["halt_reason"].as_str() {
        Some(reason) => {
            outln!("Risk: HALTED ({reason}); new entries refused until `gpt-trader paper resume`")
        }
        None => outln!("Risk: trading"),
    }
    let positions = status["positions"].as_array().cloned().unwrap_or_default();
    if positions.is_empty() {
        outln!("No open position.");
    } else {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED).set_header(POSITION_COLUMNS);
        for p in &positions {
            let cell = |key: &str| p[key].as_f64().map_or("-".to_owned(), |v| format!("{v:.2}"));
            table.add_row([
                p["symbol"].as_str().unwrap_or("?").to_owned(),
                p["qty"].to_string(),
                cell("avg_entry_price"),
                cell("market_value"),
                cell("unrealized_pnl"),
            ]);
        }
        outln!("{table}");
    }
    let orders = status["open_orders"].as_array().cloned().unwrap_or_default();
    if orders.is_empty() {
        outln!("No open order.");
    } else {
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED).set_header(ORDER_COLUMNS);
        for o in &orders {
            let text = |key: &str| o[key].as_str().unwrap_or("?").to_owned();
            table.add_row([
                text("client_order_id"),
                text("symbol"),
                text("side"),
                text("qty"),
                text("type"),
                text("status"),
            ]);
        }
        outln!("{table}");
    }
    if let Some(pending) = status["pending_commands"].as_array().filter(|p| !p.is_empty()) {
        let names: Vec<&str> = pending.iter().filter_map(|c| c["command"].as_str()).collect();
        outln!("Pending commands: {}", names.join(", "));
    }
    Ok(())
}

/// How long a command to a running session is waited for.
const COMMAND_WAIT: Duration = Duration::from_secs(30);

/// `paper stop|flatten|kill|resume`: queues the command; a running session
/// applies it between bars (this waits to say so), one that is not running
/// has it applied here, after replaying its journal.
fn control(url: &str, name: &str, command: &str, reason: Option<&str>) -> Result<()> {
    let (store, runtime) = open_store(url)?;
    let record = runtime.block_on(find_session(&store, name))?;
    // Hold the lock while deciding, so the session cannot start in between.
    let held = lock(name).ok();
    let seq = runtime.block_on(store.queue_command(name, command, reason, "cli"))?;
    let Some(_lock) = held else {
        return wait_until_applied(&store, &runtime, name, seq, command);
    };
    if record.broker == "alpaca" && command != "stop" {
        let (snapshot, flattened) = alpaca::apply_idle(&store, &runtime, &record, (seq, command, reason))?;
        if let Some(done) = flattened {
            eprintln!("Alpaca: {} orders cancelled, {} positions closing.", done.cancelled, done.closed);
        }
        eprintln!("Session {name:?} (not running): `{command}` done.");
        return summarize(&snapshot);
    }
    match apply_idle(store, runtime, &record, (seq, command), || prepare_stored(&record))? {
        IdleOutcome::NothingToStop => eprintln!("Session {name:?} is not running; nothing to stop."),
        IdleOutcome::AtFirstBar => {
            eprintln!("Session {name:?} has not traded yet: `{command}` applies at its first bar.")
        }
        IdleOutcome::Applied { bars, trades, snapshot } => {
            eprintln!(
                "Session {name:?} (not running): `{command}` applied after bar {bars} ({trades} trades closed in all)."
            );
            summarize(&snapshot)?;
        }
    }
    Ok(())
}

/// Waits for a running session to apply command `seq`.
fn wait_until_applied(
    store: &Store,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    seq: i64,
    command: &str,
) -> Result<()> {
    match runtime.block_on(wait_applied(store, name, seq, COMMAND_WAIT))? {
        Some(step) => {
            eprintln!("Session {name:?} applied `{command}` after bar {}.", step + 1);
            summarize(&runtime.block_on(find_session(store, name))?.snapshot)
        }
        None => {
            eprintln!(
                "`{command}` is queued; session {name:?} has not applied it yet (it applies commands between bars)."
            );
            Ok(())
        }
    }
}

/// One line on stderr: equity, open positions and orders, halt.
fn summarize(snapshot: &Value) -> Result<()> {
    eprintln!("{}", gt_runner::paper::summary(snapshot));
    Ok(())
}

/// `paper list`.
fn list(url: &str, format: OutputFormat) -> Result<()> {
    let (store, runtime) = open_store(url)?;
    let sessions = runtime.block_on(gt_runner::paper::sessions(&store))?;
    if format == OutputFormat::Json {
        outln!("{}", serde_json::to_string(&sessions)?);
        return Ok(());
    }
    if sessions.is_empty() {
        outln!("No paper session yet: start one with `gpt-trader paper run`.");
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(["Session", "Broker", "Strategy", "State", "Bars", "Equity"]);
    for s in sessions {
        let equity = s.equity.map_or("-".to_owned(), |e| format!("{e:.2}"));
        table.add_row([s.session, s.broker, s.strategy, s.state, s.bars.to_string(), equity]);
    }
    outln!("{table}");
    Ok(())
}

/// `paper delete`.
fn delete(url: &str, name: &str) -> Result<()> {
    let (store, runtime) = open_store(url)?;
    runtime.block_on(find_session(&store, name))?;
    let lock = lock(name)?;
    runtime.block_on(store.delete_session(name))?;
    lock.remove();
    eprintln!("Deleted session {name:?} and its journal.");
    Ok(())
}
