//! Wire fidelity beyond our own mocks: the 25 response bodies that Alpaca's
//! own SDK (alpaca-py, Apache-2.0) serves in its test suite
//! (`tests/fixtures/alpaca_py_bodies.json`), each answered to our trading or
//! market-data client at its path, checking every field we read. Some of
//! them carry numbers where the live API sends strings (`"qty": 1`): both
//! are read exactly.

use gt_alpaca::{Asset, BrokerOrder, NewOrder, TradingClient};
use gt_data::alpaca::{AlpacaClient, AlpacaKeys};
use gt_testkit::{Reply, serve};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Duration;

/// Longest a test here may take waiting on a scripted server before it fails as hung.
const WAIT_LIMIT: Duration = Duration::from_secs(120);

/// One recorded answer: the alpaca-py test it comes from, the request, the body.
struct Recorded {
    test: String,
    method: String,
    path: String,
    body: Value,
}

fn recorded() -> Vec<Recorded> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/alpaca_py_bodies.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| Recorded {
            test: b["test"].as_str().unwrap().to_owned(),
            method: b["method"].as_str().unwrap().to_owned(),
            path: b["path"].as_str().unwrap().to_owned(),
            body: b["body"].clone(),
        })
        .collect()
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn keys() -> AlpacaKeys {
    AlpacaKeys::new("PKTEST", "s3cret-key")
}

/// Serves `body` once, calls `call` with a trading client pointed at it, and
/// checks that the request went to the recorded method and path (up to its
/// first placeholder or query).
fn through_trading_client<T>(
    recorded: &Recorded,
    call: impl AsyncFnOnce(&TradingClient) -> Result<T, gt_alpaca::AlpacaError>,
) -> T {
    let (url, log) = serve(vec![Reply::new(200, recorded.body.to_string())]);
    let client = TradingClient::new(&url, keys(), Duration::from_millis(1)).unwrap();
    let answer = runtime().block_on(call(&client)).unwrap_or_else(|e| panic!("{}: {e}", recorded.test));
    let request = log.lock().unwrap()[0].lines().next().unwrap().to_owned();
    let fixed = recorded.path.split(['{', '?']).next().unwrap();
    assert!(
        request.starts_with(&format!("{} {fixed}", recorded.method)),
        "{}: asked {request:?}, recorded {} {}",
        recorded.test,
        recorded.method,
        recorded.path
    );
    answer
}

fn an_order() -> NewOrder {
    NewOrder {
        symbol: "AAPL".into(),
        qty: dec("1"),
        side: "buy".into(),
        order_type: "market".into(),
        time_in_force: "day".into(),
        limit_price: None,
        stop_price: None,
        trail_percent: None,
        client_order_id: "eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4".into(),
    }
}

/// The fields we read of an order, checked against the recorded JSON.
fn assert_order_read_exactly(test: &str, order: &BrokerOrder, json: &Value) {
    let text = |key: &str| json[key].as_str().unwrap().to_owned();
    let decimal = |key: &str| match &json[key] {
        Value::Null => None,
        Value::String(s) => Some(dec(s)),
        number => Some(dec(&number.to_string())),
    };
    assert_eq!(order.id, text("id"), "{test}");
    assert_eq!(order.client_order_id, text("client_order_id"), "{test}");
    assert_eq!(order.symbol, text("symbol"), "{test}");
    assert_eq!(order.side, text("side"), "{test}");
    assert_eq!(order.order_type, text("type"), "{test}");
    assert_eq!(order.time_in_force, text("time_in_force"), "{test}");
    assert_eq!(order.status, text("status"), "{test}");
    assert_eq!(order.qty, decimal("qty"), "{test}");
    assert_eq!(Some(order.filled_qty), decimal("filled_qty"), "{test}");
    assert_eq!(order.filled_avg_price, decimal("filled_avg_price"), "{test}");
    assert_eq!(order.limit_price, decimal("limit_price"), "{test}");
    assert_eq!(order.stop_price, decimal("stop_price"), "{test}");
}

