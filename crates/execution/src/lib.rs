//! Where orders go: a [`Venue`] accepts orders and turns them into fills.
//!
//! The [`SimulatedExchange`] fills against historical or replayed bars
//! (market, limit, stop and stop-limit orders, gap-aware, with commission and
//! slippage). A broker adapter for paper trading implements the same trait,
//! so the engine and the strategies do not know which one they talk to.

mod cancel;
mod costs;
mod simulated;
mod sizing;
mod venue;

pub use cancel::{CancelReason, Cancellation};
pub use costs::{CostConfigError, CostModel};
pub use simulated::{ExchangeConfig, SimulatedExchange};
pub use venue::{BarUpdate, ExecutionEvent, PreviousBar, Rejection, Venue};
