//! The baseline every strategy is compared with: buy on the first bar, hold to the end.

use crate::{Strategy, StrategyContext};
use gt_model::Quantity;

/// Buys with all available equity on the first bar and never sells.
#[derive(Debug, Default)]
pub struct BuyAndHold {
    ordered: bool,
}

impl Strategy for BuyAndHold {
    fn warmup_bars(&self) -> usize {
        0
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        if !self.ordered && ctx.position() == 0.0 {
            ctx.buy(Quantity::ALL_EQUITY);
            self.ordered = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::{flat_bars, signals};
    use gt_model::Side;

    #[test]
    fn buys_once_on_the_first_bar() {
        let got = signals(&mut BuyAndHold::default(), &flat_bars(&[10.0, 9.0, 12.0, 8.0]));
        assert_eq!(got, vec![(0, Side::Buy, false)]);
    }
}
