//! A mock Alpaca on one loopback port: the trading REST API v2, the
//! `trade_updates` stream on `/stream`, the market-data REST bars and the
//! market-data stream on `/v2/{feed}`, with bodies shaped as Alpaca's. Bars
//! are published on a clock whether or not anyone listens (as live data is);
//! market orders fill at once at the last close; faults are injected on demand.

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, watch};
use tokio_tungstenite::tungstenite::Message;

/// One minute bar to publish.
#[derive(Clone, Debug)]
pub struct MockBar {
    /// Symbol.
    pub symbol: String,
    /// Start of its minute, RFC 3339.
    pub time: String,
    /// Open, high, low, close.
    pub ohlc: [f64; 4],
    /// Volume.
    pub volume: f64,
}

/// A fault for the next order, or one applied at once (the drops).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fault {
    /// The next order submission is answered 429 with rate-limit headers.
    RateLimited,
    /// The next order is created, but its submission is answered 500.
    ServerErrorAfterAccept,
    /// The next order submission is answered 503 and nothing is created.
    ServerError,
    /// The next order is refused: 403 insufficient buying power.
    InsufficientBuyingPower,
    /// The next order is created, and its submission answered 422 duplicate client_order_id.
    DuplicateAfterAccept,
    /// The next order fills in two parts (`partial_fill`, then `fill`).
    PartialFills,
    /// The next order's events are sent out of order (`fill` before `new`).
    OutOfOrderEvents,
    /// Every trade-updates connection is dropped now.
    DropTradeStream,
    /// Every market-data connection is dropped now.
    DropDataStream,
}

/// A position: signed quantity and average entry price.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Holding {
    qty: f64,
    avg: f64,
}

#[derive(Default)]
struct State {
    cash: f64,
    positions: BTreeMap<String, Holding>,
    orders: Vec<Value>,
    posts: HashMap<String, usize>,
    last_close: HashMap<String, f64>,
    published: Vec<MockBar>,
    faults: VecDeque<Fault>,
    next_id: u64,
    closed: bool,
    /// How far ahead the clock puts its next open or close.
    clock_horizon_s: i64,
    /// When each live bar was handed to the data connections.
    bar_sent: Vec<Instant>,
    /// When each order submission arrived.
    order_arrived: Vec<Instant>,
    /// Market-data REST requests for bars (warm-ups and back-fills).
    bar_requests: usize,
}

/// The mock; it serves until dropped.
pub struct MockAlpaca {
    url: String,
    state: Arc<Mutex<State>>,
    drop_trades: watch::Sender<u64>,
    drop_data: watch::Sender<u64>,
    runtime: Option<tokio::runtime::Runtime>,
}

/// Locks the state, also after a panic elsewhere.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// Shared by the connection handlers.
#[derive(Clone)]
struct Shared {
    state: Arc<Mutex<State>>,
    trades: broadcast::Sender<String>,
    data: broadcast::Sender<String>,
    drop_trades: watch::Receiver<u64>,
    drop_data: watch::Receiver<u64>,
}

impl MockAlpaca {
    /// Starts with `cash`, publishes the first `history` of `bars` at once
    /// and then one more every `interval`.
    pub fn start(cash: f64, bars: Vec<MockBar>, history: usize, interval: Duration) -> Self {
        Self::started(cash, bars, history, interval, false)
    }

    /// [`MockAlpaca::start`], holding the bars after `history` back until a
    /// client has fetched bars by REST and listens to the market-data
    /// stream: a session then sees exactly `history` warm-up bars and every
    /// later bar live, however long it took to start.
    pub fn start_for_client(cash: f64, bars: Vec<MockBar>, history: usize, interval: Duration) -> Self {
        Self::started(cash, bars, history, interval, true)
    }

