//! Re-weighting strategy sleeves on a schedule, from trailing returns or
//! from a model of the market's recent closes.

use crate::Sleeve;
use gt_model::Timestamp;
use gt_risk::allocation::{self, AllocationError};
use std::fmt;
use std::sync::Arc;

/// How sleeve weights are chosen during a run.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum AllocationPlan {
    /// The weights the sleeves were built with, for the whole run.
    #[default]
    Static,
    /// Re-weighted on `schedule` from the last `lookback` returns of each
    /// sleeve's symbols (an equal-weight basket per sleeve), by `method`.
    Dynamic {
        /// How weights follow from the returns.
        method: WeightMethod,
        /// When to re-weight.
        schedule: Schedule,
        /// Returns used for the estimates.
        lookback: usize,
    },
    /// Re-weighted on `schedule` by a model of every symbol's recent closes
    /// (the ML strategy selector).
    Model {
        /// The model.
        model: SharedWeightModel,
        /// When to re-weight.
        schedule: Schedule,
    },
}

/// A model that sets the sleeves' weights from the market's recent closes.
pub trait WeightModel: Send + Sync {
    /// Steps of closes it reads, ending at the rebalance step; it is first
    /// asked once that many steps have passed.
    fn window(&self) -> usize;

    /// The sleeves' weights, in sleeve order, from each symbol's closes over
    /// the last [`WeightModel::window`] steps (`closes[i]` for the run's
    /// symbol `i`, oldest first; forward-filled over steps where the symbol
    /// has no bar, NaN before its first).
    fn weights(&self, closes: &[Vec<f64>]) -> Result<Vec<f64>, AllocationError>;
}

/// A [`WeightModel`] shared between runs; two are equal when they are the same model.
#[derive(Clone)]
pub struct SharedWeightModel(pub Arc<dyn WeightModel>);

impl fmt::Debug for SharedWeightModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WeightModel(window {})", self.0.window())
    }
}

impl PartialEq for SharedWeightModel {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Weighting methods that need return estimates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WeightMethod {
    /// Proportional to 1 / volatility.
    InverseVolatility,
    /// Equal risk contributions.
    RiskParity,
    /// Long-only mean-variance with a weight cap.
    MeanVariance {
        /// Risk aversion λ.
        risk_aversion: f64,
        /// Largest weight of one sleeve.
        max_weight: f64,
    },
}

/// When weights are recomputed: at the first step of each new period (UTC calendar).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    /// Weeks starting on Monday.
    Weekly,
    /// Calendar months.
    Monthly,
}

impl Schedule {
    fn period(self, ts: Timestamp) -> i64 {
        match self {
            // 1970-01-01 was a Thursday; +3 starts weeks on Monday.
            Schedule::Weekly => (ts.epoch_day() + 3).div_euclid(7),
            Schedule::Monthly => {
                use chrono::Datelike;
                let date = ts.to_utc();
                i64::from(date.year()) * 12 + i64::from(date.month0())
            }
        }
    }
}

/// Trailing closes per symbol and the period last re-weighted in.
pub(crate) struct Rebalancer {
    plan: AllocationPlan,
    /// Per symbol: its bars' closes (dynamic methods), or its close at
    /// each step, forward-filled (a model).
    closes: Vec<Vec<f64>>,
    /// Each symbol's latest close (a model), NaN before its first bar.
    latest: Vec<f64>,
    last_period: Option<i64>,
}

impl Rebalancer {
    pub(crate) fn new(plan: AllocationPlan, symbols: usize) -> Self {
        Self { plan, closes: vec![Vec::new(); symbols], latest: vec![f64::NAN; symbols], last_period: None }
    }

    /// Records a symbol's close (kept only as far back as the plan looks).
    #[inline]
    pub(crate) fn observe(&mut self, symbol: usize, close: f64) {
        match &self.plan {
            AllocationPlan::Static => {}
            AllocationPlan::Dynamic { lookback, .. } => {
                let history = &mut self.closes[symbol];
                if history.len() > *lookback {
                    history.remove(0);
                }
                history.push(close);
            }
            AllocationPlan::Model { .. } => self.latest[symbol] = close,
        }
    }

    /// New sleeve weights if the schedule fires at `ts` and every sleeve has
    /// a full window of returns; `None` otherwise.
    #[inline]
    pub(crate) fn weights_due(
        &mut self,
        ts: Timestamp,
        sleeves: &[Sleeve],
    ) -> Option<Result<Vec<f64>, AllocationError>> {
        // Static weights (almost every run) never rebalance: no call per bar.
        match self.plan {
            AllocationPlan::Static => None,
            AllocationPlan::Dynamic { .. } => self.dynamic_weights_due(ts, sleeves),
            AllocationPlan::Model { .. } => self.model_weights_due(ts),
        }
    }

