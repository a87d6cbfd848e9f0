use gt_model::{Bar, BarSeries, Symbol, Timestamp};

/// Where bars come from, one time step at a time: a replayed history in a
/// backtest, a market-data stream in paper trading. A step holds the bars of
/// every symbol that has one at that time; a symbol without a bar at a step
/// simply does not appear in it (nothing is forward-filled).
pub trait BarSource {
    /// The instruments, in the order their indices are used in steps.
    fn symbols(&self) -> &[Symbol];

    /// Fills `bars` with `(symbol index, bar)` for the next time step and
    /// returns its time, or `None` when the source is finished.
    fn next_step(&mut self, bars: &mut Vec<(usize, Bar)>) -> Option<Timestamp>;

    /// Time steps expected in total, to preallocate results (0 when unknown).
    fn expected_steps(&self) -> usize;
}

/// A source lent to a run, to be looked at once the run is over.
impl<S: BarSource> BarSource for &mut S {
    fn symbols(&self) -> &[Symbol] {
        (**self).symbols()
    }

    fn next_step(&mut self, bars: &mut Vec<(usize, Bar)>) -> Option<Timestamp> {
        (**self).next_step(bars)
    }

    fn expected_steps(&self) -> usize {
        (**self).expected_steps()
    }
}

/// Replays several [`BarSeries`] on their merged timeline.
pub struct SeriesReplay<'a> {
    series: &'a [BarSeries],
    symbols: Vec<Symbol>,
    cursors: Vec<usize>,
    expected: usize,
}

impl<'a> SeriesReplay<'a> {
    /// A replay of `series` from their first bars.
    pub fn new(series: &'a [BarSeries]) -> Self {
        let expected = series.iter().map(BarSeries::len).max().unwrap_or(0);
        Self {
            series,
            symbols: series.iter().map(|s| s.symbol().clone()).collect(),
            cursors: vec![0; series.len()],
            expected,
        }
    }
}

impl BarSource for SeriesReplay<'_> {
    fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    #[inline]
    fn next_step(&mut self, bars: &mut Vec<(usize, Bar)>) -> Option<Timestamp> {
        bars.clear();
        if let ([series], [cursor]) = (self.series, self.cursors.as_mut_slice()) {
            // One series: its bars are the steps.
            let ts = *series.timestamps().get(*cursor)?;
            bars.push((0, series.bar(*cursor)));
            *cursor += 1;
            return Some(ts);
        }
        let mut next: Option<Timestamp> = None;
        for (series, &cursor) in self.series.iter().zip(&self.cursors) {
            if let Some(&ts) = series.timestamps().get(cursor) {
                next = Some(next.map_or(ts, |n| n.min(ts)));
            }
        }
        let ts = next?;
        for (index, (series, cursor)) in self.series.iter().zip(&mut self.cursors).enumerate() {
            if series.timestamps().get(*cursor) == Some(&ts) {
                bars.push((index, series.bar(*cursor)));
                *cursor += 1;
            }
        }
        Some(ts)
    }

    fn expected_steps(&self) -> usize {
        self.expected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(symbol: &str, days: &[i64]) -> BarSeries {
        let mut s = BarSeries::with_capacity(Symbol::new(symbol), days.len());
        for &d in days {
            let ts = Timestamp::from_nanos(d * 86_400_000_000_000);
            s.push(Bar { ts, open: 1.0, high: 1.0, low: 1.0, close: d as f64, volume: 0.0 });
        }
        s
    }

    #[test]
    fn steps_follow_the_union_of_timestamps_without_filling_gaps() {
        let data = [series("A", &[1, 2, 4]), series("B", &[2, 3, 4])];
        let mut replay = SeriesReplay::new(&data);
        let mut bars = Vec::new();
        let mut steps = Vec::new();
        while let Some(ts) = replay.next_step(&mut bars) {
            steps.push((ts.epoch_day(), bars.iter().map(|(i, b)| (*i, b.close)).collect::<Vec<_>>()));
        }
        assert_eq!(
            steps,
            vec![
                (1, vec![(0, 1.0)]),
                (2, vec![(0, 2.0), (1, 2.0)]),
                (3, vec![(1, 3.0)]),
                (4, vec![(0, 4.0), (1, 4.0)]),
            ]
        );
    }
}
