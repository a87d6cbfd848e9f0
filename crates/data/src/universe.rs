//! Named sets of symbols: the built-in universes bundled in the binary.

use crate::DataError;
use crate::timestamp::parse_timestamp;
use crate::validate::{check_ranges, number};
use flate2::read::GzDecoder;
use gt_model::{Bar, BarSeries, Symbol};
use std::collections::BTreeMap;
use std::path::Path;

/// Public-domain daily prices of AAPL, FB, GOOG, IBM and MSFT, 2000–2013
/// (Quandl WIKI via bokeh-sampledata): columns Ticker, Date, OHLCV, Adj Close.
const SAMPLE_STOCKS: &[u8] = include_bytes!("../../../data/sample/stocks_2000_2013.csv.gz");

/// The universes built into the binary, with a one-line description.
pub const BUILT_IN: &[(&str, &str)] =
    &[("sample", "AAPL, FB, GOOG, IBM, MSFT daily 2000-2013, split- and dividend-adjusted (public domain)")];

/// Large, liquid US stocks and ETFs: the universe `us_liquid`, a starting
/// list whose bars come from the local cache (nothing is bundled).
pub const US_LIQUID: [&str; 12] =
    ["SPY", "QQQ", "IWM", "AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "JPM", "XOM", "JNJ"];

/// The bars of every symbol in the built-in universe `name`, sorted by symbol.
pub fn load(name: &str) -> Result<Vec<BarSeries>, DataError> {
    match name {
        "sample" => sample_stocks(),
        _ => Err(DataError::UnknownUniverse {
            name: name.to_owned(),
            known: BUILT_IN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// Reads the sample stocks, scaling open, high, low and close by
/// `Adj Close / Close` so splits (AAPL 2000 and 2005, MSFT 2003) and
/// dividends do not show as crashes; volume is scaled the other way.
fn sample_stocks() -> Result<Vec<BarSeries>, DataError> {
    let source = Path::new("<bundled universe 'sample'>");
    let mut reader = csv::Reader::from_reader(GzDecoder::new(SAMPLE_STOCKS));
    let mut rows: BTreeMap<String, Vec<Bar>> = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| DataError::Malformed {
            file: source.to_path_buf(),
            line: e.position().map_or(0, csv::Position::line),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let field = |i: usize| record.get(i).unwrap_or("");
        let ts = parse_timestamp(field(1)).ok_or_else(|| DataError::BadTimestamp {
            file: source.to_path_buf(),
            line,
            value: field(1).to_owned(),
        })?;
        let close = number(source, line, "close", field(5))?;
        let factor = number(source, line, "adj close", field(7))? / close;
        let bar = Bar {
            ts,
            open: number(source, line, "open", field(2))? * factor,
            high: number(source, line, "high", field(3))? * factor,
            low: number(source, line, "low", field(4))? * factor,
            close: close * factor,
            volume: number(source, line, "volume", field(6))? / factor,
        };
        rows.entry(field(0).to_owned()).or_default().push(check_ranges(source, line, bar)?);
    }
    Ok(rows
        .into_iter()
        .map(|(ticker, mut bars)| {
            bars.sort_by_key(|b| b.ts);
            bars.dedup_by_key(|b| b.ts);
            let mut series = BarSeries::with_capacity(Symbol::new(&ticker), bars.len());
            bars.into_iter().for_each(|bar| series.push(bar));
            series
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_universe_has_five_adjusted_stocks() {
        let universe = load("sample").unwrap();
        let symbols: Vec<&str> = universe.iter().map(|s| s.symbol().as_str()).collect();
        assert_eq!(symbols, ["AAPL", "FB", "GOOG", "IBM", "MSFT"]);
        let aapl = &universe[0];
        assert_eq!(aapl.len(), 3270);
        // The 2:1 splits of 2000-06-21 and 2005-02-28 are not 50 % crashes once adjusted.
        for split in ["2000-06-21", "2005-02-28"] {
            let ts = parse_timestamp(split).unwrap();
            let at = aapl.timestamps().iter().position(|t| *t == ts).unwrap();
            let change = aapl.closes()[at] / aapl.closes()[at - 1] - 1.0;
            assert!(change.abs() < 0.15, "{split}: {change}");
        }
    }

    #[test]
    fn unknown_universe_lists_the_known_ones() {
        let err = load("sp500").unwrap_err().to_string();
        assert!(err.contains("unknown universe 'sp500'; built-in universes: sample"), "{err}");
    }
}
