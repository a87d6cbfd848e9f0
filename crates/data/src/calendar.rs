//! The NYSE trading calendar: which days trade, and the regular session of each.
//!
//! Regular hours are 09:30–16:00 America/New_York (13:00 on early-close days),
//! converted to UTC with the day's daylight-saving offset. Holidays follow the
//! exchange's rules (observed on Friday or Monday when they fall on a weekend;
//! Juneteenth from 2022); one-off closures (e.g. national days of mourning)
//! are not modelled.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Weekday};
use chrono_tz::America::New_York;
use gt_model::Timestamp;

/// A trading day's regular session, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// The exchange date.
    pub date: NaiveDate,
    /// Opening time.
    pub open: Timestamp,
    /// Closing time (13:00 New York on early-close days).
    pub close: Timestamp,
}

fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, n)
        .expect("every month has four of each weekday")
}

fn last_weekday(year: i32, month: u32, weekday: Weekday) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, 5)
        .unwrap_or_else(|| nth_weekday(year, month, weekday, 4))
}

/// Easter Sunday (anonymous Gregorian algorithm).
fn easter(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a valid date")
}

/// A fixed-date holiday moved to Friday or Monday when it falls on a weekend.
fn observed(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Sat => date - Duration::days(1),
        Weekday::Sun => date + Duration::days(1),
        _ => date,
    }
}

/// The NYSE holidays of `year`.
pub fn holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = |month, day| NaiveDate::from_ymd_opt(year, month, day).expect("valid fixed holiday");
    let mut days = vec![
        nth_weekday(year, 1, Weekday::Mon, 3),  // Martin Luther King Jr. Day
        nth_weekday(year, 2, Weekday::Mon, 3),  // Washington's Birthday
        easter(year) - Duration::days(2),       // Good Friday
        last_weekday(year, 5, Weekday::Mon),    // Memorial Day
        observed(fixed(7, 4)),                  // Independence Day
        nth_weekday(year, 9, Weekday::Mon, 1),  // Labor Day
        nth_weekday(year, 11, Weekday::Thu, 4), // Thanksgiving
        observed(fixed(12, 25)),                // Christmas
    ];
    // New Year's Day on a Saturday is not observed on the Friday before (that is another year's last day).
    let new_year = fixed(1, 1);
    if new_year.weekday() != Weekday::Sat {
        days.push(observed(new_year));
    }
    if year >= 2022 {
        days.push(observed(fixed(6, 19))); // Juneteenth
    }
    days.sort();
    days
}

/// True when `date` is a regular NYSE trading day.
pub fn is_trading_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && !holidays(date.year()).contains(&date)
}

/// True for the days the NYSE closes at 13:00: the day before Independence
/// Day, the day after Thanksgiving, and Christmas Eve (when they trade).
fn is_early_close(date: NaiveDate) -> bool {
    let year = date.year();
    let july_3 = NaiveDate::from_ymd_opt(year, 7, 3).expect("valid date");
    let after_thanksgiving = nth_weekday(year, 11, Weekday::Thu, 4) + Duration::days(1);
    let christmas_eve = NaiveDate::from_ymd_opt(year, 12, 24).expect("valid date");
    (date == july_3 && date.weekday() != Weekday::Fri) || date == after_thanksgiving || date == christmas_eve
}

fn at_new_york(date: NaiveDate, time: NaiveTime) -> Option<Timestamp> {
    let local = New_York.from_local_datetime(&date.and_time(time)).single()?;
    Timestamp::from_naive_utc(local.naive_utc())
}

/// The regular session on `date`, `None` when the exchange does not trade then.
pub fn session(date: NaiveDate) -> Option<Session> {
    if !is_trading_day(date) {
        return None;
    }
    let open = at_new_york(date, NaiveTime::from_hms_opt(9, 30, 0)?)?;
    let close_time = if is_early_close(date) {
        NaiveTime::from_hms_opt(13, 0, 0)?
    } else {
        NaiveTime::from_hms_opt(16, 0, 0)?
    };
    Some(Session { date, open, close: at_new_york(date, close_time)? })
}

/// The exchange date of an instant (its calendar date in New York).
pub fn exchange_date(ts: Timestamp) -> NaiveDate {
    ts.to_utc().with_timezone(&New_York).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn holidays_match_the_published_2024_and_2021_calendars() {
        // NYSE 2024: Jan 1, Jan 15, Feb 19, Mar 29, May 27, Jun 19, Jul 4, Sep 2, Nov 28, Dec 25.
        let expected: Vec<NaiveDate> =
            [(1, 1), (1, 15), (2, 19), (3, 29), (5, 27), (6, 19), (7, 4), (9, 2), (11, 28), (12, 25)]
                .iter()
                .map(|&(m, d)| day(2024, m, d))
                .collect();
        assert_eq!(holidays(2024), expected);
        // 2021: Independence Day on a Sunday is observed Monday Jul 5; Christmas (Sat) on Friday Dec 24;
        // New Year 2022 (Sat) is not observed on Dec 31, 2021.
        let h2021 = holidays(2021);
        assert!(h2021.contains(&day(2021, 7, 5)) && h2021.contains(&day(2021, 12, 24)));
        assert!(is_trading_day(day(2021, 12, 31)));
        assert!(!is_trading_day(day(2022, 6, 20)), "Juneteenth 2022 (Sunday) observed Monday");
    }

    #[test]
    fn sessions_follow_daylight_saving_and_early_closes() {
        let utc = |s: Session| {
            (s.open.to_utc().format("%H:%M").to_string(), s.close.to_utc().format("%H:%M").to_string())
        };
        // Winter (EST, UTC-5) and summer (EDT, UTC-4).
        assert_eq!(utc(session(day(2024, 1, 10)).unwrap()), ("14:30".into(), "21:00".into()));
        assert_eq!(utc(session(day(2024, 7, 10)).unwrap()), ("13:30".into(), "20:00".into()));
        // The Monday after DST starts (2024-03-10) opens an hour earlier in UTC.
        assert_eq!(utc(session(day(2024, 3, 11)).unwrap()).0, "13:30");
        // Day after Thanksgiving 2024 closes at 13:00 New York = 18:00 UTC.
        assert_eq!(utc(session(day(2024, 11, 29)).unwrap()).1, "18:00");
        assert!(session(day(2024, 11, 28)).is_none(), "Thanksgiving");
        assert!(session(day(2024, 3, 30)).is_none(), "Saturday");
    }

    #[test]
    fn exchange_date_is_the_new_york_date() {
        // 2024-01-10 02:00 UTC is still January 9 in New York.
        let ts = Timestamp::from_naive_utc(day(2024, 1, 10).and_hms_opt(2, 0, 0).unwrap()).unwrap();
        assert_eq!(exchange_date(ts), day(2024, 1, 9));
    }
}
