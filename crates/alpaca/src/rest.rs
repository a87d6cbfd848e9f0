//! The trading REST API v2: account, clock, calendar, assets, orders, positions.

use crate::AlpacaError;
use crate::types::{
    Account, Asset, BrokerOrder, BrokerPosition, CalendarDay, MarketClock, MultiStatusItem, NewOrder,
};
use gt_data::alpaca::AlpacaKeys;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The paper trading host, used unless `APCA_API_BASE_URL` says otherwise.
pub const PAPER_TRADING_URL: &str = "https://paper-api.alpaca.markets";

/// Longest wait for a rate limit to reset.
const MAX_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// A client of the trading API. Retries what is safe to retry: 429 always
/// (the request was not processed), 5xx and lost connections for reads and
/// cancels; an order submission whose fate is unknown is first looked up by
/// its client order id, and only resent if Alpaca does not have it.
#[derive(Clone)]
pub struct TradingClient {
    base_url: String,
    keys: AlpacaKeys,
    http: reqwest::Client,
    max_tries: u32,
    backoff: Duration,
}

/// An answer: status and body.
struct Answer {
    status: StatusCode,
    body: String,
}

impl TradingClient {
    /// A client of `base_url` (e.g. [`PAPER_TRADING_URL`]) with `keys`; waits
    /// start at `backoff` and double.
    pub fn new(base_url: &str, keys: AlpacaKeys, backoff: Duration) -> Result<Self, AlpacaError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("gpt-trader/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| AlpacaError::Transport { url: base_url.to_owned(), message: e.to_string() })?;
        Ok(Self { base_url: base_url.trim_end_matches('/').to_owned(), keys, http, max_tries: 5, backoff })
    }

