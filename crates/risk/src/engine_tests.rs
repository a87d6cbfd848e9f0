//! Each limit trips exactly when it should; the kill switch stays tripped.

use super::*;
use crate::{ProtectiveExits, RiskLimits};
use gt_model::{Bar, Fill, OrderId, Portfolio, Side};

const DAY: i64 = 86_400_000_000_000;

fn engine(limits: RiskLimits, sizing: Sizing) -> RiskEngine {
    RiskEngine::new(RiskConfig::new(limits, ProtectiveExits::default(), sizing).unwrap(), false)
}

/// A 10,000 account holding `held` units of each (symbol, units, price).
fn account(held: &[(&str, f64, f64)]) -> Portfolio {
    let mut book = Portfolio::new(10_000.0);
    for (i, &(symbol, units, price)) in held.iter().enumerate() {
        let slot = book.slot(&Symbol::new(symbol));
        let side = if units > 0.0 { Side::Buy } else { Side::Sell };
        let fill = Fill {
            order_id: OrderId(i as u64),
            symbol: Symbol::new(symbol),
            side,
            quantity: units.abs(),
            price,
            commission: 0.0,
            bar_index: 0,
            ts: Timestamp::from_nanos(0),
            strategy: None,
        };
        book.apply_fill(slot, &fill);
        book.set_mark(slot, price);
    }
    book
}

fn buy(symbol: &str, quantity: Quantity) -> OrderRequest {
    OrderRequest::market(Symbol::new(symbol), Side::Buy, quantity)
}

fn check(
    engine: &mut RiskEngine,
    book: &Portfolio,
    request: OrderRequest,
    price: f64,
) -> Result<Quantity, Refusal> {
    check_measured(engine, book, request, price, None)
}

/// [`check`], with the sizing indicator's value on the order's symbol.
fn check_measured(
    engine: &mut RiskEngine,
    book: &Portfolio,
    request: OrderRequest,
    price: f64,
    sizing_measure: Option<f64>,
) -> Result<Quantity, Refusal> {
    let view = AccountView { equity: book.equity(), positions: book.positions(), sizing_measure };
    engine
        .check(request, price, &view)
        .map(|approved| approved.into_inner().quantity)
        .map_err(|refused| refused.refusal)
}

#[test]
fn unlimited_engine_passes_orders_unchanged() {
    let mut risk = engine(RiskLimits::default(), Sizing::AsRequested);
    let book = account(&[]);
    assert_eq!(check(&mut risk, &book, buy("A", Quantity::ALL_EQUITY), 100.0), Ok(Quantity::ALL_EQUITY));
}

#[test]
fn position_cap_resizes_an_entry_and_refuses_when_full() {
    let limits = RiskLimits { max_position_pct: Some(25.0), ..RiskLimits::default() };
    let mut risk = engine(limits, Sizing::AsRequested);
    // 25 % of 10,000 at 100 a unit: 25 units, whatever the strategy asked.
    assert_eq!(
        check(&mut risk, &account(&[]), buy("A", Quantity::ALL_EQUITY), 100.0),
        Ok(Quantity::Units(25.0))
    );
    // A bar later, holding those 25 units: nothing left.
    let full = account(&[("A", 25.0, 100.0)]);
    risk.on_equity(1, Timestamp::from_nanos(DAY), full.equity());
    let refusal = check(&mut risk, &full, buy("A", Quantity::Units(5.0)), 100.0).unwrap_err();
    assert_eq!(refusal.code(), "position_cap");
    assert_eq!(
        refusal,
        Refusal::PositionCap { symbol: Symbol::new("A"), position_value: 2_500.0, limit: 2_500.0 }
    );
}

#[test]
fn a_reversal_is_capped_after_its_close_not_beside_it() {
    // Cap 10 % of 10,000 at 100 a unit: 10 units. Short 10, then on one bar
    // the strategy closes and buys with all its equity: the entry may make
    // the position +10, not +20 (it was sized as if it also did the close).
    let limits = RiskLimits { max_position_pct: Some(10.0), ..RiskLimits::default() };
    let mut risk = engine(limits, Sizing::AsRequested);
    let short = account(&[("A", -10.0, 100.0)]);
    let close = OrderRequest::close(Symbol::new("A"), -10.0);
    assert_eq!(check(&mut risk, &short, close, 100.0), Ok(Quantity::Units(10.0)));
    assert_eq!(check(&mut risk, &short, buy("A", Quantity::ALL_EQUITY), 100.0), Ok(Quantity::Units(10.0)));
    // A second entry on the same bar finds the cap used.
    let again = check(&mut risk, &short, buy("A", Quantity::Units(1.0)), 100.0).unwrap_err();
    assert_eq!(again.code(), "position_cap");
}

