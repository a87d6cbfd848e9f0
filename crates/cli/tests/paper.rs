//! End-to-end tests of `gpt-trader paper` on the simulated venue: parity with
//! `backtest`, sessions continued and killed (SIGKILL) at random points,
//! commands reaching running and stopped sessions, and clear errors.

#[path = "support/journal.rs"]
mod journal;

use assert_cmd::Command;
use gt_store::{FillRecord, OrderRecord};
use journal::journal;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Longest one command of the binary may run before it is killed.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// Longest a test here may take waiting on a paper session before it fails as hung.
const WAIT_LIMIT: Duration = Duration::from_secs(600);

/// The binary with its data folder (and so its run store) in `dir`.
fn gpt_trader(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("gpt-trader").unwrap();
    command.timeout(COMMAND_LIMIT);
    command.env("GPT_TRADER_DATA", dir).env_remove("GPT_TRADER_DB");
    command
}

/// Runs the binary in `dir` with `args`; returns stdout, failing on a non-zero exit.
fn ok(dir: &Path, args: &[&str]) -> String {
    let output = gpt_trader(dir).args(args).output().unwrap();
    assert!(output.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// Runs the binary in `dir` with `args`, expecting failure (1, or 2 for a
/// value the argument parser refuses); returns stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let output = gpt_trader(dir).args(args).output().unwrap();
    assert!(matches!(output.status.code(), Some(1 | 2)), "{args:?} should fail");
    String::from_utf8(output.stderr).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// `paper status --format json` of `session`.
fn status(dir: &Path, session: &str) -> Value {
    json(&ok(dir, &["paper", "status", "--session", session, "--format", "json"]))
}

/// A session started in the background.
fn spawn(dir: &Path, args: &[&str]) -> Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("gpt-trader"))
        .env("GPT_TRADER_DATA", dir)
        .env_remove("GPT_TRADER_DB")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until `session` has journaled at least `steps` bars.
fn wait_for_steps(dir: &Path, session: &str, steps: i64) {
    let started = Instant::now();
    loop {
        let done = gpt_trader(dir)
            .args(["paper", "status", "--session", session, "--format", "json"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map_or(0, |o| json(&String::from_utf8_lossy(&o.stdout))["steps_done"].as_i64().unwrap_or(0));
        if done >= steps {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "session {session} never reached {steps} bars");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_paper_session_on_the_sample_makes_exactly_the_backtests_trades() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let paper = json(&ok(dir.path(), &["paper", "run", "--format", "json"]));
    let backtest = json(&ok(dir.path(), &["backtest", "--no-save", "--format", "json"]));
    assert_eq!(paper["trades"].as_array().unwrap().len(), 93);
    assert_eq!(paper["trades"], backtest["trades"]);
    assert_eq!(paper["stats"], backtest["stats"]);
    assert_eq!(paper["equity"], backtest["equity"]);
}

#[test]
fn a_portfolio_session_with_risk_limits_and_exits_matches_its_backtest() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let options = [
        "--universe",
        "sample",
        "--strategy",
        "trend_breakout",
        "--max-position-pct",
        "30",
        "--stop-loss-pct",
        "8",
        "--commission",
        "0.001",
    ];
    let mut paper_args = vec!["paper", "run", "--session", "folio", "--format", "json"];
    paper_args.extend(options);
    let mut backtest_args = vec!["backtest", "--no-save", "--format", "json"];
    backtest_args.extend(options);
    let paper = json(&ok(dir.path(), &paper_args));
    let backtest = json(&ok(dir.path(), &backtest_args));
    assert!(paper["trades"].as_array().unwrap().len() > 10);
    assert_eq!(paper["trades"], backtest["trades"]);
    assert_eq!(paper["equity"], backtest["equity"]);
}

#[test]
fn a_session_continued_in_pieces_makes_the_same_trades_and_status_tells_where_it_is() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let first =
        json(&ok(dir.path(), &["paper", "run", "--session", "p", "--max-bars", "700", "--format", "json"]));
    assert_eq!(first["equity"].as_array().unwrap().len(), 700);
    let state = status(dir.path(), "p");
    for key in ["session", "broker", "equity", "cash", "positions", "open_orders", "halted", "halt_reason"] {
        assert!(state.get(key).is_some(), "status lacks {key}: {state}");
    }
    assert_eq!((state["state"].as_str(), state["steps_done"].as_i64()), (Some("stopped"), Some(700)));
    // The account adds up: cash plus the positions' market value is equity.
    let positions: f64 =
        state["positions"].as_array().unwrap().iter().map(|p| p["market_value"].as_f64().unwrap()).sum();
    let (cash, equity) = (state["cash"].as_f64().unwrap(), state["equity"].as_f64().unwrap());
    assert!((cash + positions - equity).abs() < 1e-6 * equity);

    ok(dir.path(), &["paper", "run", "--session", "p", "--max-bars", "300"]);
    let whole = json(&ok(dir.path(), &["paper", "run", "--session", "p", "--format", "json"]));
    let backtest = json(&ok(dir.path(), &["backtest", "--no-save", "--format", "json"]));
    assert_eq!(whole["trades"], backtest["trades"]);
    assert_eq!(status(dir.path(), "p")["state"], "finished");
    assert!(ok(dir.path(), &["paper", "list"]).contains("finished"));
    let listed = json(&ok(dir.path(), &["paper", "list", "--format", "json"]));
    assert_eq!((listed[0]["session"].as_str(), listed[0]["state"].as_str()), (Some("p"), Some("finished")));
    ok(dir.path(), &["paper", "delete", "--session", "p"]);
    assert!(fails(dir.path(), &["paper", "status", "--session", "p"]).contains("no paper session \"p\""));
    // Deleting removes its lock file; commands on a missing session make none.
    assert!(fails(dir.path(), &["paper", "stop", "--session", "ghost"]).contains("no paper session"));
    assert!(fails(dir.path(), &["paper", "delete", "--session", "ghost"]).contains("no paper session"));
    let locks: Vec<_> =
        std::fs::read_dir(dir.path().join("paper")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(locks.is_empty(), "lock files left: {locks:?}");
}

/// A session killed with SIGKILL at 20 random points and restarted each time
/// journals exactly what an uninterrupted session journals: no order twice,
/// no fill lost, and its trades are the backtest's.
#[test]
fn a_session_killed_twenty_times_resumes_without_duplicates_or_losses() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(dir, &["paper", "run", "--session", "clean"]);
    let (clean_orders, clean_fills, _) = journal(dir, "clean");

    // A fixed-seed generator: the kill points are random but the test is repeatable.
    let mut random = gt_testkit::Xorshift::new(0x9e37_79b9_7f4a_7c15);
    for round in 0..20 {
        let mut child = spawn(dir, &["paper", "run", "--session", "crashy", "--speed", "1000"]);
        std::thread::sleep(Duration::from_millis(30 + random.next_u64() % 120));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let (orders, fills, steps) = journal(dir, "crashy");
        // Every decision up to the last bar journaled is there once, as the clean session made it.
        let expected: Vec<&OrderRecord> = clean_orders.iter().filter(|o| o.decided_step < steps).collect();
        assert_eq!(orders.len(), expected.len(), "round {round}: orders after {steps} bars");
        for (order, clean) in orders.iter().zip(expected) {
            let what = |o: &OrderRecord| {
                (o.client_order_id.clone(), o.symbol.clone(), o.side.clone(), o.qty.clone())
            };
            assert_eq!(what(order), what(clean), "round {round}");
        }
        // Every fill up to that bar is there, none after it.
        let last_bar_ms = status(dir, "crashy")["time_ms"].as_i64().unwrap_or(i64::MIN);
        let expected: Vec<&FillRecord> = clean_fills.iter().filter(|f| f.ts_ms <= last_bar_ms).collect();
        assert_eq!(fills.iter().collect::<Vec<_>>(), expected, "round {round}: fills after {steps} bars");
        assert_ne!(status(dir, "crashy")["state"], "running");
        // paper list gives the same state as paper status: the lock is the one source of truth.
        let listed = ok(dir, &["paper", "list"]);
        let row = listed.lines().find(|l| l.contains("crashy")).unwrap();
        let state = status(dir, "crashy")["state"].as_str().unwrap().to_owned();
        assert!(row.contains(&format!(" {state} ")) && !row.contains("running"), "{row} vs {state}");
    }
    let whole = json(&ok(dir, &["paper", "run", "--session", "crashy", "--format", "json"]));
    let backtest = json(&ok(dir, &["backtest", "--no-save", "--format", "json"]));
    assert_eq!(whole["trades"], backtest["trades"]);
    let (orders, fills, _) = journal(dir, "crashy");
    assert_eq!(orders, clean_orders);
    assert_eq!(fills, clean_fills);
}

/// `docker stop` sends SIGTERM, Ctrl-C sends SIGINT: either stops a session
/// as `paper stop` does (the bar finished, the journal kept, exit 0), and it
/// continues where it stopped.
#[test]
fn sigterm_and_ctrl_c_stop_a_session_as_paper_stop_does() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for (signal, session) in [("-TERM", "term"), ("-INT", "int")] {
        let mut child = spawn(dir, &["paper", "run", "--session", session, "--speed", "20"]);
        wait_for_steps(dir, session, 3);
        let sent =
            std::process::Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        assert!(sent.success());
        let exit = child.wait().unwrap();
        assert!(exit.success(), "{signal}: the session should stop cleanly, got {exit:?}");
        let state = status(dir, session);
        let steps = state["steps_done"].as_i64().unwrap();
        assert_eq!(state["state"], "stopped", "{signal}");
        assert!((3..2148).contains(&steps), "{signal}: {steps} bars");
        assert!(state["pending_commands"].as_array().unwrap().is_empty(), "{signal}: the stop was applied");
        ok(dir, &["paper", "run", "--session", session, "--max-bars", "2"]);
        assert_eq!(status(dir, session)["steps_done"].as_i64(), Some(steps + 2));
    }
}

/// A paced session continued without --speed keeps its own; a new --speed wins.
#[test]
fn a_continued_session_keeps_its_speed() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // Paced runs say each bar on stderr; as-fast-as-possible ones draw a progress bar (hidden off a terminal).
    let bar_lines = |args: &[&str]| {
        let output = gpt_trader(dir).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stderr).lines().filter(|l| l.contains("  equity ")).count()
    };
    assert_eq!(bar_lines(&["paper", "run", "--session", "paced", "--speed", "200", "--max-bars", "3"]), 3);
    assert_eq!(bar_lines(&["paper", "run", "--session", "paced", "--max-bars", "3"]), 3, "its own speed");
    assert_eq!(bar_lines(&["paper", "run", "--session", "paced", "--speed", "0", "--max-bars", "3"]), 0);
    assert_eq!(status(dir, "paced")["steps_done"].as_i64(), Some(9));
}

