//! `GET /studies`: every optimization study; `GET /studies/{name}`: one
//! study's best trials, the objective over its first two parameters as a
//! heat map, and a link to its best run.

use super::{layout, number};
use crate::App;
use crate::api::study_view;
use crate::error::PageError;
use axum::extract::{Path, State};
use axum::response::Html;
use gt_optimize::{StoredTrial, StudyView};
use maud::{Markup, PreEscaped, html};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Trials the page lists, best first.
const TRIALS_LISTED: usize = 100;

/// The studies page.
pub async fn list(State(app): State<App>) -> Result<Html<String>, PageError> {
    let studies: Vec<StudyView> =
        app.store.studies().await?.into_iter().map(|r| StudyView::new(r, Vec::new())).collect();
    let body = html! {
        @if studies.is_empty() {
            p.note { "No studies yet. Start one with `gpt-trader optimize --study NAME`." }
        } @else {
            table #studies {
                tr { th { "Study" } th { "Strategy" } th { "Method" } th { "Objective" } th { "Trials" } th { "Updated" } }
                @for s in &studies { tr {
                    td { a href={ "/studies/" (s.name) } { (s.name) } }
                    td { (s.strategy) } td { (s.method) } td { (s.objective.key) @if s.objective.minimize { " (min)" } }
                    td.num { (s.trials_count) } td { (gt_runner::records::created_at(s.updated_at_ms)) }
                } }
            }
        }
    };
    Ok(Html(layout("Studies", None, body).into_string()))
}

/// One study's page.
pub async fn show(State(app): State<App>, Path(name): Path<String>) -> Result<Html<String>, PageError> {
    let view = study_view(&app.store, &name).await?;
    let params: Vec<String> = view
        .best()
        .and_then(|t| t.params.as_object())
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let body = html! {
        p.sub {
            (view.strategy) " · " (view.method) " · ranked by " (view.objective.key)
            @if view.objective.minimize { " (lowest first)" } " · " (view.trials_count) " trials"
            @if let Some(id) = &view.best_run_id { " · " a href={ "/runs/" (id) } { "best run" } }
            " · " a href={ "/api/v1/studies/" (view.name) } { "JSON" }
        }
        @if params.len() >= 2 && params.iter().all(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
            h2 { (view.objective.key) " over " (params[0]) " × " (params[1]) }
            p.legend { "Each cell: the best trial with those two values (yellow best)." }
            (heatmap(&view.trials, &params[0], &params[1]))
        }
        h2 { "Best trials" }
        div.scroll { table #trials {
            tr { th { "#" } @for p in &params { th { (p) } } th { (view.objective.key) } th { "Return %" } th { "Sharpe" } th { "Max DD %" } th { "Trades" } }
            @for t in view.trials.iter().take(TRIALS_LISTED) { tr {
                td.num { (t.index) }
                @for p in &params { td.num { (t.params[p.as_str()]) } }
                td.num { (number(t.value, 4)) }
                td.num { (number(Some(t.stats.get("return_pct")), 2)) } td.num { (number(Some(t.stats.get("sharpe_ratio")), 2)) }
                td.num { (number(Some(t.stats.get("max_drawdown_pct")), 2)) } td.num { (number(Some(t.stats.get("trades")), 0)) }
            } }
        } }
    };
    Ok(Html(layout(&format!("Study {name}"), None, body).into_string()))
}

/// An SVG heat map of the best objective value per (`x`, `y`) pair.
fn heatmap(trials: &[StoredTrial], x: &str, y: &str) -> Markup {
    let number = |v: &serde_json::Value| v.as_f64().or_else(|| v.as_bool().map(|b| f64::from(u8::from(b))));
    // Trials come best first, so the first seen in a cell is its best.
    let mut cells: BTreeMap<(u64, u64), f64> = BTreeMap::new();
    for t in trials {
        if let (Some(a), Some(b), Some(value)) = (number(&t.params[x]), number(&t.params[y]), t.value) {
            cells.entry((a.to_bits(), b.to_bits())).or_insert(value);
        }
    }
    let axis = |pick: fn(&(u64, u64)) -> u64| {
        let mut values: Vec<f64> = cells.keys().map(|k| f64::from_bits(pick(k))).collect();
        values.sort_by(f64::total_cmp);
        values.dedup();
        values
    };
    let (xs, ys) = (axis(|k| k.0), axis(|k| k.1));
    let (low, high) =
        cells.values().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
    let (cell, left, top) = (26.0, 48.0, 8.0);
    let (width, height) = (left + cell * xs.len() as f64 + 8.0, top + cell * ys.len() as f64 + 36.0);
    let mut svg = format!(
        r#"<svg id="heatmap" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">"#
    );
    for (i, xv) in xs.iter().enumerate() {
        for (j, yv) in ys.iter().enumerate() {
            let Some(value) = cells.get(&(xv.to_bits(), yv.to_bits())) else { continue };
            let t = if high > low { (value - low) / (high - low) } else { 1.0 };
            let _ = write!(
                svg,
                r#"<rect class="cell" x="{}" y="{}" width="{cell}" height="{cell}" fill="{}"><title>{x}={xv} {y}={yv}: {value:.4}</title></rect>"#,
                left + cell * i as f64,
                top + cell * (ys.len() - 1 - j) as f64,
                gt_optimize::heat_colour(t)
            );
        }
    }
    for (i, xv) in xs.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="middle">{xv}</text>"#,
            left + cell * (i as f64 + 0.5),
            top + cell * ys.len() as f64 + 14.0
        );
    }
    for (j, yv) in ys.iter().enumerate() {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" text-anchor="end">{yv}</text>"#,
            left - 4.0,
            top + cell * (ys.len() - j) as f64 - 8.0
        );
    }
    let _ = write!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">{x}</text></svg>"#,
        left + cell * xs.len() as f64 / 2.0,
        height - 4.0
    );
    html! { figure { (PreEscaped(svg)) figcaption { (y) " (up) by " (x) " (across)" } } }
}
