//! The JSON API under `/api/v1/` (what the pages read, and scripts can too),
//! the operator commands, and `/metrics`.

use crate::error::{ApiError, Failure};
use crate::run_index::RunQuery;
use crate::run_view::RunView;
use crate::{App, metrics};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use gt_optimize::StudyView;
use gt_runner::records::RunSummary;
use gt_store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Trials `studies/{name}` returns at most, best first.
const STUDY_TRIALS: usize = 500;

/// Fills and commands a session's answer lists at most, newest last.
const RECENT: usize = 50;

/// `GET /api/v1/runs?sort=&order=&q=&offset=&limit=`: one page of runs.
pub async fn runs(State(app): State<App>, Query(query): Query<RunQuery>) -> Result<Json<Value>, ApiError> {
    let page = app.runs.page(&app.store, &query).await?;
    let runs: Vec<RunSummary> = page.runs.iter().map(|r| RunSummary::of(r)).collect();
    Ok(Json(json!({"total": page.total, "offset": query.offset, "runs": runs})))
}

/// `GET /api/v1/runs/{id}`: a run with its trades, equity, chart data and profile.
pub async fn run(State(app): State<App>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let id = app.runs.resolve(&app.store, &id).await?;
    let (record, details) =
        app.store.get(&id).await?.ok_or_else(|| Failure::not_found(format!("no run {id} in the store")))?;
    Ok(Json(serde_json::to_value(RunView::new(&record, &details)).map_err(internal)?))
}

/// `GET /api/v1/studies`: every study, without its trials.
pub async fn studies(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    let views: Vec<StudyView> =
        app.store.studies().await?.into_iter().map(|r| StudyView::new(r, Vec::new())).collect();
    Ok(Json(json!({"studies": views})))
}

/// `GET /api/v1/studies/{name}`: a study with its best trials first.
pub async fn study(State(app): State<App>, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    let mut view = study_view(&app.store, &name).await?;
    view.trials.truncate(STUDY_TRIALS);
    Ok(Json(serde_json::to_value(view).map_err(internal)?))
}

/// The study `name` with every trial, ranked.
pub async fn study_view(store: &Store, name: &str) -> Result<StudyView, Failure> {
    let record = store
        .study(name)
        .await?
        .ok_or_else(|| Failure::not_found(format!("no study {name:?} in the store")))?;
    let trials = store.trials(name).await?;
    Ok(StudyView::new(record, trials))
}

/// `GET /api/v1/sessions`: every paper session with its state.
pub async fn sessions(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"sessions": gt_runner::paper::sessions(&app.store).await?})))
}

/// `GET /api/v1/sessions/{name}`: a session's status, equity curve, recent fills and commands.
pub async fn session(State(app): State<App>, Path(name): Path<String>) -> Result<Json<Value>, ApiError> {
    Ok(Json(session_state(&app.store, &name, None).await?.0))
}

/// `curve` as `[[ms, equity], …]`.
fn curve_points(curve: &[(i64, f64)]) -> Vec<Value> {
    curve.iter().map(|(ns, equity)| json!([ns / 1_000_000, equity])).collect()
}

/// A session's status (as `paper status --format json`), its equity curve
/// after `after_ns` (all when `None`), its recent fills and its commands
/// with who sent them; with the time (ns) of the curve's last point.
///
/// The curve is read after the status and only up to the status's own step,
/// so the two agree (one point per step done) while the session writes.
pub async fn session_state(
    store: &Store,
    name: &str,
    after_ns: Option<i64>,
) -> Result<(Value, Option<i64>), Failure> {
    if store.session(name).await?.is_none() {
        return Err(Failure::not_found(format!("no paper session {name:?} in the store")));
    }
    let mut state = gt_runner::paper::status(store, name).await?;
    // `time_ms` is the step's time in ns floored to ms: every point of that step or before is within it.
    let through_ns = state["time_ms"].as_i64().map(|ms| ms.saturating_mul(1_000_000).saturating_add(999_999));
    let curve = store.equity_curve(name, after_ns, through_ns.or(Some(i64::MIN))).await?;
    let last_point_ns = curve.last().map(|(ns, _)| *ns).or(after_ns);
    let curve = curve_points(&curve);
    let fills = store.fills(name).await?;
    let fills: Vec<Value> = fills[fills.len().saturating_sub(RECENT)..]
        .iter()
        .map(|f| json!({"time_ms": f.ts_ms, "symbol": f.symbol, "side": f.side, "qty": f.qty, "price": f.price}))
        .collect();
    let commands = store.commands(name).await?;
    let commands: Vec<Value> = commands[commands.len().saturating_sub(RECENT)..]
        .iter()
        .map(|c| {
            json!({"seq": c.seq, "command": c.command, "reason": c.reason, "origin": c.origin,
                   "time_ms": c.created_at_ms, "applied_step": c.applied_step})
        })
        .collect();
    state["equity_curve"] = Value::Array(curve);
    state["recent_fills"] = Value::Array(fills);
    state["commands"] = Value::Array(commands);
    Ok((state, last_point_ns))
}

/// An operator command from the dashboard.
#[derive(Deserialize)]
pub struct CommandRequest {
    /// `stop`, `flatten`, `kill` or `resume`.
    command: String,
    /// Why (recorded; for `kill` the halt's reason).
    reason: Option<String>,
}

/// The answer to a queued command.
#[derive(Serialize)]
struct Queued {
    seq: i64,
    command: String,
    session: String,
}

/// `POST /api/v1/sessions/{name}/commands` `{"command": "kill", "reason": "…"}`:
/// queues the command for the running session, as `paper kill` does,
/// recorded with its time and `dashboard` as its origin; the session
/// applies it between bars.
pub async fn command(
    State(app): State<App>,
    Path(name): Path<String>,
    Json(request): Json<CommandRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let command = request.command.as_str();
    if !["stop", "flatten", "kill", "resume"].contains(&command) {
        return Err(Failure::bad_request(format!(
            "unknown command {command:?}: use stop, flatten, kill or resume"
        ))
        .into());
    }
    if app.store.session(&name).await?.is_none() {
        return Err(Failure::not_found(format!("no paper session {name:?} in the store")).into());
    }
    if !gt_runner::paper::is_running(&name)? {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            format!("session {name:?} is not running; apply `{command}` to it with `gpt-trader paper {command} {name}`"),
        )
        .into());
    }
    let reason = request
        .reason
        .filter(|r| !r.trim().is_empty())
        .or_else(|| (command == "kill").then(|| "dashboard kill switch".to_owned()));
    let seq = app.store.queue_command(&name, command, reason.as_deref(), "dashboard").await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { seq, command: command.to_owned(), session: name })))
}

/// `GET /metrics`: Prometheus's text format.
pub async fn metrics(State(app): State<App>) -> Result<impl IntoResponse, ApiError> {
    let text = app.metrics.render(&app.store).await?;
    Ok(([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], text))
}

fn internal(error: impl std::fmt::Display) -> Failure {
    Failure::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
}
