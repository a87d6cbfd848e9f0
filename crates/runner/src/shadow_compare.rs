//! `ml compare`: a run (a paper session, or a backtest) against each shadow
//! model that followed it, over the same bars: their statistics side by
//! side, the shadow's hit rate, calibration and prediction drift, and a
//! paired test of the difference in per-bar returns.

use crate::RunError;
use gt_analytics::{StatsInput, compute_stats};
use gt_ml::ab::{DifferenceTest, drift_level, paired_difference_test, population_stability};
use gt_ml::metrics::{CalibrationBin, calibration, spearman};
use gt_model::{TimeFormat, Timestamp};
use gt_store::{ShadowRow, Store};
use serde::Serialize;

/// Seed of the bootstrap: the same journal always gets the same answer.
const TEST_SEED: u64 = 42;

/// Bins of the calibration table.
const CALIBRATION_BINS: usize = 5;

/// Nanoseconds in a day.
const DAY_NS: f64 = 86_400e9;

/// What followed shadows: a paper session or a stored backtest.
#[derive(Clone, Debug, PartialEq)]
pub enum ShadowOwner {
    /// A paper session, by name.
    Session(String),
    /// A stored backtest, by run id.
    Run(String),
}

impl ShadowOwner {
    /// Its key in the shadow journal.
    pub fn key(&self) -> String {
        match self {
            Self::Session(name) => format!("session:{name}"),
            Self::Run(id) => format!("run:{id}"),
        }
    }
}

/// The statistics of one side, from its equity after each common bar.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SideStats {
    /// Total return, percent.
    pub return_pct: f64,
    /// Annualised Sharpe ratio (risk-free rate 0), backtesting.py's definition.
    pub sharpe_ratio: f64,
    /// Annualised Sortino ratio.
    pub sortino_ratio: f64,
    /// Deepest drawdown, percent (negative).
    pub max_drawdown_pct: f64,
    /// Annualised volatility, percent.
    pub volatility_ann_pct: f64,
    /// Equity after the last bar.
    pub equity_final: f64,
}

/// The drift of a shadow's predictions: their second half against their first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PredictionDrift {
    /// Population stability index.
    pub psi: f64,
    /// `none` (< 0.1), `moderate` (to 0.25) or `significant`.
    pub level: &'static str,
}

/// How a shadow's predictions scored against the next bar of their symbol.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PredictionScores {
    /// Bars it predicted on.
    pub predictions: usize,
    /// Share of predictions whose side (above or below 0.5) the next bar's
    /// move took; none without a prediction followed by a move.
    pub hit_rate: Option<f64>,
    /// Spearman correlation of the probability with the next bar's return.
    pub ic: Option<f64>,
    /// Predicted against observed rises.
    pub calibration: Vec<CalibrationBin>,
    /// Drift of its predictions over the journal.
    pub prediction_drift: Option<PredictionDrift>,
}

/// One shadow against the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShadowReport {
    /// The model.
    pub model_id: String,
    /// Its hypothetical book's statistics over the common bars.
    pub stats: SideStats,
    /// Trades its hypothetical book closed.
    pub trades: i64,
    /// How its predictions scored.
    #[serde(flatten)]
    pub predictions: PredictionScores,
    /// Its Sharpe ratio minus the run's.
    pub sharpe_difference: f64,
    /// The paired test of per-bar returns (shadow minus run); none when there is not enough data.
    pub difference: Option<DifferenceTest>,
    /// The test in words.
    pub verdict: String,
}

/// A run against each shadow that followed it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShadowComparison {
    /// `session:NAME` or `run:ID`.
    pub owner: String,
    /// Bars both sides have (time steps).
    pub bars: usize,
    /// Calendar days from the first common bar to the last, on the bars' clock.
    pub days: f64,
    /// The run's statistics over the common bars.
    pub live: SideStats,
    /// Each shadow, by model id.
    pub shadows: Vec<ShadowReport>,
    /// The test used.
    pub test: &'static str,
}

/// The description of the test, as reports state it.
pub const TEST_NAME: &str = "stationary block bootstrap (Politis & Romano 1994) of the mean per-bar return \
                             difference, mean block n^(1/3), 2000 resamples, two-sided";

/// Compares the run `owner` with the shadows in its journal.
pub async fn compare(store: &Store, owner: &ShadowOwner) -> Result<ShadowComparison, RunError> {
    let rows = store.shadow_rows(&owner.key()).await?;
    if rows.is_empty() {
        return Err(RunError::invalid(format!(
            "no shadow model followed {}: start one with --shadow MODEL",
            describe(owner)
        )));
    }
    let live = live_curve(store, owner, &rows).await?;
    let times: Vec<Timestamp> = live.iter().map(|(ts, _)| Timestamp::from_nanos(*ts)).collect();
    let live_equity: Vec<f64> = live.iter().map(|(_, e)| *e).collect();
    let format = if times.iter().all(|t| t.is_midnight()) { TimeFormat::Date } else { TimeFormat::DateTime };
    let side = |equity: &[f64]| side_stats(&times, equity, format);
    let live_stats = side(&live_equity);
    let live_returns = returns(&live_equity);
    let mut shadows = Vec::new();
    for model_rows in rows.chunk_by(|a, b| a.model_id == b.model_id) {
        let equity = equity_at(model_rows, &live);
        let stats = side(&equity);
        let difference = paired_difference_test(&live_returns, &returns(&equity), TEST_SEED);
        shadows.push(ShadowReport {
            model_id: model_rows[0].model_id.clone(),
            sharpe_difference: stats.sharpe_ratio - live_stats.sharpe_ratio,
            verdict: verdict(difference.as_ref(), live.len().saturating_sub(1)),
            difference,
            stats,
            trades: model_rows.last().map_or(0, |r| r.trades),
            predictions: prediction_scores(model_rows),
        });
    }
    let days = match (live.first(), live.last()) {
        (Some(first), Some(last)) => (last.0 - first.0) as f64 / DAY_NS,
        _ => 0.0,
    };
    Ok(ShadowComparison {
        owner: owner.key(),
        bars: live.len(),
        days,
        live: live_stats,
        shadows,
        test: TEST_NAME,
    })
}

