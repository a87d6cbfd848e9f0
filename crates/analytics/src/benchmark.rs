//! The buy & hold benchmark of a multi-symbol run.

use gt_model::{BarSeries, Timestamp};

/// An equal-weight index of the symbols' closes on `timeline`: each symbol's
/// close relative to its first close, averaged over the symbols that have
/// started trading (a symbol's last close stands for it between its bars).
/// With one symbol, simply its closes.
pub fn equal_weight_index(series: &[BarSeries], timeline: &[Timestamp]) -> Vec<f64> {
    if let [only] = series {
        return only.closes().to_vec();
    }
    let mut cursors = vec![0usize; series.len()];
    let mut latest: Vec<Option<f64>> = vec![None; series.len()];
    timeline
        .iter()
        .map(|ts| {
            let (mut sum, mut count) = (0.0, 0usize);
            for (i, s) in series.iter().enumerate() {
                while s.timestamps().get(cursors[i]).is_some_and(|t| t <= ts) {
                    latest[i] = Some(s.closes()[cursors[i]] / s.closes()[0]);
                    cursors[i] += 1;
                }
                if let Some(relative) = latest[i] {
                    sum += relative;
                    count += 1;
                }
            }
            if count == 0 { f64::NAN } else { sum / count as f64 }
        })
        .collect()
}
