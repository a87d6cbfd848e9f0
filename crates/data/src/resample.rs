//! Resampling intraday bars to longer intervals on NYSE sessions.
//!
//! Buckets are aligned to each day's regular-session open (so 1h bars are
//! 09:30–10:30, …, 15:30–16:00 New York) and keyed by their start, as the
//! input bars are; bars outside the regular session are left out; a day
//! bucket is keyed by its exchange date at midnight UTC, like daily data.
//! Open is the first bar's open, high the highest high, low the lowest low,
//! close the last close, volume the sum.

use crate::calendar::{exchange_date, session};
use gt_model::{Bar, BarSeries, Timestamp};

const MINUTE: i64 = 60_000_000_000;

/// A target bar interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interval {
    /// A number of minutes (5m, 15m, 30m, 1h = 60m, …).
    Minutes(u32),
    /// One regular session.
    Day,
    /// The sessions of one week (Monday to Friday), keyed by its Monday.
    Week,
}

impl Interval {
    /// How many minutes of trading one bar spans (a day: a regular session's 390).
    pub fn minutes(self) -> u32 {
        match self {
            Self::Minutes(n) => n,
            Self::Day => 390,
            Self::Week => 5 * 390,
        }
    }

    /// Parses `1m`, `5m`, `15m`, `30m`, `1h`, `2h`, `1d`, `1w`.
    pub fn parse(text: &str) -> Option<Self> {
        // The unit is the last character, whatever its width (`1é` is no interval, not a panic).
        let (number, unit) = text.split_at(text.char_indices().last()?.0);
        let n: u32 = number.parse().ok().filter(|n| *n > 0)?;
        match unit {
            "m" => Some(Interval::Minutes(n)),
            "h" => Some(Interval::Minutes(n.checked_mul(60)?)),
            "d" if n == 1 => Some(Interval::Day),
            "w" if n == 1 => Some(Interval::Week),
            _ => None,
        }
    }
}

/// Key of the bucket `ts` falls in, or `None` outside the regular session.
fn bucket(ts: Timestamp, interval: Interval) -> Option<Timestamp> {
    if interval == Interval::Week {
        // Daily bars are keyed by their exchange date at midnight; intraday ones fall in their session.
        let date = if ts.is_midnight() {
            ts.to_utc().date_naive()
        } else {
            bucket(ts, Interval::Day)?.to_utc().date_naive()
        };
        session(date)?;
        let monday =
            date - chrono::Duration::days(i64::from(chrono::Datelike::weekday(&date).num_days_from_monday()));
        return Timestamp::from_naive_utc(monday.and_hms_opt(0, 0, 0)?);
    }
    let date = exchange_date(ts);
    let day = session(date)?;
    if ts < day.open || ts >= day.close {
        return None;
    }
    match interval {
        Interval::Day | Interval::Week => Timestamp::from_naive_utc(date.and_hms_opt(0, 0, 0)?),
        Interval::Minutes(minutes) => {
            let width = i64::from(minutes) * MINUTE;
            let offset = ts.nanos() - day.open.nanos();
            Some(Timestamp::from_nanos(day.open.nanos() + offset.div_euclid(width) * width))
        }
    }
}

/// Fails unless bars cached at interval `from` (`1m`) can be aggregated
/// into `to`: bars are never split, so `to` must be longer.
pub fn check_aggregates(from: &str, to: Interval) -> Result<(), String> {
    match Interval::parse(from) {
        Some(source) if source.minutes() >= to.minutes() => Err(format!(
            "--to is not longer than --from {from} ({} against {} minutes a bar): resampling only aggregates \
             bars into longer ones",
            to.minutes(),
            source.minutes()
        )),
        _ => Ok(()),
    }
}

/// How many bars of `series` fall outside every NYSE regular session (and
/// so are left out by [`resample`]).
pub fn outside_sessions(series: &BarSeries) -> usize {
    // A week's bucket takes daily bars by their date and intraday ones within their session.
    series.timestamps().iter().filter(|ts| bucket(**ts, Interval::Week).is_none()).count()
}

