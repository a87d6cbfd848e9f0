//! The ML strategy selector as an allocator: registered from `ml
//! select-eval --register`, read back for `[allocation] method = "ml"`, and
//! run by the engine as a [`WeightModel`] that weighs the sleeves at every
//! monthly rebalance from the regime features of the symbols' closes.

use crate::RunError;
use crate::selection::{Periods, SelectEval, SelectionOutcome};
use crate::strategy_source::find_model;
use gt_engine::WeightModel;
use gt_ml::selection::{REGIME_FEATURES, REGIME_WINDOW, Selector, regime_row};
use gt_model::BarSeries;
use gt_risk::allocation::AllocationError;
use gt_store::NewModel;
use serde_json::json;

/// The registry's kind for a strategy selector.
pub const SELECTOR_KIND: &str = "selector";

/// The registry record of the selector `outcome` fitted on every period of
/// `series` (monthly periods only: the engine rebalances on calendar months).
pub fn selector_model(
    series: &[BarSeries],
    outcome: &SelectionOutcome,
    eval: &SelectEval,
) -> Result<NewModel, RunError> {
    if eval.periods != Periods::Monthly {
        return Err(RunError::invalid(
            "--register needs --period month: an allocation rebalances on calendar months".to_owned(),
        ));
    }
    let model = serde_json::to_string(&outcome.selector)
        .map_err(|e| RunError::invalid(format!("the selector does not serialise: {e}")))?;
    let definition = json!({
        "strategies": outcome.strategies,
        "features": outcome.features,
        "window": REGIME_WINDOW,
        "period": "month",
        "periods": outcome.periods,
        "folds": eval.folds,
        "embargo": eval.embargo,
        "commission": eval.commission,
        "next_start": outcome.next_start,
    });
    let mut record = NewModel {
        id: String::new(),
        kind: SELECTOR_KIND.to_owned(),
        feature_set: "regime".to_owned(),
        schema_hash: REGIME_FEATURES.join(","),
        label: "best_strategy:month".to_owned(),
        data_fingerprint: crate::records::fingerprint(series),
        definition,
        metrics: serde_json::to_value(&outcome.report)
            .map_err(|e| RunError::invalid(format!("the scores do not serialise: {e}")))?,
        model,
    };
    record.id = crate::records::model_id(&record);
    Ok(record)
}

/// A selector read from the registry.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedSelector {
    /// Its full id.
    pub id: String,
    /// Its status when it was read.
    pub status: String,
    /// The strategies it weighs, in its weight order.
    pub strategies: Vec<String>,
    /// The fitted selector.
    pub selector: Selector,
}

/// The selector `id` (or the one whose id starts with it) from the registry;
/// refused when it is retired or is not a selector.
pub fn load_selector(id: &str) -> Result<LoadedSelector, RunError> {
    let record = find_model(id, "allocation.model")?;
    let full = &record.model.id;
    if record.model.kind != SELECTOR_KIND {
        return Err(RunError::invalid(format!(
            "allocation.model: model {full} is a {} model, not a strategy selector (`gpt-trader ml select-eval --register` makes one)",
            record.model.kind
        )));
    }
    let invalid = |what: String| RunError::invalid(format!("allocation.model: selector {full}: {what}"));
    let selector: Selector =
        serde_json::from_str(&record.model.model).map_err(|e| invalid(format!("unreadable ({e})")))?;
    let strategies: Vec<String> = serde_json::from_value(record.model.definition["strategies"].clone())
        .map_err(|e| invalid(format!("no strategy list ({e})")))?;
    if strategies.len() != selector.strategies() || selector.width != REGIME_FEATURES.len() {
        return Err(invalid(format!(
            "weighs {} strategies on {} features; its record names {} on {}",
            selector.strategies(),
            selector.width,
            strategies.len(),
            REGIME_FEATURES.len()
        )));
    }
    Ok(LoadedSelector { id: full.clone(), status: record.status, strategies, selector })
}

/// A selector weighing a run's sleeves: each sleeve takes its strategy's
/// weight, renormalised over the sleeves.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectorWeights {
    selector: Selector,
    /// Per sleeve, its strategy's column in the selector's weights.
    columns: Vec<usize>,
}