#[test]
fn stop_and_kill_reach_a_running_session() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut child = spawn(dir, &["paper", "run", "--session", "live", "--speed", "100"]);
    wait_for_steps(dir, "live", 300);
    assert_eq!(status(dir, "live")["state"], "running");
    ok(dir, &["paper", "kill", "--session", "live", "--reason", "risk desk says so"]);
    let killed = status(dir, "live");
    assert_eq!(killed["halted"], true);
    assert_eq!(killed["halt_reason"], "halted by hand: risk desk says so");
    assert_eq!(killed["positions"], Value::Array(vec![]));
    assert_eq!(killed["open_orders"], Value::Array(vec![]));

    ok(dir, &["paper", "stop", "--session", "live"]);
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "the session did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success());
    let stopped = status(dir, "live");
    assert_eq!(stopped["state"], "stopped");
    assert!(stopped["steps_done"].as_i64().unwrap() < 2148);
}

#[test]
fn a_killed_session_refuses_entries_until_resumed() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(dir, &["paper", "run", "--session", "k", "--max-bars", "400"]);
    ok(dir, &["paper", "kill", "--session", "k"]);
    let halted = json(&ok(dir, &["paper", "run", "--session", "k", "--max-bars", "500", "--format", "json"]));
    let trades_while_halted = halted["trades"].as_array().unwrap().len();
    let state = status(dir, "k");
    assert_eq!((state["halted"].as_bool(), state["steps_done"].as_i64()), (Some(true), Some(900)));
    assert_eq!(state["positions"], Value::Array(vec![]), "no entry may pass while halted");

    ok(dir, &["paper", "resume", "--session", "k"]);
    let resumed = json(&ok(dir, &["paper", "run", "--session", "k", "--format", "json"]));
    assert!(resumed["trades"].as_array().unwrap().len() > trades_while_halted);
    assert_eq!(status(dir, "k")["halted"], false);
}

