//! The trade-updates and bar streams against WebSocket servers on 127.0.0.1
//! that speak Alpaca's messages: handshakes, binary and text frames, errors,
//! and connections dropped mid-stream.

use futures_util::{SinkExt, StreamExt};
use gt_alpaca::{AlpacaError, BarStream, BarStreamEvent, TradeStreamEvent, TradeUpdatesStream};
use gt_data::alpaca::AlpacaKeys;
use serde_json::{Value, json};
use std::future::Future;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// Longest a test here may take waiting on a stream against a loopback server before it fails as hung.
const WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

type Server = WebSocketStream<TcpStream>;

/// Serves WebSocket connections on a free loopback port, the n-th (from 0) by `script(n, socket)`.
async fn ws_server<F, Fut>(script: F) -> String
where
    F: Fn(usize, Server) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((stream, _)) = listener.accept().await {
            let Ok(socket) = tokio_tungstenite::accept_async(stream).await else { continue };
            tokio::spawn(script(n, socket));
            n += 1;
        }
    });
    url
}

async fn read_json(socket: &mut Server) -> Value {
    loop {
        match socket.next().await.unwrap().unwrap() {
            Message::Text(text) => return serde_json::from_str(text.as_str()).unwrap(),
            Message::Binary(bytes) => return serde_json::from_slice(&bytes).unwrap(),
            _ => {}
        }
    }
}

async fn send_text(socket: &mut Server, value: Value) {
    socket.send(Message::text(value.to_string())).await.unwrap();
}

async fn send_binary(socket: &mut Server, value: Value) {
    socket.send(Message::binary(value.to_string().into_bytes())).await.unwrap();
}

fn keys() -> AlpacaKeys {
    AlpacaKeys::new("PKTEST", "s3cret")
}

/// The market-data handshake, as Alpaca does it; checks what the client sends.
async fn data_handshake(socket: &mut Server) {
    send_text(socket, json!([{"T": "success", "msg": "connected"}])).await;
    assert_eq!(read_json(socket).await, json!({"action": "auth", "key": "PKTEST", "secret": "s3cret"}));
    send_text(socket, json!([{"T": "success", "msg": "authenticated"}])).await;
    assert_eq!(read_json(socket).await, json!({"action": "subscribe", "bars": ["AAPL", "MSFT"]}));
    send_text(
        socket,
        json!([{"T": "subscription", "trades": [], "quotes": [], "bars": ["AAPL", "MSFT"], "updatedBars": [],
                "dailyBars": [], "statuses": [], "lulds": [], "corrections": [], "cancelErrors": []}]),
    )
    .await;
}

fn bar(symbol: &str, minute: u32, close: f64) -> Value {
    json!({"T": "b", "S": symbol, "o": close - 0.5, "h": close + 1.0, "l": close - 1.0, "c": close, "v": 4910,
           "t": format!("2024-03-05T14:{minute:02}:00Z"), "n": 56, "vw": close - 0.1})
}

async fn collect<T>(events: &mut mpsc::Receiver<T>, n: usize) -> Vec<T> {
    let mut seen = Vec::new();
    while seen.len() < n {
        let event = tokio::time::timeout(Duration::from_secs(10), events.recv()).await.unwrap().unwrap();
        seen.push(event);
    }
    seen
}

