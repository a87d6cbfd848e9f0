//! Gradient-boosted trees (forust-ml, pure Rust): single-threaded and
//! seeded, so the same data give the same model bytes.

use crate::MlError;
use forust_ml::data::Matrix;
use forust_ml::gradientbooster::GradientBooster;

/// Boosting rounds.
const ROUNDS: usize = 100;

/// Shrinkage per round.
const LEARNING_RATE: f32 = 0.05;

/// Depth of each tree.
const DEPTH: usize = 3;

/// A fitted gradient-boosted classifier.
pub struct Gbm {
    booster: GradientBooster,
    features: usize,
}

impl Gbm {
    /// Fits `labels` (0/1) on the row-major `rows` of `features` columns,
    /// each sample counting as its weight, with `seed`.
    pub fn fit(
        rows: &[f64],
        features: usize,
        labels: &[f64],
        weights: &[f64],
        seed: u64,
    ) -> Result<Self, MlError> {
        if labels.len() < 2
            || features == 0
            || rows.len() != labels.len() * features
            || weights.len() != labels.len()
        {
            return Err(MlError::NotEnoughData(format!("boosting needs rows to fit, got {}", labels.len())));
        }
        let columns = column_major(rows, features);
        let data = Matrix::new(&columns, labels.len(), features);
        let mut booster = GradientBooster::default()
            .set_iterations(ROUNDS)
            .set_learning_rate(LEARNING_RATE)
            .set_max_depth(DEPTH)
            .set_seed(seed)
            .set_parallel(false);
        booster
            .fit(&data, labels, weights, None)
            .map_err(|e| MlError::Spec(format!("boosting failed: {e}")))?;
        Ok(Self { booster, features })
    }

    /// The probability of label 1 for each row.
    pub fn predict(&self, rows: &[f64]) -> Vec<f64> {
        let n = rows.len() / self.features;
        let columns = column_major(rows, self.features);
        let data = Matrix::new(&columns, n, self.features);
        self.booster.predict(&data, false).into_iter().map(|z| 1.0 / (1.0 + (-z).exp())).collect()
    }

    /// The model read back from [`to_bytes`](Gbm::to_bytes), for rows of `features` columns.
    pub fn from_bytes(bytes: &[u8], features: usize) -> Result<Self, MlError> {
        let text =
            std::str::from_utf8(bytes).map_err(|e| MlError::Spec(format!("reading the model: {e}")))?;
        let booster =
            GradientBooster::from_json(text).map_err(|e| MlError::Spec(format!("reading the model: {e}")))?;
        Ok(Self { booster, features })
    }

    /// The model as bytes (forust's JSON).
    pub fn to_bytes(&self) -> Result<Vec<u8>, MlError> {
        self.booster
            .json_dump()
            .map(String::into_bytes)
            .map_err(|e| MlError::Spec(format!("saving the model: {e}")))
    }
}

/// `rows` (row-major, `features` wide) as the column-major matrix forust reads.
fn column_major(rows: &[f64], features: usize) -> Vec<f64> {
    let n = rows.len() / features;
    let mut columns = vec![0.0; rows.len()];
    for (i, row) in rows.chunks_exact(features).enumerate() {
        for (j, x) in row.iter().enumerate() {
            columns[j * n + i] = *x;
        }
    }
    columns
}
