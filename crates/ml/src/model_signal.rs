//! `ml_signal`: a registered model's predictions traded bar by bar, its
//! features computed by the same stream as in training.

use crate::{FeatureSet, FeatureStream, MlError, SchemaBound};
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
    /// The signal of `model` on `features`, entering with `size` of the
    /// available equity, in (0, 1]; refused unless `features` is the set the
    /// model was trained on (checked here once, not on every bar).
    pub fn new(
        model: Arc<SchemaBound>,
        features: FeatureSet,
        threshold: f64,
        allow_short: bool,
        size: f64,
    ) -> Result<Self, MlError> {
        model.check(&features)?;
        let size = if size >= 1.0 { Quantity::ALL_EQUITY } else { Quantity::EquityFraction(size) };
        Ok(Self {
            stream: features.stream(),
            warmup: features.warmup_bars(),
            model,
            features,
            threshold,
            allow_short,
            size,
        })
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