#[test]
fn max_positions_counts_a_reversal_as_the_same_position() {
    let limits = RiskLimits { max_positions: Some(1), ..RiskLimits::default() };
    let mut risk = engine(limits, Sizing::AsRequested);
    let long = account(&[("A", 10.0, 100.0)]);
    let close = OrderRequest::close(Symbol::new("A"), 10.0);
    assert!(check(&mut risk, &long, close, 100.0).is_ok());
    let short = OrderRequest::market(Symbol::new("A"), Side::Sell, Quantity::Units(5.0));
    assert_eq!(check(&mut risk, &long, short, 100.0), Ok(Quantity::Units(5.0)));
    // But a second symbol on that bar would be one too many.
    let other = check(&mut risk, &long, buy("B", Quantity::Units(1.0)), 100.0).unwrap_err();
    assert_eq!(other.code(), "max_positions");
}

#[test]
fn gross_exposure_limit_refuses_with_the_numbers() {
    let limits = RiskLimits { max_gross_exposure_pct: Some(50.0), ..RiskLimits::default() };
    let mut risk = engine(limits, Sizing::AsRequested);
    let book = account(&[("A", 40.0, 100.0)]);
    assert!(check(&mut risk, &book, buy("B", Quantity::Units(10.0)), 100.0).is_ok(), "40 % + 10 % = 50 %");
    // The 10 units just approved count until the next bar: another unit would make 51 %.
    let refusal = check(&mut risk, &book, buy("C", Quantity::Units(1.0)), 100.0).unwrap_err();
    assert_eq!(refusal, Refusal::GrossExposure { exposure_pct: 51.0, limit_pct: 50.0 });
    risk.on_equity(1, Timestamp::from_nanos(DAY), book.equity());
    assert!(
        check(&mut risk, &book, buy("C", Quantity::Units(1.0)), 100.0).is_ok(),
        "a new bar: B never filled, 41 %"
    );
}

#[test]
fn net_exposure_counts_shorts_against_longs() {
    let limits = RiskLimits { max_net_exposure_pct: Some(30.0), ..RiskLimits::default() };
    let mut risk = engine(limits, Sizing::AsRequested);
    let hedged = account(&[("A", 50.0, 100.0), ("B", -30.0, 100.0)]);
    assert!(check(&mut risk, &hedged, buy("C", Quantity::Units(10.0)), 100.0).is_ok(), "net 20 % + 10 %");
    let refusal = check(&mut risk, &hedged, buy("D", Quantity::Units(1.0)), 100.0).unwrap_err();
    assert_eq!(refusal.code(), "net_exposure");
}

#[test]
fn max_positions_and_order_notional() {
    let limits =
        RiskLimits { max_positions: Some(2), max_order_notional: Some(1_000.0), ..RiskLimits::default() };
    let mut risk = engine(limits, Sizing::AsRequested);
    let book = account(&[("A", 1.0, 100.0), ("B", 1.0, 100.0)]);
    assert_eq!(
        check(&mut risk, &book, buy("C", Quantity::Units(1.0)), 100.0),
        Err(Refusal::MaxPositions { open: 2, limit: 2 })
    );
    assert!(check(&mut risk, &book, buy("A", Quantity::Units(1.0)), 100.0).is_ok(), "adding is not opening");
    assert_eq!(
        check(&mut risk, &book, buy("A", Quantity::Units(11.0)), 100.0),
        Err(Refusal::OrderNotional { notional: 1_100.0, limit: 1_000.0 })
    );
}

#[test]
fn drawdown_kill_switch_trips_at_the_exact_bar_and_stays_tripped() {
    let limits = RiskLimits { max_drawdown_pct: Some(10.0), ..RiskLimits::default() };
    let mut risk = engine(limits, Sizing::AsRequested);
    let path = [10_000.0, 11_000.0, 10_000.0, 9_901.0, 9_900.0, 12_000.0];
    let mut tripped = Vec::new();
    for (bar, equity) in path.into_iter().enumerate() {
        if risk.on_equity(bar, Timestamp::from_nanos(bar as i64 * DAY), equity).is_some() {
            tripped.push(bar);
        }
    }
    // 9,901 is 9.99 % below the 11,000 peak; 9,900 is exactly 10 %.
    assert_eq!(tripped, vec![4]);
    // The last equity, 12,000, is a new peak: no drawdown, and the day (bar 5) started at 9,900.
    let losses = risk.losses();
    assert_eq!((losses.drawdown_pct, losses.max_drawdown_pct), (Some(0.0), Some(10.0)));
    assert!((losses.daily_loss_pct.unwrap() - (9_900.0 - 12_000.0) / 9_900.0 * 100.0).abs() < 1e-12);
    assert_eq!(losses.max_daily_loss_pct, None);
    let halt = risk.halt().unwrap();
    assert_eq!(halt.reason.code(), "max_drawdown");
    assert_eq!(halt.bar_index, 4);
    // A new high does not resume trading; entries are refused, exits pass.
    let book = account(&[("A", 10.0, 100.0)]);
    assert_eq!(check(&mut risk, &book, buy("B", Quantity::Units(1.0)), 100.0).unwrap_err().code(), "halted");
    let exit = OrderRequest::close(Symbol::new("A"), 10.0);
    assert!(check(&mut risk, &book, exit, 100.0).is_ok());
}

