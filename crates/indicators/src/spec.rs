//! Indicator specs as typed on the command line: `name[:p1,p2,...]`.

use crate::{Computation, IndicatorError, IndicatorKey, Input, Kind, Real};

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

    /// The key of this spec's computation (its first output).
    pub fn key(&self) -> Result<IndicatorKey, IndicatorError> {
        let real = |index: usize, default: f64| self.number(index, default).and_then(Real::new);
        let (kind, input) = match self.name.as_str() {
            "sma" => (Kind::Sma { period: self.period(0)? }, Input::Close),
            "ema" => (Kind::Ema { period: self.period(0)? }, Input::Close),
            "wma" => (Kind::Wma { period: self.period(0)? }, Input::Close),
            "rsi" => (Kind::Rsi { period: self.period(0)? }, Input::Close),
            "atr" => (Kind::Atr { period: self.period(0)? }, Input::Close),
            "natr" => (Kind::Natr { period: self.period(0)? }, Input::Close),
            "trange" => (Kind::TrueRange, Input::Close),
            "bb" => {
                let up = real(1, 2.0)?;
                let down = real(2, up.get())?;
                (Kind::Bollinger { period: self.period(0)?, up, down }, Input::Close)
            }
            "stddev" => (Kind::StdDev { period: self.period(0)?, deviations: real(1, 1.0)? }, Input::Close),
            "macd" => {
                let (fast, slow, signal) = (self.period(0)?, self.period(1)?, self.period(2)?);
                (Kind::Macd { fast, slow, signal }, Input::Close)
            }
            "roc" => (Kind::Roc { period: self.period(0)? }, Input::Close),
            "mom" => (Kind::Mom { period: self.period(0)? }, Input::Close),
            "max_high" => (Kind::Max { period: self.period(0)? }, Input::High),
            "min_low" => (Kind::Min { period: self.period(0)? }, Input::Low),
            "adx" => (Kind::Adx { period: self.period(0)? }, Input::Close),
            "stoch" => {
                let (fast_k, slow_k, slow_d) = (self.period(0)?, self.period(1)?, self.period(2)?);
                (Kind::Stoch { fast_k, slow_k, slow_d }, Input::Close)
            }
            "obv" => (Kind::Obv, Input::Close),
            "cci" => (Kind::Cci { period: self.period(0)? }, Input::Close),
            "willr" => (Kind::Willr { period: self.period(0)? }, Input::Close),
            other => unreachable!("parse() admits only known names, got {other}"),
        };
        // Problems found in the key are reported against the spec as typed.
        IndicatorKey::new(kind, input).map_err(|error| match error {
            IndicatorError::BadSpec { problem, .. } => self.bad(&problem),
            other => other,
        })
    }

    /// Builds a fresh computation for this spec, writing every output column.
    pub fn build(&self) -> Result<Computation, IndicatorError> {
        Ok(Computation::new(&self.key()?))
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
