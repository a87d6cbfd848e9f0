//! The `trade_updates` stream: every change to our orders, as it happens.

use crate::socket::{Connection, Ended, Socket, next_text, run_reconnecting, send};
use crate::{AlpacaError, TradeUpdate};
use gt_data::alpaca::AlpacaKeys;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::mpsc;

/// What the trade-updates stream reports.
#[derive(Clone, Debug, PartialEq)]
pub enum TradeStreamEvent {
    /// Authenticated and listening. After a reconnection, events missed
    /// meanwhile are not replayed by Alpaca: reconcile by REST.
    Connected {
        /// True after the first connection.
        reconnected: bool,
    },
    /// An order changed.
    Update(Box<TradeUpdate>),
    /// The connection dropped; a new one is being made.
    Disconnected {
        /// What happened.
        reason: String,
    },
}

/// The trade-updates stream of a trading host: `{host}/stream`, ws for
/// http and wss for https.
pub struct TradeUpdatesStream {
    url: String,
    keys: AlpacaKeys,
    backoff: Duration,
}

impl TradeUpdatesStream {
    /// The stream of the trading host `trading_url` (e.g. `https://paper-api.alpaca.markets`).
    pub fn new(trading_url: &str, keys: AlpacaKeys, backoff: Duration) -> Self {
        let base = trading_url.trim_end_matches('/');
        let url = if let Some(rest) = base.strip_prefix("https://") {
            format!("wss://{rest}/stream")
        } else if let Some(rest) = base.strip_prefix("http://") {
            format!("ws://{rest}/stream")
        } else {
            format!("{base}/stream")
        };
        Self { url, keys, backoff }
    }

    /// The WebSocket URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Connects, authenticates and listens, sending every event to `events`;
    /// reconnects with doubling delays whenever the connection drops. Ends
    /// when `events` is closed, or with an error when the keys are refused.
    pub async fn run(self, events: mpsc::Sender<TradeStreamEvent>) -> Result<(), AlpacaError> {
        run_reconnecting(&self, events).await
    }
}

impl Connection for TradeUpdatesStream {
    type Event = TradeStreamEvent;

    fn url(&self) -> &str {
        &self.url
    }

    fn backoff(&self) -> Duration {
        self.backoff
    }

    fn connected(reconnected: bool) -> TradeStreamEvent {
        TradeStreamEvent::Connected { reconnected }
    }

    fn disconnected(reason: String) -> TradeStreamEvent {
        TradeStreamEvent::Disconnected { reason }
    }

    async fn listen(&self, socket: &mut Socket, events: &mpsc::Sender<TradeStreamEvent>) -> Ended {
        loop {
            let text = match next_text(socket).await {
                Ok(text) => text,
                Err(ended) => return ended,
            };
            let Ok(message) = serde_json::from_str::<Value>(&text) else { continue };
            if message["stream"] != "trade_updates" {
                continue;
            }
            match serde_json::from_value::<TradeUpdate>(message["data"].clone()) {
                Ok(update) => {
                    if events.send(TradeStreamEvent::Update(Box::new(update))).await.is_err() {
                        return Ended::ReceiverGone;
                    }
                }
                Err(error) => {
                    let reason = format!("unreadable trade update ({error}): {text}");
                    return Ended::Dropped(reason);
                }
            }
        }
    }

    /// Authenticates, then asks for `trade_updates`.
    async fn handshake(&self, socket: &mut Socket) -> Result<(), Ended> {
        send(socket, &json!({"action": "auth", "key": self.keys.id(), "secret": self.keys.secret()})).await?;
        loop {
            let message: Value = serde_json::from_str(&next_text(socket).await?).unwrap_or(Value::Null);
            if message["stream"] == "authorization" {
                if message["data"]["status"] == "authorized" {
                    break;
                }
                return Err(Ended::Fatal(AlpacaError::Stream {
                    url: self.url.clone(),
                    message: format!(
                        "authentication refused ({}); check the keys",
                        message["data"]["status"]
                    ),
                }));
            }
        }
        send(socket, &json!({"action": "listen", "data": {"streams": ["trade_updates"]}})).await?;
        loop {
            let message: Value = serde_json::from_str(&next_text(socket).await?).unwrap_or(Value::Null);
            if message["stream"] == "listening" {
                return Ok(());
            }
        }
    }
}
