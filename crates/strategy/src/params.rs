use crate::StrategyError;
use std::collections::BTreeMap;
use std::fmt;

/// The type, default and valid range of one parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamKind {
    /// A whole number in `min..=max`.
    Int {
        /// Value when not given.
        default: i64,
        /// Smallest valid value.
        min: i64,
        /// Largest valid value.
        max: i64,
    },
    /// A real number in `min..=max`.
    Float {
        /// Value when not given.
        default: f64,
        /// Smallest valid value.
        min: f64,
        /// Largest valid value.
        max: f64,
    },
    /// `true` or `false`.
    Bool {
        /// Value when not given.
        default: bool,
    },
}

/// One parameter a strategy declares: used by the CLI, optimizer and dashboard alike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamSpec {
    /// Name as typed on the command line (`--param fast=10`).
    pub name: &'static str,
    /// Type, default and range.
    pub kind: ParamKind,
    /// One line saying what the parameter does.
    pub help: &'static str,
}

impl ParamSpec {
    /// Its type, default and range as text: `("int", "10", "1..=10000")`.
    pub fn describe(&self) -> (&'static str, String, String) {
        match self.kind {
            ParamKind::Int { default, min, max } => ("int", default.to_string(), format!("{min}..={max}")),
            ParamKind::Float { default, min, max } => {
                ("float", default.to_string(), format!("{min}..={max}"))
            }
            ParamKind::Bool { default } => ("bool", default.to_string(), "true | false".to_owned()),
        }
    }

    /// The `atr_period` parameter shared by the strategies with ATR stops.
    pub const ATR_PERIOD: ParamSpec = ParamSpec {
        name: "atr_period",
        kind: ParamKind::Int { default: 14, min: 1, max: 5_000 },
        help: "bars in the average true range (Wilder)",
    };
}

/// A parameter's value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ParamValue {
    /// Whole number.
    Int(i64),
    /// Real number.
    Float(f64),
    /// Flag.
    Bool(bool),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Int(v) => write!(f, "{v}"),
            ParamValue::Float(v) => write!(f, "{v}"),
            ParamValue::Bool(v) => write!(f, "{v}"),
        }
    }
}

impl ParamSpec {
    /// The value used when the parameter is not given.
    pub fn default_value(&self) -> ParamValue {
        match self.kind {
            ParamKind::Int { default, .. } => ParamValue::Int(default),
            ParamKind::Float { default, .. } => ParamValue::Float(default),
            ParamKind::Bool { default } => ParamValue::Bool(default),
        }
    }

    /// Parses and range-checks `text` for this parameter of `strategy`.
    pub fn parse(&self, strategy: &'static str, text: &str) -> Result<ParamValue, StrategyError> {
        let bad = |expected| StrategyError::BadValue {
            strategy,
            name: self.name,
            value: text.to_owned(),
            expected,
        };
        let out_of_range = |min: String, max: String| StrategyError::OutOfRange {
            strategy,
            name: self.name,
            value: text.trim().to_owned(),
            min,
            max,
        };
        let text = text.trim();
        match self.kind {
            ParamKind::Int { min, max, .. } => {
                let value: i64 = text.parse().map_err(|error: std::num::ParseIntError| {
                    // A whole number too large for i64 is out of range, not "not an integer".
                    match error.kind() {
                        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                            out_of_range(min.to_string(), max.to_string())
                        }
                        _ => bad("an integer"),
                    }
                })?;
                if value < min || value > max {
                    return Err(out_of_range(min.to_string(), max.to_string()));
                }
                Ok(ParamValue::Int(value))
            }
            ParamKind::Float { min, max, .. } => {
                let value: f64 = text.parse().map_err(|_| bad("a number"))?;
                if !value.is_finite() {
                    return Err(bad("a finite number"));
                }
                if value < min || value > max {
                    return Err(out_of_range(min.to_string(), max.to_string()));
                }
                Ok(ParamValue::Float(value))
            }
            ParamKind::Bool { .. } => match text.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(ParamValue::Bool(true)),
                "false" | "0" | "no" | "off" => Ok(ParamValue::Bool(false)),
                _ => Err(bad("true or false")),
            },
        }
    }
}

