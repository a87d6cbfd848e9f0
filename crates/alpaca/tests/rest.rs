//! The trading client against a scripted server on 127.0.0.1 that answers
//! with bodies shaped exactly as Alpaca's, faults included.

use gt_alpaca::{AlpacaError, NewOrder, TradingClient};
use gt_data::alpaca::AlpacaKeys;
use gt_testkit::{Reply, serve};
use rust_decimal::Decimal;
use std::str::FromStr;
use std::time::Duration;

/// Longest a test here may take waiting on the client against a scripted server before it fails as hung.
const WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

fn client(url: &str) -> TradingClient {
    TradingClient::new(url, AlpacaKeys::new("PKTEST", "s3cret-key"), Duration::from_millis(1)).unwrap()
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// An order body as Alpaca sends it.
fn order_body(client_id: &str, status: &str, filled: &str) -> String {
    format!(
        r#"{{"id":"61e69015-8549-4bfd-b9c3-01e75843f47d","client_order_id":"{client_id}","created_at":"2024-03-05T14:30:01.123Z",
        "updated_at":"2024-03-05T14:30:01.123Z","submitted_at":"2024-03-05T14:30:01.120Z","filled_at":null,"expired_at":null,
        "canceled_at":null,"failed_at":null,"replaced_at":null,"replaced_by":null,"replaces":null,
        "asset_id":"b0b6dd9d-8b9b-48a9-ba46-b9d54906e415","symbol":"AAPL","asset_class":"us_equity","notional":null,
        "qty":"10","filled_qty":"{filled}","filled_avg_price":null,"order_class":"","order_type":"market","type":"market",
        "side":"buy","position_intent":"buy_to_open","time_in_force":"day","limit_price":null,"stop_price":null,
        "status":"{status}","extended_hours":false,"legs":null,"trail_percent":null,"trail_price":null,"hwm":null}}"#
    )
}

fn market_buy(client_id: &str) -> NewOrder {
    NewOrder {
        symbol: "AAPL".into(),
        qty: dec("10"),
        side: "buy".into(),
        order_type: "market".into(),
        time_in_force: "day".into(),
        limit_price: None,
        stop_price: None,
        trail_percent: None,
        client_order_id: client_id.into(),
    }
}

#[test]
fn account_and_positions_parse_decimal_strings_exactly() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let account = r#"{"id":"e6fe16f3-64a4-4921-8928-cadf02f92f98","account_number":"PA2ABCDEF","status":"ACTIVE",
        "currency":"USD","cash":"4000.32","portfolio_value":"103820.56","equity":"103820.56","buying_power":"262113.632",
        "trading_blocked":false,"transfers_blocked":false,"account_blocked":false,"pattern_day_trader":false,
        "daytrade_count":0,"last_equity":"103529.24","multiplier":"4"}"#;
    let positions = r#"[{"asset_id":"904837e3-3b76-47ec-b432-046db621571b","symbol":"AAPL","exchange":"NASDAQ",
        "asset_class":"us_equity","avg_entry_price":"100.0","qty":"5","qty_available":"5","side":"long",
        "market_value":"600.0","cost_basis":"500.0","unrealized_pl":"100.0","unrealized_plpc":"0.20",
        "current_price":"120.0","lastday_price":"119.0","change_today":"0.0084"},
        {"asset_id":"x","symbol":"TSLA","exchange":"NASDAQ","asset_class":"us_equity","avg_entry_price":"0.1",
        "qty":"-0.3","side":"short","market_value":"-0.09","unrealized_pl":"0.06","current_price":"0.3"}]"#;
    let (url, log) = serve(vec![Reply::new(200, account), Reply::new(200, positions)]);
    let client = client(&url);
    let runtime = runtime();
    let account = runtime.block_on(client.account()).unwrap();
    assert_eq!(
        (account.cash, account.equity, account.buying_power),
        (dec("4000.32"), dec("103820.56"), dec("262113.632"))
    );
    let positions = runtime.block_on(client.positions()).unwrap();
    assert_eq!(positions[1].qty, dec("-0.3"));
    // Exact: 0.1 + 0.2 is 0.3 in decimals (it is not in binary floating point).
    assert_eq!(positions[1].avg_entry_price + dec("0.2"), dec("0.3"));
    let requests = log.lock().unwrap();
    assert!(requests[0].starts_with("GET /v2/account HTTP/1.1"));
    assert!(requests[0].to_lowercase().contains("apca-api-key-id: pktest"));
    assert!(requests[1].starts_with("GET /v2/positions"));
}

