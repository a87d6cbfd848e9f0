//! Walk-forward training: a model fitted on each fold's training samples
//! and scored on its test block, then pooled out of sample, then the final
//! model fitted on every sample.

use crate::metrics::{CalibrationBin, Scores, calibration, score};
use crate::{Dataset, Gbm, Logistic, MlError, uniqueness_weights, walk_forward};
use serde::Serialize;

/// The kinds of model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Gradient-boosted trees.
    Gbm,
    /// Logistic regression.
    Logistic,
}

/// A fitted model of either kind.
pub enum Model {
    /// Gradient-boosted trees (boxed: the booster is large).
    Gbm(Box<Gbm>),
    /// Logistic regression.
    Logistic(Logistic),
}

impl Model {
    /// Fits a model of `kind`, each sample counting as its weight.
    pub fn fit(
        kind: ModelKind,
        rows: &[f64],
        features: usize,
        labels: &[f64],
        weights: &[f64],
        seed: u64,
    ) -> Result<Self, MlError> {
        Ok(match kind {
            ModelKind::Gbm => Model::Gbm(Box::new(Gbm::fit(rows, features, labels, weights, seed)?)),
            ModelKind::Logistic => Model::Logistic(Logistic::fit(rows, features, labels, weights)?),
        })
    }

    /// The probability of label 1 for each row.
    pub fn predict(&self, rows: &[f64]) -> Vec<f64> {
        match self {
            Model::Gbm(model) => model.predict(rows),
            Model::Logistic(model) => model.predict(rows),
        }
    }

    /// The model of `kind` read back from its bytes, for rows of `features` columns.
    pub fn from_bytes(kind: ModelKind, bytes: &[u8], features: usize) -> Result<Self, MlError> {
        Ok(match kind {
            ModelKind::Gbm => Model::Gbm(Box::new(Gbm::from_bytes(bytes, features)?)),
            ModelKind::Logistic => Model::Logistic(
                serde_json::from_slice(bytes)
                    .map_err(|e| MlError::Spec(format!("reading the model: {e}")))?,
            ),
        })
    }

    /// The model as bytes: the same data, features, labels and seed give the same bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, MlError> {
        match self {
            Model::Gbm(model) => model.to_bytes(),
            Model::Logistic(model) => serde_json::to_vec(model).map_err(|e| MlError::Spec(e.to_string())),
        }
    }
}

/// A model with the feature schema it was trained on: it predicts only on
/// rows of that schema.
pub struct SchemaBound {
    schema_hash: String,
    model: Model,
}

impl SchemaBound {
    /// `model`, trained on features of schema `schema_hash`.
    pub fn new(schema_hash: &str, model: Model) -> Self {
        Self { schema_hash: schema_hash.to_owned(), model }
    }

    /// The probabilities for `rows` of `features`; refused when `features`
    /// is not the schema the model was trained on.
    pub fn predict(&self, features: &crate::FeatureSet, rows: &[f64]) -> Result<Vec<f64>, MlError> {
        self.check(features)?;
        Ok(self.model.predict(rows))
    }

    /// Refuses `features` unless they are the schema the model was trained on.
    pub fn check(&self, features: &crate::FeatureSet) -> Result<(), MlError> {
        if features.has_schema(&self.schema_hash) {
            return Ok(());
        }
        Err(MlError::SchemaMismatch { trained: self.schema_hash.clone(), given: features.schema_hash() })
    }
}

/// How training samples are weighted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleWeights {
    /// Every sample counts once.
    Equal,
    /// By the uniqueness of its label among the training set's ([`uniqueness_weights`]).
    Uniqueness,
}

impl SampleWeights {
    /// The weights of the samples at `positions` of `data`.
    fn of(self, data: &Dataset, positions: &[usize]) -> Vec<f64> {
        match self {
            SampleWeights::Equal => vec![1.0; positions.len()],
            SampleWeights::Uniqueness => {
                let pick = |values: &[usize]| positions.iter().map(|&i| values[i]).collect::<Vec<_>>();
                uniqueness_weights(&pick(&data.starts), &pick(&data.ends))
            }
        }
    }
}

/// How a walk-forward training runs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TrainConfig {
    /// The model.
    pub model: ModelKind,
    /// Test blocks (the first of `folds + 1` blocks only trains).
    pub folds: usize,
    /// Bars between a training label's end and its test block.
    pub embargo: usize,
    /// The model's seed.
    pub seed: u64,
    /// How the training samples are weighted.
    pub weights: SampleWeights,
}

/// One fold's spans (bar indices) and scores.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FoldReport {
    /// First and last bar of the training samples.
    pub train: (usize, usize),
    /// First and last bar of the test block.
    pub test: (usize, usize),
    /// Training samples (after purging and the embargo).
    pub train_samples: usize,
    /// Its scores on the test block.
    pub scores: Scores,
}

/// What a walk-forward training found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainReport {
    /// Per fold.
    pub folds: Vec<FoldReport>,
    /// Every test block's predictions pooled.
    pub out_of_sample: Scores,
    /// Their calibration table, in tenths.
    pub calibration: Vec<CalibrationBin>,
    /// The pooled predictions: (sample's position in the dataset, probability), in time order.
    #[serde(skip)]
    pub predictions: Vec<(usize, f64)>,
}

/// Trains walk-forward on `data` as `config` says; the report and the model
/// fitted on every sample.
pub fn train(data: &Dataset, config: &TrainConfig) -> Result<(TrainReport, Model), MlError> {
    let folds = walk_forward(&data.starts, &data.ends, config.folds, config.embargo);
    if folds.is_empty() {
        return Err(MlError::NotEnoughData(format!(
            "{} labelled bars cannot make {} folds: use fewer folds or more bars",
            data.len(),
            config.folds
        )));
    }
    let width = data.columns.len();
    let mut reports = Vec::new();
    let (mut pooled, mut pooled_labels, mut pooled_returns) = (Vec::new(), Vec::new(), Vec::new());
    let mut predictions = Vec::new();
    for fold in &folds {
        if fold.train.len() < 2 * width.max(10) {
            return Err(MlError::NotEnoughData(format!(
                "the fold testing bars {}..{} has {} training samples after purging: use fewer folds, a \
                 shorter embargo or more bars",
                fold.test_start,
                fold.test_end,
                fold.train.len()
            )));
        }
        let (rows, labels, _) = data.select(&fold.train);
        let weights = config.weights.of(data, &fold.train);
        let model = Model::fit(config.model, &rows, width, &labels, &weights, config.seed)?;
        let (test_rows, test_labels, test_returns) = data.select(&fold.test);
        let probabilities = model.predict(&test_rows);
        reports.push(FoldReport {
            train: (data.starts[fold.train[0]], data.starts[fold.train[fold.train.len() - 1]]),
            test: (fold.test_start, fold.test_end),
            train_samples: fold.train.len(),
            scores: score(&probabilities, &test_labels, &test_returns),
        });
        predictions.extend(fold.test.iter().copied().zip(probabilities.iter().copied()));
        pooled.extend(probabilities);
        pooled_labels.extend(test_labels);
        pooled_returns.extend(test_returns);
    }
    let everything: Vec<usize> = (0..data.len()).collect();
    let (rows, labels, _) = data.select(&everything);
    let weights = config.weights.of(data, &everything);
    let model = Model::fit(config.model, &rows, width, &labels, &weights, config.seed)?;
    let report = TrainReport {
        folds: reports,
        out_of_sample: score(&pooled, &pooled_labels, &pooled_returns),
        calibration: calibration(&pooled, &pooled_labels, 10),
        predictions,
    };
    Ok((report, model))
}
