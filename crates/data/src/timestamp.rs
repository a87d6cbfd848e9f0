//! Parsing of the date column: ISO dates and date-times, with or without an offset.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use gt_model::Timestamp;

/// Date-time layouts accepted without an offset (read as UTC).
const NAIVE_FORMATS: [&str; 4] =
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"];

/// Parses `2004-08-19`, `2004-08-19 15:30:00[.123]`, `2004-08-19T15:30`, or an
/// RFC 3339 date-time with offset (converted to UTC). Dates key to midnight UTC.
pub fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Some(ts) = parse_plain(text) {
        return Some(ts);
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Timestamp::from_naive_utc(date.and_hms_opt(0, 0, 0)?);
    }
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(text) {
        return Timestamp::from_naive_utc(with_offset.naive_utc());
    }
    if let Ok(with_offset) = DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Timestamp::from_naive_utc(with_offset.naive_utc());
    }
    NAIVE_FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .and_then(Timestamp::from_naive_utc)
}

/// The layouts nearly every file uses, read by hand without chrono's format
/// parser (a file of a million bars spends most of its parsing here):
/// `YYYY-MM-DD` and `YYYY-MM-DD[ T]HH:MM[:SS]`. Anything else, or a value out
/// of range, is left to the general parser.
fn parse_plain(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let number = |from: usize, to: usize| -> Option<u32> {
        b.get(from..to)?
            .iter()
            .try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(number(0, 4)?).ok()?, number(5, 7)?, number(8, 10)?)?;
    let time_separator = b.len() > 10 && matches!(b[10], b' ' | b'T') && b.get(13) == Some(&b':');
    let (hour, minute, second) = match b.len() {
        10 => (0, 0, 0),
        16 if time_separator => (number(11, 13)?, number(14, 16)?, 0),
        19 if time_separator && b[16] == b':' => (number(11, 13)?, number(14, 16)?, number(17, 19)?),
        _ => return None,
    };
    Timestamp::from_naive_utc(date.and_hms_opt(hour, minute, second)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dates_datetimes_and_offsets() {
        let day = parse_timestamp("2004-08-19").unwrap();
        assert!(day.is_midnight());
        let noon = parse_timestamp("2004-08-19 12:00:00").unwrap();
        assert_eq!(noon.days_since(day), 0.5);
        assert_eq!(parse_timestamp("2004-08-19T12:00").unwrap(), noon);
        assert_eq!(parse_timestamp("2004-08-19T14:00:00+02:00").unwrap(), noon);
        assert_eq!(parse_timestamp("2004-08-19 12:00:00.000").unwrap(), noon);
    }

    #[test]
    fn the_hand_reader_agrees_with_chrono() {
        for text in
            ["2004-08-19", "2004-08-19 12:34:56", "2004-08-19T12:34", "2024-02-29 23:59:59", "1970-01-01"]
        {
            let by_hand = parse_plain(text).unwrap();
            let by_chrono = NAIVE_FORMATS
                .iter()
                .chain(&["%Y-%m-%d %H:%M:%S"])
                .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
                .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0))
                .and_then(Timestamp::from_naive_utc)
                .unwrap();
            assert_eq!(by_hand, by_chrono, "{text}");
        }
        for other in
            ["2004-08-19 12:34:56.5", "2004-08-19T12:34:56Z", "2023-02-29", "2004-08-19 24:00", "20040819"]
        {
            assert_eq!(parse_plain(other), None, "{other}");
        }
    }

    #[test]
    fn rejects_non_dates() {
        for bad in ["", "yesterday", "2004-13-01", "19/08/2004", "2004-08-19 25:00:00"] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
