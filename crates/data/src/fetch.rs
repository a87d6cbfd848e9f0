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
    /// The service's URL (from the environment or a default) does not parse.
    #[error("{url:?} is not a valid URL: {message}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// Why it does not parse.
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
    match reqwest::Url::parse(base_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {}
        Ok(url) => {
            return Err(FetchError::BadUrl {
                url: base_url.to_owned(),
                message: format!("the scheme is {:?}; use http:// or https://", url.scheme()),
            });
        }
        Err(error) => {
            return Err(FetchError::BadUrl { url: base_url.to_owned(), message: error.to_string() });
        }
    }
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

/// What went wrong with a request, in words: connection refused, unknown
/// host, timed out, with the deepest cause (not reqwest's "error sending
/// request for url", which names nothing).
fn cause(error: &reqwest::Error) -> String {
    let mut deepest: &dyn std::error::Error = error;
    let mut refused = false;
    while let Some(source) = deepest.source() {
        deepest = source;
        refused |= deepest
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
    }
    let text = deepest.to_string();
    let what = if error.is_timeout() {
        "timed out"
    } else if refused {
        "connection refused (nothing listens there)"
    } else if error.is_connect()
        && (text.contains("lookup") || text.contains("resolve") || text.contains("dns"))
    {
        "unknown host"
    } else if error.is_connect() {
        "cannot connect"
    } else {
        return text;
    };
    format!("{what}: {text}")
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
        message: cause(&e),
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

#[cfg(test)]
mod tests {
    use crate::yahoo::YahooClient;
    use std::time::Duration;

    #[test]
    fn a_refused_connection_and_a_bad_url_are_named_as_such() {
        // A port that was free a moment ago: nothing listens on it.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let client = YahooClient::new(&format!("http://127.0.0.1:{port}"), Duration::from_millis(1)).unwrap();
        let error = client.daily("AAPL", 0, 86_400).unwrap_err().to_string();
        assert!(error.contains("connection refused"), "{error}");
        assert!(!error.contains("error sending request"), "{error}");
        for bad in ["not a url", "ftp://example.com"] {
            let error = YahooClient::new(bad, Duration::from_millis(1)).err().unwrap().to_string();
            assert!(error.contains("is not a valid URL"), "{error}");
        }
    }
}