impl SelectorWeights {
    /// Weighs sleeves running `strategies` (one per sleeve); each must be one
    /// the selector was fitted on.
    pub fn new(loaded: &LoadedSelector, strategies: &[&str]) -> Result<Self, RunError> {
        let columns = strategies
            .iter()
            .map(|name| {
                loaded.strategies.iter().position(|s| s == name).ok_or_else(|| {
                    RunError::invalid(format!(
                        "allocation.model: selector {} weighs {}, not {name}",
                        loaded.id,
                        loaded.strategies.join(", ")
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { selector: loaded.selector.clone(), columns })
    }
}

impl WeightModel for SelectorWeights {
    fn window(&self) -> usize {
        REGIME_WINDOW
    }

    fn weights(&self, closes: &[Vec<f64>]) -> Result<Vec<f64>, AllocationError> {
        let all = self.selector.weights(&regime_row(closes));
        let picked: Vec<f64> = self.columns.iter().map(|&c| all[c]).collect();
        let total: f64 = picked.iter().sum();
        if !(total.is_finite() && total > 0.0) {
            return Err(AllocationError::Invalid(format!(
                "the selector gave the sleeves weights {picked:?}"
            )));
        }
        Ok(picked.iter().map(|w| w / total).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prepare;
    use crate::selection::{regime_features, select_eval};
    use crate::spec::{RunSpec, StrategyEntry};
    use gt_engine::{AllocationPlan, Schedule, SharedWeightModel};
    use std::sync::Arc;

    /// The selector `ml select-eval` fits on the bundled stocks, as the registry would give it back.
    fn fitted(series: &[BarSeries]) -> LoadedSelector {
        let eval = SelectEval { periods: Periods::Monthly, folds: 4, embargo: 0, commission: 0.001 };
        let outcome = select_eval(series.to_vec(), &eval).unwrap();
        let text = serde_json::to_string(&outcome.selector).unwrap();
        LoadedSelector {
            id: "test".to_owned(),
            status: "live".to_owned(),
            strategies: outcome.strategies.iter().map(|s| (*s).to_owned()).collect(),
            selector: serde_json::from_str(&text).unwrap(),
        }
    }

    /// A backtest of `strategies` (one sleeve each) weighed by `loaded`.
    fn backtest(
        series: &[BarSeries],
        loaded: &LoadedSelector,
        strategies: &[&str],
    ) -> gt_engine::BacktestResult {
        let spec = RunSpec {
            strategies: strategies
                .iter()
                .map(|s| StrategyEntry { strategy: (*s).to_owned(), ..StrategyEntry::default() })
                .collect(),
            ..RunSpec::default()
        };
        let mut prepared = prepare(&spec, series.to_vec()).unwrap();
        let model = SelectorWeights::new(loaded, strategies).unwrap();
        prepared.config.allocation =
            AllocationPlan::Model { model: SharedWeightModel(Arc::new(model)), schedule: Schedule::Monthly };
        prepared.run()
    }

    #[test]
    fn each_monthly_rebalance_sets_the_weights_the_selector_gives_the_training_features_of_that_bar() {
        let series = gt_data::universe::load("sample").unwrap();
        let loaded = fitted(&series);
        let names: Vec<&str> = loaded.strategies.iter().map(String::as_str).collect();
        let result = backtest(&series, &loaded, &names);
        let months = |i: usize| {
            use chrono::Datelike;
            let t = result.timeline[i].to_utc();
            (t.year(), t.month())
        };
        let expected_steps: Vec<usize> = (REGIME_WINDOW - 1..result.timeline.len())
            .filter(|&i| i == REGIME_WINDOW - 1 || months(i) != months(i - 1))
            .collect();
        let steps: Vec<usize> = result.rebalances.iter().map(|r| r.bar_index).collect();
        assert_eq!(
            steps, expected_steps,
            "a rebalance at the first full window, then on each month's first bar"
        );
        let mut distinct = Vec::<Vec<f64>>::new();
        for rebalance in &result.rebalances {
            assert_eq!(rebalance.error, None);
            let row = regime_features(&series, &result.timeline, &[rebalance.bar_index]);
            let expected = loaded.selector.weights(&row);
            for (got, want) in rebalance.weights.iter().zip(&expected) {
                assert!(
                    (got - want).abs() < 1e-12,
                    "step {}: {:?} vs {expected:?}",
                    rebalance.bar_index,
                    rebalance.weights
                );
            }
            if !distinct.iter().any(|d| d == &rebalance.weights) {
                distinct.push(rebalance.weights.clone());
            }
        }
        assert!(distinct.len() > 100, "the weights follow the regime: {} distinct sets", distinct.len());
    }

    #[test]
    fn a_subset_of_the_strategies_shares_their_weights_and_an_unknown_one_is_refused() {
        let series = gt_data::universe::load("sample").unwrap();
        let loaded = fitted(&series);
        let result = backtest(&series, &loaded, &["momentum", "demo_ma"]);
        let first = &result.rebalances[0];
        let row = regime_features(&series, &result.timeline, &[first.bar_index]);
        let all = loaded.selector.weights(&row);
        let (momentum, demo_ma) = (all[3], all[0]);
        let expected = [momentum / (momentum + demo_ma), demo_ma / (momentum + demo_ma)];
        assert!(
            (first.weights[0] - expected[0]).abs() < 1e-12 && (first.weights[1] - expected[1]).abs() < 1e-12
        );
        let error = SelectorWeights::new(&loaded, &["ml_signal"]).unwrap_err().to_string();
        assert!(
            error.contains("weighs demo_ma, trend_breakout") && error.contains("not ml_signal"),
            "{error}"
        );
    }
}
