//! What a quant reads off an equity curve beyond its statistics: returns by
//! calendar year, the worst drawdowns with their dates, and a rolling
//! volatility (the dashboard's run page shows all three).

use crate::drawdown::{drawdown_fractions, drawdown_periods};
use crate::periods::ReturnBucket;
use gt_model::Timestamp;
use serde::Serialize;

/// Points a rolling volatility is taken over (about a quarter of daily bars).
pub const ROLLING_WINDOW: usize = 63;

/// Drawdowns listed at most.
pub const WORST_DRAWDOWNS: usize = 5;

/// One calendar year's return.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct YearReturn {
    /// The year.
    pub year: i64,
    /// Return over the year in percent, from the last value of the year
    /// before (or the curve's first value) to the year's last value.
    pub return_pct: f64,
}

/// One drawdown, by point index into the curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DrawdownRow {
    /// The high it fell from.
    pub start: usize,
    /// Its lowest point.
    pub trough: usize,
    /// Where equity was back at the high, or the last point.
    pub end: usize,
    /// Whether equity was back at the high by the end of the curve.
    pub recovered: bool,
    /// Depth in percent (positive).
    pub depth_pct: f64,
    /// From the high to the recovery (or the end), in days.
    pub duration_days: f64,
}

/// An equity curve's yearly returns, worst drawdowns and rolling volatility.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunProfile {
    /// Returns by calendar year, oldest first.
    pub yearly: Vec<YearReturn>,
    /// The deepest drawdowns, deepest first (at most [`WORST_DRAWDOWNS`]).
    pub worst_drawdowns: Vec<DrawdownRow>,
    /// Annualised volatility in percent of the last [`ROLLING_WINDOW`]
    /// point-to-point returns, one per point (`None` until the window is full).
    pub rolling_volatility_pct: Vec<Option<f64>>,
    /// Points per year used to annualise (the curve's own density: points
    /// over calendar years spanned), so daily and intraday curves both read as yearly.
    pub points_per_year: f64,
}

/// The profile of the curve `equity` at `timestamps` (same length).
pub fn profile(timestamps: &[Timestamp], equity: &[f64]) -> RunProfile {
    let n = timestamps.len().min(equity.len());
    let (timestamps, equity) = (&timestamps[..n], &equity[..n]);
    let points_per_year = match (timestamps.first(), timestamps.last()) {
        (Some(first), Some(last)) if last.days_since(*first) > 0.0 => {
            (n - 1) as f64 / (last.days_since(*first) / 365.25)
        }
        _ => f64::NAN,
    };
    RunProfile {
        yearly: yearly_returns(timestamps, equity),
        worst_drawdowns: worst_drawdowns(timestamps, equity),
        rolling_volatility_pct: rolling_volatility(equity, points_per_year),
        points_per_year,
    }
}

fn yearly_returns(timestamps: &[Timestamp], equity: &[f64]) -> Vec<YearReturn> {
    let Some(&first) = equity.first() else { return Vec::new() };
    let mut years: Vec<(i64, f64)> = Vec::new();
    for (ts, &value) in timestamps.iter().zip(equity) {
        let year = ReturnBucket::Year.key(*ts);
        match years.last_mut() {
            Some((current, last)) if *current == year => *last = value,
            _ => years.push((year, value)),
        }
    }
    let mut base = first;
    years
        .into_iter()
        .map(|(year, last)| {
            let row = YearReturn { year, return_pct: (last / base - 1.0) * 100.0 };
            base = last;
            row
        })
        .collect()
}

fn worst_drawdowns(timestamps: &[Timestamp], equity: &[f64]) -> Vec<DrawdownRow> {
    let drawdowns = drawdown_fractions(equity);
    let mut rows: Vec<DrawdownRow> = drawdown_periods(&drawdowns, timestamps)
        .into_iter()
        .map(|period| {
            let trough = (period.start..=period.end)
                .max_by(|&a, &b| drawdowns[a].total_cmp(&drawdowns[b]))
                .unwrap_or(period.start);
            DrawdownRow {
                start: period.start,
                trough,
                end: period.end,
                recovered: drawdowns[period.end] == 0.0,
                depth_pct: period.depth * 100.0,
                duration_days: period.duration_days,
            }
        })
        .collect();
    rows.sort_by(|a, b| b.depth_pct.total_cmp(&a.depth_pct));
    rows.truncate(WORST_DRAWDOWNS);
    rows
}

