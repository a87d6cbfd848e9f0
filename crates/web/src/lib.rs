//! The dashboard: one axum server that shows the run store's runs and
//! studies and its paper sessions (live, through server-sent events), lets an
//! operator stop, flatten or halt a session, and exposes Prometheus metrics.
//!
//! Everything it shows comes from the store through `gt-runner`'s records;
//! pages are compiled in (maud) and its scripts and chart library are served
//! from the binary, so it works offline. A paper session serves its own
//! metrics and health check with [`SessionMetricsServer`]. It listens on loopback by default;
//! anywhere else it needs a token ([`DashboardConfig`]).

mod access;
mod api;
mod config;
mod error;
mod events;
mod metrics;
mod pages;
mod run_index;
mod run_view;
mod session_server;

pub use config::{DashboardConfig, MIN_TOKEN_LEN};
pub use error::WebError;
pub use session_server::SessionMetricsServer;

use access::Access;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use gt_store::Store;
use metrics::Metrics;
use run_index::RunIndex;
use std::sync::Arc;

/// What every handler reads: the store, the secrets, the metrics and the run cache.
#[derive(Clone)]
struct App {
    store: Store,
    access: Arc<Access>,
    metrics: Arc<Metrics>,
    runs: Arc<RunIndex>,
}

/// The dashboard's routes over `store`, guarded as `config` says.
pub fn router(store: Store, config: &DashboardConfig) -> Router {
    let app = App {
        store,
        access: Arc::new(Access::new(config.token())),
        metrics: Arc::new(Metrics::new()),
        runs: Arc::new(RunIndex::default()),
    };
    Router::new()
        .route("/", get(pages::home))
        .route("/login", get(access::login_form).post(access::login))
        .route("/runs", get(pages::runs::list))
        .route("/runs/{id}", get(pages::run::show))
        .route("/runs/{id}/report", get(pages::run::report))
        .route("/compare", get(pages::run::compare))
        .route("/studies", get(pages::studies::list))
        .route("/studies/{name}", get(pages::studies::show))
        .route("/sessions", get(pages::sessions::list))
        .route("/sessions/{name}", get(pages::sessions::show))
        .route("/models", get(pages::models::list))
        .route("/models/{id}", get(pages::models::show))
        .route("/assets/{file}", get(pages::asset))
        .route("/api/v1/runs", get(api::runs))
        .route("/api/v1/runs/{id}", get(api::run))
        .route("/api/v1/studies", get(api::studies))
        .route("/api/v1/studies/{name}", get(api::study))
        .route("/api/v1/sessions", get(api::sessions))
        .route("/api/v1/sessions/{name}", get(api::session))
        .route("/api/v1/sessions/{name}/events", get(events::session_events))
        .route("/api/v1/sessions/{name}/commands", post(api::command))
        .route("/metrics", get(api::metrics))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), access::guard))
        .layer(axum::middleware::from_fn_with_state(app.clone(), count_request))
        .with_state(app)
}

/// Counts and times every request by the route it matched.
async fn count_request(State(app): State<App>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    app.metrics.record(&route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// Serves the dashboard over `store` until `shutdown` completes; returns
/// once in-flight requests are answered (event streams are cut).
pub async fn serve(
    config: DashboardConfig,
    store: Store,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let listener = tokio::net::TcpListener::bind(config.bind())
        .await
        .map_err(|source| WebError::Bind { bind: config.bind(), source })?;
    serve_on(listener, &config, store, shutdown).await
}

/// [`serve`] on a listener already bound (a test binds port 0 and reads it back).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    config: &DashboardConfig,
    store: Store,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), WebError> {
    let (stop_streams, streams_stopped) = tokio::sync::watch::channel(false);
    let app = router(store, config).layer(axum::Extension(events::Shutdown(streams_stopped)));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_streams.send(true);
        })
        .await
        .map_err(WebError::Serve)
}
