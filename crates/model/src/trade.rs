use crate::{StrategyId, Symbol, Timestamp};

/// A closed round trip: a position (or part of one) opened by one fill and closed by another.
///
/// Profit and return follow backtesting.py: commissions of both legs are
/// deducted, and the return is relative to the entry value.
#[derive(Clone, PartialEq, Debug)]
pub struct Trade {
    /// Instrument traded.
    pub symbol: Symbol,
    /// Signed units: negative for a short trade.
    pub size: f64,
    /// Bar index of the entry fill.
    pub entry_bar: usize,
    /// Bar index of the exit fill.
    pub exit_bar: usize,
    /// Time of the entry fill.
    pub entry_time: Timestamp,
    /// Time of the exit fill.
    pub exit_time: Timestamp,
    /// Entry price per unit.
    pub entry_price: f64,
    /// Exit price per unit.
    pub exit_price: f64,
    /// Commissions of both legs attributed to this trade, in cash.
    pub commission: f64,
    /// The strategy whose order opened the trade.
    pub strategy: Option<StrategyId>,
}

impl Trade {
    /// Profit in cash after both legs' commissions.
    pub fn pnl(&self) -> f64 {
        self.size * (self.exit_price - self.entry_price) - self.commission
    }

    /// Return as a fraction of entry value, after commissions (backtesting.py's `pl_pct`).
    pub fn return_fraction(&self) -> f64 {
        let gross = self.size.signum() * (self.exit_price / self.entry_price - 1.0);
        gross - self.commission / (self.size.abs() * self.entry_price)
    }

    /// How long the trade was open, in days.
    pub fn duration_days(&self) -> f64 {
        self.exit_time.days_since(self.entry_time)
    }
}
