//! ML strategy selection: a regime classifier that weights strategies each
//! period, evaluated walk-forward (purged, embargoed) against equal weight,
//! inverse volatility and the best single strategy chosen in sample, net of
//! the cost of moving weight between strategies.

use crate::{Logistic, MlError, walk_forward};
use serde::{Deserialize, Serialize};

/// What a selection is evaluated on: per period, the regime features known
/// at its start and each strategy's return over it.
pub struct SelectionInput<'a> {
    /// Row-major regime features, `width` per period, from bars up to the period's start.
    pub features: &'a [f64],
    /// Features per period.
    pub width: usize,
    /// Per strategy, its return in each period (net of its own costs).
    pub returns: &'a [Vec<f64>],
    /// The bar each period starts at, and the bar it ends at (its label's end).
    pub starts: &'a [usize],
    /// See `starts`.
    pub ends: &'a [usize],
    /// Test blocks of the walk-forward.
    pub folds: usize,
    /// Bars between a training period's end and a test block.
    pub embargo: usize,
    /// Cost per unit of weight moved between strategies (a commission rate).
    pub cost: f64,
    /// Periods in a year, to annualise the Sharpe ratio.
    pub periods_per_year: f64,
}

/// One way of weighting the strategies over the test periods.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MethodScore {
    /// `ml`, `equal_weight`, `inverse_vol` or `best_in_sample`.
    pub method: &'static str,
    /// Compounded return over the test periods, percent.
    pub return_pct: f64,
    /// Annualised Sharpe ratio of the period returns.
    pub sharpe_ratio: f64,
    /// Deepest drawdown of the compounded curve, percent (negative).
    pub max_drawdown_pct: f64,
    /// Mean weight moved per period.
    pub turnover: f64,
}

/// The walk-forward evaluation of the selector and its baselines.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SelectionReport {
    /// Periods tested (out of sample, every fold's).
    pub test_periods: usize,
    /// Each method, the selector first.
    pub methods: Vec<MethodScore>,
    /// The selector's weights in each test period.
    pub weights: Vec<Vec<f64>>,
}

/// The fitted selector: per strategy, a logistic regression of "this
/// strategy is the period's best" on the regime features (or, when the
/// training periods had only one answer, that answer's base rate); its
/// probabilities normalised are the weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selector {
    /// Regime features per row.
    pub width: usize,
    /// Per strategy, its model, or none when its label never varied.
    pub models: Vec<Option<Logistic>>,
    /// Per strategy, how often it was the best in training.
    pub base_rates: Vec<f64>,
}

impl Selector {
    /// Fits the selector on `periods` of `input` (their features and which
    /// strategy was best in each, `best`).
    fn fit(input: &SelectionInput<'_>, periods: &[usize], best: &[usize]) -> Self {
        let width = input.width;
        let rows: Vec<f64> = periods
            .iter()
            .flat_map(|&p| input.features[p * width..(p + 1) * width].iter().copied())
            .collect();
        let strategies = input.returns.len();
        let models = (0..strategies)
            .map(|k| {
                let labels: Vec<f64> = periods.iter().map(|&p| f64::from(u8::from(best[p] == k))).collect();
                let mixed = labels.iter().any(|y| *y > 0.5) && labels.iter().any(|y| *y < 0.5);
                mixed.then(|| Logistic::fit(&rows, width, &labels, &vec![1.0; labels.len()]).ok()).flatten()
            })
            .collect();
        let base_rates = (0..strategies)
            .map(|k| periods.iter().filter(|&&p| best[p] == k).count() as f64 / periods.len().max(1) as f64)
            .collect();
        Self { width, models, base_rates }
    }

    /// Fits the selector on every period of `input`: the model an allocator runs.
    pub fn fit_all(input: &SelectionInput<'_>) -> Result<Self, MlError> {
        check(input)?;
        let periods: Vec<usize> = (0..input.starts.len()).collect();
        Ok(Self::fit(input, &periods, &best_per_period(input)))
    }

    /// Strategies it weighs.
    pub fn strategies(&self) -> usize {
        self.models.len()
    }

    /// The weights (non-negative, summing to one) for one row of regime features.
    pub fn weights(&self, row: &[f64]) -> Vec<f64> {
        normalised(self.models.iter().zip(&self.base_rates).map(|(model, base)| match model {
            Some(model) => model.predict(row)[0],
            None => *base,
        }))
    }
}

/// Rejects inputs that cannot make a selection.
fn check(input: &SelectionInput<'_>) -> Result<(), MlError> {
    let periods = input.starts.len();
    if input.returns.len() < 2
        || input.returns.iter().any(|r| r.len() != periods)
        || input.features.len() != periods * input.width
    {
        return Err(MlError::NotEnoughData(
            "strategy selection needs two strategies or more, a return of each per period".to_owned(),
        ));
    }
    Ok(())
}