#[test]
fn flatten_on_a_stopped_session_closes_everything_and_is_kept_on_replay() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    ok(dir, &["paper", "run", "--session", "f", "--max-bars", "70"]);
    assert_eq!(status(dir, "f")["positions"].as_array().unwrap().len(), 1, "demo_ma holds GOOG at bar 70");
    // A command that changes nothing says what is held, in good English.
    let resumed = gpt_trader(dir).args(["paper", "resume", "--session", "f"]).output().unwrap();
    let said = String::from_utf8_lossy(&resumed.stderr);
    assert!(said.contains(", 1 open position, 0 open orders."), "{said}");
    ok(dir, &["paper", "flatten", "--session", "f"]);
    let flat = status(dir, "f");
    assert_eq!(flat["positions"], Value::Array(vec![]));
    assert_eq!(flat["halted"], false);
    // Replayed on the next run, the flatten happens at the same bar: the
    // session's first trade ends there, at bar 70's close.
    let run = json(&ok(dir, &["paper", "run", "--session", "f", "--max-bars", "1", "--format", "json"]));
    let trades = run["trades"].as_array().unwrap();
    assert_eq!(
        (trades.len(), trades[0]["entry_bar"].as_i64(), trades[0]["exit_bar"].as_i64()),
        (1, Some(63), Some(69))
    );
}

