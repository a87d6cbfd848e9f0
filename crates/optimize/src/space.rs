//! The parameters a sweep varies and the values each may take, read from
//! `--param` options against the strategy's schema.
//!
//! `NAME=START..END:STEP` is a range with both ends included (`5..50:5` is
//! 5, 10, …, 50; without `:STEP` the step is 1), `NAME=a,b,c` a list and
//! `NAME=v` one value. A bare `NAME` sweeps the schema's whole range: both
//! values of a flag; for a number, [`SCHEMA_RANGE_STEPS`] evenly spaced values
//! in a grid, or any value of the range in a random search.

use crate::OptimizeError;
use gt_strategy::{ParamKind, ParamSpec, ParamValue, StrategySpec};

/// Values a grid takes over a number's schema range when none are given.
pub const SCHEMA_RANGE_STEPS: usize = 10;

/// The most values one parameter may list (a range with a tiny step is a typo).
const MAX_VALUES_PER_PARAMETER: usize = 100_000;

/// The values one parameter may take.
#[derive(Clone, Debug, PartialEq)]
pub enum Domain {
    /// Listed values (from a range with a step, a list or one value).
    Values(Vec<ParamValue>),
    /// Every value of the schema's range (a parameter given without values).
    Schema(ParamKind),
}

impl Domain {
    /// The values a grid visits: listed ones, or evenly spaced over the schema range.
    pub fn grid_values(&self) -> Vec<ParamValue> {
        match self {
            Domain::Values(values) => values.clone(),
            Domain::Schema(ParamKind::Bool { .. }) => vec![ParamValue::Bool(false), ParamValue::Bool(true)],
            Domain::Schema(ParamKind::Int { min, max, .. }) => {
                let span = (max - min) as f64;
                let mut values: Vec<ParamValue> = (0..SCHEMA_RANGE_STEPS)
                    .map(|k| {
                        let at = *min as f64 + span * k as f64 / (SCHEMA_RANGE_STEPS - 1) as f64;
                        ParamValue::Int(at.round() as i64)
                    })
                    .collect();
                values.dedup();
                values
            }
            Domain::Schema(ParamKind::Float { min, max, .. }) => (0..SCHEMA_RANGE_STEPS)
                .map(|k| {
                    let at = min + (max - min) * k as f64 / (SCHEMA_RANGE_STEPS - 1) as f64;
                    ParamValue::Float(round_to(at, 6))
                })
                .collect(),
        }
    }
}

/// One parameter the sweep varies.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The parameter's name in the schema.
    pub name: &'static str,
    /// What it may take.
    pub domain: Domain,
}

/// A strategy and the parameters a sweep varies; the others keep their defaults.
#[derive(Clone)]
pub struct SearchSpace {
    /// The strategy swept.
    pub strategy: &'static StrategySpec,
    /// The varied parameters, in the order given.
    pub axes: Vec<Axis>,
    /// Parameters outside the schema passed to every trial as they are
    /// (`ml_signal`'s model).
    pub fixed: Vec<(String, String)>,
}

impl SearchSpace {
    /// Reads `--param` texts (`NAME`, `NAME=VALUES`) for `strategy`; every
    /// value is checked against the schema. A parameter given twice is refused.
    pub fn parse(strategy: &'static StrategySpec, params: &[String]) -> Result<Self, OptimizeError> {
        let mut axes: Vec<Axis> = Vec::new();
        for text in params {
            let (name, values) = match text.split_once('=') {
                Some((name, values)) => (name.trim(), Some(values.trim())),
                None => (text.trim(), None),
            };
            let bad = |message: String| OptimizeError::Param { param: text.clone(), message };
            let spec = strategy.params.iter().find(|p| p.name == name).ok_or_else(|| {
                let valid: Vec<&str> = strategy.params.iter().map(|p| p.name).collect();
                bad(format!("{} has no parameter {name:?}; valid: {}", strategy.name, valid.join(", ")))
            })?;
            if axes.iter().any(|axis| axis.name == spec.name) {
                return Err(bad(format!("{name} is given twice; give all its values in one --param")));
            }
            let domain = match values {
                None => Domain::Schema(spec.kind),
                Some(values) => Domain::Values(parse_values(strategy.name, spec, values).map_err(bad)?),
            };
            axes.push(Axis { name: spec.name, domain });
        }
        if axes.is_empty() {
            return Err(OptimizeError::Invalid(format!(
                "give at least one --param to sweep (e.g. --param {}=…); {} has: {}",
                strategy.params.first().map_or("fast", |p| p.name),
                strategy.name,
                strategy.params.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
            )));
        }
        Ok(Self { strategy, axes, fixed: Vec::new() })
    }

    /// The number of combinations a grid has before constraints (saturating).
    pub fn grid_size(&self) -> u64 {
        self.axes.iter().fold(1u64, |n, axis| n.saturating_mul(axis.domain.grid_values().len() as u64))
    }
}

/// Rounds `value` to `decimals` places, so that `0.1 + 0.2` reads `0.3`.
fn round_to(value: f64, decimals: u32) -> f64 {
    let scale = 10f64.powi(decimals as i32);
    (value * scale).round() / scale
}

/// Decimal places written in a number's text (`0.25` has 2).
fn decimals_of(text: &str) -> u32 {
    text.split_once('.').map_or(0, |(_, fraction)| fraction.trim().len() as u32)
}

