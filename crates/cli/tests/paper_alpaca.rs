//! `gpt-trader paper run --broker alpaca` end to end, against the mock
//! Alpaca of gt-testkit (trading REST, trade-updates stream, market-data REST
//! and stream on one loopback port): round trips, faults, and a session
//! killed (SIGKILL) and restarted twenty times.

#[path = "support/metrics_text.rs"]
mod metrics_text;
#[path = "support/spawned.rs"]
mod spawned;

use assert_cmd::Command;
use gt_store::{FillRecord, OrderRecord, Store};
use gt_testkit::alpaca_mock::{Fault, MockAlpaca, MockBar};
use gt_testkit::webhook::{Webhook, WebhookAnswer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Longest one command of the binary may run before it is killed.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// Longest a test here may take waiting on a paper session on the mock Alpaca before it fails as hung.
const WAIT_LIMIT: Duration = Duration::from_secs(600);

/// `n` minute bars of the GOOG sample's prices (forward, then back, so that
/// prices never jump), the first `history` of them in the hour before now:
/// the warm-up a session fetches by REST; the rest are stamped after it.
fn bars(n: usize, history: usize) -> Vec<MockBar> {
    let now = chrono::Utc::now().timestamp() / 60 * 60;
    minute_bars(n, now - 60 * history as i64)
}

/// `n` minute bars of the GOOG sample's prices from `start` (Unix seconds).
fn minute_bars(n: usize, start: i64) -> Vec<MockBar> {
    let goog = gt_data::sample::goog().unwrap();
    let start = chrono::DateTime::from_timestamp(start, 0).unwrap();
    (0..n)
        .map(|i| {
            let lap = i % (2 * goog.len());
            let bar = goog.bar(if lap < goog.len() { lap } else { 2 * goog.len() - 1 - lap });
            MockBar {
                symbol: "GOOG".into(),
                time: (start + chrono::Duration::minutes(i as i64))
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ohlc: [bar.open, bar.high, bar.low, bar.close],
                volume: bar.volume,
            }
        })
        .collect()
}

/// The environment that points the binary at `mock` (and the data folder at `dir`).
fn envs(mock: &MockAlpaca, dir: &Path) -> Vec<(String, String)> {
    let ws = mock.url().replacen("http://", "ws://", 1);
    [
        ("GPT_TRADER_DATA", dir.display().to_string()),
        ("APCA_API_KEY_ID", "PKMOCK".to_owned()),
        ("APCA_API_SECRET_KEY", "mock-s3cret".to_owned()),
        ("APCA_API_BASE_URL", mock.url().to_owned()),
        ("APCA_API_DATA_URL", mock.url().to_owned()),
        ("APCA_API_STREAM_URL", ws),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn gpt_trader(mock: &MockAlpaca, dir: &Path) -> Command {
    let mut command = Command::cargo_bin("gpt-trader").unwrap();
    command.timeout(COMMAND_LIMIT);
    command.env_remove("GPT_TRADER_DB").envs(envs(mock, dir));
    command
}

/// `paper run --broker alpaca` on GOOG for `session`, plus `extra` options; stdout and stderr.
fn run(mock: &MockAlpaca, dir: &Path, session: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["paper", "run", "--broker", "alpaca", "--symbols", "GOOG", "--session", session];
    args.extend(extra);
    let output = gpt_trader(mock, dir).args(&args).output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(output.status.success(), "{args:?} failed: {stderr}");
    (stdout, stderr)
}

fn status(mock: &MockAlpaca, dir: &Path, session: &str) -> Value {
    let output = gpt_trader(mock, dir)
        .args(["paper", "status", "--session", session, "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Positions by symbol as `paper status` shows them.
fn local_positions(status: &Value) -> BTreeMap<String, f64> {
    status["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["symbol"].as_str().unwrap().to_owned(), p["qty"].as_f64().unwrap()))
        .filter(|(_, q)| *q != 0.0)
        .collect()
}

/// The orders and fills `session` journaled in the store of `dir`. (The store
/// is closed before its runtime goes: a connection left behind in this
/// long-lived process could hold SQLite's lock and stall the sessions.)
fn journal(dir: &Path, session: &str) -> (Vec<OrderRecord>, Vec<FillRecord>) {
    let url = format!("sqlite://{}", dir.join("runs.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        let journal = (store.orders(session).await.unwrap(), store.fills(session).await.unwrap());
        store.close().await;
        journal
    })
}

/// Net position per symbol from the session's journaled fills.
fn journaled_positions(dir: &Path, session: &str) -> BTreeMap<String, f64> {
    let mut net: BTreeMap<String, f64> = BTreeMap::new();
    for fill in journal(dir, session).1 {
        let qty: f64 = fill.qty.parse().unwrap();
        *net.entry(fill.symbol).or_default() += if fill.side == "buy" { qty } else { -qty };
    }
    net.retain(|_, q| q.abs() > 1e-9);
    net
}

/// No client order id was ever submitted twice.
fn assert_each_order_sent_once(mock: &MockAlpaca) {
    let twice: Vec<(String, usize)> = mock.submissions().into_iter().filter(|(_, n)| *n > 1).collect();
    assert!(twice.is_empty(), "orders sent more than once: {twice:?}");
}

#[test]
fn ten_round_trips_against_the_mock_leave_the_same_positions_on_both_sides() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let bars = bars(420, 60);
    let mock = MockAlpaca::start(10_000.0, bars.clone(), 60, Duration::from_millis(10));
    let dir = tempfile::tempdir().unwrap();
    let (stdout, _) = run(&mock, dir.path(), "rt", &["--max-bars", "340", "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout).unwrap();
    let trades = report["trades"].as_array().unwrap();
    assert!(trades.len() >= 10, "{} round trips", trades.len());
    // The statistics cover the warm-up and the live bars: buy & hold ends at
    // the close of the mock's bar at the run's last time.
    let equity = report["equity"].as_array().unwrap();
    assert!(equity.len() >= 340);
    let last_time = equity.last().unwrap()["time"].as_str().unwrap().replace(' ', "T") + "Z";
    let last = bars.iter().position(|b| b.time == last_time).expect("the last bar is the mock's");
    let buy_and_hold = report["stats"]["buy_hold_return_pct"].as_f64().unwrap();
    let ends_there = bars[..=last]
        .iter()
        .any(|first| ((bars[last].ohlc[3] / first.ohlc[3] - 1.0) * 100.0 - buy_and_hold).abs() < 1e-6);
    assert!(ends_there, "buy & hold {buy_and_hold} does not end at the close of {last_time}");
    assert!(mock.orders().len() >= 20);
    assert_each_order_sent_once(&mock);
    let state = status(&mock, dir.path(), "rt");
    assert_eq!(state["broker"], "alpaca");
    assert_eq!(local_positions(&state), mock.positions());
    assert_eq!(journaled_positions(dir.path(), "rt"), mock.positions());
}

#[test]
fn faults_are_survived_and_the_session_keeps_trading() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let mock = MockAlpaca::start(10_000.0, bars(600, 60), 60, Duration::from_millis(10));
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().to_owned();
    let faults = [
        Fault::RateLimited,
        Fault::ServerErrorAfterAccept,
        Fault::ServerError,
        Fault::DuplicateAfterAccept,
        Fault::PartialFills,
        Fault::OutOfOrderEvents,
        Fault::InsufficientBuyingPower,
    ];
    for fault in faults {
        mock.inject(fault);
    }
    std::thread::scope(|scope| {
        let session =
            scope.spawn(|| run(&mock, &dir_path, "faults", &["--max-bars", "500", "--reconcile-every", "1"]));
        // Drop both streams mid-session, once the order faults are used up.
        let started = Instant::now();
        while mock.pending_faults() > 0 && started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(20));
        }
        mock.inject(Fault::DropTradeStream);
        std::thread::sleep(Duration::from_millis(300));
        mock.inject(Fault::DropDataStream);
        let (_, stderr) = session.join().unwrap();
        assert!(stderr.contains("trade updates disconnected"), "{stderr}");
        assert!(stderr.contains("bar stream disconnected"), "{stderr}");
    });
    // The warm-up, the bars between it and the first subscription, then the
    // gap left by the dropped bar stream: each fetched by REST.
    assert_eq!(mock.bar_requests(), 3);
    assert_eq!(mock.pending_faults(), 0, "every order fault was met");
    // The order that failed with 500 after being accepted was looked up, not sent again;
    // the one refused with 503 was sent again once.
    let submissions = mock.submissions();
    assert!(submissions.values().all(|&n| n <= 2), "{submissions:?}");
    assert_eq!(
        submissions.values().filter(|&&n| n == 2).count(),
        2,
        "the 429 and the 503 were each retried once"
    );
    let orders_before_drop = mock.orders().len();
    assert!(orders_before_drop >= 20, "{orders_before_drop} orders");
    let state = status(&mock, dir.path(), "faults");
    assert_eq!(local_positions(&state), mock.positions());
    assert_eq!(journaled_positions(dir.path(), "faults"), mock.positions());
    // The refused order left a note and trading went on after it.
    let (orders, _) = journal(dir.path(), "faults");
    let refused = orders
        .iter()
        .position(|o| o.status.starts_with("canceled:broker"))
        .expect("the refused order is journaled");
    let statuses: Vec<&str> = orders.iter().map(|o| o.status.as_str()).collect();
    assert!(
        orders[refused + 1..].iter().any(|o| o.status == "filled"),
        "trading went on after the refusal: {statuses:?}"
    );
}

fn spawn(mock: &MockAlpaca, dir: &Path, session: &str) -> Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("gpt-trader"))
        .env_remove("GPT_TRADER_DB")
        .envs(envs(mock, dir))
        .args(["paper", "run", "--broker", "alpaca", "--symbols", "GOOG", "--session", session])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Kills (SIGKILL) a `demo_ma` session (shorts on, its default) twenty
/// times at random points, each time restarting it for a few bars: no order
/// is ever sent twice, every fill is journaled, and the session's positions
/// are the broker's after each restart.
fn kill_twenty_times(bars: Vec<MockBar>, seed: u64) {
    let mock = MockAlpaca::start(10_000.0, bars, 60, Duration::from_millis(10));
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut random = gt_testkit::Xorshift::new(seed);
    for round in 0..20 {
        let mut child = spawn(&mock, dir, "crashy");
        std::thread::sleep(Duration::from_millis(150 + random.next_u64() % 400));
        child.kill().unwrap(); // SIGKILL, at any point: mid-order, mid-journal, mid-fill
        child.wait().unwrap();
        assert_each_order_sent_once(&mock);
        // Restarted: it settles the journal with the broker first; a short run then shows the broker's truth.
        run(&mock, dir, "crashy", &["--max-bars", "3"]);
        assert_each_order_sent_once(&mock);
        let state = status(&mock, dir, "crashy");
        assert_eq!(local_positions(&state), mock.positions(), "round {round}");
        assert_eq!(journaled_positions(dir, "crashy"), mock.positions(), "round {round}: fills journaled");
    }
    assert!(mock.orders().len() >= 10, "{} orders in 20 rounds", mock.orders().len());
}

/// How many times the SIGKILL tests repeat (`GT_SIGKILL_REPEATS`, default 1):
/// `GT_SIGKILL_REPEATS=50 cargo test -p gpt-trader --test paper_alpaca killed`
/// is how a rare failure is hunted down.
fn sigkill_repeats() -> u64 {
    std::env::var("GT_SIGKILL_REPEATS").ok().and_then(|n| n.parse().ok()).unwrap_or(1)
}

#[test]
fn a_session_killed_twenty_times_sends_no_order_twice_and_loses_no_fill() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT * sigkill_repeats() as u32);
    for repeat in 0..sigkill_repeats() {
        kill_twenty_times(bars(12_000, 60), 0x2545_f491_4f6c_dd1d + repeat);
    }
}

/// Bars stamped two days ago: a restarted session marks what it holds over
/// old warm-up closes, and a short rides whatever rally the replayed prices
/// hold (the variant that once stalled a restarted session).
#[test]
fn a_session_on_past_dated_bars_killed_twenty_times_sends_no_order_twice_and_loses_no_fill() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT * sigkill_repeats() as u32);
    let two_days_ago = chrono::Utc::now().timestamp() / 60 * 60 - 2 * 86_400;
    for repeat in 0..sigkill_repeats() {
        kill_twenty_times(minute_bars(12_000, two_days_ago), 0x9e37_79b9_7f4a_7c15 + repeat);
    }
}

