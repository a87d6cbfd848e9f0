//! Indicator columns that the trials of a sweep share: each distinct key of
//! each symbol is computed once over the shared bars, within a memory
//! budget, and every trial that reads it reads the same column.

use gt_engine::Sleeve;
use gt_engine::indicators::declared_keys;
use gt_indicators::{IndicatorColumns, IndicatorKey, KeyColumn};
use gt_model::BarSeries;
use gt_risk::RiskEngine;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// A column being computed by the first trial that asked for it (the others wait for it).
type Pending = Arc<OnceLock<Arc<KeyColumn>>>;

/// The shared columns of one set of bars, and the memory they may use.
#[derive(Debug)]
pub struct SharedIndicators {
    budget: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Bytes the admitted columns hold (or will, once computed).
    used: usize,
    /// Admitted columns by (symbol, computation).
    columns: HashMap<(usize, IndicatorKey), Pending>,
    /// Keys asked for that did not fit the budget; each run computes its own column of them.
    declined: HashSet<(usize, IndicatorKey)>,
}

/// What the sharing did: how many distinct keys were shared, how many computed per trial.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SharingUse {
    /// Distinct (symbol, key) computations held in shared columns.
    pub shared: usize,
    /// Distinct (symbol, key) computations each trial computes for itself (over the budget).
    pub declined: usize,
    /// Bytes the shared columns hold.
    pub bytes: usize,
}

impl SharedIndicators {
    /// Sharing at most `budget` bytes of columns.
    pub fn new(budget: usize) -> Self {
        Self { budget, state: Mutex::new(State::default()) }
    }

    /// What has been shared so far.
    pub fn usage(&self) -> SharingUse {
        let state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        SharingUse { shared: state.columns.len(), declined: state.declined.len(), bytes: state.used }
    }

    /// The columns, per symbol of `series`, that a run of `sleeves` and
    /// `risk` reads: every key its strategies declare and its sizing reads,
    /// shared and computed on first use while the budget lasts, computed for
    /// this run alone (and dropped with it) past the budget.
    pub fn columns_for(
        &self,
        series: &[BarSeries],
        sleeves: &mut [Sleeve],
        risk: &RiskEngine,
    ) -> Vec<Option<Arc<IndicatorColumns>>> {
        declared_keys(series.len(), sleeves, risk)
            .iter()
            .zip(series)
            .enumerate()
            .map(|(symbol, (keys, bars))| {
                let columns: Vec<Arc<KeyColumn>> =
                    keys.iter().map(|key| self.column(symbol, key, bars)).collect();
                (!columns.is_empty()).then(|| Arc::new(IndicatorColumns::of(columns)))
            })
            .collect()
    }

    /// `key`'s column over `bars` (symbol `symbol`): shared, computed once,
    /// or computed afresh when it does not fit the budget.
    fn column(&self, symbol: usize, key: &IndicatorKey, bars: &BarSeries) -> Arc<KeyColumn> {
        let pending = {
            let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let id = (symbol, *key);
            match state.columns.get(&id) {
                Some(pending) => Arc::clone(pending),
                None => {
                    let bytes = KeyColumn::bytes_for(key, bars.len());
                    if state.declined.contains(&id) || state.used + bytes > self.budget {
                        state.declined.insert(id);
                        drop(state);
                        return Arc::new(KeyColumn::compute(key, bars));
                    }
                    state.used += bytes;
                    let pending = Pending::default();
                    state.columns.insert(id, Arc::clone(&pending));
                    pending
                }
            }
        };
        // Computed outside the lock: other keys go on meanwhile; readers of this one wait.
        Arc::clone(pending.get_or_init(|| Arc::new(KeyColumn::compute(key, bars))))
    }
}
