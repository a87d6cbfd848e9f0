/// Why an ML step could not be done.
#[derive(Debug, thiserror::Error)]
pub enum MlError {
    /// A feature set, label or model specification is malformed.
    #[error("{0}")]
    Spec(String),
    /// Too few samples for what was asked.
    #[error("{0}")]
    NotEnoughData(String),
    /// A model was asked to run on features of another schema.
    #[error(
        "the model was trained on feature schema {trained}, not {given}: train it again on these features"
    )]
    SchemaMismatch {
        /// Hash of the schema the model was trained on.
        trained: String,
        /// Hash of the schema it was given.
        given: String,
    },
}
