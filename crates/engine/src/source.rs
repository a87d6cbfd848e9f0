use gt_model::{Bar, BarSeries, Symbol};

/// Where bars come from, one at a time and in time order: a replayed
/// history in a backtest, a market-data stream in paper trading.
pub trait BarSource {
    /// Instrument the bars belong to.
    fn symbol(&self) -> &Symbol;

    /// The next bar, or `None` when the source is finished.
    fn next_bar(&mut self) -> Option<Bar>;

    /// Bars expected in total, to preallocate results (0 when unknown).
    fn expected_bars(&self) -> usize;
}

/// Replays a [`BarSeries`] from its first bar to its last.
pub struct SeriesReplay<'a> {
    series: &'a BarSeries,
    next: usize,
}

impl<'a> SeriesReplay<'a> {
    /// A replay of `series` from the start.
    pub fn new(series: &'a BarSeries) -> Self {
        Self { series, next: 0 }
    }
}

impl BarSource for SeriesReplay<'_> {
    fn symbol(&self) -> &Symbol {
        self.series.symbol()
    }

    #[inline]
    fn next_bar(&mut self) -> Option<Bar> {
        (self.next < self.series.len()).then(|| {
            self.next += 1;
            self.series.bar(self.next - 1)
        })
    }

    fn expected_bars(&self) -> usize {
        self.series.len()
    }
}
