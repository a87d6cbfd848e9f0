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

/// The probability of backtest overfitting, by combinatorially symmetric
/// cross-validation (Bailey, Borwein, López de Prado & Zhu, 2015), and what
/// comes with it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Overfitting {
    /// The share of splits whose in-sample best ranks at or below the
    /// out-of-sample median (logit ≤ 0).
    pub probability: f64,
    /// The slope of out-of-sample on in-sample Sharpe of the in-sample best
    /// across splits (negative: performance degrades out of sample).
    pub degradation_slope: f64,
    /// The share of splits whose in-sample best loses out of sample (Sharpe < 0).
    pub probability_of_loss: f64,
    /// Splits: every choice of half the blocks.
    pub splits: usize,
    /// Blocks of time the returns were cut into.
    pub blocks: usize,
}

impl Overfitting {
    /// A one-line reading for people.
    pub fn reading(&self) -> String {
        let p = self.probability;
        let verdict = if p >= 0.5 {
            "the in-sample best is no better than the median out of sample: likely overfit"
        } else if p >= 0.2 {
            "the in-sample best often falls behind out of sample"
        } else {
            "the in-sample best usually stays ahead out of sample"
        };
        format!("PBO {p:.2}: {verdict} ({} splits of {} blocks)", self.splits, self.blocks)
    }
}

/// The Sharpe ratio of returns with these sums (NaN with fewer than two or no spread).
fn sharpe_of(count: f64, sum: f64, sum_squares: f64) -> f64 {
    if count < 2.0 {
        return f64::NAN;
    }
    let mean = sum / count;
    let variance = (sum_squares - sum * mean) / (count - 1.0);
    if variance > 0.0 { mean / variance.sqrt() } else { f64::NAN }
}

/// The probability of backtest overfitting of trials whose periodic returns
/// were summed into the same even number of blocks (`trials[n][b]`): for
/// every split of the blocks into halves, the trial with the best in-sample
/// Sharpe ratio is ranked out of sample. `None` with fewer than two trials,
/// an odd or too small number of blocks, or blocks that differ between trials.
pub fn probability_of_backtest_overfitting(trials: &[Vec<crate::BlockSums>]) -> Option<Overfitting> {
    let blocks = trials.first()?.len();
    if trials.len() < 2
        || blocks < 2
        || blocks % 2 == 1
        || blocks > 24
        || trials.iter().any(|t| t.len() != blocks)
    {
        return None;
    }
    let totals: Vec<(f64, f64, f64)> = trials
        .iter()
        .map(|t| t.iter().fold((0.0, 0.0, 0.0), |(c, s, q), b| (c + b.count, s + b.sum, q + b.sum_squares)))
        .collect();
    let (mut splits, mut at_or_below_median, mut losses) = (0usize, 0usize, 0usize);
    let (mut pairs, mut sum_x, mut sum_y, mut sum_xx, mut sum_xy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut out_of_sample = vec![f64::NAN; trials.len()];
    for mask in 0u32..(1 << blocks) {
        if mask.count_ones() as usize != blocks / 2 {
            continue;
        }
        splits += 1;
        let mut best: Option<(usize, f64)> = None;
        for (n, trial) in trials.iter().enumerate() {
            let (mut c, mut s, mut q) = (0.0, 0.0, 0.0);
            for (b, sums) in trial.iter().enumerate() {
                if mask & (1 << b) != 0 {
                    (c, s, q) = (c + sums.count, s + sums.sum, q + sums.sum_squares);
                }
            }
            let in_sample = sharpe_of(c, s, q);
            let (tc, ts, tq) = totals[n];
            out_of_sample[n] = sharpe_of(tc - c, ts - s, tq - q);
            if in_sample.is_finite() && best.is_none_or(|(_, value)| in_sample > value) {
                best = Some((n, in_sample));
            }
        }
        let Some((chosen, in_sample)) = best else { continue };
        let oos = out_of_sample[chosen];
        let value = if oos.is_nan() { f64::NEG_INFINITY } else { oos };
        let below = out_of_sample.iter().filter(|o| o.is_nan() || **o < value).count() as f64;
        let ties = out_of_sample.iter().filter(|o| **o == value).count() as f64;
        let rank = below + (ties + 1.0) / 2.0;
        let relative = rank / (trials.len() as f64 + 1.0);
        if (relative / (1.0 - relative)).ln() <= 0.0 {
            at_or_below_median += 1;
        }
        if oos < 0.0 {
            losses += 1;
        }
        if oos.is_finite() {
            pairs += 1.0;
            (sum_x, sum_y) = (sum_x + in_sample, sum_y + oos);
            (sum_xx, sum_xy) = (sum_xx + in_sample * in_sample, sum_xy + in_sample * oos);
        }
    }
    let slope = (pairs * sum_xy - sum_x * sum_y) / (pairs * sum_xx - sum_x * sum_x);
    Some(Overfitting {
        probability: at_or_below_median as f64 / splits as f64,
        degradation_slope: slope,
        probability_of_loss: losses as f64 / splits as f64,
        splits,
        blocks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BlockSums;

    /// Seeded standard normal draws (xorshift and Box–Muller), for repeatable noise.
    struct Noise(u64);

    impl Noise {
        fn uniform(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }

        fn normal(&mut self) -> f64 {
            let (u, v) = (self.uniform().max(1e-300), self.uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        }
    }

    /// `trials` trials of 16 blocks of 160 daily returns, 1 % noise, the first
    /// `edged` with a drift of `drift` per day.
    fn blocks(trials: usize, edged: usize, drift: f64) -> Vec<Vec<BlockSums>> {
        let mut noise = Noise(7);
        (0..trials)
            .map(|n| {
                (0..16)
                    .map(|_| {
                        let mut sums = BlockSums::default();
                        for _ in 0..160 {
                            let r = 0.01 * noise.normal() + if n < edged { drift } else { 0.0 };
                            sums.count += 1.0;
                            sums.sum += r;
                            sums.sum_squares += r * r;
                        }
                        sums
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn noise_overfits_and_an_edge_does_not() {
        let noise = probability_of_backtest_overfitting(&blocks(40, 0, 0.0)).unwrap();
        assert_eq!((noise.splits, noise.blocks), (12_870, 16));
        assert!(noise.probability > 0.35, "{noise:?}");
        let edge = probability_of_backtest_overfitting(&blocks(40, 4, 0.003)).unwrap();
        assert!(edge.probability < 0.1, "{edge:?}");
        assert!(edge.probability_of_loss < noise.probability_of_loss, "{edge:?} {noise:?}");
        assert!(edge.reading().starts_with("PBO 0.0"), "{}", edge.reading());
    }

    #[test]
    fn too_few_trials_or_odd_blocks_give_nothing() {
        assert!(probability_of_backtest_overfitting(&blocks(1, 0, 0.0)).is_none());
        let mut odd = blocks(3, 0, 0.0);
        odd.iter_mut().for_each(|t| t.truncate(15));
        assert!(probability_of_backtest_overfitting(&odd).is_none());
    }

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
