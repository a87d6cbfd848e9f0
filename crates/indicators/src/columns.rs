//! Indicators precomputed over a whole series, shared read-only between
//! the threads of a sweep.

use crate::computation::Computation;
use crate::key::IndicatorKey;
use gt_model::Bar;
use std::sync::Arc;

/// Every output of one computation over one series (NaN during warm-up).
#[derive(Clone, Debug)]
pub struct KeyColumn {
    key: IndicatorKey,
    outputs: Vec<Box<[f64]>>,
}

impl KeyColumn {
    /// Computes `key`'s computation (all its outputs) over `bars`.
    pub fn compute(key: &IndicatorKey, bars: impl IntoIterator<Item = Bar>) -> Self {
        let key = key.computation();
        let bars = bars.into_iter();
        let mut computation = Computation::new(&key);
        let mut outputs = vec![Vec::with_capacity(bars.size_hint().0); key.kind().outputs().len()];
        let mut out = [f64::NAN; 3];
        for bar in bars {
            computation.update(&bar, &mut out);
            for (column, value) in outputs.iter_mut().zip(out) {
                column.push(value);
            }
        }
        Self { key, outputs: outputs.into_iter().map(Vec::into_boxed_slice).collect() }
    }

    /// The bytes a column of `key` over `bars` bars holds.
    pub fn bytes_for(key: &IndicatorKey, bars: usize) -> usize {
        key.kind().outputs().len() * bars * size_of::<f64>()
    }

    /// The computation held.
    pub fn key(&self) -> &IndicatorKey {
        &self.key
    }
}

/// Precomputed columns of some computations over one series, for a bank
/// made [`over`](crate::IndicatorBank::over) them.
#[derive(Clone, Debug, Default)]
pub struct IndicatorColumns {
    columns: Vec<Arc<KeyColumn>>,
}

impl IndicatorColumns {
    /// Computes the distinct computations of `keys` over `bars`.
    pub fn precompute(keys: &[IndicatorKey], bars: &[Bar]) -> Self {
        let mut columns: Vec<Arc<KeyColumn>> = Vec::new();
        for key in keys.iter().map(IndicatorKey::computation) {
            if !columns.iter().any(|c| c.key == key) {
                columns.push(Arc::new(KeyColumn::compute(&key, bars.iter().copied())));
            }
        }
        Self { columns }
    }

    /// A set of columns computed elsewhere (over the same bars), shared, not copied.
    pub fn of(columns: Vec<Arc<KeyColumn>>) -> Self {
        Self { columns }
    }

    /// Where `computation` is held, if it is.
    pub(crate) fn slot(&self, computation: &IndicatorKey) -> Option<usize> {
        self.columns.iter().position(|c| c.key == *computation)
    }

    /// Writes the outputs of computation `slot` at bar `at` into `out` (NaN past the end).
    #[inline]
    pub(crate) fn read(&self, slot: usize, at: usize, out: &mut [f64; 3]) {
        for (value, column) in out.iter_mut().zip(&self.columns[slot].outputs) {
            *value = column.get(at).copied().unwrap_or(f64::NAN);
        }
    }
}
