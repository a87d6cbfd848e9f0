//! Protective exits: stop-loss, take-profit and trailing stop orders that
//! follow each position at the venue, so gaps through them are honoured.

use gt_execution::Venue;
use gt_model::{Order, OrderId, OrderRequest, OrderType, Position, Quantity, Side, Timestamp};
use gt_risk::ProtectiveExits;

/// The protective orders resting at the venue for each symbol.
pub(crate) struct ProtectiveOrders {
    exits: ProtectiveExits,
    resting: Vec<Vec<OrderId>>,
}

impl ProtectiveOrders {
    pub(crate) fn new(exits: ProtectiveExits, symbols: usize) -> Self {
        Self { exits, resting: vec![Vec::new(); symbols] }
    }

    /// Withdraws the resting exits of `symbol` (one-cancels-other once a position is gone).
    pub(crate) fn withdraw(&mut self, symbol: usize, venue: &mut impl Venue) {
        for id in self.resting[symbol].drain(..) {
            venue.cancel(id);
        }
    }

    /// Forgets the resting exits of `symbol` (the venue withdrew them itself).
    pub(crate) fn forget(&mut self, symbol: usize) {
        self.resting[symbol].clear();
    }

    /// After fills changed the position in `symbol` (it held `held_before`):
    /// withdraws the old exits and, if a position remains, places new ones
    /// around its average entry price. Returns the orders placed.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn follow(
        &mut self,
        symbol: usize,
        held_before: f64,
        position: &Position,
        venue: &mut impl Venue,
        next_order_id: &mut u64,
        index: usize,
        ts: Timestamp,
    ) -> Vec<Order> {
        let held = position.quantity();
        if !self.exits.any() || held == held_before {
            return Vec::new();
        }
        self.withdraw(symbol, venue);
        let Some(entry) = position.avg_entry_price().filter(|_| held != 0.0) else { return Vec::new() };
        let long = held > 0.0;
        let side = Side::closing(held);
        // Prices on the losing and winning side of the entry, `pct` percent away.
        let against = |pct: f64| if long { entry * (1.0 - pct / 100.0) } else { entry * (1.0 + pct / 100.0) };
        let favour = |pct: f64| if long { entry * (1.0 + pct / 100.0) } else { entry * (1.0 - pct / 100.0) };
        let mut order_types = Vec::with_capacity(3);
        if let Some(pct) = self.exits.stop_loss_pct {
            order_types.push(OrderType::Stop { stop: against(pct) });
        }
        if let Some(pct) = self.exits.take_profit_pct {
            order_types.push(OrderType::Limit { limit: favour(pct) });
        }
        if let Some(pct) = self.exits.trailing_stop_pct {
            order_types.push(OrderType::TrailingStop { trail_pct: pct, anchor: entry });
        }
        let mut placed = Vec::with_capacity(order_types.len());
        for order_type in order_types {
            let request = OrderRequest {
                symbol: position.symbol().clone(),
                side,
                quantity: Quantity::Units(held.abs()),
                order_type,
                reduce_only: true,
                strategy: None,
            };
            let order = Order { id: OrderId(*next_order_id), request, decided_bar: index, decided_at: ts };
            *next_order_id += 1;
            if venue.submit(order.clone()).is_ok() {
                self.resting[symbol].push(order.id);
                placed.push(order);
            }
        }
        placed
    }
}
