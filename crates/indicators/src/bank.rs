//! A per-series indicator bank: one computation per distinct key, each
//! updated once per bar, read by everyone who registered the key.

use crate::columns::{IndicatorColumns, KeyColumn};
use crate::computation::Computation;
use crate::key::IndicatorKey;
use gt_model::Bar;
use std::sync::Arc;

/// Where a registered key's value is read back: which computation, which output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IndicatorHandle {
    slot: u32,
    output: u8,
}

/// Where one slot's values are.
#[derive(Clone, Debug)]
enum Source {
    /// Computed here bar by bar, into the slot's `value`.
    Streaming,
    /// Read from a precomputed column, at the bank's last bar.
    Column(Arc<KeyColumn>),
}

/// The indicators of one series (one symbol of a run).
///
/// Readers [`register`](IndicatorBank::register) keys before the first bar
/// and keep the handles; the owner calls [`update`](IndicatorBank::update)
/// once per bar of the series, before anyone reads; a key registered twice
/// (two strategies on one symbol, a strategy and the risk engine's sizing) is
/// computed once. A bank made [`over`](IndicatorBank::over) precomputed
/// columns reads the keys those columns hold instead of computing them (a
/// sweep shares one column per distinct key between all its trials).
#[derive(Clone, Debug, Default)]
pub struct IndicatorBank {
    /// One per distinct computation, in registration order.
    slots: Vec<Slot>,
    /// The keys of `slots`, in the same order.
    keys: Vec<IndicatorKey>,
    /// The computations of the streaming slots, with their slot (boxed:
    /// TA-Lib's largest stream state is ~1.5 KB); a bank over columns may
    /// have none to run.
    computations: Vec<(usize, Box<Computation>)>,
    columns: Option<Arc<IndicatorColumns>>,
    bars: usize,
}

/// One distinct computation: where its values come from, and their latest.
#[derive(Clone, Debug)]
struct Slot {
    source: Source,
    /// Outputs at the last bar, NaN during warm-up.
    value: [f64; 3],
}

impl IndicatorBank {
    /// An empty bank that computes every key registered with it.
    pub const fn new() -> Self {
        Self { slots: Vec::new(), keys: Vec::new(), computations: Vec::new(), columns: None, bars: 0 }
    }

    /// An empty bank that reads the keys `columns` hold from them (computed
    /// over the same bars this bank will be given), and computes the others.
    pub fn over(columns: Arc<IndicatorColumns>) -> Self {
        Self { columns: Some(columns), ..Self::new() }
    }

    /// Adds `key` if no reader asked for its computation yet; the handle reads its output.
    pub fn register(&mut self, key: IndicatorKey) -> IndicatorHandle {
        let computation = key.computation();
        let slot = match self.keys.iter().position(|k| *k == computation) {
            Some(slot) => slot,
            None => {
                let source = match self.columns.as_ref().and_then(|c| c.column(&computation)) {
                    Some(column) => Source::Column(Arc::clone(column)),
                    None => {
                        let slot = self.slots.len();
                        self.computations.push((slot, Box::new(Computation::new(&computation))));
                        Source::Streaming
                    }
                };
                self.keys.push(computation);
                self.slots.push(Slot { source, value: [f64::NAN; 3] });
                self.keys.len() - 1
            }
        };
        IndicatorHandle { slot: slot as u32, output: key.output_index() as u8 }
    }

    /// Feeds the series' next bar to every computation.
    #[inline(always)]
    pub fn update(&mut self, bar: &Bar) {
        self.bars += 1;
        if self.computations.is_empty() {
            return;
        }
        self.compute(bar);
    }

    /// Runs the streaming computations on `bar`.
    fn compute(&mut self, bar: &Bar) {
        for (slot, computation) in &mut self.computations {
            if let Some(slot) = self.slots.get_mut(*slot) {
                computation.update(bar, &mut slot.value);
            }
        }
    }

    /// The handle's value at the last bar; `None` during warm-up (and for a
    /// handle of another bank).
    #[inline]
    pub fn value(&self, handle: IndicatorHandle) -> Option<f64> {
        let slot = self.slots.get(handle.slot as usize)?;
        let output = usize::from(handle.output);
        let value = match &slot.source {
            Source::Streaming => *slot.value.get(output)?,
            Source::Column(column) => column.at(self.bars.checked_sub(1)?, output)?,
        };
        (!value.is_nan()).then_some(value)
    }

    /// The distinct computations, in the order they were registered.
    pub fn keys(&self) -> &[IndicatorKey] {
        &self.keys
    }

