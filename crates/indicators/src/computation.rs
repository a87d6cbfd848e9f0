//! One indicator of a key, fed whole bars: the TA-Lib stream, the input it
//! reads and, for returns, the previous close.

use crate::key::{IndicatorKey, Input, Kind};
use crate::{
    Adx, Atr, BollingerBands, Cci, Ema, IndicatorError, Macd, Max, Min, Mom, Natr, Obv, Roc, Rsi, Sma,
    StdDev, Stoch, TrueRange, Willr, Wma,
};
use gt_model::Bar;

/// The streaming indicator behind a [`Kind`].
///
/// Built once per computation and kept for a whole series, so the size of
/// TA-Lib's larger stream states (stochastic: ~1.5 KB) does not matter.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Stream {
    Sma(Sma),
    Ema(Ema),
    Wma(Wma),
    Rsi(Rsi),
    Roc(Roc),
    Mom(Mom),
    Max(Max),
    Min(Min),
    StdDev(StdDev),
    Bands(BollingerBands),
    Macd(Macd),
    Atr(Atr),
    Natr(Natr),
    TrueRange(TrueRange),
    Adx(Adx),
    Stoch(Stoch),
    Obv(Obv),
    Cci(Cci),
    Willr(Willr),
}

impl Stream {
    /// A fresh indicator for `kind`; fails on parameters TA-Lib refuses or
    /// that contradict each other.
    pub(crate) fn new(kind: Kind) -> Result<Self, IndicatorError> {
        let problem = |problem: String| IndicatorError::BadSpec { spec: kind.to_string(), problem };
        Ok(match kind {
            Kind::Sma { period } => Self::Sma(Sma::new(period)?),
            Kind::Ema { period } => Self::Ema(Ema::new(period)?),
            Kind::Wma { period } => Self::Wma(Wma::new(period)?),
            Kind::Rsi { period } => Self::Rsi(Rsi::new(period)?),
            Kind::Roc { period } => Self::Roc(Roc::new(period)?),
            Kind::Mom { period } => Self::Mom(Mom::new(period)?),
            Kind::Max { period } => Self::Max(Max::new(period)?),
            Kind::Min { period } => Self::Min(Min::new(period)?),
            Kind::StdDev { period, deviations } => Self::StdDev(StdDev::new(period, deviations.get())?),
            Kind::Bollinger { period, up, down } => {
                if up.get() <= 0.0 || down.get() <= 0.0 {
                    return Err(problem(
                        "the deviations must be > 0 (the bands lie either side of the average)".to_owned(),
                    ));
                }
                Self::Bands(BollingerBands::new(period, up.get(), down.get())?)
            }
            Kind::Macd { fast, slow, signal } => {
                if fast >= slow {
                    return Err(problem(format!(
                        "the fast period ({fast}) must be shorter than the slow ({slow})"
                    )));
                }
                Self::Macd(Macd::new(fast, slow, signal)?)
            }
            Kind::Atr { period } => Self::Atr(Atr::new(period)?),
            Kind::Natr { period } => Self::Natr(Natr::new(period)?),
            Kind::TrueRange => Self::TrueRange(TrueRange::new()?),
            Kind::Adx { period } => Self::Adx(Adx::new(period)?),
            Kind::Stoch { fast_k, slow_k, slow_d } => Self::Stoch(Stoch::new(fast_k, slow_k, slow_d)?),
            Kind::Obv => Self::Obv(Obv::new()?),
            Kind::Cci { period } => Self::Cci(Cci::new(period)?),
            Kind::Willr { period } => Self::Willr(Willr::new(period)?),
        })
    }