#[tokio::test]
async fn bars_stream_in_and_a_dropped_connection_is_made_again() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let url = ws_server(|n, mut socket| async move {
        data_handshake(&mut socket).await;
        if n == 0 {
            send_text(&mut socket, json!([bar("AAPL", 31, 170.25), bar("MSFT", 31, 410.5)])).await;
            drop(socket); // dropped without a close frame
        } else {
            send_text(&mut socket, json!([bar("AAPL", 33, 171.0)])).await;
            let _ = socket.next().await;
        }
    })
    .await;
    let (tx, mut rx) = mpsc::channel(16);
    let stream =
        BarStream::new(&url, "iex", keys(), vec!["AAPL".into(), "MSFT".into()], Duration::from_millis(5));
    assert_eq!(stream.url(), format!("{url}/v2/iex"));
    tokio::spawn(stream.run(tx));
    let events = collect(&mut rx, 6).await;
    assert_eq!(events[0], BarStreamEvent::Connected { reconnected: false });
    let BarStreamEvent::Bar(first) = &events[1] else { panic!("{:?}", events[1]) };
    assert_eq!((first.symbol.as_str(), first.bar.close, first.bar.high), ("AAPL", 170.25, 171.25));
    assert_eq!(first.bar.ts.to_utc().to_rfc3339(), "2024-03-05T14:31:00+00:00");
    assert!(matches!(&events[2], BarStreamEvent::Bar(b) if b.symbol == "MSFT"));
    assert!(matches!(events[3], BarStreamEvent::Disconnected { .. }));
    assert_eq!(events[4], BarStreamEvent::Connected { reconnected: true });
    assert!(matches!(&events[5], BarStreamEvent::Bar(b) if b.bar.close == 171.0));
}

#[tokio::test]
async fn refused_keys_end_the_bar_stream_with_alpacas_message() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let url = ws_server(|_, mut socket| async move {
        send_text(&mut socket, json!([{"T": "success", "msg": "connected"}])).await;
        read_json(&mut socket).await;
        send_text(&mut socket, json!([{"T": "error", "code": 402, "msg": "auth failed"}])).await;
        let _ = socket.next().await;
    })
    .await;
    let (tx, _rx) = mpsc::channel(16);
    let error =
        BarStream::new(&url, "sip", keys(), vec!["AAPL".into()], Duration::from_millis(5)).run(tx).await;
    let error = error.unwrap_err();
    assert!(
        matches!(&error, AlpacaError::Stream { message, .. } if message == "error 402: auth failed"),
        "{error}"
    );
    assert!(!error.to_string().contains("s3cret"));
}

#[tokio::test]
async fn a_slow_client_error_is_survived_by_reconnecting() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let url = ws_server(|n, mut socket| async move {
        data_handshake(&mut socket).await;
        if n == 0 {
            send_text(&mut socket, json!([{"T": "error", "code": 407, "msg": "slow client"}])).await;
        } else {
            send_text(&mut socket, json!([bar("MSFT", 40, 400.0)])).await;
        }
        let _ = socket.next().await;
    })
    .await;
    let (tx, mut rx) = mpsc::channel(16);
    tokio::spawn(
        BarStream::new(&url, "iex", keys(), vec!["AAPL".into(), "MSFT".into()], Duration::from_millis(5))
            .run(tx),
    );
    let events = collect(&mut rx, 4).await;
    assert!(matches!(&events[1], BarStreamEvent::Disconnected { reason } if reason.contains("407")));
    assert!(matches!(&events[3], BarStreamEvent::Bar(b) if b.symbol == "MSFT"));
}

/// The trading stream's handshake, in binary frames as the paper host sends them.
async fn trading_handshake(socket: &mut Server) {
    assert_eq!(read_json(socket).await, json!({"action": "auth", "key": "PKTEST", "secret": "s3cret"}));
    send_binary(
        socket,
        json!({"stream": "authorization", "data": {"status": "authorized", "action": "authenticate"}}),
    )
    .await;
    assert_eq!(read_json(socket).await, json!({"action": "listen", "data": {"streams": ["trade_updates"]}}));
    send_binary(socket, json!({"stream": "listening", "data": {"streams": ["trade_updates"]}})).await;
}

