//! The pure domain model of GPT-Trader: value types and their invariants.
//!
//! Nothing here performs I/O or reads a clock. Every type that crosses a
//! crate boundary — bars, orders, fills, closed trades, positions and the
//! portfolio ledger that ties cash to positions — lives in this crate, and
//! each carries its [`Symbol`] so that multi-symbol runs need no new types.

mod bar;
mod equity;
mod fill;
mod order;
mod portfolio;
mod symbol;
mod time;
mod trade;

pub use bar::{Bar, BarSeries};
pub use equity::{EquityCurve, EquityRecorder};
pub use fill::Fill;
pub use order::{Order, OrderId, OrderRequest, OrderType, Quantity, Side};
pub use portfolio::{OpenLot, Portfolio, Position, UNIT_EPSILON};
pub use symbol::{StrategyId, Symbol};
pub use time::{FormattedTime, NANOS_PER_DAY, TimeFormat, Timestamp};
pub use trade::Trade;
