//! The dashboard in headless Chromium (Debian's package): the runs page
//! sorted both ways, each run's page drawing its charts with data (candles,
//! volume and the strategy's indicators) and no script error, and a live session's page following it through server-sent
//! events, and (driven by Playwright) its kill-switch button halting it.
//! Screenshots are kept as test artifacts (`target/tmp/dashboard-*.png`).

#[path = "support/browser.rs"]
mod browser;

#[path = "support/spawned.rs"]
mod spawned;

use browser::{HEADLESS, attribute, chromium, playwright};
use spawned::Running;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a test here may take before it fails as hung.
const WAIT_LIMIT: Duration = Duration::from_secs(300);

/// Longest one command may run.
const COMMAND_LIMIT: Duration = Duration::from_secs(60);

/// Flags beside the headless ones. `--timeout` ends the page's load after
/// that many ms: a live page's event stream never finishes, so a virtual-time
/// budget would wait for it for ever.
const PAGE: [&str; 2] = ["--window-size=1400,2600", "--timeout=5000"];

/// The binary with its data folder (and so its run store) in `dir`.
fn gpt_trader(dir: &Path) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("gpt-trader"));
    command.env("GPT_TRADER_DATA", dir).env_remove("GPT_TRADER_DB").env_remove("GPT_TRADER_DASHBOARD_TOKEN");
    command
}

/// Runs the binary in `dir`; its stdout, failing on a non-zero exit.
fn ok(dir: &Path, args: &[&str]) -> String {
    let output =
        assert_cmd::Command::from_std(gpt_trader(dir)).timeout(COMMAND_LIMIT).args(args).output().unwrap();
    assert!(output.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// `url` loaded in Chromium (profile under `dir`): the DOM after its scripts ran, or a screenshot.
fn browse(browser: &str, dir: &Path, profile: &str, extra: &[&str], url: &str) -> String {
    let mut child = Command::new(browser)
        .args(HEADLESS)
        .args(PAGE)
        .arg(format!("--user-data-dir={}", dir.join(profile).display()))
        .args(extra)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut out, &mut text);
        text
    });
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > COMMAND_LIMIT {
            let _ = child.kill();
            panic!("Chromium did not finish {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reader.join().unwrap()
}

/// The numbers of the `key` column of the runs table, top to bottom.
fn column(dom: &str, key: &str) -> Vec<f64> {
    let marker = format!("data-key=\"{key}\">");
    dom.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &dom[at + marker.len()..];
            rest[..rest.find('<').unwrap()].trim().parse().unwrap()
        })
        .collect()
}

