//! Strategies: what to trade, decided one bar at a time.
//!
//! A [`Strategy`] looks at the bar, its own indicators and the position it
//! holds, and answers with order requests through its [`StrategyContext`]; it
//! never sends anything itself. The same strategy therefore runs unchanged in
//! a backtest and in paper trading. Each built-in strategy declares its
//! parameters once ([`ParamSpec`]) and is found by name in the [`registry`].

mod buy_and_hold;
pub mod demo_ma;
mod error;
#[cfg(test)]
mod harness;
pub mod mean_reversion;
pub mod momentum;
mod params;
pub mod registry;
mod strategy;
pub mod trend_breakout;
pub mod volatility;

pub use buy_and_hold::BuyAndHold;
pub use error::StrategyError;
pub use params::{ParamKind, ParamSpec, ParamValue, Params};
pub use registry::StrategySpec;
pub use strategy::{Strategy, StrategyContext};
