//! `GET /runs/{id}`: one run, interactive (equity with buy & hold, drawdown,
//! candlesticks with volume, the strategy's indicators and its trades, the
//! other indicators in a pane, trade P&L, rolling volatility, with linked
//! zoom and crosshair), with its statistics, yearly returns, worst drawdowns,
//! attribution and trades; `/runs/{id}/report` its static report;
//! `GET /compare?ids=a,b`: 2–5 runs on one equity chart.

use super::{layout, number, payload, scripts};
use crate::App;
use crate::error::{Failure, PageError};
use crate::run_view::RunView;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

/// Runs one comparison shows at most.
const MAX_COMPARED: usize = 5;

/// Trades listed on the page at most (all are in the API's answer).
const TRADES_LISTED: usize = 500;

/// The run page.
pub async fn show(State(app): State<App>, Path(id): Path<String>) -> Result<Html<String>, PageError> {
    let id = app.runs.resolve(&app.store, &id).await?;
    let (record, details) =
        app.store.get(&id).await?.ok_or_else(|| Failure::not_found(format!("no run {id} in the store")))?;
    let view = RunView::new(&record, &details);
    let times: Vec<&str> = details
        .equity
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|p| p["time"].as_str().unwrap_or(""))
        .collect();
    let at = |i: usize| times.get(i).copied().unwrap_or("");
    let title = format!("{} on {}", record.run.strategy, record.run.symbols.join(", "));
    let labels: Vec<(String, String)> = match &view.chart {
        Some(chart) if !chart.stat_labels.is_empty() => chart.stat_labels.clone(),
        _ => gt_analytics::Stats::keys()
            .into_iter()
            .map(|k| (k.to_owned(), gt_analytics::label(k).to_owned()))
            .collect(),
    };
    let trades = details.trades.as_array().map(Vec::as_slice).unwrap_or_default();
    // A pane for the indicators that are not prices (RSI, ATR…), when the run read any.
    let has_pane = view
        .chart
        .as_ref()
        .and_then(|chart| chart.price.as_ref())
        .is_some_and(|price| price.indicators.iter().any(|line| !line.overlay));
    let body = html! {
        p.sub {
            "Run " code { (record.id) } " · " (record.run.kind) " · " (gt_runner::records::params_text(&record.run.params))
            " · " (gt_runner::records::costs_text(&record.run.config))
            " · " a href={ "/runs/" (record.id) "/report" } { "static report" }
            " · " a href={ "/api/v1/runs/" (record.id) } { "JSON" }
        }
        section.charts {
            h2 { "Equity" } p.legend { "Strategy (blue) and buy & hold of the same cash (grey). Drag to zoom; the charts below follow." }
            div.chart #equity {}
            h2 { "Drawdown (%)" } div.chart.short #drawdown {}
            h2 #price-title { "Price and trades" }
            p.legend { "Candles with volume, the strategy's price indicators as lines; entries are arrows, exits dots." }
            div.chart.tall #price {}
            @if has_pane {
                h2 { "Indicators" } p.legend #indicators-legend {} div.chart.short #indicators {}
            }
            h2 { "Trade P&L (at each exit)" } div.chart.short #trade-pnl {}
            h2 { "Rolling volatility (%, " (gt_analytics::ROLLING_WINDOW) " points, annualised)" } div.chart.short #volatility {}
        }
        div.grid {
            div {
                h2 { "Statistics" }
                table #stats { @for (key, label) in &labels {
                    tr { td { (label) } td.num { (stat_text(&record.run.stats[key.as_str()])) } }
                } }
            }
            div {
                h2 { "Yearly returns" }
                table #yearly { tr { th { "Year" } th { "Return %" } }
                    @for year in &view.profile.yearly { tr { td { (year.year) } td.num.signed data-value=(year.return_pct) { (number(Some(year.return_pct), 2)) } } }
                }
                h2 { "Worst drawdowns" }
                table #drawdowns { tr { th { "From" } th { "Trough" } th { "Recovered" } th { "Depth %" } th { "Days" } }
                    @for row in &view.profile.worst_drawdowns { tr {
                        td { (at(row.start)) } td { (at(row.trough)) }
                        td { @if row.recovered { (at(row.end)) } @else { "not yet" } }
                        td.num { (number(Some(row.depth_pct), 2)) } td.num { (number(Some(row.duration_days), 0)) }
                    } }
                }
                (attribution_table("P&L by symbol (closed trades)", "by-symbol", &view.attribution.by_symbol))
                @if view.attribution.by_strategy.len() > 1 || !view.attribution.by_strategy.contains_key("unassigned") {
                    (attribution_table("P&L by strategy (closed trades)", "by-strategy", &view.attribution.by_strategy))
                }
            }
        }
        h2 { "Trades (" (trades.len()) ")" }
        div.scroll { table #trades {
            tr { th { "Symbol" } th { "Size" } th { "Entry" } th { "Exit" } th { "Entry price" } th { "Exit price" } th { "P&L" } th { "Return %" } }
            @for t in trades.iter().take(TRADES_LISTED) { tr {
                td { (t["symbol"].as_str().unwrap_or("")) } td.num { (stat_text(&t["size"])) }
                td { (t["entry_time"].as_str().unwrap_or("")) } td { (t["exit_time"].as_str().unwrap_or("")) }
                td.num { (number(t["entry_price"].as_f64(), 2)) } td.num { (number(t["exit_price"].as_f64(), 2)) }
                td.num.signed data-value=(t["pnl"].as_f64().unwrap_or(0.0)) { (number(t["pnl"].as_f64(), 2)) }
                td.num { (number(t["return_pct"].as_f64(), 2)) }
            } }
        } }
        @if trades.len() > TRADES_LISTED { p.note { "The first " (TRADES_LISTED) " are listed; the JSON has them all." } }
        (payload(&view)?)
        (scripts())
    };
    Ok(Html(layout(&title, None, body).into_string()))
}

