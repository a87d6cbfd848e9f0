use gt_model::{Order, Timestamp};
use std::fmt;

/// Why a venue cancelled an order instead of filling it. A closed set: each
/// variant has a stable machine code and carries the numbers behind it.
#[derive(Clone, Debug, PartialEq)]
pub enum CancelReason {
    /// Not enough available equity for even one unit (or for the size asked).
    InsufficientFunds {
        /// Cash needed, costs included.
        required: f64,
        /// Equity available for new positions.
        available: f64,
    },
    /// The order resolves to zero units (e.g. a fractional size in whole-unit mode).
    ZeroQuantity {
        /// The quantity asked for.
        requested: f64,
    },
    /// A reduce-only order found no opposite position to reduce.
    NothingToClose,
    /// The run ended (positions were closed at the end) before the order could fill.
    EndOfRun,
    /// Withdrawn on the user's request (`paper flatten` or `paper kill`).
    Withdrawn,
    /// The broker refused or ended it (rejected, cancelled, expired), or it could not be sent.
    Broker {
        /// The broker's word for it.
        message: String,
    },
    /// The market is closed and orders are not sent outside its hours.
    MarketClosed,
    /// Decided while the strategies warmed up on history: never sent.
    WarmUp,
    /// The order itself is malformed (non-positive size or price, fraction outside (0, 1]).
    Invalid {
        /// Which field is wrong.
        field: &'static str,
        /// Its value.
        value: f64,
    },
}

impl CancelReason {
    /// Whether the venue refused the order (the broker, funds, a malformed
    /// order, a closed market), rather than the session or the run ending it.
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            CancelReason::Broker { .. }
                | CancelReason::InsufficientFunds { .. }
                | CancelReason::Invalid { .. }
                | CancelReason::MarketClosed
        )
    }

    /// Stable machine code, used in JSON output and the run store.
    pub fn code(&self) -> &'static str {
        match self {
            CancelReason::InsufficientFunds { .. } => "insufficient_funds",
            CancelReason::ZeroQuantity { .. } => "zero_quantity",
            CancelReason::NothingToClose => "nothing_to_close",
            CancelReason::EndOfRun => "end_of_run",
            CancelReason::Withdrawn => "withdrawn",
            CancelReason::Broker { .. } => "broker",
            CancelReason::MarketClosed => "market_closed",
            CancelReason::WarmUp => "warm_up",
            CancelReason::Invalid { .. } => "invalid_order",
        }
    }
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CancelReason::InsufficientFunds { required, available } => {
                write!(f, "insufficient funds: needs {required:.2} including costs, {available:.2} available")
            }
            CancelReason::ZeroQuantity { requested } => {
                write!(f, "quantity {requested} rounds to zero whole units")
            }
            CancelReason::NothingToClose => {
                write!(f, "reduce-only order found no position to close")
            }
            CancelReason::EndOfRun => write!(f, "the run ended before the order could fill"),
            CancelReason::Withdrawn => write!(f, "withdrawn on request (flatten or kill)"),
            CancelReason::Broker { message } => write!(f, "broker: {message}"),
            CancelReason::MarketClosed => write!(f, "the market is closed"),
            CancelReason::WarmUp => write!(f, "decided on warm-up history, not sent"),
            CancelReason::Invalid { field, value } => write!(f, "invalid order: {field} = {value}"),
        }
    }
}

/// A cancelled order with its reason and when it happened.
#[derive(Clone, Debug)]
pub struct Cancellation {
    /// The order as accepted.
    pub order: Order,
    /// Why it was cancelled.
    pub reason: CancelReason,
    /// Bar index of the cancellation.
    pub bar_index: usize,
    /// Time of the cancellation.
    pub ts: Timestamp,
}
