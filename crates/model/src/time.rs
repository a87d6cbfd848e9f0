use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use std::fmt;

/// Nanoseconds in one day.
pub const NANOS_PER_DAY: i64 = 86_400 * 1_000_000_000;

/// A point in time: nanoseconds since the Unix epoch, UTC.
///
/// Daily bars are keyed by their exchange date at midnight UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// Wraps nanoseconds since the Unix epoch.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn nanos(self) -> i64 {
        self.0
    }

    /// Converts a naive UTC date-time; `None` outside the ±292-year range of `i64` nanoseconds.
    pub fn from_naive_utc(datetime: NaiveDateTime) -> Option<Self> {
        datetime.and_utc().timestamp_nanos_opt().map(Self)
    }

    /// The UTC calendar date-time of this instant.
    pub fn to_utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.0)
    }

    /// Whole days since the epoch (floor), the calendar day in UTC.
    pub fn epoch_day(self) -> i64 {
        self.0.div_euclid(NANOS_PER_DAY)
    }

    /// True when the instant is exactly midnight UTC (how daily bars are keyed).
    pub fn is_midnight(self) -> bool {
        self.0.rem_euclid(NANOS_PER_DAY) == 0
    }

    /// Days (fractional) from `earlier` to `self`.
    pub fn days_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / NANOS_PER_DAY as f64
    }

    /// Renders the instant in `format`.
    pub fn display(self, format: TimeFormat) -> FormattedTime {
        FormattedTime(self, format)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64::deserialize(deserializer).map(Self)
    }
}

/// How timestamps of a series are written: dates alone for daily data, date-times otherwise.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TimeFormat {
    /// `2004-08-19`.
    Date,
    /// `2004-08-19 15:30:00` (sub-second digits when present).
    DateTime,
}

/// An instant and how to write it: formatted only when displayed or
/// serialized (as a string), so a million-point equity curve that is never
/// printed costs no formatting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormattedTime(Timestamp, TimeFormat);

impl fmt::Display for FormattedTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let utc = self.0.to_utc();
        let (year, month, day) = (utc.year(), utc.month(), utc.day());
        if !(0..=9999).contains(&year) {
            return match self.1 {
                TimeFormat::Date => write!(f, "{}", utc.format("%Y-%m-%d")),
                TimeFormat::DateTime => write!(f, "{}", utc.format("%Y-%m-%d %H:%M:%S%.f")),
            };
        }
        // Written field by field: chrono's strftime parses its pattern on every call.
        match self.1 {
            TimeFormat::Date => write!(f, "{year:04}-{month:02}-{day:02}"),
            TimeFormat::DateTime => {
                let (hour, minute, second) = (utc.hour(), utc.minute(), utc.second());
                write!(f, "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")?;
                // As chrono's `%.f`: milli-, micro- or nanoseconds, whichever is exact.
                match utc.nanosecond() {
                    0 => Ok(()),
                    nanos if nanos % 1_000_000 == 0 => write!(f, ".{:03}", nanos / 1_000_000),
                    nanos if nanos % 1_000 == 0 => write!(f, ".{:06}", nanos / 1_000),
                    nanos => write!(f, ".{nanos:09}"),
                }
            }
        }
    }
}

impl serde::Serialize for FormattedTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn daily_timestamps_render_as_dates() {
        let day = NaiveDate::from_ymd_opt(2004, 8, 19).unwrap().and_hms_opt(0, 0, 0).unwrap();
        let ts = Timestamp::from_naive_utc(day).unwrap();
        assert!(ts.is_midnight());
        assert_eq!(ts.display(TimeFormat::Date).to_string(), "2004-08-19");
        assert_eq!(ts.display(TimeFormat::DateTime).to_string(), "2004-08-19 00:00:00");
    }

    #[test]
    fn the_written_fields_agree_with_chrono() {
        let nanos = [
            0,
            1_092_873_600_000_000_000,
            1_577_891_400_000_000_000,
            1_577_891_400_120_000_000,
            1_577_891_400_000_120_000,
            1_577_891_400_000_000_120,
            -1_000_000_000,
            i64::MAX,
        ];
        for ns in nanos {
            let ts = Timestamp::from_nanos(ns);
            let utc = ts.to_utc();
            assert_eq!(ts.display(TimeFormat::Date).to_string(), utc.format("%Y-%m-%d").to_string());
            assert_eq!(
                ts.display(TimeFormat::DateTime).to_string(),
                utc.format("%Y-%m-%d %H:%M:%S%.f").to_string()
            );
        }
        assert_eq!(
            serde_json::to_string(&Timestamp::from_nanos(0).display(TimeFormat::Date)).unwrap(),
            "\"1970-01-01\""
        );
    }

    #[test]
    fn days_since_is_fractional_for_intraday_gaps() {
        let a = Timestamp::from_nanos(0);
        let b = Timestamp::from_nanos(NANOS_PER_DAY / 4);
        assert_eq!(b.days_since(a), 0.25);
    }
}
