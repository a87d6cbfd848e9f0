//! End-to-end tests of `gpt-trader dashboard` over a store seeded by the
//! binary itself: who may use it (token, login cookie, CSRF, Host), what its
//! API answers against what the CLI says, a live session followed through
//! server-sent events and halted from the dashboard, the pace of backtests
//! and sweeps in `/metrics`, and a clean stop.

#[path = "support/metrics_text.rs"]
mod metrics_text;

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Longest a test here may take before it fails as hung.
const WAIT_LIMIT: Duration = Duration::from_secs(300);

/// Longest one request may take (an event stream: the whole time it is read).
const REQUEST_LIMIT: Duration = Duration::from_secs(60);

/// A token strong enough for a non-loopback dashboard.
const TOKEN: &str = "dashboard-test-token-0123456789";

/// Alpaca keys put in every process's environment: no answer may show them.
const ALPACA_KEYS: [(&str, &str); 2] =
    [("APCA_API_KEY_ID", "PKTESTKEYSHOULDNEVERSHOW"), ("APCA_API_SECRET_KEY", "secret-should-never-show-42")];

/// The binary with its data folder (and so its run store) in `dir` and the Alpaca keys set.
fn gpt_trader(dir: &Path) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("gpt-trader"));
    command.env("GPT_TRADER_DATA", dir).env_remove("GPT_TRADER_DB").env_remove("GPT_TRADER_DASHBOARD_TOKEN");
    command.envs(ALPACA_KEYS);
    command
}

