//! The engine loop: one loop for backtests and, later, paper trading.
//!
//! Only three things differ between those modes — the [`Clock`], the
//! [`BarSource`] and the [`gt_execution::Venue`] — and the engine takes all
//! three as parameters. Per bar it (1) lets the venue fill pending orders,
//! (2) marks the portfolio to the close, (3) records equity, (4) asks the
//! strategy for orders and (5) hands them to the venue, which will first
//! look at them on the next bar: no decision can see a later price.

mod clock;
mod engine;
mod result;
mod source;

pub use clock::{Clock, SimulatedClock};
pub use engine::{Engine, EngineConfig, backtest};
pub use result::BacktestResult;
pub use source::{BarSource, SeriesReplay};
