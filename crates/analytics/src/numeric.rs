//! Small numeric helpers with pandas/numpy semantics (NaN for empty input, ddof = 1).

/// Arithmetic mean; NaN when empty.
pub(crate) fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { f64::NAN } else { values.iter().sum::<f64>() / values.len() as f64 }
}

/// Sample variance (ddof = 1); NaN with fewer than two values.
pub(crate) fn sample_variance(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return f64::NAN;
    }
    let m = mean(values);
    values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (values.len() - 1) as f64
}

/// Sample covariance (ddof = 1) of two equally long series.
pub(crate) fn sample_covariance(a: &[f64], b: &[f64]) -> f64 {
    if a.len() < 2 || a.len() != b.len() {
        return f64::NAN;
    }
    let (ma, mb) = (mean(a), mean(b));
    a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum::<f64>() / (a.len() - 1) as f64
}

/// Folds `values` with `pick`, NaN-propagating like numpy; NaN when empty.
fn extreme(values: &[f64], pick: fn(f64, f64) -> f64) -> f64 {
    values
        .iter()
        .copied()
        .reduce(|a, b| if a.is_nan() || b.is_nan() { f64::NAN } else { pick(a, b) })
        .unwrap_or(f64::NAN)
}

/// Largest value (NaN if any is NaN or there is none).
pub(crate) fn max(values: &[f64]) -> f64 {
    extreme(values, f64::max)
}

/// Smallest value (NaN if any is NaN or there is none).
pub(crate) fn min(values: &[f64]) -> f64 {
    extreme(values, f64::min)
}

/// backtesting.py's `geometric_mean`: NaNs count as 0; 0 if any return ≤ −100 %.
pub(crate) fn geometric_mean(returns: &[f64]) -> f64 {
    if returns.is_empty() {
        return f64::NAN;
    }
    let growth: Vec<f64> = returns.iter().map(|r| if r.is_nan() { 1.0 } else { r + 1.0 }).collect();
    if growth.iter().any(|g| *g <= 0.0) {
        return 0.0;
    }
    (growth.iter().map(|g| g.ln()).sum::<f64>() / growth.len() as f64).exp() - 1.0
}

/// `x` unless it is zero, then NaN (Python's `x or np.nan`).
pub(crate) fn nonzero_or_nan(x: f64) -> f64 {
    if x == 0.0 { f64::NAN } else { x }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_mean_compounds() {
        assert!((geometric_mean(&[0.1, -0.1]) - ((1.1f64 * 0.9).sqrt() - 1.0)).abs() < 1e-15);
        assert_eq!(geometric_mean(&[0.5, -1.0]), 0.0);
        assert!(geometric_mean(&[]).is_nan());
    }

    #[test]
    fn sample_statistics_use_ddof_one() {
        assert_eq!(sample_variance(&[1.0, 2.0, 3.0, 4.0]), 5.0 / 3.0);
        assert_eq!(sample_covariance(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]), 2.0);
        assert!(sample_variance(&[1.0]).is_nan());
    }
}
