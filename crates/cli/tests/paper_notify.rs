//! `paper run --notify URL`: a session's events reach a loopback webhook as
//! JSON (start, every fill as journaled, the halt, refusals in bursts, stop);
//! `--notify-events` filters them; a webhook that hangs or answers 500 for
//! the whole session changes none of its orders or fills and costs it at
//! most the few seconds its end waits; the URL, a secret, is never shown or
//! stored.

#[path = "support/journal.rs"]
mod journal;

use assert_cmd::Command;
use gt_testkit::webhook::{Webhook, WebhookAnswer as Answer};
use journal::journal;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// Longest one command of the binary may run before it is killed.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// Longest a test here may take before it fails as hung.
const WAIT_LIMIT: Duration = Duration::from_secs(300);

/// The secret part of every webhook URL here: it must appear nowhere.
const TOKEN: &str = gt_testkit::webhook::WEBHOOK_TOKEN;

/// The binary with its data folder (and so its run store) in `dir`.
fn gpt_trader(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("gpt-trader").unwrap();
    command.timeout(COMMAND_LIMIT);
    command.env("GPT_TRADER_DATA", dir).env_remove("GPT_TRADER_DB").env_remove("GPT_TRADER_NOTIFY_URL");
    command
}

/// Runs the binary; returns stdout and stderr, failing on a non-zero exit.
fn ok(dir: &Path, args: &[&str]) -> (String, String) {
    let output = gpt_trader(dir).args(args).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{args:?} failed: {stderr}");
    (String::from_utf8(output.stdout).unwrap(), stderr)
}

/// Every byte the data folder holds (the run store and its journal files).
fn stored_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            text.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
        }
    }
    text
}

#[test]
fn a_session_notifies_its_start_every_fill_its_halt_and_its_stop() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let webhook = Webhook::start(Answer::Ok);
    let (_, stderr) = ok(
        dir,
        &[
            "paper",
            "run",
            "--session",
            "n1",
            "--max-drawdown-pct",
            "8",
            "--notify",
            &webhook.url,
            "--notify-format",
            "json",
        ],
    );
    let bodies = webhook.bodies();
    assert!(stderr.contains(&format!("Notifications: {} delivered.", bodies.len())), "{stderr}");
    let events: Vec<&str> = bodies.iter().map(|b| b["event"].as_str().unwrap()).collect();
    assert_eq!(events.first(), Some(&"start"), "{events:?}");
    assert_eq!(events.last(), Some(&"stop"), "{events:?}");
    assert_eq!(bodies.last().unwrap()["reason"], "the data is played out");
    for body in &bodies {
        assert_eq!(body["session"], "n1");
        assert_eq!(body["schema"], "gpt-trader.notice.v1");
        let time = body["time"].as_str().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{body}");
        assert!(body["text"].as_str().unwrap().starts_with("gpt-trader n1: "), "{body}");
    }

    // Every journaled fill, in order, with its numbers.
    let (_, fills, _) = journal(dir, "n1");
    let notified: Vec<&Value> = bodies.iter().filter(|b| b["event"] == "fill").collect();
    assert!(!fills.is_empty());
    assert_eq!(notified.len(), fills.len());
    for (body, fill) in notified.iter().zip(&fills) {
        assert_eq!(body["symbol"], fill.symbol.as_str());
        assert_eq!(body["side"], fill.side.as_str());
        assert_eq!(body["qty"].as_f64(), fill.qty.parse::<f64>().ok(), "{body}");
        assert_eq!(body["price"].as_f64(), fill.price.parse::<f64>().ok(), "{body}");
    }

    // The drawdown limit trips once; the entries it refuses after are one burst.
    let status: Value =
        serde_json::from_str(&ok(dir, &["paper", "status", "--session", "n1", "--format", "json"]).0)
            .unwrap();
    let halt_reason = status["halt_reason"].as_str().expect("the 8 % drawdown limit trips on the sample");
    let halts: Vec<&Value> = bodies.iter().filter(|b| b["event"] == "halt").collect();
    assert_eq!(halts.len(), 1, "{events:?}");
    assert_eq!(halts[0]["reason"], halt_reason);
    let refusals: Vec<&Value> = bodies.iter().filter(|b| b["event"] == "refusals").collect();
    assert_eq!(refusals.len(), 1, "refusals come in bursts, one notice per ten minutes: {events:?}");
    assert!(refusals[0]["reason"].as_str().unwrap().contains("halted"), "{}", refusals[0]);
    assert!(!stderr.contains(TOKEN), "{stderr}");
}