    fn started(cash: f64, bars: Vec<MockBar>, history: usize, interval: Duration, wait: bool) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the mock");
        let state = Arc::new(Mutex::new(State { cash, next_id: 1, clock_horizon_s: 60, ..State::default() }));
        let (trades, _) = broadcast::channel(4096);
        let (data, _) = broadcast::channel(4096);
        let (drop_trades, drop_trades_rx) = watch::channel(0);
        let (drop_data, drop_data_rx) = watch::channel(0);
        let shared = Shared {
            state: Arc::clone(&state),
            trades,
            data,
            drop_trades: drop_trades_rx,
            drop_data: drop_data_rx,
        };
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        {
            let mut state = lock(&shared.state);
            for bar in bars.iter().take(history) {
                publish(&mut state, bar);
            }
        }
        let publisher = shared.clone();
        runtime.spawn(async move {
            while wait && (publisher.data.receiver_count() == 0 || lock(&publisher.state).bar_requests == 0) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            for bar in bars.into_iter().skip(history) {
                tokio::time::sleep(interval).await;
                let message = {
                    let mut state = lock(&publisher.state);
                    publish(&mut state, &bar);
                    fill_resting(&mut state, &bar, &publisher.trades);
                    json!([bar_json(&bar)]).to_string()
                };
                let sent = Instant::now();
                let _ = publisher.data.send(message);
                lock(&publisher.state).bar_sent.push(sent);
            }
        });
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(connection(stream, shared.clone()));
            }
        });
        Self { url, state, drop_trades, drop_data, runtime: Some(runtime) }
    }

    /// `http://127.0.0.1:PORT`: the trading and data REST base; `ws://` of it is the stream base.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Injects `fault`: the drops at once, the others for the next order.
    pub fn inject(&self, fault: Fault) {
        match fault {
            Fault::DropTradeStream => {
                self.drop_trades.send_modify(|n| *n += 1);
            }
            Fault::DropDataStream => {
                self.drop_data.send_modify(|n| *n += 1);
            }
            other => lock(&self.state).faults.push_back(other),
        }
    }

    /// Opens or closes the market (as `GET /v2/clock` reports it); from
    /// then on the clock announces its next change a second ahead, so that
    /// clients read it again soon.
    pub fn set_market_open(&self, open: bool) {
        let mut state = lock(&self.state);
        state.closed = !open;
        state.clock_horizon_s = 1;
    }

    /// Changes a position behind the session's back (a trade made by hand in
    /// the account): its quantity becomes `qty` at the last close.
    pub fn set_position(&self, symbol: &str, qty: f64) {
        let mut state = lock(&self.state);
        let price = state.last_close.get(symbol).copied().unwrap_or(0.0);
        let held = state.positions.get(symbol).map_or(0.0, |h| h.qty);
        book(&mut state, symbol, qty - held, price);
    }

    /// Faults injected and not yet used.
    pub fn pending_faults(&self) -> usize {
        lock(&self.state).faults.len()
    }

    /// Positions by symbol (signed quantity), flat ones left out.
    pub fn positions(&self) -> BTreeMap<String, f64> {
        lock(&self.state)
            .positions
            .iter()
            .filter(|(_, h)| h.qty != 0.0)
            .map(|(s, h)| (s.clone(), h.qty))
            .collect()
    }

    /// How many times each client order id was submitted (every POST, accepted or not).
    pub fn submissions(&self) -> HashMap<String, usize> {
        lock(&self.state).posts.clone()
    }

    /// Orders created, with their client ids and filled quantities.
    pub fn orders(&self) -> Vec<(String, f64)> {
        lock(&self.state)
            .orders
            .iter()
            .map(|o| {
                let filled = o["filled_qty"].as_str().and_then(|q| q.parse().ok()).unwrap_or(0.0);
                (o["client_order_id"].as_str().unwrap_or_default().to_owned(), filled)
            })
            .collect()
    }

    /// For each order submission, the time from the last live bar sent
    /// before it to its arrival: what a client took to turn a bar into an order.
    pub fn bar_to_order_latencies(&self) -> Vec<Duration> {
        let state = lock(&self.state);
        state
            .order_arrived
            .iter()
            .filter_map(|arrived| {
                let bar = state.bar_sent.iter().rev().find(|sent| *sent <= arrived)?;
                Some(arrived.duration_since(*bar))
            })
            .collect()
    }

    /// How many times bars were asked for by REST (a warm-up, then one per back-fill).
    pub fn bar_requests(&self) -> usize {
        lock(&self.state).bar_requests
    }

    /// Bars published so far.
    pub fn bars_published(&self) -> usize {
        lock(&self.state).published.len()
    }
}