#[test]
fn an_order_goes_out_with_its_client_id_and_string_quantities() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let (url, log) = serve(vec![Reply::new(200, order_body("s-demo-AAPL-3-0", "accepted", "0"))]);
    let order = runtime().block_on(client(&url).submit_order(&market_buy("s-demo-AAPL-3-0"))).unwrap();
    assert_eq!((order.status.as_str(), order.qty, order.filled_qty), ("accepted", Some(dec("10")), dec("0")));
    let requests = log.lock().unwrap();
    assert!(requests[0].starts_with("POST /v2/orders HTTP/1.1"));
    let body: serde_json::Value = serde_json::from_str(requests[0].split("\n\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["qty"], "10");
    assert_eq!(body["client_order_id"], "s-demo-AAPL-3-0");
    assert_eq!(body["type"], "market");
}

#[test]
fn rate_limits_are_waited_out_as_the_headers_say() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let (url, log) = serve(vec![
        Reply::new(429, r#"{"code":42910000,"message":"rate limit exceeded"}"#)
            .header("X-RateLimit-Limit: 200")
            .header("X-RateLimit-Remaining: 0")
            .header("X-RateLimit-Reset: 1700000000"),
        Reply::new(429, "").header("Retry-After: 0"),
        Reply::new(200, order_body("c1", "accepted", "0")),
    ]);
    let order = runtime().block_on(client(&url).submit_order(&market_buy("c1"))).unwrap();
    assert_eq!(order.client_order_id, "c1");
    assert_eq!(log.lock().unwrap().iter().filter(|r| r.starts_with("POST /v2/orders")).count(), 3);
}

#[test]
fn a_lost_submission_is_looked_up_before_it_is_sent_again() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    // 5xx, and Alpaca does not have it: resend.
    let (url, log) = serve(vec![
        Reply::new(503, "upstream connect error"),
        Reply::new(404, r#"{"code":40410000,"message":"order not found"}"#),
        Reply::new(200, order_body("c2", "accepted", "0")),
    ]);
    runtime().block_on(client(&url).submit_order(&market_buy("c2"))).unwrap();
    let requests: Vec<String> =
        log.lock().unwrap().iter().map(|r| r.lines().next().unwrap().to_owned()).collect();
    assert_eq!(
        requests,
        [
            "POST /v2/orders HTTP/1.1",
            "GET /v2/orders:by_client_order_id?client_order_id=c2 HTTP/1.1",
            "POST /v2/orders HTTP/1.1"
        ]
    );

    // 5xx, but Alpaca took it: no second copy.
    let (url, log) = serve(vec![Reply::new(500, "oops"), Reply::new(200, order_body("c3", "filled", "10"))]);
    let order = runtime().block_on(client(&url).submit_order(&market_buy("c3"))).unwrap();
    assert_eq!((order.status.as_str(), order.filled_qty), ("filled", dec("10")));
    assert_eq!(log.lock().unwrap().iter().filter(|r| r.starts_with("POST")).count(), 1);
}

#[test]
fn a_duplicate_client_order_id_returns_the_order_already_there() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let (url, _) = serve(vec![
        Reply::new(422, r#"{"code":40010001,"message":"client_order_id must be unique"}"#),
        Reply::new(200, order_body("c4", "partially_filled", "4")),
    ]);
    let order = runtime().block_on(client(&url).submit_order(&market_buy("c4"))).unwrap();
    assert_eq!((order.status.as_str(), order.filled_qty), ("partially_filled", dec("4")));
}

#[test]
fn refusals_are_typed_and_never_show_the_secret() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let (url, _) = serve(vec![
        Reply::new(403, r#"{"code":40310000,"message":"insufficient buying power"}"#),
        Reply::new(422, r#"{"code":40010001,"message":"qty must be > 0"}"#),
        Reply::new(401, r#"{"message":"unauthorized."}"#),
    ]);
    let client = client(&url);
    let runtime = runtime();
    let forbidden = runtime.block_on(client.submit_order(&market_buy("c5"))).unwrap_err();
    assert!(
        matches!(&forbidden, AlpacaError::Forbidden { message } if message == "insufficient buying power")
    );
    let invalid = runtime.block_on(client.submit_order(&market_buy("c6"))).unwrap_err();
    assert!(matches!(&invalid, AlpacaError::Unprocessable { message } if message == "qty must be > 0"));
    let unauthorized = runtime.block_on(client.account()).unwrap_err();
    assert!(matches!(unauthorized, AlpacaError::Unauthorized));
    for error in [forbidden, invalid, unauthorized] {
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }
}

#[test]
fn reads_retry_server_errors_but_give_up_in_the_end() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let replies = (0..5).map(|_| Reply::new(502, "bad gateway")).collect();
    let (url, log) = serve(replies);
    let error = runtime().block_on(client(&url).clock()).unwrap_err();
    assert!(matches!(error, AlpacaError::GaveUp { status: 502, tries: 5, .. }), "{error}");
    assert_eq!(log.lock().unwrap().len(), 5);
}

#[test]
fn cancel_all_and_close_all_read_the_multi_status_lists() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let cancelled = format!(
        r#"[{{"id":"61e69015-8549-4bfd-b9c3-01e75843f47d","status":200,"body":{}}},
           {{"id":"9b2e52a2-0d6a-4b6e-9e4b-0a1f6b3c1d2e","status":500,"body":{{"code":50010000,"message":"internal"}}}}]"#,
        order_body("c7", "pending_cancel", "0")
    );
    let closed =
        format!(r#"[{{"symbol":"AAPL","status":200,"body":{}}}]"#, order_body("close-aapl", "accepted", "0"));
    let (url, log) = serve(vec![Reply::new(207, cancelled), Reply::new(207, closed), Reply::new(207, "[]")]);
    let client = client(&url);
    let runtime = runtime();
    let items = runtime.block_on(client.cancel_all_orders()).unwrap();
    assert_eq!(items.iter().map(|i| i.status).collect::<Vec<_>>(), [200, 500]);
    let items = runtime.block_on(client.close_all_positions()).unwrap();
    assert_eq!((items[0].symbol.as_deref(), items[0].status), (Some("AAPL"), 200));
    assert!(runtime.block_on(client.cancel_all_orders()).unwrap().is_empty());
    let requests = log.lock().unwrap();
    assert!(requests[0].starts_with("DELETE /v2/orders HTTP/1.1"));
    assert!(requests[1].starts_with("DELETE /v2/positions?cancel_orders=true"));
}

#[test]
fn clock_calendar_and_assets_parse() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let (url, _) = serve(vec![
        Reply::new(
            200,
            r#"{"timestamp":"2024-03-05T10:15:00.123-05:00","is_open":true,"next_open":"2024-03-06T09:30:00-05:00","next_close":"2024-03-05T16:00:00-05:00"}"#,
        ),
        Reply::new(
            200,
            r#"[{"date":"2024-11-29","open":"09:30","close":"13:00","session_open":"0400","session_close":"2000","settlement_date":"2024-12-03"}]"#,
        ),
        Reply::new(
            200,
            r#"{"id":"b0b6dd9d-8b9b-48a9-ba46-b9d54906e415","class":"us_equity","exchange":"NASDAQ","symbol":"AAPL","name":"Apple Inc. Common Stock","status":"active","tradable":true,"marginable":true,"maintenance_margin_requirement":30,"shortable":true,"easy_to_borrow":true,"fractionable":true,"attributes":[]}"#,
        ),
    ]);
    let client = client(&url);
    let runtime = runtime();
    assert!(runtime.block_on(client.clock()).unwrap().is_open);
    assert_eq!(runtime.block_on(client.calendar("2024-11-29", "2024-11-29")).unwrap()[0].close, "13:00");
    let asset = runtime.block_on(client.asset("AAPL")).unwrap();
    assert!(asset.tradable && asset.fractionable && asset.shortable);
}
