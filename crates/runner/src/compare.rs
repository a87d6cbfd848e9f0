//! Several strategies on the same bars, side by side, after buy & hold.

use crate::outcome::{stats_of, time_format_of};
use crate::prepare::SharedRun;
use crate::spec::StrategyEntry;
use crate::window::{Window, bars_before_first_decision};
use crate::{RunError, RunSpec};
use gt_analytics::{BuyAndHold, Stats, StatsInput, compute_stats};
use gt_model::BarSeries;
use gt_strategy::registry;
use serde::Serialize;

/// The name of the baseline row.
pub const BUY_AND_HOLD: &str = "buy & hold";

/// One row of a comparison.
#[derive(Debug, Serialize)]
pub struct CompareRow {
    /// The strategy, or [`BUY_AND_HOLD`].
    pub strategy: String,
    /// Its statistics.
    pub stats: Stats,
}

/// Runs each of `entries` alone on `series` (cut to `spec`'s window, with
/// the longest warm-up before it) with `spec`'s shared settings;
/// the first row is buy & hold, held from the end of the longest warm-up
/// (the first bar every compared strategy can trade on), so that its return
/// is the `buy_hold_return_pct` of the strategy that warms up longest (of
/// each strategy, when they warm up alike).
pub fn compare(
    spec: &RunSpec,
    series: Vec<BarSeries>,
    entries: &[StrategyEntry],
) -> Result<Vec<CompareRow>, RunError> {
    let series = Window::of(&spec.data)?.cut(series, bars_before_first_decision(entries)?)?;
    let shared = SharedRun::new(spec, series)?;
    let mut rows = Vec::with_capacity(entries.len() + 1);
    let mut longest_warm_up = 0;
    let mut timeline = Vec::new();
    for entry in entries {
        let result = shared.run(std::slice::from_ref(entry))?;
        longest_warm_up = longest_warm_up.max(result.warmup_bars);
        rows.push(CompareRow {
            strategy: entry.sleeve_name().to_owned(),
            stats: stats_of(&shared.series, &result),
        });
        timeline = result.timeline;
    }
    let baseline = buy_and_hold_stats(&shared.series, &timeline, longest_warm_up, shared.config.initial_cash);
    rows.insert(0, CompareRow { strategy: BUY_AND_HOLD.to_owned(), stats: baseline });
    Ok(rows)
}

/// The statistics of holding buy & hold from bar `start` of `timeline` with
/// `cash`: no costs, one trade per symbol, closed at the last bar.
pub fn buy_and_hold_stats(
    series: &[BarSeries],
    timeline: &[gt_model::Timestamp],
    start: usize,
    cash: f64,
) -> Stats {
    let buy_and_hold = BuyAndHold::new(series, timeline, start);
    let (equity, trades) = buy_and_hold.holding(series, timeline, cash);
    compute_stats(&StatsInput {
        timestamps: timeline,
        equity: &equity,
        closes: buy_and_hold.index(),
        trades: &trades,
        first_trading_bar: buy_and_hold.start_bar(),
        time_format: time_format_of(series),
    })
}

/// The strategies `names` (every built-in one when empty), each with the
/// parameters of `params` addressed to it as `STRATEGY.KEY`; checked before
/// any bars are read.
pub fn entries(names: &[String], params: &[(String, String)]) -> Result<Vec<StrategyEntry>, RunError> {
    let names: Vec<String> = if names.is_empty() {
        registry::STRATEGIES.iter().map(|s| s.name.to_owned()).collect()
    } else {
        names.to_vec()
    };
    for (key, _) in params {
        match key.split_once('.') {
            Some((strategy, _)) if names.iter().any(|n| n == strategy) => {}
            Some((strategy, _)) => {
                return Err(RunError::invalid(format!(
                    "--param {key}: '{strategy}' is not among the compared strategies"
                )));
            }
            None => {
                return Err(RunError::invalid(format!(
                    "--param {key}: prefix it with the strategy name, e.g. demo_ma.{key}=..."
                )));
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let spec = registry::find(&name)?;
            let own: Vec<(String, String)> = params
                .iter()
                .filter_map(|(key, value)| {
                    let (strategy, param) = key.split_once('.')?;
                    (strategy == name).then(|| (param.to_owned(), value.clone()))
                })
                .collect();
            spec.build(&spec.resolve(&own)?)?;
            Ok(StrategyEntry { strategy: name, params: own, ..Default::default() })
        })
        .collect()
}
