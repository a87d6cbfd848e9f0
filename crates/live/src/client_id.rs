use gt_model::Order;

/// The client order id of `order` in `session`: session, strategy, symbol,
/// decision step and the order's sequence number in the run. A replayed or
/// restarted session decides the same orders in the same sequence, so a
/// decision always gets the same id and a broker can refuse a second copy.
pub fn client_order_id(session: &str, order: &Order) -> String {
    let strategy = order.request.strategy.as_ref().map_or("-", |s| s.as_str());
    format!("{session}-{strategy}-{}-{}-{}", order.request.symbol.as_str(), order.decided_bar, order.id.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gt_model::{OrderId, OrderRequest, Quantity, Side, StrategyId, Symbol, Timestamp};

    #[test]
    fn the_id_names_session_strategy_symbol_step_and_sequence() {
        let mut request = OrderRequest::market(Symbol::new("AAPL"), Side::Buy, Quantity::Units(3.0));
        request.strategy = Some(StrategyId::new("demo_ma"));
        let order = Order { id: OrderId(7), request, decided_bar: 42, decided_at: Timestamp::from_nanos(0) };
        assert_eq!(client_order_id("default", &order), "default-demo_ma-AAPL-42-7");
    }
}