#[test]
fn losses_are_watched_only_with_a_kill_switch_and_once_there_is_equity() {
    let mut watched =
        engine(RiskLimits { max_drawdown_pct: Some(10.0), ..RiskLimits::default() }, Sizing::AsRequested);
    assert_eq!(watched.losses().drawdown_pct, None, "no equity yet");
    watched.on_equity(0, Timestamp::from_nanos(0), 10_000.0);
    watched.on_equity(1, Timestamp::from_nanos(1), 9_500.0);
    assert_eq!(watched.losses().drawdown_pct, Some(5.0), "5 % below the 10,000 peak");
    let mut free = engine(RiskLimits::default(), Sizing::AsRequested);
    free.on_equity(0, Timestamp::from_nanos(0), 10_000.0);
    assert_eq!(free.losses(), LossWatch::default(), "nothing to watch without limits");
}

#[test]
fn daily_loss_is_measured_from_the_previous_days_close() {
    let limits = RiskLimits { max_daily_loss_pct: Some(5.0), ..RiskLimits::default() };
    let mut risk = engine(limits, Sizing::AsRequested);
    // Day 0 closes at 10,000; on day 1, intraday bars fall to 9,600 (−4 %) then 9,500 (−5 %).
    let bars = [(0, 10_000.0), (DAY + 1, 9_800.0), (DAY + 2, 9_600.0), (DAY + 3, 9_500.0)];
    let tripped: Vec<usize> = bars
        .iter()
        .enumerate()
        .filter_map(|(i, &(ts, equity))| risk.on_equity(i, Timestamp::from_nanos(ts), equity).map(|_| i))
        .collect();
    assert_eq!(tripped, vec![3]);
    let HaltReason::DailyLoss { loss_pct, limit_pct } = risk.halt().unwrap().reason else {
        panic!("daily loss")
    };
    assert!((loss_pct - 5.0).abs() < 1e-9 && limit_pct == 5.0);
}

#[test]
fn sizing_models_set_the_entry_size() {
    let book = account(&[]);
    let mut fixed = engine(RiskLimits::default(), Sizing::FixedUnits(7.0));
    assert_eq!(check(&mut fixed, &book, buy("A", Quantity::ALL_EQUITY), 100.0), Ok(Quantity::Units(7.0)));
    let mut fraction = engine(RiskLimits::default(), Sizing::FixedFraction(0.25));
    assert_eq!(check(&mut fraction, &book, buy("A", Quantity::Units(1.0)), 100.0), Ok(Quantity::Units(25.0)));

    // Alternating ±1 % returns: annualised volatility 0.01 × √252 ≈ 15.87 %; a 10 % target buys
    // 10,000 × 0.10 / 0.1587 ≈ 6,300 of value, 63 units at 100. The measure comes from the
    // symbol's bank, through the key the risk engine asks for.
    let measured = |risk: &RiskEngine, bars: &[Bar]| {
        let mut bank = gt_indicators::IndicatorBank::new();
        let handle = bank.register(risk.sizing_key().expect("the sizing model reads an indicator"));
        bars.iter().for_each(|bar| bank.update(bar));
        bank.value(handle)
    };
    let bar = |close: f64, high: f64, low: f64| Bar {
        ts: Timestamp::from_nanos(0),
        open: close,
        high,
        low,
        close,
        volume: 0.0,
    };
    let mut target = engine(RiskLimits::default(), Sizing::VolatilityTarget { target_pct: 10.0 });
    let mut close = 100.0;
    let mut bars = Vec::new();
    for i in 0..=VOLATILITY_WINDOW {
        bars.push(bar(close, close, close));
        close *= if i % 2 == 0 { 1.01 } else { 1.0 / 1.01 };
    }
    assert_eq!(measured(&target, &bars[..VOLATILITY_WINDOW]), None, "20 bars give only 19 returns");
    let measure = measured(&target, &bars);
    let Ok(Quantity::Units(units)) =
        check_measured(&mut target, &book, buy("A", Quantity::ALL_EQUITY), 100.0, measure)
    else {
        panic!("volatility target sizes in units")
    };
    assert!((62.0..=64.0).contains(&units), "{units}");
    let as_placed = check(&mut target, &book, buy("A", Quantity::ALL_EQUITY), 100.0);
    assert_eq!(as_placed, Ok(Quantity::ALL_EQUITY), "no measure yet: the strategy's size stands");

    // Bars spanning 2 every day: ATR(14) = 2; risking 1 % of 10,000 over 2 ATRs buys 100 / 4 = 25 units.
    let mut atr = engine(RiskLimits::default(), Sizing::AtrRisk { risk_pct: 1.0, atr_multiple: 2.0 });
    let measure = measured(&atr, &vec![bar(100.0, 101.0, 99.0); 20]);
    assert_eq!(measure, Some(2.0));
    let sized = check_measured(&mut atr, &book, buy("A", Quantity::ALL_EQUITY), 100.0, measure);
    assert_eq!(sized, Ok(Quantity::Units(25.0)));
    assert_eq!(engine(RiskLimits::default(), Sizing::FixedUnits(1.0)).sizing_key(), None);
}
