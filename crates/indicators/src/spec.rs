//! Indicator specs as typed on the command line: `name[:p1,p2,...]`.

use crate::{
    Adx, Atr, BollingerBands, Cci, Ema, IndicatorError, Macd, Max, Min, Mom, Natr, Obv, Roc, Rsi, Sma,
    StdDev, Stoch, TrueRange, Willr, Wma,
};
use gt_model::Bar;

/// Every spec name with its required and optional parameters, for help and errors.
pub const SPEC_USAGE: &[(&str, &[&str], &[&str])] = &[
    ("sma", &["period"], &[]),
    ("ema", &["period"], &[]),
    ("wma", &["period"], &[]),
    ("rsi", &["period"], &[]),
    ("atr", &["period"], &[]),
    ("natr", &["period"], &[]),
    ("trange", &[], &[]),
    ("bb", &["period", "deviations"], &["deviations_down"]),
    ("stddev", &["period"], &["deviations"]),
    ("macd", &["fast", "slow", "signal"], &[]),
    ("roc", &["period"], &[]),
    ("mom", &["period"], &[]),
    ("max_high", &["period"], &[]),
    ("min_low", &["period"], &[]),
    ("adx", &["period"], &[]),
    ("stoch", &["fast_k", "slow_k", "slow_d"], &[]),
    ("obv", &[], &[]),
    ("cci", &["period"], &[]),
    ("willr", &["period"], &[]),
];

/// `name:p1,p2[,p3]` as shown in help and errors.
pub fn spec_usage(name: &str, required: &[&str], optional: &[&str]) -> String {
    let mut text = name.to_owned();
    if !required.is_empty() {
        text += &format!(":{}", required.join(","));
    }
    for param in optional {
        text += &format!("[,{param}]");
    }
    text
}

/// Fails when two of `specs` would write a column of the same name (the
/// same indicator asked for twice).
pub fn distinct_columns(specs: &[IndicatorSpec]) -> Result<(), IndicatorError> {
    let mut seen: Vec<(String, &IndicatorSpec)> = Vec::new();
    for spec in specs {
        for column in spec.columns() {
            if let Some((_, first)) = seen.iter().find(|(c, _)| *c == column) {
                return Err(IndicatorError::BadSpec {
                    spec: spec.to_string(),
                    problem: format!(
                        "its column {column} is already written by {first}: ask for each indicator once"
                    ),
                });
            }
            seen.push((column, spec));
        }
    }
    Ok(())
}

/// A parsed spec: which indicator, with which parameters, named how.
#[derive(Clone, Debug, PartialEq)]
pub struct IndicatorSpec {
    name: String,
    params: Vec<String>,
}

impl IndicatorSpec {
    /// Parses `name[:p1,p2,...]`, checking the name and the number of parameters.
    pub fn parse(spec: &str) -> Result<Self, IndicatorError> {
        let bad = |problem: String| IndicatorError::BadSpec { spec: spec.to_owned(), problem };
        let (name, params) = match spec.trim().split_once(':') {
            Some((name, params)) => (name.trim(), params.split(',').map(|p| p.trim().to_owned()).collect()),
            None => (spec.trim(), Vec::new()),
        };
        let Some((_, required, optional)) = SPEC_USAGE.iter().find(|(known, _, _)| *known == name) else {
            let names: Vec<&str> = SPEC_USAGE.iter().map(|(n, _, _)| *n).collect();
            return Err(bad(format!("unknown indicator '{name}'; known: {}", names.join(" "))));
        };
        if params.len() < required.len() || params.len() > required.len() + optional.len() {
            return Err(bad(format!("expected {}", spec_usage(name, required, optional))));
        }
        if params.iter().any(String::is_empty) {
            return Err(bad("empty parameter".to_owned()));
        }
        Ok(Self { name: name.to_owned(), params })
    }

    /// Output column names: the name and parameters as typed, e.g. `bb_upper_30_2.5`.
    pub fn columns(&self) -> Vec<String> {
        let suffix: String = self.params.iter().map(|p| format!("_{p}")).collect();
        let outputs: &[&str] = match self.name.as_str() {
            "bb" => &["bb_upper", "bb_middle", "bb_lower"],
            "macd" => &["macd", "macd_signal", "macd_hist"],
            "stoch" => &["stoch_k", "stoch_d"],
            name => return vec![format!("{name}{suffix}")],
        };
        outputs.iter().map(|o| format!("{o}{suffix}")).collect()
    }

