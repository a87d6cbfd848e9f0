use crate::{OrderId, Side, StrategyId, Symbol, Timestamp};

/// An execution: some quantity of an order traded at one price.
#[derive(Clone, PartialEq, Debug)]
pub struct Fill {
    /// The order this fill belongs to.
    pub order_id: OrderId,
    /// Instrument traded.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Units traded, positive.
    pub quantity: f64,
    /// Execution price per unit, after slippage.
    pub price: f64,
    /// Fees charged for this fill, in cash.
    pub commission: f64,
    /// Index of the bar the fill is booked on.
    pub bar_index: usize,
    /// Time the fill is booked at.
    pub ts: Timestamp,
    /// The strategy whose order this was.
    pub strategy: Option<StrategyId>,
}

impl Fill {
    /// Signed units: positive for buys, negative for sells.
    #[inline]
    pub fn signed_quantity(&self) -> f64 {
        self.side.sign() * self.quantity
    }
}
