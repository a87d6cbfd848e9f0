//! What both streams share: connecting (ws or wss, rustls with ring),
//! reading text or binary frames, and the reconnect delay.

use crate::AlpacaError;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
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

/// The next reconnection delay after `delay`: doubled, at most [`MAX_RECONNECT_DELAY`].
pub(crate) fn next_delay(delay: Duration) -> Duration {
    (delay * 2).min(MAX_RECONNECT_DELAY)
}
