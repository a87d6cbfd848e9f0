//! `GET /sessions`: every paper session and its state; `GET /sessions/{name}`:
//! one session live (state, account, positions, orders, fills, equity since
//! it began, risk and reconciliation), updated through server-sent events,
//! with its stop, flatten, kill-switch and resume buttons.

use super::{layout, number, scripts};
use crate::App;
use crate::error::{Failure, PageError};
use axum::extract::{Path, State};
use axum::response::Html;
use maud::html;

/// The sessions page.
pub async fn list(State(app): State<App>) -> Result<Html<String>, PageError> {
    let sessions = gt_runner::paper::sessions(&app.store).await?;
    let body = html! {
        @if sessions.is_empty() {
            p.note { "No paper sessions yet. Start one with `gpt-trader paper run --session NAME`." }
        } @else {
            table #sessions {
                tr { th { "Session" } th { "Broker" } th { "Strategy" } th { "State" } th { "Bars" } th { "Equity" } }
                @for s in &sessions { tr {
                    td { a href={ "/sessions/" (s.session) } { (s.session) } }
                    td { (s.broker) } td { (s.strategy) }
                    td { span class={ "state " (s.state) } { (s.state) } }
                    td.num { (s.bars) } td.num { (number(s.equity, 2)) }
                } }
            }
        }
    };
    Ok(Html(layout("Paper sessions", None, body).into_string()))
}

/// One session's live page.
pub async fn show(State(app): State<App>, Path(name): Path<String>) -> Result<Html<String>, PageError> {
    let record = app
        .store
        .session(&name)
        .await?
        .ok_or_else(|| Failure::not_found(format!("no paper session {name:?} in the store")))?;
    let state = gt_runner::paper::state_of(&record)?;
    let body = html! {
        div #live data-session=(record.name) {
            p.sub { (record.broker) " · " span #state class={ "state " (state) } { (state) } " · " span #updated { "connecting…" } }
            div.cards {
                div.card { small { "Equity" } b #equity { "–" } }
                div.card { small { "Cash" } b #cash { "–" } }
                div.card { small { "P&L today" } b #pnl-today { "–" } }
                div.card { small { "P&L total" } b #pnl-total { "–" } }
                div.card { small { "Bars" } b #bars { "–" } }
                div.card { small { "Kill switch" } b #halted { "–" } }
                div.card { small { "Reconciliation mismatches" } b #mismatches { "–" } }
            }
            div.controls {
                button data-command="stop" data-confirm="Stop the session after its current bar?" { "Stop" }
                button data-command="flatten" data-confirm="Close every position and cancel every order?" { "Flatten" }
                button.danger #kill data-command="kill" data-confirm="Trip the kill switch? The session flattens and refuses new orders until resumed." { "Kill switch" }
                button data-command="resume" data-confirm="Resume trading (turn the kill switch off)?" { "Resume" }
                span #command-result {}
            }
            h2 { "Equity since the session began" }
            div.chart #session-equity {}
            div.grid {
                div { h2 { "Positions" } table #positions {} }
                div { h2 { "Open orders" } table #orders {} }
            }
            div.grid {
                div { h2 { "Recent fills" } div.scroll { table #fills {} } }
                div { h2 { "Commands" } div.scroll { table #commands {} } }
            }
        }
        (scripts())
    };
    Ok(Html(layout(&format!("Session {name}"), Some(app.access.csrf()), body).into_string()))
}
