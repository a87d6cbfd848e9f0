//! `gpt-trader data fetch` against a local mock of Yahoo's chart API.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// Longest a test here may take waiting on a fetch from a mock server before it fails as hung.
const WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Serves `(status, body)` replies in order (each allowing an immediate retry).
fn mock(responses: Vec<(u16, String)>) -> (String, gt_testkit::RequestLog) {
    gt_testkit::serve(
        responses
            .into_iter()
            .map(|(status, body)| gt_testkit::Reply::new(status, body).header("Retry-After: 0"))
            .collect(),
    )
}

fn chart(timestamps: &[i64], closes: &[f64], split_at: Option<i64>) -> String {
    let list = |v: Vec<String>| v.join(",");
    let events = split_at.map_or(String::new(), |t| {
        format!(r#""events":{{"splits":{{"{t}":{{"date":{t},"numerator":4,"denominator":1}}}}}},"#)
    });
    format!(
        r#"{{"chart":{{"result":[{{"timestamp":[{}],{events}"indicators":{{"quote":[{{"open":[{c}],"high":[{c}],"low":[{c}],"close":[{c}],"volume":[{v}]}}]}}}}],"error":null}}}}"#,
        list(timestamps.iter().map(|t| t.to_string()).collect()),
        c = list(closes.iter().map(|c| c.to_string()).collect()),
        v = list(closes.iter().map(|_| "100".to_owned()).collect()),
    )
}

fn fetch(data: &Path, url: &str, start: &str, end: &str) -> std::process::Output {
    Command::cargo_bin("gpt-trader")
        .unwrap()
        .env("GPT_TRADER_DATA", data)
        .env("GPT_TRADER_YAHOO_URL", url)
        .args(["data", "fetch", "--source", "yahoo", "--symbols", "AAPL", "--start", start, "--end", end])
        .timeout(WAIT_LIMIT)
        .output()
        .unwrap()
}

fn listed(data: &Path) -> Value {
    let output = Command::cargo_bin("gpt-trader")
        .unwrap()
        .env("GPT_TRADER_DATA", data)
        .args(["data", "list", "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn fetch_caches_adjusted_bars_asks_only_for_what_is_missing_and_survives_a_failed_fetch() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let data = tempfile::tempdir().unwrap();
    // Aug 27, 28 and 31 2020 (the 4:1 split takes effect Aug 31).
    let first = chart(&[1598535000, 1598621400, 1598880600], &[500.0, 499.0, 129.0], Some(1598880600));
    let later = chart(&[1599139800], &[120.0], None);
    let failing: Vec<(u16, String)> = (0..5).map(|_| (503, String::new())).collect();
    let mut responses = vec![(200, first)];
    responses.extend(failing);
    responses.push((200, later));
    let (url, requests) = mock(responses);

    let output = fetch(data.path(), &url, "2020-08-27", "2020-09-01");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("AAPL: 3 new bars from 2020-08-27, 3 cached, 1 corporate actions")
    );
    let adjusted =
        listed(data.path()).as_array().unwrap().iter().find(|e| e["interval"] == "1d").unwrap().clone();
    assert_eq!((adjusted["rows"].as_u64(), adjusted["first"].as_str()), (Some(3), Some("2020-08-27")));

    // A second fetch asks from the day after the last cached bar; the server fails every retry.
    let output = fetch(data.path(), &url, "2020-08-27", "2020-09-04");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("HTTP 503 after 5 tries"));
    assert!(
        !std::fs::read_dir(data.path().join("bars/1d")).unwrap().any(|f| f
            .unwrap()
            .path()
            .to_string_lossy()
            .ends_with(".tmp"))
    );
    assert_eq!(
        listed(data.path()).as_array().unwrap().iter().find(|e| e["interval"] == "1d").unwrap()["rows"],
        3,
        "the cache is as it was"
    );

    // The next fetch resumes where the cache ends and merges.
    let output = fetch(data.path(), &url, "2020-08-27", "2020-09-04");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let requests = requests.lock().unwrap();
    assert!(requests[1].contains("period1=1598918400"), "from 2020-09-01: {}", requests[1]);
    assert!(requests.last().unwrap().contains("period1=1598918400"));
    let entry =
        listed(data.path()).as_array().unwrap().iter().find(|e| e["interval"] == "1d").unwrap().clone();
    assert_eq!((entry["rows"].as_u64(), entry["last"].as_str()), (Some(4), Some("2020-09-03")));

    // Backtests read the adjusted series: the split is no crash.
    let output = Command::cargo_bin("gpt-trader")
        .unwrap()
        .env("GPT_TRADER_DATA", data.path())
        .args(["data", "show", "AAPL", "--rows", "2"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(shown.contains("125") && !shown.contains("500"), "pre-split prices divided by 4: {shown}");
}

fn alpaca_fetch(data: &Path, url: &str, keys: bool, symbols: &str, end: &str) -> std::process::Output {
    let mut command = Command::cargo_bin("gpt-trader").unwrap();
    command.env("GPT_TRADER_DATA", data).env("APCA_API_DATA_URL", url);
    if keys {
        command.env("APCA_API_KEY_ID", "id").env("APCA_API_SECRET_KEY", "secret");
    } else {
        command.env_remove("APCA_API_KEY_ID").env_remove("APCA_API_SECRET_KEY");
    }
    command
        .args([
            "data",
            "fetch",
            "--source",
            "alpaca",
            "--symbols",
            symbols,
            "--start",
            "2021-02-01",
            "--end",
            end,
        ])
        .timeout(WAIT_LIMIT)
        .output()
        .unwrap()
}

#[test]
fn alpaca_fetch_follows_pages_and_then_asks_only_for_new_bars() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let data = tempfile::tempdir().unwrap();
    let bar = |day: u32, close: f64| {
        format!(
            r#"{{"t":"2021-02-{day:02}T05:00:00Z","o":{close},"h":{close},"l":{close},"c":{close},"v":100}}"#
        )
    };
    let page = |bars: Vec<String>, token: &str| {
        format!(r#"{{"bars":[{}],"symbol":"MSFT","next_page_token":{token}}}"#, bars.join(","))
    };
    let (url, requests) = mock(vec![
        (200, page(vec![bar(1, 239.0), bar(2, 240.0)], "\"TOKEN\"")),
        (200, page(vec![bar(3, 243.0)], "null")),
        (200, page(vec![bar(4, 242.0)], "null")),
    ]);
    let first = alpaca_fetch(data.path(), &url, true, "MSFT", "2021-02-04");
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stdout).contains("MSFT 1d: 3 new bars"));
    let second = alpaca_fetch(data.path(), &url, true, "MSFT", "2021-02-05");
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let requests = requests.lock().unwrap();
    assert!(requests[1].contains("page_token=TOKEN"), "{}", requests[1]);
    assert!(requests[2].contains("start=2021-02-04T00%3A00%3A00Z"), "only what is missing: {}", requests[2]);
    let entry =
        listed(data.path()).as_array().unwrap().iter().find(|e| e["symbol"] == "MSFT").unwrap().clone();
    assert_eq!(
        (entry["rows"].as_u64(), entry["last"].as_str(), entry["source"].as_str()),
        (Some(4), Some("2021-02-04"), Some("alpaca"))
    );

    let no_keys = alpaca_fetch(data.path(), &url, false, "MSFT", "2021-02-05");
    assert_eq!(no_keys.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&no_keys.stderr)
            .contains("Alpaca needs keys: set APCA_API_KEY_ID and APCA_API_SECRET_KEY")
    );
}

