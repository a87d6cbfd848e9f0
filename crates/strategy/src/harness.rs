//! A hand-checkable test bench for strategies: bars in, (bar, side, closing?) out.
//!
//! Orders placed on bar *t* take effect on bar *t+1* before the strategy runs
//! again, one symbolic unit at a time (a closing order flattens), which is
//! enough to follow entries and exits by hand.

use crate::{Strategy, StrategyContext};
use gt_indicators::IndicatorBank;
use gt_model::{Bar, OrderRequest, Side, Symbol, Timestamp};

/// What a strategy did on one bar: `(bar index, side, reduce_only)`.
pub(crate) type Signal = (usize, Side, bool);

/// Bars with the given `(high, low, close)`; the open is the previous close.
pub(crate) fn bars(hlc: &[(f64, f64, f64)]) -> Vec<Bar> {
    let mut previous = hlc.first().map_or(0.0, |b| b.2);
    hlc.iter()
        .enumerate()
        .map(|(i, &(high, low, close))| {
            let open = previous.clamp(low, high);
            previous = close;
            Bar {
                ts: Timestamp::from_nanos(i as i64 * 86_400_000_000_000),
                open,
                high,
                low,
                close,
                volume: 1.0,
            }
        })
        .collect()
}

/// Bars whose high, low and close all equal the given closes.
pub(crate) fn flat_bars(closes: &[f64]) -> Vec<Bar> {
    bars(&closes.iter().map(|&c| (c, c, c)).collect::<Vec<_>>())
}

/// Runs `strategy` over `bars`, filling its orders on the next bar.
pub(crate) fn signals(strategy: &mut dyn Strategy, bars: &[Bar]) -> Vec<Signal> {
    let symbol = Symbol::new("T");
    let mut position = 0.0;
    let mut pending: Vec<OrderRequest> = Vec::new();
    let mut out = Vec::new();
    let mut bank = IndicatorBank::new();
    strategy.declare(&mut bank);
    for (i, bar) in bars.iter().enumerate() {
        for request in pending.drain(..) {
            position = if request.reduce_only { 0.0 } else { position + request.side.sign() };
        }
        bank.update(bar);
        let ctx = StrategyContext::new(&symbol, *bar, i, position, 1.0, &mut pending);
        strategy.on_bar(&mut ctx.with_indicators(&bank));
        out.extend(pending.iter().map(|r| (i, r.side, r.reduce_only)));
    }
    out
}
