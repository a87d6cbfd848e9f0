use gt_indicators::{IndicatorBank, IndicatorHandle};
use gt_model::{Bar, OrderRequest, OrderType, Quantity, Side, Symbol};

/// A trading rule applied bar by bar.
///
/// Implementations declare the indicators they read (keys of the symbol's
/// [`IndicatorBank`], shared with every other reader of the same key), read
/// them, the current bar and the position from the context, and place
/// requests with it. They must not look at anything but what the context
/// gives them: that is what keeps a backtest free of look-ahead and
/// identical to paper trading.
pub trait Strategy: Send {
    /// Bars the strategy needs before its first possible signal (its
    /// indicators' warm-up). Buy & hold in the report starts after them, as
    /// in backtesting.py. Known before [`Strategy::declare`].
    fn warmup_bars(&self) -> usize;

    /// Registers the indicator keys the strategy reads in its symbol's bank
    /// and keeps the handles; called before the first bar (again on each
    /// bank it is shown: a sweep first asks which keys to share, so the last
    /// call's handles are the ones to keep). A strategy
    /// that keeps private state only (or its own indicator objects) needs
    /// nothing here.
    fn declare(&mut self, bank: &mut IndicatorBank) {
        let _ = bank;
    }

    /// Called once per bar after the bar's fills are booked.
    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>);
}

/// What a strategy sees of the world on one bar, and where it puts its orders.
pub struct StrategyContext<'a> {
    symbol: &'a Symbol,
    bar: Bar,
    bar_index: usize,
    position: f64,
    equity: f64,
    requests: &'a mut Vec<OrderRequest>,
    indicators: &'a IndicatorBank,
}

/// The bank of a context given none: every handle reads `None`.
static NO_INDICATORS: IndicatorBank = IndicatorBank::new();

impl<'a> StrategyContext<'a> {
    /// Builds the context for one bar; `requests` collects what the strategy places.
    #[inline]
    pub fn new(
        symbol: &'a Symbol,
        bar: Bar,
        bar_index: usize,
        position: f64,
        equity: f64,
        requests: &'a mut Vec<OrderRequest>,
    ) -> Self {
        Self { symbol, bar, bar_index, position, equity, requests, indicators: &NO_INDICATORS }
    }

    /// The context reading indicators from `bank`, the symbol's bank already fed this bar.
    #[inline]
    pub fn with_indicators(mut self, bank: &'a IndicatorBank) -> Self {
        self.indicators = bank;
        self
    }

    /// A context for a strategy run inside this one (a filter of its
    /// orders): the same bar, position, equity and indicators, its orders
    /// collected in `requests` for the outer strategy to pass on or drop.
    pub fn inner<'b>(&'b self, requests: &'b mut Vec<OrderRequest>) -> StrategyContext<'b> {
        StrategyContext {
            symbol: self.symbol,
            bar: self.bar,
            bar_index: self.bar_index,
            position: self.position,
            equity: self.equity,
            requests,
            indicators: self.indicators,
        }
    }

    /// The value at this bar of an indicator the strategy declared; `None` during its warm-up.
    #[inline]
    pub fn indicator(&self, handle: IndicatorHandle) -> Option<f64> {
        self.indicators.value(handle)
    }

    /// The instrument this call is about.
    pub fn symbol(&self) -> &Symbol {
        self.symbol
    }

    /// The bar that just closed.
    pub fn bar(&self) -> &Bar {
        &self.bar
    }

    /// Index of that bar in the run (0-based).
    pub fn bar_index(&self) -> usize {
        self.bar_index
    }

    /// Signed units held in the symbol (orders not yet filled are not counted).
    pub fn position(&self) -> f64 {
        self.position
    }

    /// Account equity marked at this bar's close.
    pub fn equity(&self) -> f64 {
        self.equity
    }

    /// Places any order request.
    pub fn submit(&mut self, request: OrderRequest) {
        self.requests.push(request);
    }

    /// Places a market buy.
    pub fn buy(&mut self, quantity: Quantity) {
        self.submit(OrderRequest::market(self.symbol.clone(), Side::Buy, quantity));
    }

    /// Places a market sell (opens or adds to a short when not long).
    pub fn sell(&mut self, quantity: Quantity) {
        self.submit(OrderRequest::market(self.symbol.clone(), Side::Sell, quantity));
    }

    /// Places a buy or sell that waits for a price condition.
    pub fn place(&mut self, side: Side, quantity: Quantity, order_type: OrderType) {
        self.submit(OrderRequest::market(self.symbol.clone(), side, quantity).with_type(order_type));
    }

    /// Closes the whole position at the next fill; does nothing when flat.
    pub fn close_position(&mut self) {
        if self.position != 0.0 {
            self.submit(OrderRequest::close(self.symbol.clone(), self.position));
        }
    }
}
