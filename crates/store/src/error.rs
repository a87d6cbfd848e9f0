/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL names no supported database.
    #[error("unsupported database URL {0:?}: use sqlite://FILE or postgres://USER@HOST:PORT/DB")]
    UnsupportedUrl(String),
    /// The database could not be reached or answered with an error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("cannot migrate the run store: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
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
