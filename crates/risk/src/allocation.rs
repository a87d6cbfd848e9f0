//! Weights for strategy sleeves sharing one account: fixed, equal, inverse
//! volatility, risk parity, and long-only mean-variance solved by Clarabel.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus, ZeroConeT};

/// Why weights could not be computed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AllocationError {
    /// No sleeve to weigh.
    #[error("no sleeves to allocate to")]
    Empty,
    /// Inputs of different lengths, or a covariance matrix that is not square.
    #[error("inputs do not line up: {0}")]
    Shape(String),
    /// A weight, volatility or variance that cannot be used.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The optimiser found no solution (e.g. max_weight × n < 1).
    #[error("no feasible allocation: {0}")]
    Infeasible(String),
}

/// Fixed weights as given; they must be ≥ 0 and sum to at most 1 (the rest stays in cash).
pub fn fixed(weights: &[f64]) -> Result<Vec<f64>, AllocationError> {
    if weights.is_empty() {
        return Err(AllocationError::Empty);
    }
    if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || weights.iter().sum::<f64>() > 1.0 + 1e-12 {
        return Err(AllocationError::Invalid(format!(
            "weights {weights:?} must be >= 0 and sum to at most 1"
        )));
    }
    Ok(weights.to_vec())
}

/// `1/n` each.
pub fn equal(n: usize) -> Result<Vec<f64>, AllocationError> {
    if n == 0 {
        return Err(AllocationError::Empty);
    }
    Ok(vec![1.0 / n as f64; n])
}

/// Weights proportional to `1 / volatility`.
pub fn inverse_volatility(volatilities: &[f64]) -> Result<Vec<f64>, AllocationError> {
    if volatilities.is_empty() {
        return Err(AllocationError::Empty);
    }
    if volatilities.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(AllocationError::Invalid(format!("volatilities {volatilities:?} must be > 0")));
    }
    let inverse: Vec<f64> = volatilities.iter().map(|v| 1.0 / v).collect();
    let total: f64 = inverse.iter().sum();
    Ok(inverse.into_iter().map(|x| x / total).collect())
}

fn check_covariance(covariance: &[Vec<f64>]) -> Result<usize, AllocationError> {
    let n = covariance.len();
    if n == 0 {
        return Err(AllocationError::Empty);
    }
    if covariance.iter().any(|row| row.len() != n) {
        return Err(AllocationError::Shape(format!("covariance must be {n}×{n}")));
    }
    if (0..n).any(|i| covariance[i][i] <= 0.0) || covariance.iter().flatten().any(|x| !x.is_finite()) {
        return Err(AllocationError::Invalid(
            "covariance needs finite values and positive variances".to_owned(),
        ));
    }
    Ok(n)
}

/// Equal risk contribution: each sleeve contributes the same share of portfolio
/// variance (`w_i (Σw)_i` equal for all i), long-only and fully invested.
///
/// Solved by the damped fixed-point iteration `w_i ← w_i √(c̄ / c_i)` (c_i the
/// risk contribution, c̄ their mean), renormalised each step, which converges for
/// covariance matrices with positive marginal risks; stops when every
/// contribution is within 1e-12 (relative) of the mean.
pub fn risk_parity(covariance: &[Vec<f64>]) -> Result<Vec<f64>, AllocationError> {
    let n = check_covariance(covariance)?;
    let mut weights = inverse_volatility(&(0..n).map(|i| covariance[i][i].sqrt()).collect::<Vec<_>>())?;
    for _ in 0..10_000 {
        let marginal: Vec<f64> =
            (0..n).map(|i| (0..n).map(|j| covariance[i][j] * weights[j]).sum::<f64>()).collect();
        if marginal.iter().any(|m| *m <= 0.0) {
            return Err(AllocationError::Infeasible("a sleeve has non-positive marginal risk".to_owned()));
        }
        let contributions: Vec<f64> = (0..n).map(|i| weights[i] * marginal[i]).collect();
        let target = contributions.iter().sum::<f64>() / n as f64;
        if contributions.iter().all(|c| (c - target).abs() <= 1e-12 * target.max(1e-300)) {
            return Ok(weights);
        }
        let updated: Vec<f64> =
            (0..n).map(|i| (weights[i] * target / contributions[i]).sqrt() * weights[i].sqrt()).collect();
        let total: f64 = updated.iter().sum();
        weights = updated.into_iter().map(|w| w / total).collect();
    }
    Err(AllocationError::Infeasible("risk parity did not converge".to_owned()))
}

