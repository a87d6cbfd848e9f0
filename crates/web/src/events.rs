//! `GET /api/v1/sessions/{name}/events`: a paper session as server-sent
//! events. Each `status` event is its state as `/api/v1/sessions/{name}`
//! gives it, sent at connection and whenever the session journals a step or
//! changes state; its `equity_curve` holds only the points added since the
//! last event (all of them in the first, marked `"first": true`).

use crate::App;
use crate::api::session_state;
use crate::error::{ApiError, Failure};
use axum::Extension;
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::watch;

/// How often the store is asked whether the session moved.
const POLL: Duration = Duration::from_millis(250);

/// Turns to `true` when the server stops, ending every event stream (a
/// graceful shutdown waits for open connections, and these never end by themselves).
#[derive(Clone)]
pub struct Shutdown(pub watch::Receiver<bool>);

/// What a stream has sent so far.
struct Cursor {
    app: App,
    name: String,
    /// The session's (update time, steps, state) at the last event; `None` before the first.
    seen: Option<(i64, i64, String)>,
    /// Time (ns) of the last equity point sent.
    last_point_ns: Option<i64>,
    shutdown: Option<watch::Receiver<bool>>,
    /// Set once an `error` event is sent: the stream ends after it.
    ended: bool,
}

/// The session's events until it is deleted or the server stops.
pub async fn session_events(
    State(app): State<App>,
    Path(name): Path<String>,
    shutdown: Option<Extension<Shutdown>>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    if app.store.session(&name).await?.is_none() {
        return Err(Failure::not_found(format!("no paper session {name:?} in the store")).into());
    }
    let cursor = Cursor {
        app,
        name,
        seen: None,
        last_point_ns: None,
        shutdown: shutdown.map(|s| s.0.0),
        ended: false,
    };
    let stream = futures_util::stream::unfold(cursor, |mut cursor| async move {
        let event = cursor.next_event().await?;
        Some((Ok(event), cursor))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

impl Cursor {
    /// Waits for the session to change and describes it; `None` ends the stream.
    async fn next_event(&mut self) -> Option<Event> {
        if self.ended {
            return None;
        }
        loop {
            if self.seen.is_some() && !self.wait().await {
                return None;
            }
            match self.poll().await {
                Ok(Some(data)) => return Some(Event::default().event("status").data(data.to_string())),
                Ok(None) => {}
                Err(failure) => {
                    // Deleted, or the store failed: say so and end.
                    self.ended = true;
                    return Some(
                        Event::default().event("error").data(json!({"error": failure.message()}).to_string()),
                    );
                }
            }
        }
    }

    /// Sleeps one poll interval; `false` when the server is stopping.
    async fn wait(&mut self) -> bool {
        match &mut self.shutdown {
            Some(shutdown) if *shutdown.borrow() => false,
            Some(shutdown) => tokio::select! {
                _ = tokio::time::sleep(POLL) => true,
                _ = shutdown.changed() => false,
            },
            None => {
                tokio::time::sleep(POLL).await;
                true
            }
        }
    }

    /// The event's data if the session changed since the last one.
    async fn poll(&mut self) -> Result<Option<Value>, Failure> {
        let store = &self.app.store;
        let record = store
            .session(&self.name)
            .await?
            .ok_or_else(|| Failure::not_found(format!("paper session {:?} was deleted", self.name)))?;
        let state = gt_runner::paper::state_of(&record)?;
        let now = (record.updated_at_ms, record.steps_done, state);
        if self.seen.as_ref() == Some(&now) {
            return Ok(None);
        }
        let first = self.seen.is_none();
        self.seen = Some(now);
        let (mut data, last_point_ns) = session_state(store, &self.name, self.last_point_ns).await?;
        self.last_point_ns = last_point_ns;
        data["first"] = json!(first);
        Ok(Some(data))
    }
}