    /// The trading host.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends one request; retries 429 (waiting as the rate-limit headers say)
    /// and, when `idempotent`, 5xx and lost connections.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        idempotent: bool,
    ) -> Result<Answer, AlpacaError> {
        let url = format!("{}{path}", self.base_url);
        let mut delay = self.backoff;
        let mut last_status = 0;
        for attempt in 1..=self.max_tries {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .header("APCA-API-KEY-ID", self.keys.id())
                .header("APCA-API-SECRET-KEY", self.keys.secret());
            if let Some(body) = &body {
                request = request.header("Content-Type", "application/json").body(body.clone());
            }
            let response = match request.send().await {
                Ok(response) => response,
                Err(_) if idempotent && attempt < self.max_tries => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    continue;
                }
                Err(error) => return Err(AlpacaError::Transport { url, message: error.to_string() }),
            };
            let status = response.status();
            last_status = status.as_u16();
            if status == StatusCode::TOO_MANY_REQUESTS {
                tokio::time::sleep(rate_limit_wait(response.headers(), delay)).await;
                delay *= 2;
                continue;
            }
            if status.is_server_error() && idempotent && attempt < self.max_tries {
                tokio::time::sleep(delay).await;
                delay *= 2;
                continue;
            }
            let body = response
                .text()
                .await
                .map_err(|e| AlpacaError::Transport { url: url.clone(), message: e.to_string() })?;
            return Ok(Answer { status, body });
        }
        Err(AlpacaError::GaveUp {
            what: format!("{method} {path}"),
            status: last_status,
            tries: self.max_tries,
        })
    }

    /// Sends and turns error statuses into [`AlpacaError`]s.
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
        idempotent: bool,
    ) -> Result<String, AlpacaError> {
        let what = format!("{method} {path}");
        let answer = self.send(method, path, body, idempotent).await?;
        let message = || alpaca_message(&answer.body);
        match answer.status.as_u16() {
            200..=299 => Ok(answer.body),
            401 => Err(AlpacaError::Unauthorized),
            403 => Err(AlpacaError::Forbidden { message: message() }),
            404 => Err(AlpacaError::NotFound { what: path.to_owned() }),
            422 => Err(AlpacaError::Unprocessable { message: message() }),
            status if status >= 500 => {
                Err(AlpacaError::GaveUp { what, status, tries: if idempotent { self.max_tries } else { 1 } })
            }
            status => {
                Err(AlpacaError::Status { what, status, body: answer.body.chars().take(200).collect() })
            }
        }
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, AlpacaError> {
        let body = self.call(Method::GET, path, None, true).await?;
        parse(path, &body)
    }

    /// The account: cash, equity, buying power.
    pub async fn account(&self) -> Result<Account, AlpacaError> {
        self.get("/v2/account").await
    }

    /// Whether the market is open, and the next open and close.
    pub async fn clock(&self) -> Result<MarketClock, AlpacaError> {
        self.get("/v2/clock").await
    }

    /// Trading days from `start` to `end` (`YYYY-MM-DD`).
    pub async fn calendar(&self, start: &str, end: &str) -> Result<Vec<CalendarDay>, AlpacaError> {
        self.get(&format!("/v2/calendar?start={start}&end={end}")).await
    }

    /// The asset `symbol`: tradable, fractionable, shortable.
    pub async fn asset(&self, symbol: &str) -> Result<Asset, AlpacaError> {
        self.get(&format!("/v2/assets/{symbol}")).await
    }

    /// Open positions.
    pub async fn positions(&self) -> Result<Vec<BrokerPosition>, AlpacaError> {
        self.get("/v2/positions").await
    }

    /// Open orders.
    pub async fn open_orders(&self) -> Result<Vec<BrokerOrder>, AlpacaError> {
        self.get("/v2/orders?status=open&limit=500").await
    }

    /// The order with our `client_order_id`, if Alpaca has it.
    pub async fn order_by_client_id(
        &self,
        client_order_id: &str,
    ) -> Result<Option<BrokerOrder>, AlpacaError> {
        match self.get(&format!("/v2/orders:by_client_order_id?client_order_id={client_order_id}")).await {
            Ok(order) => Ok(Some(order)),
            Err(AlpacaError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Submits `order` exactly once. A duplicate client order id (422: sent
    /// before, e.g. by a run that crashed) returns the order Alpaca has; an
    /// answer lost to a 5xx or a dropped connection is looked up by client
    /// order id before the order is sent again.
    pub async fn submit_order(&self, order: &NewOrder) -> Result<BrokerOrder, AlpacaError> {
        let body = serde_json::to_string(order)
            .map_err(|e| AlpacaError::Malformed { what: "new order".into(), message: e.to_string() })?;
        let mut delay = self.backoff;
        for attempt in 1..=self.max_tries {
            match self.call(Method::POST, "/v2/orders", Some(body.clone()), false).await {
                Ok(answer) => return parse("POST /v2/orders", &answer),
                Err(AlpacaError::Unprocessable { message }) if message.contains("client_order_id") => {
                    return self
                        .order_by_client_id(&order.client_order_id)
                        .await?
                        .ok_or(AlpacaError::Unprocessable { message });
                }
                Err(error) if error.is_uncertain() && attempt < self.max_tries => {
                    if let Some(sent) = self.order_by_client_id(&order.client_order_id).await? {
                        return Ok(sent);
                    }
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(error) => return Err(error),
            }
        }
        Err(AlpacaError::GaveUp { what: "POST /v2/orders".into(), status: 500, tries: self.max_tries })
    }

    /// Cancels the order `id`; true if it was cancelled, false if it was no longer open.
    pub async fn cancel_order(&self, id: &str) -> Result<bool, AlpacaError> {
        match self.call(Method::DELETE, &format!("/v2/orders/{id}"), None, true).await {
            Ok(_) => Ok(true),
            Err(AlpacaError::NotFound { .. } | AlpacaError::Unprocessable { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Cancels every open order; one status per order (207 Multi-Status).
    pub async fn cancel_all_orders(&self) -> Result<Vec<MultiStatusItem>, AlpacaError> {
        let body = self.call(Method::DELETE, "/v2/orders", None, true).await?;
        parse_multi_status("DELETE /v2/orders", &body)
    }

    /// Closes the position in `symbol` at market; the closing order.
    pub async fn close_position(&self, symbol: &str) -> Result<BrokerOrder, AlpacaError> {
        let path = format!("/v2/positions/{symbol}");
        let body = self.call(Method::DELETE, &path, None, true).await?;
        parse(&path, &body)
    }

    /// Closes every position (cancelling open orders first); one status per symbol (207).
    pub async fn close_all_positions(&self) -> Result<Vec<MultiStatusItem>, AlpacaError> {
        let body = self.call(Method::DELETE, "/v2/positions?cancel_orders=true", None, true).await?;
        parse_multi_status("DELETE /v2/positions", &body)
    }
}

/// How long to wait after a 429: until `X-RateLimit-Reset` (Unix seconds),
/// else `Retry-After` seconds, else `fallback`; at most a minute.
fn rate_limit_wait(headers: &reqwest::header::HeaderMap, fallback: Duration) -> Duration {
    let number = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    let wait = if let Some(reset) = number("x-ratelimit-reset") {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Duration::from_secs(reset).saturating_sub(now)
    } else if let Some(seconds) = number("retry-after") {
        Duration::from_secs(seconds)
    } else {
        fallback
    };
    wait.min(MAX_RATE_LIMIT_WAIT)
}

/// Alpaca's `message` from an error body, else the body itself.
fn alpaca_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_owned))
        .unwrap_or_else(|| body.chars().take(200).collect())
}

fn parse<T: DeserializeOwned>(what: &str, body: &str) -> Result<T, AlpacaError> {
    serde_json::from_str(body)
        .map_err(|e| AlpacaError::Malformed { what: what.to_owned(), message: e.to_string() })
}

/// A 207 body; an empty body means nothing was open.
fn parse_multi_status(what: &str, body: &str) -> Result<Vec<MultiStatusItem>, AlpacaError> {
    if body.trim().is_empty() { Ok(Vec::new()) } else { parse(what, body) }
}
