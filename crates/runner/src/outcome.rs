//! What a finished run is measured by: its statistics, attribution and buy & hold.

use gt_analytics::{
    Attribution, BuyAndHold, OpenExposure, Report, Stats, StatsInput, attribute, compute_stats,
};
use gt_engine::BacktestResult;
use gt_model::{BarSeries, TimeFormat};

/// Dates for daily data, date-times otherwise, across all `series`.
pub fn time_format_of(series: &[BarSeries]) -> TimeFormat {
    if series.iter().all(|s| s.time_format() == TimeFormat::Date) {
        TimeFormat::Date
    } else {
        TimeFormat::DateTime
    }
}

/// The buy & hold of `result`, a run over `series`: the equal-weight index
/// held from the end of the run's warm-up.
pub fn buy_and_hold_of(series: &[BarSeries], result: &BacktestResult) -> BuyAndHold {
    BuyAndHold::new(series, &result.timeline, result.warmup_bars)
}

/// The statistics of `result`, a run over `series` (buy & hold is [`buy_and_hold_of`]).
pub fn stats_of(series: &[BarSeries], result: &BacktestResult) -> Stats {
    let buy_and_hold = buy_and_hold_of(series, result);
    compute_stats(&StatsInput {
        timestamps: &result.timeline,
        equity: &result.equity,
        closes: buy_and_hold.index(),
        trades: &result.trades,
        first_trading_bar: buy_and_hold.start_bar(),
        time_format: time_format_of(series),
    })
}

/// The report of `result`, a run over `series`: statistics, trade list and
/// equity curve, times written as the bars' are.
pub fn report_of(series: &[BarSeries], result: &BacktestResult) -> Report {
    let format = time_format_of(series);
    Report::new(stats_of(series, result), &result.trades, &result.timeline, &result.equity, format)
}

/// Profit, trades and exposure per strategy and per symbol of `result`.
pub fn attribution_of(result: &BacktestResult) -> Attribution {
    let open: Vec<OpenExposure<'_>> = result
        .open_lots
        .iter()
        .map(|lot| OpenExposure {
            symbol: &lot.symbol,
            strategy: lot.strategy.as_ref(),
            unrealized_pnl: lot.unrealized_pnl,
            entry_bar: lot.entry_bar,
        })
        .collect();
    attribute(&result.trades, &open, result.equity.len())
}