#[test]
fn alpaca_sessions_explain_missing_keys_and_symbols_and_unknown_symbols() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let mock = MockAlpaca::start(10_000.0, bars(100, 60), 60, Duration::from_millis(10));
    let dir = tempfile::tempdir().unwrap();
    let output = gpt_trader(&mock, dir.path())
        .env_remove("APCA_API_KEY_ID")
        .args(["paper", "run", "--broker", "alpaca", "--symbols", "GOOG"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("APCA_API_KEY_ID"));
    let output = gpt_trader(&mock, dir.path()).args(["paper", "run", "--broker", "alpaca"]).output().unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("--symbols"));
}

#[test]
fn no_order_is_sent_while_the_market_is_closed() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let mock = MockAlpaca::start(10_000.0, bars(400, 60), 60, Duration::from_millis(10));
    mock.set_market_open(false);
    let dir = tempfile::tempdir().unwrap();
    run(&mock, dir.path(), "closed", &["--max-bars", "150"]);
    assert!(mock.submissions().is_empty(), "{:?}", mock.submissions());
    let (orders, _) = journal(dir.path(), "closed");
    assert!(!orders.is_empty() && orders.iter().all(|o| o.status == "canceled:market_closed"), "{orders:?}");

    // Queued instead, they go out once the market opens.
    std::thread::scope(|scope| {
        let session = scope
            .spawn(|| run(&mock, dir.path(), "queued", &["--max-bars", "150", "--outside-hours", "queue"]));
        std::thread::sleep(Duration::from_millis(800));
        assert!(mock.submissions().is_empty());
        mock.set_market_open(true);
        session.join().unwrap();
    });
    assert!(!mock.submissions().is_empty());
    assert_each_order_sent_once(&mock);
}

