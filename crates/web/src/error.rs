//! What can go wrong: starting the server ([`WebError`]), and answering one
//! request, as JSON for the API ([`ApiError`]) or as a page ([`PageError`]).

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use gt_runner::RunError;
use gt_store::StoreError;
use std::net::SocketAddr;

/// Why the dashboard could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// A non-loopback address without a token.
    #[error(
        "the dashboard would listen on {bind}, beyond this machine, without a token: \
         give --token or GPT_TRADER_DASHBOARD_TOKEN, or bind to 127.0.0.1"
    )]
    TokenRequired {
        /// The address asked for.
        bind: SocketAddr,
    },
    /// A session's metrics on a non-loopback address without a token.
    #[error(
        "the session's metrics would be served on {bind}, beyond this machine, without a token: \
         give --metrics-token or GPT_TRADER_METRICS_TOKEN, or bind to 127.0.0.1"
    )]
    MetricsTokenRequired {
        /// The address asked for.
        bind: SocketAddr,
    },
    /// A token too short to protect anything.
    #[error("the token has {len} characters; use at least {min}", min = crate::config::MIN_TOKEN_LEN)]
    WeakToken {
        /// Its length.
        len: usize,
    },
    /// The address could not be listened on.
    #[error("cannot listen on {bind}: {source}")]
    Bind {
        /// The address.
        bind: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("the dashboard stopped: {0}")]
    Serve(std::io::Error),
}

/// A request that failed: its status and a message for people.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    /// A failure with `status`.
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }

    /// What went wrong, for people.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// Nothing under that name.
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// The request asked for something malformed.
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, format!("the run store failed: {error}"))
    }
}

impl From<RunError> for Failure {
    fn from(error: RunError) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

/// A failed API request, answered as `{"error": message}`.
#[derive(Debug)]
pub struct ApiError(pub Failure);

impl<E: Into<Failure>> From<E> for ApiError {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0.status, axum::Json(serde_json::json!({ "error": self.0.message }))).into_response()
    }
}

/// A failed page, answered as a page that says what went wrong.
#[derive(Debug)]
pub struct PageError(pub Failure);

impl<E: Into<Failure>> From<E> for PageError {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = self.0.status.canonical_reason().unwrap_or("Error");
        let body = crate::pages::layout(
            title,
            None,
            maud::html! { p.error { (self.0.message) } p { a href="/runs" { "Back to the runs" } } },
        );
        (self.0.status, Html(body.into_string())).into_response()
    }
}
