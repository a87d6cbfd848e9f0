//! The engine loop: one loop for backtests and, later, paper trading.
//!
//! Only three things differ between those modes — the [`Clock`], the
//! [`BarSource`] and the [`gt_execution::Venue`] — and the engine takes all
//! three as parameters. Several strategies ([`Sleeve`]s) on several symbols
//! share one account; every order passes the risk engine. Orders reach the
//! venue after the bar they were decided on: no decision can see a later price.

mod clock;
mod engine;
pub mod indicators;
mod observer;
mod protective;
mod rebalance;
mod result;
mod sleeve;
mod sleeve_book;
mod source;

pub use clock::{Clock, SimulatedClock};
pub use engine::{
    Engine, EngineConfig, OnRuin, OpeningPosition, backtest, backtest_portfolio, backtest_portfolio_recorded,
};
pub use observer::{Command, StepObserver, StepView, Unobserved};
pub use rebalance::{AllocationPlan, Schedule, SharedWeightModel, WeightMethod, WeightModel};
pub use result::{BacktestResult, OpenLotAtEnd, Rebalance, RefusalRecord};
pub use sleeve::Sleeve;
pub use source::{BarSource, SeriesReplay};
