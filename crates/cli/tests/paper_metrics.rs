//! `paper run --metrics`: a running session serves its own Prometheus
//! metrics and a health check. What they say is checked against `paper
//! status` and against themselves (equity = cash + net exposure, a journal
//! write per bar), through a kill switch; the text passes `promtool check
//! metrics`; a real Prometheus scrapes it and answers a PromQL query on it.
//! Beyond loopback a token is required and checked.

#[path = "support/metrics_text.rs"]
mod metrics_text;
#[path = "support/spawned.rs"]
mod spawned;

use metrics_text::{must, value};
use reqwest::StatusCode;
use reqwest::blocking::Client;
use serde_json::Value;
use spawned::Running;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest a test here may take before it fails as hung.
const WAIT_LIMIT: Duration = Duration::from_secs(300);

/// Longest one request, command or wait for a condition may take.
const STEP_LIMIT: Duration = Duration::from_secs(60);

/// A token strong enough for metrics served beyond loopback.
const TOKEN: &str = "metrics-test-token-0123456789";

/// The binary with its data folder (and so its run store) in `dir`.
fn gpt_trader(dir: &Path) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("gpt-trader"));
    command.env("GPT_TRADER_DATA", dir).env_remove("GPT_TRADER_DB").env_remove("GPT_TRADER_METRICS_TOKEN");
    command
}

