//! A test bench for the signal strategies: one symbol, flat bars, orders
//! placed on a bar take effect (one unit, or flat for a closing order)
//! before the strategy runs on the next.

use gt_model::{Bar, OrderRequest, Side, Symbol, Timestamp};
use gt_strategy::{Strategy, StrategyContext};

/// Runs `strategy` over `bars` bars; `(bar, side, closing)` of each order.
pub(crate) fn orders(strategy: &mut dyn Strategy, bars: usize) -> Vec<(usize, Side, bool)> {
    let symbol = Symbol::new("T");
    let (mut position, mut pending, mut out) = (0.0, Vec::<OrderRequest>::new(), Vec::new());
    for i in 0..bars {
        for request in pending.drain(..) {
            position = if request.reduce_only { 0.0 } else { position + request.side.sign() };
        }
        let ts = Timestamp::from_nanos(i as i64);
        let bar = Bar { ts, open: 1.0, high: 1.0, low: 1.0, close: 1.0, volume: 1.0 };
        let mut ctx = StrategyContext::new(&symbol, bar, i, position, 1.0, &mut pending);
        strategy.on_bar(&mut ctx);
        out.extend(pending.iter().map(|r| (i, r.side, r.reduce_only)));
    }
    out
}