/// Runs the binary in `dir`; returns stdout, failing on a non-zero exit.
fn ok(dir: &Path, args: &[&str]) -> String {
    let output =
        assert_cmd::Command::from_std(gpt_trader(dir)).timeout(REQUEST_LIMIT).args(args).output().unwrap();
    assert!(output.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// A store with two backtests (demo_ma, mean_reversion) and a stopped paper session `done` of 600 bars.
fn seed(dir: &Path) {
    ok(dir, &["backtest"]);
    ok(dir, &["backtest", "--strategy", "mean_reversion"]);
    ok(dir, &["paper", "run", "--session", "done", "--max-bars", "600"]);
}

/// A running `gpt-trader dashboard`, killed when dropped.
struct Dashboard {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    base: String,
    /// Its stderr lines after the first.
    stderr: mpsc::Receiver<String>,
}

impl Dashboard {
    /// Starts it on a free loopback port over the store in `dir`, with `token` if given.
    fn start(dir: &Path, token: Option<&str>) -> Self {
        let mut command = gpt_trader(dir);
        command.args(["dashboard", "--bind", "127.0.0.1:0"]);
        if let Some(token) = token {
            command.env("GPT_TRADER_DASHBOARD_TOKEN", token);
        }
        let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let (lines, stderr) = mpsc::channel();
        let pipe = BufReader::new(child.stderr.take().unwrap());
        std::thread::spawn(move || {
            for line in pipe.lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let first = stderr.recv_timeout(REQUEST_LIMIT).expect("the dashboard never said where it listens");
        let address = first
            .strip_prefix("Dashboard on http://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("unexpected first line: {first}"));
        Self { child, base: format!("http://{address}"), stderr }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that does not follow redirects (the login's is checked).
fn client() -> Client {
    // reqwest is built without a default TLS provider (the workspace picks ring); plain HTTP still asks for one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder().timeout(REQUEST_LIMIT).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Every answer's headers and body, kept to be searched for secrets.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    /// Reads `response` into its status, its `WWW-Authenticate` header and its body.
    fn read(&mut self, response: Response) -> (StatusCode, Option<String>, String) {
        let status = response.status();
        let headers = format!("{:?}", response.headers());
        let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
        let body = response.text().unwrap();
        self.0.push(format!("{headers}\n{body}"));
        (status, challenge, body)
    }

    /// Fails if any answer showed an Alpaca key or the dashboard token.
    fn assert_no_secret(&self) {
        for text in &self.0 {
            for (name, secret) in ALPACA_KEYS {
                assert!(!text.contains(secret), "{name} leaked into an answer");
            }
            assert!(!text.contains(TOKEN), "the dashboard token leaked into an answer");
        }
    }
}

/// The CSRF token a page carries in `<meta name="csrf-token">`.
fn csrf_of(page: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = page.find(marker).expect("the page carries a CSRF token") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

#[test]
fn an_open_bind_needs_a_strong_token_and_says_so_in_one_line() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    for (token, says) in [(None, "token"), (Some("short"), "16")] {
        let mut command = assert_cmd::Command::from_std(gpt_trader(dir.path()));
        command.timeout(REQUEST_LIMIT).args(["dashboard", "--bind", "0.0.0.0:0"]);
        if let Some(token) = token {
            command.args(["--token", token]);
        }
        let output = command.output().unwrap();
        assert_eq!(output.status.code(), Some(1), "refused at start, not served");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains(says), "{stderr}");
    }
}

#[test]
fn every_route_needs_the_token_and_a_browsers_post_needs_the_csrf_token() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let dashboard = Dashboard::start(dir.path(), Some(TOKEN));
    let http = client();
    let mut seen = Seen::default();
    let bearer = format!("Bearer {TOKEN}");

    let machine_routes = ["/api/v1/runs", "/api/v1/sessions", "/api/v1/sessions/done/events", "/metrics"];
    for path in machine_routes {
        for authorization in [None, Some("Bearer not-the-token-at-all-000")] {
            let mut request = http.get(dashboard.url(path));
            if let Some(authorization) = authorization {
                request = request.header("authorization", authorization);
            }
            let (status, challenge, body) = seen.read(request.send().unwrap());
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{path} with {authorization:?}");
            assert_eq!(challenge.as_deref(), Some("Bearer"), "{path}");
            assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["error"], "a valid token is required");
        }
    }
    for path in ["/api/v1/runs", "/api/v1/sessions", "/metrics"] {
        let (status, ..) =
            seen.read(http.get(dashboard.url(path)).header("authorization", &bearer).send().unwrap());
        assert_eq!(status, StatusCode::OK, "{path} with the token");
    }
    let (status, _, page) = seen.read(http.get(dashboard.url("/runs")).send().unwrap());
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("action=\"/login\""), "a page without the token is the login form");

    // The login form: a wrong token is refused, the right one sets an HttpOnly cookie.
    let wrong =
        http.post(dashboard.url("/login")).form(&[("token", "not-the-token-at-all-000")]).send().unwrap();
    assert_eq!(seen.read(wrong).0, StatusCode::UNAUTHORIZED);
    let login = http.post(dashboard.url("/login")).form(&[("token", TOKEN)]).send().unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let set_cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    assert!(!cookie.contains(TOKEN), "the cookie is not the token");
    seen.read(login);

    let (status, _, page) =
        seen.read(http.get(dashboard.url("/sessions/done")).header("cookie", &cookie).send().unwrap());
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_of(&page);
    let kill = json!({"command": "kill", "reason": "test"});
    let commands = dashboard.url("/api/v1/sessions/done/commands");
    let without_csrf = http.post(&commands).header("cookie", &cookie).json(&kill).send().unwrap();
    assert_eq!(seen.read(without_csrf).0, StatusCode::FORBIDDEN, "a cookie alone cannot change anything");
    let wrong_csrf = http.post(&commands).header("cookie", &cookie).header("x-csrf-token", "0".repeat(64));
    assert_eq!(seen.read(wrong_csrf.json(&kill).send().unwrap()).0, StatusCode::FORBIDDEN);
    // Past the guard, the session is not running: 409, and nothing is queued.
    let with_csrf = http.post(&commands).header("cookie", &cookie).header("x-csrf-token", &csrf);
    let (status, _, body) = seen.read(with_csrf.json(&kill).send().unwrap());
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("gpt-trader paper kill done"), "{body}");
    let by_script = http.post(&commands).header("authorization", &bearer).json(&kill).send().unwrap();
    assert_eq!(seen.read(by_script).0, StatusCode::CONFLICT, "a bearer caller needs no CSRF token");
    let status = ok(dir.path(), &["paper", "status", "--session", "done", "--format", "json"]);
    assert_eq!(serde_json::from_str::<Value>(&status).unwrap()["pending_commands"], json!([]));
    seen.assert_no_secret();
}

#[test]
fn the_api_and_pages_show_the_store_as_the_cli_does() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let dashboard = Dashboard::start(dir.path(), None);
    let http = client();
    let mut seen = Seen::default();
    let mut get = |path: &str| seen.read(http.get(dashboard.url(path)).send().unwrap());
    let json_of = |body: &str| serde_json::from_str::<Value>(body).unwrap();

    let cli_runs = json_of(&ok(dir.path(), &["runs", "list", "--format", "json"]));
    let (status, _, body) = get("/api/v1/runs?sort=return_pct&order=desc");
    assert_eq!(status, StatusCode::OK);
    let runs = json_of(&body);
    assert_eq!(runs["total"], 2);
    let strategies: Vec<&str> =
        runs["runs"].as_array().unwrap().iter().map(|r| r["strategy"].as_str().unwrap()).collect();
    assert_eq!(strategies, ["demo_ma", "mean_reversion"], "718 % before 64 %");
    let (_, _, ascending) = get("/api/v1/runs?sort=return_pct&order=asc");
    assert_eq!(json_of(&ascending)["runs"][0]["strategy"], "mean_reversion");
    let (_, _, filtered) = get("/api/v1/runs?q=mean_rev");
    assert_eq!(json_of(&filtered)["total"], 1);
    let (status, _, refused) = get("/api/v1/runs?sort=bogus");
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(json_of(&refused)["error"].as_str().unwrap().contains("bogus"), "{refused}");

    // A run by an id prefix: the stored record, chart data and profile.
    let demo = cli_runs.as_array().unwrap().iter().find(|r| r["strategy"] == "demo_ma").unwrap();
    let id = demo["id"].as_str().unwrap();
    let (status, _, body) = get(&format!("/api/v1/runs/{}", &id[..12]));
    assert_eq!(status, StatusCode::OK, "{body}");
    let run = json_of(&body);
    assert_eq!(run["run"]["id"], id);
    assert_eq!(run["run"]["stats"], demo["stats"]);
    assert_eq!(run["run"]["trades"].as_array().unwrap().len(), 93);
    assert_eq!(run["chart"]["equity"].as_array().unwrap().len(), 2148);
    let years = run["profile"]["yearly"].as_array().unwrap();
    assert_eq!(years.first().unwrap()["year"], 2004);
    assert_eq!(years.last().unwrap()["year"], 2013);
    let compounded =
        years.iter().fold(1.0, |growth, y| growth * (1.0 + y["return_pct"].as_f64().unwrap() / 100.0));
    let total = demo["stats"]["return_pct"].as_f64().unwrap();
    assert!(
        ((compounded - 1.0) * 100.0 - total).abs() < 1e-6,
        "yearly returns compound to the run's {total} %"
    );
    assert_eq!(run["attribution"]["by_symbol"]["GOOG"]["trades"], 93);
    assert_eq!(get("/api/v1/runs/ffffffff").0, StatusCode::NOT_FOUND);

    // A stopped session: its status is `paper status`'s, its curve has one point per bar.
    let cli_status = json_of(&ok(dir.path(), &["paper", "status", "--session", "done", "--format", "json"]));
    let (status, _, body) = get("/api/v1/sessions/done");
    assert_eq!(status, StatusCode::OK);
    let session = json_of(&body);
    for key in ["state", "equity", "cash", "positions", "steps_done", "realized_pnl_total", "halted"] {
        assert_eq!(session[key], cli_status[key], "{key}");
    }
    let curve = session["equity_curve"].as_array().unwrap();
    assert_eq!(curve.len(), 600);
    assert_eq!(curve.last().unwrap()[1], cli_status["equity"]);
    assert_eq!(curve.last().unwrap()[0], cli_status["time_ms"]);
    assert_eq!(session["recent_fills"].as_array().unwrap().len(), 50, "the last 50 of its fills");
    assert_eq!(get("/api/v1/sessions/nope").0, StatusCode::NOT_FOUND);

    // Every page answers HTML without a script error marker or a stack trace.
    let compare = format!("/compare?ids={},{}", &id[..12], &cli_runs[1]["id"].as_str().unwrap()[..12]);
    let pages = [
        "/runs",
        &format!("/runs/{id}"),
        &format!("/runs/{id}/report"),
        &compare,
        "/studies",
        "/sessions",
        "/sessions/done",
        "/models",
    ];
    for path in pages {
        let (status, _, page) = get(path);
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            page.to_ascii_lowercase().starts_with("<!doctype html>"),
            "{path}: {}",
            &page[..page.len().min(80)]
        );
        assert!(!page.contains("panicked"), "{path}");
    }
    assert_eq!(get("/").0, StatusCode::SEE_OTHER, "the home page is the runs table");
    let (status, _, page) = get("/runs/ffffffff");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("no run"), "errors are pages: {page}");

    // Prometheus text: the store's runs and the session's state.
    let (_, _, metrics) = get("/metrics");
    assert!(metrics.contains("gpt_trader_runs_stored 2\n"), "{metrics}");
    assert!(metrics.contains("gpt_trader_session_bars{session=\"done\"} 600\n"), "{metrics}");
    assert!(metrics.contains("gpt_trader_session_running{session=\"done\"} 0\n"), "{metrics}");
    assert!(metrics.contains("gpt_trader_dashboard_requests_total{route=\"/api/v1/runs\",status=\"200\"}"));
    assert!(metrics.ends_with("# EOF\n"));
    seen.assert_no_secret();

    // Without a token it answers only requests addressed to this machine.
    let rebound =
        http.get(dashboard.url("/api/v1/runs")).header("host", "attacker.example:8050").send().unwrap();
    assert_eq!(rebound.status(), StatusCode::FORBIDDEN);
}

