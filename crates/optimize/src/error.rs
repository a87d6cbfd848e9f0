//! Why a sweep could not be set up or run.

use gt_runner::RunError;

/// A sweep's error: each names the option or value to fix.
#[derive(Debug, thiserror::Error)]
pub enum OptimizeError {
    /// A `--param` value list or range that does not parse or fit the schema.
    #[error("--param {param}: {message}")]
    Param {
        /// The parameter as given.
        param: String,
        /// What is wrong and what to write instead.
        message: String,
    },
    /// A `--constraint` that does not parse or names an unknown parameter.
    #[error("--constraint {text:?}: {message}")]
    Constraint {
        /// The constraint as given.
        text: String,
        /// What is wrong.
        message: String,
    },
    /// An objective that is not a statistic.
    #[error("--objective {key:?} is not a statistic; use one of: {valid}")]
    Objective {
        /// The key given.
        key: String,
        /// The valid keys, comma-separated.
        valid: String,
    },
    /// Settings that leave nothing to run, or do not go together.
    #[error("{0}")]
    Invalid(String),
    /// A study of the same name defined differently.
    #[error("study {name:?} exists with a different definition ({difference}); use another --study name")]
    StudyMismatch {
        /// The study's name.
        name: String,
        /// The first setting that differs.
        difference: String,
    },
    /// Preparing or running a trial failed.
    #[error(transparent)]
    Run(#[from] RunError),
}
