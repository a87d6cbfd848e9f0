//! A self-contained HTML report: charts, monthly returns, statistics, trades.
//!
//! The page embeds TradingView Lightweight Charts (Apache-2.0, vendored in
//! `assets/`) and the run's data as JSON, so it works offline. The page marks
//! its body with the number of charts drawn (`data-charts`) and any script
//! error (`data-errors`), which the browser test reads.

use serde::Serialize;
use serde_json::Value;

const TEMPLATE: &str = include_str!("tearsheet.html");
/// TradingView Lightweight Charts (Apache-2.0), as vendored: what every chart page embeds or serves.
pub const CHARTS_JS: &str = include_str!("../assets/lightweight-charts.standalone.production.js");

/// The data a report is drawn from (all of it serialisable, so a stored run can be drawn again).
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct TearsheetData {
    /// One line under the title (symbols, dates, settings).
    pub subtitle: String,
    /// True for daily bars (dates without times on the axis).
    pub daily: bool,
    /// Statistics by name.
    pub stats: Value,
    /// The statistics' names and labels (`return_pct`, `Return [%]`), in the
    /// backtest table's order; empty in reports stored before they were kept.
    #[serde(default)]
    pub stat_labels: Vec<(String, String)>,
    /// Closed trades as reported.
    pub trades: Value,
    /// Equity points `{time, equity, drawdown_pct}`.
    pub equity: Value,
    /// Buy & hold benchmark, one value per equity point.
    pub benchmark: Vec<f64>,
    /// The first symbol's closes, one per equity point (`None` where it had no bar).
    pub price: Option<PriceLine>,
}

/// One symbol's bars and the strategies' indicators along the run's timeline.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct PriceLine {
    /// Symbol.
    pub symbol: String,
    /// Close at each step, `None` where the symbol had no bar.
    pub closes: Vec<Option<f64>>,
    /// Open at each step, like the closes; empty in runs stored before bars were kept.
    #[serde(default)]
    pub opens: Vec<Option<f64>>,
    /// High at each step, like the opens.
    #[serde(default)]
    pub highs: Vec<Option<f64>>,
    /// Low at each step, like the opens.
    #[serde(default)]
    pub lows: Vec<Option<f64>>,
    /// Volume at each step, like the opens.
    #[serde(default)]
    pub volumes: Vec<Option<f64>>,
    /// The indicators the run read on this symbol, one value per step.
    #[serde(default)]
    pub indicators: Vec<IndicatorLine>,
}

/// One indicator output along the run's timeline.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct IndicatorLine {
    /// Its key as written (`sma(20)`, `bb(20,2,2).upper`).
    pub key: String,
    /// True when its values are prices, drawn over the bars; false for
    /// oscillators and the like, drawn in a pane of their own.
    pub overlay: bool,
    /// Value at each step, `None` during warm-up or where the symbol had no bar.
    pub values: Vec<Option<f64>>,
}

/// Renders the report as one HTML document.
pub fn render(title: &str, data: &TearsheetData) -> String {
    // `</` inside the JSON would end the script element early.
    let payload = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned()).replace("</", "<\\/");
    let title = title.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    TEMPLATE.replace("__TITLE__", &title).replace("__CHARTS_JS__", CHARTS_JS).replace("__PAYLOAD__", &payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_embeds_the_chart_library_and_the_data_and_escapes_them() {
        let data = TearsheetData {
            subtitle: "GOOG".into(),
            daily: true,
            stats: serde_json::json!({"return_pct": 1.5}),
            stat_labels: vec![("return_pct".to_owned(), "Return [%]".to_owned())],
            trades: serde_json::json!([{"symbol": "</script><b>"}]),
            equity: serde_json::json!([{"time": "2020-01-02", "equity": 1.0, "drawdown_pct": 0.0}]),
            benchmark: vec![1.0],
            price: None,
        };
        let html = render("A <b> & c", &data);
        assert!(html.contains("TradingView Lightweight Charts™ v4.2.3"));
        assert!(html.contains("<title>A &lt;b&gt; &amp; c</title>"));
        assert!(html.contains(r#"<\/script><b>"#), "the payload cannot close its script element");
        assert!(
            !html.contains("<script src") && !html.contains("<link"),
            "nothing is loaded from the network"
        );
        assert!(!html.contains("__PAYLOAD__") && !html.contains("__CHARTS_JS__"));
    }
}
