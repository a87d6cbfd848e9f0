/// Why a paper session could not go on.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] gt_store::StoreError),
    /// The session's lock file could not be made or opened.
    #[error("cannot lock session {session:?} ({path}): {source}")]
    Lock {
        /// Session name.
        session: String,
        /// Lock file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The broker refused or failed a call.
    #[error(transparent)]
    Alpaca(#[from] gt_alpaca::AlpacaError),
    /// The account or an instrument cannot be traded as the session asks.
    #[error("{0}")]
    Refused(String),
    /// A stream ended for good (e.g. its keys were refused).
    #[error("{0}")]
    Stream(String),
    /// The async runtime for store access could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
}