    fn bad(&self, problem: &str) -> IndicatorError {
        IndicatorError::BadSpec { spec: self.to_string(), problem: problem.to_owned() }
    }

    fn period(&self, index: usize) -> Result<usize, IndicatorError> {
        self.params[index].parse().map_err(|_| IndicatorError::BadSpec {
            spec: self.to_string(),
            problem: format!("{:?} is not a whole number of bars", self.params[index]),
        })
    }

    fn number(&self, index: usize, default: f64) -> Result<f64, IndicatorError> {
        match self.params.get(index) {
            None => Ok(default),
            Some(text) => {
                text.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| IndicatorError::BadSpec {
                    spec: self.to_string(),
                    problem: format!("{text:?} is not a number"),
                })
            }
        }
    }

    /// Builds a fresh indicator for this spec.
    pub fn build(&self) -> Result<SpecIndicator, IndicatorError> {
        use SpecIndicator as S;
        Ok(match self.name.as_str() {
            "sma" => S::Sma(Sma::new(self.period(0)?)?),
            "ema" => S::Ema(Ema::new(self.period(0)?)?),
            "wma" => S::Wma(Wma::new(self.period(0)?)?),
            "rsi" => S::Rsi(Rsi::new(self.period(0)?)?),
            "atr" => S::Atr(Atr::new(self.period(0)?)?),
            "natr" => S::Natr(Natr::new(self.period(0)?)?),
            "trange" => S::TrueRange(TrueRange::new()?),
            "bb" => {
                let (up, down) = (self.number(1, 2.0)?, self.number(2, self.number(1, 2.0)?)?);
                if up <= 0.0 || down <= 0.0 {
                    return Err(
                        self.bad("the deviations must be > 0 (the bands lie either side of the average)")
                    );
                }
                S::Bands(BollingerBands::new(self.period(0)?, up, down)?)
            }
            "stddev" => S::StdDev(StdDev::new(self.period(0)?, self.number(1, 1.0)?)?),
            "macd" => {
                let (fast, slow) = (self.period(0)?, self.period(1)?);
                if fast >= slow {
                    return Err(
                        self.bad(&format!("the fast period ({fast}) must be shorter than the slow ({slow})"))
                    );
                }
                S::Macd(Macd::new(fast, slow, self.period(2)?)?)
            }
            "roc" => S::Roc(Roc::new(self.period(0)?)?),
            "mom" => S::Mom(Mom::new(self.period(0)?)?),
            "max_high" => S::MaxHigh(Max::new(self.period(0)?)?),
            "min_low" => S::MinLow(Min::new(self.period(0)?)?),
            "adx" => S::Adx(Adx::new(self.period(0)?)?),
            "stoch" => S::Stoch(Stoch::new(self.period(0)?, self.period(1)?, self.period(2)?)?),
            "obv" => S::Obv(Obv::new()?),
            "cci" => S::Cci(Cci::new(self.period(0)?)?),
            "willr" => S::Willr(Willr::new(self.period(0)?)?),
            other => unreachable!("parse() admits only known names, got {other}"),
        })
    }
}

impl std::fmt::Display for IndicatorSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.params.is_empty() {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{}:{}", self.name, self.params.join(","))
        }
    }
}

/// Any indicator a spec can name, fed whole bars.
///
/// Built once per spec and kept for a whole series, so the size of TA-Lib's
/// larger stream states (stochastic: ~1.5 KB) does not matter here.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum SpecIndicator {
    /// `sma`
    Sma(Sma),
    /// `ema`
    Ema(Ema),
    /// `wma`
    Wma(Wma),
    /// `rsi`
    Rsi(Rsi),
    /// `atr`
    Atr(Atr),
    /// `natr`
    Natr(Natr),
    /// `trange`
    TrueRange(TrueRange),
    /// `bb`
    Bands(BollingerBands),
    /// `stddev`
    StdDev(StdDev),
    /// `macd`
    Macd(Macd),
    /// `roc`
    Roc(Roc),
    /// `mom`
    Mom(Mom),
    /// `max_high`
    MaxHigh(Max),
    /// `min_low`
    MinLow(Min),
    /// `adx`
    Adx(Adx),
    /// `stoch`
    Stoch(Stoch),
    /// `obv`
    Obv(Obv),
    /// `cci`
    Cci(Cci),
    /// `willr`
    Willr(Willr),
}

