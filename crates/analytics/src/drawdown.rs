//! Drawdowns of an equity curve.

use gt_model::Timestamp;

/// Drawdown at each point as a fraction below the running peak (0 at a new high).
pub fn drawdown_fractions(equity: &[f64]) -> Vec<f64> {
    let mut peak = f64::NEG_INFINITY;
    equity
        .iter()
        .map(|&value| {
            peak = peak.max(value);
            1.0 - value / peak
        })
        .collect()
}

/// One drawdown: from the last high before it to the next high (or the end of data).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DrawdownPeriod {
    /// Index of the high the drawdown started from.
    pub start: usize,
    /// Index where equity was back at a high, or the last index.
    pub end: usize,
    /// Length in days.
    pub duration_days: f64,
    /// Deepest drawdown within the period, as a fraction.
    pub depth: f64,
}

/// The drawdown periods of `drawdowns`, found as backtesting.py finds them:
/// between consecutive points at a high (drawdown exactly 0) or the last
/// point, whenever they are more than one bar apart.
pub fn drawdown_periods(drawdowns: &[f64], timestamps: &[Timestamp]) -> Vec<DrawdownPeriod> {
    let Some(last) = drawdowns.len().checked_sub(1) else {
        return Vec::new();
    };
    let mut highs: Vec<usize> = (0..drawdowns.len()).filter(|&i| drawdowns[i] == 0.0).collect();
    if highs.last() != Some(&last) {
        highs.push(last);
    }
    highs
        .windows(2)
        .filter(|pair| pair[1] > pair[0] + 1)
        .map(|pair| {
            let (start, end) = (pair[0], pair[1]);
            let depth = drawdowns[start..=end].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            DrawdownPeriod { start, end, duration_days: timestamps[end].days_since(timestamps[start]), depth }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_run_from_high_to_recovery_or_end() {
        let equity = [100.0, 110.0, 99.0, 104.5, 110.0, 120.0, 108.0, 114.0];
        let dd = drawdown_fractions(&equity);
        let ts: Vec<Timestamp> = (0..8).map(|d| Timestamp::from_nanos(d * 86_400_000_000_000)).collect();
        let periods = drawdown_periods(&dd, &ts);
        assert_eq!(periods.len(), 2);
        assert_eq!((periods[0].start, periods[0].end, periods[0].duration_days), (1, 4, 3.0));
        assert!((periods[0].depth - 0.1).abs() < 1e-12);
        assert_eq!((periods[1].start, periods[1].end), (5, 7));
        assert!((periods[1].depth - 0.1).abs() < 1e-12);
    }
}
