//! `GET /runs`: the stored runs as a table that sorts by any column, filters
//! by words, pages, and sends 2–5 checked runs to the comparison page.

use super::{layout, number, scripts, stat};
use crate::App;
use crate::error::PageError;
use crate::run_index::RunQuery;
use axum::extract::{Query, State};
use axum::response::Html;
use maud::{Markup, html};

/// Columns: (title, sort key, statistic shown, decimals).
const STAT_COLUMNS: [(&str, &str, usize); 4] = [
    ("Return %", "return_pct", 2),
    ("Sharpe", "sharpe_ratio", 2),
    ("Max DD %", "max_drawdown_pct", 2),
    ("Trades", "trades", 0),
];

/// The runs page.
pub async fn list(State(app): State<App>, Query(query): Query<RunQuery>) -> Result<Html<String>, PageError> {
    let page = app.runs.page(&app.store, &query).await?;
    let filter = query.q.clone().unwrap_or_default();
    let link = |sort: &str, ascending: bool, offset: usize| {
        let offset = offset.to_string();
        let mut pairs = vec![("sort", sort), ("order", if ascending { "asc" } else { "desc" })];
        if !filter.is_empty() {
            pairs.push(("q", &filter));
        }
        if offset != "0" {
            pairs.push(("offset", &offset));
        }
        format!("/runs?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    };
    let header = |title: &str, key: &str| -> Markup {
        let current = query.sort_key() == key;
        // A click on the sorted column turns its order; on another, sorts descending.
        let ascending = current && !query.ascending();
        let arrow = match (current, query.ascending()) {
            (false, _) => "",
            (true, true) => " ▲",
            (true, false) => " ▼",
        };
        html! { th { a href=(link(key, ascending, 0)) data-sort=(key) { (title) (arrow) } } }
    };
    let (first, last) = (query.offset + 1, (query.offset + page.runs.len()).min(page.total));
    let body = html! {
        form.filter method="get" action="/runs" {
            input type="hidden" name="sort" value=(query.sort_key());
            input type="hidden" name="order" value=(if query.ascending() { "asc" } else { "desc" });
            input type="search" name="q" value=(filter) placeholder="Filter: strategy, symbol, parameter, id";
            button type="submit" { "Filter" }
            button type="button" #compare disabled { "Compare checked" }
        }
        p.note #run-count data-total=(page.total) {
            @if page.total == 0 { "No runs match. Run `gpt-trader backtest` to store one." }
            @else { "Runs " (first) "–" (last) " of " (page.total) "." }
        }
        div.scroll {
            table.runs #runs {
                thead { tr {
                    th {}
                    (header("Run", "created"))
                    (header("Strategy", "strategy"))
                    (header("Symbols", "symbols"))
                    th { "Period" }
                    th { "Parameters" }
                    @for (title, key, _) in STAT_COLUMNS { (header(title, key)) }
                } }
                tbody {
                    @for run in &page.runs {
                        tr data-id=(run.id) {
                            td { input type="checkbox" name="id" value=(run.id) aria-label="compare"; }
                            td { a href={ "/runs/" (run.id) } { (run.id.get(..8).unwrap_or(&run.id)) } br; small { (gt_runner::records::created_at(run.created_at_ms)) } }
                            td { (run.run.strategy) }
                            td { (run.run.symbols.join(", ")) }
                            td { small { (run.run.stats["start"].as_str().unwrap_or("")) " → " (run.run.stats["end"].as_str().unwrap_or("")) } }
                            td { small { (gt_runner::records::params_text(&run.run.params)) } }
                            @for (_, key, decimals) in STAT_COLUMNS {
                                td.num data-key=(key) { (number(stat(&run.run.stats, key), decimals)) }
                            }
                        }
                    }
                }
            }
        }
        p.pages {
            @if query.offset > 0 { a href=(link(query.sort_key(), query.ascending(), query.offset.saturating_sub(query.limit()))) { "← Newer page" } " " }
            @if last < page.total { a href=(link(query.sort_key(), query.ascending(), last)) { "Next page →" } }
        }
        (scripts())
    };
    Ok(Html(layout("Runs", None, body).into_string()))
}