    /// Bars fed so far.
    pub fn bars(&self) -> usize {
        self.bars
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{Input, Kind, Real};
    use crate::{Atr, BollingerBands, Sma, StdDev};
    use gt_model::Timestamp;

    fn bars(n: usize) -> Vec<Bar> {
        (0..n)
            .map(|i| {
                let close = 100.0 + (i as f64 * 0.7).sin() * 5.0 + i as f64 * 0.1;
                Bar {
                    ts: Timestamp::from_nanos(i as i64),
                    open: close - 0.3,
                    high: close + 1.0,
                    low: close - 1.2,
                    close,
                    volume: 1000.0 + i as f64,
                }
            })
            .collect()
    }

    fn as_series(bars: &[Bar]) -> gt_model::BarSeries {
        let mut series = gt_model::BarSeries::with_capacity(gt_model::Symbol::new("T"), bars.len());
        bars.iter().for_each(|bar| series.push(*bar));
        series
    }

    #[test]
    fn one_computation_per_distinct_key_and_values_equal_the_indicators_own() {
        let key = |kind, input| IndicatorKey::new(kind, input).unwrap();
        let two = Real::new(2.0).unwrap();
        let bands = key(Kind::Bollinger { period: 10, up: two, down: two }, Input::Close);
        let vol = key(Kind::StdDev { period: 5, deviations: Real::new(1.0).unwrap() }, Input::Return);
        let mut bank = IndicatorBank::new();
        let sma = bank.register(key(Kind::Sma { period: 5 }, Input::Close));
        let again = bank.register(key(Kind::Sma { period: 5 }, Input::Close));
        let upper = bank.register(bands.output("upper").unwrap());
        let lower = bank.register(bands.output("lower").unwrap());
        let atr = bank.register(key(Kind::Atr { period: 3 }, Input::Close));
        let returns = bank.register(vol);
        assert_eq!(sma, again);
        assert_eq!(bank.keys().len(), 4, "sma, bands (both outputs), atr, stddev");

        let (mut own_sma, mut own_bands) = (Sma::new(5).unwrap(), BollingerBands::new(10, 2.0, 2.0).unwrap());
        let (mut own_atr, mut own_vol) = (Atr::new(3).unwrap(), StdDev::new(5, 1.0).unwrap());
        let mut previous: Option<f64> = None;
        for bar in bars(60) {
            bank.update(&bar);
            assert_eq!(bank.value(sma), own_sma.update(bar.close));
            let b = own_bands.update(bar.close);
            assert_eq!((bank.value(upper), bank.value(lower)), (b.map(|b| b.upper), b.map(|b| b.lower)));
            assert_eq!(bank.value(atr), own_atr.update(bar.high, bar.low, bar.close));
            let r = previous.replace(bar.close).map(|p| bar.close / p - 1.0);
            assert_eq!(bank.value(returns), r.and_then(|r| own_vol.update(r)));
        }
        assert_eq!(bank.bars(), 60);
        assert_eq!(IndicatorBank::new().value(sma), None, "a handle of another bank reads nothing");
    }

    #[test]
    fn a_bank_over_columns_reads_what_a_streaming_bank_computes() {
        let key = |kind, input| IndicatorKey::new(kind, input).unwrap();
        let two = Real::new(2.0).unwrap();
        let keys = [
            // Batch-computed by TA-Lib...
            key(Kind::Sma { period: 7 }, Input::Close),
            key(Kind::Ema { period: 9 }, Input::High),
            key(Kind::Rsi { period: 5 }, Input::Close),
            // ...and bar by bar.
            key(Kind::Max { period: 4 }, Input::High),
            key(Kind::StdDev { period: 6, deviations: Real::new(1.0).unwrap() }, Input::Return),
            key(Kind::Bollinger { period: 8, up: two, down: two }, Input::Close).output("lower").unwrap(),
            key(Kind::Atr { period: 3 }, Input::Close),
        ];
        for length in [80, 6, 0] {
            let series = bars(length);
            // Every key but the last is precomputed; the last is computed by the bank itself.
            let columns =
                Arc::new(IndicatorColumns::precompute(&keys[..keys.len() - 1], &as_series(&series)));
            let (mut streaming, mut shared) = (IndicatorBank::new(), IndicatorBank::over(columns));
            let handles: Vec<IndicatorHandle> = keys.iter().map(|k| streaming.register(*k)).collect();
            let again: Vec<IndicatorHandle> = keys.iter().map(|k| shared.register(*k)).collect();
            assert_eq!(handles, again, "same registration order, same handles");
            let whole: Vec<KeyColumn> =
                keys.iter().map(|k| KeyColumn::compute(k, &as_series(&series))).collect();
            assert!(whole[0].values(&keys[1]).is_none(), "a column answers for its own computation only");
            for (at, bar) in series.iter().enumerate() {
                streaming.update(bar);
                shared.update(bar);
                for ((handle, key), column) in handles.iter().zip(&keys).zip(&whole) {
                    let (want, got) = (streaming.value(*handle), shared.value(*handle));
                    assert_eq!(
                        want.map(f64::to_bits),
                        got.map(f64::to_bits),
                        "{key} at bar {}",
                        shared.bars()
                    );
                    let listed = column.values(key).unwrap()[at];
                    assert_eq!(
                        want.map(f64::to_bits),
                        (!listed.is_nan()).then(|| listed.to_bits()),
                        "{key} listed"
                    );
                }
            }
        }
    }
}
