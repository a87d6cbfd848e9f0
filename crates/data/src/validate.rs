//! Row-level checks every bar passes before it enters a series.

use crate::DataError;
use crate::error::excerpt;
use gt_model::Bar;
use std::path::Path;

/// The raw text of one data row, with the line it came from.
pub(crate) struct RawRow<'a> {
    pub line: u64,
    pub open: &'a str,
    pub high: &'a str,
    pub low: &'a str,
    pub close: &'a str,
    pub volume: Option<&'a str>,
}

/// Parses one price or volume field; refuses text, NaN and infinities.
pub(crate) fn number(file: &Path, line: u64, field: &'static str, text: &str) -> Result<f64, DataError> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(DataError::NotANumber { file: file.to_path_buf(), line, field, value: excerpt(text) }),
    }
}

/// Parses the prices of `row` and checks they describe a possible bar:
/// prices > 0, volume ≥ 0, `low ≤ high`, open and close within `[low, high]`.
pub(crate) fn checked_bar(file: &Path, row: &RawRow<'_>, ts: gt_model::Timestamp) -> Result<Bar, DataError> {
    let line = row.line;
    let open = number(file, line, "open", row.open)?;
    let high = number(file, line, "high", row.high)?;
    let low = number(file, line, "low", row.low)?;
    let close = number(file, line, "close", row.close)?;
    let volume = match row.volume {
        Some(text) => number(file, line, "volume", text)?,
        None => 0.0,
    };
    check_ranges(file, line, Bar { ts, open, high, low, close, volume })
}

/// Checks that `bar` describes a possible bar: prices > 0, volume ≥ 0,
/// `low ≤ high`, open and close within `[low, high]`.
pub(crate) fn check_ranges(file: &Path, line: u64, bar: Bar) -> Result<Bar, DataError> {
    let Bar { open, high, low, close, volume, .. } = bar;
    for (field, value) in [("open", open), ("high", high), ("low", low), ("close", close)] {
        if value <= 0.0 {
            return Err(DataError::NonPositive { file: file.to_path_buf(), line, field, value });
        }
    }
    if volume < 0.0 {
        return Err(DataError::NonPositive {
            file: file.to_path_buf(),
            line,
            field: "volume",
            value: volume,
        });
    }
    if high < low {
        return Err(DataError::HighBelowLow { file: file.to_path_buf(), line, high, low });
    }
    for (field, value) in [("open", open), ("close", close)] {
        if value < low || value > high {
            return Err(DataError::OutsideRange { file: file.to_path_buf(), line, field, value, low, high });
        }
    }
    Ok(bar)
}
