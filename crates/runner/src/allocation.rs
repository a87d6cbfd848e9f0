//! Strategy sleeves from a spec's `[[strategies]]` and `[allocation]`.

use crate::RunError;
use crate::selector::{LoadedSelector, SelectorWeights, load_selector};
use crate::spec::{AllocationSpec, StrategyEntry};
use crate::strategy_source::StrategySource;
use gt_engine::{AllocationPlan, Schedule, SharedWeightModel, Sleeve, WeightMethod};
use gt_model::{BarSeries, StrategyId};
use gt_risk::allocation;
use std::sync::Arc;

/// How `[allocation]` weighs the sleeves (named `names`, running
/// `strategies`): their starting weights and the plan for the run.
fn plan(
    allocation: &AllocationSpec,
    names: &[&str],
    strategies: &[&str],
) -> Result<(Vec<f64>, AllocationPlan), RunError> {
    let method = match allocation.method.as_deref().unwrap_or("equal") {
        "equal" => return Ok((allocation::equal(names.len())?, AllocationPlan::Static)),
        "fixed" => return Ok((fixed_weights(allocation, names)?, AllocationPlan::Static)),
        "ml" => return Ok((allocation::equal(names.len())?, selector_plan(allocation, strategies)?)),
        "inverse_vol" => WeightMethod::InverseVolatility,
        "risk_parity" => WeightMethod::RiskParity,
        "mean_variance" => WeightMethod::MeanVariance {
            risk_aversion: allocation.risk_aversion.unwrap_or(3.0),
            max_weight: allocation.max_weight.unwrap_or(1.0),
        },
        other => {
            return Err(RunError::invalid(format!(
                "allocation.method = {other:?}: use equal, fixed, inverse_vol, risk_parity, mean_variance or ml"
            )));
        }
    };
    let schedule = match allocation.rebalance.as_deref().unwrap_or("monthly") {
        "monthly" => Schedule::Monthly,
        "weekly" => Schedule::Weekly,
        other => {
            return Err(RunError::invalid(format!(
                "allocation.rebalance = {other:?}: use monthly or weekly"
            )));
        }
    };
    let lookback = allocation.lookback.unwrap_or(60.0);
    if !(lookback >= 2.0 && lookback.fract() == 0.0) {
        return Err(RunError::invalid(format!(
            "allocation.lookback = {lookback} must be a whole number of bars >= 2"
        )));
    }
    // Equal weights until the first estimate.
    Ok((
        allocation::equal(names.len())?,
        AllocationPlan::Dynamic { method, schedule, lookback: lookback as usize },
    ))
}

/// The `ml` plan: the registered selector `allocation.model`, which must be
/// `live` (promoted after shadowing), weighs the sleeves each month; equal
/// weights until its first rebalance.
fn selector_plan(allocation: &AllocationSpec, strategies: &[&str]) -> Result<AllocationPlan, RunError> {
    let id = allocation.model.as_deref().ok_or_else(|| {
        RunError::invalid(
            "allocation.method = \"ml\" needs allocation.model, a strategy selector's id".to_owned(),
        )
    })?;
    let loaded = load_selector(id)?;
    if loaded.status != "live" {
        return Err(RunError::invalid(format!(
            "allocation.model: selector {id} is {status}; a selector allocates only when live, after it \
             has shadowed runs (`backtest --shadow {id}`, then `gpt-trader ml promote {id} --to live`)",
            id = loaded.id,
            status = loaded.status
        )));
    }
    let model = SelectorWeights::new(&loaded, strategies)?;
    Ok(AllocationPlan::Model { model: SharedWeightModel(Arc::new(model)), schedule: Schedule::Monthly })
}

/// Sleeves for `entries` over `series` that `loaded` weighs each month
/// whatever its status (a shadow selector's own book): equal weights until
/// its first rebalance.
pub(crate) fn selector_sleeves(
    entries: &[StrategyEntry],
    loaded: &LoadedSelector,
    series: &[BarSeries],
) -> Result<(Vec<Sleeve>, AllocationPlan), RunError> {
    let (sleeves, _) = self::sleeves(entries, &AllocationSpec::default(), series)?;
    let strategies: Vec<&str> = entries.iter().map(|e| e.strategy.as_str()).collect();
    let model = SelectorWeights::new(loaded, &strategies)?;
    Ok((
        sleeves,
        AllocationPlan::Model { model: SharedWeightModel(Arc::new(model)), schedule: Schedule::Monthly },
    ))
}

fn fixed_weights(allocation: &AllocationSpec, names: &[&str]) -> Result<Vec<f64>, RunError> {
    let unknown: Vec<&String> = allocation.weights.keys().filter(|k| !names.contains(&k.as_str())).collect();
    if !unknown.is_empty() {
        return Err(RunError::invalid(format!(
            "allocation.weights names {unknown:?}, which are not strategies of this run ({})",
            names.join(", ")
        )));
    }
    let weights: Vec<f64> =
        names
            .iter()
            .map(|name| {
                allocation.weights.get(*name).copied().ok_or_else(|| {
                    RunError::invalid(format!("allocation.weights has no weight for '{name}'"))
                })
            })
            .collect::<Result<_, _>>()?;
    Ok(allocation::fixed(&weights)?)
}

/// Builds one sleeve per entry, weighted by `allocation`, over `series`,
/// and the allocation plan for the run.
pub fn sleeves(
    entries: &[StrategyEntry],
    allocation: &AllocationSpec,
    series: &[BarSeries],
) -> Result<(Vec<Sleeve>, AllocationPlan), RunError> {
    let names: Vec<&str> = entries.iter().map(StrategyEntry::sleeve_name).collect();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(RunError::invalid(format!(
                "two [[strategies]] are named '{name}'; give each a distinct name"
            )));
        }
    }
    let strategies: Vec<&str> = entries.iter().map(|e| e.strategy.as_str()).collect();
    let (weights, plan) = plan(allocation, &names, &strategies)?;
    let available: Vec<&str> = series.iter().map(|s| s.symbol().as_str()).collect();
    let sleeves = entries
        .iter()
        .zip(names.iter().zip(weights))
        .map(|(entry, (name, weight))| {
            let source = StrategySource::resolve(&entry.strategy, &entry.params)?;
            let symbols: Vec<usize> = if entry.symbols.is_empty() {
                (0..series.len()).collect()
            } else {
                entry
                    .symbols
                    .iter()
                    .map(|wanted| {
                        available.iter().position(|s| s.eq_ignore_ascii_case(wanted)).ok_or_else(|| {
                            RunError::invalid(format!(
                                "strategy '{name}': symbol {wanted} is not in the data ({})",
                                available.join(", ")
                            ))
                        })
                    })
                    .collect::<Result<_, _>>()?
            };
            let members =
                symbols.into_iter().map(|i| source.build().map(|s| (i, s))).collect::<Result<_, _>>()?;
            Ok(Sleeve { name: StrategyId::new(name), weight, members })
        })
        .collect::<Result<Vec<_>, RunError>>()?;
    Ok((sleeves, plan))
}
