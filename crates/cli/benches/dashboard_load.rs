//! Load on `gpt-trader dashboard`, on loopback only: a store of 10,000 runs,
//! 50 clients following a running paper session over server-sent events, and
//! 200 requests a second on the runs page for 30 seconds. Prints one JSON
//! line: requests sent and answered, errors, and the latency quantiles.
//!
//! `cargo bench -p gpt-trader --bench dashboard_load` (release build).
//! `DASHBOARD_LOAD_SECONDS`, `DASHBOARD_LOAD_RUNS` shorten it for a check.

#[path = "../tests/support/spawned.rs"]
mod spawned;

use gt_store::{RunDetails, RunFilter, Store};
use reqwest::blocking::Client;
use serde_json::{Value, json};
use spawned::Running;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Requests a second on the runs page.
const RATE: u64 = 200;
/// Clients on the session's event stream.
const SSE_CLIENTS: usize = 50;
/// Threads sending the page requests (each keeps its share of the rate).
const SENDERS: u64 = 8;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The binary with its data folder in `dir`.
fn gpt_trader(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gpt-trader"));
    command.env("GPT_TRADER_DATA", dir).env_remove("GPT_TRADER_DB").env_remove("GPT_TRADER_DASHBOARD_TOKEN");
    command
}

/// One backtest, then `runs - 1` copies of its summary (small details: the runs page reads summaries).
fn seed(dir: &Path, runs: u64) {
    let status = gpt_trader(dir).args(["backtest"]).stdout(Stdio::null()).status().expect("backtest runs");
    assert!(status.success(), "the seeding backtest failed");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let store =
            Store::open(&format!("sqlite://{}", dir.join("runs.db").display())).await.expect("the store");
        let first = store.list(&RunFilter::default()).await.expect("runs").remove(0);
        let details =
            RunDetails { trades: json!([]), equity: json!([]), refusals: json!([]), chart: Value::Null };
        for n in 1..runs {
            let mut run = first.run.clone();
            run.strategy = ["demo_ma", "momentum", "mean_reversion", "volatility"][n as usize % 4].to_owned();
            store.save(&run, &details).await.expect("a seeded run");
        }
        store.close().await;
    });
}

/// The `p` quantile (0–1) of sorted `values`.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let seconds = env_or("DASHBOARD_LOAD_SECONDS", 30);
    let runs = env_or("DASHBOARD_LOAD_RUNS", 10_000);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let dir = dir.path();
    let seeding = Instant::now();
    seed(dir, runs);
    eprintln!("seeded {runs} runs in {:.1} s", seeding.elapsed().as_secs_f64());

    // A session that keeps running (a bar a second) for the event streams to follow.
    let _session = Running(
        gpt_trader(dir)
            .args(["paper", "run", "--session", "live", "--speed", "1"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("a paper session"),
    );
    let mut command = gpt_trader(dir);
    command.args(["dashboard", "--bind", "127.0.0.1:0"]);
    let (_dashboard, base) = spawned::spawn_serving(command, "Dashboard on http://", Duration::from_secs(60));
    let client = Client::builder().timeout(Duration::from_secs(10)).build().expect("a client");
    // Wait for the session to exist before the streams connect.
    let started = Instant::now();
    while !client.get(format!("{base}/api/v1/sessions/live")).send().is_ok_and(|r| r.status().is_success()) {
        assert!(started.elapsed() < Duration::from_secs(60), "the session never showed up");
        std::thread::sleep(Duration::from_millis(100));
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let sse_errors = Arc::new(AtomicU64::new(0));
    let sse_bytes = Arc::new(AtomicU64::new(0));
    let streams: Vec<_> = (0..SSE_CLIENTS)
        .map(|_| {
            let (url, errors, bytes) = (
                format!("{base}/api/v1/sessions/live/events"),
                Arc::clone(&sse_errors),
                Arc::clone(&sse_bytes),
            );
            std::thread::spawn(move || {
                let client =
                    Client::builder().timeout(Duration::from_secs(seconds + 30)).build().expect("a client");
                let mut response = match client.get(url).send() {
                    Ok(r) if r.status().is_success() => r,
                    _ => return errors.fetch_add(1, Ordering::Relaxed),
                };
                let mut buffer = [0u8; 4096];
                while Instant::now() < deadline {
                    match response.read(&mut buffer) {
                        Ok(0) | Err(_) => return errors.fetch_add(1, Ordering::Relaxed),
                        Ok(n) => bytes.fetch_add(n as u64, Ordering::Relaxed),
                    };
                }
                0
            })
        })
        .collect();

    let senders: Vec<_> = (0..SENDERS)
        .map(|k| {
            let url = format!("{base}/runs");
            std::thread::spawn(move || {
                let client = Client::builder().timeout(Duration::from_secs(10)).build().expect("a client");
                let interval = Duration::from_secs_f64(SENDERS as f64 / RATE as f64);
                // Staggered, then on a fixed schedule: a slow answer delays the next request, never the plan.
                let mut next = Instant::now() + interval.mul_f64(k as f64 / SENDERS as f64);
                let (mut latencies, mut errors) = (Vec::new(), 0u64);
                while next < deadline {
                    if let Some(wait) = next.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let sent = Instant::now();
                    match client.get(&url).send().and_then(|r| r.error_for_status()).and_then(|r| r.bytes()) {
                        Ok(_) => latencies.push(sent.elapsed().as_secs_f64() * 1e3),
                        Err(_) => errors += 1,
                    }
                    next += interval;
                }
                (latencies, errors)
            })
        })
        .collect();

    let (mut latencies, mut errors) = (Vec::new(), 0);
    for sender in senders {
        let (l, e) = sender.join().expect("a sender");
        latencies.extend(l);
        errors += e;
    }
    for stream in streams {
        stream.join().expect("a stream reader");
    }
    latencies.sort_by(f64::total_cmp);
    let line = json!({
        "name": "dashboard_load",
        "runs": runs,
        "seconds": seconds,
        "target_rps": RATE,
        "answered": latencies.len(),
        "achieved_rps": latencies.len() as f64 / seconds as f64,
        "errors": errors,
        "p50_ms": quantile(&latencies, 0.5),
        "p99_ms": quantile(&latencies, 0.99),
        "max_ms": latencies.last().copied(),
        "sse_clients": SSE_CLIENTS,
        "sse_errors": sse_errors.load(Ordering::Relaxed),
        "sse_bytes": sse_bytes.load(Ordering::Relaxed),
    });
    println!("{line}");
}
