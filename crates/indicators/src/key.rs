//! Indicator keys: a normalised, hashable name for one indicator output
//! over one input series, so that two readers asking for "SMA(20) of the
//! close" get the same computation.

use crate::IndicatorError;
use crate::computation::Stream;
use std::fmt;
use std::hash::{Hash, Hasher};

/// The series of a bar that a single-input indicator reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Input {
    /// Opening price.
    Open,
    /// High.
    High,
    /// Low.
    Low,
    /// Closing price (the default).
    #[default]
    Close,
    /// Volume.
    Volume,
    /// One-bar return of the close, `close / previous close - 1`; it starts
    /// on the second bar, so an indicator over it warms up one bar later.
    Return,
}

impl Input {
    /// The input's value in `bar`; `None` for returns, which need the bar before.
    #[inline]
    pub(crate) fn of(self, bar: &gt_model::Bar) -> Option<f64> {
        match self {
            Self::Open => Some(bar.open),
            Self::High => Some(bar.high),
            Self::Low => Some(bar.low),
            Self::Close => Some(bar.close),
            Self::Volume => Some(bar.volume),
            Self::Return => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::High => "high",
            Self::Low => "low",
            Self::Close => "close",
            Self::Volume => "volume",
            Self::Return => "return",
        }
    }
}

/// A finite parameter compared and hashed by value (`-0.0` is `0.0`).
#[derive(Clone, Copy, Debug)]
pub struct Real(f64);

impl Real {
    /// `value`, refused unless finite.
    pub fn new(value: f64) -> Result<Self, IndicatorError> {
        if value.is_finite() {
            Ok(Self(if value == 0.0 { 0.0 } else { value }))
        } else {
            Err(IndicatorError::BadParameters { indicator: "indicator key", params: format!("{value}") })
        }
    }