#[test]
fn notify_events_chooses_what_is_sent_and_discord_gets_its_own_shape() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let webhook = Webhook::start(Answer::Ok);
    let url = webhook.url.clone();
    let args = [
        "paper",
        "run",
        "--max-bars",
        "400",
        "--notify",
        &url,
        "--notify-events",
        "fill,stop",
        "--notify-format",
        "discord",
    ];
    ok(dir.path(), &args);
    let bodies = webhook.bodies();
    assert!(bodies.len() >= 3, "{bodies:?}");
    let last = bodies.last().unwrap();
    assert!(last["content"].as_str().unwrap().starts_with("gpt-trader default: stopped"), "{last}");
    for body in &bodies {
        let fields = body["embeds"][0]["fields"].as_array().unwrap();
        let event = fields.iter().find(|f| f["name"] == "event").unwrap()["value"].as_str().unwrap();
        assert!(["fill", "stop"].contains(&event), "{body}");
    }
}

#[test]
fn a_webhook_that_hangs_or_fails_all_session_changes_nothing_it_trades() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let options = ["--universe", "sample", "--strategy", "trend_breakout", "--max-drawdown-pct", "15"];
    let run = |session: &str, extra: &[&str]| {
        let mut args = vec!["paper", "run", "--session", session];
        args.extend(options);
        args.extend(extra);
        let started = Instant::now();
        let (stdout, stderr) = ok(dir, &args);
        (stdout, stderr, started.elapsed())
    };
    let (_, _, plain_took) = run("plain", &[]);
    let hanging = Webhook::start(Answer::Hang);
    let failing = Webhook::start(Answer::ServerError);
    let (_, stderr, notified_took) = run("notified", &["--notify", &hanging.url, "--notify", &failing.url]);

    assert_eq!(journal(dir, "plain"), journal(dir, "notified"), "the webhooks changed the session's trading");
    // The end waits 5 s at most for what is still queued.
    assert!(
        notified_took < plain_took + Duration::from_secs(20),
        "{notified_took:?} with dead webhooks against {plain_took:?}"
    );
    assert!(stderr.contains("notify: webhook #2 failed (HTTP 500"), "{stderr}");
    assert!(stderr.contains("Notifications: ") && stderr.contains("unsent at the end"), "{stderr}");
    assert!(!hanging.bodies().is_empty() && !failing.bodies().is_empty());

    // The URL is in no output and nowhere in the store.
    let (status, _) = ok(dir, &["paper", "status", "--session", "notified", "--format", "json"]);
    let (list, _) = ok(dir, &["paper", "list", "--format", "json"]);
    for (what, text) in [("stderr", stderr), ("status", status), ("list", list), ("store", stored_text(dir))]
    {
        assert!(!text.contains(TOKEN), "the webhook URL is in the {what}");
    }
}

#[test]
fn a_run_files_notify_section_is_used_and_the_command_line_wins_over_it() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // The run file lives apart from the data folder, whose every byte is searched below.
    let files = tempfile::tempdir().unwrap();
    let webhook = Webhook::start(Answer::Ok);
    let run_file = files.path().join("run.toml");
    let text = format!(
        "[notify]\nwebhooks = [\"{}\"]\nformat = \"json\"\nevents = [\"start\", \"stop\"]\n",
        webhook.url
    );
    std::fs::write(&run_file, text).unwrap();
    let config = run_file.to_str().unwrap();
    ok(dir, &["paper", "run", "--session", "filed", "--config", config, "--max-bars", "50"]);
    let events: Vec<Value> = webhook.bodies().iter().map(|b| b["event"].clone()).collect();
    assert_eq!(events, ["start", "stop"]);
    assert!(webhook.bodies().iter().all(|b| b["schema"] == "gpt-trader.notice.v1"));
    // Continued with the stored options (the run file, read again), events from the command line.
    ok(dir, &["paper", "run", "--session", "filed", "--max-bars", "50", "--notify-events", "stop"]);
    let events: Vec<Value> = webhook.bodies().iter().map(|b| b["event"].clone()).collect();
    assert_eq!(events, ["start", "stop", "stop"]);
    assert!(!stored_text(dir).contains(TOKEN), "the run file's webhook URL was stored");
}

#[test]
fn bad_notify_options_are_refused_with_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |args: &[&str]| {
        let output = gpt_trader(dir.path()).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?} should be refused");
        String::from_utf8(output.stderr).unwrap()
    };
    let said = refused(&["paper", "run", "--notify", "hooks.example.com/x"]);
    assert!(said.contains("not a URL"), "{said}");
    let said = refused(&["paper", "run", "--notify", "ftp://example.com/x"]);
    assert!(said.contains("http:// or https://"), "{said}");
    let said = refused(&["paper", "run", "--notify-events", "fill,fills"]);
    assert!(said.contains("unknown notification event \"fills\"") && said.contains("rejection"), "{said}");
    // From the environment too, where the error names the variable, not the value.
    let output = gpt_trader(dir.path())
        .env("GPT_TRADER_NOTIFY_URL", format!("ftp://example.com/{TOKEN}"))
        .args(["paper", "run", "--max-bars", "5"])
        .output()
        .unwrap();
    let said = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("$GPT_TRADER_NOTIFY_URL: a webhook URL must"), "{said}");
    assert!(!said.contains(TOKEN), "{said}");
}
