use gt_execution::Cancellation;
use gt_model::{Fill, Order, Symbol, Trade};

/// Everything a run produced, ready for statistics and reports.
#[derive(Clone, Debug)]
pub struct BacktestResult {
    /// Instrument traded.
    pub symbol: Symbol,
    /// Account equity after each bar (the bars are the source's, in order).
    pub equity: Vec<f64>,
    /// Closed trades in the order they closed.
    pub trades: Vec<Trade>,
    /// Every order the strategy placed, in order.
    pub orders: Vec<Order>,
    /// Every fill, in order.
    pub fills: Vec<Fill>,
    /// Orders the venue cancelled, with reasons.
    pub cancellations: Vec<Cancellation>,
    /// Signed units still held after the last bar.
    pub open_position: f64,
    /// Bars the strategy needed to warm up.
    pub warmup_bars: usize,
    /// Bar index at which the account ran out of money, if it did.
    pub bankrupt_at: Option<usize>,
}
