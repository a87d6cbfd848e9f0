use std::path::PathBuf;

/// Why bars could not be loaded. Every variant names the source (file or
/// `<sample>`), and row-level variants the 1-based line and the field.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// Source of the bars.
        file: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The CSV structure itself is broken (ragged row, bad quoting, invalid UTF-8).
    #[error("{file}:{line}: malformed CSV: {message}")]
    Malformed {
        /// Source of the bars.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// What the CSV reader reported.
        message: String,
    },
    /// The file has no header or no data rows.
    #[error("{file}: no bars: the file is empty (expected a header row and at least one bar)")]
    Empty {
        /// Source of the bars.
        file: PathBuf,
    },
    /// Required columns are absent from the header.
    #[error(
        "{file}:1: missing column(s) {missing}; found [{found}] (need a date column first, then Open, High, Low, Close and optionally Volume)"
    )]
    MissingColumns {
        /// Source of the bars.
        file: PathBuf,
        /// Comma-separated names of the missing columns.
        missing: String,
        /// Comma-separated header as found.
        found: String,
    },
    /// Adjusted prices were asked of a file without an adjusted-close column.
    #[error("{file}: --adjust needs an Adj Close column, and the file has no Adj Close column")]
    NoAdjustedClose {
        /// Source of the bars.
        file: PathBuf,
    },
    /// An adjusted close that cannot scale the bar.
    #[error("{file}:{line}: field 'adj close': {value} is not a positive number")]
    BadAdjustedClose {
        /// Source of the bars.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The value, quoted short.
        value: String,
    },
    /// A column we read appears twice in the header.
    #[error("{file}:1: column {name} appears twice (columns {first} and {second}); keep one")]
    DuplicateColumn {
        /// Source of the bars.
        file: PathBuf,
        /// The column's name as in the header.
        name: String,
        /// 1-based position of its first appearance.
        first: usize,
        /// 1-based position of the second.
        second: usize,
    },
    /// The file is separated by something other than commas.
    #[error(
        "{file}:1: the columns are separated by {separator}, not commas; save the file as comma-separated CSV"
    )]
    Separator {
        /// Source of the bars.
        file: PathBuf,
        /// What separates them (`';'`, a tab).
        separator: String,
    },
    /// The date column does not hold an ISO date or date-time.
    #[error(
        "{file}:{line}: field 'date': cannot parse {value:?} as a date or date-time (use ISO 8601, e.g. 2004-08-19 or 2004-08-19 15:30:00)"
    )]
    BadTimestamp {
        /// Source of the bars.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// The text found.
        value: String,
    },
    /// A price or volume is not a finite number.
    #[error("{file}:{line}: field '{field}': {value:?} is not a finite number")]
    NotANumber {
        /// Source of the bars.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        field: &'static str,
        /// The text found.
        value: String,
    },
    /// A price is zero or negative, or the volume is negative.
    #[error("{file}:{line}: field '{field}': {value} is negative{}", if *.field == "volume" { "" } else { " or zero (prices must be > 0)" })]
    NonPositive {
        /// Source of the bars.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Column name.
        field: &'static str,
        /// The value found.
        value: f64,
    },
    /// The high is below the low.
    #[error("{file}:{line}: field 'high': high {high} is below low {low}")]
    HighBelowLow {
        /// Source of the bars.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// High price found.
        high: f64,
        /// Low price found.
        low: f64,
    },
    /// The open or close lies outside the bar's low–high range.
    #[error("{file}:{line}: field '{field}': {value} is outside the bar's range [low {low}, high {high}]")]
    OutsideRange {
        /// Source of the bars.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// `open` or `close`.
        field: &'static str,
        /// The value found.
        value: f64,
        /// Low of the bar.
        low: f64,
        /// High of the bar.
        high: f64,
    },
    /// A timestamp is earlier than the one before it.
    #[error(
        "{file}:{line}: field 'date': {current} comes before the previous row's {previous}; sort the file by date"
    )]
    Unsorted {
        /// Source of the bars.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Previous row's timestamp as written.
        previous: String,
        /// This row's timestamp as written.
        current: String,
    },
    /// A timestamp repeats the one before it.
    #[error(
        "{file}:{line}: field 'date': duplicate timestamp {value} (already on line {first_line}); remove one of the rows"
    )]
    Duplicate {
        /// Source of the bars.
        file: PathBuf,
        /// 1-based line number.
        line: u64,
        /// Line of the first occurrence.
        first_line: u64,
        /// The timestamp as written.
        value: String,
    },
    /// No built-in universe has this name.
    #[error("unknown universe '{name}'; built-in universes: {known}")]
    UnknownUniverse {
        /// Name asked for.
        name: String,
        /// Comma-separated known names.
        known: String,
    },
    /// A cache file is damaged or not a cache file.
    #[error(
        "{file}: cannot read cached bars: {reason}; delete the file and fetch or import the symbol again"
    )]
    CorruptCache {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Characters of an offending value quoted in an error, at most.
const QUOTED_CHARS: usize = 80;

/// `text` as an error quotes it: whole when short, else its start and its length.
pub(crate) fn excerpt(text: &str) -> String {
    let length = text.chars().count();
    if length <= QUOTED_CHARS {
        return text.to_owned();
    }
    let start: String = text.chars().take(QUOTED_CHARS - 3).collect();
    format!("{start}... ({length} characters)")
}
