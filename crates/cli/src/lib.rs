//! GPT-Trader as a library: write your own strategy and backtest it with the
//! same engine, exchange and statistics as the `gpt-trader` program.
//!
//! `use gpt_trader::prelude::*;` brings in what a strategy and a backtest need;
//! the crates behind it are re-exported by concern for everything else.
//! `examples/custom_strategy.rs` is a complete, tested example.

pub use gt_analytics as analytics;
pub use gt_data as data;
pub use gt_engine as engine;
pub use gt_execution as execution;
pub use gt_indicators as indicators;
pub use gt_model as model;
pub use gt_risk as risk;
pub use gt_strategy as strategy;

/// The names a user strategy and its backtest need.
pub mod prelude {
    pub use gt_analytics::{Stats, StatsInput, compute_stats};
    pub use gt_data::{csv_bars, sample};
    pub use gt_engine::{BacktestResult, EngineConfig, Sleeve, backtest, backtest_portfolio};
    pub use gt_execution::{CostModel, ExchangeConfig};
    pub use gt_indicators::{Atr, BollingerBands, Ema, Macd, Max, Min, Roc, Rsi, Sma, StdDev};
    pub use gt_model::{Bar, BarSeries, OrderType, Quantity, Side, Symbol};
    pub use gt_risk::{ProtectiveExits, RiskConfig, RiskEngine, RiskLimits, Sizing};
    pub use gt_strategy::{Strategy, StrategyContext};
}