#[test]
fn alpaca_fetches_new_symbols_together() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let data = tempfile::tempdir().unwrap();
    let body = r#"{"bars":{"AAPL":[{"t":"2021-02-01T05:00:00Z","o":1,"h":1,"l":1,"c":1,"v":1}],"MSFT":[{"t":"2021-02-01T05:00:00Z","o":2,"h":2,"l":2,"c":2,"v":2}]},"next_page_token":null}"#;
    // One multi-symbol request, then each symbol is up to date.
    let (url, requests) = mock(vec![(200, body.to_owned())]);
    let output = alpaca_fetch(data.path(), &url, true, "AAPL,MSFT", "2021-02-02");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("AAPL 1d: 1 new bars") && stdout.contains("MSFT 1d: up to date"), "{stdout}");
    let requests = requests.lock().unwrap();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].contains("/v2/stocks/bars?symbols=AAPL%2CMSFT"), "{}", requests[0]);
    assert_eq!(listed(data.path()).as_array().unwrap().len(), 2);
}

#[test]
fn an_empty_alpaca_answer_says_so_on_stderr() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let data = tempfile::tempdir().unwrap();
    // The empty answer alpaca-py's tests record, for the multi-symbol and then each single-symbol request.
    let empty = r#"{"bars": {}, "next_page_token": null}"#.to_owned();
    let (url, _) = mock(vec![(200, empty.clone()), (200, empty.clone()), (200, empty)]);
    let output = alpaca_fetch(data.path(), &url, true, "AAPL,MSFT", "2021-02-02");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for symbol in ["AAPL", "MSFT"] {
        assert!(
            stderr.contains(&format!("note: Alpaca returned no 1d bars for {symbol} from 2021-02-01")),
            "{stderr}"
        );
    }
}
