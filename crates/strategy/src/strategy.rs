use gt_model::{Bar, OrderRequest, OrderType, Quantity, Side, Symbol};

/// A trading rule applied bar by bar.
///
/// Implementations keep their indicators as state, read the current bar and
/// position from the context, and place requests with it. They must not look
/// at anything but what the context gives them: that is what keeps a backtest
/// free of look-ahead and identical to paper trading.
pub trait Strategy: Send {
    /// Bars the strategy needs before its first possible signal (its
    /// indicators' warm-up). Buy & hold in the report starts after them, as
    /// in backtesting.py.
    fn warmup_bars(&self) -> usize;

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
}

impl<'a> StrategyContext<'a> {
    /// Builds the context for one bar; `requests` collects what the strategy places.
    pub fn new(
        symbol: &'a Symbol,
        bar: Bar,
        bar_index: usize,
        position: f64,
        equity: f64,
        requests: &'a mut Vec<OrderRequest>,
    ) -> Self {
        Self { symbol, bar, bar_index, position, equity, requests }
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