/// Server-sent events read off a response, one `(event, data)` at a time.
struct Events(std::io::Lines<BufReader<Response>>);

impl Events {
    fn next(&mut self) -> (String, Value) {
        let (mut event, mut data) = (String::new(), String::new());
        for line in self.0.by_ref() {
            let line = line.expect("the event stream broke");
            if line.is_empty() && !data.is_empty() {
                return (event, serde_json::from_str(&data).unwrap());
            }
            if let Some(name) = line.strip_prefix("event: ") {
                event = name.to_owned();
            } else if let Some(text) = line.strip_prefix("data: ") {
                data.push_str(text);
            }
        }
        panic!("the event stream ended");
    }

    /// Reads `status` events until `done` says one is the awaited one; returns it.
    fn until(&mut self, what: &str, mut done: impl FnMut(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let (event, data) = self.next();
            assert_eq!(event, "status", "{data}");
            if done(&data) {
                return data;
            }
            assert!(started.elapsed() < REQUEST_LIMIT, "no event showed {what}");
        }
    }
}

#[test]
fn a_live_session_streams_every_bar_and_the_dashboard_halts_and_stops_it() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let dashboard = Dashboard::start(dir, None);
    let http = client();
    let mut session = gpt_trader(dir)
        .args(["paper", "run", "--session", "live", "--speed", "40"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while http.get(dashboard.url("/api/v1/sessions/live")).send().unwrap().status() != StatusCode::OK {
        assert!(started.elapsed() < REQUEST_LIMIT, "the session never appeared");
        std::thread::sleep(Duration::from_millis(50));
    }

    let response = client().get(dashboard.url("/api/v1/sessions/live/events")).send().unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut events = Events(BufReader::new(response).lines());

    // The first event has the whole curve; each later one only the bars since, so together one point per bar.
    let (event, first) = events.next();
    assert_eq!((event.as_str(), &first["first"]), ("status", &json!(true)));
    let mut points: Vec<Value> = first["equity_curve"].as_array().unwrap().clone();
    assert_eq!(points.len() as i64, first["steps_done"].as_i64().unwrap());
    let traded = events.until("a fill", |data| {
        points.extend(data["equity_curve"].as_array().unwrap().iter().cloned());
        assert_eq!(data["first"], false);
        assert_eq!(
            points.len() as i64,
            data["steps_done"].as_i64().unwrap(),
            "one point per bar, none twice"
        );
        !data["recent_fills"].as_array().unwrap().is_empty()
    });
    assert_eq!(traded["state"], "running");
    let times: Vec<i64> = points.iter().map(|p| p[0].as_i64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]), "points in time order");

    // The kill switch from the live page's button: POST with the page's CSRF token.
    let page = http.get(dashboard.url("/sessions/live")).send().unwrap().text().unwrap();
    assert!(page.contains("data-command=\"kill\""), "the live page has the kill button");
    let commands = dashboard.url("/api/v1/sessions/live/commands");
    let kill = json!({"command": "kill", "reason": "pulled from the dashboard"});
    let queued = http.post(&commands).header("x-csrf-token", csrf_of(&page)).json(&kill).send().unwrap();
    assert_eq!(queued.status(), StatusCode::ACCEPTED);
    let halted = events.until("the halt", |data| data["halted"] == true);
    assert_eq!(halted["halt_reason"], "halted by hand: pulled from the dashboard");
    assert_eq!(halted["positions"], json!([]), "the kill switch flattens");
    let command = halted["commands"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((&command["command"], &command["origin"]), (&json!("kill"), &json!("dashboard")));
    assert!(command["applied_step"].is_i64(), "applied between bars: {command}");
    let status = ok(dir, &["paper", "status", "--session", "live", "--format", "json"]);
    assert_eq!(serde_json::from_str::<Value>(&status).unwrap()["halted"], true, "paper status says so too");

    let stop = http.post(&commands).header("x-csrf-token", csrf_of(&page)).json(&json!({"command": "stop"}));
    assert_eq!(stop.send().unwrap().status(), StatusCode::ACCEPTED);
    let stopped = events.until("the stop", |data| data["state"] == "stopped");
    assert!(stopped["steps_done"].as_i64().unwrap() < 2148);
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = session.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the session did not stop");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success());
}

