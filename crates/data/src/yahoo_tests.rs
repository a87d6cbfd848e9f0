//! The Yahoo client against a local mock server speaking the chart wire format.

use super::*;
use gt_testkit::{Reply, serve};

/// Longest a test here may take waiting on the client against a scripted server before it fails as hung.
const WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Serves `(status, extra header, body)` replies in order.
fn mock(responses: Vec<(u16, &'static str, String)>) -> (String, gt_testkit::RequestLog) {
    serve(
        responses
            .into_iter()
            .map(|(status, header, body)| {
                let reply = Reply::new(status, body);
                if header.is_empty() { reply } else { reply.header(header.trim_end()) }
            })
            .collect(),
    )
}

/// Five sessions around AAPL's 4:1 split of 2020-08-31, a null quote on
/// 2020-09-01 and a 0.5 dividend going ex on 2020-09-02.
fn chart() -> String {
    r#"{"chart":{"result":[{"meta":{"symbol":"AAPL","exchangeTimezoneName":"America/New_York"},
      "timestamp":[1598535000,1598621400,1598880600,1598967000,1599053400],
      "events":{"dividends":{"1599053400":{"amount":0.5,"date":1599053400}},
                "splits":{"1598880600":{"date":1598880600,"numerator":4,"denominator":1,"splitRatio":"4:1"}}},
      "indicators":{"quote":[{"open":[500,496,127,null,132],"high":[502,500,131,null,135],"low":[495,492,126,null,130],
                              "close":[500,499,129,null,131],"volume":[100,200,1000,null,900]}],
                    "adjclose":[{"adjclose":[124.1,124.4,128.3,null,130.5]}]}}],"error":null}}"#
        .to_owned()
}

fn client(url: &str) -> YahooClient {
    YahooClient::new(url, Duration::from_millis(5)).unwrap()
}

#[test]
fn parses_bars_by_exchange_date_skipping_null_quotes() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let (url, requests) = mock(vec![(200, "", chart())]);
    let history = client(&url).daily("AAPL", 1_598_400_000, 1_599_100_000).unwrap();
    let bars = &history.bars;
    assert_eq!(bars.len(), 4, "the null day is left out");
    let dates: Vec<String> =
        bars.timestamps().iter().map(|t| t.to_utc().format("%Y-%m-%d").to_string()).collect();
    assert_eq!(dates, ["2020-08-27", "2020-08-28", "2020-08-31", "2020-09-02"]);
    assert!(bars.timestamps().iter().all(|t| t.is_midnight()));
    assert_eq!(history.actions.len(), 2);
    let request = &requests.lock().unwrap()[0];
    assert!(
        request.starts_with(
            "GET /v8/finance/chart/AAPL?period1=1598400000&period2=1599100000&interval=1d&events=div%2Csplits"
        ),
        "{request}"
    );
}

#[test]
fn split_and_dividend_adjustment_is_computed_from_the_events() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let (url, _) = mock(vec![(200, "", chart())]);
    let history = client(&url).daily("AAPL", 0, 1).unwrap();
    let adjusted = adjust(&history.bars, &history.actions);
    // Dividend factor for days before 09-02: 1 - 0.5 / 129 (the previous close, 08-31).
    let dividend = 1.0 - 0.5 / 129.0;
    let close = |i: usize| adjusted.closes()[i];
    assert!((close(0) - 500.0 / 4.0 * dividend).abs() < 1e-12, "{}", close(0));
    assert!((close(2) - 129.0 * dividend).abs() < 1e-12);
    assert_eq!(close(3), 131.0, "the last bar is unchanged");
    assert_eq!(adjusted.bar(0).volume, 400.0, "volumes before the split scale up by its ratio");
    // The split no longer shows as a 75 % fall.
    assert!((close(2) / close(1) - 1.0).abs() < 0.05);
}

#[test]
fn rate_limits_and_server_errors_are_retried_then_given_up() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let (url, requests) =
        mock(vec![(429, "Retry-After: 0\r\n", String::new()), (503, "", String::new()), (200, "", chart())]);
    assert_eq!(client(&url).daily("AAPL", 0, 1).unwrap().bars.len(), 4);
    assert_eq!(requests.lock().unwrap().len(), 3);

    let (url, requests) = mock((0..5).map(|_| (429, "", String::new())).collect());
    let error = client(&url).daily("AAPL", 0, 1).unwrap_err();
    assert_eq!(error, FetchError::GaveUp { symbol: "AAPL".into(), status: 429, tries: 5 });
    assert_eq!(requests.lock().unwrap().len(), 5);
}

#[test]
fn chart_errors_are_reported_with_yahoos_words() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let body = r#"{"chart":{"result":null,"error":{"code":"Not Found","description":"No data found, symbol may be delisted"}}}"#;
    let (url, _) = mock(vec![(404, "", body.to_owned())]);
    let error = client(&url).daily("NOPE", 0, 1).unwrap_err().to_string();
    assert_eq!(error, "NOPE: Yahoo says Not Found: No data found, symbol may be delisted");

    let (url, _) = mock(vec![(200, "", "{\"chart\":{}}".to_owned())]);
    assert!(matches!(client(&url).daily("X", 0, 1), Err(FetchError::Malformed { .. })));
}

#[test]
fn unreachable_hosts_fail_clearly() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let error = client(&format!("http://127.0.0.1:{port}")).daily("AAPL", 0, 1).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("AAPL: cannot reach http://127.0.0.1:{port}/v8/finance/chart/AAPL")),
        "{error}"
    );
}

#[test]
fn intraday_bars_keep_their_utc_start() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let (url, requests) = mock(vec![(200, "", chart())]);
    let history = client(&url).history("AAPL", 0, 1, "1h").unwrap();
    assert_eq!(history.bars.timestamps()[0], Timestamp::from_nanos(1_598_535_000_000_000_000));
    assert!(requests.lock().unwrap()[0].contains("interval=1h"));
}