/// The strategy with the highest return in each period.
fn best_per_period(input: &SelectionInput<'_>) -> Vec<usize> {
    let strategies = input.returns.len();
    (0..input.starts.len()).map(|p| argmax((0..strategies).map(|k| input.returns[k][p]))).collect()
}

/// The methods, in report order.
const METHODS: [&str; 4] = ["ml", "equal_weight", "inverse_vol", "best_in_sample"];

/// Evaluates the selector (one logistic regression per strategy on "this
/// strategy is the best of the period", its probabilities normalised to
/// weights) and the baselines, each fitted on a fold's training periods
/// only and scored on its test block.
pub fn evaluate(input: &SelectionInput<'_>) -> Result<SelectionReport, MlError> {
    check(input)?;
    let strategies = input.returns.len();
    let periods = input.starts.len();
    let folds = walk_forward(input.starts, input.ends, input.folds, input.embargo);
    if folds.is_empty() {
        return Err(MlError::NotEnoughData(format!("{periods} periods cannot make {} folds", input.folds)));
    }
    let best = best_per_period(input);
    let mut curves: Vec<Vec<f64>> = vec![Vec::new(); METHODS.len()];
    let mut moved = vec![0.0; METHODS.len()];
    let mut held: Vec<Vec<f64>> = vec![vec![0.0; strategies]; METHODS.len()];
    let mut selector_weights = Vec::new();
    for fold in &folds {
        if fold.train.len() < 2 {
            return Err(MlError::NotEnoughData(
                "a fold has fewer than 2 training periods: use fewer folds".to_owned(),
            ));
        }
        let selector = Selector::fit(input, &fold.train, &best);
        let trained = |k: usize| fold.train.iter().map(|&p| input.returns[k][p]).collect::<Vec<f64>>();
        let inverse_vol = normalised((0..strategies).map(|k| {
            let sd = std_dev(&trained(k));
            if sd > 0.0 { 1.0 / sd } else { 0.0 }
        }));
        let chosen = argmax((0..strategies).map(|k| {
            let r = trained(k);
            let sd = std_dev(&r);
            if sd > 0.0 { mean(&r) / sd } else { f64::NEG_INFINITY }
        }));
        let single: Vec<f64> = (0..strategies).map(|k| f64::from(u8::from(k == chosen))).collect();
        let equal = vec![1.0 / strategies as f64; strategies];
        for &p in &fold.test {
            let row = &input.features[p * input.width..(p + 1) * input.width];
            let ml = selector.weights(row);
            for (m, weights) in [&ml, &equal, &inverse_vol, &single].into_iter().enumerate() {
                let turnover: f64 = weights.iter().zip(&held[m]).map(|(w, h)| (w - h).abs()).sum();
                let gross: f64 = (0..strategies).map(|k| weights[k] * input.returns[k][p]).sum();
                curves[m].push(gross - input.cost * turnover);
                moved[m] += turnover;
                held[m].clone_from(weights);
            }
            selector_weights.push(ml);
        }
    }
    let test_periods = curves[0].len();
    let methods = METHODS
        .iter()
        .zip(&curves)
        .zip(&moved)
        .map(|((method, returns), moved)| score(method, returns, *moved, input.periods_per_year))
        .collect();
    Ok(SelectionReport { test_periods, methods, weights: selector_weights })
}

fn score(method: &'static str, returns: &[f64], moved: f64, periods_per_year: f64) -> MethodScore {
    let (mut equity, mut peak, mut deepest) = (1.0_f64, 1.0_f64, 0.0_f64);
    for r in returns {
        equity *= 1.0 + r;
        peak = peak.max(equity);
        deepest = deepest.min(equity / peak - 1.0);
    }
    let sd = std_dev(returns);
    MethodScore {
        method,
        return_pct: (equity - 1.0) * 100.0,
        sharpe_ratio: if sd > 0.0 { mean(returns) / sd * periods_per_year.sqrt() } else { f64::NAN },
        max_drawdown_pct: deepest * 100.0,
        turnover: moved / returns.len().max(1) as f64,
    }
}

fn argmax(values: impl Iterator<Item = f64>) -> usize {
    values.enumerate().fold((0, f64::NEG_INFINITY), |best, (i, v)| if v > best.1 { (i, v) } else { best }).0
}

