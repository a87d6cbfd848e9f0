//! `ml select-eval`: every built-in strategy run alone on the same bars,
//! their equity cut into periods, regime features (volatility, trend,
//! correlation) at each period's start, and the selector evaluated
//! walk-forward against its baselines ([`gt_ml::selection`]).

use crate::spec::{ExecutionSpec, RunSpec, StrategyEntry};
use crate::{RunError, prepare};
use chrono::Datelike;
use gt_ml::selection::{
    REGIME_FEATURES, REGIME_WINDOW, SelectionInput, SelectionReport, Selector, evaluate, regime_row,
};
use gt_model::{BarSeries, Timestamp};
use gt_strategy::registry;
use serde::Serialize;

/// Bars the regime features read before the first period can start.
const FEATURE_WARMUP: usize = 60;

/// How the bars are cut into periods.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Periods {
    /// A period per calendar month (the first bar of each month starts one).
    Monthly,
    /// A period per this many bars.
    Bars(usize),
}

/// What `ml select-eval` evaluates.
#[derive(Clone, Debug, PartialEq)]
pub struct SelectEval {
    /// How the bars are cut.
    pub periods: Periods,
    /// Test blocks of the walk-forward.
    pub folds: usize,
    /// Bars between a training period's end and a test block.
    pub embargo: usize,
    /// The strategies' commission, and the cost of moving weight between them.
    pub commission: f64,
}

/// The evaluation with what it was made of.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SelectionOutcome {
    /// The strategies weighted, in weight order.
    pub strategies: Vec<&'static str>,
    /// The regime features, in column order.
    pub features: Vec<&'static str>,
    /// Periods in all.
    pub periods: usize,
    /// First bar time of the first test period.
    pub test_start: String,
    /// The scores.
    #[serde(flatten)]
    pub report: SelectionReport,
    /// The weights, in strategy order, that the selector fitted on every
    /// period sets for the period that starts at the last bar's boundary:
    /// what it would allocate next.
    pub next_weights: Vec<f64>,
    /// The first bar of that next period.
    pub next_start: String,
    /// The selector fitted on every period (what `--register` stores).
    #[serde(skip)]
    pub selector: Selector,
}

/// Runs each built-in strategy with its defaults on `series` (net of the
/// commission), cuts the run into periods after every warm-up, and
/// evaluates the selector on them.
pub fn select_eval(series: Vec<BarSeries>, eval: &SelectEval) -> Result<SelectionOutcome, RunError> {
    let mut curves = Vec::new();
    let mut timeline = Vec::new();
    let mut warmup = FEATURE_WARMUP;
    for spec in registry::STRATEGIES {
        let run = RunSpec {
            execution: ExecutionSpec { commission: Some(eval.commission), ..ExecutionSpec::default() },
            strategies: vec![StrategyEntry { strategy: spec.name.to_owned(), ..StrategyEntry::default() }],
            ..RunSpec::default()
        };
        let result = prepare(&run, series.clone())?.run();
        warmup = warmup.max(result.warmup_bars);
        timeline = result.timeline;
        curves.push(result.equity);
    }
    let steps = timeline.len();
    if curves.iter().any(|c| c.len() != steps) {
        return Err(RunError::invalid("the strategies' runs cover different bars".to_owned()));
    }
    let bounds = boundaries(&timeline, warmup, eval.periods);
    if bounds.len() < eval.folds + 3 {
        return Err(RunError::invalid(format!(
            "{} bars make {} periods after a warm-up of {warmup} bars: too few for {} folds (use shorter periods or more bars)",
            steps,
            bounds.len().saturating_sub(1),
            eval.folds
        )));
    }
    let width = REGIME_FEATURES.len();
    let mut features = regime_features(&series, &timeline, &bounds);
    let next_row = features.split_off(features.len() - width);
    let returns: Vec<Vec<f64>> =
        curves.iter().map(|c| bounds.windows(2).map(|w| c[w[1]] / c[w[0]] - 1.0).collect()).collect();
    let (starts, ends): (Vec<usize>, Vec<usize>) = bounds.windows(2).map(|w| (w[0], w[1])).unzip();
    let years = (timeline[steps - 1].days_since(timeline[bounds[0]]) / 365.25).max(1e-9);
    let input = SelectionInput {
        features: &features,
        width,
        returns: &returns,
        starts: &starts,
        ends: &ends,
        folds: eval.folds,
        embargo: eval.embargo,
        cost: eval.commission,
        periods_per_year: starts.len() as f64 / years,
    };
    let report = evaluate(&input).map_err(|e| RunError::invalid(format!("ml select-eval: {e}")))?;
    let selector =
        Selector::fit_all(&input).map_err(|e| RunError::invalid(format!("ml select-eval: {e}")))?;
    let first_test = starts.len() - report.test_periods;
    Ok(SelectionOutcome {
        strategies: registry::STRATEGIES.iter().map(|s| s.name).collect(),
        features: REGIME_FEATURES.to_vec(),
        periods: starts.len(),
        test_start: timeline[starts[first_test]].to_utc().to_rfc3339(),
        report,
        next_weights: selector.weights(&next_row),
        next_start: timeline[bounds[bounds.len() - 1]].to_utc().to_rfc3339(),
        selector,
    })
}

/// The steps where periods start (the last one only ends the one before).
fn boundaries(timeline: &[Timestamp], warmup: usize, periods: Periods) -> Vec<usize> {
    let first = warmup.min(timeline.len());
    match periods {
        Periods::Bars(n) => (first..timeline.len()).step_by(n.max(1)).collect(),
        Periods::Monthly => {
            let month = |i: usize| {
                let t = timeline[i].to_utc();
                (t.year(), t.month())
            };
            (first..timeline.len()).filter(|&i| i == first || month(i) != month(i - 1)).collect()
        }
    }
}

/// The regime features at each step of `at`, one row after another: each
/// from the symbols' forward-filled closes over the [`REGIME_WINDOW`] steps
/// up to it, as the engine's `ml` allocation sees them at a rebalance.
pub(crate) fn regime_features(series: &[BarSeries], timeline: &[Timestamp], at: &[usize]) -> Vec<f64> {
    let closes: Vec<Vec<f64>> = series.iter().map(|s| forward_filled(s, timeline)).collect();
    at.iter()
        .flat_map(|&step| {
            let from = (step + 1).saturating_sub(REGIME_WINDOW);
            regime_row(&closes.iter().map(|c| c[from..=step].to_vec()).collect::<Vec<_>>())
        })
        .collect()
}

/// `series`' close at each step of `timeline`: its last bar's at or before
/// the step, NaN before its first.
pub fn forward_filled(series: &BarSeries, timeline: &[Timestamp]) -> Vec<f64> {
    let (times, closes) = (series.timestamps(), series.closes());
    let mut next = 0;
    let mut last = f64::NAN;
    timeline
        .iter()
        .map(|ts| {
            while times.get(next).is_some_and(|t| t <= ts) {
                last = closes[next];
                next += 1;
            }
            last
        })
        .collect()
}
