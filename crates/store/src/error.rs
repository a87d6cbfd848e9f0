/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names no supported database.
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://USER@HOST:PORT/DB")]
    UnsupportedUrl(String),
    /// The database answered with an error, or the connection to it failed.
    /// (Its cause is in the message, not chained again: printed once.)
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// No connection could be made within the connect timeout.
    #[error(
        "no answer from the database within {seconds} s (is the server running, and the host and port right?)"
    )]
    Unreachable {
        /// The timeout, in seconds.
        seconds: u64,
    },
    /// The schema could not be brought up to date.
    #[error("cannot migrate the run store: {0}")]
    Migration(sqlx::migrate::MigrateError),
    /// A stored JSON column does not parse (the row was written by something else).
    #[error("run {id}: stored {column} is not valid JSON: {source}")]
    CorruptJson {
        /// Run id.
        id: String,
        /// Column name.
        column: &'static str,
        /// Parser error.
        source: serde_json::Error,
    },
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(error)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        Self::Migration(error)
    }
}
