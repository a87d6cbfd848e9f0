//! Indicators precomputed over a whole series, shared read-only between
//! the threads of a sweep.

use crate::computation::Computation;
use crate::key::{IndicatorKey, Input, Kind};
use crate::talib_stream::ta_int;
use gt_model::BarSeries;
use std::sync::Arc;

/// Every output of one computation over one series (NaN during warm-up).
#[derive(Clone, Debug)]
pub struct KeyColumn {
    key: IndicatorKey,
    /// The first output, and the others (most indicators have one).
    first: Box<[f64]>,
    rest: Box<[Box<[f64]>]>,
}

impl KeyColumn {
    /// Computes `key`'s computation (all its outputs) over `series`: with
    /// TA-Lib's batch function where there is a cheap one (SMA, EMA, RSI of
    /// a price), bar by bar otherwise; the values are the same bit for bit
    /// (the `streaming_equals_batch` property test).
    pub fn compute(key: &IndicatorKey, series: &BarSeries) -> Self {
        let key = key.computation();
        if let Some(values) = batch_input(&key, series) {
            return Self { key, first: batch(&key, values), rest: Box::default() };
        }
        let mut computation = Computation::new(&key);
        let mut outputs = vec![Vec::with_capacity(series.len()); key.kind().outputs().len()];
        let mut out = [f64::NAN; 3];
        for index in 0..series.len() {
            computation.update(&series.bar(index), &mut out);
            for (column, value) in outputs.iter_mut().zip(out) {
                column.push(value);
            }
        }
        let mut outputs = outputs.into_iter().map(Vec::into_boxed_slice);
        let first = outputs.next().unwrap_or_default();
        Self { key, first, rest: outputs.collect() }
    }

    /// The values of `key`'s output (one of this column's computation) at
    /// every bar, NaN during warm-up; `None` for another computation's key.
    pub fn values(&self, key: &IndicatorKey) -> Option<&[f64]> {
        if key.computation() != self.key {
            return None;
        }
        match key.output_index() {
            0 => Some(&self.first),
            n => self.rest.get(n - 1).map(|column| &column[..]),
        }
    }

    /// The bytes a column of `key` over `bars` bars holds.
    pub fn bytes_for(key: &IndicatorKey, bars: usize) -> usize {
        key.kind().outputs().len() * bars * size_of::<f64>()
    }
}

/// Precomputed columns of some computations over one series, for a bank
/// made [`over`](crate::IndicatorBank::over) them.
#[derive(Clone, Debug, Default)]
pub struct IndicatorColumns {
    columns: Vec<Arc<KeyColumn>>,
}

impl IndicatorColumns {
    /// Computes the distinct computations of `keys` over `series`.
    pub fn precompute(keys: &[IndicatorKey], series: &BarSeries) -> Self {
        let mut columns: Vec<Arc<KeyColumn>> = Vec::new();
        for key in keys.iter().map(IndicatorKey::computation) {
            if !columns.iter().any(|c| c.key == key) {
                columns.push(Arc::new(KeyColumn::compute(&key, series)));
            }
        }
        Self { columns }
    }

    /// A set of columns computed elsewhere (over the same bars), shared, not copied.
    pub fn of(columns: Vec<Arc<KeyColumn>>) -> Self {
        Self { columns }
    }

    /// The column of `computation`, if held.
    pub(crate) fn column(&self, computation: &IndicatorKey) -> Option<&Arc<KeyColumn>> {
        self.columns.iter().find(|c| c.key == *computation)
    }
}

impl KeyColumn {
    /// Output `output` at bar `at`, if the column has them.
    #[inline]
    pub(crate) fn at(&self, at: usize, output: usize) -> Option<f64> {
        match output {
            0 => self.first.get(at).copied(),
            _ => self.rest.get(output - 1)?.get(at).copied(),
        }
    }
}

/// The series' column a batch computation of `key` reads, if TA-Lib has a
/// cheap batch function for it (returns are not a column of the series).
fn batch_input<'a>(key: &IndicatorKey, series: &'a BarSeries) -> Option<&'a [f64]> {
    if !matches!(key.kind(), Kind::Sma { .. } | Kind::Ema { .. } | Kind::Rsi { .. }) {
        return None;
    }
    match key.input() {
        Input::Open => Some(series.opens()),
        Input::High => Some(series.highs()),
        Input::Low => Some(series.lows()),
        Input::Close => Some(series.closes()),
        Input::Volume => Some(series.volumes()),
        Input::Return => None,
    }
}

/// `key` over `input` with TA-Lib's batch function, aligned to the input
/// (NaN before the first value). TA-Lib writes its values from the start
/// of the slice it is given, so it is given the column from the key's
/// lookback on: one pass over the memory, no move.
fn batch(key: &IndicatorKey, input: &[f64]) -> Box<[f64]> {
    let n = input.len();
    let begin = key.lookback().min(n);
    // Zeroed memory comes from the allocator untouched; TA-Lib writes it once.
    let mut column = vec![0.0; n];
    column[..begin].fill(f64::NAN);
    if begin < n {
        let core = ta_lib::Core::new();
        let out = &mut column[begin..];
        let range = match key.kind() {
            Kind::Sma { period } => core.sma(0, n - 1, input, ta_int(period), out),
            Kind::Ema { period } => core.ema(0, n - 1, input, ta_int(period), out),
            Kind::Rsi { period } => core.rsi(0, n - 1, input, ta_int(period), out),
            other => unreachable!("batch_input admits only SMA, EMA and RSI, not {other}"),
        };
        // The key's parameters were checked when it was made, and its lookback is TA-Lib's.
        debug_assert!(range.is_ok_and(|r| r.beg_idx == begin && r.count == n - begin), "{key}: {range:?}");
    }
    column.into_boxed_slice()
}
