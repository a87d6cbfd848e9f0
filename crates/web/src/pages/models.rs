//! `GET /models`: the model registry; `GET /models/{id}`: one model, every
//! change of its status, and each run or paper session it followed in
//! shadow set against that run (`ml compare`'s numbers).

use super::{layout, number};
use crate::App;
use crate::error::{Failure, PageError};
use axum::extract::{Path, State};
use axum::response::Html;
use gt_runner::records::created_at;
use gt_runner::shadow_compare::{ShadowOwner, compare};
use maud::html;

/// Runs and sessions a model's page compares it on, most bars first.
const OWNERS_SHOWN: usize = 10;

/// The registry page.
pub async fn list(State(app): State<App>) -> Result<Html<String>, PageError> {
    let models = app.store.models().await?;
    let body = html! {
        @if models.is_empty() {
            p.note { "No models yet. Train one with `gpt-trader ml train`, or register a strategy selector with `gpt-trader ml select-eval --register`." }
        } @else {
            table #models {
                tr { th { "Model" } th { "Kind" } th { "Status" } th { "Features" } th { "Label" } th { "Registered" } th { "Changed" } }
                @for m in &models { tr {
                    td { a href={ "/models/" (m.model.id) } { (m.model.id) } }
                    td { (m.model.kind) } td { (m.status) } td { (m.model.feature_set) } td { (m.model.label) }
                    td { (created_at(m.created_at_ms)) } td { (created_at(m.updated_at_ms)) }
                } }
            }
        }
    };
    Ok(Html(layout("Models", None, body).into_string()))
}

/// One model's page.
pub async fn show(State(app): State<App>, Path(id): Path<String>) -> Result<Html<String>, PageError> {
    let record = app
        .store
        .model(&id)
        .await?
        .ok_or_else(|| Failure::not_found(format!("no model {id} in the registry")))?;
    let changes = app.store.model_changes(&id).await?;
    let owners = app.store.shadow_owners(&id).await?;
    let mut followed = Vec::new();
    for (key, bars) in owners.into_iter().take(OWNERS_SHOWN) {
        let owner = match (key.strip_prefix("session:"), key.strip_prefix("run:")) {
            (Some(name), _) => ShadowOwner::Session(name.to_owned()),
            (None, Some(run)) => ShadowOwner::Run(run.to_owned()),
            (None, None) => continue,
        };
        let link = match &owner {
            ShadowOwner::Session(name) => format!("/sessions/{name}"),
            ShadowOwner::Run(run) => format!("/runs/{run}"),
        };
        let compared = compare(&app.store, &owner).await.map_err(|e| e.to_string());
        followed.push((key, link, bars, compared));
    }
    let model = &record.model;
    let body = html! {
        p.sub { (model.kind) " · " (record.status) " · features " (model.feature_set) " · label " (model.label) }
        h2 { "Status" }
        table #changes {
            tr { th { "When" } th { "From" } th { "To" } th { "By" } th { "Why" } }
            @for c in &changes { tr {
                td { (created_at(c.at_ms)) } td { (c.from.as_deref().unwrap_or("(registered)")) } td { (c.to) }
                td { (c.origin) } td { (c.reason.as_deref().unwrap_or("")) }
            } }
        }
        h2 { "In shadow" }
        @if followed.is_empty() {
            p.note { "It has followed no run. Promote it to shadow and add `--shadow " (model.id) "` to a backtest or a paper session." }
        } @else {
            div.scroll { table #shadowed {
                tr { th { "Followed" } th { "Bars" } th { "Days" } th { "Run return %" } th { "Run Sharpe" } th { "Its return %" } th { "Its Sharpe" } th { "Trades" } th { "Difference" } }
                @for (key, link, bars, compared) in &followed { tr {
                    td { a href=(link) { (key) } } td.num { (bars) }
                    @match compared.as_ref().map(|c| (c, c.shadows.iter().find(|s| s.model_id == model.id))) {
                        Ok((c, Some(s))) => {
                            td.num { (number(Some(c.days), 1)) }
                            td.num { (number(Some(c.live.return_pct), 2)) } td.num { (number(Some(c.live.sharpe_ratio), 3)) }
                            td.num { (number(Some(s.stats.return_pct), 2)) } td.num { (number(Some(s.stats.sharpe_ratio), 3)) }
                            td.num { (s.trades) } td { (s.verdict) }
                        }
                        Ok((_, None)) => { td colspan="7" { "not in the comparison" } }
                        Err(error) => { td colspan="7" { (error) } }
                    }
                } }
            } }
        }
    };
    Ok(Html(layout(&format!("Model {id}"), None, body).into_string()))
}