    /// The number.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl PartialEq for Real {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Real {}

impl Hash for Real {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl fmt::Display for Real {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An indicator with its parameters (TA-Lib's definitions).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // The fields are the indicators' parameters, named as in TA-Lib.
pub enum Kind {
    /// Simple moving average.
    Sma { period: usize },
    /// Exponential moving average.
    Ema { period: usize },
    /// Weighted moving average.
    Wma { period: usize },
    /// Relative strength index.
    Rsi { period: usize },
    /// Rate of change, in percent.
    Roc { period: usize },
    /// Momentum (difference over `period` bars).
    Mom { period: usize },
    /// Highest input over `period` bars.
    Max { period: usize },
    /// Lowest input over `period` bars.
    Min { period: usize },
    /// Population standard deviation times `deviations`.
    StdDev { period: usize, deviations: Real },
    /// Bollinger bands: outputs upper, middle, lower.
    Bollinger { period: usize, up: Real, down: Real },
    /// MACD: outputs line, signal, histogram.
    Macd { fast: usize, slow: usize, signal: usize },
    /// Average true range (reads high, low, close).
    Atr { period: usize },
    /// Normalised ATR, in percent of the close.
    Natr { period: usize },
    /// True range.
    TrueRange,
    /// Average directional index.
    Adx { period: usize },
    /// Stochastic oscillator: outputs %K, %D.
    Stoch { fast_k: usize, slow_k: usize, slow_d: usize },
    /// On-balance volume (reads close and volume).
    Obv,
    /// Commodity channel index.
    Cci { period: usize },
    /// Williams' %R.
    Willr { period: usize },
}

impl Kind {
    /// Whether the indicator reads one chosen input (otherwise it reads the bar's fixed fields).
    pub fn single_input(self) -> bool {
        use Kind::*;
        matches!(
            self,
            Sma { .. }
                | Ema { .. }
                | Wma { .. }
                | Rsi { .. }
                | Roc { .. }
                | Mom { .. }
                | Max { .. }
                | Min { .. }
                | StdDev { .. }
                | Bollinger { .. }
                | Macd { .. }
        )
    }

    /// Names of the outputs, in order (one unnamed output for most).
    pub fn outputs(self) -> &'static [&'static str] {
        match self {
            Kind::Bollinger { .. } => &["upper", "middle", "lower"],
            Kind::Macd { .. } => &["line", "signal", "hist"],
            Kind::Stoch { .. } => &["k", "d"],
            _ => &[""],
        }
    }
}

impl fmt::Display for Kind {
    /// Name and parameters as written in a key, e.g. `bb(20,2,2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Kind::*;
        match *self {
            Sma { period } => write!(f, "sma({period})"),
            Ema { period } => write!(f, "ema({period})"),
            Wma { period } => write!(f, "wma({period})"),
            Rsi { period } => write!(f, "rsi({period})"),
            Roc { period } => write!(f, "roc({period})"),
            Mom { period } => write!(f, "mom({period})"),
            Max { period } => write!(f, "max({period})"),
            Min { period } => write!(f, "min({period})"),
            StdDev { period, deviations } => write!(f, "stddev({period},{deviations})"),
            Bollinger { period, up, down } => write!(f, "bb({period},{up},{down})"),
            Macd { fast, slow, signal } => write!(f, "macd({fast},{slow},{signal})"),
            Atr { period } => write!(f, "atr({period})"),
            Natr { period } => write!(f, "natr({period})"),
            TrueRange => write!(f, "trange"),
            Adx { period } => write!(f, "adx({period})"),
            Stoch { fast_k, slow_k, slow_d } => write!(f, "stoch({fast_k},{slow_k},{slow_d})"),
            Obv => write!(f, "obv"),
            Cci { period } => write!(f, "cci({period})"),
            Willr { period } => write!(f, "willr({period})"),
        }
    }
}

/// One output of one indicator over one input: what a strategy, a risk
/// sizer or an ML feature reads, and what a bank computes once however many
/// readers ask for it.
///
/// Built only through [`IndicatorKey::new`], which checks the parameters
/// (TA-Lib accepts them, MACD's fast is shorter than its slow, bands have
/// positive deviations) and normalises the input of indicators that read
/// fixed bar fields, so equal computations have equal keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IndicatorKey {
    kind: Kind,
    input: Input,
    output: u8,
    lookback: usize,
}

impl IndicatorKey {
    /// The first output of `kind` over `input` (ignored by indicators that
    /// read the bar's fixed fields, such as ATR).
    pub fn new(kind: Kind, input: Input) -> Result<Self, IndicatorError> {
        let input = if kind.single_input() { input } else { Input::Close };
        let lookback = Stream::new(kind)?.lookback() + usize::from(input == Input::Return);
        Ok(Self { kind, input, output: 0, lookback })
    }

    /// `kind` over the close.
    pub fn of_close(kind: Kind) -> Result<Self, IndicatorError> {
        Self::new(kind, Input::Close)
    }

    /// The same computation's output called `name` (see [`Kind::outputs`]).
    pub fn output(self, name: &str) -> Result<Self, IndicatorError> {
        let outputs = self.kind.outputs();
        let index = outputs.iter().position(|o| *o == name).ok_or_else(|| IndicatorError::BadSpec {
            spec: self.to_string(),
            problem: format!("no output {name:?}; it has {}", outputs.join(", ")),
        })?;
        Ok(Self { output: index as u8, ..self })
    }

    /// The indicator and its parameters.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The input it reads.
    pub fn input(&self) -> Input {
        self.input
    }

    /// Which of the indicator's outputs (0-based).
    pub fn output_index(&self) -> usize {
        usize::from(self.output)
    }

    /// Bars read before the first value (the value exists from bar `lookback`, 0-based).
    pub fn lookback(&self) -> usize {
        self.lookback
    }

    /// Whether its values are prices, on the scale of the bars it reads
    /// (moving averages, channels and bands of a price), so a chart draws
    /// it over the price; oscillators, volatilities and volume-based values
    /// are not.
    pub fn in_price_units(&self) -> bool {
        use Kind::*;
        let price_input = matches!(self.input, Input::Open | Input::High | Input::Low | Input::Close);
        price_input
            && matches!(
                self.kind,
                Sma { .. } | Ema { .. } | Wma { .. } | Max { .. } | Min { .. } | Bollinger { .. }
            )
    }

