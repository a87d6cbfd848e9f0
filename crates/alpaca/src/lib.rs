//! Alpaca paper trading, spoken on the wire: the trading REST API v2, the
//! `trade_updates` stream and the market-data bar stream.
//!
//! Thin clients of our own (DESIGN: `apca` is GPL-3.0), tested against local
//! mock servers that speak Alpaca's formats. Every URL is overridable
//! (`APCA_API_BASE_URL`, `APCA_API_DATA_URL`, `APCA_API_STREAM_URL`) for
//! tests, proxies and users. Decimals arrive as strings and are parsed exactly.

mod bar_stream;
mod error;
mod rest;
mod socket;
mod trade_stream;
mod types;

pub use bar_stream::{BarStream, BarStreamEvent, DEFAULT_STREAM_URL, StreamBar};
pub use error::AlpacaError;
pub use rest::{PAPER_TRADING_URL, TradingClient};
pub use trade_stream::{TradeStreamEvent, TradeUpdatesStream};
pub use types::{
    Account, Asset, BrokerOrder, BrokerPosition, CalendarDay, MarketClock, MultiStatusItem, NewOrder,
    TradeUpdate,
};
