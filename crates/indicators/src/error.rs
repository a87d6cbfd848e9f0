/// Why an indicator could not be built.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IndicatorError {
    /// A parameter is outside what the indicator accepts (e.g. a period below 2).
    #[error(
        "{indicator}: invalid parameters {params} (TA-Lib accepts periods from 2 to 100000 for most indicators)"
    )]
    BadParameters {
        /// Indicator name.
        indicator: &'static str,
        /// The parameters given, as written.
        params: String,
    },
    /// An indicator specification could not be parsed.
    #[error("indicator spec {spec:?}: {problem}")]
    BadSpec {
        /// The spec as typed.
        spec: String,
        /// What is wrong with it.
        problem: String,
    },
}