impl Drop for MockAlpaca {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn publish(state: &mut State, bar: &MockBar) {
    state.last_close.insert(bar.symbol.clone(), bar.ohlc[3]);
    state.published.push(bar.clone());
}

fn bar_json(bar: &MockBar) -> Value {
    let [o, h, l, c] = bar.ohlc;
    json!({"T": "b", "S": bar.symbol, "o": o, "h": h, "l": l, "c": c, "v": bar.volume, "t": bar.time, "n": 10, "vw": c})
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One connection: a WebSocket upgrade (the two streams) or one HTTP request.
async fn connection(stream: TcpStream, shared: Shared) {
    let mut head = [0u8; 2048];
    let Ok(n) = stream.peek(&mut head).await else { return };
    let head = String::from_utf8_lossy(&head[..n]).to_lowercase();
    if head.contains("upgrade: websocket") {
        let trading = head.starts_with("get /stream");
        let Ok(socket) = tokio_tungstenite::accept_async(stream).await else { return };
        if trading {
            trade_stream(socket, shared).await;
        } else {
            data_stream(socket, shared).await;
        }
    } else {
        http(stream, shared).await;
    }
}

type Socket = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn read_json(socket: &mut Socket) -> Option<Value> {
    loop {
        match socket.next().await? {
            Ok(Message::Text(text)) => return serde_json::from_str(text.as_str()).ok(),
            Ok(Message::Binary(bytes)) => return serde_json::from_slice(&bytes).ok(),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// The trade-updates stream: auth, listen, then every order event, in binary frames as the paper host sends them.
async fn trade_stream(mut socket: Socket, shared: Shared) {
    let mut drop = shared.drop_trades.clone();
    drop.borrow_and_update();
    let Some(auth) = read_json(&mut socket).await else { return };
    let authorized = auth["action"] == "auth" && auth["key"].as_str().is_some_and(|k| !k.is_empty());
    let status = if authorized { "authorized" } else { "unauthorized" };
    let reply = json!({"stream": "authorization", "data": {"status": status, "action": "authenticate"}});
    if socket.send(Message::binary(reply.to_string().into_bytes())).await.is_err() || !authorized {
        return;
    }
    let Some(_listen) = read_json(&mut socket).await else { return };
    let mut events = shared.trades.subscribe();
    let reply = json!({"stream": "listening", "data": {"streams": ["trade_updates"]}});
    if socket.send(Message::binary(reply.to_string().into_bytes())).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(text) => if socket.send(Message::binary(text.into_bytes())).await.is_err() { return },
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            },
            _ = drop.changed() => return, // dropped without a close frame
            incoming = socket.next() => if incoming.is_none_or(|m| m.is_err()) { return },
        }
    }
}

/// The market-data stream: connected, auth, subscribe, then bars as they are published.
async fn data_stream(mut socket: Socket, shared: Shared) {
    let mut drop = shared.drop_data.clone();
    drop.borrow_and_update();
    let send = |text: Value| Message::text(text.to_string());
    if socket.send(send(json!([{"T": "success", "msg": "connected"}]))).await.is_err() {
        return;
    }
    let Some(auth) = read_json(&mut socket).await else { return };
    if auth["key"].as_str().is_none_or(str::is_empty) {
        let _ = socket.send(send(json!([{"T": "error", "code": 402, "msg": "auth failed"}]))).await;
        return;
    }
    let mut bars = shared.data.subscribe();
    if socket.send(send(json!([{"T": "success", "msg": "authenticated"}]))).await.is_err() {
        return;
    }
    let Some(subscribe) = read_json(&mut socket).await else { return };
    let reply = json!([{"T": "subscription", "trades": [], "quotes": [], "bars": subscribe["bars"], "updatedBars": [],
                        "dailyBars": [], "statuses": [], "lulds": [], "corrections": [], "cancelErrors": []}]);
    if socket.send(send(reply)).await.is_err() {
        return;
    }
    loop {
        tokio::select! {
            bar = bars.recv() => match bar {
                Ok(text) => if socket.send(Message::text(text)).await.is_err() { return },
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(_) => return,
            },
            _ = drop.changed() => return,
            incoming = socket.next() => if incoming.is_none_or(|m| m.is_err()) { return },
        }
    }
}

/// Reads one HTTP request and answers it (the connection then closes).
async fn http(mut stream: TcpStream, shared: Shared) {
    // Kept alive, as Alpaca keeps them: requests follow one another on the connection.
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let (head_end, length) = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("content-length:").and_then(|v| v.trim().parse::<usize>().ok())
                    })
                    .unwrap_or(0);
                break (end + 4, length);
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let arrived = Instant::now();
        while buffer.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let request: Vec<u8> = buffer.drain(..head_end + length).collect();
        let head = String::from_utf8_lossy(&request[..head_end]).into_owned();
        let body = String::from_utf8_lossy(&request[head_end..]).into_owned();
        let mut words = head.split_whitespace();
        let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
        let keyed = head.to_lowercase().contains("apca-api-key-id:");
        let (status, headers, body) = if keyed {
            route(method, target, &body, arrived, &shared)
        } else {
            (401, String::new(), json!({"message": "unauthorized."}).to_string())
        };
        let response = format!(
            "HTTP/1.1 {status} Mock\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n{body}",
            body.len()
        );
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// `(status, extra header lines, body)` of a REST call.
fn route(method: &str, target: &str, body: &str, arrived: Instant, shared: &Shared) -> (u16, String, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .map(str::to_owned)
    };
    let ok = |value: Value| (200, String::new(), value.to_string());
    let mut state = lock(&shared.state);
    match (method, path) {
        ("GET", "/v2/account") => {
            let equity = equity(&state);
            ok(
                json!({"id": "e6fe16f3-64a4-4921-8928-cadf02f92f98", "account_number": "PA2MOCK", "status": "ACTIVE",
                      "currency": "USD", "cash": money(state.cash), "portfolio_value": money(equity),
                      "equity": money(equity), "buying_power": money(buying_power(&state)), "trading_blocked": false,
                      "pattern_day_trader": false, "daytrade_count": 0, "multiplier": "2"}),
            )
        }
        ("GET", "/v2/clock") => {
            let soon = (chrono::Utc::now() + chrono::Duration::seconds(state.clock_horizon_s)).to_rfc3339();
            ok(json!({"timestamp": now(), "is_open": !state.closed, "next_open": soon, "next_close": soon}))
        }
        ("GET", path) if path.starts_with("/v2/assets/") => {
            let symbol = &path["/v2/assets/".len()..];
            if state.published.iter().any(|b| b.symbol == symbol) {
                ok(
                    json!({"id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "class": "us_equity", "exchange": "NASDAQ",
                          "symbol": symbol, "name": format!("{symbol} Inc."), "status": "active", "tradable": true,
                          "marginable": true, "shortable": true, "easy_to_borrow": true, "fractionable": true}),
                )
            } else {
                (404, String::new(), json!({"code": 40410000, "message": "asset not found"}).to_string())
            }
        }
        ("GET", "/v2/positions") => {
            let positions: Vec<Value> = state
                .positions
                .iter()
                .filter(|(_, h)| h.qty != 0.0)
                .map(|(s, h)| position_json(&state, s, h))
                .collect();
            ok(Value::Array(positions))
        }
        ("GET", "/v2/orders") => {
            let open: Vec<Value> = state.orders.iter().filter(|o| is_open(o)).cloned().collect();
            ok(Value::Array(open))
        }
        ("GET", "/v2/orders:by_client_order_id") => {
            let id = param("client_order_id").unwrap_or_default();
            match state.orders.iter().find(|o| o["client_order_id"] == id.as_str()) {
                Some(order) => ok(order.clone()),
                None => {
                    (404, String::new(), json!({"code": 40410000, "message": "order not found"}).to_string())
                }
            }
        }
        ("POST", "/v2/orders") => submit(&mut state, body, arrived, &shared.trades),
        ("DELETE", "/v2/orders") => {
            let mut items = Vec::new();
            for order in state.orders.iter_mut().filter(|o| is_open(o)) {
                order["status"] = json!("canceled");
                items.push(json!({"id": order["id"], "status": 200, "body": order.clone()}));
            }
            for item in &items {
                event(&shared.trades, "canceled", &item["body"], None);
            }
            (207, String::new(), Value::Array(items).to_string())
        }
        ("DELETE", path) if path.starts_with("/v2/orders/") => {
            let id = &path["/v2/orders/".len()..];
            match state.orders.iter_mut().find(|o| o["id"] == id && is_open(o)) {
                Some(order) => {
                    order["status"] = json!("canceled");
                    let order = order.clone();
                    event(&shared.trades, "canceled", &order, None);
                    (204, String::new(), String::new())
                }
                None => (
                    422,
                    String::new(),
                    json!({"code": 42210000, "message": "order is not open"}).to_string(),
                ),
            }
        }
        ("DELETE", "/v2/positions") => {
            let held: Vec<(String, f64)> = state
                .positions
                .iter()
                .filter(|(_, h)| h.qty != 0.0)
                .map(|(s, h)| (s.clone(), h.qty))
                .collect();
            let mut items = Vec::new();
            for (symbol, qty) in held {
                let side = if qty > 0.0 { "sell" } else { "buy" };
                let client_id = format!("close-{symbol}-{}", state.next_id);
                let order = create(&mut state, &symbol, qty.abs(), side, "market", &client_id);
                let order = execute(&mut state, order, None, &shared.trades);
                items.push(json!({"symbol": symbol, "status": 200, "body": order}));
            }
            (207, String::new(), Value::Array(items).to_string())
        }
        ("GET", "/v2/stocks/bars") => {
            state.bar_requests += 1;
            let symbols = param("symbols").unwrap_or_default().replace("%2C", ",");
            let start = param("start").unwrap_or_default().replace("%3A", ":");
            let end = param("end").unwrap_or_default().replace("%3A", ":");
            let mut bars: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for bar in &state.published {
                let inside = (start.is_empty() || bar.time >= start) && (end.is_empty() || bar.time <= end);
                if inside && symbols.split(',').any(|s| s == bar.symbol) {
                    let mut value = bar_json(bar);
                    if let Some(map) = value.as_object_mut() {
                        map.remove("T");
                        map.remove("S");
                    }
                    bars.entry(bar.symbol.clone()).or_default().push(value);
                }
            }
            ok(json!({"bars": bars, "next_page_token": null}))
        }
        _ => (
            404,
            String::new(),
            json!({"code": 40410000, "message": format!("no route {method} {path}")}).to_string(),
        ),
    }
}