fn normalised(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let values: Vec<f64> = values.map(|v| if v.is_finite() { v.max(0.0) } else { 0.0 }).collect();
    let sum: f64 = values.iter().sum();
    if sum > 0.0 {
        values.iter().map(|v| v / sum).collect()
    } else {
        vec![1.0 / values.len() as f64; values.len()]
    }
}

/// The regime features, in column order.
pub const REGIME_FEATURES: [&str; 6] =
    ["volatility_20", "volatility_60", "return_20", "return_60", "trend_50", "correlation_60"];

/// Steps of closes the regime features read, ending at the step they
/// describe: 60 one-step returns.
pub const REGIME_WINDOW: usize = 61;

/// The regime features at one step, from each symbol's closes over the
/// steps up to it (`closes[i]`, oldest first, at most [`REGIME_WINDOW`]
/// used; forward-filled over steps where the symbol has no bar and NaN
/// before its first). The market is the equal-weight basket of the symbols
/// rebased at the window's start. In [`REGIME_FEATURES`] order: the
/// basket's volatility of log returns over 20 and 60 steps, its return over
/// 20 and 60, its distance from its 50-step mean, and the mean correlation
/// between the symbols' log returns over 60 steps (0 for one symbol).
/// Non-finite values read as 0. Training (`ml select-eval`) and the
/// engine's rebalances both call this, so they see the same numbers.
pub fn regime_row(closes: &[Vec<f64>]) -> Vec<f64> {
    let windows: Vec<&[f64]> = closes.iter().map(|c| &c[c.len().saturating_sub(REGIME_WINDOW)..]).collect();
    let steps = windows.iter().map(|w| w.len()).max().unwrap_or(0);
    if steps == 0 {
        return vec![0.0; REGIME_FEATURES.len()];
    }
    // Each symbol's window aligned to end at the last step.
    let at = |w: &[f64], k: usize| (k + w.len()).checked_sub(steps).map_or(f64::NAN, |i| w[i]);
    let bases: Vec<f64> =
        windows.iter().map(|w| w.iter().copied().find(|c| c.is_finite()).unwrap_or(f64::NAN)).collect();
    let index: Vec<f64> = (0..steps)
        .map(|k| {
            let relative: Vec<f64> = windows
                .iter()
                .zip(&bases)
                .map(|(w, base)| at(w, k) / base)
                .filter(|r| r.is_finite())
                .collect();
            if relative.is_empty() { f64::NAN } else { mean(&relative) }
        })
        .collect();
    let log_returns = |values: &[f64]| -> Vec<f64> {
        std::iter::once(f64::NAN).chain(values.windows(2).map(|w| (w[1] / w[0]).ln())).collect()
    };
    let market = log_returns(&index);
    let each: Vec<Vec<f64>> =
        windows.iter().map(|w| log_returns(&(0..steps).map(|k| at(w, k)).collect::<Vec<_>>())).collect();
    let last = steps - 1;
    let tail = |values: &[f64], n: usize| values[steps - n.min(steps)..].to_vec();
    let mut row = vec![
        std_dev(&finite(&tail(&market, 20))),
        std_dev(&finite(&tail(&market, 60))),
        index[last] / index[last.saturating_sub(20)] - 1.0,
        index[last] / index[last.saturating_sub(60)] - 1.0,
        index[last] / mean(&finite(&tail(&index, 50))) - 1.0,
        mean_correlation(&each.iter().map(|r| tail(r, 60)).collect::<Vec<_>>()),
    ];
    row.iter_mut().filter(|x| !x.is_finite()).for_each(|x| *x = 0.0);
    row
}

/// The finite values of `values`.
fn finite(values: &[f64]) -> Vec<f64> {
    values.iter().copied().filter(|v| v.is_finite()).collect()
}

