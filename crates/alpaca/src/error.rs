/// Why a call to Alpaca failed. Each variant says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum AlpacaError {
    /// No keys were given.
    #[error("Alpaca needs keys: set APCA_API_KEY_ID and APCA_API_SECRET_KEY (paper account keys)")]
    MissingKeys,
    /// The keys were refused.
    #[error(
        "Alpaca refused the keys (HTTP 401): check APCA_API_KEY_ID / APCA_API_SECRET_KEY and APCA_API_BASE_URL"
    )]
    Unauthorized,
    /// Allowed keys, forbidden action: insufficient buying power, a blocked
    /// account, or a feed the plan does not include.
    #[error("Alpaca forbids it (HTTP 403): {message}")]
    Forbidden {
        /// Alpaca's message, e.g. "insufficient buying power".
        message: String,
    },
    /// No such order, position or asset.
    #[error("Alpaca has no {what}")]
    NotFound {
        /// What was asked for.
        what: String,
    },
    /// The order (or request) is invalid, e.g. a duplicate client order id.
    #[error("Alpaca rejected the request (HTTP 422): {message}")]
    Unprocessable {
        /// Alpaca's message.
        message: String,
    },
    /// Still rate-limited or failing after every retry.
    #[error("{what}: HTTP {status} after {tries} tries; Alpaca is busy or down, try again later")]
    GaveUp {
        /// The call.
        what: String,
        /// Last status.
        status: u16,
        /// Attempts made.
        tries: u32,
    },
    /// Another HTTP status.
    #[error("{what}: unexpected HTTP {status}: {body}")]
    Status {
        /// The call.
        what: String,
        /// HTTP status.
        status: u16,
        /// The body, cut short.
        body: String,
    },
    /// The connection failed.
    #[error("cannot reach Alpaca at {url}: {message}")]
    Transport {
        /// URL called.
        url: String,
        /// What failed.
        message: String,
    },
    /// The answer is not shaped as Alpaca documents it.
    #[error("unexpected answer from Alpaca ({what}): {message}")]
    Malformed {
        /// The call or message.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// A stream refused us for good (e.g. auth failed, connection limit).
    #[error("Alpaca stream {url}: {message}")]
    Stream {
        /// Stream URL.
        url: String,
        /// Alpaca's code and message.
        message: String,
    },
}

impl AlpacaError {
    /// True when the call may have reached Alpaca and its fate is unknown (5xx, lost connection).
    pub fn is_uncertain(&self) -> bool {
        matches!(self, AlpacaError::GaveUp { status, .. } if *status >= 500)
            || matches!(self, AlpacaError::Transport { .. })
    }
}
