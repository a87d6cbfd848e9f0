use gt_engine::StepView;
use gt_model::{Order, OrderType, Quantity, TimeFormat};
use serde::{Deserialize, Serialize};

/// A position as `paper status` lists it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PositionRecord {
    /// Its symbol.
    pub symbol: String,
    /// Signed units held.
    pub qty: Option<f64>,
    /// Average entry price.
    pub avg_entry_price: Option<f64>,
    /// Value at the last price.
    pub market_value: Option<f64>,
    /// Profit not yet realized.
    pub unrealized_pnl: Option<f64>,
}

/// A resting order as `paper status` lists it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderRecord {
    /// The deterministic client order id.
    pub client_order_id: String,
    /// Its symbol.
    pub symbol: String,
    /// `buy` or `sell`.
    pub side: String,
    /// Units, or `fraction:F` of equity (sized when it fills).
    pub qty: Option<String>,
    /// `market`, `limit`, `stop`…, as Alpaca spells it.
    #[serde(rename = "type")]
    pub order_type: String,
    /// `accepted`, or the broker's status.
    pub status: String,
}

/// The account after a step, as `paper status` shows it and the journal keeps it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionSnapshot {
    /// Session name.
    pub session: String,
    /// `sim` or `alpaca`.
    pub broker: String,
    /// Index of the step.
    pub step: usize,
    /// Its time, as the bars write it.
    pub time: String,
    /// Its time in milliseconds since the epoch.
    pub time_ms: i64,
    /// Equity.
    pub equity: Option<f64>,
    /// Cash.
    pub cash: Option<f64>,
    /// Open positions.
    pub positions: Vec<PositionRecord>,
    /// Resting orders.
    pub open_orders: Vec<OrderRecord>,
    /// Profit realized on the step's day.
    pub realized_pnl_today: f64,
    /// Profit realized in all.
    pub realized_pnl_total: f64,
    /// Trades closed in all.
    pub closed_trades: usize,
    /// Whether the kill switch is on.
    pub halted: bool,
    /// Why, when it is.
    pub halt_reason: Option<String>,
    /// Positions found different at the broker and resolved in its favour.
    pub reconciliation_mismatches: u64,
    /// Fall from the peak equity in percent, as the kill switch measures it
    /// (`None` without a loss limit).
    pub drawdown_pct: Option<f64>,
    /// The drawdown that trips the kill switch, in percent.
    pub max_drawdown_pct: Option<f64>,
    /// Fall from the day's starting equity in percent, as the kill switch measures it.
    pub daily_loss_pct: Option<f64>,
    /// The daily loss that trips the kill switch, in percent.
    pub max_daily_loss_pct: Option<f64>,
}

/// A finite number, `None` (JSON `null`) otherwise.
fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

/// The account after `step`: equity, cash, positions (quantity, average
/// entry, market value, unrealized P&L), resting orders, realized P&L (total
/// and on the step's day) and the kill switch's state; `client_id` names the orders.
pub fn snapshot(
    session: &str,
    broker: &str,
    step: &StepView<'_>,
    time_format: TimeFormat,
    client_id: &dyn Fn(&Order) -> String,
) -> SessionSnapshot {
    let portfolio = step.portfolio;
    let positions = portfolio
        .positions()
        .iter()
        .filter(|p| p.quantity() != 0.0)
        .map(|p| {
            let avg = p.avg_entry_price().unwrap_or(f64::NAN);
            PositionRecord {
                symbol: p.symbol().to_string(),
                qty: finite(p.quantity()),
                avg_entry_price: finite(avg),
                market_value: finite(p.market_value()),
                unrealized_pnl: finite(p.quantity() * (p.mark_price() - avg)),
            }
        })
        .collect();
    let open_orders = step.resting_orders.iter().map(|o| order_record(&client_id(o), o)).collect();
    let day = step.ts.epoch_day();
    let trades = portfolio.closed_trades();
    let realized_total: f64 = trades.iter().map(|t| t.pnl()).sum();
    // `+ 0.0` turns an empty sum's -0.0 into 0.
    let realized_today: f64 =
        trades.iter().filter(|t| t.exit_time.epoch_day() == day).map(|t| t.pnl()).sum::<f64>() + 0.0;
    SessionSnapshot {
        session: session.to_owned(),
        broker: broker.to_owned(),
        step: step.index,
        time: step.ts.display(time_format).to_string(),
        time_ms: step.ts.nanos() / 1_000_000,
        equity: finite(portfolio.equity()),
        cash: finite(portfolio.cash()),
        positions,
        open_orders,
        realized_pnl_today: realized_today,
        realized_pnl_total: realized_total,
        closed_trades: trades.len(),
        halted: step.halt.is_some(),
        halt_reason: step.halt.map(|h| h.reason.to_string()),
        reconciliation_mismatches: 0,
        drawdown_pct: step.losses.drawdown_pct.and_then(finite),
        max_drawdown_pct: step.losses.max_drawdown_pct,
        daily_loss_pct: step.losses.daily_loss_pct.and_then(finite),
        max_daily_loss_pct: step.losses.max_daily_loss_pct,
    }
}

/// A resting order as `paper status` lists it.
fn order_record(client_order_id: &str, order: &Order) -> OrderRecord {
    OrderRecord {
        client_order_id: client_order_id.to_owned(),
        symbol: order.request.symbol.to_string(),
        side: side_name(order).to_owned(),
        qty: Some(quantity_text(order.request.quantity)),
        order_type: type_name(order.request.order_type).to_owned(),
        status: "accepted".to_owned(),
    }
}

/// `buy` or `sell`.
pub(crate) fn side_name(order: &Order) -> &'static str {
    match order.request.side {
        gt_model::Side::Buy => "buy",
        gt_model::Side::Sell => "sell",
    }
}

/// Units as a number, or an equity fraction as `fraction:F` (sized when it fills).
pub(crate) fn quantity_text(quantity: Quantity) -> String {
    match quantity {
        Quantity::Units(units) => units.to_string(),
        Quantity::EquityFraction(fraction) => format!("fraction:{fraction}"),
    }
}

/// The order type's name, as Alpaca spells it.
pub(crate) fn type_name(order_type: OrderType) -> &'static str {
    match order_type {
        OrderType::Market => "market",
        OrderType::Limit { .. } => "limit",
        OrderType::Stop { .. } => "stop",
        OrderType::StopLimit { .. } => "stop_limit",
        OrderType::TrailingStop { .. } => "trailing_stop",
    }
}
