//! Fill rules of the simulated exchange, one behaviour per test.

use super::*;
use crate::PreviousBar;
use gt_model::{Bar, OrderId, OrderRequest, Symbol};

fn bar(index: usize, open: f64, high: f64, low: f64, close: f64) -> BarUpdate {
    BarUpdate {
        index,
        bar: Bar { ts: Timestamp::from_nanos(index as i64), open, high, low, close, volume: 0.0 },
        previous: (index > 0).then(|| PreviousBar {
            index: index - 1,
            ts: Timestamp::from_nanos(index as i64 - 1),
            close: 100.0,
        }),
    }
}

fn order(id: u64, side: Side, quantity: Quantity, order_type: OrderType) -> Order {
    Order {
        id: OrderId(id),
        request: OrderRequest::market(Symbol::new("T"), side, quantity).with_type(order_type),
        decided_bar: 0,
        decided_at: Timestamp::from_nanos(0),
    }
}

struct Setup {
    exchange: SimulatedExchange,
    portfolio: Portfolio,
    slot: usize,
    events: Vec<ExecutionEvent>,
}

impl Setup {
    fn new(config: ExchangeConfig, cash: f64) -> Self {
        let mut portfolio = Portfolio::new(cash);
        let slot = portfolio.slot(&Symbol::new("T"));
        Self { exchange: SimulatedExchange::new(config), portfolio, slot, events: Vec::new() }
    }

    fn step(&mut self, update: BarUpdate) -> Vec<ExecutionEvent> {
        self.exchange.on_bar(self.slot, &update, &mut self.portfolio, &mut self.events);
        std::mem::take(&mut self.events)
    }
}

fn fills(events: &[ExecutionEvent]) -> Vec<(f64, f64, usize)> {
    events
        .iter()
        .filter_map(|e| match e {
            ExecutionEvent::Filled(f) => Some((f.signed_quantity(), f.price, f.bar_index)),
            ExecutionEvent::Cancelled(_) => None,
        })
        .collect()
}

fn cancel_codes(events: &[ExecutionEvent]) -> Vec<&'static str> {
    events
        .iter()
        .filter_map(|e| match e {
            ExecutionEvent::Cancelled(c) => Some(c.reason.code()),
            ExecutionEvent::Filled(_) => None,
        })
        .collect()
}

#[test]
fn market_order_fills_at_next_open() {
    let mut s = Setup::new(ExchangeConfig::default(), 10_000.0);
    s.exchange.submit(order(0, Side::Buy, Quantity::Units(10.0), OrderType::Market)).unwrap();
    assert_eq!(fills(&s.step(bar(1, 101.0, 105.0, 99.0, 104.0))), vec![(10.0, 101.0, 1)]);
    assert_eq!(s.exchange.open_orders(), 0);
}

#[test]
fn trade_on_close_fills_market_orders_at_the_deciding_bars_close() {
    let config = ExchangeConfig { trade_on_close: true, ..ExchangeConfig::default() };
    let mut s = Setup::new(config, 10_000.0);
    s.exchange.submit(order(0, Side::Buy, Quantity::Units(10.0), OrderType::Market)).unwrap();
    assert_eq!(fills(&s.step(bar(1, 101.0, 105.0, 99.0, 104.0))), vec![(10.0, 100.0, 0)]);
}

#[test]
fn stop_order_gapping_through_fills_at_open() {
    let mut s = Setup::new(ExchangeConfig::default(), 10_000.0);
    s.exchange.submit(order(0, Side::Buy, Quantity::Units(1.0), OrderType::Stop { stop: 105.0 })).unwrap();
    assert!(s.step(bar(1, 100.0, 104.0, 99.0, 103.0)).is_empty(), "stop not reached");
    assert_eq!(fills(&s.step(bar(2, 108.0, 110.0, 107.0, 109.0))), vec![(1.0, 108.0, 2)]);
}

#[test]
fn stop_order_touched_inside_the_bar_fills_at_the_stop() {
    let mut s = Setup::new(ExchangeConfig::default(), 10_000.0);
    s.exchange.submit(order(0, Side::Sell, Quantity::Units(1.0), OrderType::Stop { stop: 95.0 })).unwrap();
    assert_eq!(fills(&s.step(bar(1, 100.0, 101.0, 90.0, 92.0))), vec![(-1.0, 95.0, 1)]);
}

