//! A running paper session's own small HTTP server (`paper run --metrics`):
//! `/metrics` for Prometheus and `/healthz` for probes, on a thread of its
//! own so a slow scrape never holds up a bar.

use crate::WebError;
use crate::access::{Access, is_loopback_host};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use gt_live::{METRICS_CONTENT_TYPE, SessionMetrics};
use std::net::SocketAddr;
use std::sync::Arc;

/// What the handlers read.
#[derive(Clone)]
struct Served {
    metrics: Arc<SessionMetrics>,
    access: Arc<Access>,
}

/// The session's metrics server; it stops (and its thread ends) when dropped.
pub struct SessionMetricsServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SessionMetricsServer {
    /// Listens on `bind` (checked and bound before returning, so a bad address
    /// fails before the session starts) and serves `metrics`. Anywhere but
    /// loopback it needs `token`, which every request must then carry as
    /// `Authorization: Bearer`.
    pub fn start(
        bind: SocketAddr,
        token: Option<String>,
        metrics: Arc<SessionMetrics>,
    ) -> Result<Self, WebError> {
        let token = token.filter(|t| !t.is_empty());
        if let Some(token) = &token
            && token.chars().count() < crate::MIN_TOKEN_LEN
        {
            return Err(WebError::WeakToken { len: token.chars().count() });
        }
        if token.is_none() && !bind.ip().is_loopback() {
            return Err(WebError::MetricsTokenRequired { bind });
        }
        let bound = |source| WebError::Bind { bind, source };
        let listener = std::net::TcpListener::bind(bind).map_err(bound)?;
        listener.set_nonblocking(true).map_err(bound)?;
        let addr = listener.local_addr().map_err(bound)?;
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(WebError::Serve)?;
        let served = Served { metrics, access: Arc::new(Access::new(token.as_deref())) };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(error) => {
                            return eprintln!("warning: the metrics server could not start: {error}");
                        }
                    };
                    let app = Router::new()
                        .route("/metrics", get(metrics_text))
                        .route("/healthz", get(health))
                        .layer(axum::middleware::from_fn_with_state(served.clone(), guard))
                        .with_state(served);
                    let shutdown = async move {
                        let _ = stopped.await;
                    };
                    if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                        eprintln!("warning: the metrics server stopped: {error}");
                    }
                });
            })
            .map_err(WebError::Serve)?;
        Ok(Self { addr, stop: Some(stop), thread: Some(thread) })
    }

    /// The address it listens on (the port chosen when asked for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for SessionMetricsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Refuses requests without the token (401), or, with none configured,
/// requests not addressed to this machine (403, against DNS rebinding).
async fn guard(State(served): State<Served>, request: Request, next: Next) -> Response {
    let headers = request.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !served.access.has_token() && !is_loopback_host(host) {
        return (StatusCode::FORBIDDEN, "these metrics answer requests addressed to this machine only")
            .into_response();
    }
    if served.access.caller(headers).is_none() {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a bearer token is required",
        )
            .into_response();
    }
    next.run(request).await
}

/// `GET /metrics`: the session's series in the OpenMetrics text format.
async fn metrics_text(State(served): State<Served>) -> Response {
    ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], served.metrics.render()).into_response()
}

/// `GET /healthz`: the session is up; how many bars it traded and how long ago the last one was.
async fn health(State(served): State<Served>) -> Response {
    axum::Json(serde_json::json!({
        "status": "ok",
        "session": served.metrics.session(),
        "bars_processed": served.metrics.bars_processed(),
        "seconds_since_last_bar": served.metrics.seconds_since_last_step(),
    }))
    .into_response()
}
