//! What a sweep ranks its trials by: any numeric statistic of the report,
//! maximised or minimised, with too few trades ranking last.

use crate::OptimizeError;
use gt_analytics::Stats;
use serde::{Deserialize, Serialize};

/// The statistic a sweep ranks by.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// A statistic's JSON key (`sharpe_ratio`, `sqn`, `return_pct`, …).
    pub key: String,
    /// Lower is better (`max_drawdown_pct` is negative: maximise it to keep drawdowns small).
    pub minimize: bool,
    /// Trials with fewer closed trades rank last, whatever their value.
    pub min_trades: usize,
}

impl Objective {
    /// Checks that `key` names a numeric statistic.
    pub fn new(key: &str, minimize: bool, min_trades: usize) -> Result<Self, OptimizeError> {
        let keys = Stats::keys();
        if !keys.contains(&key) {
            return Err(OptimizeError::Objective { key: key.to_owned(), valid: keys.join(", ") });
        }
        Ok(Self { key: key.to_owned(), minimize, min_trades })
    }

    /// The objective's value in `stats` (NaN when the statistic is undefined).
    pub fn value_of(&self, stats: &TrialStats) -> f64 {
        stats.get(&self.key)
    }

    /// A score where higher is better: the value, negated when minimising;
    /// −∞ for an undefined value or a trial with fewer than `min_trades` trades.
    pub fn score(&self, stats: &TrialStats) -> f64 {
        let value = self.value_of(stats);
        if value.is_nan() || stats.get("trades") < self.min_trades as f64 {
            f64::NEG_INFINITY
        } else if self.minimize {
            -value
        } else {
            value
        }
    }
}

/// A trial's statistics by key (what a study keeps of a run: no equity curve).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrialStats(Vec<(String, f64)>);

impl TrialStats {
    /// The numeric statistics of `stats`.
    pub fn of(stats: &Stats) -> Self {
        Self::from_numbers(stats.numbers())
    }

    /// Statistics given by key.
    pub fn from_numbers(numbers: Vec<(&'static str, f64)>) -> Self {
        Self(numbers.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// The statistic `key`, NaN when absent or undefined.
    pub fn get(&self, key: &str) -> f64 {
        self.0.iter().find(|(k, _)| k == key).map_or(f64::NAN, |(_, v)| *v)
    }

    /// Every statistic with its key, in report order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

impl Serialize for TrialStats {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            if key == "trades" {
                // A count, written as the report writes it.
                map.serialize_entry(key, &(*value as u64))?;
            } else {
                map.serialize_entry(key, &value.is_finite().then_some(*value))?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for TrialStats {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map: serde_json::Map<String, serde_json::Value> = Deserialize::deserialize(deserializer)?;
        let keys = Stats::keys();
        let mut values: Vec<(String, f64)> =
            map.into_iter().map(|(k, v)| (k, v.as_f64().unwrap_or(f64::NAN))).collect();
        // Report order, whatever order the store kept.
        values.sort_by_key(|(k, _)| keys.iter().position(|known| known == k).unwrap_or(usize::MAX));
        Ok(Self(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(pairs: &[(&str, f64)]) -> TrialStats {
        TrialStats(pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect())
    }

    #[test]
    fn too_few_trades_and_undefined_values_rank_last() {
        let objective = Objective::new("sharpe_ratio", false, 3).unwrap();
        assert_eq!(objective.score(&stats(&[("sharpe_ratio", 1.5), ("trades", 3.0)])), 1.5);
        assert_eq!(objective.score(&stats(&[("sharpe_ratio", 9.0), ("trades", 2.0)])), f64::NEG_INFINITY);
        assert_eq!(
            objective.score(&stats(&[("sharpe_ratio", f64::NAN), ("trades", 9.0)])),
            f64::NEG_INFINITY
        );
        let minimize = Objective::new("volatility_ann_pct", true, 0).unwrap();
        assert_eq!(minimize.score(&stats(&[("volatility_ann_pct", 12.0), ("trades", 0.0)])), -12.0);
    }

    #[test]
    fn an_unknown_objective_lists_the_statistics() {
        let message = Objective::new("sharpe", false, 0).unwrap_err().to_string();
        assert!(
            message.contains("\"sharpe\" is not a statistic")
                && message.contains("sharpe_ratio, sortino_ratio")
        );
    }

    #[test]
    fn statistics_round_trip_with_undefined_values_as_null() {
        let original = stats(&[("return_pct", 12.5), ("sharpe_ratio", f64::NAN), ("trades", 4.0)]);
        let json = serde_json::to_string(&original).unwrap();
        assert_eq!(json, r#"{"return_pct":12.5,"sharpe_ratio":null,"trades":4}"#);
        let back: TrialStats = serde_json::from_str(&json).unwrap();
        assert_eq!(back.get("return_pct"), 12.5);
        assert!(back.get("sharpe_ratio").is_nan());
        assert_eq!(back.iter().map(|(k, _)| k).collect::<Vec<_>>(), ["return_pct", "sharpe_ratio", "trades"]);
    }
}
