//! The Alpaca bars client against a local mock speaking its wire format.

use super::*;
use gt_testkit::{Reply, serve};

/// Longest a test here may take waiting on the client against a scripted server before it fails as hung.
const WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// Serves `(status, body)` replies in order.
fn mock(responses: Vec<(u16, String)>) -> (String, gt_testkit::RequestLog) {
    serve(responses.into_iter().map(|(status, body)| Reply::new(status, body)).collect())
}

fn client(url: &str) -> AlpacaClient {
    let keys = AlpacaKeys { id: "key-id".into(), secret: "s3cret".into() };
    AlpacaClient::new(url, keys, "iex", Duration::from_millis(5)).unwrap()
}

#[test]
fn pages_are_followed_and_daily_bars_keyed_by_exchange_date() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let page1 = r#"{"bars":[{"t":"2021-02-01T05:00:00Z","o":133.75,"h":135.38,"l":130.93,"c":134.14,"v":106239823,"n":712295,"vw":133.2}],"symbol":"AAPL","next_page_token":"QUFQTHxE"}"#;
    let page2 = r#"{"bars":[{"t":"2021-02-02T05:00:00Z","o":135.73,"h":136.31,"l":134.61,"c":134.99,"v":83305400,"n":512011,"vw":135.4}],"symbol":"AAPL","next_page_token":null}"#;
    let (url, seen) = mock(vec![(429, String::new()), (200, page1.into()), (200, page2.into())]);
    let bars =
        client(&url).bars("AAPL", "1Day", "2021-02-01T00:00:00Z", "2021-02-03T00:00:00Z", "all").unwrap();
    assert_eq!(bars.len(), 2);
    assert!(bars.timestamps().iter().all(|t| t.is_midnight()));
    assert_eq!(bars.timestamps()[0].to_utc().format("%Y-%m-%d").to_string(), "2021-02-01");
    assert_eq!(bars.closes(), [134.14, 134.99]);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "one retry after 429, then two pages");
    assert!(
        seen[1].contains("timeframe=1Day")
            && seen[1].contains("feed=iex")
            && seen[1].contains("adjustment=all")
    );
    assert!(seen[1].contains("start=2021-02-01T00%3A00%3A00Z"));
    assert!(seen[2].contains("page_token=QUFQTHxE"), "{}", seen[2]);
    assert!(seen[1].to_ascii_lowercase().contains("apca-api-key-id: key-id"));
}

#[test]
fn refused_keys_are_reported_without_the_secret() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let (url, _) = mock(vec![(403, r#"{"message":"forbidden"}"#.into())]);
    let error = client(&url).bars("AAPL", "1Day", "a", "b", "raw").unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("AAPL: HTTP 403: forbidden; check APCA_API_KEY_ID"), "{text}");
    assert!(!text.contains("s3cret") && !format!("{error:?}").contains("s3cret"));
    assert_eq!(format!("{:?}", AlpacaKeys { id: "a".into(), secret: "s3cret".into() }), "AlpacaKeys(***)");
}

#[test]
fn intraday_bars_keep_their_utc_time_and_bad_bars_are_reported() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let body = r#"{"bars":[{"t":"2024-01-10T14:30:00Z","o":1,"h":2,"l":0.5,"c":1.5,"v":10}],"next_page_token":null}"#;
    let (url, _) =
        mock(vec![(200, body.into()), (200, r#"{"bars":[{"t":"2024-01-10T14:30:00Z","o":1}]}"#.into())]);
    let bars = client(&url).bars("X", "1Min", "a", "b", "raw").unwrap();
    assert_eq!(bars.timestamps()[0].to_utc().format("%H:%M").to_string(), "14:30");
    assert!(matches!(client(&url).bars("X", "1Min", "a", "b", "raw"), Err(FetchError::Malformed { .. })));
}

#[test]
fn several_symbols_come_in_one_paged_request() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let page1 = r#"{"bars":{"AAPL":[{"t":"2021-02-01T05:00:00Z","o":1,"h":1,"l":1,"c":1,"v":1}],"MSFT":[{"t":"2021-02-01T05:00:00Z","o":2,"h":2,"l":2,"c":2,"v":2}]},"next_page_token":"P2"}"#;
    let page2 = r#"{"bars":{"MSFT":[{"t":"2021-02-02T05:00:00Z","o":3,"h":3,"l":3,"c":3,"v":3}]},"next_page_token":null}"#;
    let (url, seen) = mock(vec![(200, page1.into()), (200, page2.into())]);
    let symbols = vec!["AAPL".to_owned(), "MSFT".to_owned(), "TSLA".to_owned()];
    let bars = client(&url).bars_many(&symbols, "1Day", "a", "b", "all").unwrap();
    assert_eq!(bars.keys().collect::<Vec<_>>(), ["AAPL", "MSFT"], "TSLA had no bars");
    assert_eq!(bars["MSFT"].closes(), [2.0, 3.0], "bars of one symbol continue across pages");
    let seen = seen.lock().unwrap();
    assert!(seen[0].contains("GET /v2/stocks/bars?symbols=AAPL%2CMSFT%2CTSLA"), "{}", seen[0]);
    assert!(seen[1].contains("page_token=P2"));
}
