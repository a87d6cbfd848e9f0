//! Statistics of a run, with the names and meaning backtesting.py gives them.
//!
//! [`compute_stats`] takes the equity curve, the bar closes and the closed
//! trades and returns [`Stats`]; [`Report`] bundles the statistics with the
//! trade list and the equity curve (with drawdown) as the JSON report prints them.

mod attribution;
mod benchmark;
mod drawdown;
mod numeric;
mod overfitting;
mod periods;
mod profile;
mod report;
mod stats;
mod summary;
pub mod tearsheet;

pub use attribution::{Attribution, OpenExposure, Slice, attribute};
pub use benchmark::{BuyAndHold, equal_weight_index};
pub use drawdown::{DrawdownPeriod, drawdown_fractions, drawdown_periods};
pub use overfitting::{
    DeflatedSharpe, Overfitting, ReturnMoments, deflated_sharpe_ratio, expected_maximum_sharpe,
    probabilistic_sharpe_ratio, probability_of_backtest_overfitting,
};
pub use profile::{DrawdownRow, ROLLING_WINDOW, RunProfile, WORST_DRAWDOWNS, YearReturn, profile};
pub use report::{EquityPoint, Report, TradeRecord};
pub use stats::{Stats, StatsInput, compute_stats, label};
pub use summary::{BlockSums, EquitySummary, SUMMARY_KEYS};