fn update(event: &str, status: &str, filled: &str, execution: Option<(&str, &str)>) -> Value {
    let order = json!({"id": "904837e3-3b76-47ec-b432-046db621571b", "client_order_id": "s-demo_ma-AAPL-5-2",
        "created_at": "2024-03-05T14:31:00.1Z", "updated_at": "2024-03-05T14:31:00.2Z", "submitted_at": "2024-03-05T14:31:00.1Z",
        "filled_at": null, "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "symbol": "AAPL", "asset_class": "us_equity",
        "notional": null, "qty": "10", "filled_qty": filled, "filled_avg_price": if filled == "0" { Value::Null } else { json!("170.31") },
        "order_class": "", "order_type": "market", "type": "market", "side": "buy", "time_in_force": "day",
        "limit_price": null, "stop_price": null, "status": status, "extended_hours": false, "legs": null});
    let mut data = json!({"event": event, "timestamp": "2024-03-05T14:31:00.3Z", "order": order});
    if let Some((qty, position)) = execution {
        data["execution_id"] = json!(format!("exec-{event}-{qty}"));
        data["price"] = json!("170.31");
        data["qty"] = json!(qty);
        data["position_qty"] = json!(position);
    }
    json!({"stream": "trade_updates", "data": data})
}

#[tokio::test]
async fn trade_updates_arrive_in_binary_and_text_frames_and_survive_a_drop() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let url = ws_server(|n, mut socket| async move {
        trading_handshake(&mut socket).await;
        if n == 0 {
            send_binary(&mut socket, update("new", "new", "0", None)).await;
            send_binary(&mut socket, update("partial_fill", "partially_filled", "4", Some(("4", "4")))).await;
            send_text(&mut socket, update("fill", "filled", "10", Some(("6", "10")))).await;
            drop(socket);
        } else {
            send_binary(&mut socket, update("canceled", "canceled", "10", None)).await;
            let _ = socket.next().await;
        }
    })
    .await;
    let trading_url = url.replacen("ws://", "http://", 1);
    let stream = TradeUpdatesStream::new(&trading_url, keys(), Duration::from_millis(5));
    assert_eq!(stream.url(), format!("{url}/stream"));
    let (tx, mut rx) = mpsc::channel(16);
    tokio::spawn(stream.run(tx));
    let events = collect(&mut rx, 7).await;
    assert_eq!(events[0], TradeStreamEvent::Connected { reconnected: false });
    let updates: Vec<(String, Option<String>, String)> = events
        .iter()
        .filter_map(|e| match e {
            TradeStreamEvent::Update(u) => {
                Some((u.event.clone(), u.qty.map(|q| q.to_string()), u.order.filled_qty.to_string()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        updates,
        [
            ("new".into(), None, "0".into()),
            ("partial_fill".into(), Some("4".into()), "4".into()),
            ("fill".into(), Some("6".into()), "10".into()),
            ("canceled".into(), None, "10".into()),
        ]
    );
    assert!(matches!(events[4], TradeStreamEvent::Disconnected { .. }));
    assert_eq!(events[5], TradeStreamEvent::Connected { reconnected: true });
}

#[tokio::test]
async fn unauthorized_trade_stream_ends_with_an_error() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let url = ws_server(|_, mut socket| async move {
        read_json(&mut socket).await;
        send_binary(
            &mut socket,
            json!({"stream": "authorization", "data": {"status": "unauthorized", "action": "authenticate"}}),
        )
        .await;
        let _ = socket.next().await;
    })
    .await;
    let (tx, _rx) = mpsc::channel(4);
    let stream =
        TradeUpdatesStream::new(&url.replacen("ws://", "http://", 1), keys(), Duration::from_millis(5));
    let error = stream.run(tx).await.unwrap_err();
    assert!(error.to_string().contains("authentication refused"), "{error}");
}

#[test]
fn the_trade_stream_url_follows_the_trading_host() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let https =
        TradeUpdatesStream::new("https://paper-api.alpaca.markets/", keys(), Duration::from_millis(1));
    assert_eq!(https.url(), "wss://paper-api.alpaca.markets/stream");
    let http = TradeUpdatesStream::new("http://127.0.0.1:8080", keys(), Duration::from_millis(1));
    assert_eq!(http.url(), "ws://127.0.0.1:8080/stream");
}
