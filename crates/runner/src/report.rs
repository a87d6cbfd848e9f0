//! HTML reports of runs: what they are drawn from, and writing them.

use crate::RunError;
use crate::outcome::{buy_and_hold_of, time_format_of};
use gt_analytics::tearsheet::{self, PriceLine, TearsheetData};
use gt_analytics::{Report, Stats};
use gt_engine::BacktestResult;
use gt_model::{BarSeries, TimeFormat};
use std::path::Path;

/// The data a run's report is drawn from; its grey line is the run's buy & hold.
pub fn chart_data(
    series: &[BarSeries],
    result: &BacktestResult,
    report: &Report,
    title: &str,
) -> Result<TearsheetData, RunError> {
    let symbols: Vec<&str> = series.iter().map(|s| s.symbol().as_str()).collect();
    let price = series.first().map(|first| {
        let mut cursor = 0;
        let closes = result
            .timeline
            .iter()
            .map(|ts| {
                while first.timestamps().get(cursor).is_some_and(|t| t < ts) {
                    cursor += 1;
                }
                (first.timestamps().get(cursor) == Some(ts)).then(|| first.closes()[cursor])
            })
            .collect();
        PriceLine { symbol: first.symbol().to_string(), closes }
    });
    Ok(TearsheetData {
        subtitle: format!(
            "{title} on {} — {} to {}",
            symbols.join(", "),
            report.stats.start,
            report.stats.end
        ),
        daily: time_format_of(series) == TimeFormat::Date,
        stats: serde_json::to_value(&report.stats)?,
        stat_labels: ["start", "end"]
            .into_iter()
            .chain(Stats::keys())
            .map(|key| (key.to_owned(), gt_analytics::label(key).to_owned()))
            .collect(),
        trades: serde_json::to_value(&report.trades)?,
        equity: serde_json::to_value(&report.equity)?,
        benchmark: buy_and_hold_of(series, result).growth(),
        price,
    })
}

/// Writes the report of `data` to `path`.
pub fn write(path: &Path, title: &str, data: &TearsheetData) -> Result<(), RunError> {
    std::fs::write(path, tearsheet::render(title, data)).map_err(|source| RunError::Io {
        what: "writing the report".to_owned(),
        path: path.to_owned(),
        source,
    })
}