#[test]
fn the_dashboards_pages_render_in_chromium() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    for strategy in ["demo_ma", "mean_reversion", "momentum"] {
        ok(dir, &["backtest", "--strategy", strategy]);
    }
    let _session = Running(
        gpt_trader(dir)
            .args(["paper", "run", "--session", "live", "--speed", "20"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (_dashboard, base) = spawned::spawn_serving(
        {
            let mut command = gpt_trader(dir);
            command.args(["dashboard", "--bind", "127.0.0.1:0"]);
            command
        },
        "Dashboard on http://",
        COMMAND_LIMIT,
    );

    // The runs page, sorted by return both ways.
    let down =
        browse(browser, dir, "p1", &["--dump-dom"], &format!("{base}/runs?sort=return_pct&order=desc"));
    assert_eq!(attribute(&down, "data-errors", "data-errors").as_deref(), Some(""), "no script error");
    let returns = column(&down, "return_pct");
    assert_eq!(returns.len(), 3, "the three runs listed");
    assert!(returns.windows(2).all(|w| w[0] >= w[1]), "descending: {returns:?}");
    let up = browse(browser, dir, "p2", &["--dump-dom"], &format!("{base}/runs?sort=return_pct&order=asc"));
    let mut reversed = column(&up, "return_pct");
    reversed.reverse();
    assert_eq!(reversed, returns, "ascending is the reverse");

    // Each run's page: linked charts, each with data; the bars as candles with
    // volume, and the strategy's indicators over them or in a pane of their own.
    let runs: serde_json::Value =
        serde_json::from_str(&ok(dir, &["runs", "list", "--format", "json"])).unwrap();
    let mut id = String::new();
    for run in runs.as_array().unwrap() {
        let strategy = run["strategy"].as_str().unwrap();
        // Over the price: demo_ma's two SMAs, momentum's trend SMA; in the pane: RSI, ROC.
        let (overlays, pane) = match strategy {
            "demo_ma" => (2, 0),
            "mean_reversion" => (0, 1),
            _ => (1, 1),
        };
        id = run["id"].as_str().unwrap().to_owned();
        let page =
            browse(browser, dir, &format!("p3-{strategy}"), &["--dump-dom"], &format!("{base}/runs/{id}"));
        let read = |element: &str, name: &str| -> usize {
            attribute(&page, &format!("id=\"{element}\""), name)
                .unwrap_or_else(|| panic!("{strategy}: {element} has no {name}"))
                .parse()
                .unwrap()
        };
        assert_eq!(
            attribute(&page, "data-errors", "data-errors").as_deref(),
            Some(""),
            "{strategy}: no script error"
        );
        let charts = ["equity", "drawdown", "price", "trade-pnl", "volatility", "indicators"];
        let drawn = if pane > 0 { &charts[..] } else { &charts[..5] };
        assert_eq!(
            attribute(&page, "data-charts", "data-charts"),
            Some(drawn.len().to_string()),
            "{strategy}"
        );
        for chart in drawn {
            assert!(read(chart, "data-points") >= 2, "{strategy}: {chart} drew too few points");
        }
        assert!(page.matches("<canvas").count() >= drawn.len(), "the charts drew on canvases");
        let (equity, candles) = (read("equity", "data-points"), read("price", "data-candles"));
        assert_eq!(candles, equity, "{strategy}: a candle per step (one symbol)");
        assert_eq!(read("price", "data-volumes"), candles, "{strategy}: a volume bar per candle");
        assert_eq!(read("price", "data-overlays"), overlays, "{strategy}: indicators over the price");
        if pane > 0 {
            assert_eq!(read("indicators", "data-lines"), pane, "{strategy}: indicators in the pane");
        } else {
            assert!(!page.contains("id=\"indicators\""), "{strategy}: no empty pane");
        }
    }

    // The live page: what it shows came through the event stream, newer than the request.
    let status = |field: &str| -> u64 {
        let status: serde_json::Value =
            serde_json::from_str(&ok(dir, &["paper", "status", "--session", "live", "--format", "json"]))
                .unwrap();
        status[field].as_u64().unwrap()
    };
    let started = Instant::now();
    while status("steps_done") < 50 {
        assert!(started.elapsed() < COMMAND_LIMIT, "the session never got going");
        std::thread::sleep(Duration::from_millis(100));
    }
    let before = status("steps_done");
    // The dump is taken once the page has loaded, which does not wait for the
    // stream's first event: on a busy machine it can come later, so a few tries.
    let (live, steps) = (0..5)
        .find_map(|attempt| {
            let live = browse(
                browser,
                dir,
                &format!("p4-{attempt}"),
                &["--dump-dom"],
                &format!("{base}/sessions/live"),
            );
            let steps = attribute(&live, "id=\"live\"", "data-steps")?.parse::<u64>().ok()?;
            Some((live, steps))
        })
        .expect("no status event reached the page in five loads");
    assert_eq!(attribute(&live, "data-errors", "data-errors").as_deref(), Some(""), "no script error");
    assert!(steps >= before, "the page shows bar {steps}, the session was at {before} before it loaded");
    let points: u64 = attribute(&live, "id=\"session-equity\"", "data-points").unwrap().parse().unwrap();
    assert!(points >= before, "the equity curve since the start: {points} points");
    assert_eq!(attribute(&live, "id=\"live\"", "data-halted").as_deref(), Some("false"));

    for (page, name) in [(format!("{base}/runs/{id}"), "run"), (format!("{base}/sessions/live"), "live")] {
        let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dashboard-{name}.png"));
        let _ = std::fs::remove_file(&shot);
        browse(browser, dir, &format!("shot-{name}"), &[&format!("--screenshot={}", shot.display())], &page);
        assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 20_000), "screenshot {}", shot.display());
    }
}