/// A complete, validated set of parameter values for one strategy: every
/// declared parameter has a value of its declared type within its range.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    values: BTreeMap<&'static str, ParamValue>,
}

impl Params {
    /// Resolves `given` (name, text) pairs against `schema`, filling defaults.
    /// A later pair for the same name wins, as on a command line.
    pub fn resolve(
        strategy: &'static str,
        schema: &[ParamSpec],
        given: &[(String, String)],
    ) -> Result<Self, StrategyError> {
        let mut values: BTreeMap<&'static str, ParamValue> =
            schema.iter().map(|spec| (spec.name, spec.default_value())).collect();
        for (name, text) in given {
            let spec = schema.iter().find(|spec| spec.name == name.trim()).ok_or_else(|| {
                StrategyError::UnknownParam {
                    strategy,
                    name: name.clone(),
                    valid: schema.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
                }
            })?;
            values.insert(spec.name, spec.parse(strategy, text)?);
        }
        Ok(Self { values })
    }

    /// All values by name, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, ParamValue)> + '_ {
        self.values.iter().map(|(name, value)| (*name, *value))
    }

    /// The integer parameter `name`. Panics if the strategy's own schema
    /// does not declare it as an integer: a programming error, not bad input.
    pub fn int(&self, name: &str) -> i64 {
        match self.values.get(name) {
            Some(ParamValue::Int(value)) => *value,
            other => panic!("schema declares no integer parameter '{name}' (found {other:?})"),
        }
    }

    /// The real-valued parameter `name` (panics like [`Params::int`]).
    pub fn float(&self, name: &str) -> f64 {
        match self.values.get(name) {
            Some(ParamValue::Float(value)) => *value,
            other => panic!("schema declares no float parameter '{name}' (found {other:?})"),
        }
    }

    /// The flag `name` (panics like [`Params::int`]).
    pub fn flag(&self, name: &str) -> bool {
        match self.values.get(name) {
            Some(ParamValue::Bool(value)) => *value,
            other => panic!("schema declares no bool parameter '{name}' (found {other:?})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: [ParamSpec; 3] = [
        ParamSpec { name: "n", kind: ParamKind::Int { default: 5, min: 1, max: 10 }, help: "" },
        ParamSpec { name: "x", kind: ParamKind::Float { default: 0.5, min: 0.0, max: 1.0 }, help: "" },
        ParamSpec { name: "b", kind: ParamKind::Bool { default: false }, help: "" },
    ];

    fn given(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_fill_what_is_not_given_and_later_values_win() {
        let params = Params::resolve("s", &SCHEMA, &given(&[("n", "3"), ("n", "7"), ("b", "yes")])).unwrap();
        assert_eq!((params.int("n"), params.float("x"), params.flag("b")), (7, 0.5, true));
    }

    #[test]
    fn bad_names_types_and_ranges_are_explained() {
        let err = |pairs| Params::resolve("s", &SCHEMA, &given(pairs)).unwrap_err().to_string();
        assert_eq!(err(&[("m", "1")]), "strategy 's' has no parameter 'm'; valid parameters: n, x, b");
        assert_eq!(err(&[("n", "2.5")]), "parameter 'n' of 's': \"2.5\" is not an integer");
        assert_eq!(err(&[("n", "11")]), "parameter 'n' of 's': 11 is outside the valid range 1..=10");
        assert_eq!(
            err(&[("n", "99999999999999999999")]),
            "parameter 'n' of 's': 99999999999999999999 is outside the valid range 1..=10"
        );
        assert_eq!(err(&[("x", "nan")]), "parameter 'x' of 's': \"nan\" is not a finite number");
        assert_eq!(err(&[("b", "maybe")]), "parameter 'b' of 's': \"maybe\" is not true or false");
    }
}
