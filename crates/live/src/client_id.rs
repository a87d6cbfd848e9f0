use gt_model::{Order, OrderId, Timestamp};

/// Gives orders their client order ids: session, strategy, symbol, decision
/// bar time (UTC, to the minute) and the order's place among the orders
/// decided at that bar. A restarted session that decides the same order at
/// the same bar gives it the same id, however much history it replayed
/// first, so a broker recognises (and refuses) a second copy.
pub struct ClientIds {
    session: String,
    /// The bar being numbered and the run's id of its first order.
    bar: Option<(Timestamp, u64)>,
}

impl ClientIds {
    /// Ids for `session`.
    pub fn new(session: &str) -> Self {
        Self { session: session.to_owned(), bar: None }
    }

    /// The id of `order`; orders must be shown in the order they were made.
    pub fn id(&mut self, order: &Order) -> String {
        let OrderId(run_id) = order.id;
        let first = match self.bar {
            Some((ts, first)) if ts == order.decided_at => first,
            _ => {
                self.bar = Some((order.decided_at, run_id));
                run_id
            }
        };
        let strategy = order.request.strategy.as_ref().map_or("-", |s| s.as_str());
        let time = order.decided_at.to_utc().format("%Y%m%dT%H%M");
        format!("{}-{strategy}-{}-{time}-{}", self.session, order.request.symbol.as_str(), run_id - first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gt_model::{OrderRequest, Quantity, Side, StrategyId, Symbol};

    fn order(id: u64, bar_ns: i64) -> Order {
        let mut request = OrderRequest::market(Symbol::new("AAPL"), Side::Buy, Quantity::Units(3.0));
        request.strategy = Some(StrategyId::new("demo_ma"));
        Order { id: OrderId(id), request, decided_bar: 0, decided_at: Timestamp::from_nanos(bar_ns) }
    }

    #[test]
    fn ids_count_from_zero_at_each_bar_whatever_the_run_numbering() {
        let minute = 60_000_000_000;
        let mut ids = ClientIds::new("default");
        assert_eq!(ids.id(&order(7, minute)), "default-demo_ma-AAPL-19700101T0001-0");
        assert_eq!(ids.id(&order(8, minute)), "default-demo_ma-AAPL-19700101T0001-1");
        assert_eq!(ids.id(&order(9, 2 * minute)), "default-demo_ma-AAPL-19700101T0002-0");
        // A restart that numbered its orders differently names the same decisions the same.
        let mut restarted = ClientIds::new("default");
        assert_eq!(restarted.id(&order(100, 2 * minute)), "default-demo_ma-AAPL-19700101T0002-0");
    }
}
