//! The built-in strategies by name, each with its parameter schema.

use crate::{
    ParamSpec, Params, Strategy, StrategyError, demo_ma, mean_reversion, momentum, trend_breakout, volatility,
};

/// A strategy the CLI, optimizer and dashboard can list, describe and build.
pub struct StrategySpec {
    /// Name used on the command line.
    pub name: &'static str,
    /// One-line description.
    pub summary: &'static str,
    /// The trading rules, a few lines of prose.
    pub rules: &'static str,
    /// Declared parameters.
    pub params: &'static [ParamSpec],
    /// Builds an instance from validated parameters.
    build: fn(&Params) -> Result<Box<dyn Strategy>, StrategyError>,
}

impl StrategySpec {
    /// Declares a strategy.
    pub const fn new(
        name: &'static str,
        summary: &'static str,
        rules: &'static str,
        params: &'static [ParamSpec],
        build: fn(&Params) -> Result<Box<dyn Strategy>, StrategyError>,
    ) -> Self {
        Self { name, summary, rules, params, build }
    }

    /// Validates `given` (name, text) pairs against the schema.
    pub fn resolve(&self, given: &[(String, String)]) -> Result<Params, StrategyError> {
        Params::resolve(self.name, self.params, given)
    }

    /// Builds an instance from validated parameters.
    pub fn build(&self, params: &Params) -> Result<Box<dyn Strategy>, StrategyError> {
        (self.build)(params)
    }
}

/// Every built-in strategy.
pub static STRATEGIES: &[StrategySpec] =
    &[demo_ma::SPEC, trend_breakout::SPEC, mean_reversion::SPEC, momentum::SPEC, volatility::SPEC];

/// The strategy called `name`, or an error listing the valid names.
pub fn find(name: &str) -> Result<&'static StrategySpec, StrategyError> {
    STRATEGIES.iter().find(|spec| spec.name == name).ok_or_else(|| StrategyError::UnknownStrategy {
        name: name.to_owned(),
        valid: STRATEGIES.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_strategy_lists_valid_names() {
        let err = find("nope").err().unwrap().to_string();
        assert_eq!(
            err,
            "unknown strategy 'nope'; valid strategies: demo_ma, trend_breakout, mean_reversion, momentum, volatility"
        );
    }

    #[test]
    fn every_default_parameter_set_builds() {
        for spec in STRATEGIES {
            let params = spec.resolve(&[]).unwrap();
            assert!(spec.build(&params).is_ok(), "{}", spec.name);
        }
    }
}
