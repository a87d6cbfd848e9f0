use gt_engine::StepView;
use gt_model::{Order, OrderType, Quantity, TimeFormat};
use serde_json::{Value, json};

/// The account after a step, as `paper status` shows it: equity, cash,
/// positions (quantity, average entry, market value, unrealized P&L),
/// resting orders, realized P&L (total and on the step's day) and the kill
/// switch's state; `client_id` names the orders.
pub fn snapshot(
    session: &str,
    broker: &str,
    step: &StepView<'_>,
    time_format: TimeFormat,
    client_id: &dyn Fn(&Order) -> String,
) -> Value {
    let portfolio = step.portfolio;
    let positions: Vec<Value> = portfolio
        .positions()
        .iter()
        .filter(|p| p.quantity() != 0.0)
        .map(|p| {
            let avg = p.avg_entry_price().unwrap_or(f64::NAN);
            json!({
                "symbol": p.symbol().as_str(),
                "qty": p.quantity(),
                "avg_entry_price": avg,
                "market_value": p.market_value(),
                "unrealized_pnl": p.quantity() * (p.mark_price() - avg),
            })
        })
        .collect();
    let open_orders: Vec<Value> = step.resting_orders.iter().map(|o| order_json(&client_id(o), o)).collect();
    let day = step.ts.epoch_day();
    let trades = portfolio.closed_trades();
    let realized_total: f64 = trades.iter().map(|t| t.pnl()).sum();
    // `+ 0.0` turns an empty sum's -0.0 into 0.
    let realized_today: f64 =
        trades.iter().filter(|t| t.exit_time.epoch_day() == day).map(|t| t.pnl()).sum::<f64>() + 0.0;
    json!({
        "session": session,
        "broker": broker,
        "step": step.index,
        "time": step.ts.display(time_format).to_string(),
        "time_ms": step.ts.nanos() / 1_000_000,
        "equity": portfolio.equity(),
        "cash": portfolio.cash(),
        "positions": positions,
        "open_orders": open_orders,
        "realized_pnl_today": realized_today,
        "realized_pnl_total": realized_total,
        "closed_trades": trades.len(),
        "halted": step.halt.is_some(),
        "halt_reason": step.halt.map(|h| h.reason.to_string()),
    })
}

/// A resting order as `paper status` lists it.
fn order_json(client_order_id: &str, order: &Order) -> Value {
    json!({
        "client_order_id": client_order_id,
        "symbol": order.request.symbol.as_str(),
        "side": side_name(order),
        "qty": quantity_text(order.request.quantity),
        "type": type_name(order.request.order_type),
        "status": "accepted",
    })
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
