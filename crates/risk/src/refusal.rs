use gt_model::Symbol;
use std::fmt;

/// Why trading was halted (the kill switch). Each variant carries the numbers that tripped it.
#[derive(Clone, Debug, PartialEq)]
pub enum HaltReason {
    /// Equity fell `drawdown_pct` below its peak, at or beyond `limit_pct`.
    MaxDrawdown {
        /// Drawdown from the equity peak, in percent.
        drawdown_pct: f64,
        /// The configured limit, in percent.
        limit_pct: f64,
    },
    /// Equity fell `loss_pct` below the day's starting equity, at or beyond `limit_pct`.
    DailyLoss {
        /// Loss since the start of the day, in percent.
        loss_pct: f64,
        /// The configured limit, in percent.
        limit_pct: f64,
    },
    /// Equity reached zero or less on a broker's account: no new positions;
    /// the broker makes its own margin calls.
    NoEquity {
        /// Equity at that step.
        equity: f64,
    },
    /// Someone pulled the kill switch by hand (`gpt-trader paper kill`).
    Manual {
        /// What they gave as the reason.
        reason: String,
    },
}

impl HaltReason {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            HaltReason::MaxDrawdown { .. } => "max_drawdown",
            HaltReason::DailyLoss { .. } => "max_daily_loss",
            HaltReason::NoEquity { .. } => "no_equity",
            HaltReason::Manual { .. } => "manual",
        }
    }
}

impl fmt::Display for HaltReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HaltReason::MaxDrawdown { drawdown_pct, limit_pct } => {
                write!(f, "drawdown {drawdown_pct:.2} % reached the {limit_pct} % limit")
            }
            HaltReason::DailyLoss { loss_pct, limit_pct } => {
                write!(f, "daily loss {loss_pct:.2} % reached the {limit_pct} % limit")
            }
            HaltReason::NoEquity { equity } => {
                write!(f, "equity reached {equity:.2}: no new positions (the broker handles margin)")
            }
            HaltReason::Manual { reason } => write!(f, "halted by hand: {reason}"),
        }
    }
}

/// Why the risk engine refused an order: a closed set with stable codes, each
/// carrying the numbers that tripped it.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// Trading is halted: only orders that reduce a position pass.
    Halted {
        /// Why it halted.
        reason: HaltReason,
    },
    /// The position cap leaves no room for this order.
    PositionCap {
        /// Instrument.
        symbol: Symbol,
        /// Value the position already has, in cash.
        position_value: f64,
        /// The cap, in cash.
        limit: f64,
    },
    /// The order would take gross exposure above its limit.
    GrossExposure {
        /// Gross exposure with the order, in percent of equity.
        exposure_pct: f64,
        /// The limit, in percent of equity.
        limit_pct: f64,
    },
    /// The order would take net exposure above its limit.
    NetExposure {
        /// Net exposure with the order, in percent of equity.
        exposure_pct: f64,
        /// The limit, in percent of equity.
        limit_pct: f64,
    },
    /// The order would open one position more than allowed.
    MaxPositions {
        /// Positions open (or being opened this bar).
        open: usize,
        /// The limit.
        limit: usize,
    },
    /// The order's value exceeds the per-order limit.
    OrderNotional {
        /// The order's estimated value, in cash.
        notional: f64,
        /// The limit, in cash.
        limit: f64,
    },
}

impl Refusal {
    /// Stable machine code, used in JSON output and the run store.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Halted { .. } => "halted",
            Refusal::PositionCap { .. } => "position_cap",
            Refusal::GrossExposure { .. } => "gross_exposure",
            Refusal::NetExposure { .. } => "net_exposure",
            Refusal::MaxPositions { .. } => "max_positions",
            Refusal::OrderNotional { .. } => "order_notional",
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Halted { reason } => write!(f, "trading halted ({reason}); only reducing orders pass"),
            Refusal::PositionCap { symbol, position_value, limit } => {
                write!(f, "{symbol} position of {position_value:.2} is already at its cap of {limit:.2}")
            }
            Refusal::GrossExposure { exposure_pct, limit_pct } => {
                write!(f, "gross exposure would be {exposure_pct:.2} % of equity, limit {limit_pct} %")
            }
            Refusal::NetExposure { exposure_pct, limit_pct } => {
                write!(f, "net exposure would be {exposure_pct:.2} % of equity, limit {limit_pct} %")
            }
            Refusal::MaxPositions { open, limit } => {
                write!(f, "{open} positions open, the limit is {limit}")
            }
            Refusal::OrderNotional { notional, limit } => {
                write!(f, "order value {notional:.2} exceeds the per-order limit {limit:.2}")
            }
        }
    }
}