#[test]
fn limit_order_fills_at_limit_or_better_open() {
    let mut s = Setup::new(ExchangeConfig::default(), 10_000.0);
    s.exchange.submit(order(0, Side::Buy, Quantity::Units(1.0), OrderType::Limit { limit: 95.0 })).unwrap();
    s.exchange.submit(order(1, Side::Buy, Quantity::Units(1.0), OrderType::Limit { limit: 99.0 })).unwrap();
    assert!(s.step(bar(1, 100.0, 101.0, 99.5, 100.0)).is_empty());
    // Gaps down below both limits: each fills at the open, better than its limit.
    assert_eq!(fills(&s.step(bar(2, 94.0, 96.0, 93.0, 95.0))), vec![(1.0, 94.0, 2), (1.0, 94.0, 2)]);
}

#[test]
fn stop_limit_waits_for_the_limit_after_its_stop_triggers() {
    let mut s = Setup::new(ExchangeConfig::default(), 10_000.0);
    let stop_limit = OrderType::StopLimit { stop: 105.0, limit: 103.0 };
    s.exchange.submit(order(0, Side::Buy, Quantity::Units(1.0), stop_limit)).unwrap();
    // Stop touched (high 106) but the low stays above the limit: no fill, stays a limit order.
    assert!(s.step(bar(1, 104.0, 106.0, 103.5, 105.5)).is_empty());
    assert_eq!(s.exchange.open_orders(), 1);
    assert_eq!(fills(&s.step(bar(2, 104.0, 104.5, 102.0, 102.5))), vec![(1.0, 103.0, 2)]);
}

#[test]
fn all_equity_buy_sizes_whole_units_after_commission() {
    let costs = CostModel::new(0.01, 0.0, 0.0).unwrap();
    let mut s = Setup::new(ExchangeConfig { costs, ..ExchangeConfig::default() }, 1_000.0);
    s.exchange.submit(order(0, Side::Buy, Quantity::ALL_EQUITY, OrderType::Market)).unwrap();
    let events = s.step(bar(1, 99.0, 100.0, 98.0, 99.0));
    // 1000 / (99 × 1.01) = 10.001 → 10 units, commission 9.9.
    assert_eq!(fills(&events), vec![(10.0, 99.0, 1)]);
    assert!((s.portfolio.cash() - (1_000.0 - 990.0 - 9.9)).abs() < 1e-9);
}

#[test]
fn order_too_large_for_the_cash_is_cancelled_with_the_numbers() {
    let mut s = Setup::new(ExchangeConfig::default(), 500.0);
    s.exchange.submit(order(0, Side::Buy, Quantity::Units(10.0), OrderType::Market)).unwrap();
    s.exchange.submit(order(1, Side::Buy, Quantity::ALL_EQUITY, OrderType::Market)).unwrap();
    let events = s.step(bar(1, 100.0, 100.0, 100.0, 100.0));
    assert_eq!(cancel_codes(&events), vec!["insufficient_funds"]);
    assert_eq!(fills(&events), vec![(4.0, 100.0, 1)], "the fraction order still buys what it can");
    let ExecutionEvent::Cancelled(cancelled) = &events[0] else { panic!("first event is the cancellation") };
    assert_eq!(cancelled.reason, CancelReason::InsufficientFunds { required: 1_000.0, available: 500.0 });
}

#[test]
fn not_enough_cash_for_one_unit_cancels_a_fraction_order() {
    let mut s = Setup::new(ExchangeConfig::default(), 50.0);
    s.exchange.submit(order(0, Side::Buy, Quantity::ALL_EQUITY, OrderType::Market)).unwrap();
    assert_eq!(cancel_codes(&s.step(bar(1, 100.0, 100.0, 100.0, 100.0))), vec!["insufficient_funds"]);
}

#[test]
fn fractional_units_are_zero_in_whole_unit_mode_and_allowed_otherwise() {
    let mut s = Setup::new(ExchangeConfig::default(), 1_000.0);
    s.exchange.submit(order(0, Side::Buy, Quantity::Units(0.5), OrderType::Market)).unwrap();
    assert_eq!(cancel_codes(&s.step(bar(1, 100.0, 100.0, 100.0, 100.0))), vec!["zero_quantity"]);

    let mut s = Setup::new(ExchangeConfig { fractional_units: true, ..ExchangeConfig::default() }, 1_000.0);
    s.exchange.submit(order(0, Side::Buy, Quantity::Units(0.5), OrderType::Market)).unwrap();
    assert_eq!(fills(&s.step(bar(1, 100.0, 100.0, 100.0, 100.0))), vec![(0.5, 100.0, 1)]);
}

