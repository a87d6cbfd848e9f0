//! Risk: every order passes here before it reaches a venue.
//!
//! [`RiskEngine::check`] answers an order request with [`Approved`] (possibly
//! resized) or a typed [`Refusal`]; only this crate can make an `Approved`, so
//! code that sends orders cannot be handed one the risk engine has not seen.
//! [`RiskEngine::on_equity`] watches drawdown and daily loss and trips the
//! kill switch, after which only reducing orders pass. [`allocation`] weighs
//! strategy sleeves against each other.

pub mod allocation;
mod approved;
mod config;
mod engine;
mod refusal;

pub use approved::{Approved, Refused};
pub use config::{ProtectiveExits, RiskConfig, RiskConfigError, RiskLimits, Sizing};
pub use engine::{AccountView, Halt, LossWatch, RiskEngine};
pub use refusal::{HaltReason, Refusal};