#[test]
fn sigterm_stops_the_dashboard_even_with_an_event_stream_open() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["paper", "run", "--session", "done", "--max-bars", "50"]);
    let mut dashboard = Dashboard::start(dir.path(), None);
    let response = client().get(dashboard.url("/api/v1/sessions/done/events")).send().unwrap();
    let mut events = Events(BufReader::new(response).lines());
    assert_eq!(events.next().1["steps_done"], 50);

    let pid = dashboard.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = dashboard.child.try_wait().unwrap() {
            break exit;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the dashboard did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success());
    assert_eq!(dashboard.stderr.recv_timeout(REQUEST_LIMIT).as_deref(), Ok("Dashboard stopped."));
}

#[test]
fn metrics_show_how_fast_the_newest_backtest_and_study_went() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dashboard = Dashboard::start(dir.path(), None);
    let http = client();
    let scrape = || http.get(dashboard.url("/metrics")).send().unwrap().text().unwrap();
    let empty = scrape();
    for name in ["gpt_trader_backtest_bars_per_second", "gpt_trader_sweep_bar_evaluations_per_second"] {
        assert_eq!(metrics_text::value(&empty, name), None, "no {name} before there is a run: {empty}");
    }

    ok(dir.path(), &["backtest", "--strategy", "momentum"]);
    let runs: Value = serde_json::from_str(&ok(dir.path(), &["runs", "list", "--format", "json"])).unwrap();
    let id = runs[0]["id"].as_str().unwrap();
    let run: Value =
        serde_json::from_str(&ok(dir.path(), &["runs", "show", id, "--format", "json"])).unwrap();
    let (bars, elapsed_ms) = (run["bars"].as_f64().unwrap(), run["elapsed_ms"].as_f64().unwrap());
    assert_eq!(bars, 2148.0, "the sample's GOOG bars");
    let text = scrape();
    if elapsed_ms > 0.0 {
        let pace = metrics_text::must(&text, "gpt_trader_backtest_bars_per_second");
        assert!(
            (pace - bars * 1000.0 / elapsed_ms).abs() < 1e-6 * pace,
            "{pace} vs {bars} bars in {elapsed_ms} ms"
        );
        assert_eq!(metrics_text::must(&text, "gpt_trader_backtest_duration_seconds"), elapsed_ms / 1000.0);
    } else {
        assert_eq!(
            metrics_text::value(&text, "gpt_trader_backtest_bars_per_second"),
            None,
            "no pace of 0 ms"
        );
    }
    assert_eq!(metrics_text::value(&text, "gpt_trader_sweep_trials"), None, "no study yet");

    // A 12-trial grid saved as a study: its pace, and the trials it holds.
    ok(dir.path(), &["optimize", "--param", "fast=5..20:5", "--param", "slow=30..50:10", "--study", "pace"]);
    let text = scrape();
    assert_eq!(metrics_text::must(&text, "gpt_trader_sweep_trials"), 12.0, "{text}");
    let sweep = metrics_text::must(&text, "gpt_trader_sweep_bar_evaluations_per_second");
    assert!(sweep > 10_000.0, "12 trials of 2,148 bars evaluated at {sweep} bars/s");
    // The study's best trial is stored as a run of kind `optimize`: the backtest's pace is unchanged.
    assert_eq!(
        metrics_text::value(&text, "gpt_trader_backtest_duration_seconds"),
        (elapsed_ms > 0.0).then_some(elapsed_ms / 1000.0)
    );
}

