//! A stored study as people read it: its definition, its trials ranked by
//! its objective, and its best run, from the store's records alone.

use crate::objective::{Objective, TrialStats};
use gt_store::{StudyRecord, TrialRecord};
use serde::Serialize;

/// One stored trial, with what it is ranked by.
#[derive(Clone, Debug, Serialize)]
pub struct StoredTrial {
    /// Its index in the study.
    pub index: i64,
    /// Its parameters.
    pub params: serde_json::Value,
    /// The objective's value (null when undefined).
    pub value: Option<f64>,
    /// Its statistics.
    pub stats: TrialStats,
    #[serde(skip)]
    score: f64,
}

/// A study read back from the store.
#[derive(Clone, Debug, Serialize)]
pub struct StudyView {
    /// Its name.
    pub name: String,
    /// The strategy swept.
    pub strategy: String,
    /// `grid`, `random` or `tpe`.
    pub method: String,
    /// What its trials are ranked by.
    pub objective: Objective,
    /// When it was created and last written, ms since the epoch.
    pub created_at_ms: i64,
    /// When a trial was last written, ms since the epoch.
    pub updated_at_ms: i64,
    /// Trials it holds.
    pub trials_count: i64,
    /// The saved run of its best trial, if one was saved.
    pub best_run_id: Option<String>,
    /// What defines it, as stored.
    pub definition: serde_json::Value,
    /// Its trials, best first (those read).
    pub trials: Vec<StoredTrial>,
}

impl StudyView {
    /// The study of `record` with `trials` (any number of its trials; none for a list).
    pub fn new(record: StudyRecord, trials: Vec<TrialRecord>) -> Self {
        let text = |key: &str| record.definition[key].as_str().unwrap_or("?").to_owned();
        let objective: Objective = serde_json::from_value(record.definition["objective"].clone())
            .unwrap_or(Objective { key: "?".to_owned(), minimize: false, min_trades: 0 });
        let mut ranked: Vec<StoredTrial> = trials
            .into_iter()
            .map(|t| {
                let stats: TrialStats = serde_json::from_value(t.stats).unwrap_or_default();
                StoredTrial {
                    index: t.index,
                    params: t.params,
                    value: t.value,
                    score: objective.score(&stats),
                    stats,
                }
            })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        Self {
            strategy: text("strategy"),
            method: text("method"),
            objective,
            created_at_ms: record.created_at_ms,
            updated_at_ms: record.updated_at_ms,
            trials_count: record.trials,
            best_run_id: record.best_run_id,
            definition: record.definition,
            name: record.name,
            trials: ranked,
        }
    }

    /// The best trial, if any ran.
    pub fn best(&self) -> Option<&StoredTrial> {
        self.trials.first()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn trials_rank_by_the_stored_objective() {
        let record = StudyRecord {
            name: "s".into(),
            definition: json!({"strategy": "demo_ma", "method": "grid",
                "objective": {"key": "return_pct", "minimize": true, "min_trades": 2}}),
            created_at_ms: 1,
            updated_at_ms: 2,
            best_run_id: None,
            trials: 3,
            work: gt_store::StudyWork::default(),
        };
        let trial = |index: i64, value: f64, trades: f64| TrialRecord {
            index,
            params: json!({"fast": index}),
            value: Some(value),
            stats: json!({"return_pct": value, "trades": trades}),
            moments: json!({}),
        };
        let view = StudyView::new(record, vec![trial(0, 5.0, 4.0), trial(1, -3.0, 1.0), trial(2, 1.0, 9.0)]);
        // Minimised, and the trial with one trade ranks last.
        let order: Vec<i64> = view.trials.iter().map(|t| t.index).collect();
        assert_eq!(order, [2, 0, 1]);
        assert_eq!(
            (view.strategy.as_str(), view.method.as_str(), view.objective.key.as_str()),
            ("demo_ma", "grid", "return_pct")
        );
    }
}
