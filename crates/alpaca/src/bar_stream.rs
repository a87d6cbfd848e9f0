//! The market-data stream of minute bars: `{APCA_API_STREAM_URL}/v2/{feed}`.

use crate::AlpacaError;
use crate::socket::{Connection, Ended, Socket, next_text, run_reconnecting, send};
use gt_data::alpaca::AlpacaKeys;
use gt_model::{Bar, Timestamp};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// The public market-data stream host, used unless `APCA_API_STREAM_URL` says otherwise.
pub const DEFAULT_STREAM_URL: &str = "wss://stream.data.alpaca.markets";

/// Error codes after which connecting again cannot help.
const FATAL_CODES: [i64; 3] = [401, 402, 409];

/// A bar from the stream.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamBar {
    /// Symbol.
    pub symbol: String,
    /// The bar (its time is the start of its minute).
    pub bar: Bar,
    /// When its message was read off the socket (for latency measurements).
    pub received: Instant,
}

/// What the bar stream reports.
#[derive(Clone, Debug, PartialEq)]
pub enum BarStreamEvent {
    /// Authenticated and subscribed. After a reconnection, bars of the gap
    /// are not replayed: back-fill them by REST.
    Connected {
        /// True after the first connection.
        reconnected: bool,
    },
    /// A new bar.
    Bar(StreamBar),
    /// The connection dropped; a new one is being made.
    Disconnected {
        /// What happened.
        reason: String,
    },
}

/// Minute bars of some symbols from one feed (`iex` or `sip`).
pub struct BarStream {
    url: String,
    keys: AlpacaKeys,
    symbols: Vec<String>,
    backoff: Duration,
}

impl BarStream {
    /// The bars of `symbols` from `{stream_url}/v2/{feed}`.
    pub fn new(
        stream_url: &str,
        feed: &str,
        keys: AlpacaKeys,
        symbols: Vec<String>,
        backoff: Duration,
    ) -> Self {
        Self { url: format!("{}/v2/{feed}", stream_url.trim_end_matches('/')), keys, symbols, backoff }
    }

    /// The WebSocket URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Connects, authenticates and subscribes, sending every bar to `events`;
    /// reconnects with doubling delays whenever the connection drops. Ends
    /// when `events` is closed, or with an error when Alpaca refuses for good.
    pub async fn run(self, events: mpsc::Sender<BarStreamEvent>) -> Result<(), AlpacaError> {
        run_reconnecting(&self, events).await
    }
}

impl Connection for BarStream {
    type Event = BarStreamEvent;

    fn url(&self) -> &str {
        &self.url
    }

    fn backoff(&self) -> Duration {
        self.backoff
    }

    fn connected(reconnected: bool) -> BarStreamEvent {
        BarStreamEvent::Connected { reconnected }
    }

    fn disconnected(reason: String) -> BarStreamEvent {
        BarStreamEvent::Disconnected { reason }
    }

    async fn handshake(&self, socket: &mut Socket) -> Result<(), Ended> {
        self.expect(socket, "success", Some("connected")).await?;
        send(socket, &json!({"action": "auth", "key": self.keys.id(), "secret": self.keys.secret()})).await?;
        self.expect(socket, "success", Some("authenticated")).await?;
        send(socket, &json!({"action": "subscribe", "bars": self.symbols})).await?;
        self.expect(socket, "subscription", None).await
    }

    async fn listen(&self, socket: &mut Socket, events: &mpsc::Sender<BarStreamEvent>) -> Ended {
        loop {
            let text = match next_text(socket).await {
                Ok(text) => text,
                Err(ended) => return ended,
            };
            let received = Instant::now();
            let Ok(Value::Array(messages)) = serde_json::from_str::<Value>(&text) else { continue };
            for message in messages {
                match message["T"].as_str() {
                    Some("b") => match parse_bar(&message, received) {
                        Some(bar) => {
                            if events.send(BarStreamEvent::Bar(bar)).await.is_err() {
                                return Ended::ReceiverGone;
                            }
                        }
                        None => return Ended::Dropped(format!("unreadable bar: {message}")),
                    },
                    Some("error") => return self.error(&message),
                    _ => {}
                }
            }
        }
    }
}

impl BarStream {
    /// Reads until a message of type `kind` (with `msg`, if given) arrives; an error message ends it.
    async fn expect(&self, socket: &mut Socket, kind: &str, msg: Option<&str>) -> Result<(), Ended> {
        loop {
            let Ok(Value::Array(messages)) = serde_json::from_str::<Value>(&next_text(socket).await?) else {
                continue;
            };
            for message in messages {
                if message["T"] == "error" {
                    return Err(self.error(&message));
                }
                if message["T"] == kind && msg.is_none_or(|m| message["msg"] == m) {
                    return Ok(());
                }
            }
        }
    }

    /// What an error message means: refused for good, or worth a reconnection.
    fn error(&self, message: &Value) -> Ended {
        let code = message["code"].as_i64().unwrap_or(0);
        let text = format!("error {code}: {}", message["msg"].as_str().unwrap_or("?"));
        if FATAL_CODES.contains(&code) {
            Ended::Fatal(AlpacaError::Stream { url: self.url.clone(), message: text })
        } else {
            Ended::Dropped(text)
        }
    }
}

/// A `{"T":"b", "S", "o", "h", "l", "c", "v", "t"}` message as a bar.
fn parse_bar(message: &Value, received: Instant) -> Option<StreamBar> {
    let time = chrono::DateTime::parse_from_rfc3339(message["t"].as_str()?).ok()?;
    let ts = Timestamp::from_naive_utc(time.naive_utc())?;
    Some(StreamBar {
        symbol: message["S"].as_str()?.to_owned(),
        bar: Bar {
            ts,
            open: message["o"].as_f64()?,
            high: message["h"].as_f64()?,
            low: message["l"].as_f64()?,
            close: message["c"].as_f64()?,
            volume: message["v"].as_f64().unwrap_or(0.0),
        },
        received,
    })
}