/// Runs the binary in `dir`; returns stdout, failing on a non-zero exit.
fn ok(dir: &Path, args: &[&str]) -> String {
    let output =
        assert_cmd::Command::from_std(gpt_trader(dir)).timeout(STEP_LIMIT).args(args).output().unwrap();
    assert!(output.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// A plain-HTTP client with a bounded wait.
fn client() -> Client {
    // reqwest is built without a default TLS provider (the workspace picks ring); plain HTTP still asks for one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder().timeout(STEP_LIMIT).build().unwrap()
}

/// A running `paper run --metrics`, killed when dropped.
struct Session {
    child: Running,
    /// `http://ADDR` of its metrics server.
    base: String,
}

impl Session {
    /// Starts session `name` on the bundled sample, `speed` bars a second, with `extra` options.
    fn start(dir: &Path, name: &str, bind: &str, extra: &[&str]) -> Self {
        let mut command = gpt_trader(dir);
        command.args(["paper", "run", "--session", name, "--speed", "50", "--metrics", bind]).args(extra);
        let (child, base) = spawned::spawn_serving(command, "Metrics on http://", STEP_LIMIT);
        Self { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The metrics text, failing unless it is answered 200.
    fn scrape(&self, client: &Client) -> String {
        let response = client.get(self.url("/metrics")).send().unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
        response.text().unwrap()
    }

    /// Scrapes until `test` holds of the text; returns that text.
    fn scrape_until(&self, client: &Client, what: &str, test: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let text = self.scrape(client);
            if test(&text) {
                return text;
            }
            assert!(started.elapsed() < STEP_LIMIT, "never {what}; last scrape:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the process to exit, bounded; its exit status.
    fn wait(&mut self) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.0.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < STEP_LIMIT, "the session did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Whether `tool` runs here; when it does not and `required` is set (CI), fails.
fn available(tool: &str, required: &str) -> bool {
    let found = Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os(required).is_none(),
            "{tool} is required ({required} is set) but does not run"
        );
        eprintln!("skipped: {tool} is not installed (CI sets {required} and installs it)");
    }
    found
}

#[test]
fn a_sessions_metrics_agree_with_its_status_through_a_kill_and_pass_promtool() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let client = client();
    let mut session = Session::start(dir, "watched", "127.0.0.1:0", &[]);

    let running = session.scrape_until(&client, "40 bars", |t| {
        value(t, "gpt_trader_session_bars_processed_total").is_some_and(|n| n >= 40.0)
    });
    assert!(running.contains(r#"session="watched""#), "every series carries the session label");
    let (equity, cash, net) = (
        must(&running, "gpt_trader_session_equity"),
        must(&running, "gpt_trader_session_cash"),
        must(&running, "gpt_trader_session_net_exposure"),
    );
    assert!(
        (equity - (cash + net)).abs() < 1e-6 * equity.abs().max(1.0),
        "equity {equity} = cash {cash} + net {net}"
    );
    // A journal write for each bar: the scrape may fall between a bar's count and its write.
    let bars = must(&running, "gpt_trader_session_bars_processed_total");
    let writes = must(&running, "gpt_trader_session_journal_write_seconds_count");
    assert!(bars - writes == 0.0 || bars - writes == 1.0, "{bars} bars, {writes} journal writes");
    assert_eq!(must(&running, "gpt_trader_session_halted"), 0.0);
    assert_eq!(value(&running, "gpt_trader_session_drawdown_ratio"), None, "no loss limit, nothing watched");

    let health: Value = client.get(session.url("/healthz")).send().unwrap().json().unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["session"], "watched");
    assert!(health["bars_processed"].as_u64().unwrap() >= 40, "{health}");
    assert!(health["seconds_since_last_bar"].as_f64().unwrap() < 30.0, "{health}");

    ok(dir, &["paper", "kill", "--session", "watched", "--reason", "metrics test"]);
    let halted = session.scrape_until(&client, "halted and flat", |t| {
        value(t, "gpt_trader_session_halted") == Some(1.0)
            && value(t, "gpt_trader_session_gross_exposure") == Some(0.0)
    });
    let (equity, cash) =
        (must(&halted, "gpt_trader_session_equity"), must(&halted, "gpt_trader_session_cash"));
    assert!((equity - cash).abs() < 1e-6, "flat: equity {equity} is cash {cash}");
    assert!(
        !halted.contains("gpt_trader_session_position{"),
        "no position is left at its last size:\n{halted}"
    );
    let status: Value =
        serde_json::from_str(&ok(dir, &["paper", "status", "--session", "watched", "--format", "json"]))
            .unwrap();
    assert_eq!(status["halted"], true);
    let told = status["equity"].as_f64().unwrap();
    assert!((told - equity).abs() < 1e-6, "paper status says {told}, the metrics {equity}");

    if available("promtool", "GPT_TRADER_REQUIRE_PROMETHEUS") {
        let mut check = Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        check.stdin.take().unwrap().write_all(halted.as_bytes()).unwrap();
        let checked = check.wait_with_output().unwrap();
        // promtool reads the classic text format, where a counter's HELP names
        // the series with its `_total`; OpenMetrics names the counter without
        // it. That is the one complaint allowed, and only for such a counter.
        let said =
            String::from_utf8_lossy(&checked.stdout).into_owned() + &String::from_utf8_lossy(&checked.stderr);
        for complaint in said.lines().filter(|l| !l.trim().is_empty()) {
            let counter =
                complaint.strip_suffix(" no help text").and_then(|name| name.strip_suffix("_total"));
            let helped = counter.is_some_and(|name| halted.contains(&format!("# HELP {name} ")));
            assert!(helped, "promtool check metrics: {complaint}\n{said}");
        }
    }

    ok(dir, &["paper", "stop", "--session", "watched"]);
    assert!(session.wait().success());
    assert!(client.get(session.url("/metrics")).send().is_err(), "the server ends with the session");
}

#[test]
fn a_session_with_loss_limits_shows_how_near_it_is_to_them() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let client = client();
    let limits = ["--max-drawdown-pct", "60", "--max-daily-loss-pct", "30"];
    let mut session = Session::start(dir, "limited", "127.0.0.1:0", &limits);
    let text = session.scrape_until(&client, "40 bars", |t| {
        value(t, "gpt_trader_session_bars_processed_total").is_some_and(|n| n >= 40.0)
    });
    assert_eq!(must(&text, "gpt_trader_session_max_drawdown_ratio"), 0.6);
    assert_eq!(must(&text, "gpt_trader_session_max_daily_loss_ratio"), 0.3);
    let drawdown = must(&text, "gpt_trader_session_drawdown_ratio");
    assert!((0.0..0.6).contains(&drawdown), "below its limit, or the session would be halted: {drawdown}");
    assert!(must(&text, "gpt_trader_session_daily_loss_ratio") < 0.3);
    ok(dir, &["paper", "stop", "--session", "limited"]);
    assert!(session.wait().success());
    let status: Value =
        serde_json::from_str(&ok(dir, &["paper", "status", "--session", "limited", "--format", "json"]))
            .unwrap();
    assert_eq!(
        (status["max_drawdown_pct"].as_f64(), status["max_daily_loss_pct"].as_f64()),
        (Some(60.0), Some(30.0))
    );
    let pct = status["drawdown_pct"].as_f64().unwrap();
    assert!((0.0..60.0).contains(&pct), "paper status: {status}");
}

#[test]
fn metrics_beyond_loopback_need_a_token_and_check_it() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let refused = assert_cmd::Command::from_std(gpt_trader(dir))
        .timeout(STEP_LIMIT)
        .args(["paper", "run", "--session", "open", "--max-bars", "5", "--metrics", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("--metrics-token") && said.lines().count() == 1, "{said}");
    let listed: Value = serde_json::from_str(&ok(dir, &["paper", "list", "--format", "json"])).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "refused before the session started: {listed}");

    let client = client();
    let session = Session::start(dir, "guarded", "0.0.0.0:0", &["--metrics-token", TOKEN]);
    let local = session.base.replacen("0.0.0.0", "127.0.0.1", 1);
    for path in ["/metrics", "/healthz"] {
        let bare = client.get(format!("{local}{path}")).send().unwrap();
        assert_eq!(bare.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(bare.headers()["www-authenticate"], "Bearer");
        let wrong =
            client.get(format!("{local}{path}")).bearer_auth("not-the-token-at-all-000").send().unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{path}");
        let right = client.get(format!("{local}{path}")).bearer_auth(TOKEN).send().unwrap();
        assert_eq!(right.status(), StatusCode::OK, "{path}");
        assert!(!right.text().unwrap().contains(TOKEN), "the token never appears in an answer");
    }
    // The token is not part of the session's definition: it is not stored.
    let started = Instant::now();
    while !ok(dir, &["paper", "list", "--format", "json"]).contains("guarded") {
        assert!(started.elapsed() < STEP_LIMIT, "the session never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = ok(dir, &["paper", "status", "--session", "guarded", "--format", "json"]);
    assert!(!status.contains(TOKEN), "{status}");

    // `paper health`, the image's HEALTHCHECK and the pods' probes, takes the token from the environment.
    let address = local.trim_start_matches("http://");
    let health = |token: Option<&str>, address: &str| {
        let mut command = assert_cmd::Command::from_std(gpt_trader(dir));
        if let Some(token) = token {
            command.env("GPT_TRADER_METRICS_TOKEN", token);
        }
        let output =
            command.timeout(STEP_LIMIT).args(["paper", "health", "--metrics", address]).output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, said, _) = health(Some(TOKEN), address);
    assert_eq!(code, Some(0), "{said}");
    let said: Value = serde_json::from_str(&said).unwrap();
    assert_eq!((said["status"].as_str(), said["session"].as_str()), (Some("ok"), Some("guarded")));
    let (code, _, complaint) = health(None, address);
    assert_eq!(code, Some(1));
    assert!(complaint.contains("needs the session's token") && complaint.lines().count() == 1, "{complaint}");
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let (code, _, complaint) = health(None, &nobody);
    assert_eq!(code, Some(1));
    assert!(complaint.contains("no session answers at"), "{complaint}");
}

#[test]
fn prometheus_scrapes_a_session_and_answers_a_query_on_it() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    if !available("prometheus", "GPT_TRADER_REQUIRE_PROMETHEUS") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    // With loss limits, so that the gauges the alerting rules read near them exist.
    let limits = ["--max-drawdown-pct", "60", "--max-daily-loss-pct", "30"];
    let session = Session::start(dir, "scraped", "127.0.0.1:0", &limits);
    let target = session.base.trim_start_matches("http://").to_owned();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: gpt-trader\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let prometheus = Running(
        Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = client();
    let query = format!("http://127.0.0.1:{port}/api/v1/query?query=gpt_trader_session_equity");
    let started = Instant::now();
    let answer = loop {
        let answer: Option<Value> = client.get(&query).send().ok().and_then(|r| r.json().ok());
        if let Some(found) =
            answer.as_ref().filter(|a| a["data"]["result"].as_array().is_some_and(|r| !r.is_empty()))
        {
            break found.clone();
        }
        assert!(started.elapsed() < STEP_LIMIT, "Prometheus never had the series: {answer:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let series = &answer["data"]["result"][0];
    assert_eq!(series["metric"]["session"], "scraped", "{answer}");
    assert_eq!(series["metric"]["job"], "gpt-trader");
    let equity: f64 = series["value"][1].as_str().unwrap().parse().unwrap();
    assert!(equity > 0.0, "{answer}");

    // The alerting rules read only series a session exports.
    let text = session.scrape(&client);
    let rules = std::fs::read_to_string(deploy().join("prometheus/alerts.yml")).unwrap();
    let read = metric_names(&rules);
    assert!(read.len() >= 9, "{read:?}");
    for name in read {
        let exported = text.contains(&format!("# TYPE {name} ")) || BY_LABEL_ONLY.contains(&name.as_str());
        assert!(exported, "alerts.yml reads {name}, which no session exports");
    }

    // Every query of the Grafana dashboard in deploy/ is valid PromQL on these series.
    for expr in dashboard_queries() {
        for name in metric_names(&expr) {
            let exported = text.contains(&format!("# TYPE {name} "))
                || BY_LABEL_ONLY.contains(&name.as_str())
                || FROM_THE_DASHBOARD.contains(&name.as_str());
            assert!(exported, "the dashboard reads {name}, which no session exports");
        }
        let expr = expr.replace("$session", ".*").replace("$job", ".*").replace("$__rate_interval", "1m");
        let answer: Value = client
            .post(format!("http://127.0.0.1:{port}/api/v1/query"))
            .form(&[("query", expr.as_str())])
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(answer["status"], "success", "{expr}: {answer}");
    }
    drop(prometheus);
}

/// Families with labels, shown only once a first child exists (a refusal, a
/// cancellation, a stream: none on this replayed session; the streams' are
/// seen in the Alpaca tests).
const BY_LABEL_ONLY: [&str; 4] = [
    "gpt_trader_session_orders_canceled",
    "gpt_trader_session_risk_refusals",
    "gpt_trader_session_stream_connected",
    "gpt_trader_session_stream_reconnects",
];

/// Series that `gpt-trader dashboard` exports, not a session (tests/dashboard.rs reads them).
const FROM_THE_DASHBOARD: [&str; 2] =
    ["gpt_trader_backtest_bars_per_second", "gpt_trader_sweep_bar_evaluations_per_second"];

/// The repository's `deploy/` folder.
fn deploy() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// The PromQL of every panel of deploy/grafana/dashboards/gpt-trader.json.
fn dashboard_queries() -> Vec<String> {
    let text = std::fs::read_to_string(deploy().join("grafana/dashboards/gpt-trader.json")).unwrap();
    let dashboard: Value = serde_json::from_str(&text).unwrap();
    let queries: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().unwrap())
        .map(|target| target["expr"].as_str().unwrap().to_owned())
        .collect();
    assert!(queries.len() >= 10, "{} queries", queries.len());
    queries
}

/// The metric families a PromQL expression reads (`gpt_trader_…`, less `_total`, `_bucket`).
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("gpt_trader_") {
        let name: String =
            rest[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        rest = &rest[at + name.len()..];
        let family = ["_total", "_bucket"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(&name);
        names.push(family.to_owned());
    }
    names
}

/// Runs a checking tool in `dir` and fails with what it said unless it passes.
fn passes(tool: &str, args: &[&str], dir: &Path) {
    let checked = Command::new(tool).args(args).current_dir(dir).output().unwrap();
    let said =
        format!("{}{}", String::from_utf8_lossy(&checked.stdout), String::from_utf8_lossy(&checked.stderr));
    assert!(checked.status.success(), "{tool} {args:?}: {said}");
}

#[test]
fn the_deployed_prometheus_config_and_alerting_rules_are_valid() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    if !available("promtool", "GPT_TRADER_REQUIRE_PROMETHEUS") {
        return;
    }
    let prometheus = deploy().join("prometheus");
    // The config names alerts.yml, so this checks the rules too.
    passes("promtool", &["check", "config", "prometheus.yml"], &prometheus);
    // Each alert fires on synthetic series when it should, and not otherwise.
    passes("promtool", &["test", "rules", "alerts_test.yml"], &prometheus);
    if available("amtool", "GPT_TRADER_REQUIRE_PROMETHEUS") {
        passes("amtool", &["check-config", "alertmanager.yml"], &deploy());
    }
}
