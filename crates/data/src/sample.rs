//! The sample data bundled in the binary, so a backtest runs with no file.

use crate::{DataError, csv_bars};
use gt_model::{BarSeries, Symbol};
use std::path::Path;

/// Alphabet (GOOG) daily OHLCV, 2004-08-19 to 2013-03-01 (2,148 bars): the
/// sample backtesting.py ships, also at `data/sample/GOOG.csv` in the repository.
const GOOG_CSV: &str = include_str!("../../../data/sample/GOOG.csv");

/// Name the bundled sample is reported under in messages and reports.
pub const SAMPLE_NAME: &str = "<bundled sample GOOG daily 2004-2013>";

/// The bundled GOOG daily bars.
pub fn goog() -> Result<BarSeries, DataError> {
    csv_bars::read(GOOG_CSV.as_bytes(), Path::new(SAMPLE_NAME), Symbol::new("GOOG"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn bundled_sample_has_2148_valid_bars() {
        let series = super::goog().unwrap();
        assert_eq!(series.len(), 2148);
        assert_eq!(series.bar(0).open, 100.0);
        assert_eq!(series.bar(2147).close, 806.19);
    }
}
