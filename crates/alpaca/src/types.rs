//! Alpaca's trading objects as they arrive: decimals as strings, parsed exactly.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The account (`GET /v2/account`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Account {
    /// Account id.
    pub id: String,
    /// `ACTIVE`, …
    pub status: String,
    /// Currency, e.g. `USD`.
    pub currency: String,
    /// Cash.
    pub cash: Decimal,
    /// Cash plus positions at market.
    pub equity: Decimal,
    /// What may be spent on new positions.
    pub buying_power: Decimal,
    /// True when trading is blocked on the account.
    #[serde(default)]
    pub trading_blocked: bool,
}

/// The market clock (`GET /v2/clock`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct MarketClock {
    /// Now, as Alpaca sees it.
    pub timestamp: String,
    /// Whether the market is open.
    pub is_open: bool,
    /// Next open.
    pub next_open: String,
    /// Next close.
    pub next_close: String,
}

/// A trading day (`GET /v2/calendar`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct CalendarDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Open, `HH:MM` New York time.
    pub open: String,
    /// Close, `HH:MM` New York time (early closes included).
    pub close: String,
}

/// An instrument (`GET /v2/assets/{symbol}`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Asset {
    /// Symbol.
    pub symbol: String,
    /// `active` or `inactive`.
    pub status: String,
    /// Orders are accepted.
    pub tradable: bool,
    /// Fractional quantities are accepted.
    #[serde(default)]
    pub fractionable: bool,
    /// It may be sold short.
    #[serde(default)]
    pub shortable: bool,
}

/// An order as Alpaca reports it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct BrokerOrder {
    /// Alpaca's id.
    pub id: String,
    /// Ours.
    pub client_order_id: String,
    /// Symbol.
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: String,
    /// `market`, `limit`, `stop`, `stop_limit`, `trailing_stop`.
    #[serde(rename = "type")]
    pub order_type: String,
    /// `day`, `gtc`, `opg`, `cls`, `ioc`, `fok`.
    pub time_in_force: String,
    /// Quantity asked (absent for notional orders).
    pub qty: Option<Decimal>,
    /// Quantity filled so far.
    pub filled_qty: Decimal,
    /// Average fill price, once something filled.
    pub filled_avg_price: Option<Decimal>,
    /// Limit price.
    pub limit_price: Option<Decimal>,
    /// Stop price.
    pub stop_price: Option<Decimal>,
    /// `new`, `accepted`, `pending_new`, `partially_filled`, `filled`, `canceled`, `expired`, `rejected`, …
    pub status: String,
}

impl BrokerOrder {
    /// True once the order can change no more.
    pub fn is_final(&self) -> bool {
        matches!(
            self.status.as_str(),
            "filled" | "canceled" | "expired" | "rejected" | "replaced" | "done_for_day"
        )
    }
}

/// A position (`GET /v2/positions`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct BrokerPosition {
    /// Symbol.
    pub symbol: String,
    /// Signed quantity (negative when short).
    pub qty: Decimal,
    /// Average entry price.
    pub avg_entry_price: Decimal,
    /// Value at the current price.
    pub market_value: Option<Decimal>,
    /// Unrealized profit.
    pub unrealized_pl: Option<Decimal>,
    /// Last price.
    pub current_price: Option<Decimal>,
}

/// An order to send (`POST /v2/orders`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NewOrder {
    /// Symbol.
    pub symbol: String,
    /// Quantity (whole or fractional units).
    pub qty: Decimal,
    /// `buy` or `sell`.
    pub side: String,
    /// `market`, `limit`, `stop`, `stop_limit`.
    #[serde(rename = "type")]
    pub order_type: String,
    /// `day`, `gtc`, …
    pub time_in_force: String,
    /// Limit price, for limit and stop-limit orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_price: Option<Decimal>,
    /// Stop price, for stop and stop-limit orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_price: Option<Decimal>,
    /// Trail in percent, for trailing stops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trail_percent: Option<Decimal>,
    /// Our id for it: deterministic, so a resend is recognised.
    pub client_order_id: String,
}

/// One item of a 207 Multi-Status answer (cancel all orders, close all positions).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct MultiStatusItem {
    /// The order id (cancel all) …
    #[serde(default)]
    pub id: Option<String>,
    /// … or the symbol (close all).
    #[serde(default)]
    pub symbol: Option<String>,
    /// HTTP status of this item.
    pub status: u16,
    /// The order it produced or cancelled, or an error object.
    #[serde(default)]
    pub body: serde_json::Value,
}

/// One event of the `trade_updates` stream.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct TradeUpdate {
    /// `new`, `accepted`, `pending_new`, `partial_fill`, `fill`, `canceled`,
    /// `expired`, `done_for_day`, `replaced`, `rejected`, `pending_cancel`, …
    pub event: String,
    /// Unique per execution (fills).
    #[serde(default)]
    pub execution_id: Option<String>,
    /// Price of this execution (fills).
    #[serde(default)]
    pub price: Option<Decimal>,
    /// Quantity of this execution (fills).
    #[serde(default)]
    pub qty: Option<Decimal>,
    /// Position after this execution (fills).
    #[serde(default)]
    pub position_qty: Option<Decimal>,
    /// When it happened.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// The order after the event.
    pub order: BrokerOrder,
}
