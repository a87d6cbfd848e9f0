//! `ml_signal`: a registered model's predictions traded bar by bar, its
//! features computed by the same stream as in training.

use crate::{FeatureSet, FeatureStream, MlError, SchemaBound};
use gt_model::{Quantity, Timestamp};
use gt_strategy::{Strategy, StrategyContext};
use std::sync::{Arc, Mutex};

/// Where a [`ModelSignal`] leaves the probability it computed on its last
/// bar, with the bar's time, for a reader outside the engine (a shadow
/// model's journal). Clones share the slot.
#[derive(Clone, Default)]
pub struct PredictionTap(Arc<Mutex<Option<(Timestamp, f64)>>>);

impl PredictionTap {
    /// The prediction left since the last take, if any: `(bar time, probability)`.
    pub fn take(&self) -> Option<(Timestamp, f64)> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    fn leave(&self, ts: Timestamp, probability: f64) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((ts, probability));
    }
}

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
    tap: Option<PredictionTap>,
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
            tap: None,
        })
    }

    /// Also leaves each bar's probability in `tap`.
    pub fn with_tap(mut self, tap: PredictionTap) -> Self {
        self.tap = Some(tap);
        self
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
        if let Some(tap) = &self.tap {
            tap.leave(ctx.bar().ts, p);
        }
        crate::signal::trade(ctx, p, self.threshold, self.allow_short, self.size);
    }
}
