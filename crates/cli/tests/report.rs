//! The HTML report opened in headless Chromium: every chart drawn with data,
//! no script error, and a screenshot kept as a test artifact
//! (`target/tmp/report.png`).

#[path = "support/browser.rs"]
mod browser;

use assert_cmd::Command;
use browser::{HEADLESS, attribute, chromium};
use std::path::Path;
use std::process::Command as Process;

/// Longest a test here may take waiting on headless Chromium before it fails as hung.
const WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(180);

fn browse(browser: &str, profile: &Path, extra: &[&str], page: &Path) -> std::process::Output {
    Process::new(browser)
        .args(HEADLESS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(["--window-size=1400,2600", "--virtual-time-budget=10000"])
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

#[test]
fn html_report_renders_every_chart_in_chromium() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let Some(browser) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    Command::cargo_bin("gpt-trader")
        .unwrap()
        .args(["backtest", "--commission", "0.002", "--no-save", "--report"])
        .arg(&page)
        .assert()
        .success();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(!html.contains("<script src") && !html.contains("<link"), "self-contained, nothing fetched");

    let output = browse(browser, &dir.path().join("profile-dom"), &["--dump-dom"], &page);
    let dom = String::from_utf8_lossy(&output.stdout);
    assert_eq!(attribute(&dom, "data-errors", "data-errors").as_deref(), Some(""), "no script error");
    assert_eq!(attribute(&dom, "data-charts", "data-charts").as_deref(), Some("4"), "four charts drawn");
    for (id, at_least) in [
        ("equity", 2148),
        ("drawdown", 2148),
        ("price", 2),
        ("monthly", 100),
        ("sharpe", 1000),
        ("trades", 93),
    ] {
        let points: usize = attribute(&dom, &format!("id=\"{id}\""), "data-points")
            .unwrap_or_else(|| panic!("{id} has no data"))
            .parse()
            .unwrap();
        assert!(points >= at_least, "{id}: {points} points");
    }
    assert!(dom.matches("<canvas").count() >= 4, "the charts drew on canvases");
    // The statistics panel uses the backtest table's labels, in its order.
    let (at_return, at_trades) = (dom.find("<td>Return [%]</td>"), dom.find("<td># Trades</td>"));
    assert!(at_return.is_some() && at_trades.is_some() && at_return < at_trades, "labelled statistics");
    assert!(dom.contains("<td>Buy &amp; Hold Return [%]</td>") && !dom.contains("<td>return_pct</td>"));

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    let _ = std::fs::remove_file(&shot);
    browse(browser, &dir.path().join("profile-shot"), &[&format!("--screenshot={}", shot.display())], &page);
    assert!(
        std::fs::metadata(&shot).map(|m| m.len() > 50_000).unwrap_or(false),
        "screenshot written to {}",
        shot.display()
    );
}
