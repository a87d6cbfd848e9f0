//! Yahoo Finance daily history through the v8 chart endpoint.
//!
//! `GET {base}/v8/finance/chart/{symbol}?period1=..&period2=..&interval=1d&events=div,splits`
//! answers with parallel arrays (timestamps and OHLCV, with `null` holes for
//! days without a quote), the adjusted close, and dividend and split events;
//! errors come as `chart.error`. Rate limits (429) and server errors (5xx)
//! are retried with backoff a bounded number of times. The split and
//! dividend adjustment is done here, from the events, not taken from Yahoo.

use crate::calendar::exchange_date;
use crate::fetch::{FetchError, get_with_retries, http_client};
use gt_model::{Bar, BarSeries, Symbol, Timestamp};
use serde_json::Value;
use std::time::Duration;

/// The public host, used unless `GPT_TRADER_YAHOO_URL` says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://query1.finance.yahoo.com";

/// A dividend or split on an exchange date (midnight UTC), as reported.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CorporateAction {
    /// Cash dividend per share, paid to holders before the ex-date.
    Dividend {
        /// Ex-date.
        date: Timestamp,
        /// Amount per share.
        amount: f64,
    },
    /// `ratio` new shares for one old (4.0 for a 4:1 split).
    Split {
        /// Effective date.
        date: Timestamp,
        /// New shares per old share.
        ratio: f64,
    },
}

/// Raw daily bars (keyed by exchange date) and the corporate actions over them.
#[derive(Clone, Debug)]
pub struct History {
    /// Unadjusted bars; days with a `null` quote are left out.
    pub bars: BarSeries,
    /// Dividends and splits, in date order.
    pub actions: Vec<CorporateAction>,
}

/// A Yahoo chart client.
pub struct YahooClient {
    base_url: String,
    http: reqwest::blocking::Client,
    max_tries: u32,
    backoff: Duration,
}

impl CorporateAction {
    /// The action's date.
    pub fn date(&self) -> Timestamp {
        match self {
            CorporateAction::Dividend { date, .. } | CorporateAction::Split { date, .. } => *date,
        }
    }
}

impl YahooClient {
    /// A client for `base_url` (e.g. [`DEFAULT_BASE_URL`] or a local mock); `backoff` is the first retry delay.
    pub fn new(base_url: &str, backoff: Duration) -> Result<Self, FetchError> {
        let http = http_client(base_url)?;
        Ok(Self { base_url: base_url.trim_end_matches('/').to_owned(), http, max_tries: 5, backoff })
    }

    /// Daily history of `symbol` from `start` to `end` (Unix seconds, end exclusive).
    pub fn daily(&self, symbol: &str, start: i64, end: i64) -> Result<History, FetchError> {
        self.history(symbol, start, end, "1d")
    }

    /// History of `symbol` at `interval` (`1d`, `1h`, `1m`; Yahoo serves one-minute
    /// bars for recent weeks only) from `start` to `end` (Unix seconds). Daily
    /// bars are keyed by exchange date, intraday bars by their UTC start.
    pub fn history(&self, symbol: &str, start: i64, end: i64, interval: &str) -> Result<History, FetchError> {
        let url = format!("{}/v8/finance/chart/{}", self.base_url, path_segment(symbol));
        let full = format!(
            "{url}?period1={start}&period2={end}&interval={interval}&events=div%2Csplits&includeAdjustedClose=true"
        );
        let (status, body) =
            get_with_retries(&self.http.get(&full), &url, symbol, self.max_tries, self.backoff)?;
        // Errors arrive as chart.error, with 404 or 400 and sometimes 200.
        let json: Option<Value> = serde_json::from_str(&body).ok();
        if let Some(error) = json.as_ref().and_then(|j| j.pointer("/chart/error")).filter(|e| !e.is_null()) {
            let text = |key: &str| error.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
            return Err(FetchError::Api {
                symbol: symbol.to_owned(),
                code: text("code"),
                description: text("description"),
            });
        }
        if status != 200 {
            return Err(FetchError::Status { symbol: symbol.to_owned(), status, url });
        }
        let json = json
            .ok_or_else(|| FetchError::Malformed { symbol: symbol.to_owned(), message: "not JSON".into() })?;
        parse(symbol, &json, interval == "1d")
    }
}