    /// Inputs read before the first value.
    pub(crate) fn lookback(&self) -> usize {
        match self {
            Self::Sma(i) => i.lookback(),
            Self::Ema(i) => i.lookback(),
            Self::Wma(i) => i.lookback(),
            Self::Rsi(i) => i.lookback(),
            Self::Roc(i) => i.lookback(),
            Self::Mom(i) => i.lookback(),
            Self::Max(i) => i.lookback(),
            Self::Min(i) => i.lookback(),
            Self::StdDev(i) => i.lookback(),
            Self::Bands(i) => i.lookback(),
            Self::Macd(i) => i.lookback(),
            Self::Atr(i) => i.lookback(),
            Self::Natr(i) => i.lookback(),
            Self::TrueRange(i) => i.lookback(),
            Self::Adx(i) => i.lookback(),
            Self::Stoch(i) => i.lookback(),
            Self::Obv(i) => i.lookback(),
            Self::Cci(i) => i.lookback(),
            Self::Willr(i) => i.lookback(),
        }
    }

    /// Feeds one bar (`x` is the chosen input of single-input indicators);
    /// writes each output into `out` (NaN during warm-up). Always inlined:
    /// it is the inner loop of every bank, and the jump over the kinds is
    /// cheaper than the call.
    #[inline(always)]
    fn update(&mut self, bar: &Bar, x: f64, out: &mut [f64; 3]) {
        let (h, l, c) = (bar.high, bar.low, bar.close);
        let single = |value: Option<f64>, out: &mut [f64; 3]| out[0] = value.unwrap_or(f64::NAN);
        match self {
            Self::Sma(i) => single(i.update(x), out),
            Self::Ema(i) => single(i.update(x), out),
            Self::Wma(i) => single(i.update(x), out),
            Self::Rsi(i) => single(i.update(x), out),
            Self::Roc(i) => single(i.update(x), out),
            Self::Mom(i) => single(i.update(x), out),
            Self::Max(i) => single(i.update(x), out),
            Self::Min(i) => single(i.update(x), out),
            Self::StdDev(i) => single(i.update(x), out),
            Self::Atr(i) => single(i.update(h, l, c), out),
            Self::Natr(i) => single(i.update(h, l, c), out),
            Self::TrueRange(i) => single(i.update(h, l, c), out),
            Self::Adx(i) => single(i.update(h, l, c), out),
            Self::Obv(i) => single(i.update(c, bar.volume), out),
            Self::Cci(i) => single(i.update(h, l, c), out),
            Self::Willr(i) => single(i.update(h, l, c), out),
            Self::Bands(i) => {
                let v = i.update(x);
                out[0] = v.map_or(f64::NAN, |b| b.upper);
                out[1] = v.map_or(f64::NAN, |b| b.middle);
                out[2] = v.map_or(f64::NAN, |b| b.lower);
            }
            Self::Macd(i) => {
                let v = i.update(x);
                out[0] = v.map_or(f64::NAN, |m| m.macd);
                out[1] = v.map_or(f64::NAN, |m| m.signal);
                out[2] = v.map_or(f64::NAN, |m| m.histogram);
            }
            Self::Stoch(i) => {
                let v = i.update(h, l, c);
                out[0] = v.map_or(f64::NAN, |s| s.k);
                out[1] = v.map_or(f64::NAN, |s| s.d);
            }
        }
    }
}

/// Any indicator a key names, fed whole bars: what a bank keeps per
/// distinct computation, and what the `indicators` command runs per spec.
#[derive(Clone, Debug)]
pub struct Computation {
    stream: Stream,
    input: Input,
    previous_close: f64,
}

impl Computation {
    /// A fresh computation of `key` (any of its outputs: they are computed together).
    pub fn new(key: &IndicatorKey) -> Self {
        let stream =
            Stream::new(key.kind()).expect("an IndicatorKey's parameters are checked when it is made");
        Self { stream, input: key.input(), previous_close: f64::NAN }
    }

    /// Feeds `bar`; writes each output into `out` in order (NaN during
    /// warm-up; the places past the indicator's outputs are left as they are).
    #[inline]
    pub fn update(&mut self, bar: &Bar, out: &mut [f64; 3]) {
        let x = match self.input.of(bar) {
            Some(x) => x,
            None => {
                let previous = std::mem::replace(&mut self.previous_close, bar.close);
                if previous.is_nan() {
                    // No return on the first bar: nothing to feed yet.
                    out.fill(f64::NAN);
                    return;
                }
                bar.close / previous - 1.0
            }
        };
        self.stream.update(bar, x, out);
    }
}