#[test]
fn paper_errors_are_one_clear_line() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    assert!(fails(dir, &["paper", "status", "--session", "nope"]).contains("no paper session \"nope\""));
    assert!(
        fails(dir, &["paper", "run", "--broker", "alpaca", "--feed", "replay"]).contains("use --feed alpaca")
    );
    assert!(fails(dir, &["paper", "run", "--session", "bad name"]).contains("use 1 to 40 letters"));
    assert!(fails(dir, &["paper", "run", "--speed=-1"]).contains("--speed"));
    assert!(fails(dir, &["paper", "run", "--finalize-trades"]).contains("paper flatten"));
    ok(dir, &["paper", "run", "--session", "d", "--max-bars", "5"]);
    let changed = fails(dir, &["paper", "run", "--session", "d", "--param", "fast=5"]);
    assert!(
        changed.contains("strategies differ") && changed.contains("started with the defaults"),
        "{changed}"
    );
    // --data-dir says where the store is, not what the session trades: it is not kept with it.
    let here = dir.to_str().unwrap();
    ok(dir, &["paper", "run", "--session", "dd", "--max-bars", "2", "--data-dir", here]);
    ok(dir, &["paper", "run", "--session", "dd", "--max-bars", "2"]);
    assert_eq!(status(dir, "dd")["steps_done"].as_i64(), Some(4));
    // A changed setting is named with its old and new value.
    let cash = fails(dir, &["paper", "run", "--session", "d", "--cash", "5000"]);
    assert!(cash.contains("initial_cash (10000.0, now 5000.0) differ"), "{cash}");
    let status = fails(dir, &["paper", "flatten", "--session", "zzz"]);
    assert!(status.contains("sessions: d"), "{status}");
}