#[test]
fn malformed_orders_are_refused_at_submission() {
    let mut s = Setup::new(ExchangeConfig::default(), 1_000.0);
    let refused = |o| SimulatedExchange::new(ExchangeConfig::default()).submit(o).unwrap_err().reason.code();
    assert_eq!(refused(order(0, Side::Buy, Quantity::Units(-1.0), OrderType::Market)), "invalid_order");
    assert_eq!(
        refused(order(0, Side::Buy, Quantity::EquityFraction(1.5), OrderType::Market)),
        "invalid_order"
    );
    assert_eq!(
        refused(order(0, Side::Buy, Quantity::Units(1.0), OrderType::Limit { limit: f64::NAN })),
        "invalid_order"
    );
    assert!(s.exchange.submit(order(0, Side::Buy, Quantity::Units(1.0), OrderType::Market)).is_ok());
}

#[test]
fn reduce_only_closes_the_position_first_and_never_flips_it() {
    let mut s = Setup::new(ExchangeConfig::default(), 10_000.0);
    s.exchange.submit(order(0, Side::Buy, Quantity::Units(10.0), OrderType::Market)).unwrap();
    s.step(bar(1, 100.0, 100.0, 100.0, 100.0));
    // An entry placed before the close still executes after it: closes jump the queue.
    s.exchange.submit(order(1, Side::Sell, Quantity::Units(5.0), OrderType::Market)).unwrap();
    let mut close = order(2, Side::Sell, Quantity::Units(10.0), OrderType::Market);
    close.request.reduce_only = true;
    s.exchange.submit(close.clone()).unwrap();
    let events = s.step(bar(2, 110.0, 110.0, 110.0, 110.0));
    assert_eq!(fills(&events), vec![(-10.0, 110.0, 2), (-5.0, 110.0, 2)]);
    assert_eq!(s.portfolio.position(s.slot).quantity(), -5.0);
    // A reduce-only sell with a short position has nothing to close.
    s.exchange.submit(close).unwrap();
    assert_eq!(cancel_codes(&s.step(bar(3, 110.0, 110.0, 110.0, 110.0))), vec!["nothing_to_close"]);
}

#[test]
fn slippage_and_fixed_fee_are_charged() {
    let costs = CostModel::new(0.0, 2.0, 50.0).unwrap();
    let mut s = Setup::new(ExchangeConfig { costs, ..ExchangeConfig::default() }, 10_000.0);
    s.exchange.submit(order(0, Side::Buy, Quantity::Units(10.0), OrderType::Market)).unwrap();
    let events = s.step(bar(1, 100.0, 100.0, 100.0, 100.0));
    let (units, price, _) = fills(&events)[0];
    assert_eq!(units, 10.0);
    assert!((price - 100.5).abs() < 1e-9, "50 bps above the open: {price}");
    assert!((s.portfolio.cash() - (10_000.0 - 1_005.0 - 2.0)).abs() < 1e-9);
}

#[test]
fn trailing_stop_follows_the_high_and_fills_when_price_falls_back() {
    let mut s = Setup::new(ExchangeConfig::default(), 10_000.0);
    let trailing = OrderType::TrailingStop { trail_pct: 10.0, anchor: 100.0 };
    s.exchange.submit(order(0, Side::Sell, Quantity::Units(1.0), trailing)).unwrap();
    // Stop 90: untouched; the high of 120 moves it to 108.
    assert!(s.step(bar(1, 100.0, 120.0, 95.0, 118.0)).is_empty());
    // Low 110 stays above 108; then a low of 105 crosses it inside the bar: fill at the stop.
    assert!(s.step(bar(2, 118.0, 119.0, 110.0, 112.0)).is_empty());
    let (units, price, bar_index) = fills(&s.step(bar(3, 112.0, 113.0, 105.0, 106.0)))[0];
    assert_eq!((units, bar_index), (-1.0, 3));
    assert!((price - 108.0).abs() < 1e-9, "{price}");
}

#[test]
fn trailing_stop_gapped_through_fills_at_the_open() {
    let mut s = Setup::new(ExchangeConfig::default(), 10_000.0);
    let trailing = OrderType::TrailingStop { trail_pct: 5.0, anchor: 100.0 };
    s.exchange.submit(order(0, Side::Sell, Quantity::Units(1.0), trailing)).unwrap();
    assert_eq!(fills(&s.step(bar(1, 90.0, 91.0, 89.0, 90.0))), vec![(-1.0, 90.0, 1)]);
}

#[test]
fn cancelled_orders_never_fill() {
    let mut s = Setup::new(ExchangeConfig::default(), 10_000.0);
    s.exchange.submit(order(7, Side::Buy, Quantity::Units(1.0), OrderType::Market)).unwrap();
    assert_eq!(s.exchange.cancel(OrderId(7)).map(|o| o.id), Some(OrderId(7)));
    assert!(s.exchange.cancel(OrderId(7)).is_none());
    assert!(s.step(bar(1, 100.0, 100.0, 100.0, 100.0)).is_empty());
}