/// The values of `text`: a range `START..END[:STEP]`, or a comma-separated list.
fn parse_values(strategy: &'static str, spec: &ParamSpec, text: &str) -> Result<Vec<ParamValue>, String> {
    let check = |value: &str| spec.parse(strategy, value).map_err(|e| e.to_string());
    let values = match text.split_once("..") {
        Some((start, rest)) => {
            let (end, step) = rest.split_once(':').map_or((rest, None), |(end, step)| (end, Some(step)));
            range_values(spec, start.trim(), end.trim(), step.map(str::trim))?
                .iter()
                .map(|v| check(v))
                .collect::<Result<Vec<_>, _>>()?
        }
        None => text.split(',').map(|v| check(v.trim())).collect::<Result<Vec<_>, _>>()?,
    };
    let mut unique: Vec<ParamValue> = Vec::with_capacity(values.len());
    for value in values {
        if !unique.contains(&value) {
            unique.push(value);
        }
    }
    Ok(unique)
}

/// The texts of the range `start..=end` in steps of `step` (1 if not given).
fn range_values(spec: &ParamSpec, start: &str, end: &str, step: Option<&str>) -> Result<Vec<String>, String> {
    let number = |what: &str, text: &str| {
        text.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| {
            format!("the range's {what} {text:?} is not a number (write START..END:STEP, e.g. 5..50:5)")
        })
    };
    if matches!(spec.kind, ParamKind::Bool { .. }) {
        return Err(format!("{} is a flag: give true,false rather than a range", spec.name));
    }
    let (first, last) = (number("start", start)?, number("end", end)?);
    let step_text = step.unwrap_or("1");
    let step_value = number("step", step_text)?;
    if step_value <= 0.0 {
        return Err(format!("the step {step_text} must be above 0"));
    }
    if last < first {
        return Err(format!("the range ends ({end}) before it starts ({start})"));
    }
    let integer = matches!(spec.kind, ParamKind::Int { .. });
    if integer && [first, last, step_value].iter().any(|v| v.fract() != 0.0) {
        return Err(format!("{} takes whole numbers: write e.g. 5..50:5", spec.name));
    }
    let count = ((last - first) / step_value * (1.0 + 1e-12)).floor() as usize + 1;
    if count > MAX_VALUES_PER_PARAMETER {
        return Err(format!(
            "the range has {count} values, more than {MAX_VALUES_PER_PARAMETER}: use a larger step"
        ));
    }
    let decimals = [start, end, step_text].iter().map(|t| decimals_of(t)).max().unwrap_or(0);
    Ok((0..count)
        .map(|k| {
            let value = first + k as f64 * step_value;
            if integer {
                format!("{}", value.round() as i64)
            } else {
                format!("{}", round_to(value, decimals))
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use gt_strategy::registry;

    fn space(params: &[&str]) -> Result<SearchSpace, OptimizeError> {
        let strategy = registry::find("demo_ma").unwrap();
        SearchSpace::parse(strategy, &params.iter().map(|p| p.to_string()).collect::<Vec<_>>())
    }

    fn values(axis: &Axis) -> Vec<String> {
        axis.domain.grid_values().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn ranges_include_both_ends_and_lists_keep_their_order() {
        let space = space(&["fast=5..50:5", "slow=30,10,20", "allow_short=true,false"]).unwrap();
        assert_eq!(values(&space.axes[0]), ["5", "10", "15", "20", "25", "30", "35", "40", "45", "50"]);
        assert_eq!(values(&space.axes[1]), ["30", "10", "20"]);
        assert_eq!(values(&space.axes[2]), ["true", "false"]);
        assert_eq!(space.grid_size(), 60);
    }

    #[test]
    fn float_ranges_read_as_written() {
        let strategy = registry::find("volatility").unwrap();
        let space = SearchSpace::parse(strategy, &["std_dev=0.5..2.5:0.4".to_owned()]).unwrap();
        assert_eq!(values(&space.axes[0]), ["0.5", "0.9", "1.3", "1.7", "2.1", "2.5"]);
    }

    #[test]
    fn a_bare_parameter_sweeps_its_schema_range() {
        let space = space(&["fast", "allow_short"]).unwrap();
        let fast = values(&space.axes[0]);
        assert_eq!((fast.len(), fast[0].as_str(), fast[9].as_str()), (10, "1", "10000"));
        assert_eq!(values(&space.axes[1]), ["false", "true"]);
    }

    #[test]
    fn bad_ranges_say_what_to_write() {
        let message = |params: &[&str]| space(params).err().unwrap().to_string();
        assert!(message(&["fats=1..5"]).contains("no parameter \"fats\"; valid: fast, slow, allow_short"));
        assert!(message(&["fast=50..5:5"]).contains("ends (5) before it starts (50)"));
        assert!(message(&["fast=5..50:0"]).contains("must be above 0"));
        assert!(message(&["fast=5..50:2.5"]).contains("whole numbers"));
        assert!(message(&["fast=a..b"]).contains("is not a number"));
        assert!(message(&["fast=0..10"]).contains("outside the valid range 1..=10000"));
        assert!(message(&["fast=1..10000000:1"]).contains("more than 100000"));
        assert!(message(&["allow_short=0..1"]).contains("is a flag"));
        assert!(message(&["fast=5", "fast=6"]).contains("given twice"));
        assert!(message(&[]).contains("at least one --param"));
    }
}
