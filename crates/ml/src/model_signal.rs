//! `ml_signal`: a registered model's predictions traded bar by bar, its
//! features computed by the same stream as in training.

use crate::{FeatureSet, FeatureStream, SchemaBound};
use gt_model::Quantity;
use gt_strategy::{Strategy, StrategyContext};
use std::sync::Arc;

/// Pushes each bar into the model's feature stream and trades its
/// probability: long above `threshold`; below `1 - threshold`, out, or
/// short with `allow_short`; each entry of `size`.
pub struct ModelSignal {
    model: Arc<SchemaBound>,
    features: FeatureSet,
    stream: FeatureStream,
    warmup: usize,
    threshold: f64,
    allow_short: bool,
    size: Quantity,
}

impl ModelSignal {
    /// The signal of `model` on `features` (the set it was trained on; it
    /// refuses another), entering with `size` of the available equity, in (0, 1].
    pub fn new(
        model: Arc<SchemaBound>,
        features: FeatureSet,
        threshold: f64,
        allow_short: bool,
        size: f64,
    ) -> Self {
        let size = if size >= 1.0 { Quantity::ALL_EQUITY } else { Quantity::EquityFraction(size) };
        Self {
            stream: features.stream(),
            warmup: features.warmup_bars(),
            model,
            features,
            threshold,
            allow_short,
            size,
        }
    }
}

impl Strategy for ModelSignal {
    fn warmup_bars(&self) -> usize {
        self.warmup
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        let Some(row) = self.stream.push(ctx.bar()) else { return };
        let Ok(probabilities) = self.model.predict(&self.features, &row) else { return };
        let Some(&p) = probabilities.first() else { return };
        crate::signal::trade(ctx, p, self.threshold, self.allow_short, self.size);
    }
}
