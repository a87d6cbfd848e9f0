//! What both streams share: connecting (ws or wss, rustls with ring),
//! reading text or binary frames, and reconnecting.

use crate::AlpacaError;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// An open stream connection.
pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait between two reconnection attempts.
pub(crate) const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(30);

/// Why a connection ended.
pub(crate) enum Ended {
    /// The receiver of the events is gone: stop quietly.
    ReceiverGone,
    /// Refused for good (bad keys): stop with this error.
    Fatal(AlpacaError),
    /// Dropped, closed or failed: connect again.
    Dropped(String),
}

/// Opens a WebSocket to `url` (`ws://` or `wss://`).
pub(crate) async fn connect(url: &str) -> Result<Socket, Ended> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match tokio_tungstenite::connect_async(url).await {
        Ok((socket, _)) => Ok(socket),
        Err(error) => Err(Ended::Dropped(format!("cannot connect to {url}: {error}"))),
    }
}

/// Sends one JSON message.
pub(crate) async fn send(socket: &mut Socket, message: &serde_json::Value) -> Result<(), Ended> {
    socket
        .send(Message::text(message.to_string()))
        .await
        .map_err(|e| Ended::Dropped(format!("send failed: {e}")))
}

/// The next text of the stream: text frames as they are, binary frames
/// (Alpaca's paper trade updates) as UTF-8; pings answered.
pub(crate) async fn next_text(socket: &mut Socket) -> Result<String, Ended> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
            Some(Ok(Message::Binary(bytes))) => {
                return String::from_utf8(bytes.to_vec())
                    .map_err(|_| Ended::Dropped("a binary frame is not UTF-8".into()));
            }
            Some(Ok(Message::Ping(payload))) => {
                socket.send(Message::Pong(payload)).await.map_err(|e| Ended::Dropped(e.to_string()))?;
            }
            Some(Ok(Message::Close(frame))) => {
                return Err(Ended::Dropped(
                    frame.map_or("closed".to_owned(), |f| format!("closed: {}", f.reason)),
                ));
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => return Err(Ended::Dropped(error.to_string())),
            None => return Err(Ended::Dropped("connection lost".into())),
        }
    }
}

/// One of Alpaca's streams, as [`run_reconnecting`] drives it.
pub(crate) trait Connection {
    /// What the stream reports.
    type Event: Send;

    /// Its WebSocket URL.
    fn url(&self) -> &str;

    /// The first wait before connecting again (it doubles while connections fail).
    fn backoff(&self) -> Duration;

    /// The event that says a connection is ready.
    fn connected(reconnected: bool) -> Self::Event;

    /// The event that says a connection dropped.
    fn disconnected(reason: String) -> Self::Event;

    /// Authenticates and subscribes on a new connection.
    async fn handshake(&self, socket: &mut Socket) -> Result<(), Ended>;

    /// Turns the connection's messages into events until it ends.
    async fn listen(&self, socket: &mut Socket, events: &mpsc::Sender<Self::Event>) -> Ended;
}

/// Connects, hands the stream's events to `events`, and connects again with
/// doubling delays (reset by a successful handshake) whenever the connection
/// drops. Ends when `events` is closed, or with the error that refused it for good.
pub(crate) async fn run_reconnecting<C: Connection>(
    stream: &C,
    events: mpsc::Sender<C::Event>,
) -> Result<(), AlpacaError> {
    let mut reconnected = false;
    let mut delay = stream.backoff();
    loop {
        let ended = match connect(stream.url()).await {
            Err(ended) => ended,
            Ok(mut socket) => match stream.handshake(&mut socket).await {
                Err(ended) => ended,
                Ok(()) => {
                    delay = stream.backoff();
                    if events.send(C::connected(reconnected)).await.is_err() {
                        return Ok(());
                    }
                    stream.listen(&mut socket, &events).await
                }
            },
        };
        match ended {
            Ended::ReceiverGone => return Ok(()),
            Ended::Fatal(error) => return Err(error),
            Ended::Dropped(reason) => {
                if events.send(C::disconnected(reason)).await.is_err() {
                    return Ok(());
                }
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_RECONNECT_DELAY);
        reconnected = true;
    }
}