/// `text` percent-encoded for a URL path (index symbols such as `^GSPC`).
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Reads a chart response.
fn parse(symbol: &str, json: &Value, daily: bool) -> Result<History, FetchError> {
    let bad =
        |message: &str| FetchError::Malformed { symbol: symbol.to_owned(), message: message.to_owned() };
    let result = json.pointer("/chart/result/0").ok_or_else(|| bad("no chart.result"))?;
    let date_of = |seconds: i64| -> Option<Timestamp> {
        let ts = Timestamp::from_nanos(seconds.checked_mul(1_000_000_000)?);
        Timestamp::from_naive_utc(exchange_date(ts).and_hms_opt(0, 0, 0)?)
    };
    let empty = Vec::new();
    let times = result.get("timestamp").and_then(Value::as_array).unwrap_or(&empty);
    let quote = result.pointer("/indicators/quote/0").ok_or_else(|| bad("no indicators.quote"))?;
    let column = |name: &str| -> Result<&Vec<Value>, FetchError> {
        quote
            .get(name)
            .and_then(Value::as_array)
            .filter(|c| c.len() == times.len())
            .ok_or_else(|| bad(&format!("quote.{name} missing or of the wrong length")))
    };
    let (open, high, low, close, volume) =
        (column("open")?, column("high")?, column("low")?, column("close")?, column("volume")?);
    let mut bars = BarSeries::with_capacity(Symbol::new(symbol), times.len());
    let mut last: Option<Timestamp> = None;
    for i in 0..times.len() {
        let (Some(seconds), Some(o), Some(h), Some(l), Some(c)) =
            (times[i].as_i64(), open[i].as_f64(), high[i].as_f64(), low[i].as_f64(), close[i].as_f64())
        else {
            continue; // a day without a quote
        };
        let bar_time = if daily {
            date_of(seconds)
        } else {
            seconds.checked_mul(1_000_000_000).map(Timestamp::from_nanos)
        };
        let Some(ts) = bar_time else { continue };
        if last.is_some_and(|previous| ts <= previous) {
            continue; // Yahoo sometimes repeats the current day
        }
        last = Some(ts);
        bars.push(Bar {
            ts,
            open: o,
            high: h.max(o).max(c),
            low: l.min(o).min(c),
            close: c,
            volume: volume[i].as_f64().unwrap_or(0.0),
        });
    }
    let mut actions = Vec::new();
    let events = |kind: &str| {
        result
            .pointer(&format!("/events/{kind}"))
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.values())
    };
    for dividend in events("dividends") {
        if let (Some(date), Some(amount)) = (
            dividend.get("date").and_then(Value::as_i64).and_then(date_of),
            dividend.get("amount").and_then(Value::as_f64),
        ) {
            actions.push(CorporateAction::Dividend { date, amount });
        }
    }
    for split in events("splits") {
        let number = |key| split.get(key).and_then(Value::as_f64);
        if let (Some(date), Some(numerator), Some(denominator)) = (
            split.get("date").and_then(Value::as_i64).and_then(date_of),
            number("numerator"),
            number("denominator"),
        ) && denominator > 0.0
        {
            actions.push(CorporateAction::Split { date, ratio: numerator / denominator });
        }
    }
    actions.sort_by_key(CorporateAction::date);
    Ok(History { bars, actions })
}

/// Back-adjusts `bars` for `actions`: prices before a split are divided by its
/// ratio (volumes multiplied), and prices before a dividend's ex-date are
/// scaled by `1 − amount / previous close`, so returns across them are the
/// holder's total return. The last bar is unchanged.
pub fn adjust(bars: &BarSeries, actions: &[CorporateAction]) -> BarSeries {
    let n = bars.len();
    let mut price_factor = vec![1.0; n];
    let mut volume_factor = vec![1.0; n];
    for action in actions {
        let (date, price, volume) = match *action {
            CorporateAction::Split { date, ratio } => (date, 1.0 / ratio, ratio),
            CorporateAction::Dividend { date, amount } => {
                let Some(before) = bars.timestamps().iter().rposition(|ts| *ts < date) else { continue };
                (date, 1.0 - amount / bars.closes()[before], 1.0)
            }
        };
        for i in 0..n {
            if bars.timestamps()[i] < date {
                price_factor[i] *= price;
                volume_factor[i] *= volume;
            }
        }
    }
    let mut adjusted = BarSeries::with_capacity(bars.symbol().clone(), n);
    for i in 0..n {
        let bar = bars.bar(i);
        let p = price_factor[i];
        adjusted.push(Bar {
            ts: bar.ts,
            open: bar.open * p,
            high: bar.high * p,
            low: bar.low * p,
            close: bar.close * p,
            volume: bar.volume * volume_factor[i],
        });
    }
    adjusted
}

#[cfg(test)]
#[path = "yahoo_tests.rs"]
mod tests;
