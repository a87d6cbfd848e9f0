//! What a notification says: the event, its numbers, one line of text.

use gt_model::Timestamp;
use serde::Serialize;
use std::fmt;

/// The kinds of event a session notifies, as `--notify-events` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The session started or continued.
    Start,
    /// The session stopped (finished, stopped by its operator, or failed).
    Stop,
    /// An order (partly) filled.
    Fill,
    /// The venue rejected an order (broker, insufficient funds, invalid, market closed).
    Rejection,
    /// The risk checks refused orders (one notice per burst, not per order).
    Refusals,
    /// The kill switch tripped.
    Halt,
    /// The kill switch was lifted.
    Resume,
    /// Reconciliation found a position different at the broker.
    Mismatch,
    /// A stream stayed disconnected too long, or came back after that.
    Disconnect,
}

impl NoticeKind {
    /// Every kind, in the order `--help` lists them.
    pub const ALL: [NoticeKind; 9] = [
        NoticeKind::Start,
        NoticeKind::Stop,
        NoticeKind::Fill,
        NoticeKind::Rejection,
        NoticeKind::Refusals,
        NoticeKind::Halt,
        NoticeKind::Resume,
        NoticeKind::Mismatch,
        NoticeKind::Disconnect,
    ];

    /// The kind's name in `--notify-events` and in the `event` field.
    pub fn code(self) -> &'static str {
        match self {
            NoticeKind::Start => "start",
            NoticeKind::Stop => "stop",
            NoticeKind::Fill => "fill",
            NoticeKind::Rejection => "rejection",
            NoticeKind::Refusals => "refusals",
            NoticeKind::Halt => "halt",
            NoticeKind::Resume => "resume",
            NoticeKind::Mismatch => "mismatch",
            NoticeKind::Disconnect => "disconnect",
        }
    }

    /// The kind named `code`, or an error listing the names.
    pub fn parse(code: &str) -> Result<Self, String> {
        let code = code.trim();
        NoticeKind::ALL.into_iter().find(|kind| kind.code() == code).ok_or_else(|| {
            let names: Vec<&str> = NoticeKind::ALL.iter().map(|k| k.code()).collect();
            format!("unknown notification event {code:?}: expected one of {}", names.join(", "))
        })
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One event worth telling the session's user about. The fields a kind has
/// no value for are absent from the body.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Notice {
    /// What happened.
    pub event: NoticeKind,
    /// The session's name (set when the notice is sent).
    pub session: String,
    /// Instrument, for fills, rejections and mismatches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// `buy` or `sell`, for fills and rejections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub side: Option<&'static str>,
    /// Units filled, ordered, or found different.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qty: Option<f64>,
    /// Fill price, or the broker's price of a mismatched position.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    /// Why: the rejection, refusal, halt or stop reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it happened (RFC 3339, UTC).
    pub time: String,
    /// One line saying it, for people (without the session's name).
    #[serde(skip)]
    pub text: String,
}

impl Notice {
    /// A notice of `event` at `time` saying `text`, with no numbers yet.
    pub fn new(event: NoticeKind, time: NoticeTime, text: impl Into<String>) -> Self {
        Self {
            event,
            session: String::new(),
            symbol: None,
            side: None,
            qty: None,
            price: None,
            reason: None,
            time: time.rfc3339(),
            text: text.into(),
        }
    }

    /// With the instrument.
    pub fn symbol(mut self, symbol: impl Into<String>) -> Self {
        self.symbol = Some(symbol.into());
        self
    }

    /// With the side (`buy` or `sell`).
    pub fn side(mut self, side: gt_model::Side) -> Self {
        self.side = Some(match side {
            gt_model::Side::Buy => "buy",
            gt_model::Side::Sell => "sell",
        });
        self
    }

    /// With a quantity.
    pub fn qty(mut self, qty: f64) -> Self {
        self.qty = Some(qty).filter(|q| q.is_finite());
        self
    }

    /// With a price.
    pub fn price(mut self, price: f64) -> Self {
        self.price = Some(price).filter(|p| p.is_finite());
        self
    }

    /// With a reason.
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// When an event happened: a bar's time, or now.
#[derive(Clone, Copy, Debug)]
pub enum NoticeTime {
    /// The time of a bar or fill.
    Bar(Timestamp),
    /// The wall clock's time.
    Now,
}

impl NoticeTime {
    /// The time as RFC 3339 in UTC, to the second.
    fn rfc3339(self) -> String {
        let time = match self {
            NoticeTime::Bar(ts) => ts.to_utc(),
            NoticeTime::Now => chrono::Utc::now(),
        };
        time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_from_its_code_and_nothing_else_does() {
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.code()), Ok(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.code());
        }
        let error = NoticeKind::parse("fills").unwrap_err();
        assert!(error.contains("\"fills\"") && error.contains("fill, rejection"), "{error}");
    }

    #[test]
    fn a_notice_leaves_out_what_it_has_no_value_for() {
        let ts = Timestamp::from_naive_utc(
            chrono::NaiveDate::from_ymd_opt(2026, 3, 2).unwrap().and_hms_opt(14, 31, 0).unwrap(),
        )
        .unwrap();
        let notice = Notice::new(NoticeKind::Fill, NoticeTime::Bar(ts), "bought")
            .symbol("AAPL")
            .side(gt_model::Side::Buy)
            .qty(10.0)
            .price(f64::NAN);
        let body = serde_json::to_value(&notice).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"event": "fill", "session": "", "symbol": "AAPL", "side": "buy",
                "qty": 10.0, "time": "2026-03-02T14:31:00Z"})
        );
    }
}