fn attribution_table(
    title: &str,
    id: &str,
    groups: &std::collections::BTreeMap<String, crate::run_view::TradeGroup>,
) -> Markup {
    html! {
        h2 { (title) }
        table id=(id) { tr { th { "" } th { "P&L" } th { "Trades" } th { "Win %" } }
            @for (name, g) in groups { tr {
                td { (name) } td.num.signed data-value=(g.pnl) { (number(Some(g.pnl), 2)) } td.num { (g.trades) } td.num { (number(Some(g.win_rate_pct), 1)) }
            } }
        }
    }
}

/// A statistic as the backtest table prints it.
fn stat_text(value: &Value) -> String {
    match value {
        Value::Number(n) if n.is_i64() => n.to_string(),
        Value::Number(n) => number(n.as_f64(), 4),
        Value::String(s) => s.clone(),
        Value::Null => "–".to_owned(),
        other => other.to_string(),
    }
}

/// `GET /runs/{id}/report`: the run's static HTML report, as `backtest --report` writes it.
pub async fn report(State(app): State<App>, Path(id): Path<String>) -> Result<Html<String>, PageError> {
    let id = app.runs.resolve(&app.store, &id).await?;
    let (record, details) =
        app.store.get(&id).await?.ok_or_else(|| Failure::not_found(format!("no run {id} in the store")))?;
    let chart: gt_analytics::tearsheet::TearsheetData = serde_json::from_value(details.chart)
        .map_err(|_| Failure::not_found(format!("run {id} was stored without its chart data")))?;
    let title = format!("{} on {}", record.run.strategy, record.run.symbols.join(", "));
    Ok(Html(gt_analytics::tearsheet::render(&title, &chart)))
}

/// The comparison's query: run ids separated by commas.
#[derive(Deserialize)]
pub struct CompareQuery {
    ids: String,
}

/// The comparison page.
pub async fn compare(
    State(app): State<App>,
    Query(query): Query<CompareQuery>,
) -> Result<Html<String>, PageError> {
    let ids: Vec<&str> = query.ids.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if !(2..=MAX_COMPARED).contains(&ids.len()) {
        return Err(
            Failure::bad_request(format!("compare 2 to {MAX_COMPARED} runs (got {})", ids.len())).into()
        );
    }
    let mut runs = Vec::new();
    for id in ids {
        let id = app.runs.resolve(&app.store, id).await?;
        let (record, details) = app
            .store
            .get(&id)
            .await?
            .ok_or_else(|| Failure::not_found(format!("no run {id} in the store")))?;
        runs.push(json!({
            "id": record.id,
            "label": format!("{} {} {}", &record.id[..record.id.len().min(8)], record.run.strategy, gt_runner::records::params_text(&record.run.params)),
            "stats": record.run.stats,
            "equity": details.equity,
        }));
    }
    let keys = [
        "return_pct",
        "cagr_pct",
        "sharpe_ratio",
        "sortino_ratio",
        "max_drawdown_pct",
        "trades",
        "win_rate_pct",
    ];
    let body = html! {
        p.legend { "Each curve starts at 100." }
        div.chart #compare-chart {}
        div #compare-legend {}
        table #compare-stats {
            tr { th { "Run" } @for key in keys { th { (gt_analytics::label(key)) } } }
            @for run in &runs { tr {
                td { a href={ "/runs/" (run["id"].as_str().unwrap_or("")) } { (run["label"].as_str().unwrap_or("")) } }
                @for key in keys { td.num { (stat_text(&run["stats"][key])) } }
            } }
        }
        (payload(&runs)?)
        (scripts())
    };
    Ok(Html(layout("Compare runs", None, body).into_string()))
}