/// Reads the bars' times, taken as UTC when their file had no offset, as
/// local times of `zone` instead: each becomes the UTC instant of that local
/// time (the earlier one when a clock change makes it ambiguous; a time a
/// clock change skips is moved forward by the gap).
pub fn local_to_utc(series: &mut BarSeries, zone: chrono_tz::Tz) {
    use chrono::TimeZone;
    for i in 0..series.len() {
        series.update(i, |bar| {
            let local = bar.ts.to_utc().naive_utc();
            let instant = zone
                .from_local_datetime(&local)
                .earliest()
                .or_else(|| zone.from_local_datetime(&(local + chrono::Duration::hours(1))).earliest());
            if let Some(utc) = instant.and_then(|t| Timestamp::from_naive_utc(t.naive_utc())) {
                bar.ts = utc;
            }
        });
    }
}

/// `series` (in time order: intraday bars, or daily ones for weeks) aggregated to `interval`.
pub fn resample(series: &BarSeries, interval: Interval) -> BarSeries {
    let mut out = BarSeries::with_capacity(series.symbol().clone(), series.len() / 4 + 1);
    let mut current: Option<Bar> = None;
    for i in 0..series.len() {
        let bar = series.bar(i);
        let Some(key) = bucket(bar.ts, interval) else { continue };
        match &mut current {
            Some(open) if open.ts == key => {
                open.high = open.high.max(bar.high);
                open.low = open.low.min(bar.low);
                open.close = bar.close;
                open.volume += bar.volume;
            }
            _ => {
                if let Some(done) = current.replace(Bar { ts: key, ..bar }) {
                    out.push(done);
                }
            }
        }
    }
    if let Some(done) = current {
        out.push(done);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn daily_bars_resample_into_weeks_keyed_by_their_monday() {
        // 2024-01-08 (Monday) to 2024-01-19 (Friday): two weeks of daily bars, 15 January a holiday.
        let mut series = BarSeries::with_capacity(Symbol::new("W"), 10);
        let mut day = chrono::NaiveDate::from_ymd_opt(2024, 1, 8).unwrap();
        let mut close = 100.0;
        while day <= chrono::NaiveDate::from_ymd_opt(2024, 1, 19).unwrap() {
            if session(day).is_some() {
                let ts = Timestamp::from_naive_utc(day.and_hms_opt(0, 0, 0).unwrap()).unwrap();
                series.push(Bar {
                    ts,
                    open: close,
                    high: close + 2.0,
                    low: close - 1.0,
                    close: close + 1.0,
                    volume: 10.0,
                });
                close += 1.0;
            }
            day = day.succ_opt().unwrap();
        }
        assert_eq!(series.len(), 9);
        let weeks = resample(&series, Interval::parse("1w").unwrap());
        assert_eq!(weeks.len(), 2);
        let (first, second) = (weeks.bar(0), weeks.bar(1));
        assert_eq!(first.ts.to_utc().date_naive().to_string(), "2024-01-08");
        assert_eq!((first.open, first.close, first.high, first.volume), (100.0, 105.0, 106.0, 50.0));
        assert_eq!(second.ts.to_utc().date_naive().to_string(), "2024-01-15");
        assert_eq!((second.open, second.close, second.volume), (105.0, 109.0, 40.0));
        assert!(
            check_aggregates("1d", Interval::Week).is_ok() && check_aggregates("1w", Interval::Day).is_err()
        );
        // An intraday bar (10:00 New York on Wednesday 10 January) falls in the week of the 8th.
        let wednesday = chrono::NaiveDate::from_ymd_opt(2024, 1, 10).unwrap().and_hms_opt(15, 0, 0).unwrap();
        let key = bucket(Timestamp::from_naive_utc(wednesday).unwrap(), Interval::Week).unwrap();
        assert_eq!(key.to_utc().date_naive().to_string(), "2024-01-08");
    }

    #[test]
    fn only_known_intervals_parse_and_none_panics() {
        assert_eq!(Interval::parse("1h"), Some(Interval::Minutes(60)));
        for not_an_interval in ["", "w", "1é", "é", "0m", "2d", "7q"] {
            assert_eq!(Interval::parse(not_an_interval), None, "{not_an_interval:?}");
        }
    }

    #[test]
    fn new_york_times_read_with_their_zone_resample_into_the_session() {
        // 09:30-10:29 New York on 2024-01-10, written without an offset.
        let mut series = BarSeries::with_capacity(Symbol::new("X"), 60);
        let start = Timestamp::from_naive_utc(
            chrono::NaiveDate::from_ymd_opt(2024, 1, 10).unwrap().and_hms_opt(9, 30, 0).unwrap(),
        )
        .unwrap();
        for minute in 0..60 {
            let ts = Timestamp::from_nanos(start.nanos() + minute * MINUTE);
            series.push(Bar { ts, open: 1.0, high: 1.0, low: 1.0, close: 1.0, volume: 1.0 });
        }
        // Taken as UTC, 09:30 is before New York's open: every bar is outside the session.
        assert_eq!(outside_sessions(&series), 60);
        local_to_utc(&mut series, chrono_tz::America::New_York);
        assert_eq!(outside_sessions(&series), 0);
        assert_eq!(resample(&series, Interval::Minutes(60)).len(), 1);
    }

    use super::*;
    use chrono::NaiveDate;
    use gt_model::Symbol;

    /// One-minute bars from `start` (UTC, "HH:MM") on `date`, closes 1, 2, 3, …
    fn minutes(date: NaiveDate, start: (u32, u32), count: usize) -> BarSeries {
        let first = Timestamp::from_naive_utc(date.and_hms_opt(start.0, start.1, 0).unwrap()).unwrap();
        let mut series = BarSeries::with_capacity(Symbol::new("T"), count);
        for i in 0..count {
            let c = (i + 1) as f64;
            series.push(Bar {
                ts: Timestamp::from_nanos(first.nanos() + i as i64 * MINUTE),
                open: c,
                high: c + 0.5,
                low: c - 0.5,
                close: c,
                volume: 10.0,
            });
        }
        series
    }

    fn hhmm(ts: Timestamp) -> String {
        ts.to_utc().format("%H:%M").to_string()
    }

    #[test]
    fn five_minute_bars_start_at_the_open_and_drop_pre_market() {
        // 2024-01-10 (EST): the session opens 14:30 UTC; bars from 14:28 to 14:41.
        let date = NaiveDate::from_ymd_opt(2024, 1, 10).unwrap();
        let out = resample(&minutes(date, (14, 28), 14), Interval::parse("5m").unwrap());
        assert_eq!(out.len(), 3);
        let first = out.bar(0);
        // 14:30..14:34 are input bars 3..=7 (closes 3..7).
        assert_eq!(
            (hhmm(first.ts), first.open, first.high, first.low, first.close, first.volume),
            ("14:30".into(), 3.0, 7.5, 2.5, 7.0, 50.0)
        );
        assert_eq!(hhmm(out.bar(2).ts), "14:40");
        assert_eq!(out.bar(2).volume, 20.0, "the last bucket holds what exists: 14:40 and 14:41");
    }

    #[test]
    fn hours_align_to_half_past_and_days_key_by_exchange_date() {
        // 2024-07-10 (EDT): session 13:30–20:00 UTC; a full day of minutes from 13:00 to 20:29.
        let date = NaiveDate::from_ymd_opt(2024, 7, 10).unwrap();
        let day = minutes(date, (13, 0), 450);
        let hours = resample(&day, Interval::parse("1h").unwrap());
        let starts: Vec<String> = (0..hours.len()).map(|i| hhmm(hours.bar(i).ts)).collect();
        assert_eq!(starts, ["13:30", "14:30", "15:30", "16:30", "17:30", "18:30", "19:30"]);
        assert_eq!(hours.bar(6).volume, 300.0, "the last hour is the half hour to the close");
        let daily = resample(&day, Interval::Day);
        assert_eq!(daily.len(), 1);
        assert!(daily.bar(0).ts.is_midnight());
        assert_eq!(daily.bar(0).volume, 3_900.0, "390 regular-session minutes");
    }

    #[test]
    fn early_close_and_holidays() {
        // 2024-11-29 closes 18:00 UTC; 2024-11-28 (Thanksgiving) does not trade.
        let friday =
            resample(&minutes(NaiveDate::from_ymd_opt(2024, 11, 29).unwrap(), (14, 30), 400), Interval::Day);
        assert_eq!(friday.bar(0).volume, 2_100.0, "210 minutes to 13:00 New York");
        let thursday =
            resample(&minutes(NaiveDate::from_ymd_opt(2024, 11, 28).unwrap(), (14, 30), 60), Interval::Day);
        assert!(thursday.is_empty());
    }

    #[test]
    fn interval_names() {
        assert_eq!(Interval::parse("15m"), Some(Interval::Minutes(15)));
        assert_eq!(Interval::parse("1h"), Some(Interval::Minutes(60)));
        assert_eq!(Interval::parse("1d"), Some(Interval::Day));
        for bad in ["", "m", "0m", "2d", "5x", "-5m"] {
            assert_eq!(Interval::parse(bad), None, "{bad}");
        }
    }
}
