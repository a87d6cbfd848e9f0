//! HTML reports of runs: what they are drawn from, and writing them.

use crate::RunError;
use crate::outcome::{buy_and_hold_of, time_format_of};
use gt_analytics::tearsheet::{self, IndicatorLine, PriceLine, TearsheetData};
use gt_analytics::{Report, Stats};
use gt_engine::BacktestResult;
use gt_indicators::{IndicatorKey, KeyColumn};
use gt_model::{BarSeries, TimeFormat, Timestamp};
use std::path::Path;

/// The data a run's report is drawn from; its grey line is the run's buy & hold.
pub fn chart_data(
    series: &[BarSeries],
    result: &BacktestResult,
    report: &Report,
    title: &str,
) -> Result<TearsheetData, RunError> {
    let symbols: Vec<&str> = series.iter().map(|s| s.symbol().as_str()).collect();
    let keys = result.indicators.first().map(Vec::as_slice).unwrap_or_default();
    let price = series.first().map(|first| price_line(first, &result.timeline, keys));
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

/// `series`' bars along `timeline`, with the indicators of `keys` computed over it.
fn price_line(series: &BarSeries, timeline: &[Timestamp], keys: &[IndicatorKey]) -> PriceLine {
    // The bar of `series` at each step, if it has one.
    let mut cursor = 0;
    let at: Vec<Option<usize>> = timeline
        .iter()
        .map(|ts| {
            while series.timestamps().get(cursor).is_some_and(|t| t < ts) {
                cursor += 1;
            }
            (series.timestamps().get(cursor) == Some(ts)).then_some(cursor)
        })
        .collect();
    let along = |values: &[f64]| -> Vec<Option<f64>> {
        at.iter().map(|i| i.and_then(|i| values.get(i).copied()).filter(|v| v.is_finite())).collect()
    };
    let mut columns: Vec<KeyColumn> = Vec::new();
    let indicators = keys
        .iter()
        .map(|key| {
            let column = match columns.iter().position(|c| c.values(key).is_some()) {
                Some(found) => &columns[found],
                None => {
                    columns.push(KeyColumn::compute(key, series));
                    &columns[columns.len() - 1]
                }
            };
            IndicatorLine {
                key: key.to_string(),
                overlay: key.in_price_units(),
                values: along(column.values(key).unwrap_or_default())
                    .into_iter()
                    .map(|v| v.map(to_chart_precision))
                    .collect(),
            }
        })
        .collect();
    PriceLine {
        symbol: series.symbol().to_string(),
        closes: along(series.closes()),
        opens: along(series.opens()),
        highs: along(series.highs()),
        lows: along(series.lows()),
        volumes: along(series.volumes()),
        indicators,
    }
}

/// `value` to the 7 significant digits a chart can show: an indicator's
/// full precision would triple the size of the stored chart for nothing.
fn to_chart_precision(value: f64) -> f64 {
    if value == 0.0 {
        return 0.0;
    }
    let scale = 10f64.powi(6 - value.abs().log10().floor() as i32);
    (value * scale).round() / scale
}

/// Writes the report of `data` to `path`.
pub fn write(path: &Path, title: &str, data: &TearsheetData) -> Result<(), RunError> {
    std::fs::write(path, tearsheet::render(title, data)).map_err(|source| RunError::Io {
        what: "writing the report".to_owned(),
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use gt_model::{Bar, Symbol};

    #[test]
    fn the_price_line_follows_the_timeline_with_gaps_where_the_symbol_had_no_bar() {
        let mut series = BarSeries::with_capacity(Symbol::new("A"), 3);
        for (ts, close) in [(1, 10.0), (2, 12.0), (4, 16.0)] {
            let bar = Bar {
                ts: Timestamp::from_nanos(ts),
                open: close - 1.0,
                high: close + 2.0,
                low: close - 3.0,
                close,
                volume: close * 100.0,
            };
            series.push(bar);
        }
        let timeline: Vec<Timestamp> = (1..=4).map(Timestamp::from_nanos).collect();
        let keys: Vec<IndicatorKey> =
            ["sma(2)", "rsi(2)", "max(2)@high"].iter().map(|k| k.parse().unwrap()).collect();
        let line = price_line(&series, &timeline, &keys);
        assert_eq!(line.symbol, "A");
        assert_eq!(line.closes, [Some(10.0), Some(12.0), None, Some(16.0)]);
        assert_eq!(line.opens, [Some(9.0), Some(11.0), None, Some(15.0)]);
        assert_eq!(line.highs, [Some(12.0), Some(14.0), None, Some(18.0)]);
        assert_eq!(line.lows, [Some(7.0), Some(9.0), None, Some(13.0)]);
        assert_eq!(line.volumes, [Some(1000.0), Some(1200.0), None, Some(1600.0)]);
        let names: Vec<(&str, bool)> = line.indicators.iter().map(|l| (l.key.as_str(), l.overlay)).collect();
        assert_eq!(names, [("sma(2)", true), ("rsi(2)", false), ("max(2)@high", true)]);
        // Over the symbol's own bars (a gap in the timeline is not a bar), none during warm-up.
        assert_eq!(line.indicators[0].values, [None, Some(11.0), None, Some(14.0)]);
        assert_eq!(line.indicators[2].values, [None, Some(14.0), None, Some(18.0)]);
        assert_eq!(line.indicators[1].values[..2], [None, None], "RSI(2) needs two changes");
        assert!(line.indicators[1].values[3].is_some());
    }

    #[test]
    fn indicators_are_kept_to_seven_significant_digits() {
        assert_eq!(to_chart_precision(612.345_678_9), 612.345_7);
        assert_eq!(to_chart_precision(-0.000_123_456_789), -0.000_123_456_8);
        assert_eq!(to_chart_precision(1_234_567_890.0), 1_234_568_000.0);
        assert_eq!(to_chart_precision(0.0), 0.0);
    }
}