fn rolling_volatility(equity: &[f64], points_per_year: f64) -> Vec<Option<f64>> {
    let returns: Vec<f64> = equity.windows(2).map(|w| w[1] / w[0] - 1.0).collect();
    let mut out = vec![None; equity.len()];
    // Point i's window holds the returns into points i-WINDOW+1 ..= i.
    for i in ROLLING_WINDOW..equity.len() {
        let window = &returns[i - ROLLING_WINDOW..i];
        let mean = window.iter().sum::<f64>() / ROLLING_WINDOW as f64;
        let variance = window.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (ROLLING_WINDOW - 1) as f64;
        let value = variance.sqrt() * points_per_year.sqrt() * 100.0;
        out[i] = value.is_finite().then_some(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000_000_000;

    fn days(n: i64) -> Vec<Timestamp> {
        (0..n).map(|d| Timestamp::from_nanos(d * DAY)).collect()
    }

    #[test]
    fn yearly_returns_chain_from_the_previous_year_end() {
        // 1970 ends at 110 (from 100), 1971 at 99 (from 110).
        let mut ts = days(3);
        ts.extend([Timestamp::from_nanos(400 * DAY), Timestamp::from_nanos(500 * DAY)]);
        let equity = [100.0, 105.0, 110.0, 120.0, 99.0];
        let yearly = profile(&ts, &equity).yearly;
        assert_eq!(yearly.len(), 2);
        assert_eq!(yearly[0].year, 1970);
        assert!((yearly[0].return_pct - 10.0).abs() < 1e-12);
        assert_eq!(yearly[1].year, 1971);
        assert!((yearly[1].return_pct - -10.0).abs() < 1e-12);
    }

    #[test]
    fn worst_drawdowns_are_deepest_first_with_trough_and_recovery() {
        let equity = [100.0, 110.0, 99.0, 104.5, 110.0, 120.0, 108.0, 114.0];
        let rows = profile(&days(8), &equity).worst_drawdowns;
        assert_eq!(rows.len(), 2);
        // 110 -> 99 is 10 %, recovered at index 4; 120 -> 108 is 10 % too, not recovered.
        let first = &rows[0];
        assert!((first.depth_pct - 10.0).abs() < 1e-9);
        assert_eq!((first.start, first.trough), (1, 2));
        let open = rows.iter().find(|r| r.start == 5).unwrap();
        assert_eq!((open.trough, open.end, open.recovered), (6, 7, false));
        let closed = rows.iter().find(|r| r.start == 1).unwrap();
        assert_eq!((closed.end, closed.recovered, closed.duration_days), (4, true, 3.0));
    }

    #[test]
    fn rolling_volatility_annualises_the_sample_deviation_of_the_window() {
        // Returns alternate +1 % / -1 %: sample deviation ~1 % per point.
        let mut equity = vec![100.0];
        for i in 0..100 {
            let last = *equity.last().unwrap();
            equity.push(last * if i % 2 == 0 { 1.01 } else { 0.99 });
        }
        let ts = days(equity.len() as i64);
        let p = profile(&ts, &equity);
        assert!((p.points_per_year - 365.25).abs() < 1e-9);
        assert!(p.rolling_volatility_pct[..ROLLING_WINDOW].iter().all(Option::is_none));
        let window: Vec<f64> =
            equity.windows(2).map(|w| w[1] / w[0] - 1.0).skip(100 - ROLLING_WINDOW).collect();
        let mean = window.iter().sum::<f64>() / window.len() as f64;
        let sd = (window.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (window.len() - 1) as f64).sqrt();
        let last = p.rolling_volatility_pct[100].unwrap();
        assert!((last - sd * 365.25_f64.sqrt() * 100.0).abs() < 1e-9, "{last}");
    }

    #[test]
    fn an_empty_or_single_point_curve_has_an_empty_profile() {
        let p = profile(&[], &[]);
        assert!(p.yearly.is_empty() && p.worst_drawdowns.is_empty() && p.rolling_volatility_pct.is_empty());
        let one = profile(&days(1), &[5.0]);
        assert_eq!(one.yearly.len(), 1);
        assert!(one.points_per_year.is_nan());
    }
}