/// `POST /v2/orders`, with the next injected fault if any.
fn submit(
    state: &mut State,
    body: &str,
    arrived: Instant,
    trades: &broadcast::Sender<String>,
) -> (u16, String, String) {
    let Ok(request) = serde_json::from_str::<Value>(body) else {
        return (422, String::new(), json!({"code": 40010000, "message": "invalid body"}).to_string());
    };
    let client_id = request["client_order_id"].as_str().unwrap_or_default().to_owned();
    *state.posts.entry(client_id.clone()).or_insert(0) += 1;
    state.order_arrived.push(arrived);
    let fault = state.faults.front().copied();
    let take_fault = |state: &mut State| state.faults.pop_front();
    match fault {
        Some(Fault::RateLimited) => {
            take_fault(state);
            let reset = chrono::Utc::now().timestamp();
            let headers = format!(
                "X-RateLimit-Limit: 200\r\nX-RateLimit-Remaining: 0\r\nX-RateLimit-Reset: {reset}\r\n"
            );
            return (429, headers, json!({"code": 42910000, "message": "rate limit exceeded"}).to_string());
        }
        Some(Fault::ServerError) => {
            take_fault(state);
            return (503, String::new(), "upstream connect error".into());
        }
        Some(Fault::InsufficientBuyingPower) => {
            take_fault(state);
            return (
                403,
                String::new(),
                json!({"code": 40310000, "message": "insufficient buying power"}).to_string(),
            );
        }
        _ => {}
    }
    if state.orders.iter().any(|o| o["client_order_id"] == client_id.as_str()) {
        return (
            422,
            String::new(),
            json!({"code": 40010001, "message": "client_order_id must be unique"}).to_string(),
        );
    }
    let qty: f64 = request["qty"].as_str().and_then(|q| q.parse().ok()).unwrap_or(0.0);
    if qty <= 0.0 {
        return (422, String::new(), json!({"code": 40010001, "message": "qty must be > 0"}).to_string());
    }
    let symbol = request["symbol"].as_str().unwrap_or_default().to_owned();
    let side = request["side"].as_str().unwrap_or("buy").to_owned();
    let order_type = request["type"].as_str().unwrap_or("market").to_owned();
    let price = state.last_close.get(&symbol).copied().unwrap_or(0.0);
    // As Alpaca: only the part of an order that opens or adds to a position
    // (long or short) needs buying power; covering or selling what is held never does.
    let held = state.positions.get(&symbol).map_or(0.0, |h| h.qty);
    let signed = if side == "buy" { qty } else { -qty };
    let opening = if held * signed < 0.0 { (qty - held.abs()).max(0.0) } else { qty };
    if opening > 0.0 && signed < 0.0 && equity(state) < SHORTING_MIN_EQUITY {
        return (
            403,
            String::new(),
            json!({"code": 40310000, "message": "account is not allowed to short"}).to_string(),
        );
    }
    if opening * price > buying_power(state) {
        return (
            403,
            String::new(),
            json!({"code": 40310000, "message": "insufficient buying power"}).to_string(),
        );
    }
    let mut order = create(state, &symbol, qty, &side, &order_type, &client_id);
    for (key, field) in [("limit_price", "limit_price"), ("stop_price", "stop_price")] {
        if let Some(value) = request[key].as_str() {
            order[field] = json!(value);
        }
    }
    let (order, answer_fault) = match fault {
        Some(Fault::ServerErrorAfterAccept | Fault::DuplicateAfterAccept) => (order, take_fault(state)),
        Some(Fault::PartialFills | Fault::OutOfOrderEvents) if order_type == "market" => {
            let how = take_fault(state);
            (execute(state, order, how, trades), None)
        }
        _ if order_type == "market" => (execute(state, order, None, trades), None),
        _ => (order, None),
    };
    store(state, &order);
    match answer_fault {
        Some(Fault::ServerErrorAfterAccept) => {
            let order = execute(state, order, None, trades);
            store(state, &order);
            (500, String::new(), json!({"code": 50010000, "message": "internal server error"}).to_string())
        }
        Some(Fault::DuplicateAfterAccept) => {
            let order = execute(state, order, None, trades);
            store(state, &order);
            (
                422,
                String::new(),
                json!({"code": 40010001, "message": "client_order_id must be unique"}).to_string(),
            )
        }
        _ => (200, String::new(), order.to_string()),
    }
}

