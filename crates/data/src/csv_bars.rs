//! OHLCV bars from CSV files.
//!
//! The layout is the one backtesting.py reads and writes: the first column
//! holds the date or date-time (its header may be empty), followed by
//! `Open, High, Low, Close` and optionally `Volume`, matched case-insensitively
//! and in any order. Any other column is ignored; a column we read may
//! appear only once. A gzip-compressed file (`prices.csv.gz`) is read as it is.

use crate::DataError;
use crate::error::excerpt;
use crate::timestamp::parse_timestamp;
use crate::validate::{RawRow, checked_bar};
use gt_model::{Bar, BarSeries, Symbol, Timestamp};
use std::io::Read;
use std::path::Path;

/// Column positions of the fields we read, found from the header.
struct Columns {
    open: usize,
    high: usize,
    low: usize,
    close: usize,
    volume: Option<usize>,
    adj_close: Option<usize>,
}

/// The names an adjusted-close column goes by (Yahoo's `Adj Close`, …).
const ADJ_CLOSE_NAMES: [&str; 4] = ["Adj Close", "Adj_Close", "AdjClose", "Adjusted Close"];

impl Columns {
    fn find(file: &Path, header: &csv::StringRecord) -> Result<Self, DataError> {
        if let [only] = header.iter().collect::<Vec<_>>()[..] {
            for (separator, named) in [(';', "';'"), ('\t', "tabs"), ('|', "'|'")] {
                if only.contains(separator) {
                    return Err(DataError::Separator {
                        file: file.to_path_buf(),
                        separator: named.to_owned(),
                    });
                }
            }
        }
        let position = |name: &str| {
            let mut at =
                header.iter().enumerate().skip(1).filter(|(_, h)| h.trim().eq_ignore_ascii_case(name));
            match (at.next(), at.next()) {
                (Some((first, _)), Some((second, h))) => Err(DataError::DuplicateColumn {
                    file: file.to_path_buf(),
                    name: h.trim().to_owned(),
                    first: first + 1,
                    second: second + 1,
                }),
                (first, _) => Ok(first.map(|(i, _)| i)),
            }
        };
        let required = ["Open", "High", "Low", "Close"];
        let found: Vec<Option<usize>> =
            required.iter().map(|name| position(name)).collect::<Result<_, _>>()?;
        let missing: Vec<&str> =
            required.iter().zip(&found).filter(|(_, at)| at.is_none()).map(|(n, _)| *n).collect();
        if !missing.is_empty() || header.len() < 2 {
            let missing = if missing.is_empty() { "date".to_owned() } else { missing.join(", ") };
            return Err(DataError::MissingColumns {
                file: file.to_path_buf(),
                missing,
                found: header.iter().collect::<Vec<_>>().join(", "),
            });
        }
        Ok(Self {
            open: found[0].unwrap_or_default(),
            high: found[1].unwrap_or_default(),
            low: found[2].unwrap_or_default(),
            close: found[3].unwrap_or_default(),
            volume: position("Volume")?,
            adj_close: ADJ_CLOSE_NAMES.iter().find_map(|name| position(name).ok().flatten()),
        })
    }
}

/// How a CSV file's prices are taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Prices {
    /// As traded: an `Adj Close` column is not used.
    #[default]
    AsTraded,
    /// Scaled by `Adj Close / Close` (open, high, low and close; volume the
    /// other way), as the bundled sample is, so splits and dividends do not
    /// show as jumps; the file must have the column.
    Adjusted,
}

/// True when the CSV file at `path` has an adjusted-close column (its header alone is read).
pub fn has_adjusted_close(path: &Path) -> Result<bool, DataError> {
    let mut csv = open_csv(path)?;
    let header = csv.headers().map_err(|e| DataError::Io { file: path.to_path_buf(), source: e.into() })?;
    Ok(header.iter().any(|h| ADJ_CLOSE_NAMES.iter().any(|name| h.trim().eq_ignore_ascii_case(name))))
}