#[test]
fn the_models_page_shows_a_models_history_and_how_it_did_in_shadow() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let trained: Value =
        serde_json::from_str(&ok(dir, &["ml", "train", "--model", "logistic", "--format", "json"])).unwrap();
    let id = trained["model_id"].as_str().unwrap().to_owned();
    ok(dir, &["ml", "promote", &id, "--to", "shadow", "--reason", "try it"]);
    let report: Value =
        serde_json::from_str(&ok(dir, &["backtest", "--shadow", &id, "--format", "json"])).unwrap();
    let run_id = report["run_id"].as_str().unwrap().to_owned();
    let compared: Value =
        serde_json::from_str(&ok(dir, &["ml", "compare", "--run", &run_id, "--format", "json"])).unwrap();
    let dashboard = Dashboard::start(dir, None);
    let http = client();
    let get = |path: &str| {
        let response = http.get(dashboard.url(path)).send().unwrap();
        (response.status(), response.text().unwrap())
    };
    let (status, list) = get("/models");
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&format!("href=\"/models/{id}\"")) && list.contains("logistic"), "{list}");
    let (status, page) = get(&format!("/models/{id}"));
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("(registered)") && page.contains("ml promote") && page.contains("try it"),
        "{page}"
    );
    assert!(page.contains(&format!("href=\"/runs/{run_id}\"")), "{page}");
    let verdict = compared["shadows"][0]["verdict"].as_str().unwrap();
    assert!(page.contains(verdict), "the comparison's verdict {verdict:?}: {page}");
    let trades = compared["shadows"][0]["trades"].as_i64().unwrap();
    assert!(page.contains(&format!("<td class=\"num\">{trades}</td>")), "{trades} trades: {page}");
    let (status, page) = get("/models/ffffffff");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("no model ffffffff"), "{page}");
}
