//! How likely a sweep's best result is luck: the probabilistic and deflated
//! Sharpe ratios (Bailey & López de Prado, 2012 and 2014).
//!
//! Sharpe ratios here are per period (not annualised): the mean over the
//! standard deviation of the periodic returns the statistics use, with
//! `observations` periods.

use crate::periods::{annualization, bar_period_nanos, bucket_returns};
use gt_model::Timestamp;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// The Euler–Mascheroni constant.
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// The moments of a run's periodic returns that the overfitting measures read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReturnMoments {
    /// Number of periodic returns.
    pub observations: usize,
    /// Per-period Sharpe ratio: mean over sample standard deviation.
    pub sharpe: f64,
    /// Skewness (population).
    pub skewness: f64,
    /// Raw (not excess) kurtosis (population): 3 for normal returns.
    pub kurtosis: f64,
}

impl ReturnMoments {
    /// The moments of `returns`.
    pub fn of(returns: &[f64]) -> Self {
        let n = returns.len() as f64;
        let mean = returns.iter().sum::<f64>() / n;
        let central = |power: i32| returns.iter().map(|r| (r - mean).powi(power)).sum::<f64>() / n;
        let (m2, m3, m4) = (central(2), central(3), central(4));
        let sample_std = (m2 * n / (n - 1.0)).sqrt();
        Self {
            observations: returns.len(),
            sharpe: mean / sample_std,
            skewness: m3 / m2.powf(1.5),
            kurtosis: m4 / (m2 * m2),
        }
    }

    /// The moments of the periodic (usually daily) returns of an equity
    /// curve, the returns its Sharpe ratio statistic is computed from.
    pub fn of_equity(timestamps: &[Timestamp], equity: &[f64]) -> Self {
        let period = bar_period_nanos(timestamps).unwrap_or(86_400_000_000_000);
        let (_, bucket) = annualization(timestamps, period);
        Self::of(&bucket_returns(timestamps, equity, bucket))
    }
}

fn standard_normal() -> Normal {
    Normal::standard()
}

/// The probability that the true Sharpe ratio exceeds `benchmark`, given
/// the observed one and its returns' skewness and kurtosis (PSR).
pub fn probabilistic_sharpe_ratio(observed: &ReturnMoments, benchmark: f64) -> f64 {
    let ReturnMoments { observations, sharpe, skewness, kurtosis } = *observed;
    let spread = (1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe * sharpe).sqrt();
    standard_normal().cdf((sharpe - benchmark) * ((observations as f64) - 1.0).sqrt() / spread)
}

/// The Sharpe ratio the best of `trial_sharpes` is expected to reach by luck
/// alone: `sqrt(V[SR])·((1−γ)·Φ⁻¹(1−1/N) + γ·Φ⁻¹(1−1/(N·e)))`, with the
/// trials' population variance. NaN with fewer than two trials.
pub fn expected_maximum_sharpe(trial_sharpes: &[f64]) -> f64 {
    let finite: Vec<f64> = trial_sharpes.iter().copied().filter(|s| s.is_finite()).collect();
    let n = finite.len() as f64;
    if finite.len() < 2 {
        return f64::NAN;
    }
    let mean = finite.iter().sum::<f64>() / n;
    let variance = finite.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n;
    let normal = standard_normal();
    variance.sqrt()
        * ((1.0 - EULER_GAMMA) * normal.inverse_cdf(1.0 - 1.0 / n)
            + EULER_GAMMA * normal.inverse_cdf(1.0 - 1.0 / (n * std::f64::consts::E)))
}

/// The deflated Sharpe ratio of a sweep's best trial and the benchmark it
/// was deflated against.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DeflatedSharpe {
    /// The expected maximum Sharpe ratio of that many trials by luck (SR0).
    pub expected_maximum: f64,
    /// The probability that the best trial's true Sharpe ratio exceeds it.
    pub probability: f64,
}

/// The deflated Sharpe ratio (DSR) of `best` among trials whose per-period
/// Sharpe ratios are `trial_sharpes` (`best`'s included).
pub fn deflated_sharpe_ratio(best: &ReturnMoments, trial_sharpes: &[f64]) -> DeflatedSharpe {
    let expected_maximum = expected_maximum_sharpe(trial_sharpes);
    DeflatedSharpe { expected_maximum, probability: probabilistic_sharpe_ratio(best, expected_maximum) }
}

impl DeflatedSharpe {
    /// A one-line reading for people: what the number says about the sweep.
    pub fn reading(&self, trials: usize) -> String {
        let p = self.probability;
        let verdict = if !p.is_finite() {
            "not enough trials or returns to tell".to_owned()
        } else if p >= 0.95 {
            format!("the best Sharpe is unlikely to be luck after {trials} trials")
        } else if p >= 0.5 {
            format!("the best Sharpe may be luck after {trials} trials")
        } else {
            format!("the best Sharpe is likely luck after {trials} trials")
        };
        format!("DSR {p:.2}: {verdict}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The published test values (mlfinlab's tests of Bailey & López de Prado's
    /// formulas), given to 5 decimals: ours agree within 1e-5.
    const BEST: ReturnMoments =
        ReturnMoments { observations: 250, sharpe: 1.14, skewness: 0.0, kurtosis: 3.0 };

    #[test]
    fn the_deflated_sharpe_ratio_matches_the_published_values() {
        let deflated = deflated_sharpe_ratio(&BEST, &[3.5, 1.01, 1.02]);
        assert!((deflated.expected_maximum - 0.99902).abs() < 1e-5, "{deflated:?}");
        assert!((deflated.probability - 0.95836).abs() < 1e-5, "{deflated:?}");
    }

    #[test]
    fn the_probabilistic_sharpe_ratio_matches_the_published_value() {
        let psr = probabilistic_sharpe_ratio(&BEST, 1.0);
        assert!((psr - 0.95727).abs() < 1e-5, "{psr}");
    }

    #[test]
    fn moments_of_a_symmetric_sample() {
        let moments = ReturnMoments::of(&[-2.0, -1.0, 0.0, 1.0, 2.0]);
        assert_eq!(moments.observations, 5);
        assert!(moments.sharpe.abs() < 1e-15 && moments.skewness.abs() < 1e-15);
        // m2 = 2, m4 = 6.8: raw kurtosis 1.7.
        assert!((moments.kurtosis - 1.7).abs() < 1e-12, "{moments:?}");
    }

    #[test]
    fn more_trials_raise_the_bar_and_lower_the_probability() {
        let few = deflated_sharpe_ratio(&BEST, &[1.14, 0.5, 0.2, 0.8]);
        let many: Vec<f64> = (0..400).map(|i| 1.14 - f64::from(i) * 0.003).collect();
        let many = deflated_sharpe_ratio(&BEST, &many);
        assert!(many.expected_maximum > few.expected_maximum, "{few:?} {many:?}");
        assert!(many.probability < few.probability);
        assert!(deflated_sharpe_ratio(&BEST, &[1.14]).probability.is_nan());
    }
}
