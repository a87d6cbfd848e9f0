//! Paper trading: the backtest engine on a live clock, every step journaled.
//!
//! A session is the engine run by a [`SessionObserver`] that writes each time
//! step (orders with deterministic client ids, fills, the account snapshot)
//! to the store in one transaction, takes the operator's commands (stop,
//! flatten, kill, resume) from the store between steps, and paces replayed
//! bars. On the simulated venue the engine is deterministic, so a restarted
//! session recovers by replaying its journaled steps (and the commands at the
//! steps they took effect) without pacing or writing, then carries on live:
//! nothing is sent twice and nothing is lost.
//!
//! On an Alpaca paper account ([`alpaca`]) the venue is the broker and the
//! bars come from its stream: intents are journaled before orders leave,
//! fills are followed on the trade-updates stream, positions are reconciled
//! with the broker, and a restart settles the journal with the broker first.

pub mod alpaca;
mod client_id;
mod error;
mod lock;
mod metrics;
pub mod notify;
mod observer;
mod snapshot;
mod whole_session;

pub use client_id::ClientIds;
pub use error::LiveError;
pub use lock::SessionLock;
pub use metrics::{METRICS_CONTENT_TYPE, SessionMetrics, TimedBars};
pub use observer::{Pacing, SessionObserver, StepReport};
pub use snapshot::{OrderRecord, PositionRecord, SessionSnapshot, snapshot};
pub use whole_session::WholeSession;