/// Longest the Playwright script may run (each of its waits is bounded at 60 s).
const SCRIPT_LIMIT: Duration = Duration::from_secs(150);

#[test]
fn the_kill_switch_button_halts_a_running_session() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let Some(browser) = chromium() else { return };
    let Some(scripts) = playwright() else { return };
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let _session = Running(
        gpt_trader(dir)
            .args(["paper", "run", "--session", "clicked", "--speed", "20"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let (_dashboard, base) = spawned::spawn_serving(
        {
            let mut command = gpt_trader(dir);
            command.args(["dashboard", "--bind", "127.0.0.1:0"]);
            command
        },
        "Dashboard on http://",
        COMMAND_LIMIT,
    );
    let status = || -> serde_json::Value {
        serde_json::from_str(&ok(dir, &["paper", "status", "--session", "clicked", "--format", "json"]))
            .unwrap()
    };
    // Until it holds a position, so the kill has something to close (at
    // first the session is not even in the store).
    let started = Instant::now();
    loop {
        let output =
            gpt_trader(dir).args(["paper", "status", "--session", "clicked", "--format", "json"]).output();
        let state = output.ok().and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok());
        if state.is_some_and(|s| s["positions"].as_array().is_some_and(|p| !p.is_empty())) {
            break;
        }
        assert!(started.elapsed() < COMMAND_LIMIT, "the session never took a position");
        std::thread::sleep(Duration::from_millis(100));
    }

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-kill-switch.png");
    let _ = std::fs::remove_file(&shot);
    let output = assert_cmd::Command::new("node")
        .current_dir(&scripts)
        .env("CHROMIUM", which(browser))
        .arg("kill_switch.mjs")
        .arg(format!("{base}/sessions/clicked"))
        .arg(&shot)
        .timeout(SCRIPT_LIMIT)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the script failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|_| panic!("{stdout}"));
    assert!(report["failure"].is_null(), "in the browser: {}", report["failure"]);
    assert_eq!(report["errors"], serde_json::json!([]), "no script error");
    let dialogs = report["dialogs"].as_array().unwrap();
    assert_eq!(dialogs.len(), 2, "each click asks first: {dialogs:?}");
    assert!(dialogs[0]["message"].as_str().unwrap().starts_with("Trip the kill switch?"));
    assert_eq!(report["posts_after_dismiss"], 0, "a dismissed confirmation sends nothing");
    assert_eq!(report["posts"], serde_json::json!([r#"{"command":"kill"}"#]), "one kill sent");
    assert_eq!(report["status"], 202, "queued: {}", report["command_result"]);
    assert!(report["halted_text"].as_str().unwrap().starts_with("ON"), "{}", report["halted_text"]);
    assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 20_000), "screenshot {}", shot.display());

    // The page lists the command as the session recorded it, applied after a bar.
    let commands = report["commands"].as_array().unwrap();
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert_eq!((commands[0][1].as_str(), commands[0][2].as_str()), (Some("kill"), Some("dashboard")));
    assert!(commands[0][4].as_str().unwrap().parse::<u64>().is_ok(), "applied: {commands:?}");

    // What the session itself says, through the CLI.
    let after = status();
    assert_eq!(after["halted"], true, "paper status: {after}");
    assert!(after["positions"].as_array().unwrap().is_empty(), "flat once killed: {after}");
}

/// The full path of the `browser` command, for a script that starts it itself.
fn which(browser: &str) -> String {
    let output = Command::new("sh").args(["-c", &format!("command -v {browser}")]).output().unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}
