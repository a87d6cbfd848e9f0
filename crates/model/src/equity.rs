//! Where a run's equity goes, step by step: kept whole as a curve for
//! reports, or folded into running statistics for sweeps.

use crate::Timestamp;

/// Receives each step's time and the account's equity after it.
pub trait EquityRecorder {
    /// The equity after the step at `ts`.
    fn record(&mut self, ts: Timestamp, equity: f64);
    /// Replaces the last recorded equity (trades closed at the end, ruin).
    fn amend_last(&mut self, equity: f64);
}

/// The whole equity curve: every step's time and equity.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EquityCurve {
    /// Time of every step.
    pub timeline: Vec<Timestamp>,
    /// Equity after every step.
    pub equity: Vec<f64>,
}

impl EquityCurve {
    /// An empty curve with room for `steps` points.
    pub fn with_capacity(steps: usize) -> Self {
        Self { timeline: Vec::with_capacity(steps), equity: Vec::with_capacity(steps) }
    }
}

impl EquityRecorder for EquityCurve {
    fn record(&mut self, ts: Timestamp, equity: f64) {
        self.timeline.push(ts);
        self.equity.push(equity);
    }

    fn amend_last(&mut self, equity: f64) {
        if let Some(last) = self.equity.last_mut() {
            *last = equity;
        }
    }
}