/// The CSV file at `path` (gzip or not), for a look at its header or first row.
fn open_csv(path: &Path) -> Result<csv::Reader<Box<dyn Read>>, DataError> {
    let io = |source| DataError::Io { file: path.to_path_buf(), source };
    let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    let gzip = std::io::BufRead::fill_buf(&mut file).map_err(io)?.starts_with(&[0x1f, 0x8b]);
    let reader: Box<dyn Read> =
        if gzip { Box::new(flate2::bufread::MultiGzDecoder::new(file)) } else { Box::new(file) };
    Ok(csv::ReaderBuilder::new().has_headers(true).from_reader(reader))
}

/// Whether the first bar's time in the CSV file at `path` is a time of day
/// written without a UTC offset (`2024-01-10 09:30:00`, not `…-05:00` or `…Z`):
/// such times could be UTC or the exchange's.
pub fn has_naive_times_of_day(path: &Path) -> Result<bool, DataError> {
    let mut csv = open_csv(path)?;
    let Some(Ok(first)) = csv.records().next() else { return Ok(false) };
    let text = first.get(0).unwrap_or_default().trim();
    let time = text.get(10..).unwrap_or_default();
    let has_offset = time.ends_with('Z') || time.ends_with('z') || time.rfind(['+', '-']).is_some();
    Ok(!time.is_empty() && !has_offset)
}

/// Loads and validates the bars of `symbol` from the CSV file at `path`, prices as traded.
pub fn load(path: &Path, symbol: Symbol) -> Result<BarSeries, DataError> {
    load_prices(path, symbol, Prices::AsTraded)
}

/// Loads and validates the bars of `symbol` from the CSV file at `path`, prices as `prices` says.
pub fn load_prices(path: &Path, symbol: Symbol, prices: Prices) -> Result<BarSeries, DataError> {
    let io = |source| DataError::Io { file: path.to_path_buf(), source };
    let mut file = std::io::BufReader::new(std::fs::File::open(path).map_err(io)?);
    // gzip's magic number: read the file through a decoder.
    if std::io::BufRead::fill_buf(&mut file).map_err(io)?.starts_with(&[0x1f, 0x8b]) {
        return read_prices(flate2::bufread::MultiGzDecoder::new(file), path, symbol, prices);
    }
    read_prices(file, path, symbol, prices)
}

/// Reads and validates CSV bars from `reader`; `source` names it in errors.
pub fn read(reader: impl Read, source: &Path, symbol: Symbol) -> Result<BarSeries, DataError> {
    read_prices(reader, source, symbol, Prices::AsTraded)
}

