//! The data's bar period and what follows from it: the trading days in a
//! year, the buckets periodic returns are taken over, and how durations are rounded.

use chrono::Datelike;
use gt_model::Timestamp;

const SECOND: i64 = 1_000_000_000;
const DAY: i64 = 86_400 * SECOND;

/// The typical bar spacing: the median gap between the last 100 timestamps
/// (backtesting.py's `_data_period`), in nanoseconds.
pub(crate) fn bar_period_nanos(timestamps: &[Timestamp]) -> Option<i64> {
    let tail = &timestamps[timestamps.len().saturating_sub(100)..];
    let mut gaps: Vec<i64> = tail.windows(2).map(|w| w[1].nanos() - w[0].nanos()).collect();
    if gaps.is_empty() {
        return None;
    }
    gaps.sort_unstable();
    let middle = gaps.len() / 2;
    Some(if gaps.len() % 2 == 1 { gaps[middle] } else { (gaps[middle - 1] + gaps[middle]) / 2 })
}

/// The coarsest unit that divides the bar period (pandas' `resolution_string`),
/// to which reported durations are rounded up.
pub(crate) fn resolution_nanos(period: i64) -> i64 {
    [DAY, 3_600 * SECOND, 60 * SECOND, SECOND, 1_000_000, 1_000]
        .into_iter()
        .find(|unit| period % unit == 0)
        .unwrap_or(1)
}

/// `days` rounded up to a whole number of `resolution` units, in days.
pub(crate) fn ceil_days(days: f64, resolution: i64) -> f64 {
    if !days.is_finite() {
        return days;
    }
    let nanos = (days * DAY as f64).round() as i64;
    let units = nanos.div_euclid(resolution) + i64::from(nanos.rem_euclid(resolution) != 0);
    (units * resolution) as f64 / DAY as f64
}

/// Calendar buckets periodic returns are taken over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum ReturnBucket {
    /// Calendar days.
    Day,
    /// Weeks ending on Sunday.
    Week,
    /// Calendar months.
    Month,
    /// Calendar years.
    Year,
}

impl ReturnBucket {
    /// Bucket key of `ts` and the first instant (ns) of the next bucket.
    pub(crate) fn span(self, ts: Timestamp) -> (i64, i64) {
        let key = self.key(ts);
        let end = match self {
            ReturnBucket::Day => (key + 1) * DAY,
            ReturnBucket::Week => ((key + 1) * 7 - 3) * DAY,
            ReturnBucket::Month | ReturnBucket::Year => {
                let date = ts.to_utc().date_naive();
                let (year, month) = match self {
                    ReturnBucket::Month if date.month() == 12 => (date.year() + 1, 1),
                    ReturnBucket::Month => (date.year(), date.month() + 1),
                    _ => (date.year() + 1, 1),
                };
                chrono::NaiveDate::from_ymd_opt(year, month, 1)
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map_or(i64::MAX, |d| d.and_utc().timestamp_nanos_opt().unwrap_or(i64::MAX))
            }
        };
        (key, end)
    }

    /// Bucket key of `ts`: equal keys fall in the same bucket.
    pub(crate) fn key(self, ts: Timestamp) -> i64 {
        let day = ts.epoch_day();
        match self {
            ReturnBucket::Day => day,
            // 1970-01-01 was a Thursday; +3 makes weeks start on Monday.
            ReturnBucket::Week => (day + 3).div_euclid(7),
            ReturnBucket::Month => {
                let date = ts.to_utc();
                i64::from(date.year()) * 12 + i64::from(date.month0())
            }
            ReturnBucket::Year => i64::from(ts.to_utc().year()),
        }
    }
}

/// How often returns compound in a year and over which buckets they are
/// taken, from the bar period and whether the data trades on weekends.
pub(crate) fn annualization(timestamps: &[Timestamp], period: i64) -> (f64, ReturnBucket) {
    let weekend_share = timestamps.iter().filter(|ts| (ts.epoch_day() + 3).rem_euclid(7) >= 5).count() as f64
        / timestamps.len().max(1) as f64;
    match period.div_euclid(DAY) {
        7 => (52.0, ReturnBucket::Week),
        31 => (12.0, ReturnBucket::Month),
        365 => (1.0, ReturnBucket::Year),
        _ if weekend_share > 2.0 / 7.0 * 0.6 => (365.0, ReturnBucket::Day),
        _ => (252.0, ReturnBucket::Day),
    }
}

/// Simple returns between the last equity values of consecutive buckets.
pub(crate) fn bucket_returns(timestamps: &[Timestamp], equity: &[f64], bucket: ReturnBucket) -> Vec<f64> {
    let mut lasts: Vec<f64> = Vec::new();
    let mut current_key = None;
    for (ts, value) in timestamps.iter().zip(equity) {
        let key = bucket.key(*ts);
        if current_key == Some(key) {
            if let Some(last) = lasts.last_mut() {
                *last = *value;
            }
        } else {
            lasts.push(*value);
            current_key = Some(key);
        }
    }
    lasts.windows(2).map(|w| w[1] / w[0] - 1.0).filter(|r| !r.is_nan()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: i64) -> Timestamp {
        Timestamp::from_nanos(d * DAY)
    }

    #[test]
    fn daily_weekday_data_compounds_252_times() {
        // Mondays to Fridays of four weeks starting Monday 1970-01-05 (day 4).
        let ts: Vec<Timestamp> = (4..32).filter(|d| (d + 3) % 7 < 5).map(day).collect();
        let period = bar_period_nanos(&ts).unwrap();
        assert_eq!(period, DAY);
        assert_eq!(annualization(&ts, period), (252.0, ReturnBucket::Day));
        let all_days: Vec<Timestamp> = (0..30).map(day).collect();
        assert_eq!(annualization(&all_days, DAY).0, 365.0);
    }

    #[test]
    fn durations_round_up_to_the_bar_resolution() {
        assert_eq!(resolution_nanos(DAY), DAY);
        assert_eq!(resolution_nanos(3_600 * SECOND), 3_600 * SECOND);
        assert_eq!(ceil_days(31.2, DAY), 32.0);
        assert_eq!(ceil_days(31.0, DAY), 31.0);
        assert_eq!(ceil_days(0.26, 3_600 * SECOND), 7.0 / 24.0);
    }

    #[test]
    fn a_span_ends_where_the_next_bucket_starts() {
        let day = |d: i64| Timestamp::from_nanos(d * DAY + 5 * 3_600 * SECOND);
        for bucket in [ReturnBucket::Day, ReturnBucket::Week, ReturnBucket::Month, ReturnBucket::Year] {
            for d in [0, 3, 4, 30, 58, 364, 365, 18_000, 20_000] {
                let (key, end) = bucket.span(day(d));
                assert_eq!(bucket.key(Timestamp::from_nanos(end - 1)), key, "{bucket:?} {d}");
                assert_ne!(bucket.key(Timestamp::from_nanos(end)), key, "{bucket:?} {d}");
            }
        }
    }

    #[test]
    fn bucket_returns_use_the_last_value_of_each_bucket() {
        let ts = [day(0), Timestamp::from_nanos(DAY + 1), Timestamp::from_nanos(DAY + 2), day(2)];
        let returns = bucket_returns(&ts, &[100.0, 50.0, 110.0, 121.0], ReturnBucket::Day);
        assert_eq!(returns.len(), 2);
        assert!((returns[0] - 0.1).abs() < 1e-12 && (returns[1] - 0.1).abs() < 1e-12);
    }
}
