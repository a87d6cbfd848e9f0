//! A strategy that trades a model's probabilities: long above a threshold,
//! out (or short) below its mirror, through the engine like any other.

use gt_model::Quantity;
use gt_strategy::{Strategy, StrategyContext};

/// Trades precomputed probabilities, one per bar (none where the model has
/// no prediction): long when above `threshold`; when below `1 - threshold`,
/// out, or short with `allow_short`. The probability of bar *t* is known at
/// its close (features up to *t*), so the order fills on the next bar.
pub struct ProbabilitySignal {
    probabilities: Vec<Option<f64>>,
    threshold: f64,
    allow_short: bool,
}

impl ProbabilitySignal {
    /// The signal of `probabilities`, indexed by bar.
    pub fn new(probabilities: Vec<Option<f64>>, threshold: f64, allow_short: bool) -> Self {
        Self { probabilities, threshold, allow_short }
    }
}

impl Strategy for ProbabilitySignal {
    fn warmup_bars(&self) -> usize {
        0
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        let Some(Some(p)) = self.probabilities.get(ctx.bar_index()).copied() else { return };
        trade(ctx, p, self.threshold, self.allow_short, Quantity::ALL_EQUITY);
    }
}

/// Acts on probability `p`: long above `threshold` (from flat or short);
/// below `1 - threshold`, out of a long, and short with `allow_short`; each
/// entry of `size` (a fraction of the equity available).
pub(crate) fn trade(
    ctx: &mut StrategyContext<'_>,
    p: f64,
    threshold: f64,
    allow_short: bool,
    size: Quantity,
) {
    let position = ctx.position();
    if p > threshold && position <= 0.0 {
        ctx.close_position();
        ctx.buy(size);
    } else if p < 1.0 - threshold && position >= 0.0 {
        if position > 0.0 {
            ctx.close_position();
        }
        if allow_short {
            ctx.sell(size);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_bench::orders;
    use gt_model::Side;

    #[test]
    fn it_buys_above_the_threshold_and_exits_or_shorts_below_its_mirror() {
        let probabilities = vec![None, Some(0.6), Some(0.7), Some(0.5), Some(0.4), Some(0.3), Some(0.6)];
        let mut long_only = ProbabilitySignal::new(probabilities.clone(), 0.55, false);
        assert_eq!(
            orders(&mut long_only, 7),
            [(1, Side::Buy, false), (4, Side::Sell, true), (6, Side::Buy, false)],
            "buy once, hold while above, exit below 0.45, buy again"
        );
        let mut both = ProbabilitySignal::new(probabilities, 0.55, true);
        assert_eq!(
            orders(&mut both, 7),
            [
                (1, Side::Buy, false),
                (4, Side::Sell, true),
                (4, Side::Sell, false),
                (6, Side::Buy, true),
                (6, Side::Buy, false)
            ],
            "reverse into a short below 0.45, and back"
        );
    }
}
