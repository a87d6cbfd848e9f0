//! Machine learning on bars, without leakage by construction.
//!
//! A [`FeatureSet`] is a named, versioned list of columns read from the same
//! streaming [`IndicatorBank`](gt_indicators::IndicatorBank) the strategies
//! use, so the features of bar *t* are computed from bars up to *t* only, in
//! training as in a live session; its schema has a hash a model keeps.
//! [`LabelSpec`] labels a bar from the bars after it (the sign of a forward
//! return net of a cost, or the triple-barrier method) and records where each
//! label ends. [`walk_forward`] splits the samples into folds whose training
//! sets hold only samples whose labels end, with an embargo gap, before the
//! test block starts. [`metrics`] scores predictions; [`Logistic`] is the
//! baseline model, [`Gbm`] gradient-boosted trees; [`train`] runs the
//! walk-forward and fits the final model; [`ProbabilitySignal`] trades a
//! model's probabilities through the engine.

pub mod ab;
mod dataset;
mod error;
mod features;
mod folds;
mod gbm;
mod guard;
mod labels;
mod logistic;
mod meta_filter;
pub mod metrics;
mod model_signal;
pub mod selection;
mod signal;
#[cfg(test)]
mod test_bench;
mod train;

pub use dataset::{Dataset, MetaEvent};
pub use error::MlError;
pub use features::{FeatureSet, FeatureStream};
pub use folds::{Fold, uniqueness_weights, walk_forward};
pub use gbm::Gbm;
pub use guard::{Demotion, DemotionReason, GuardLimits, ModelGuard};
pub use labels::{Label, LabelSpec};
pub use logistic::Logistic;
pub use meta_filter::MetaFilter;
pub use model_signal::{DemotionTap, Guarded, ModelSignal, PredictionTap, Tap};
pub use signal::ProbabilitySignal;
pub use train::{FoldReport, Model, ModelKind, SampleWeights, SchemaBound, TrainConfig, TrainReport, train};
