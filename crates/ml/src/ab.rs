//! A/B comparison of two return series over the same bars (a live strategy
//! and a shadow model's hypothetical book): a paired significance test that
//! holds under autocorrelation, and the population stability index for drift.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

/// Fewest paired returns a difference is tested on; with fewer the answer is "not enough data".
pub const MIN_PAIRED_RETURNS: usize = 30;

/// Resamples of [`paired_difference_test`].
pub const BOOTSTRAP_RESAMPLES: usize = 2_000;

/// The outcome of testing whether two paired return series differ in mean.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DifferenceTest {
    /// Paired returns tested.
    pub samples: usize,
    /// Mean of `b - a` per bar.
    pub mean_difference: f64,
    /// Two-sided p-value of "the means are equal" (1 when every difference is 0).
    pub p_value: f64,
    /// Mean block length of the stationary bootstrap (n^(1/3), at least 1).
    pub mean_block: f64,
    /// 95 % bootstrap interval of the mean difference.
    pub interval: (f64, f64),
}

/// Tests whether the mean of `b[t] - a[t]` differs from zero with the
/// stationary block bootstrap of Politis & Romano (1994): blocks of
/// geometric length (mean n^(1/3)) drawn with wrap-around keep the series'
/// autocorrelation, so a trending difference is not mistaken for an edge.
/// The p-value is two-sided, of the resampled means centred on the observed
/// one. Seeded: the same series give the same answer. `None` with fewer
/// than [`MIN_PAIRED_RETURNS`] pairs.
pub fn paired_difference_test(a: &[f64], b: &[f64], seed: u64) -> Option<DifferenceTest> {
    let d: Vec<f64> = a.iter().zip(b).map(|(a, b)| b - a).collect();
    let n = d.len();
    if n < MIN_PAIRED_RETURNS {
        return None;
    }
    let mean = d.iter().sum::<f64>() / n as f64;
    let mean_block = (n as f64).cbrt().max(1.0);
    if d.iter().all(|x| *x == 0.0) {
        return Some(DifferenceTest {
            samples: n,
            mean_difference: 0.0,
            p_value: 1.0,
            mean_block,
            interval: (0.0, 0.0),
        });
    }
    let restart = 1.0 / mean_block;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    for _ in 0..BOOTSTRAP_RESAMPLES {
        let mut at = rng.random_range(0..n);
        let mut sum = 0.0;
        for _ in 0..n {
            sum += d[at];
            at = if rng.random_bool(restart) { rng.random_range(0..n) } else { (at + 1) % n };
        }
        means.push(sum / n as f64);
    }
    let beyond = means.iter().filter(|m| (*m - mean).abs() >= mean.abs()).count();
    let p_value = (1 + beyond) as f64 / (BOOTSTRAP_RESAMPLES + 1) as f64;
    means.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        means[((q * (BOOTSTRAP_RESAMPLES - 1) as f64).round() as usize).min(BOOTSTRAP_RESAMPLES - 1)]
    };
    Some(DifferenceTest {
        samples: n,
        mean_difference: mean,
        p_value,
        mean_block,
        interval: (quantile(0.025), quantile(0.975)),
    })
}

/// Bins of a [`Distribution`].
pub const PSI_BINS: usize = 10;

/// A population as the stability index reads it: cut points at its deciles
/// and the share of it in each bin (a feature's values at training, kept
/// with the model).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Ascending cut points; bin `i` holds values below `edges[i]` and at or above `edges[i - 1]`.
    pub edges: Vec<f64>,
    /// The share of the population in each of the `edges.len() + 1` bins.
    pub shares: Vec<f64>,
}

impl Distribution {
    /// The distribution of the finite values of `values`, cut at its
    /// deciles; `None` when it has none or takes one value only.
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        if sorted.first()? == sorted.last()? {
            return None;
        }
        let mut edges: Vec<f64> = (1..PSI_BINS).map(|i| sorted[i * sorted.len() / PSI_BINS]).collect();
        edges.dedup();
        let shares = shares_in(&edges, &sorted);
        Some(Self { edges, shares })
    }

    /// The population stability index of `actual` against this population:
    /// Σ (aᵢ − eᵢ) ln(aᵢ / eᵢ) over its bins (shares floored at 0.0001 so an
    /// empty bin stays finite). Read as < 0.1 no shift, 0.1–0.25 moderate,
    /// > 0.25 significant. `None` when `actual` has no finite value.
    pub fn stability(&self, actual: &[f64]) -> Option<f64> {
        let actual: Vec<f64> = actual.iter().copied().filter(|x| x.is_finite()).collect();
        if actual.is_empty() || self.shares.len() != self.edges.len() + 1 {
            return None;
        }
        let floor = |share: f64| share.max(1e-4);
        let psi = self
            .shares
            .iter()
            .zip(shares_in(&self.edges, &actual))
            .map(|(e, a)| (floor(a) - floor(*e)) * (floor(a) / floor(*e)).ln())
            .sum();
        Some(psi)
    }
}

