use crate::{CancelReason, Cancellation};
use gt_model::{Bar, Fill, Order, OrderId, Portfolio, Symbol, Timestamp};

/// A new bar of one symbol, as the venue needs it to fill orders.
#[derive(Clone, Copy, Debug)]
pub struct BarUpdate {
    /// Index of the bar's time step in the run.
    pub index: usize,
    /// The bar.
    pub bar: Bar,
    /// The symbol's previous bar, if any (fills "at the close" of the decision
    /// bar are booked there).
    pub previous: Option<PreviousBar>,
}

/// Where and at what close a symbol's previous bar was.
#[derive(Clone, Copy, Debug)]
pub struct PreviousBar {
    /// Its time step in the run.
    pub index: usize,
    /// Its time.
    pub ts: Timestamp,
    /// Its close.
    pub close: f64,
}

/// Something that happened to an order at the venue.
#[derive(Clone, Debug)]
pub enum ExecutionEvent {
    /// Some or all of an order traded.
    Filled(Fill),
    /// An order (or its unfilled rest) was cancelled, with the reason.
    Cancelled(Cancellation),
}

/// An order a venue would not accept, handed back with the reason.
#[derive(Clone, Debug)]
pub struct Rejection {
    /// The order as submitted.
    pub order: Order,
    /// Why it was refused.
    pub reason: CancelReason,
}

/// An execution venue: the simulated exchange, or a broker's paper account.
pub trait Venue {
    /// Accepts an order decided on its `decided_bar`, or hands it back refused.
    fn submit(&mut self, order: Order) -> Result<(), Box<Rejection>>;

    /// Lets the venue act on a new bar of the symbol held in portfolio `slot`:
    /// pending orders of that symbol fill or cancel, fills are booked in
    /// `portfolio`, and everything that happened is appended to `events`.
    fn on_bar(
        &mut self,
        slot: usize,
        update: &BarUpdate,
        portfolio: &mut Portfolio,
        events: &mut Vec<ExecutionEvent>,
    );

    /// Executes `order` at once at `price`, booked on bar `bar_index` at `ts`
    /// (forced liquidation when the account runs out of money).
    #[allow(clippy::too_many_arguments)]
    fn execute_now(
        &mut self,
        order: Order,
        price: f64,
        bar_index: usize,
        ts: Timestamp,
        slot: usize,
        portfolio: &mut Portfolio,
        events: &mut Vec<ExecutionEvent>,
    );

    /// Withdraws the pending order `id`; `None` when it is no longer pending.
    fn cancel(&mut self, id: OrderId) -> Option<Order>;

    /// Withdraws every pending order of `symbol` and returns them.
    fn cancel_all(&mut self, symbol: &Symbol) -> Vec<Order>;

    /// Orders accepted and not yet filled or cancelled.
    fn open_orders(&self) -> usize;

    /// The orders accepted and not yet filled or cancelled, in queue order.
    fn resting_orders(&self) -> Vec<&Order>;
}
