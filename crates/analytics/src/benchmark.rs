//! The buy & hold benchmark of a multi-symbol run.

use gt_model::{BarSeries, Timestamp, Trade};

/// An equal-weight index of the symbols' closes on `timeline`: each symbol's
/// close relative to its first close, averaged over the symbols that have
/// started trading (a symbol's last close stands for it between its bars).
/// With one symbol on its own timeline, simply its closes.
pub fn equal_weight_index(series: &[BarSeries], timeline: &[Timestamp]) -> Vec<f64> {
    if let [only] = series
        && only.timestamps().len() == timeline.len()
        && only.timestamps().first() == timeline.first()
        && only.timestamps().last() == timeline.last()
    {
        return only.closes().to_vec();
    }
    let mut cursors = vec![0usize; series.len()];
    let mut latest: Vec<Option<f64>> = vec![None; series.len()];
    timeline
        .iter()
        .map(|ts| {
            let (mut sum, mut count) = (0.0, 0usize);
            for (i, s) in series.iter().enumerate() {
                while s.timestamps().get(cursors[i]).is_some_and(|t| t <= ts) {
                    latest[i] = Some(s.closes()[cursors[i]] / s.closes()[0]);
                    cursors[i] += 1;
                }
                if let Some(relative) = latest[i] {
                    sum += relative;
                    count += 1;
                }
            }
            if count == 0 { f64::NAN } else { sum / count as f64 }
        })
        .collect()
}

/// Buy & hold, the one definition every report uses (backtesting.py's
/// `Buy & Hold Return [%]`): the equal-weight index of the run's symbols
/// bought at the close of the first bar the run can trade on (the end of its
/// warm-up) and held to the last bar. The statistic, `compare`'s baseline row,
/// the report's grey line and the dashboard all read it from here.
#[derive(Clone, Debug, PartialEq)]
pub struct BuyAndHold {
    index: Vec<f64>,
    start: usize,
}

impl BuyAndHold {
    /// Buy & hold of `series` on the run's `timeline`, from bar `first_trading_bar`
    /// (clamped to the last bar: a run too short to warm up holds nothing).
    pub fn new(series: &[BarSeries], timeline: &[Timestamp], first_trading_bar: usize) -> Self {
        Self::from_index(equal_weight_index(series, timeline), first_trading_bar)
    }

    /// Buy & hold of an index already computed (one value per bar).
    pub fn from_index(index: Vec<f64>, first_trading_bar: usize) -> Self {
        let start = first_trading_bar.min(index.len().saturating_sub(1));
        Self { index, start }
    }

    /// The bar whose close buys the index.
    pub fn start_bar(&self) -> usize {
        self.start
    }

    /// The index itself, one value per bar (the market for alpha and beta).
    pub fn index(&self) -> &[f64] {
        &self.index
    }

    /// The return from the start bar's close to the last close, in percent
    /// (NaN without bars).
    pub fn return_pct(&self) -> f64 {
        return_pct_from(&self.index, self.start)
    }

    /// The value of 1 invested: 1 up to the start bar, then the index
    /// relative to its value there; one value per bar.
    pub fn growth(&self) -> Vec<f64> {
        let Some(&base) = self.index.get(self.start) else { return Vec::new() };
        (0..self.index.len()).map(|i| if i <= self.start { 1.0 } else { self.index[i] / base }).collect()
    }

    /// Holding the index from the start bar as one position per symbol:
    /// the equity of `cash` invested and the trades, closed at the last bar.
    /// Symbols that start after the start bar join the index later and are
    /// not held (with one symbol, or symbols that start together, this is
    /// exactly the index).
    pub fn holding(&self, series: &[BarSeries], timeline: &[Timestamp], cash: f64) -> (Vec<f64>, Vec<Trade>) {
        let equity = self.growth().into_iter().map(|g| g * cash).collect();
        let (Some(&start_time), Some(&end_time), Some(&level)) =
            (timeline.get(self.start), timeline.last(), self.index.get(self.start))
        else {
            return (equity, Vec::new());
        };
        let close_at = |s: &BarSeries, ts: Timestamp| {
            let at = s.timestamps().partition_point(|t| *t <= ts);
            at.checked_sub(1).map(|i| s.closes()[i])
        };
        let held: Vec<&BarSeries> = series.iter().filter(|s| close_at(s, start_time).is_some()).collect();
        let trades = held
            .iter()
            .filter_map(|s| {
                let (entry, exit) = (close_at(s, start_time)?, close_at(s, end_time)?);
                let first = *s.closes().first()?;
                Some(Trade {
                    symbol: s.symbol().clone(),
                    size: cash / (held.len() as f64 * level * first),
                    entry_bar: self.start,
                    exit_bar: timeline.len() - 1,
                    entry_time: start_time,
                    exit_time: end_time,
                    entry_price: entry,
                    exit_price: exit,
                    commission: 0.0,
                    strategy: None,
                })
            })
            .collect();
        (equity, trades)
    }
}

/// The return of `index` from bar `start`'s value to its last, in percent.
pub(crate) fn return_pct_from(index: &[f64], start: usize) -> f64 {
    match (index.get(start), index.last()) {
        (Some(start), Some(end)) => (end - start) / start * 100.0,
        _ => f64::NAN,
    }
}
