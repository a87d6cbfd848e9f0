use crate::{Symbol, TimeFormat, Timestamp};

/// One OHLCV bar: the prices of an interval that ended at or is keyed by `ts`.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Bar {
    /// When the bar is keyed (daily bars: the exchange date at midnight UTC).
    pub ts: Timestamp,
    /// First traded price of the interval.
    pub open: f64,
    /// Highest traded price of the interval.
    pub high: f64,
    /// Lowest traded price of the interval.
    pub low: f64,
    /// Last traded price of the interval.
    pub close: f64,
    /// Traded volume in units.
    pub volume: f64,
}

/// The bars of one symbol in time order, stored as columns for fast replay.
///
/// The data layer validates series before building them (sorted, unique
/// timestamps; finite non-negative prices; `low <= open, close <= high`).
#[derive(Clone, Debug)]
pub struct BarSeries {
    symbol: Symbol,
    ts: Vec<Timestamp>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

impl BarSeries {
    /// An empty series for `symbol` with room for `capacity` bars.
    pub fn with_capacity(symbol: Symbol, capacity: usize) -> Self {
        Self {
            symbol,
            ts: Vec::with_capacity(capacity),
            open: Vec::with_capacity(capacity),
            high: Vec::with_capacity(capacity),
            low: Vec::with_capacity(capacity),
            close: Vec::with_capacity(capacity),
            volume: Vec::with_capacity(capacity),
        }
    }

    /// A series from its columns; `None` unless all have the same length.
    #[allow(clippy::too_many_arguments)]
    pub fn from_columns(
        symbol: Symbol,
        ts: Vec<Timestamp>,
        open: Vec<f64>,
        high: Vec<f64>,
        low: Vec<f64>,
        close: Vec<f64>,
        volume: Vec<f64>,
    ) -> Option<Self> {
        let n = ts.len();
        [open.len(), high.len(), low.len(), close.len(), volume.len()]
            .iter()
            .all(|&len| len == n)
            .then_some(Self { symbol, ts, open, high, low, close, volume })
    }

    /// Appends a bar; the caller keeps bars in time order.
    pub fn push(&mut self, bar: Bar) {
        self.ts.push(bar.ts);
        self.open.push(bar.open);
        self.high.push(bar.high);
        self.low.push(bar.low);
        self.close.push(bar.close);
        self.volume.push(bar.volume);
    }

    /// The symbol these bars belong to.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// Number of bars.
    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// True when the series holds no bar.
    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// The bar at `index`; panics when out of range, like slice indexing.
    #[inline(always)]
    pub fn bar(&self, index: usize) -> Bar {
        let ts = self.ts[index];
        // All columns have the same length: one check covers them.
        let (open, high, low, close, volume) = (
            self.open[..self.ts.len()][index],
            self.high[..self.ts.len()][index],
            self.low[..self.ts.len()][index],
            self.close[..self.ts.len()][index],
            self.volume[..self.ts.len()][index],
        );
        Bar { ts, open, high, low, close, volume }
    }

    /// Mutable access to the bar at `index` through a closure, for tests that perturb data.
    pub fn update(&mut self, index: usize, change: impl FnOnce(&mut Bar)) {
        let mut bar = self.bar(index);
        change(&mut bar);
        self.ts[index] = bar.ts;
        self.open[index] = bar.open;
        self.high[index] = bar.high;
        self.low[index] = bar.low;
        self.close[index] = bar.close;
        self.volume[index] = bar.volume;
    }

    /// Keeps only the bars at the indices in `range` (clamped to the series).
    pub fn keep(&mut self, range: std::ops::Range<usize>) {
        let end = range.end.min(self.len());
        let start = range.start.min(end);
        for column in [&mut self.open, &mut self.high, &mut self.low, &mut self.close, &mut self.volume] {
            column.truncate(end);
            column.drain(..start);
        }
        self.ts.truncate(end);
        self.ts.drain(..start);
    }

    /// Bar timestamps.
    pub fn timestamps(&self) -> &[Timestamp] {
        &self.ts
    }

    /// Opening prices.
    pub fn opens(&self) -> &[f64] {
        &self.open
    }

    /// Highs.
    pub fn highs(&self) -> &[f64] {
        &self.high
    }

    /// Lows.
    pub fn lows(&self) -> &[f64] {
        &self.low
    }

    /// Closing prices.
    pub fn closes(&self) -> &[f64] {
        &self.close
    }

    /// Volumes.
    pub fn volumes(&self) -> &[f64] {
        &self.volume
    }

    /// Dates alone when every bar is keyed at midnight (daily data), date-times otherwise.
    pub fn time_format(&self) -> TimeFormat {
        if self.ts.iter().all(|ts| ts.is_midnight()) { TimeFormat::Date } else { TimeFormat::DateTime }
    }
}
