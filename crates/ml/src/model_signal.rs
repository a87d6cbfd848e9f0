//! `ml_signal`: a registered model's predictions traded bar by bar, its
//! features computed by the same stream as in training.

use crate::{Demotion, FeatureSet, FeatureStream, MlError, ModelGuard, SchemaBound};
use gt_model::{Quantity, Timestamp};
use gt_strategy::{Strategy, StrategyContext};
use std::sync::{Arc, Mutex};

/// A slot a [`ModelSignal`] leaves something in for a reader outside the
/// engine (a shadow's journal, a session's registry); clones share it.
pub struct Tap<T>(Arc<Mutex<Option<T>>>);

impl<T> Clone for Tap<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Default for Tap<T> {
    fn default() -> Self {
        Self(Arc::new(Mutex::new(None)))
    }
}

impl<T> Tap<T> {
    /// What was left since the last take, if anything.
    pub fn take(&self) -> Option<T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    fn leave(&self, value: T) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
    }
}

/// Where a signal leaves the probability of its last bar: `(bar time, probability)`.
pub type PredictionTap = Tap<(Timestamp, f64)>;

/// Where a guarded signal leaves its demotion, on the bar it is stopped.
pub type DemotionTap = Tap<Demotion>;

/// A model's kill switch as a signal runs it: the guard, where its
/// demotion is told, and whether the position is closed then.
pub struct Guarded {
    /// The guard.
    pub guard: ModelGuard,
    /// Where the demotion is left.
    pub tap: DemotionTap,
    /// Close the model's position on the bar it is stopped (else it is left as it is).
    pub close_position: bool,
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
    guarded: Option<Guarded>,
    stopped: bool,
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
            guarded: None,
            stopped: false,
        })
    }

    /// Stops trading for good on the bar `guarded`'s guard demotes the model.
    pub fn with_guard(mut self, guarded: Guarded) -> Self {
        self.guarded = Some(guarded);
        self
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
        if self.stopped {
            return;
        }
        let row = self.stream.push(ctx.bar());
        let probability = row
            .as_ref()
            .and_then(|row| self.model.predict(&self.features, row).ok())
            .and_then(|probabilities| probabilities.first().copied());
        if let Some(guarded) = &mut self.guarded {
            let seen = (ctx.bar_index(), ctx.bar());
            let demotion = guarded.guard.observe(
                seen,
                row.as_deref(),
                probability.is_some(),
                (ctx.position(), ctx.equity()),
            );
            if let Some(demotion) = demotion {
                self.stopped = true;
                if guarded.close_position {
                    ctx.close_position();
                }
                guarded.tap.leave(demotion);
                return;
            }
        }
        let Some(p) = probability else { return };
        if let Some(tap) = &self.tap {
            tap.leave((ctx.bar().ts, p));
        }
        crate::signal::trade(ctx, p, self.threshold, self.allow_short, self.size);
    }
}
