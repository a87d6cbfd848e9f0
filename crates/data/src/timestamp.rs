//! Parsing of the date column: ISO dates and date-times, with or without an offset.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use gt_model::Timestamp;

/// Date-time layouts accepted without an offset (read as UTC).
const NAIVE_FORMATS: [&str; 4] =
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"];

/// Parses `2004-08-19`, `2004-08-19 15:30:00[.123]`, `2004-08-19T15:30`, or an
/// RFC 3339 date-time with offset (converted to UTC). Dates key to midnight UTC.
pub(crate) fn parse_timestamp(text: &str) -> Option<Timestamp> {
    let text = text.trim();
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
    fn rejects_non_dates() {
        for bad in ["", "yesterday", "2004-13-01", "19/08/2004", "2004-08-19 25:00:00"] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
