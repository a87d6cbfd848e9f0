use crate::{StrategyId, Symbol, Timestamp};
use serde::Serialize;

/// Direction of an order or fill.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// Buy: increases a long or reduces a short position.
    Buy,
    /// Sell: reduces a long or increases a short position.
    Sell,
}

impl Side {
    /// `+1.0` for buys, `-1.0` for sells: multiply a positive quantity to get a signed one.
    #[inline]
    pub fn sign(self) -> f64 {
        match self {
            Side::Buy => 1.0,
            Side::Sell => -1.0,
        }
    }

    /// The side that reduces a position of signed size `position`.
    pub fn closing(position: f64) -> Side {
        if position > 0.0 { Side::Sell } else { Side::Buy }
    }
}

/// How much an order asks for.
#[derive(Clone, Copy, PartialEq, Debug, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Quantity {
    /// A number of units (shares), positive.
    Units(f64),
    /// A fraction in `(0, 1]` of the equity available when the order fills,
    /// converted to units at the fill price after costs.
    EquityFraction(f64),
}

impl Quantity {
    /// "All available equity", spelled as backtesting.py spells it (`1 - ε`)
    /// so that sizing rounds exactly as it does.
    pub const ALL_EQUITY: Quantity = Quantity::EquityFraction(1.0 - f64::EPSILON);
}

/// What price condition an order waits for.
#[derive(Clone, Copy, PartialEq, Debug, Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum OrderType {
    /// Fill at the next available price.
    Market,
    /// Fill at `limit` or better.
    Limit {
        /// Worst acceptable price.
        limit: f64,
    },
    /// Becomes a market order once the price touches `stop`.
    Stop {
        /// Trigger price.
        stop: f64,
    },
    /// A stop that follows the price: `trail_pct` percent behind the best
    /// price reached since it was placed (the highest for a sell, the lowest
    /// for a buy), starting from `anchor`.
    TrailingStop {
        /// Distance behind the best price, in percent.
        trail_pct: f64,
        /// Best price when the order is placed (usually the entry fill price).
        anchor: f64,
    },
    /// Becomes a limit order at `limit` once the price touches `stop`.
    StopLimit {
        /// Trigger price.
        stop: f64,
        /// Worst acceptable price once triggered.
        limit: f64,
    },
}

/// An order a strategy wants placed: what, which way, how much, on what condition.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct OrderRequest {
    /// Instrument to trade.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// Amount wanted.
    pub quantity: Quantity,
    /// Price condition.
    pub order_type: OrderType,
    /// Only reduce an existing opposite position; never open or flip one.
    pub reduce_only: bool,
    /// The strategy that placed it, when several share the account.
    pub strategy: Option<StrategyId>,
}

impl OrderRequest {
    /// A market order.
    pub fn market(symbol: Symbol, side: Side, quantity: Quantity) -> Self {
        Self { symbol, side, quantity, order_type: OrderType::Market, reduce_only: false, strategy: None }
    }

    /// A reduce-only market order that closes `position` (signed units).
    pub fn close(symbol: Symbol, position: f64) -> Self {
        Self {
            symbol,
            side: Side::closing(position),
            quantity: Quantity::Units(position.abs()),
            order_type: OrderType::Market,
            reduce_only: true,
            strategy: None,
        }
    }

    /// Replaces the price condition.
    pub fn with_type(mut self, order_type: OrderType) -> Self {
        self.order_type = order_type;
        self
    }
}

/// Identifier a venue gives an accepted order, unique within a run.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize)]
pub struct OrderId(pub u64);

impl OrderId {
    /// The order of a fill booked without one of the session's orders: a
    /// position found at the broker, when a session opens or reconciles.
    pub const BOOKED: OrderId = OrderId(u64::MAX);
}

/// An order accepted by a venue, with when it was decided.
#[derive(Clone, PartialEq, Debug, Serialize)]
pub struct Order {
    /// Venue-assigned identifier.
    pub id: OrderId,
    /// What was asked for.
    #[serde(flatten)]
    pub request: OrderRequest,
    /// Index of the bar on which the strategy decided it.
    pub decided_bar: usize,
    /// Time of that bar.
    #[serde(skip)]
    pub decided_at: Timestamp,
}