    /// Adds the step's closes to the model's window; the model's weights if
    /// the schedule fires and the window is full.
    fn model_weights_due(&mut self, ts: Timestamp) -> Option<Result<Vec<f64>, AllocationError>> {
        let AllocationPlan::Model { model, schedule } = &self.plan else { return None };
        let window = model.0.window();
        for (history, &close) in self.closes.iter_mut().zip(&self.latest) {
            if history.len() >= window {
                history.remove(0);
            }
            history.push(close);
        }
        let period = schedule.period(ts);
        if self.last_period == Some(period) || self.closes.first().is_some_and(|c| c.len() < window) {
            return None;
        }
        self.last_period = Some(period);
        Some(model.0.weights(&self.closes))
    }

    fn dynamic_weights_due(
        &mut self,
        ts: Timestamp,
        sleeves: &[Sleeve],
    ) -> Option<Result<Vec<f64>, AllocationError>> {
        let AllocationPlan::Dynamic { method, schedule, lookback } = &self.plan else { return None };
        let (method, schedule, lookback) = (*method, *schedule, *lookback);
        let period = schedule.period(ts);
        if self.last_period == Some(period) {
            return None;
        }
        let returns: Vec<Vec<f64>> =
            sleeves.iter().map(|s| self.basket_returns(s, lookback)).collect::<Option<_>>()?;
        self.last_period = Some(period);
        Some(weights(method, &returns))
    }

    /// The last `lookback` one-step returns of an equal-weight basket of the sleeve's symbols.
    fn basket_returns(&self, sleeve: &Sleeve, lookback: usize) -> Option<Vec<f64>> {
        let mut basket = vec![0.0; lookback];
        for (symbol, _) in &sleeve.members {
            let closes = &self.closes[*symbol];
            if closes.len() < lookback + 1 {
                return None;
            }
            for (slot, pair) in basket.iter_mut().zip(closes.windows(2)) {
                *slot += (pair[1] / pair[0] - 1.0) / sleeve.members.len() as f64;
            }
        }
        Some(basket)
    }
}

/// Weights from per-sleeve return series by `method`.
fn weights(method: WeightMethod, returns: &[Vec<f64>]) -> Result<Vec<f64>, AllocationError> {
    let n = returns.len();
    let mean = |r: &[f64]| r.iter().sum::<f64>() / r.len() as f64;
    let covariance: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    let (mi, mj) = (mean(&returns[i]), mean(&returns[j]));
                    let products = returns[i].iter().zip(&returns[j]).map(|(a, b)| (a - mi) * (b - mj));
                    products.sum::<f64>() / (returns[i].len() as f64 - 1.0)
                })
                .collect()
        })
        .collect();
    match method {
        WeightMethod::InverseVolatility => {
            allocation::inverse_volatility(&(0..n).map(|i| covariance[i][i].sqrt()).collect::<Vec<_>>())
        }
        WeightMethod::RiskParity => allocation::risk_parity(&covariance),
        WeightMethod::MeanVariance { risk_aversion, max_weight } => {
            let expected: Vec<f64> = returns.iter().map(|r| mean(r)).collect();
            allocation::mean_variance(&expected, &covariance, risk_aversion, max_weight)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_volatility_from_alternating_returns() {
        // ±1 % and ±2 % alternating: volatilities 1 : 2, so weights 2/3 and 1/3.
        let a: Vec<f64> = (0..20).map(|i| if i % 2 == 0 { 0.01 } else { -0.01 }).collect();
        let b: Vec<f64> = a.iter().map(|r| 2.0 * r).collect();
        let w = weights(WeightMethod::InverseVolatility, &[a, b]).unwrap();
        assert!((w[0] - 2.0 / 3.0).abs() < 1e-12 && (w[1] - 1.0 / 3.0).abs() < 1e-12, "{w:?}");
    }

    #[test]
    fn schedules_fire_once_per_period() {
        let day = |d: i64| Timestamp::from_nanos(d * 86_400_000_000_000);
        // 2000-01-31 (Monday) and 2000-02-01 (Tuesday): same week, different months.
        assert_eq!(Schedule::Weekly.period(day(10_987)), Schedule::Weekly.period(day(10_988)));
        assert_ne!(Schedule::Monthly.period(day(10_987)), Schedule::Monthly.period(day(10_988)));
    }
}
