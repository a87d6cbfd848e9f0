//! Walk-forward folds, purged and embargoed (López de Prado, AFML ch. 7).

use serde::Serialize;

/// One fold: samples to train on and samples to test on, by position in the
/// dataset, with the bars the test block spans.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fold {
    /// Training samples: before the test block, their labels ending more
    /// than the embargo before it starts.
    pub train: Vec<usize>,
    /// Test samples: one contiguous block.
    pub test: Vec<usize>,
    /// First bar of the test block.
    pub test_start: usize,
    /// Last bar of the test block.
    pub test_end: usize,
}

/// Splits samples (at bars `starts`, increasing, their labels ending at
/// `ends`) into `folds + 1` contiguous blocks and tests on each block after
/// the first, training on the samples before it. A training sample is
/// **purged** when its label's interval reaches into the test block, and
/// dropped too when it ends within `embargo` bars of the block's start (an
/// **embargo** gap against the serial correlation of neighbouring bars). So
/// nothing at or after a test block's first bar is read by its training set.
pub fn walk_forward(starts: &[usize], ends: &[usize], folds: usize, embargo: usize) -> Vec<Fold> {
    let n = starts.len().min(ends.len());
    let blocks = folds + 1;
    if folds == 0 || n < blocks {
        return Vec::new();
    }
    // Block edges move forward past samples of the same step (several
    // series' bars at one time), so that no time is in two blocks.
    let bound = |b: usize| {
        let mut at = b * n / blocks;
        while at > 0 && at < n && starts[at] == starts[at - 1] {
            at += 1;
        }
        at
    };
    (1..blocks)
        .filter(|&block| bound(block) < bound(block + 1))
        .map(|block| {
            let test: Vec<usize> = (bound(block)..bound(block + 1)).collect();
            let test_start = starts[test[0]];
            let test_end = starts[test[test.len() - 1]];
            let train = (0..bound(block))
                .filter(|&i| ends[i] < test_start && ends[i] + embargo < test_start)
                .collect();
            Fold { train, test, test_start, test_end }
        })
        .collect()
}

/// Sample weights by label uniqueness (AFML ch. 4): each sample's mean,
/// over the bars its label spans, of one over the number of labels spanning
/// that bar; scaled to a mean of 1. Overlapping labels share their weight,
/// so a stretch of bars does not count more because many labels cover it.
/// Computed over the given samples only (a fold's training set: nothing of
/// its test block is read).
pub fn uniqueness_weights(starts: &[usize], ends: &[usize]) -> Vec<f64> {
    let (Some(&first), Some(&last)) = (starts.iter().min(), ends.iter().max()) else { return Vec::new() };
    let mut change = vec![0i64; last - first + 2];
    for (&s, &e) in starts.iter().zip(ends) {
        change[s - first] += 1;
        change[e - first + 1] -= 1;
    }
    let mut inverse = Vec::with_capacity(change.len());
    let mut concurrent = 0i64;
    for delta in &change[..change.len() - 1] {
        concurrent += delta;
        inverse.push(if concurrent > 0 { 1.0 / concurrent as f64 } else { 0.0 });
    }
    let weights: Vec<f64> = starts
        .iter()
        .zip(ends)
        .map(|(&s, &e)| inverse[s - first..=e - first].iter().sum::<f64>() / (e - s + 1) as f64)
        .collect();
    let mean = weights.iter().sum::<f64>() / weights.len() as f64;
    weights.iter().map(|w| w / mean).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn overlapping_labels_share_their_weight() {
        // Two labels over bars 0..=1 and one alone over 3..=4.
        let weights = uniqueness_weights(&[0, 0, 3], &[1, 1, 4]);
        // Uniqueness 0.5, 0.5, 1; mean 2/3.
        assert_eq!(weights, [0.75, 0.75, 1.5]);
        // Half overlapping: bars 0..=1 and 1..=2: each (1 + 1/2) / 2.
        assert_eq!(uniqueness_weights(&[0, 1], &[1, 2]), [1.0, 1.0]);
        assert!(uniqueness_weights(&[], &[]).is_empty());
    }

    #[test]
    fn a_label_reaching_into_the_test_block_is_purged_and_the_embargo_leaves_a_gap() {
        // Samples on every bar 0..100, each label ending 5 bars later.
        let starts: Vec<usize> = (0..100).collect();
        let ends: Vec<usize> = starts.iter().map(|s| s + 5).collect();
        let folds = walk_forward(&starts, &ends, 4, 3);
        assert_eq!(folds.len(), 4);
        let first = &folds[0];
        assert_eq!((first.test_start, first.test_end, first.test.len()), (20, 39, 20));
        // Labels end at s + 5 < 20 - 3: the last training sample starts at bar 11.
        assert_eq!(first.train, (0..=11).collect::<Vec<_>>());
        assert_eq!(folds[3].test_start, 80);
        assert_eq!(*folds[3].train.last().unwrap(), 71);
        assert!(walk_forward(&starts[..3], &ends[..3], 4, 0).is_empty(), "fewer samples than blocks");
    }

    #[test]
    fn samples_of_one_time_stay_in_one_block() {
        // Three series on every bar: three samples a step.
        let starts: Vec<usize> = (0..90).map(|i| i / 3).collect();
        let ends: Vec<usize> = starts.iter().map(|s| s + 2).collect();
        let folds = walk_forward(&starts, &ends, 4, 0);
        for pair in folds.windows(2) {
            assert!(
                pair[0].test_end < pair[1].test_start,
                "{} then {}",
                pair[0].test_end,
                pair[1].test_start
            );
        }
        for fold in &folds {
            assert!(fold.test.iter().all(|&i| starts[i] >= fold.test_start));
            assert!(fold.train.iter().all(|&i| ends[i] < fold.test_start));
        }
    }

    proptest! {
        /// Whatever the labels' lengths, no training sample of a fold reads a
        /// bar at or after its test block's start, within the embargo.
        #[test]
        fn no_training_label_reaches_its_test_block(
            lengths in prop::collection::vec(0usize..30, 10..300),
            folds in 1usize..8,
            embargo in 0usize..20,
        ) {
            let starts: Vec<usize> = (0..lengths.len()).map(|i| 2 * i).collect();
            let ends: Vec<usize> = starts.iter().zip(&lengths).map(|(s, l)| s + l).collect();
            for fold in walk_forward(&starts, &ends, folds, embargo) {
                for &i in &fold.train {
                    prop_assert!(starts[i] < fold.test_start);
                    prop_assert!(ends[i] + embargo < fold.test_start);
                }
                prop_assert!(fold.test.iter().all(|&i| starts[i] >= fold.test_start && starts[i] <= fold.test_end));
            }
        }
    }
}