/// The market-data answers: served to the bars client (a second, empty page
/// after a `next_page_token`); each symbol's bars as recorded, newest-first
/// answers in the recorded order.
fn check_bars(recorded: &Recorded) {
    let mut replies = vec![Reply::new(200, recorded.body.to_string())];
    if !recorded.body["next_page_token"].is_null() {
        replies.push(Reply::new(200, r#"{"bars": {}, "next_page_token": null}"#));
    }
    let pages = replies.len();
    let (url, log) = serve(replies);
    let client = AlpacaClient::new(&url, keys(), "iex", Duration::from_millis(1)).unwrap();
    let symbols: Vec<String> = recorded.body["bars"].as_object().unwrap().keys().cloned().collect();
    let asked = if symbols.is_empty() { vec!["AAPL".to_owned()] } else { symbols.clone() };
    let fetched = client
        .bars_many(&asked, "1Day", "2022-01-01T00:00:00Z", "2023-12-31T00:00:00Z", "raw")
        .unwrap_or_else(|e| panic!("{}: {e}", recorded.test));
    assert_eq!(
        fetched.keys().cloned().collect::<Vec<_>>(),
        symbols,
        "{}: an empty answer has no symbol",
        recorded.test
    );
    for (symbol, series) in &fetched {
        let bars = recorded.body["bars"][symbol].as_array().unwrap();
        assert_eq!(series.len(), bars.len(), "{}", recorded.test);
        for (i, bar) in bars.iter().enumerate() {
            let got = series.bar(i);
            let f = |k: &str| bar[k].as_f64().unwrap();
            assert_eq!(
                [got.open, got.high, got.low, got.close, got.volume],
                [f("o"), f("h"), f("l"), f("c"), f("v")]
            );
            let time = chrono::DateTime::parse_from_rfc3339(bar["t"].as_str().unwrap()).unwrap();
            // Daily bars are keyed by their exchange date (midnight UTC of it).
            assert_eq!(got.ts.to_utc().date_naive(), time.date_naive(), "{}", recorded.test);
        }
    }
    let requests = log.lock().unwrap();
    assert_eq!(requests.len(), pages, "{}: pages followed", recorded.test);
    assert!(requests[0].starts_with("GET /v2/stocks/bars?symbols="), "{}", requests[0]);
}

#[test]
fn every_alpaca_py_body_is_read_exactly() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let bodies = recorded();
    assert_eq!(bodies.len(), 25);
    let mut checked = BTreeSet::new();
    for recorded in &bodies {
        let name = recorded.test.split("::").nth(1).unwrap();
        match name {
            "test_get_account" => {
                let account = through_trading_client(recorded, async |c| c.account().await);
                assert_eq!(account.id, "e6fe16f3-64a4-4921-8928-cadf02f92f98");
                assert_eq!((account.status.as_str(), account.currency.as_str()), ("ACTIVE", "USD"));
                // A negative cash balance (margin in use), exact.
                assert_eq!(
                    (account.cash, account.equity, account.buying_power),
                    (dec("-23140.2"), dec("103820.56"), dec("262113.632"))
                );
                assert!(!account.trading_blocked);
            }
            "test_get_asset" => {
                let asset = through_trading_client(recorded, async |c| c.asset("AAPL").await);
                assert_eq!((asset.symbol.as_str(), asset.status.as_str()), ("AAPL", "active"));
                assert!(asset.tradable && asset.fractionable && asset.shortable);
            }
            "test_get_all_assets" | "test_get_all_assets_params" => {
                // Listing assets is not a call we make; the same shape is what `asset` reads.
                let assets: Vec<Asset> = serde_json::from_value(recorded.body.clone()).unwrap();
                assert_eq!(assets[0].symbol, "AAPL");
                assert!(assets[0].tradable && assets[0].shortable);
            }
            "test_market_order" | "test_limit_order" | "test_order_position_intent" => {
                let order = through_trading_client(recorded, async |c| c.submit_order(&an_order()).await);
                assert_order_read_exactly(name, &order, &recorded.body);
            }
            "test_get_order_by_client_id" => {
                let order = through_trading_client(recorded, async |c| {
                    c.order_by_client_id("eb9e2aaa-f71a-4f51-b5b4-52a6c565dad4").await
                })
                .expect("found");
                assert_order_read_exactly(name, &order, &recorded.body);
            }
            "test_get_order_by_id" | "test_replace_order" => {
                // Calls we do not make (we look orders up by our own id and never
                // replace them); the body is the order shape we read everywhere.
                let order: BrokerOrder = serde_json::from_value(recorded.body.clone()).unwrap();
                assert_order_read_exactly(name, &order, &recorded.body);
            }
            "test_get_orders" => {
                // Numbers where the live API sends strings: "qty": 1, "filled_qty": 0, "filled_avg_price": 0.
                let orders = through_trading_client(recorded, async |c| c.open_orders().await);
                assert_eq!(orders.len(), 1);
                assert_order_read_exactly(name, &orders[0], &recorded.body[0]);
                assert_eq!((orders[0].qty, orders[0].filled_avg_price), (Some(dec("1")), Some(dec("0"))));
            }
            "test_cancel_orders" => {
                let items = through_trading_client(recorded, async |c| c.cancel_all_orders().await);
                let statuses: Vec<(Option<&str>, u16)> =
                    items.iter().map(|i| (i.id.as_deref(), i.status)).collect();
                assert_eq!(
                    statuses,
                    [
                        (Some("497f6eca-6276-4993-bfeb-53cbbbba6f08"), 200),
                        (Some("72249bb6-6c89-4ea7-b8cf-73f1a140812b"), 404)
                    ]
                );
                assert_eq!(items[1].body["message"], "order not found");
            }
            "test_get_all_positions" => {
                let positions = through_trading_client(recorded, async |c| c.positions().await);
                let p = &positions[0];
                assert_eq!(p.symbol, "AAPL");
                assert_eq!((p.qty, p.avg_entry_price), (dec("5"), dec("100.0")));
                assert_eq!(
                    (p.market_value, p.unrealized_pl, p.current_price),
                    (Some(dec("600.0")), Some(dec("100.0")), Some(dec("120.0")))
                );
            }
            "test_close_all_positions" => {
                let items = through_trading_client(recorded, async |c| c.close_all_positions().await);
                let statuses: Vec<(Option<&str>, u16)> =
                    items.iter().map(|i| (i.symbol.as_deref(), i.status)).collect();
                assert_eq!(statuses, [(Some("BTCUSD"), 200), (Some("SQQQ"), 403), (Some("NYC"), 403)]);
                let closing: BrokerOrder = serde_json::from_value(items[0].body.clone()).unwrap();
                assert_eq!((closing.qty, closing.status.as_str()), (Some(dec("0.0283")), "pending_new"));
                assert_eq!(items[2].body["message"], "account is not allowed to short");
            }
            "test_close_position_with_qty" | "test_close_position_with_percentage" => {
                // A notional order: no quantity.
                let order = through_trading_client(recorded, async |c| c.close_position("AAPL").await);
                assert_order_read_exactly(name, &order, &recorded.body);
                assert_eq!(order.qty, None);
            }
            "test_get_bars"
            | "test_get_bars_desc"
            | "test_multisymbol_get_bars"
            | "test_get_bars_single_empty_response"
            | "test_get_bars_multi_empty_response" => check_bars(recorded),
            "test_stock_latest_bar"
            | "test_multi_stock_latest_bar"
            | "test_stock_latest_bar_multi_empty_response" => {
                // Latest bars are not a call we make (live bars come from the
                // stream, gaps from /v2/stocks/bars); their bars are the same
                // objects, keyed by symbol, one each.
                for bar in recorded.body["bars"].as_object().unwrap().values() {
                    for key in ["t", "o", "h", "l", "c", "v"] {
                        assert!(!bar[key].is_null(), "{name}: {key}");
                    }
                }
            }
            other => panic!("no check for the recorded body of {other}"),
        }
        checked.insert(recorded.test.clone());
    }
    assert_eq!(checked.len(), 24, "every recorded test (one of them records two bodies)");
}