/// A new order, `accepted`, kept in the order list.
fn create(state: &mut State, symbol: &str, qty: f64, side: &str, order_type: &str, client_id: &str) -> Value {
    let id = format!("00000000-0000-4000-8000-{:012}", state.next_id);
    state.next_id += 1;
    let order = json!({"id": id, "client_order_id": client_id, "created_at": now(), "updated_at": now(),
        "submitted_at": now(), "filled_at": null, "expired_at": null, "canceled_at": null, "failed_at": null,
        "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "symbol": symbol, "asset_class": "us_equity",
        "notional": null, "qty": number(qty), "filled_qty": "0", "filled_avg_price": null, "order_class": "",
        "order_type": order_type, "type": order_type, "side": side, "time_in_force": "day", "limit_price": null,
        "stop_price": null, "status": "accepted", "extended_hours": false, "legs": null, "trail_percent": null});
    state.orders.push(order.clone());
    order
}

/// Replaces the stored copy of `order`.
fn store(state: &mut State, order: &Value) {
    if let Some(stored) = state.orders.iter_mut().find(|o| o["id"] == order["id"]) {
        *stored = order.clone();
    }
}

/// Fills `order` at the last close (in two parts with [`Fault::PartialFills`]),
/// books it, and sends its events (out of order with [`Fault::OutOfOrderEvents`]).
fn execute(
    state: &mut State,
    mut order: Value,
    how: Option<Fault>,
    trades: &broadcast::Sender<String>,
) -> Value {
    let symbol = order["symbol"].as_str().unwrap_or_default().to_owned();
    let price = state.last_close.get(&symbol).copied().unwrap_or(0.0);
    execute_at(state, &mut order, price, how, trades);
    order
}

