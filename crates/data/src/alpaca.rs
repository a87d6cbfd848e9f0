//! Alpaca market-data v2 bars: `GET {base}/v2/stocks/{symbol}/bars`.
//!
//! Keys go in the `APCA-API-KEY-ID` / `APCA-API-SECRET-KEY` headers; pages
//! follow `next_page_token`; `feed` (iex, sip) and `adjustment` (raw, split,
//! dividend, all) pass through. 429/5xx are retried with backoff, 401/403
//! reported with what to check. Daily bars are keyed by exchange date.

use crate::calendar::exchange_date;
use crate::fetch::{FetchError, get_with_retries, http_client};
use gt_model::{Bar, BarSeries, Symbol, Timestamp};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// The public market-data host, used unless `APCA_API_DATA_URL` says otherwise.
pub const DEFAULT_DATA_URL: &str = "https://data.alpaca.markets";

/// Key pair for Alpaca's APIs. Never printed.
#[derive(Clone)]
pub struct AlpacaKeys {
    id: String,
    secret: String,
}

impl AlpacaKeys {
    /// A key pair given directly (tests, or keys read from elsewhere).
    pub fn new(id: &str, secret: &str) -> Self {
        Self { id: id.to_owned(), secret: secret.to_owned() }
    }

    /// The key id (sent as `APCA-API-KEY-ID`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The secret (sent as `APCA-API-SECRET-KEY`); never log it.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Keys from `APCA_API_KEY_ID` and `APCA_API_SECRET_KEY`.
    pub fn from_env() -> Result<Self, FetchError> {
        match (std::env::var("APCA_API_KEY_ID"), std::env::var("APCA_API_SECRET_KEY")) {
            (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => Ok(Self { id, secret }),
            _ => Err(FetchError::MissingKeys),
        }
    }
}

impl std::fmt::Debug for AlpacaKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AlpacaKeys(***)")
    }
}

/// A market-data client.
pub struct AlpacaClient {
    base_url: String,
    keys: AlpacaKeys,
    feed: String,
    http: reqwest::blocking::Client,
    max_tries: u32,
    backoff: Duration,
}

