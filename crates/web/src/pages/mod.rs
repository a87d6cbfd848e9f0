//! The dashboard's pages: one layout, the assets served from the binary, and
//! the formatting every page shares. Each page module renders one kind of record.

pub mod models;
pub mod run;
pub mod runs;
pub mod sessions;
pub mod studies;

use crate::error::{Failure, PageError};
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

const DASHBOARD_JS: &str = include_str!("../../assets/dashboard.js");
const DASHBOARD_CSS: &str = include_str!("../../assets/dashboard.css");

/// Catches script errors into `body[data-errors]`, which the browser tests read.
const ERROR_CATCHER: &str = "window.addEventListener('error',function(e){document.body.dataset.errors+=(e.message||'error')+'; '});\
(function(o){console.error=function(){document.body.dataset.errors+=Array.prototype.join.call(arguments,' ')+'; ';o.apply(console,arguments)}})(console.error);";

/// A page: `title`, the navigation, and `body`; `csrf` is the token its
/// scripts send with a state-changing request (none on pages without one).
pub fn layout(title: &str, csrf: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(csrf) = csrf { meta name="csrf-token" content=(csrf); }
                title { (title) " · GPT-Trader" }
                link rel="stylesheet" href="/assets/dashboard.css";
                // No icon: without this a browser asks for /favicon.ico and logs its 404.
                link rel="icon" href="data:,";
            }
            body data-charts="0" data-errors="" {
                script { (PreEscaped(ERROR_CATCHER)) }
                nav {
                    a.brand href="/runs" { "GPT-Trader" }
                    a href="/runs" { "Runs" }
                    a href="/studies" { "Studies" }
                    a href="/sessions" { "Paper sessions" }
                    a href="/models" { "Models" }
                    a href="/metrics" { "Metrics" }
                }
                main {
                    h1 { (title) }
                    (body)
                }
                footer { "Charts: TradingView Lightweight Charts™ (Apache-2.0), served from this binary." }
            }
        }
    }
}

/// The page's scripts: the chart library, then ours.
pub fn scripts() -> Markup {
    html! {
        script src="/assets/charts.js" {}
        script src="/assets/dashboard.js" {}
    }
}

/// `data` as a JSON script element (`</` escaped so it cannot end the element).
pub fn payload(data: &impl serde::Serialize) -> Result<Markup, Failure> {
    let text = serde_json::to_string(data)
        .map_err(|e| Failure::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .replace("</", "<\\/");
    Ok(html! { script #payload type="application/json" { (PreEscaped(text)) } })
}

/// `GET /`: the runs.
pub async fn home() -> Redirect {
    Redirect::to("/runs")
}

/// `GET /assets/{file}`: the chart library, our script and our style sheet.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "charts.js" => (gt_analytics::tearsheet::CHARTS_JS, "text/javascript; charset=utf-8"),
        "dashboard.js" => (DASHBOARD_JS, "text/javascript; charset=utf-8"),
        "dashboard.css" => (DASHBOARD_CSS, "text/css; charset=utf-8"),
        _ => return PageError(Failure::not_found(format!("no asset {file}"))).into_response(),
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// Any other path: a page saying so.
pub async fn not_found() -> PageError {
    PageError(Failure::not_found("There is no such page."))
}

/// A number with `decimals` places, or `–` when it is missing or not finite.
pub fn number(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "–".to_owned(),
    }
}

/// A stored statistic as a number.
pub fn stat(stats: &serde_json::Value, key: &str) -> Option<f64> {
    stats.get(key).and_then(serde_json::Value::as_f64)
}