fn execute_at(
    state: &mut State,
    order: &mut Value,
    price: f64,
    how: Option<Fault>,
    trades: &broadcast::Sender<String>,
) {
    let symbol = order["symbol"].as_str().unwrap_or_default().to_owned();
    let qty: f64 = order["qty"].as_str().and_then(|q| q.parse().ok()).unwrap_or(0.0);
    let sign = if order["side"] == "buy" { 1.0 } else { -1.0 };
    let parts: Vec<f64> = if how == Some(Fault::PartialFills) && qty >= 2.0 {
        let first = (qty / 2.0).floor();
        vec![first, qty - first]
    } else {
        vec![qty]
    };
    let new = order.clone();
    let mut filled = 0.0;
    let mut events = Vec::new();
    for (n, part) in parts.iter().enumerate() {
        filled += part;
        book(state, &symbol, sign * part, price);
        order["filled_qty"] = json!(number(filled));
        order["filled_avg_price"] = json!(number(price));
        let last = n + 1 == parts.len();
        order["status"] = json!(if last { "filled" } else { "partially_filled" });
        if last {
            order["filled_at"] = json!(now());
        }
        let position = state.positions.get(&symbol).map_or(0.0, |h| h.qty);
        let kind = if last { "fill" } else { "partial_fill" };
        events.push((kind, order.clone(), Some((*part, price, position))));
    }
    order["updated_at"] = json!(now());
    store(state, order);
    if how == Some(Fault::OutOfOrderEvents) {
        events.reverse();
        events.push(("new", new, None));
    } else {
        events.insert(0, ("new", new, None));
    }
    for (kind, order, execution) in events {
        event(trades, kind, &order, execution);
    }
}

