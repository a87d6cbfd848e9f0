//! Why a run could not be prepared, run or kept.

use std::path::PathBuf;

/// Everything the runner can refuse or fail at, each with what a user needs
/// to fix it.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A run file with problems: every one, each starting with its key path.
    #[error("{}: {}", .file.display(), .problems.join("; "))]
    RunFile {
        /// The run file.
        file: PathBuf,
        /// One entry per problem (`execution.cash = -5 must be a positive amount`).
        problems: Vec<String>,
    },
    /// A setting of the merged spec out of range; `key` is its name in its
    /// section (`cash`), which a command line can name as its own option.
    #[error("{section}.{key} {message}")]
    Setting {
        /// The section (`execution`).
        section: &'static str,
        /// The key in that section (`cash`).
        key: &'static str,
        /// What is wrong, to follow the key (`must be a positive amount, got -5`).
        message: String,
    },
    /// Costs out of range.
    #[error(transparent)]
    Costs(#[from] gt_execution::CostConfigError),
    /// Risk settings out of range.
    #[error(transparent)]
    Risk(#[from] gt_risk::RiskConfigError),
    /// Sleeve weights that cannot be used.
    #[error(transparent)]
    Allocation(#[from] gt_risk::allocation::AllocationError),
    /// An unknown strategy or a bad parameter.
    #[error(transparent)]
    Strategy(#[from] gt_strategy::StrategyError),
    /// Bars that could not be read or failed validation.
    #[error(transparent)]
    Data(#[from] gt_data::DataError),
    /// A download failed.
    #[error(transparent)]
    Fetch(#[from] gt_data::FetchError),
    /// A paper session could not go on.
    #[error(transparent)]
    Live(#[from] gt_live::LiveError),
    /// The broker refused or failed a call.
    #[error(transparent)]
    Alpaca(#[from] gt_alpaca::AlpacaError),
    /// The run store refused.
    #[error("{context}: {source}")]
    Store {
        /// What was being done (`opening the run store sqlite:///…`).
        context: String,
        /// The store's error.
        source: gt_store::StoreError,
    },
    /// A file could not be read or written.
    #[error("{what} {}: {source}", .path.display())]
    Io {
        /// What the file is for (`--report`).
        what: String,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A request that contradicts itself or the data (a symbol not in the
    /// data, a universe file that does not parse…), in words.
    #[error("{0}")]
    Invalid(String),
}

impl RunError {
    /// An [`RunError::Invalid`] from any message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}

impl From<serde_json::Error> for RunError {
    fn from(error: serde_json::Error) -> Self {
        Self::Invalid(format!("cannot encode a record: {error}"))
    }
}
