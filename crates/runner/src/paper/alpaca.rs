//! A paper session on an Alpaca paper account: keys and URLs from the
//! environment, the warm-up history from Alpaca's REST API, the session
//! itself in gt-live.

use crate::{PreparedRun, RunError};
use gt_alpaca::{DEFAULT_STREAM_URL, PAPER_TRADING_URL, TradingClient};
use gt_data::alpaca::{self, AlpacaClient, AlpacaKeys};
use gt_live::alpaca::{AlpacaEndpoints, AlpacaOutcome, AlpacaSession, AlpacaTimings, OutsideHours};
use gt_live::{SessionMetrics, SessionSnapshot, StepReport};
use gt_model::{BarSeries, Symbol};
use std::sync::Arc;
use std::time::Duration;

/// First wait before a retry or reconnection (it doubles each time).
const BACKOFF: Duration = Duration::from_millis(250);

/// Where the Alpaca services are: `APCA_API_BASE_URL` (trading, default the
/// paper host), `APCA_API_DATA_URL` and `APCA_API_STREAM_URL`.
pub fn endpoints(feed: &str) -> AlpacaEndpoints {
    let env = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    AlpacaEndpoints {
        trading_url: env("APCA_API_BASE_URL", PAPER_TRADING_URL),
        data_url: env("APCA_API_DATA_URL", alpaca::DEFAULT_DATA_URL),
        stream_url: env("APCA_API_STREAM_URL", DEFAULT_STREAM_URL),
        feed: feed.to_owned(),
    }
}

/// Minute bars of the last `days` days of `symbols`, to warm the strategies
/// up, and a note for each symbol Alpaca had none of.
pub fn history(symbols: &[String], days: u32, feed: &str) -> Result<(Vec<BarSeries>, Vec<String>), RunError> {
    if symbols.is_empty() {
        return Err(RunError::invalid("--broker alpaca needs the symbols to trade: --symbols AAPL,MSFT"));
    }
    let keys = AlpacaKeys::from_env()?;
    let client = AlpacaClient::new(&endpoints(feed).data_url, keys, feed, BACKOFF)?;
    let end = chrono::Utc::now();
    let start = end - chrono::Duration::days(i64::from(days));
    let format = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut fetched = client
        .bars_many(symbols, "1Min", &format(start), &format(end), "raw")
        .map_err(|e| RunError::invalid(format!("fetching the warm-up history: {e}")))?;
    let mut notes = Vec::new();
    let series = symbols
        .iter()
        .map(|s| {
            fetched.remove(s).unwrap_or_else(|| {
                notes.push(format!(
                    "note: Alpaca returned no minute bars for {s} from {} to {}: no warm-up history",
                    format(start),
                    format(end)
                ));
                BarSeries::with_capacity(Symbol::new(s), 0)
            })
        })
        .collect();
    Ok((series, notes))
}

/// How a session on Alpaca runs, beyond what it trades.
pub struct AlpacaRunOptions {
    /// Stop after this many live bars.
    pub max_steps: Option<usize>,
    /// The halt to restore (killed and not resumed).
    pub halted: Option<String>,
    /// `iex` or `sip`.
    pub feed: String,
    /// Time between two reconciliations.
    pub reconcile_every: Duration,
    /// Orders decided while the market is closed.
    pub outside_hours: OutsideHours,
    /// Told about each live bar.
    pub report: StepReport,
    /// The session's metrics (`paper run --metrics`).
    pub metrics: Option<Arc<SessionMetrics>>,
    /// Where the session's events are notified (`paper run --notify`).
    pub notifications: Option<gt_live::notify::Notifications>,
    /// Shown every bar, warm-up and live: the session's shadow models follow it.
    pub bar_feed: Option<StepReport>,
}

/// Runs `prepared` as session `name` on the Alpaca paper account.
pub fn run(
    store_url: &str,
    name: &str,
    prepared: &mut PreparedRun,
    options: AlpacaRunOptions,
) -> Result<AlpacaOutcome, RunError> {
    let session = AlpacaSession {
        store_url,
        session: name,
        keys: AlpacaKeys::from_env()?,
        endpoints: endpoints(&options.feed),
        timings: AlpacaTimings {
            backoff: BACKOFF,
            step_grace: Duration::from_secs(2),
            reconcile_every: options.reconcile_every,
        },
        history: &prepared.series,
        max_steps: options.max_steps,
        fractional: prepared.exchange.fractional_units,
        halted: options.halted,
        outside_hours: options.outside_hours,
        report: Some(options.report),
        bar_feed: options.bar_feed,
        metrics: options.metrics,
        notifications: options.notifications,
    };
    Ok(session.run(&mut prepared.sleeves, &mut prepared.risk, prepared.config.clone())?)
}

/// What flattening the account did.
pub struct Flattened {
    /// Orders cancelled.
    pub cancelled: usize,
    /// Positions being closed.
    pub closed: usize,
}

/// Cancels every open order and closes every position of the account (for
/// `paper flatten` and `paper kill` on a session that is not running).
pub fn flatten_account() -> Result<Flattened, RunError> {
    let client = TradingClient::new(&endpoints("iex").trading_url, AlpacaKeys::from_env()?, BACKOFF)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|source| {
        RunError::Io { what: "starting the runtime".to_owned(), path: ".".into(), source }
    })?;
    let cancelled = runtime.block_on(client.cancel_all_orders())?;
    let closed = runtime.block_on(client.close_all_positions())?;
    let failed: Vec<String> = cancelled
        .iter()
        .chain(&closed)
        .filter(|item| !(200..300).contains(&item.status))
        .map(|item| {
            format!("{} (HTTP {})", item.symbol.clone().or(item.id.clone()).unwrap_or_default(), item.status)
        })
        .collect();
    if !failed.is_empty() {
        return Err(RunError::invalid(format!(
            "Alpaca could not cancel or close: {} ({} orders cancelled, {} positions closing)",
            failed.join(", "),
            cancelled.len(),
            closed.len()
        )));
    }
    Ok(Flattened { cancelled: cancelled.len(), closed: closed.len() })
}

/// Applies `command` (`flatten`, `kill` or `resume`, queued as `seq`) to a
/// session on Alpaca that is not running: the broker holds its state, so the
/// account is flattened (but for `resume`) and the halt set or lifted in the
/// session's snapshot, kept for its next run. The new snapshot, and what
/// flattening did.
pub fn apply_idle(
    store: &gt_store::Store,
    runtime: &tokio::runtime::Runtime,
    record: &gt_store::SessionRecord,
    (seq, command, reason): (i64, &str, Option<&str>),
) -> Result<(serde_json::Value, Option<Flattened>), RunError> {
    let mut snapshot: SessionSnapshot = serde_json::from_value(record.snapshot.clone()).unwrap_or_default();
    let flattened = if command == "resume" {
        None
    } else {
        let done = flatten_account()?;
        snapshot.positions.clear();
        snapshot.open_orders.clear();
        Some(done)
    };
    match command {
        "kill" => {
            snapshot.halted = true;
            snapshot.halt_reason = Some(format!("halted by hand: {}", reason.unwrap_or("paper kill")));
        }
        "resume" => {
            snapshot.halted = false;
            snapshot.halt_reason = None;
        }
        _ => {}
    }
    let snapshot = serde_json::to_value(snapshot)?;
    runtime.block_on(super::mark_applied(store, record, seq, snapshot.clone()))?;
    Ok((snapshot, flattened))
}