/// Sends a trade update.
fn event(trades: &broadcast::Sender<String>, kind: &str, order: &Value, execution: Option<(f64, f64, f64)>) {
    let mut data = json!({"event": kind, "timestamp": now(), "order": order});
    if let Some((qty, price, position)) = execution {
        data["execution_id"] = json!(format!(
            "{}-{}",
            order["id"].as_str().unwrap_or_default(),
            order["filled_qty"].as_str().unwrap_or_default()
        ));
        data["qty"] = json!(number(qty));
        data["price"] = json!(number(price));
        data["position_qty"] = json!(number(position));
    }
    let _ = trades.send(json!({"stream": "trade_updates", "data": data}).to_string());
}

/// Moves cash and the position for a signed fill.
fn book(state: &mut State, symbol: &str, signed: f64, price: f64) {
    state.cash -= signed * price;
    let holding = state.positions.entry(symbol.to_owned()).or_default();
    let after = holding.qty + signed;
    holding.avg = if holding.qty == 0.0 || holding.qty.signum() != after.signum() {
        price
    } else if after.abs() > holding.qty.abs() {
        (holding.avg * holding.qty + price * signed) / after
    } else {
        holding.avg
    };
    holding.qty = if after.abs() < 1e-9 { 0.0 } else { after };
}