/// Like [`read`], prices as `prices` says.
fn read_prices(
    reader: impl Read,
    source: &Path,
    symbol: Symbol,
    prices: Prices,
) -> Result<BarSeries, DataError> {
    let malformed = |error: csv::Error| match error.kind() {
        csv::ErrorKind::Io(_) => {
            DataError::Io { file: source.to_path_buf(), source: std::io::Error::other(error.to_string()) }
        }
        _ => DataError::Malformed {
            file: source.to_path_buf(),
            line: error.position().map_or(1, csv::Position::line),
            message: error.to_string(),
        },
    };
    let mut csv = csv::ReaderBuilder::new().has_headers(true).from_reader(reader);
    let header = csv.headers().map_err(malformed)?.clone();
    if header.is_empty() || header.iter().all(|h| h.trim().is_empty()) {
        return Err(DataError::Empty { file: source.to_path_buf() });
    }
    let columns = Columns::find(source, &header)?;
    let adjust_by = match (prices, columns.adj_close) {
        (Prices::AsTraded, _) => None,
        (Prices::Adjusted, Some(column)) => Some(column),
        (Prices::Adjusted, None) => return Err(DataError::NoAdjustedClose { file: source.to_path_buf() }),
    };

    let mut series = BarSeries::with_capacity(symbol, 4096);
    let mut record = csv::StringRecord::new();
    // The previous row's time, line and text (one buffer, reused: no allocation per row).
    let mut previous: Option<(Timestamp, u64)> = None;
    let mut previous_text = String::new();
    while csv.read_record(&mut record).map_err(malformed)? {
        let line = record.position().map_or(0, csv::Position::line);
        let field = |index: usize| record.get(index).unwrap_or("");
        let date_text = field(0);
        let ts = parse_timestamp(date_text).ok_or_else(|| DataError::BadTimestamp {
            file: source.to_path_buf(),
            line,
            value: excerpt(date_text),
        })?;
        if let Some((previous_ts, previous_line)) = &previous {
            if ts == *previous_ts {
                return Err(DataError::Duplicate {
                    file: source.to_path_buf(),
                    line,
                    first_line: *previous_line,
                    value: date_text.to_owned(),
                });
            }
            if ts < *previous_ts {
                return Err(DataError::Unsorted {
                    file: source.to_path_buf(),
                    line,
                    previous: previous_text.clone(),
                    current: date_text.to_owned(),
                });
            }
        }
        let row = RawRow {
            line,
            open: field(columns.open),
            high: field(columns.high),
            low: field(columns.low),
            close: field(columns.close),
            volume: columns.volume.map(field),
        };
        let mut bar = checked_bar(source, &row, ts)?;
        if let Some(column) = adjust_by {
            let adjusted = field(column).trim().parse::<f64>().ok().filter(|a| a.is_finite() && *a > 0.0);
            let Some(factor) = adjusted.map(|a| a / bar.close).filter(|f| f.is_finite() && *f > 0.0) else {
                return Err(DataError::BadAdjustedClose {
                    file: source.to_path_buf(),
                    line,
                    value: excerpt(field(column)),
                });
            };
            bar = Bar {
                ts,
                open: bar.open * factor,
                high: bar.high * factor,
                low: bar.low * factor,
                close: bar.close * factor,
                volume: bar.volume / factor,
            };
        }
        series.push(bar);
        previous = Some((ts, line));
        previous_text.clear();
        previous_text.push_str(date_text);
    }
    if series.is_empty() {
        return Err(DataError::Empty { file: source.to_path_buf() });
    }
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> Result<BarSeries, DataError> {
        read(text.as_bytes(), Path::new("t.csv"), Symbol::new("T"))
    }

    #[test]
    fn reads_backtesting_py_layout_with_unnamed_date_column() {
        let series =
            parse(",Open,High,Low,Close,Volume\n2004-08-19,100,104.06,95.96,100.34,22351900\n").unwrap();
        assert_eq!(series.len(), 1);
        assert_eq!(series.bar(0).close, 100.34);
        assert_eq!(series.bar(0).volume, 22351900.0);
    }

    #[test]
    fn header_names_are_case_insensitive_and_volume_optional() {
        let series = parse("Date,close,LOW,high,open\n2020-01-02 09:30:00,2,1,3,2\n").unwrap();
        let bar = series.bar(0);
        assert_eq!((bar.open, bar.high, bar.low, bar.close, bar.volume), (2.0, 3.0, 1.0, 2.0, 0.0));
        assert!(!bar.ts.is_midnight());
    }

    #[test]
    fn each_bad_row_names_line_and_field() {
        let head = "Date,Open,High,Low,Close,Volume\n";
        let cases = [
            (
                "2020-01-02,1,2,1,2,1\n2020-01-01,1,2,1,2,1\n",
                "t.csv:3: field 'date': 2020-01-01 comes before",
            ),
            (
                "2020-01-02,1,2,1,2,1\n2020-01-02,1,2,1,2,1\n",
                "t.csv:3: field 'date': duplicate timestamp 2020-01-02 (already on line 2)",
            ),
            ("2020-01-02,x,2,1,2,1\n", "t.csv:2: field 'open': \"x\" is not a finite number"),
            ("2020-01-02,1,NaN,1,2,1\n", "t.csv:2: field 'high': \"NaN\" is not a finite number"),
            ("2020-01-02,1,2,-1,2,1\n", "t.csv:2: field 'low': -1 is negative or zero"),
            ("2020-01-02,1,2,1,2,-5\n", "t.csv:2: field 'volume': -5 is negative"),
            ("2020-01-02,1,1,2,1,1\n", "t.csv:2: field 'high': high 1 is below low 2"),
            ("2020-01-02,3,2,1,2,1\n", "t.csv:2: field 'open': 3 is outside the bar's range [low 1, high 2]"),
            ("2020-01-02,1,2,1,0.5,1\n", "t.csv:2: field 'close': 0.5 is outside"),
            ("02/01/2020,1,2,1,2,1\n", "t.csv:2: field 'date': cannot parse \"02/01/2020\""),
        ];
        for (rows, expected) in cases {
            let message = parse(&format!("{head}{rows}")).unwrap_err().to_string();
            assert!(message.starts_with(expected), "{message}");
        }
    }

    #[test]
    fn a_huge_bad_field_is_quoted_short() {
        let huge = "x".repeat(5_000_000);
        for row in [format!("{huge},1,2,1,2,1"), format!("2020-01-02,{huge},2,1,2,1")] {
            let message =
                parse(&format!("Date,Open,High,Low,Close,Volume\n{row}\n")).unwrap_err().to_string();
            assert!(message.len() < 400, "{} bytes", message.len());
            assert!(message.contains("... (5000000 characters)"), "{message}");
        }
    }

    #[test]
    fn a_column_twice_and_other_separators_are_refused() {
        let twice =
            parse("Date,Open,High,Low,Close,open\n2020-01-02,1,2,0.5,1.5,9\n").unwrap_err().to_string();
        assert!(twice.contains("column open appears twice (columns 2 and 6)"), "{twice}");
        let semicolons = parse("Date;Open;High;Low;Close\n2020-01-02;1;2;0.5;1.5\n").unwrap_err().to_string();
        assert!(semicolons.contains("separated by ';', not commas"), "{semicolons}");
        let tabs = parse("Date\tOpen\tHigh\tLow\tClose\n").unwrap_err().to_string();
        assert!(tabs.contains("separated by tabs"), "{tabs}");
    }

    #[test]
    fn an_adjusted_close_is_applied_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("split.csv");
        // A 2:1 split between the two days: Adj Close halves the first day's prices.
        std::fs::write(&path, "Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,100,110,90,100,50,10\n2020-01-03,52,55,50,51,51,20\n").unwrap();
        assert!(has_adjusted_close(&path).unwrap());
        let raw = load(&path, Symbol::new("S")).unwrap();
        assert_eq!(raw.closes(), [100.0, 51.0]);
        let adjusted = load_prices(&path, Symbol::new("S"), Prices::Adjusted).unwrap();
        assert_eq!(adjusted.closes(), [50.0, 51.0]);
        assert_eq!((adjusted.bar(0).high, adjusted.bar(0).volume), (55.0, 20.0));
        let plain = dir.path().join("plain.csv");
        std::fs::write(&plain, "Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1.5\n").unwrap();
        assert!(!has_adjusted_close(&plain).unwrap());
        let error = load_prices(&plain, Symbol::new("P"), Prices::Adjusted).unwrap_err().to_string();
        assert!(error.contains("no Adj Close column"), "{error}");
    }

    #[test]
    fn a_gzip_file_is_read_as_it_is() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prices.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"Date,Open,High,Low,Close\n2020-01-02,1,2,0.5,1.5\n2020-01-03,1.5,2,1,1.8\n").unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let series = load(&path, Symbol::new("X")).unwrap();
        assert_eq!((series.len(), series.closes()[1]), (2, 1.8));
    }

    #[test]
    fn missing_columns_and_empty_files_are_refused() {
        let message = parse("Date,Open,Close\n2020-01-02,1,1\n").unwrap_err().to_string();
        assert!(message.contains("missing column(s) High, Low"), "{message}");
        assert!(parse("").unwrap_err().to_string().contains("empty"));
        assert!(parse("Date,Open,High,Low,Close\n").unwrap_err().to_string().contains("empty"));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = read(bytes.as_slice(), Path::new("fuzz.csv"), Symbol::new("F"));
        }

        #[test]
        fn random_csv_like_text_never_panics(text in "[,0-9a-zA-Z.\\-: \n\"]{0,300}") {
            let _ = parse(&format!("Date,Open,High,Low,Close,Volume\n{text}"));
        }
    }
}
