//! Scores of probabilistic predictions of 0/1 labels.

use serde::Serialize;

/// The scores of one set of predictions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Scores {
    /// Samples scored.
    pub samples: usize,
    /// Area under the ROC curve (0.5 is chance); `None` with one class only.
    pub auc: Option<f64>,
    /// Mean negative log-likelihood (probabilities clipped to [1e-15, 1 - 1e-15]).
    pub log_loss: f64,
    /// Share of samples on the right side of 0.5.
    pub accuracy: f64,
    /// Mean squared error of the probabilities.
    pub brier: f64,
    /// Information coefficient: Spearman's rank correlation of the
    /// probability with the label's forward return; `None` when either is constant.
    pub ic: Option<f64>,
}

/// Scores `probabilities` against `labels` (0/1) and the `returns` the labels came from.
pub fn score(probabilities: &[f64], labels: &[f64], returns: &[f64]) -> Scores {
    let n = probabilities.len();
    let clip = |p: f64| p.clamp(1e-15, 1.0 - 1e-15);
    let mean = |f: &dyn Fn(usize) -> f64| (0..n).map(f).sum::<f64>() / n.max(1) as f64;
    Scores {
        samples: n,
        auc: auc(probabilities, labels),
        log_loss: mean(&|i| {
            let p = clip(probabilities[i]);
            -(labels[i] * p.ln() + (1.0 - labels[i]) * (1.0 - p).ln())
        }),
        accuracy: mean(&|i| f64::from(u8::from((probabilities[i] > 0.5) == (labels[i] > 0.5)))),
        brier: mean(&|i| (probabilities[i] - labels[i]).powi(2)),
        ic: spearman(probabilities, returns),
    }
}

/// One bin of a calibration table: predictions in `[low, high)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Lower edge of the bin.
    pub low: f64,
    /// Upper edge (the last bin includes 1).
    pub high: f64,
    /// Predictions in the bin.
    pub count: usize,
    /// Their mean probability.
    pub predicted: f64,
    /// The share of them labelled 1.
    pub observed: f64,
}

/// The calibration table of `probabilities` against `labels` in `bins`
/// equal-width bins (empty bins left out): a calibrated model's `observed`
/// follows its `predicted`.
pub fn calibration(probabilities: &[f64], labels: &[f64], bins: usize) -> Vec<CalibrationBin> {
    let bins = bins.max(1);
    let mut sums = vec![(0usize, 0.0, 0.0); bins];
    for (p, y) in probabilities.iter().zip(labels) {
        let bin = ((p * bins as f64) as usize).min(bins - 1);
        sums[bin].0 += 1;
        sums[bin].1 += p;
        sums[bin].2 += y;
    }
    sums.iter()
        .enumerate()
        .filter(|(_, (count, _, _))| *count > 0)
        .map(|(bin, &(count, predicted, observed))| CalibrationBin {
            low: bin as f64 / bins as f64,
            high: (bin + 1) as f64 / bins as f64,
            count,
            predicted: predicted / count as f64,
            observed: observed / count as f64,
        })
        .collect()
}

/// Ranks from 1, ties sharing their mean rank.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = rank;
        }
        i = j + 1;
    }
    ranks
}

/// The probability that a random positive scores above a random negative
/// (ties count half): the Mann-Whitney form of the ROC area.
pub fn auc(scores: &[f64], labels: &[f64]) -> Option<f64> {
    let positives = labels.iter().filter(|&&y| y > 0.5).count();
    let negatives = labels.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let ranks = ranks(scores);
    let positive_ranks: f64 = ranks.iter().zip(labels).filter(|(_, y)| **y > 0.5).map(|(r, _)| r).sum();
    let (p, q) = (positives as f64, negatives as f64);
    Some((positive_ranks - p * (p + 1.0) / 2.0) / (p * q))
}

/// Spearman's rank correlation; `None` when either side is constant.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let mean = (n + 1.0) / 2.0;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - mean) * (y - mean);
        va += (x - mean).powi(2);
        vb += (y - mean).powi(2);
    }
    (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt())
}

/// How far from 0.5 a chance AUC strays, at about 3 standard deviations,
/// for `positives` and `negatives` (Hanley & McNeil's variance at AUC 0.5).
pub fn chance_auc_bound(positives: usize, negatives: usize) -> f64 {
    let (p, q) = (positives as f64, negatives as f64);
    3.0 * ((p + q + 1.0) / (12.0 * p * q)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_is_one_for_a_perfect_ranking_zero_reversed_and_counts_ties_half() {
        let labels = [0.0, 0.0, 1.0, 1.0];
        assert_eq!(auc(&[0.1, 0.2, 0.8, 0.9], &labels), Some(1.0));
        assert_eq!(auc(&[0.9, 0.8, 0.2, 0.1], &labels), Some(0.0));
        assert_eq!(auc(&[0.5; 4], &labels), Some(0.5));
        // One positive (0.4) below one negative (0.6): 3 of 4 pairs right.
        assert_eq!(auc(&[0.1, 0.6, 0.4, 0.9], &labels), Some(0.75));
        assert_eq!(auc(&[0.1, 0.2], &[1.0, 1.0]), None);
    }

    #[test]
    fn the_calibration_table_bins_predictions_and_counts_what_came_true() {
        let table = calibration(&[0.05, 0.15, 0.12, 0.95, 1.0], &[0.0, 1.0, 0.0, 1.0, 1.0], 10);
        assert_eq!(table.len(), 3, "empty bins are left out: {table:?}");
        assert_eq!((table[0].count, table[0].observed), (1, 0.0));
        assert_eq!((table[1].low, table[1].count, table[1].observed), (0.1, 2, 0.5));
        assert!((table[1].predicted - 0.135).abs() < 1e-12);
        assert_eq!(
            (table[2].high, table[2].count, table[2].observed),
            (1.0, 2, 1.0),
            "1.0 is in the last bin"
        );
    }

    #[test]
    fn the_scores_of_known_predictions() {
        let scores = score(&[0.9, 0.2, 0.6, 0.4], &[1.0, 0.0, 0.0, 1.0], &[0.03, -0.01, 0.0, 0.02]);
        assert_eq!(scores.accuracy, 0.5);
        assert!((scores.brier - (0.01 + 0.04 + 0.36 + 0.36) / 4.0).abs() < 1e-12);
        let log_loss = -(0.9f64.ln() + 0.8f64.ln() + 0.4f64.ln() + 0.4f64.ln()) / 4.0;
        assert!((scores.log_loss - log_loss).abs() < 1e-12);
        // Ranks of the probabilities 4,1,3,2 against the returns' 4,1,2,3.
        assert!((scores.ic.unwrap() - 0.8).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 1.0], &[1.0, 2.0]), None);
    }
}