/// Long-only, fully invested mean-variance weights: maximise
/// `μᵀw − (risk_aversion / 2) wᵀΣw` subject to `Σw = 1`, `0 ≤ w ≤ max_weight`,
/// solved as a quadratic program by Clarabel.
pub fn mean_variance(
    expected_returns: &[f64],
    covariance: &[Vec<f64>],
    risk_aversion: f64,
    max_weight: f64,
) -> Result<Vec<f64>, AllocationError> {
    let n = check_covariance(covariance)?;
    if expected_returns.len() != n {
        return Err(AllocationError::Shape(format!(
            "{} expected returns for {n} sleeves",
            expected_returns.len()
        )));
    }
    if !(risk_aversion > 0.0 && risk_aversion.is_finite() && max_weight > 0.0 && max_weight <= 1.0) {
        return Err(AllocationError::Invalid(format!(
            "risk_aversion {risk_aversion} must be > 0 and max_weight {max_weight} in (0, 1]"
        )));
    }
    if max_weight * (n as f64) < 1.0 - 1e-12 {
        return Err(AllocationError::Infeasible(format!(
            "{n} sleeves of at most {max_weight} cannot sum to 1"
        )));
    }
    // Clarabel minimises ½ xᵀPx + qᵀx with Ax + s = b, s in the cones; P upper-triangular.
    let p: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if j >= i { risk_aversion * covariance[i][j] } else { 0.0 }).collect())
        .collect();
    let q: Vec<f64> = expected_returns.iter().map(|m| -m).collect();
    let mut a: Vec<Vec<f64>> = vec![vec![1.0; n]];
    let mut b = vec![1.0];
    for i in 0..n {
        let mut lower = vec![0.0; n];
        lower[i] = -1.0; // −w_i + s = 0, s ≥ 0  ⇒  w_i ≥ 0
        a.push(lower);
        b.push(0.0);
    }
    for i in 0..n {
        let mut upper = vec![0.0; n];
        upper[i] = 1.0; // w_i + s = max, s ≥ 0  ⇒  w_i ≤ max
        a.push(upper);
        b.push(max_weight);
    }
    let cones = [ZeroConeT(1), NonnegativeConeT(2 * n)];
    let settings = DefaultSettings { verbose: false, ..DefaultSettings::default() };
    let mut solver = DefaultSolver::new(&CscMatrix::from(&p), &q, &CscMatrix::from(&a), &b, &cones, settings)
        .map_err(|e| AllocationError::Infeasible(format!("{e:?}")))?;
    solver.solve();
    match solver.solution.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => {
            // Interior-point solutions sit a hair inside the bounds: clip and renormalise.
            let clipped: Vec<f64> = solver.solution.x.iter().map(|w| w.clamp(0.0, max_weight)).collect();
            let total: f64 = clipped.iter().sum();
            Ok(clipped.into_iter().map(|w| w / total).collect())
        }
        status => Err(AllocationError::Infeasible(format!("solver status {status:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64], tolerance: f64) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tolerance)
    }

    #[test]
    fn fixed_equal_and_inverse_volatility() {
        assert_eq!(fixed(&[0.5, 0.3]).unwrap(), vec![0.5, 0.3]);
        assert!(fixed(&[0.7, 0.4]).is_err());
        assert_eq!(equal(4).unwrap(), vec![0.25; 4]);
        // Vols 10 % and 20 %: inverse 10 and 5 → 2/3 and 1/3.
        assert!(close(&inverse_volatility(&[0.1, 0.2]).unwrap(), &[2.0 / 3.0, 1.0 / 3.0], 1e-15));
    }

    #[test]
    fn risk_parity_of_two_assets_is_inverse_volatility_whatever_the_correlation() {
        // Vols 10 % and 30 %, correlation 0.5: w ∝ (1/0.1, 1/0.3) = (0.75, 0.25).
        let covariance = vec![vec![0.01, 0.5 * 0.1 * 0.3], vec![0.5 * 0.1 * 0.3, 0.09]];
        assert!(close(&risk_parity(&covariance).unwrap(), &[0.75, 0.25], 1e-9));
    }

    #[test]
    fn risk_parity_equalises_contributions_with_three_correlated_assets() {
        let covariance = vec![vec![0.04, 0.006, 0.0], vec![0.006, 0.09, 0.018], vec![0.0, 0.018, 0.01]];
        let w = risk_parity(&covariance).unwrap();
        let contribution = |i: usize| w[i] * (0..3).map(|j| covariance[i][j] * w[j]).sum::<f64>();
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(
            (contribution(0) - contribution(1)).abs() < 1e-12
                && (contribution(1) - contribution(2)).abs() < 1e-12
        );
    }

    #[test]
    fn mean_variance_matches_the_closed_form_when_no_bound_binds() {
        // Uncorrelated: w_i = (μ_i − γ) / (λ σ_i²), with γ making Σw = 1.
        // μ = (0.10, 0.06), σ² = (0.04, 0.02), λ = 2: w1 = (0.10 − γ)/0.08 and w2 = (0.06 − γ)/0.04;
        // w1 + w2 = 1 ⇒ γ = 0.0056 / 0.12 = 0.04667 ⇒ w = (2/3, 1/3).
        let covariance = vec![vec![0.04, 0.0], vec![0.0, 0.02]];
        let w = mean_variance(&[0.10, 0.06], &covariance, 2.0, 1.0).unwrap();
        assert!(close(&w, &[2.0 / 3.0, 1.0 / 3.0], 1e-6), "{w:?}");
    }

    #[test]
    fn mean_variance_respects_the_weight_cap_and_long_only() {
        let covariance = vec![vec![0.04, 0.0, 0.0], vec![0.0, 0.04, 0.0], vec![0.0, 0.0, 0.04]];
        // One sleeve is much better: it gets the cap, the worst gets nothing below zero.
        let w = mean_variance(&[0.30, 0.05, -0.20], &covariance, 1.0, 0.6).unwrap();
        assert!(
            (w[0] - 0.6).abs() < 1e-6 && w[2] >= 0.0 && (w.iter().sum::<f64>() - 1.0).abs() < 1e-12,
            "{w:?}"
        );
        assert!(matches!(
            mean_variance(&[0.1; 3], &covariance, 1.0, 0.3),
            Err(AllocationError::Infeasible(_))
        ));
    }
}