impl AlpacaClient {
    /// A client for `base_url` with `keys`, reading the `feed` (iex or sip).
    pub fn new(base_url: &str, keys: AlpacaKeys, feed: &str, backoff: Duration) -> Result<Self, FetchError> {
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            keys,
            feed: feed.to_owned(),
            http: http_client(base_url)?,
            max_tries: 5,
            backoff,
        })
    }

    /// Bars of `symbol` at `timeframe` (`1Day`, `1Hour`, `1Min`) from `start`
    /// to `end` (RFC 3339), all pages, with `adjustment` applied by Alpaca.
    pub fn bars(
        &self,
        symbol: &str,
        timeframe: &str,
        start: &str,
        end: &str,
        adjustment: &str,
    ) -> Result<BarSeries, FetchError> {
        let url = format!("{}/v2/stocks/{symbol}/bars", self.base_url);
        let mut series = BarSeries::with_capacity(Symbol::new(symbol), 1024);
        self.pages(
            &url,
            symbol,
            &[("timeframe", timeframe), ("start", start), ("end", end), ("adjustment", adjustment)],
            |page| {
                for bar in page.get("bars").and_then(Value::as_array).into_iter().flatten() {
                    series.push(parse_bar(symbol, bar, timeframe == "1Day")?);
                }
                Ok(())
            },
        )?;
        Ok(series)
    }

    /// Bars of several symbols in one request series (`/v2/stocks/bars?symbols=...`),
    /// by symbol; a symbol without bars in the range is absent.
    pub fn bars_many(
        &self,
        symbols: &[String],
        timeframe: &str,
        start: &str,
        end: &str,
        adjustment: &str,
    ) -> Result<BTreeMap<String, BarSeries>, FetchError> {
        let url = format!("{}/v2/stocks/bars", self.base_url);
        let label = symbols.join(",");
        let query = [
            ("symbols", label.as_str()),
            ("timeframe", timeframe),
            ("start", start),
            ("end", end),
            ("adjustment", adjustment),
        ];
        let mut out: BTreeMap<String, BarSeries> = BTreeMap::new();
        self.pages(&url, &label, &query, |page| {
            for (symbol, bars) in page.get("bars").and_then(Value::as_object).into_iter().flatten() {
                let series = out
                    .entry(symbol.clone())
                    .or_insert_with(|| BarSeries::with_capacity(Symbol::new(symbol), 1024));
                for bar in bars.as_array().into_iter().flatten() {
                    series.push(parse_bar(symbol, bar, timeframe == "1Day")?);
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Requests `url` with `query` page after page (following
    /// `next_page_token`), handing each page's JSON to `on_page`.
    fn pages(
        &self,
        url: &str,
        label: &str,
        query: &[(&str, &str)],
        mut on_page: impl FnMut(&Value) -> Result<(), FetchError>,
    ) -> Result<(), FetchError> {
        let mut page: Option<String> = None;
        loop {
            let mut encoded: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
            encoded.push(format!("feed={}", encode(&self.feed)));
            encoded.push("limit=10000".to_owned());
            if let Some(token) = &page {
                encoded.push(format!("page_token={}", encode(token)));
            }
            let request = self
                .http
                .get(format!("{url}?{}", encoded.join("&")))
                .header("APCA-API-KEY-ID", &self.keys.id)
                .header("APCA-API-SECRET-KEY", &self.keys.secret);
            let (status, body) = get_with_retries(&request, url, label, self.max_tries, self.backoff)?;
            let json: Option<Value> = serde_json::from_str(&body).ok();
            let message = || {
                json.as_ref().and_then(|j| j.get("message")).and_then(Value::as_str).unwrap_or("").to_owned()
            };
            match status {
                200 => {}
                401 | 403 => {
                    return Err(FetchError::Unauthorized {
                        symbol: label.to_owned(),
                        status,
                        message: message(),
                    });
                }
                _ => {
                    return Err(FetchError::Status { symbol: label.to_owned(), status, url: url.to_owned() });
                }
            }
            let json = json.ok_or_else(|| FetchError::Malformed {
                symbol: label.to_owned(),
                message: "not JSON".into(),
            })?;
            on_page(&json)?;
            page = json.get("next_page_token").and_then(Value::as_str).map(str::to_owned);
            if page.is_none() {
                return Ok(());
            }
        }
    }
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// One `{"t","o","h","l","c","v"}` bar.
fn parse_bar(symbol: &str, bar: &Value, daily: bool) -> Result<Bar, FetchError> {
    let bad = |message: String| FetchError::Malformed { symbol: symbol.to_owned(), message };
    let number = |key: &str| {
        bar.get(key).and_then(Value::as_f64).ok_or_else(|| bad(format!("bar without '{key}': {bar}")))
    };
    let time = bar.get("t").and_then(Value::as_str).ok_or_else(|| bad(format!("bar without 't': {bar}")))?;
    let instant =
        chrono::DateTime::parse_from_rfc3339(time).map_err(|e| bad(format!("bad time {time:?}: {e}")))?;
    let ts = Timestamp::from_naive_utc(instant.naive_utc())
        .ok_or_else(|| bad(format!("time out of range: {time}")))?;
    let ts = if daily {
        exchange_date(ts)
            .and_hms_opt(0, 0, 0)
            .and_then(Timestamp::from_naive_utc)
            .ok_or_else(|| bad(format!("time out of range: {time}")))?
    } else {
        ts
    };
    Ok(Bar {
        ts,
        open: number("o")?,
        high: number("h")?,
        low: number("l")?,
        close: number("c")?,
        volume: number("v")?,
    })
}

#[cfg(test)]
#[path = "alpaca_tests.rs"]
mod tests;