    /// The key of the whole computation (its first output): keys with the
    /// same computation differ only in their output.
    pub fn computation(&self) -> Self {
        Self { output: 0, ..*self }
    }
}

impl fmt::Display for IndicatorKey {
    /// `sma(20)`, `max(20)@high`, `stddev(20,1)@return`, `bb(20,2,2).upper`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if self.input != Input::Close {
            write!(f, "@{}", self.input.name())?;
        }
        match self.kind.outputs()[self.output_index()] {
            "" => Ok(()),
            name => write!(f, ".{name}"),
        }
    }
}

impl std::str::FromStr for IndicatorKey {
    type Err = IndicatorError;

    /// Reads a key as [`Display`](fmt::Display) writes it: `name(p1,p2)`,
    /// then `@input` when it is not the close, then `.output` when the
    /// indicator has several (`sma(20)`, `max(20)@high`, `bb(20,2,2).upper`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |problem: String| IndicatorError::BadSpec { spec: text.to_owned(), problem };
        let text = text.trim();
        let (head, output) = match text.rsplit_once('.') {
            // A dot after the closing parenthesis names an output; one inside is a decimal.
            Some((head, output)) if !output.contains(')') => (head, Some(output)),
            _ => (text, None),
        };
        let (head, input) = match head.split_once('@') {
            Some((head, input)) => (head, Some(input)),
            None => (head, None),
        };
        let (name, params) = match head.split_once('(') {
            Some((name, rest)) => {
                let inner =
                    rest.strip_suffix(')').ok_or_else(|| bad("a ')' must close the parameters".into()))?;
                (name, inner.split(',').map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>())
            }
            None => (head, Vec::new()),
        };
        let period = |index: usize| -> Result<usize, IndicatorError> {
            let value = params.get(index).ok_or_else(|| bad(format!("{name} needs more parameters")))?;
            value.parse().map_err(|_| bad(format!("{value:?} is not a whole number of bars")))
        };
        let real = |index: usize| -> Result<Real, IndicatorError> {
            let value = params.get(index).ok_or_else(|| bad(format!("{name} needs more parameters")))?;
            value.parse::<f64>().map_err(|_| bad(format!("{value:?} is not a number"))).and_then(Real::new)
        };
        let (kind, count) = match name {
            "sma" => (Kind::Sma { period: period(0)? }, 1),
            "ema" => (Kind::Ema { period: period(0)? }, 1),
            "wma" => (Kind::Wma { period: period(0)? }, 1),
            "rsi" => (Kind::Rsi { period: period(0)? }, 1),
            "roc" => (Kind::Roc { period: period(0)? }, 1),
            "mom" => (Kind::Mom { period: period(0)? }, 1),
            "max" => (Kind::Max { period: period(0)? }, 1),
            "min" => (Kind::Min { period: period(0)? }, 1),
            "stddev" => (Kind::StdDev { period: period(0)?, deviations: real(1)? }, 2),
            "bb" => (Kind::Bollinger { period: period(0)?, up: real(1)?, down: real(2)? }, 3),
            "macd" => (Kind::Macd { fast: period(0)?, slow: period(1)?, signal: period(2)? }, 3),
            "atr" => (Kind::Atr { period: period(0)? }, 1),
            "natr" => (Kind::Natr { period: period(0)? }, 1),
            "trange" => (Kind::TrueRange, 0),
            "adx" => (Kind::Adx { period: period(0)? }, 1),
            "stoch" => (Kind::Stoch { fast_k: period(0)?, slow_k: period(1)?, slow_d: period(2)? }, 3),
            "obv" => (Kind::Obv, 0),
            "cci" => (Kind::Cci { period: period(0)? }, 1),
            "willr" => (Kind::Willr { period: period(0)? }, 1),
            other => return Err(bad(format!("unknown indicator {other:?}"))),
        };
        if params.len() != count {
            return Err(bad(format!("{name} takes {count} parameters, not {}", params.len())));
        }
        let input = match input {
            None => Input::Close,
            Some(name) => [Input::Open, Input::High, Input::Low, Input::Close, Input::Volume, Input::Return]
                .into_iter()
                .find(|i| i.name() == name)
                .ok_or_else(|| {
                    bad(format!("unknown input {name:?}; open, high, low, close, volume or return"))
                })?,
        };
        if input != Input::Close && !kind.single_input() {
            return Err(bad(format!("{name} reads the bar's own fields: it takes no @input")));
        }
        let key = IndicatorKey::new(kind, input)?;
        match output {
            Some(output) => key.output(output),
            None => Ok(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_their_input_and_output_and_normalise_fixed_inputs() {
        let sma = IndicatorKey::of_close(Kind::Sma { period: 20 }).unwrap();
        assert_eq!(sma.to_string(), "sma(20)");
        assert_eq!(sma.lookback(), 19);
        let high = IndicatorKey::new(Kind::Max { period: 20 }, Input::High).unwrap();
        assert_eq!(high.to_string(), "max(20)@high");
        let deviations = Real::new(1.0).unwrap();
        let vol = IndicatorKey::new(Kind::StdDev { period: 20, deviations }, Input::Return).unwrap();
        assert_eq!((vol.to_string().as_str(), vol.lookback()), ("stddev(20,1)@return", 20));
        let atr = IndicatorKey::new(Kind::Atr { period: 14 }, Input::High).unwrap();
        assert_eq!(atr, IndicatorKey::of_close(Kind::Atr { period: 14 }).unwrap());
        let two = Real::new(2.0).unwrap();
        let bands = IndicatorKey::of_close(Kind::Bollinger { period: 20, up: two, down: two }).unwrap();
        let lower = bands.output("lower").unwrap();
        assert_eq!(lower.to_string(), "bb(20,2,2).lower");
        assert_ne!(lower, bands);
        assert_eq!(lower.computation(), bands);
        assert!(bands.output("signal").unwrap_err().to_string().contains("upper, middle, lower"));
        assert_eq!(Real::new(-0.0).unwrap(), Real::new(0.0).unwrap());
        assert!(Real::new(f64::NAN).is_err());
    }

    #[test]
    fn only_averages_channels_and_bands_of_a_price_are_drawn_over_it() {
        let over = |text: &str| text.parse::<IndicatorKey>().unwrap().in_price_units();
        for text in
            ["sma(20)", "ema(9)@high", "max(20)@high", "min(5)@low", "bb(20,2,2).lower", "wma(3)@open"]
        {
            assert!(over(text), "{text} is a price");
        }
        for text in
            ["rsi(14)", "sma(20)@volume", "sma(5)@return", "atr(14)", "stddev(20,1)", "macd(12,26,9)", "obv"]
        {
            assert!(!over(text), "{text} is not a price");
        }
    }

    #[test]
    fn keys_read_back_as_they_are_written() {
        for text in [
            "sma(20)",
            "ema(9)@high",
            "stddev(20,1)@return",
            "stddev(10,2.5)",
            "bb(20,2,1.5).lower",
            "macd(12,26,9).hist",
            "stoch(14,3,3).d",
            "max(20)@high",
            "atr(14)",
            "trange",
            "obv",
        ] {
            let key: IndicatorKey = text.parse().unwrap();
            assert_eq!(key.to_string(), text);
        }
        let refused = |text: &str| text.parse::<IndicatorKey>().unwrap_err().to_string();
        assert!(refused("smaa(20)").contains("unknown indicator"));
        assert!(refused("sma(20,3)").contains("takes 1 parameters, not 2"));
        assert!(refused("sma(x)").contains("not a whole number"));
        assert!(refused("sma(20)@vwap").contains("unknown input"));
        assert!(refused("atr(14)@high").contains("takes no @input"));
        assert!(refused("bb(20,2,2).top").contains("upper, middle, lower"));
        assert!(refused("sma(20").contains("')'"));
        assert!(refused("sma(0)").contains("invalid parameters"));
    }

    #[test]
    fn parameters_talib_refuses_are_refused() {
        assert!(IndicatorKey::of_close(Kind::Sma { period: 0 }).is_err());
        let macd = IndicatorKey::of_close(Kind::Macd { fast: 26, slow: 12, signal: 9 }).unwrap_err();
        assert!(macd.to_string().contains("must be shorter"), "{macd}");
        let zero = Real::new(0.0).unwrap();
        let bands = Kind::Bollinger { period: 20, up: zero, down: zero };
        assert!(IndicatorKey::of_close(bands).unwrap_err().to_string().contains("> 0"));
    }
}