/// The mean Pearson correlation over every pair of `returns` (bars where both are finite).
fn mean_correlation(returns: &[Vec<f64>]) -> f64 {
    let mut sum = 0.0;
    let mut pairs = 0;
    for i in 0..returns.len() {
        for j in i + 1..returns.len() {
            let (a, b): (Vec<f64>, Vec<f64>) = returns[i]
                .iter()
                .zip(&returns[j])
                .filter(|(a, b)| a.is_finite() && b.is_finite())
                .map(|(a, b)| (*a, *b))
                .unzip();
            let (sa, sb) = (std_dev(&a), std_dev(&b));
            if a.len() > 2 && sa > 0.0 && sb > 0.0 {
                let (ma, mb) = (mean(&a), mean(&b));
                let cov =
                    a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum::<f64>() / (a.len() - 1) as f64;
                sum += cov / (sa * sb);
                pairs += 1;
            }
        }
    }
    if pairs == 0 { 0.0 } else { sum / pairs as f64 }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

fn std_dev(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    /// Three strategies over `n` periods: the first wins in the regime
    /// `x > 0`, the second in the other, the third is noise; the feature is
    /// known at each period's start, plus a noise feature.
    fn planted(n: usize, seed: u64) -> (Vec<f64>, Vec<Vec<f64>>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut features = Vec::new();
        let mut returns = vec![Vec::new(); 3];
        for _ in 0..n {
            let x: f64 = rng.random::<f64>() - 0.5;
            features.extend([x, rng.random::<f64>()]);
            let noise = |rng: &mut ChaCha8Rng| (rng.random::<f64>() - 0.5) * 0.01;
            returns[0].push(if x > 0.0 { 0.02 } else { -0.02 } + noise(&mut rng));
            returns[1].push(if x > 0.0 { -0.02 } else { 0.02 } + noise(&mut rng));
            returns[2].push(noise(&mut rng));
        }
        (features, returns)
    }

    fn input<'a>(
        features: &'a [f64],
        returns: &'a [Vec<f64>],
        bars: &'a (Vec<usize>, Vec<usize>),
        cost: f64,
    ) -> SelectionInput<'a> {
        SelectionInput {
            features,
            width: 2,
            returns,
            starts: &bars.0,
            ends: &bars.1,
            folds: 4,
            embargo: 0,
            cost,
            periods_per_year: 12.0,
        }
    }

    /// Periods of 20 bars, each label ending where the next period starts.
    fn bars(n: usize) -> (Vec<usize>, Vec<usize>) {
        ((0..n).map(|p| p * 20).collect(), (0..n).map(|p| p * 20 + 19).collect())
    }

    #[test]
    fn a_planted_regime_is_found_and_beats_every_baseline_net_of_costs() {
        let (features, returns) = planted(200, 5);
        let periods = bars(200);
        let report = evaluate(&input(&features, &returns, &periods, 0.001)).unwrap();
        assert_eq!(report.test_periods, 160, "four blocks of forty after the first");
        let by = |name: &str| report.methods.iter().find(|m| m.method == name).unwrap().clone();
        let ml = by("ml");
        for baseline in ["equal_weight", "inverse_vol", "best_in_sample"] {
            assert!(ml.sharpe_ratio > by(baseline).sharpe_ratio + 1.0, "{ml:?} vs {:?}", by(baseline));
        }
        assert!(report.weights.iter().all(|w| (w.iter().sum::<f64>() - 1.0).abs() < 1e-12));
    }

    #[test]
    fn the_selector_fitted_on_every_period_weighs_the_regime_winner_and_survives_serde() {
        let (features, returns) = planted(200, 9);
        let periods = bars(200);
        let selector = Selector::fit_all(&input(&features, &returns, &periods, 0.001)).unwrap();
        assert_eq!(selector.strategies(), 3);
        let up = selector.weights(&[0.3, 0.5]);
        let down = selector.weights(&[-0.3, 0.5]);
        assert!(up[0] > 0.8 && down[1] > 0.8, "{up:?} {down:?}");
        assert!((up.iter().sum::<f64>() - 1.0).abs() < 1e-12 && up.iter().all(|w| *w >= 0.0));
        let bytes = serde_json::to_vec(&selector).unwrap();
        let back: Selector = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back.weights(&[0.3, 0.5]), up, "the stored selector weighs as the fitted one");
        let one = [returns[0].clone()];
        assert!(
            Selector::fit_all(&input(&features, &one, &periods, 0.0)).is_err(),
            "one strategy is no choice"
        );
    }

    #[test]
    fn equal_weight_earns_the_mean_of_the_strategies_and_pays_for_turnover_once() {
        let (features, returns) = planted(100, 9);
        let periods = bars(100);
        let free = evaluate(&input(&features, &returns, &periods, 0.0)).unwrap();
        let equal = free.methods.iter().find(|m| m.method == "equal_weight").unwrap();
        let tested = 80;
        let expected: f64 =
            (20..100).map(|p| 1.0 + (returns[0][p] + returns[1][p] + returns[2][p]) / 3.0).product();
        assert!((equal.return_pct - (expected - 1.0) * 100.0).abs() < 1e-9);
        assert!((equal.turnover - 1.0 / tested as f64).abs() < 1e-12, "bought once, held");
        let paid = evaluate(&input(&features, &returns, &periods, 0.01)).unwrap();
        let equal_paid = paid.methods.iter().find(|m| m.method == "equal_weight").unwrap();
        assert!(equal_paid.return_pct < equal.return_pct);
        assert!(evaluate(&input(&features, &returns[..1], &periods, 0.0)).is_err());
    }
}