fn describe(owner: &ShadowOwner) -> String {
    match owner {
        ShadowOwner::Session(name) => format!("paper session {name:?}"),
        ShadowOwner::Run(id) => format!("run {id}"),
    }
}

/// The run's equity after each of its bars the shadows followed, as (time ns, equity).
async fn live_curve(
    store: &Store,
    owner: &ShadowOwner,
    rows: &[ShadowRow],
) -> Result<Vec<(i64, f64)>, RunError> {
    match owner {
        ShadowOwner::Session(name) => Ok(store.equity_curve(name, None, None).await?),
        ShadowOwner::Run(id) => {
            let (_, details) = store.get(id).await?.ok_or_else(|| {
                RunError::invalid(format!("no run {id} in the store (`gpt-trader runs list`)"))
            })?;
            let equity: Vec<f64> = details
                .equity
                .as_array()
                .map(|points| points.iter().filter_map(|p| p["equity"].as_f64()).collect())
                .unwrap_or_default();
            // A backtest's shadows journal every bar of it, in order.
            let mut times: Vec<i64> =
                rows.iter().filter(|r| r.model_id == rows[0].model_id).map(|r| r.ts).collect();
            times.dedup();
            if times.len() != equity.len() {
                return Err(RunError::invalid(format!(
                    "run {id} has {} equity points but its shadows followed {} bars",
                    equity.len(),
                    times.len()
                )));
            }
            Ok(times.into_iter().zip(equity).collect())
        }
    }
}

/// The shadow's equity at each of the run's bar times (its last journaled
/// equity at or before each; its first where it has none yet).
fn equity_at(rows: &[ShadowRow], live: &[(i64, f64)]) -> Vec<f64> {
    let mut last = rows.first().map_or(f64::NAN, |r| r.equity);
    let mut at = 0;
    live.iter()
        .map(|(ts, _)| {
            while at < rows.len() && rows[at].ts <= *ts {
                last = rows[at].equity;
                at += 1;
            }
            last
        })
        .collect()
}

/// Per-bar simple returns of an equity curve.
fn returns(equity: &[f64]) -> Vec<f64> {
    equity.windows(2).map(|w| if w[0] > 0.0 { w[1] / w[0] - 1.0 } else { 0.0 }).collect()
}

fn side_stats(times: &[Timestamp], equity: &[f64], time_format: TimeFormat) -> SideStats {
    let stats = compute_stats(&StatsInput {
        timestamps: times,
        equity,
        closes: equity,
        trades: &[],
        first_trading_bar: 0,
        time_format,
    });
    SideStats {
        return_pct: stats.return_pct,
        sharpe_ratio: stats.sharpe_ratio,
        sortino_ratio: stats.sortino_ratio,
        max_drawdown_pct: stats.max_drawdown_pct,
        volatility_ann_pct: stats.volatility_ann_pct,
        equity_final: stats.equity_final,
    }
}

/// Hit rate, IC, calibration and drift of a shadow's predictions, each
/// scored against its symbol's next bar.
fn prediction_scores(rows: &[ShadowRow]) -> PredictionScores {
    let mut by_symbol: Vec<&ShadowRow> = rows.iter().collect();
    by_symbol.sort_by(|a, b| (&a.symbol, a.ts).cmp(&(&b.symbol, b.ts)));
    let (mut probabilities, mut forward, mut labels, mut hits, mut called) =
        (Vec::new(), Vec::new(), Vec::new(), 0usize, 0usize);
    for pair in by_symbol.windows(2).filter(|w| w[0].symbol == w[1].symbol) {
        let Some(p) = pair[0].probability else { continue };
        let change = pair[1].close / pair[0].close - 1.0;
        probabilities.push(p);
        forward.push(change);
        labels.push(if change > 0.0 { 1.0 } else { 0.0 });
        if p != 0.5 && change != 0.0 {
            called += 1;
            hits += usize::from((p > 0.5) == (change > 0.0));
        }
    }
    let in_time: Vec<f64> = rows.iter().filter_map(|r| r.probability).collect();
    let half = in_time.len() / 2;
    PredictionScores {
        predictions: in_time.len(),
        hit_rate: (called > 0).then(|| hits as f64 / called as f64),
        ic: spearman(&probabilities, &forward),
        calibration: calibration(&probabilities, &labels, CALIBRATION_BINS),
        prediction_drift: population_stability(&in_time[..half], &in_time[half..])
            .map(|psi| PredictionDrift { psi, level: drift_level(psi) }),
    }
}

/// The paired test in words.
fn verdict(test: Option<&DifferenceTest>, paired: usize) -> String {
    match test {
        None => format!(
            "not enough data: {paired} paired returns, the test needs {}",
            gt_ml::ab::MIN_PAIRED_RETURNS
        ),
        Some(t) if t.p_value >= 0.05 => format!("no significant difference (p = {:.3})", t.p_value),
        Some(t) if t.mean_difference > 0.0 => format!("the shadow does better (p = {:.4})", t.p_value),
        Some(t) => format!("the run does better than the shadow (p = {:.4})", t.p_value),
    }
}