/// The share of `values` (finite) in each bin cut at `edges`.
fn shares_in(edges: &[f64], values: &[f64]) -> Vec<f64> {
    let mut counts = vec![0usize; edges.len() + 1];
    for v in values {
        counts[edges.partition_point(|edge| edge <= v)] += 1;
    }
    counts.into_iter().map(|c| c as f64 / values.len() as f64).collect()
}

/// The population stability index of `actual` against `expected` (see
/// [`Distribution::stability`]); `None` when either side is empty or
/// `expected` takes one value only.
pub fn population_stability(expected: &[f64], actual: &[f64]) -> Option<f64> {
    Distribution::of(expected)?.stability(actual)
}

/// How [`population_stability`] reads: `none` below 0.1, `moderate` up to 0.25, `significant` above.
pub fn drift_level(psi: f64) -> &'static str {
    if psi < 0.1 {
        "none"
    } else if psi <= 0.25 {
        "moderate"
    } else {
        "significant"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded noise series: an AR(1) with coefficient `phi` (autocorrelated when > 0).
    fn noise(n: usize, seed: u64, phi: f64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut last = 0.0;
        (0..n)
            .map(|_| {
                last = phi * last + (rng.random::<f64>() - 0.5) * 0.02;
                last
            })
            .collect()
    }

    #[test]
    fn identical_series_differ_in_nothing_and_a_planted_edge_is_found() {
        let live = noise(500, 1, 0.0);
        let same = paired_difference_test(&live, &live, 7).unwrap();
        assert_eq!((same.p_value, same.mean_difference), (1.0, 0.0));
        // Two independent series of the same law: no significant difference.
        let other = noise(500, 2, 0.0);
        let twin = paired_difference_test(&live, &other, 7).unwrap();
        assert!(twin.p_value > 0.05, "{twin:?}");
        // The same noise plus 0.2 % a bar: an edge, and its size inside the interval.
        let better: Vec<f64> = other.iter().map(|r| r + 0.002).collect();
        let edge = paired_difference_test(&live, &better, 7).unwrap();
        assert!(edge.p_value < 0.01, "{edge:?}");
        assert!(edge.interval.0 < edge.mean_difference && edge.mean_difference < edge.interval.1);
        assert!(paired_difference_test(&live[..29], &better[..29], 7).is_none(), "not enough data");
        assert_eq!(paired_difference_test(&live, &better, 7), Some(edge), "seeded");
    }

    #[test]
    fn autocorrelated_differences_are_not_taken_for_an_edge_as_easily() {
        // A strongly autocorrelated difference: blocks widen the interval
        // beyond what resampling single bars would give.
        let zero = vec![0.0; 400];
        let drift = noise(400, 3, 0.95);
        let test = paired_difference_test(&zero, &drift, 11).unwrap();
        let sd = (drift.iter().map(|x| (x - test.mean_difference).powi(2)).sum::<f64>() / 400.0).sqrt();
        let naive_half_width = 1.96 * sd / 20.0;
        assert!((test.interval.1 - test.interval.0) / 2.0 > 1.5 * naive_half_width, "{test:?}");
    }

    #[test]
    fn stability_is_zero_for_the_same_population_and_grows_with_a_shift() {
        let base: Vec<f64> = (0..1000).map(|i| (i % 100) as f64 / 100.0).collect();
        assert!(population_stability(&base, &base).unwrap() < 1e-12);
        let shifted: Vec<f64> = base.iter().map(|x| x + 0.3).collect();
        let psi = population_stability(&base, &shifted).unwrap();
        assert_eq!(drift_level(psi), "significant", "{psi}");
        let nudged: Vec<f64> = base.iter().map(|x| x + 0.02).collect();
        assert_eq!(drift_level(population_stability(&base, &nudged).unwrap()), "none");
        assert!(population_stability(&[1.0, 1.0], &base).is_none());
        assert!(population_stability(&base, &[]).is_none());
    }
}
