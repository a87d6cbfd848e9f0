//! What the market-data clients share: errors, the HTTP client, retries.

use std::time::Duration;

/// Why a fetch failed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FetchError {
    /// The service answered with an error of its own.
    #[error("{symbol}: Yahoo says {code}: {description}")]
    Api {
        /// Symbol asked for.
        symbol: String,
        /// Yahoo's error code, e.g. `Not Found`.
        code: String,
        /// Its description.
        description: String,
    },
    /// Still rate-limited or failing after every retry.
    #[error("{symbol}: HTTP {status} after {tries} tries; try again later")]
    GaveUp {
        /// Symbol asked for.
        symbol: String,
        /// Last HTTP status.
        status: u16,
        /// Attempts made.
        tries: u32,
    },
    /// The keys were refused (401) or lack the permission (403).
    #[error(
        "{symbol}: HTTP {status}: {message}; check APCA_API_KEY_ID and APCA_API_SECRET_KEY (and the data feed your plan allows)"
    )]
    Unauthorized {
        /// Symbol asked for.
        symbol: String,
        /// 401 or 403.
        status: u16,
        /// The service's message.
        message: String,
    },
    /// No credentials were given.
    #[error("Alpaca needs keys: set APCA_API_KEY_ID and APCA_API_SECRET_KEY")]
    MissingKeys,
    /// Another HTTP status.
    #[error("{symbol}: HTTP {status} from {url}")]
    Status {
        /// Symbol asked for.
        symbol: String,
        /// HTTP status.
        status: u16,
        /// URL without query.
        url: String,
    },
    /// The connection failed.
    #[error("{symbol}: cannot reach {url}: {message}")]
    Transport {
        /// Symbol asked for.
        symbol: String,
        /// URL without query.
        url: String,
        /// What failed.
        message: String,
    },
    /// The answer is not shaped like a chart response.
    #[error("{symbol}: unexpected response: {message}")]
    Malformed {
        /// Symbol asked for.
        symbol: String,
        /// What is missing or wrong.
        message: String,
    },
}

/// An HTTP client with one TLS provider for the whole process (rustls with
/// ring: no C crypto build) and a 30-second timeout.
pub(crate) fn http_client(base_url: &str) -> Result<reqwest::blocking::Client, FetchError> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .user_agent(concat!("gpt-trader/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| FetchError::Transport {
            symbol: String::new(),
            url: base_url.to_owned(),
            message: e.to_string(),
        })
}

/// Sends `request`, retrying 429 and 5xx answers up to `max_tries` times with
/// doubling delays from `backoff` (or the server's Retry-After, at most 60 s).
/// Returns the final status and body.
pub(crate) fn get_with_retries(
    request: &reqwest::blocking::RequestBuilder,
    url: &str,
    symbol: &str,
    max_tries: u32,
    backoff: Duration,
) -> Result<(u16, String), FetchError> {
    let transport = |e: reqwest::Error| FetchError::Transport {
        symbol: symbol.to_owned(),
        url: url.to_owned(),
        message: e.to_string(),
    };
    let mut delay = backoff;
    for attempt in 1..=max_tries {
        let attempt_request = request.try_clone().ok_or_else(|| FetchError::Malformed {
            symbol: symbol.to_owned(),
            message: "request cannot be retried".to_owned(),
        })?;
        let response = attempt_request.send().map_err(transport)?;
        let status = response.status().as_u16();
        if status == 429 || status >= 500 {
            if attempt == max_tries {
                return Err(FetchError::GaveUp { symbol: symbol.to_owned(), status, tries: attempt });
            }
            let asked =
                response.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            std::thread::sleep(asked.map_or(delay, |s| Duration::from_secs(s).min(Duration::from_secs(60))));
            delay *= 2;
            continue;
        }
        return Ok((status, response.text().map_err(transport)?));
    }
    Err(FetchError::GaveUp { symbol: symbol.to_owned(), status: 429, tries: max_tries })
}