/// Fills resting stop and limit orders that `bar` reaches.
fn fill_resting(state: &mut State, bar: &MockBar, trades: &broadcast::Sender<String>) {
    let [_, high, low, _] = bar.ohlc;
    let due: Vec<(Value, f64)> = state
        .orders
        .iter()
        .filter(|o| is_open(o) && o["symbol"] == bar.symbol.as_str())
        .filter_map(|o| {
            let buy = o["side"] == "buy";
            let level = |k: &str| o[k].as_str().and_then(|v| v.parse::<f64>().ok());
            match o["type"].as_str() {
                Some("stop") => level("stop_price").filter(|s| if buy { high >= *s } else { low <= *s }),
                Some("limit") => level("limit_price").filter(|l| if buy { low <= *l } else { high >= *l }),
                _ => None,
            }
            .map(|price| (o.clone(), price))
        })
        .collect();
    for (mut order, price) in due {
        execute_at(state, &mut order, price, None, trades);
    }
}

fn is_open(order: &Value) -> bool {
    matches!(order["status"].as_str(), Some("new" | "accepted" | "pending_new" | "partially_filled"))
}

/// Equity an account needs to sell short on Alpaca (a margin account).
const SHORTING_MIN_EQUITY: f64 = 2_000.0;

/// Reg T buying power: twice the equity, less what positions already use.
fn buying_power(state: &State) -> f64 {
    let gross: f64 = state
        .positions
        .iter()
        .map(|(s, h)| (h.qty * state.last_close.get(s).copied().unwrap_or(h.avg)).abs())
        .sum();
    (2.0 * equity(state) - gross).max(0.0)
}

fn equity(state: &State) -> f64 {
    state.cash
        + state
            .positions
            .iter()
            .map(|(s, h)| h.qty * state.last_close.get(s).copied().unwrap_or(h.avg))
            .sum::<f64>()
}

fn position_json(state: &State, symbol: &str, holding: &Holding) -> Value {
    let price = state.last_close.get(symbol).copied().unwrap_or(holding.avg);
    json!({"asset_id": "904837e3-3b76-47ec-b432-046db621571b", "symbol": symbol, "exchange": "NASDAQ",
           "asset_class": "us_equity", "avg_entry_price": number(holding.avg), "qty": number(holding.qty),
           "qty_available": number(holding.qty), "side": if holding.qty > 0.0 { "long" } else { "short" },
           "market_value": money(holding.qty * price), "cost_basis": money(holding.qty * holding.avg),
           "unrealized_pl": money(holding.qty * (price - holding.avg)), "current_price": number(price),
           "lastday_price": number(price), "change_today": "0"})
}

/// A quantity or price as Alpaca writes it: a decimal string.
fn number(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" { "0".to_owned() } else { text.to_owned() }
}

/// Money to the cent, as a string.
fn money(value: f64) -> String {
    format!("{value:.2}")
}
