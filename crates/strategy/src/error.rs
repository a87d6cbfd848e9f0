/// Why a strategy could not be built from a name and parameters.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StrategyError {
    /// No strategy has this name.
    #[error("unknown strategy '{name}'; valid strategies: {valid}")]
    UnknownStrategy {
        /// Name asked for.
        name: String,
        /// Comma-separated valid names.
        valid: String,
    },
    /// The strategy has no parameter of this name.
    #[error("strategy '{strategy}' has no parameter '{name}'; valid parameters: {valid}")]
    UnknownParam {
        /// Strategy name.
        strategy: &'static str,
        /// Parameter asked for.
        name: String,
        /// Comma-separated valid parameter names.
        valid: String,
    },
    /// The value does not parse as the parameter's type.
    #[error("parameter '{name}' of '{strategy}': {value:?} is not {expected}")]
    BadValue {
        /// Strategy name.
        strategy: &'static str,
        /// Parameter name.
        name: &'static str,
        /// Text given.
        value: String,
        /// What was expected, e.g. "an integer".
        expected: &'static str,
    },
    /// The value is outside the parameter's valid range.
    #[error("parameter '{name}' of '{strategy}': {value} is outside the valid range {min}..={max}")]
    OutOfRange {
        /// Strategy name.
        strategy: &'static str,
        /// Parameter name.
        name: &'static str,
        /// Value given.
        value: String,
        /// Smallest valid value.
        min: String,
        /// Largest valid value.
        max: String,
    },
    /// The parameters are individually valid but not together.
    #[error("strategy '{strategy}': {message}")]
    Inconsistent {
        /// Strategy name.
        strategy: &'static str,
        /// What is wrong and how to fix it.
        message: String,
    },
}