impl SpecIndicator {
    /// Feeds `bar`; writes one value per output column into `out` (NaN during warm-up).
    pub fn update(&mut self, bar: &Bar, out: &mut [f64]) {
        let (h, l, c) = (bar.high, bar.low, bar.close);
        let single = |value: Option<f64>, out: &mut [f64]| out[0] = value.unwrap_or(f64::NAN);
        match self {
            Self::Sma(i) => single(i.update(c), out),
            Self::Ema(i) => single(i.update(c), out),
            Self::Wma(i) => single(i.update(c), out),
            Self::Rsi(i) => single(i.update(c), out),
            Self::Atr(i) => single(i.update(h, l, c), out),
            Self::Natr(i) => single(i.update(h, l, c), out),
            Self::TrueRange(i) => single(i.update(h, l, c), out),
            Self::StdDev(i) => single(i.update(c), out),
            Self::Roc(i) => single(i.update(c), out),
            Self::Mom(i) => single(i.update(c), out),
            Self::MaxHigh(i) => single(i.update(h), out),
            Self::MinLow(i) => single(i.update(l), out),
            Self::Adx(i) => single(i.update(h, l, c), out),
            Self::Obv(i) => single(i.update(c, bar.volume), out),
            Self::Cci(i) => single(i.update(h, l, c), out),
            Self::Willr(i) => single(i.update(h, l, c), out),
            Self::Bands(i) => {
                let v = i.update(c);
                out[0] = v.map_or(f64::NAN, |b| b.upper);
                out[1] = v.map_or(f64::NAN, |b| b.middle);
                out[2] = v.map_or(f64::NAN, |b| b.lower);
            }
            Self::Macd(i) => {
                let v = i.update(c);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contradictory_or_repeated_specs_are_refused() {
        let build = |text: &str| IndicatorSpec::parse(text).unwrap().build().err().map(|e| e.to_string());
        assert!(
            build("macd:26,12,9").unwrap().contains("fast period (26) must be shorter than the slow (12)")
        );
        assert!(build("bb:20,-2").unwrap().contains("deviations must be > 0"));
        assert!(build("bb:20,2,0").unwrap().contains("deviations must be > 0"));
        assert!(build("macd:12,26,9").is_none() && build("bb:20,2").is_none());
        let specs =
            |texts: &[&str]| texts.iter().map(|t| IndicatorSpec::parse(t).unwrap()).collect::<Vec<_>>();
        let twice = distinct_columns(&specs(&["sma:5", "ema:5", "sma:5"])).unwrap_err().to_string();
        assert!(twice.contains("column sma_5 is already written by sma:5"), "{twice}");
        assert!(distinct_columns(&specs(&["sma:5", "sma:10"])).is_ok());
    }

    #[test]
    fn columns_carry_the_parameters_as_typed() {
        let columns = |s: &str| IndicatorSpec::parse(s).unwrap().columns();
        assert_eq!(columns("sma:20"), ["sma_20"]);
        assert_eq!(columns("bb:30,2.5"), ["bb_upper_30_2.5", "bb_middle_30_2.5", "bb_lower_30_2.5"]);
        assert_eq!(columns("macd:12,26,9"), ["macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9"]);
        assert_eq!(columns("stoch:14,3,3"), ["stoch_k_14_3_3", "stoch_d_14_3_3"]);
        assert_eq!(columns("max_high:20"), ["max_high_20"]);
        assert_eq!(columns("trange"), ["trange"]);
    }

    #[test]
    fn bad_specs_say_what_is_expected() {
        let err = |s: &str| {
            IndicatorSpec::parse(s).and_then(|spec| spec.build().map(|_| ())).unwrap_err().to_string()
        };
        assert!(err("foo:3").contains("unknown indicator 'foo'; known: sma ema"));
        assert!(err("sma").contains("expected sma:period"));
        assert!(err("macd:12,26").contains("expected macd:fast,slow,signal"));
        assert!(err("sma:x").contains("\"x\" is not a whole number of bars"));
        assert!(err("sma:0").contains("invalid parameters period=0"));
        assert!(err("trange:3").contains("expected trange"));
    }
}