/// Runs `paper CMD --session SESSION` (and `extra`) against `mock`; its stderr.
fn command(mock: &MockAlpaca, dir: &Path, cmd: &str, session: &str, extra: &[&str]) -> String {
    let mut args = vec!["paper", cmd, "--session", session];
    args.extend(extra);
    let output = gpt_trader(mock, dir).args(&args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{args:?}: {stderr}");
    stderr
}

/// Waits until `test` holds of the session's status.
fn wait_for(mock: &MockAlpaca, dir: &Path, session: &str, test: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let output = gpt_trader(mock, dir)
            .args(["paper", "status", "--session", session, "--format", "json"])
            .output()
            .unwrap();
        if output.status.success() {
            let state: Value = serde_json::from_slice(&output.stdout).unwrap();
            if test(&state) {
                return state;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "session {session} never got there");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn kill_resume_and_stop_reach_a_running_alpaca_session() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let mock = MockAlpaca::start(10_000.0, bars(3000, 60), 60, Duration::from_millis(10));
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::thread::scope(|scope| {
        let session = scope.spawn(|| run(&mock, dir, "steer", &[]));
        // Once it holds a position, pull the kill switch.
        wait_for(&mock, dir, "steer", |s| s["positions"].as_array().is_some_and(|p| !p.is_empty()));
        let said = command(&mock, dir, "kill", "steer", &["--reason", "desk says stop"]);
        assert!(said.contains("applied `kill`"), "{said}");
        let killed = wait_for(&mock, dir, "steer", |s| s["positions"].as_array().is_some_and(Vec::is_empty));
        assert_eq!(killed["halt_reason"], "halted by hand: desk says stop");
        std::thread::sleep(Duration::from_millis(300));
        assert!(mock.positions().is_empty(), "flat at the broker: {:?}", mock.positions());
        let orders_while_halted = mock.orders().len();
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(mock.orders().len(), orders_while_halted, "no entry while halted");
        command(&mock, dir, "resume", "steer", &[]);
        let started = Instant::now();
        while mock.orders().len() == orders_while_halted && started.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(mock.orders().len() > orders_while_halted, "trading again after resume");
        command(&mock, dir, "stop", "steer", &[]);
        session.join().unwrap();
    });
    assert_eq!(status(&mock, dir, "steer")["state"], "stopped");
    assert_each_order_sent_once(&mock);
}

#[test]
fn a_position_changed_by_hand_is_reconciled_in_the_brokers_favour() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let mock = MockAlpaca::start(10_000.0, bars(3000, 60), 60, Duration::from_millis(10));
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    std::thread::scope(|scope| {
        let session = scope.spawn(|| run(&mock, dir, "recon", &["--reconcile-every", "1"]));
        wait_for(&mock, dir, "recon", |s| s["positions"].as_array().is_some_and(|p| !p.is_empty()));
        // Someone trades in the account: the broker now holds 7 more.
        let held = mock.positions().get("GOOG").copied().unwrap_or(0.0);
        mock.set_position("GOOG", held + 7.0);
        let state =
            wait_for(&mock, dir, "recon", |s| s["reconciliation_mismatches"].as_u64().unwrap_or(0) > 0);
        assert!(state["reconciliation_mismatches"].as_u64().unwrap() >= 1);
        command(&mock, dir, "stop", "recon", &[]);
        session.join().unwrap();
    });
    assert_eq!(local_positions(&status(&mock, dir, "recon")), mock.positions());
}

/// Waits until `webhook` has a body that `test` holds of; returns it.
fn wait_for_notice(webhook: &Webhook, what: &str, test: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        if let Some(body) = webhook.bodies().into_iter().find(|b| test(b)) {
            return body;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no {what} notice: {:?}", webhook.bodies());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_alpaca_session_notifies_each_kind_of_event_once_with_its_numbers() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let mock = MockAlpaca::start(10_000.0, bars(3000, 60), 60, Duration::from_millis(10));
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let webhook = Webhook::start(WebhookAnswer::Ok);
    let event = |name: &'static str| move |b: &Value| b["event"] == name;
    let options = ["--reconcile-every", "1", "--notify", &webhook.url, "--notify-disconnect-secs", "0"];
    std::thread::scope(|scope| {
        let session = scope.spawn(|| run(&mock, dir, "told", &options));
        wait_for(&mock, dir, "told", |s| s["positions"].as_array().is_some_and(|p| !p.is_empty()));
        mock.inject(Fault::InsufficientBuyingPower);
        let rejection = wait_for_notice(&webhook, "rejection", event("rejection"));
        assert_eq!(rejection["symbol"], "GOOG");
        assert!(rejection["reason"].as_str().unwrap().contains("insufficient"), "{rejection}");

        let held = mock.positions().get("GOOG").copied().unwrap_or(0.0);
        mock.set_position("GOOG", held + 7.0);
        let mismatch = wait_for_notice(&webhook, "mismatch", event("mismatch"));
        assert_eq!((mismatch["symbol"].as_str(), mismatch["qty"].as_f64()), (Some("GOOG"), Some(7.0)));

        command(&mock, dir, "kill", "told", &["--reason", "desk says stop"]);
        let halt = wait_for_notice(&webhook, "halt", event("halt"));
        assert_eq!(halt["reason"], "halted by hand: desk says stop");
        command(&mock, dir, "resume", "told", &[]);
        wait_for_notice(&webhook, "resume", event("resume"));

        for (fault, stream) in [(Fault::DropTradeStream, "trade_updates"), (Fault::DropDataStream, "bars")] {
            mock.inject(fault);
            wait_for_notice(&webhook, stream, |b| {
                b["reason"] == "reconnected"
                    && b["text"].as_str().unwrap().contains(&format!("the {stream} stream"))
            });
        }
        command(&mock, dir, "stop", "told", &[]);
        session.join().unwrap();
    });
    let bodies = webhook.bodies();
    let count = |name: &str| bodies.iter().filter(|b| b["event"] == name).count();
    let kinds: Vec<&str> = bodies.iter().map(|b| b["event"].as_str().unwrap()).collect();
    for once in ["start", "stop", "rejection", "mismatch", "halt", "resume"] {
        assert_eq!(count(once), 1, "{once}: {kinds:?}");
    }
    assert_eq!(count("disconnect"), 2 + bodies.iter().filter(|b| b["reason"] == "disconnected").count());
    assert!(bodies.iter().all(|b| b["session"] == "told"));
    // Every fill the session journaled, once, with its numbers.
    let fills = journal(dir, "told").1;
    let told: Vec<(String, String, f64, f64)> = bodies
        .iter()
        .filter(|b| b["event"] == "fill")
        .map(|b| {
            let text = |k: &str| b[k].as_str().unwrap().to_owned();
            (text("symbol"), text("side"), b["qty"].as_f64().unwrap(), b["price"].as_f64().unwrap())
        })
        .collect();
    let journaled: Vec<(String, String, f64, f64)> = fills
        .iter()
        .map(|f| (f.symbol.clone(), f.side.clone(), f.qty.parse().unwrap(), f.price.parse().unwrap()))
        .collect();
    assert_eq!(told, journaled);
}

#[test]
fn flatten_and_kill_work_on_an_alpaca_session_that_is_not_running() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let mock = MockAlpaca::start(10_000.0, bars(600, 60), 60, Duration::from_millis(10));
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut bars_run = 0;
    while mock.positions().is_empty() {
        run(&mock, dir, "idle", &["--max-bars", "20"]);
        bars_run += 20;
        assert!(bars_run < 500, "demo_ma never took a position");
    }
    command(&mock, dir, "flatten", "idle", &[]);
    assert!(mock.positions().is_empty());
    assert!(local_positions(&status(&mock, dir, "idle")).is_empty());
    command(&mock, dir, "kill", "idle", &["--reason", "weekend"]);
    let state = status(&mock, dir, "idle");
    assert_eq!(
        (state["halted"].as_bool(), state["halt_reason"].as_str()),
        (Some(true), Some("halted by hand: weekend"))
    );
    // Restarted, it is still halted: no entry goes out.
    let orders = mock.orders().len();
    run(&mock, dir, "idle", &["--max-bars", "60"]);
    assert_eq!(mock.orders().len(), orders);
    assert_eq!(status(&mock, dir, "idle")["halted"], true);
}

/// The bars of `bars` at the times a session's equity curve shows, as a CSV file for `backtest`.
fn bars_seen_as_csv(bars: &[MockBar], report: &Value, path: &Path) {
    let mut csv = String::from("Date,Open,High,Low,Close,Volume\n");
    for point in report["equity"].as_array().unwrap() {
        let time = point["time"].as_str().unwrap().replace(' ', "T") + "Z";
        let bar = bars.iter().find(|b| b.time == time).expect("a bar the mock published");
        let [open, high, low, close] = bar.ohlc;
        csv.push_str(&format!("{},{open},{high},{low},{close},{}\n", bar.time, bar.volume));
    }
    std::fs::write(path, csv).unwrap();
}

/// Signed sizes of a report's closed trades, in order.
fn trade_sizes(report: &Value) -> Vec<f64> {
    report["trades"].as_array().unwrap().iter().map(|t| t["size"].as_f64().unwrap()).collect()
}

#[test]
fn reversals_are_sized_on_alpaca_as_the_simulated_exchange_sizes_them() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    // No warm-up history (every decision can be sent), bars far enough apart
    // that an order reaches the mock before the next bar moves its price.
    // (One bar is published before the session starts: the mock lists the symbols it has bars of.)
    let bars = bars(400, 1);
    let mock = MockAlpaca::start(10_000.0, bars.clone(), 1, Duration::from_millis(50));
    let dir = tempfile::tempdir().unwrap();
    let (stdout, _) =
        run(&mock, dir.path(), "rev", &["--warmup-days", "0", "--max-bars", "300", "--format", "json"]);
    let live: Value = serde_json::from_str(&stdout).unwrap();
    assert_each_order_sent_once(&mock);

    // The same bars through the simulated exchange; orders fill at the
    // decision bar's close there, as the mock fills them on arrival.
    let csv = dir.path().join("seen.csv");
    bars_seen_as_csv(&bars, &live, &csv);
    let output = gpt_trader(&mock, dir.path())
        .args(["backtest", "--data", csv.to_str().unwrap(), "--symbol", "GOOG", "--trade-on-close"])
        .args(["--cash", "10000", "--no-save", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let simulated: Value = serde_json::from_slice(&output.stdout).unwrap();

    let (on_alpaca, simulated) = (trade_sizes(&live), trade_sizes(&simulated));
    let reversals = on_alpaca.windows(2).filter(|w| w[0] * w[1] < 0.0).count();
    assert!(reversals >= 3, "{reversals} reversals in {on_alpaca:?}");
    assert_eq!(on_alpaca.len(), simulated.len(), "alpaca {on_alpaca:?}\nsimulated {simulated:?}");
    // Equal but for a fill price moved by a bar that beat an order to the mock (2 % at most).
    for (a, s) in on_alpaca.iter().zip(&simulated) {
        assert!(a * s > 0.0 && (a / s - 1.0).abs() <= 0.02, "alpaca {on_alpaca:?}\nsimulated {simulated:?}");
    }
}

#[test]
fn an_alpaca_sessions_report_covers_every_run_of_it() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let mock = MockAlpaca::start(10_000.0, bars(900, 60), 60, Duration::from_millis(10));
    let dir = tempfile::tempdir().unwrap();
    let piece = |n: &str| -> Value {
        let (stdout, _) = run(&mock, dir.path(), "pieces", &["--max-bars", n, "--format", "json"]);
        serde_json::from_str(&stdout).unwrap()
    };
    let first = piece("150");
    let second = piece("150");
    let times = |report: &Value| -> Vec<String> {
        report["equity"].as_array().unwrap().iter().map(|p| p["time"].as_str().unwrap().to_owned()).collect()
    };
    let (before, after) = (times(&first), times(&second));
    assert_eq!(before.len(), 150, "the first run's live bars");
    assert_eq!(after.len(), 300, "both runs' live bars");
    assert_eq!(after[..150], before[..], "the first run's curve is the start of the whole session's");
    assert!(after.windows(2).all(|w| w[0] < w[1]), "one timeline, in order");
    // The trades the first run closed are the whole session's first ones.
    let closed = first["trades"].as_array().unwrap();
    assert!(!closed.is_empty(), "demo_ma traded in 150 bars");
    assert_eq!(second["trades"].as_array().unwrap()[..closed.len()], closed[..]);
    assert!(second["trades"].as_array().unwrap().len() > closed.len());
}

#[test]
fn an_alpaca_sessions_metrics_follow_its_streams_and_orders() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let mock = MockAlpaca::start(10_000.0, bars(3000, 60), 60, Duration::from_millis(10));
    let dir = tempfile::tempdir().unwrap();
    let mut session = std::process::Command::new(assert_cmd::cargo::cargo_bin("gpt-trader"));
    session.env_remove("GPT_TRADER_DB").envs(envs(&mock, dir.path()));
    session.args(["paper", "run", "--broker", "alpaca", "--symbols", "GOOG", "--session", "watched"]);
    session.args(["--metrics", "127.0.0.1:0"]);
    let (mut child, base) = spawned::spawn_serving(session, "Metrics on http://", COMMAND_LIMIT);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::blocking::Client::builder().timeout(COMMAND_LIMIT).build().unwrap();
    let scrape_until = |what: &str, test: &dyn Fn(&str) -> bool| -> String {
        let started = Instant::now();
        loop {
            let text = client.get(format!("{base}/metrics")).send().unwrap().text().unwrap();
            if test(&text) {
                return text;
            }
            assert!(started.elapsed() < Duration::from_secs(60), "never {what}; last scrape:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let connected = |text: &str, stream: &str| {
        metrics_text::value_where(
            text,
            "gpt_trader_session_stream_connected",
            &format!("stream=\"{stream}\""),
        ) == Some(1.0)
    };
    let trading = scrape_until("both streams up and an order sent", &|t| {
        connected(t, "bars")
            && connected(t, "trade_updates")
            && metrics_text::value(t, "gpt_trader_session_orders_submitted_total").is_some_and(|n| n >= 1.0)
    });
    assert!(metrics_text::must(&trading, "gpt_trader_session_bars_processed_total") >= 1.0);
    assert!(metrics_text::must(&trading, "gpt_trader_session_bar_to_order_seconds_count") >= 1.0);
    mock.inject(Fault::DropTradeStream);
    scrape_until("the trade stream back after a drop", &|t| {
        connected(t, "trade_updates")
            && metrics_text::value_where(
                t,
                "gpt_trader_session_stream_reconnects_total",
                "stream=\"trade_updates\"",
            )
            .is_some_and(|n| n >= 1.0)
    });
    command(&mock, dir.path(), "stop", "watched", &[]);
    let started = Instant::now();
    while child.0.try_wait().unwrap().is_none() {
        assert!(started.elapsed() < Duration::from_secs(60), "the session did not stop");
        std::thread::sleep(Duration::from_millis(50));
    }
    let orders = mock.orders().len();
    assert!(orders >= 1, "{orders} orders at the mock");
}

/// The shadow journal of `session` in the store of `dir`, and the session's live bar times.
fn shadow_journal(dir: &Path, session: &str) -> (Vec<gt_store::ShadowRow>, Vec<i64>) {
    let url = format!("sqlite://{}", dir.join("runs.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        let rows = store.shadow_rows(&format!("session:{session}")).await.unwrap();
        let steps = store.steps(session).await.unwrap().into_iter().map(|s| s.ts).collect();
        store.close().await;
        (rows, steps)
    })
}

/// A model trained on the bundled sample into the registry of `dir`, promoted to shadow; its id.
fn shadow_model(dir: &Path) -> String {
    let model = |args: &[&str]| {
        let mut command = Command::cargo_bin("gpt-trader").unwrap();
        let output = command.timeout(COMMAND_LIMIT).env("GPT_TRADER_DATA", dir).args(args).output();
        let output = output.unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        output.stdout
    };
    let trained: Value =
        serde_json::from_slice(&model(&["ml", "train", "--folds", "2", "--format", "json"])).unwrap();
    let id = trained["model_id"].as_str().unwrap().to_owned();
    model(&["ml", "promote", &id, "--to", "shadow"]);
    id
}

#[test]
fn a_shadow_model_on_alpaca_sends_no_order_and_journals_every_live_bar() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let (plain, shadowed) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let id = shadow_model(shadowed.path());

    // Each mock holds its live bars back until its session listens: both see the same.
    let bars = bars(300, 60);
    let plain_mock = MockAlpaca::start_for_client(10_000.0, bars.clone(), 60, Duration::from_millis(10));
    run(&plain_mock, plain.path(), "s", &["--max-bars", "200"]);
    let shadow_mock = MockAlpaca::start_for_client(10_000.0, bars, 60, Duration::from_millis(10));
    let (_, said) = run(&shadow_mock, shadowed.path(), "s", &["--max-bars", "200", "--shadow", &id]);
    assert!(said.contains(&format!("Shadow {id}: 200 bars journaled")), "{said}");
    // The mock's order log: the same orders, with the same ids and fills.
    assert!(!plain_mock.orders().is_empty());
    assert_eq!(shadow_mock.orders(), plain_mock.orders());
    assert_eq!(shadow_mock.submissions(), plain_mock.submissions());
    // A prediction for every live bar (the warm-up history is not journaled).
    let (rows, live_bars) = shadow_journal(shadowed.path(), "s");
    assert_eq!(live_bars.len(), 200);
    assert_eq!(rows.iter().map(|r| r.ts).collect::<Vec<_>>(), live_bars);
    assert!(rows.iter().all(|r| r.probability.is_some_and(|p| (0.0..=1.0).contains(&p))));
}

#[test]
fn a_continued_alpaca_sessions_shadow_book_goes_on_from_where_its_journal_ended() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let id = shadow_model(dir.path());
    let mock = MockAlpaca::start_for_client(10_000.0, bars(400, 60), 60, Duration::from_millis(10));
    let shadow = format!("{id}:threshold=0.5");
    run(&mock, dir.path(), "cont", &["--max-bars", "100", "--shadow", &shadow]);
    let (first, _) = shadow_journal(dir.path(), "cont");
    run(&mock, dir.path(), "cont", &["--max-bars", "100"]);
    let (rows, live_bars) = shadow_journal(dir.path(), "cont");
    assert_eq!(rows.iter().map(|r| r.ts).collect::<Vec<_>>(), live_bars, "one row per live bar, none twice");
    assert_eq!(rows.len(), 200);
    assert_eq!(rows[..100], first[..]);
    let (before, after) = (&rows[99], &rows[100]);
    assert!(before.position != 0.0, "the book held a position when the session stopped");
    // No order is decided on the warm-up history: the book is the journal's, marked to the new bar.
    assert_eq!(after.position, before.position);
    let marked = before.equity + before.position * (after.close - before.close);
    assert!(
        (after.equity - marked).abs() < 1e-6,
        "{} after {}: expected {marked}",
        after.equity,
        before.equity
    );
    assert_eq!(after.trades, before.trades, "the closed trades go on counting");
    assert!(rows[199].trades >= before.trades);
}
