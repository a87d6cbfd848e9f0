//! The baseline model: L2-regularised logistic regression on standardised
//! features, fitted by Newton's method (deterministic: no seed, same bytes
//! from the same data).

use crate::MlError;
use serde::{Deserialize, Serialize};

/// Newton steps; the log-likelihood is concave, so a few dozen converge.
const NEWTON_STEPS: usize = 30;

/// L2 penalty on the weights (not the intercept), per sample.
const L2: f64 = 1e-3;

/// A fitted logistic regression.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    /// Per feature: the training mean and standard deviation it is scaled by.
    pub scale: Vec<(f64, f64)>,
    /// Intercept, then one weight per standardised feature.
    pub weights: Vec<f64>,
}

impl Logistic {
    /// Fits `labels` (0/1) on the row-major `rows` of `features` columns,
    /// each sample counting as its weight.
    pub fn fit(rows: &[f64], features: usize, labels: &[f64], weights: &[f64]) -> Result<Self, MlError> {
        let n = labels.len();
        if n < 2 || features == 0 || rows.len() != n * features || weights.len() != n {
            return Err(MlError::NotEnoughData(format!("logistic regression needs rows to fit, got {n}")));
        }
        let scale: Vec<(f64, f64)> = (0..features)
            .map(|j| {
                let column = (0..n).map(|i| rows[i * features + j]);
                let mean = column.clone().sum::<f64>() / n as f64;
                let variance = column.map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
                (mean, if variance > 0.0 { variance.sqrt() } else { 1.0 })
            })
            .collect();
        let mut model = Self { scale, weights: vec![0.0; features + 1] };
        let d = features + 1;
        let mut x = vec![0.0; d];
        for _ in 0..NEWTON_STEPS {
            let mut gradient = vec![0.0; d];
            let mut hessian = vec![0.0; d * d];
            for i in 0..n {
                model.standardised(&rows[i * features..(i + 1) * features], &mut x);
                let p = sigmoid(dot(&model.weights, &x));
                let w = weights[i] * (p * (1.0 - p)).max(1e-12);
                for a in 0..d {
                    gradient[a] += weights[i] * (p - labels[i]) * x[a];
                    for b in 0..=a {
                        hessian[a * d + b] += w * x[a] * x[b];
                    }
                }
            }
            for a in 1..d {
                gradient[a] += L2 * n as f64 * model.weights[a];
                hessian[a * d + a] += L2 * n as f64;
            }
            let Some(step) = solve_symmetric(&hessian, &gradient, d) else { break };
            let mut largest: f64 = 0.0;
            for (w, s) in model.weights.iter_mut().zip(&step) {
                *w -= s;
                largest = largest.max(s.abs());
            }
            if largest < 1e-10 {
                break;
            }
        }
        Ok(model)
    }

    /// The probability of label 1 for each row.
    pub fn predict(&self, rows: &[f64]) -> Vec<f64> {
        let features = self.scale.len();
        let mut x = vec![0.0; features + 1];
        rows.chunks_exact(features)
            .map(|row| {
                self.standardised(row, &mut x);
                sigmoid(dot(&self.weights, &x))
            })
            .collect()
    }

    /// `row` standardised, behind a 1 for the intercept.
    fn standardised(&self, row: &[f64], x: &mut [f64]) {
        x[0] = 1.0;
        for (j, (value, (mean, deviation))) in row.iter().zip(&self.scale).enumerate() {
            x[j + 1] = (value - mean) / deviation;
        }
    }
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Solves `m x = v` for a symmetric positive-definite `m` (its lower
/// triangle, row-major `d × d`) by Cholesky; `None` if it is not definite.
fn solve_symmetric(m: &[f64], v: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i * d + k] * l[j * d + k]).sum();
            if i == j {
                let diagonal = m[i * d + i] - sum;
                if diagonal <= 0.0 {
                    return None;
                }
                l[i * d + i] = diagonal.sqrt();
            } else {
                l[i * d + j] = (m[i * d + j] - sum) / l[j * d + j];
            }
        }
    }
    let mut y = vec![0.0; d];
    for i in 0..d {
        y[i] = (v[i] - (0..i).map(|k| l[i * d + k] * y[k]).sum::<f64>()) / l[i * d + i];
    }
    let mut x = vec![0.0; d];
    for i in (0..d).rev() {
        x[i] = (y[i] - (i + 1..d).map(|k| l[k * d + i] * x[k]).sum::<f64>()) / l[i * d + i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_recovers_the_weights_of_a_known_logistic_model() {
        // y = 1 with probability sigmoid(0.5 + 2 a - b), on a grid of (a, b).
        let (mut rows, mut labels) = (Vec::new(), Vec::new());
        let mut state = 7u64;
        for _ in 0..20_000 {
            let mut uniform = || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 11) as f64 / (1u64 << 53) as f64
            };
            let (a, b) = (uniform() * 2.0 - 1.0, uniform() * 2.0 - 1.0);
            let y = f64::from(u8::from(uniform() < sigmoid(0.5 + 2.0 * a - b)));
            rows.extend([a, b]);
            labels.push(y);
        }
        let weights = vec![1.0; labels.len()];
        let model = Logistic::fit(&rows, 2, &labels, &weights).unwrap();
        let p = model.predict(&[0.0, 0.0, 1.0, 0.0]);
        assert!((p[0] - sigmoid(0.5)).abs() < 0.03, "{p:?}");
        assert!((p[1] - sigmoid(2.5)).abs() < 0.03, "{p:?}");
        assert_eq!(
            model,
            Logistic::fit(&rows, 2, &labels, &weights).unwrap(),
            "the same data, the same model"
        );
        // A sample of weight 2 counts as two.
        let doubled_rows = [rows.clone(), rows[..2].to_vec()].concat();
        let doubled_labels = [labels.clone(), labels[..1].to_vec()].concat();
        let mut heavier = weights.clone();
        heavier[0] = 2.0;
        let weighted = Logistic::fit(&rows, 2, &labels, &heavier).unwrap();
        let repeated =
            Logistic::fit(&doubled_rows, 2, &doubled_labels, &vec![1.0; labels.len() + 1]).unwrap();
        for (a, b) in weighted.weights.iter().zip(&repeated.weights) {
            assert!((a - b).abs() < 1e-3, "{:?} vs {:?}", weighted.weights, repeated.weights);
        }
    }
}
