//! A meta-labeling filter: a primary strategy whose entries pass only when
//! a model's probability that the trade pays is above a threshold.

use gt_indicators::IndicatorBank;
use gt_model::OrderRequest;
use gt_strategy::{Strategy, StrategyContext};

/// Runs `primary` and passes on its orders: every exit, and an entry only
/// when the probability of its bar (the primary's decision bar, the one
/// meta-labels sit on) is above `threshold`.
pub struct MetaFilter {
    primary: Box<dyn Strategy>,
    probabilities: Vec<Option<f64>>,
    threshold: f64,
    orders: Vec<OrderRequest>,
}

impl MetaFilter {
    /// `primary` filtered by `probabilities`, one per bar (none: no entry on that bar).
    pub fn new(primary: Box<dyn Strategy>, probabilities: Vec<Option<f64>>, threshold: f64) -> Self {
        Self { primary, probabilities, threshold, orders: Vec::new() }
    }
}

impl Strategy for MetaFilter {
    fn warmup_bars(&self) -> usize {
        self.primary.warmup_bars()
    }

    fn declare(&mut self, bank: &mut IndicatorBank) {
        self.primary.declare(bank);
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        let mut orders = std::mem::take(&mut self.orders);
        self.primary.on_bar(&mut ctx.inner(&mut orders));
        let p = self.probabilities.get(ctx.bar_index()).copied().flatten();
        let take = p.is_some_and(|p| p > self.threshold);
        for order in orders.drain(..) {
            if order.reduce_only || take {
                ctx.submit(order);
            }
        }
        self.orders = orders;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_bench::orders;
    use gt_model::{Quantity, Side};

    /// Buys on even bars, closes on odd ones.
    struct Alternate;

    impl Strategy for Alternate {
        fn warmup_bars(&self) -> usize {
            0
        }

        fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
            if ctx.bar_index() % 2 == 0 {
                ctx.buy(Quantity::Units(1.0));
            } else {
                ctx.close_position();
            }
        }
    }

    #[test]
    fn entries_pass_only_above_the_threshold_and_exits_always() {
        let probabilities = vec![Some(0.9), None, Some(0.2), Some(0.9), Some(0.7)];
        let mut filter = MetaFilter::new(Box::new(Alternate), probabilities, 0.6);
        assert_eq!(
            orders(&mut filter, 5),
            [(0, Side::Buy, false), (1, Side::Sell, true), (4, Side::Buy, false)],
            "bar 1's exit passes with no probability; bar 2's entry is dropped (0.2), so bar 3 has nothing to close"
        );
    }
}
