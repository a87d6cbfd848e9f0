//! Streaming technical indicators.
//!
//! Each indicator takes one input per bar in O(1) time without allocating,
//! and reports `None` while it warms up, so the same code serves a backtest
//! replaying history and a live session receiving bars one at a time.

mod sma;

pub use sma::Sma;
