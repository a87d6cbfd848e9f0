use gt_execution::Cancellation;
use gt_indicators::IndicatorKey;
use gt_model::{Fill, Order, Portfolio, StrategyId, Symbol, Timestamp, Trade};
use gt_risk::{Halt, Refusal};

/// An order the risk engine refused, with where and for whom.
#[derive(Clone, Debug)]
pub struct RefusalRecord {
    /// Time step of the decision.
    pub bar_index: usize,
    /// Time of the decision.
    pub ts: Timestamp,
    /// Instrument.
    pub symbol: Symbol,
    /// Strategy that asked.
    pub strategy: Option<StrategyId>,
    /// Why it was refused.
    pub refusal: Refusal,
}

/// Sleeve weights set during a run.
#[derive(Clone, Debug)]
pub struct Rebalance {
    /// Step at which they were set.
    pub bar_index: usize,
    /// Time of that step.
    pub ts: Timestamp,
    /// New weight of each sleeve, in sleeve order (empty when `error` is set).
    pub weights: Vec<f64>,
    /// Why no weights could be computed (the previous ones were kept).
    pub error: Option<String>,
}

/// What is still held at the end of a run, one entry per open lot.
#[derive(Clone, Debug)]
pub struct OpenLotAtEnd {
    /// Instrument.
    pub symbol: Symbol,
    /// Strategy whose order opened the lot.
    pub strategy: Option<StrategyId>,
    /// Signed units.
    pub size: f64,
    /// Time step of the entry.
    pub entry_bar: usize,
    /// Profit if closed at the last close, after the entry fee.
    pub unrealized_pnl: f64,
}

impl OpenLotAtEnd {
    /// Every lot still open in `portfolio`'s positions at `slots`, marked at their last prices.
    pub fn all_in(portfolio: &Portfolio, slots: &[usize]) -> Vec<Self> {
        slots
            .iter()
            .flat_map(|&slot| {
                let position = portfolio.position(slot);
                position.open_lots().map(move |lot| Self {
                    symbol: position.symbol().clone(),
                    strategy: lot.strategy.cloned(),
                    size: lot.size,
                    entry_bar: lot.entry_bar,
                    unrealized_pnl: lot.size * (position.mark_price() - lot.entry_price) - lot.entry_fee,
                })
            })
            .collect()
    }
}

/// Everything a run produced, ready for statistics, attribution and reports.
#[derive(Clone, Debug)]
pub struct BacktestResult {
    /// The instruments, in source order.
    pub symbols: Vec<Symbol>,
    /// The sleeves' names, in sleeve order (the order of rebalance weights).
    pub sleeves: Vec<StrategyId>,
    /// Time of every step of the merged timeline.
    pub timeline: Vec<Timestamp>,
    /// Account equity after each step.
    pub equity: Vec<f64>,
    /// Closed trades in the order they closed.
    pub trades: Vec<Trade>,
    /// Every order placed (strategies' and protective exits), in order;
    /// empty unless [`crate::EngineConfig::keep_order_log`].
    pub orders: Vec<Order>,
    /// Every fill, in order; empty unless [`crate::EngineConfig::keep_order_log`].
    pub fills: Vec<Fill>,
    /// Orders the venue cancelled, with reasons.
    pub cancellations: Vec<Cancellation>,
    /// Orders the risk engine refused, with reasons.
    pub refusals: Vec<RefusalRecord>,
    /// Sleeve weights set on the rebalancing schedule.
    pub rebalances: Vec<Rebalance>,
    /// When and why the kill switch tripped, if it did.
    pub halt: Option<Halt>,
    /// Lots still open after the last step.
    pub open_lots: Vec<OpenLotAtEnd>,
    /// Steps the strategies needed to warm up (the longest).
    pub warmup_bars: usize,
    /// Step at which the account ran out of money, if it did.
    pub bankrupt_at: Option<usize>,
    /// The indicator keys read on each symbol (what its strategies declared
    /// and the sizing reads), in source order: what a chart of the run overlays.
    pub indicators: Vec<Vec<IndicatorKey>>,
}

impl BacktestResult {
    /// Net units still held in `symbol`.
    pub fn open_position(&self, symbol: &Symbol) -> f64 {
        self.open_lots.iter().filter(|lot| &lot.symbol == symbol).map(|lot| lot.size).sum()
    }
}
