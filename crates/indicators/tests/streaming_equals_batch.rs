//! Bar by bar (live) and over a whole series (TA-Lib's batch functions) give
//! the same values, bit for bit, on random series.

use gt_indicators::{Atr, Ema, Rsi, Sma, Stoch};
use proptest::prelude::*;
use ta_lib::{Core, MAType};

/// Random bars as (high, low, close), each consistent (low ≤ close ≤ high).
fn series() -> impl Strategy<Value = Vec<(f64, f64, f64)>> {
    prop::collection::vec((1.0f64..200.0, 0.0f64..5.0, 0.0f64..1.0), 30..300).prop_map(|raw| {
        raw.into_iter().map(|(mid, spread, at)| (mid + spread, mid, mid + spread * at)).collect()
    })
}

/// TA-Lib's batch output aligned to the input: `None` before `beg_idx`.
fn aligned(len: usize, range: ta_lib::OutRange, values: &[f64]) -> Vec<Option<f64>> {
    let end = range.beg_idx + range.count;
    (0..len).map(|i| (range.beg_idx..end).contains(&i).then(|| values[i - range.beg_idx])).collect()
}

proptest! {
    #[test]
    fn single_input_indicators_stream_exactly_like_batch(bars in series(), period in 2usize..40) {
        let close: Vec<f64> = bars.iter().map(|b| b.2).collect();
        let n = close.len();
        let core = Core::new();
        let mut out = vec![0.0; n];
        let p = period as i32;

        let range = core.sma(0, n - 1, &close, p, &mut out).unwrap();
        let mut sma = Sma::new(period).unwrap();
        let streamed: Vec<Option<f64>> = close.iter().map(|&c| sma.update(c)).collect();
        prop_assert_eq!(streamed, aligned(n, range, &out));

        let range = core.ema(0, n - 1, &close, p, &mut out).unwrap();
        let mut ema = Ema::new(period).unwrap();
        let streamed: Vec<Option<f64>> = close.iter().map(|&c| ema.update(c)).collect();
        prop_assert_eq!(streamed, aligned(n, range, &out));

        let range = core.rsi(0, n - 1, &close, p, &mut out).unwrap();
        let mut rsi = Rsi::new(period).unwrap();
        let streamed: Vec<Option<f64>> = close.iter().map(|&c| rsi.update(c)).collect();
        prop_assert_eq!(streamed, aligned(n, range, &out));
    }

    #[test]
    fn bar_indicators_stream_exactly_like_batch(bars in series(), period in 2usize..30) {
        let (high, low, close): (Vec<f64>, Vec<f64>, Vec<f64>) = (
            bars.iter().map(|b| b.0).collect(),
            bars.iter().map(|b| b.1).collect(),
            bars.iter().map(|b| b.2).collect(),
        );
        let n = close.len();
        let core = Core::new();

        let mut out = vec![0.0; n];
        let range = core.atr(0, n - 1, &high, &low, &close, period as i32, &mut out).unwrap();
        let mut atr = Atr::new(period).unwrap();
        let streamed: Vec<Option<f64>> = bars.iter().map(|b| atr.update(b.0, b.1, b.2)).collect();
        prop_assert_eq!(streamed, aligned(n, range, &out));

        let (mut k, mut d) = (vec![0.0; n], vec![0.0; n]);
        let range = core
            .stoch(0, n - 1, &high, &low, &close, period as i32, 3, MAType::SMA, 3, MAType::SMA, &mut k, &mut d)
            .unwrap();
        let mut stoch = Stoch::new(period, 3, 3).unwrap();
        let streamed: Vec<Option<(f64, f64)>> =
            bars.iter().map(|b| stoch.update(b.0, b.1, b.2).map(|v| (v.k, v.d))).collect();
        let batch: Vec<Option<(f64, f64)>> =
            aligned(n, range, &k).into_iter().zip(aligned(n, range, &d)).map(|(k, d)| k.zip(d)).collect();
        prop_assert_eq!(streamed, batch);
    }
}
