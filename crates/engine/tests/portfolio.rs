//! Portfolio runs: several symbols on one timeline, the risk engine on every
//! order, protective exits at the venue, the kill switch.

use gt_engine::{BacktestResult, EngineConfig, Sleeve, backtest_portfolio};
use gt_execution::ExchangeConfig;
use gt_model::{Bar, BarSeries, Quantity, Symbol, Timestamp};
use gt_risk::{ProtectiveExits, RiskConfig, RiskEngine, RiskLimits, Sizing};
use gt_strategy::{Strategy, StrategyContext};

const DAY: i64 = 86_400_000_000_000;

/// Bars `(day, open, high, low, close)`.
fn series(symbol: &str, bars: &[(i64, f64, f64, f64, f64)]) -> BarSeries {
    let mut s = BarSeries::with_capacity(Symbol::new(symbol), bars.len());
    for &(day, open, high, low, close) in bars {
        s.push(Bar { ts: Timestamp::from_nanos(day * DAY), open, high, low, close, volume: 1.0 });
    }
    s
}

/// Flat bars at `close` on each day.
fn flat(symbol: &str, days: &[i64], close: f64) -> BarSeries {
    series(symbol, &days.iter().map(|&d| (d, close, close, close, close)).collect::<Vec<_>>())
}

/// Buys `quantity` on the listed steps and closes on the others listed.
struct Script {
    buy_at: Vec<usize>,
    close_at: Vec<usize>,
    quantity: Quantity,
}

impl Script {
    /// All-equity buys on `buy_at`, closes on `close_at`.
    fn new(buy_at: &[usize], close_at: &[usize]) -> Self {
        Self { buy_at: buy_at.to_vec(), close_at: close_at.to_vec(), quantity: Quantity::ALL_EQUITY }
    }
}

impl Strategy for Script {
    fn warmup_bars(&self) -> usize {
        0
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        if self.buy_at.contains(&ctx.bar_index()) {
            ctx.buy(self.quantity);
        }
        if self.close_at.contains(&ctx.bar_index()) {
            ctx.close_position();
        }
    }
}

fn run(
    data: &[BarSeries],
    scripts: Vec<Script>,
    limits: RiskLimits,
    exits: ProtectiveExits,
) -> BacktestResult {
    let members =
        scripts.into_iter().enumerate().map(|(i, s)| (i, Box::new(s) as Box<dyn Strategy>)).collect();
    let mut sleeves = [Sleeve { name: gt_model::StrategyId::new("script"), weight: 1.0, members }];
    let mut risk = RiskEngine::new(RiskConfig::new(limits, exits, Sizing::AsRequested).unwrap(), false);
    backtest_portfolio(
        data,
        &mut sleeves,
        &mut risk,
        EngineConfig::with_cash(10_000.0),
        ExchangeConfig::default(),
    )
}

#[test]
fn a_symbol_without_a_bar_at_a_step_is_not_traded_then() {
    // B has no bar on day 2: its strategy is not asked then, and nothing of B fills on day 2.
    let data = [flat("A", &[0, 1, 2, 3], 10.0), flat("B", &[0, 1, 3], 20.0)];
    let every_step = || Script { quantity: Quantity::Units(1.0), ..Script::new(&[0, 1, 2, 3], &[]) };
    let result =
        run(&data, vec![every_step(), every_step()], RiskLimits::default(), ProtectiveExits::default());
    assert_eq!(result.timeline.len(), 4);
    let decided = |symbol: &str| -> Vec<usize> {
        result.orders.iter().filter(|o| o.request.symbol.as_str() == symbol).map(|o| o.decided_bar).collect()
    };
    assert_eq!(decided("A"), [0, 1, 2, 3]);
    assert_eq!(decided("B"), [0, 1, 3]);
    let b_fill_steps: Vec<usize> =
        result.fills.iter().filter(|f| f.symbol.as_str() == "B").map(|f| f.bar_index).collect();
    assert!(
        !b_fill_steps.contains(&2) && b_fill_steps.contains(&1) && b_fill_steps.contains(&3),
        "{b_fill_steps:?}"
    );
}

#[test]
fn stop_loss_gapped_through_exits_at_the_open() {
    // Entry at day 1's open (100); the 5 % stop rests at 95; day 3 opens at 90, below it.
    let data = [series(
        "A",
        &[
            (0, 100.0, 100.0, 100.0, 100.0),
            (1, 100.0, 101.0, 99.0, 100.0),
            (2, 99.0, 100.0, 96.0, 97.0),
            (3, 90.0, 92.0, 88.0, 91.0),
            (4, 91.0, 91.0, 91.0, 91.0),
        ],
    )];
    let exits = ProtectiveExits { stop_loss_pct: Some(5.0), ..ProtectiveExits::default() };
    let result = run(&data, vec![Script::new(&[0], &[])], RiskLimits::default(), exits);
    assert_eq!(result.trades.len(), 1);
    let trade = &result.trades[0];
    assert_eq!((trade.entry_bar, trade.exit_bar, trade.entry_price, trade.exit_price), (1, 3, 100.0, 90.0));
    assert_eq!(result.open_position(&Symbol::new("A")), 0.0);
}

#[test]
fn take_profit_and_stop_cancel_each_other() {
    // Take-profit 10 % at 110 is touched on day 2 (high 112); the stop-loss must not fire later.
    let data = [series(
        "A",
        &[
            (0, 100.0, 100.0, 100.0, 100.0),
            (1, 100.0, 100.0, 100.0, 100.0),
            (2, 104.0, 112.0, 103.0, 108.0),
            (3, 80.0, 80.0, 70.0, 75.0),
        ],
    )];
    let exits = ProtectiveExits {
        stop_loss_pct: Some(5.0),
        take_profit_pct: Some(10.0),
        ..ProtectiveExits::default()
    };
    let result = run(&data, vec![Script::new(&[0], &[])], RiskLimits::default(), exits);
    assert_eq!(result.trades.len(), 1);
    assert_eq!(result.trades[0].exit_bar, 2);
    assert!((result.trades[0].exit_price - 110.0).abs() < 1e-9, "filled at the 110 limit");
    assert!(result.fills.iter().all(|f| f.bar_index != 3), "the resting stop was withdrawn");
}

#[test]
fn max_positions_refuses_the_third_entry_at_its_step() {
    let days = [0, 1, 2, 3];
    let data = [flat("A", &days, 10.0), flat("B", &days, 10.0), flat("C", &days, 10.0)];
    let scripts = vec![Script::new(&[0], &[]), Script::new(&[0], &[]), Script::new(&[2], &[])];
    let limits = RiskLimits { max_positions: Some(2), ..RiskLimits::default() };
    let result = run(&data, scripts, limits, ProtectiveExits::default());
    assert_eq!(result.refusals.len(), 1);
    let refusal = &result.refusals[0];
    assert_eq!(
        (refusal.bar_index, refusal.symbol.as_str(), refusal.refusal.code()),
        (2, "C", "max_positions")
    );
    assert_eq!(refusal.strategy.as_ref().map(|s| s.as_str()), Some("script"));
}

#[test]
fn drawdown_kill_switch_halts_at_the_first_step_past_the_limit_and_stays_halted() {
    // Long from day 1; the price slides 3 % a day from day 2, then recovers.
    let closes = [100.0, 100.0, 97.0, 94.0, 91.0, 88.0, 85.0, 120.0, 130.0, 140.0];
    let bars: Vec<(i64, f64, f64, f64, f64)> =
        closes.iter().enumerate().map(|(d, &c)| (d as i64, c, c, c, c)).collect();
    let data = [series("A", &bars)];
    let script = Script::new(&[0, 8], &[7]);
    let limits = RiskLimits { max_drawdown_pct: Some(10.0), ..RiskLimits::default() };
    let result = run(&data, vec![script], limits, ProtectiveExits::default());

    let mut peak = f64::MIN;
    let first_breach = result
        .equity
        .iter()
        .position(|&e| {
            peak = peak.max(e);
            (peak - e) / peak >= 0.10
        })
        .unwrap();
    let halt = result.halt.as_ref().expect("the kill switch tripped");
    assert_eq!(halt.bar_index, first_breach);
    assert_eq!(halt.reason.code(), "max_drawdown");
    // The exit on day 7 still passed; the new entry on day 8, after a full recovery, was refused.
    assert_eq!(result.trades.len(), 1, "the long was closed");
    assert_eq!(result.refusals.len(), 1);
    assert_eq!((result.refusals[0].bar_index, result.refusals[0].refusal.code()), (8, "halted"));
}

#[test]
fn inverse_volatility_rebalancing_reweights_and_resizes_sleeves() {
    // Weekdays from 2000-01-03; A swings ±1 %, B ±2 %: B gets about half A's weight.
    let days: Vec<i64> = (0..70).map(|i| 10_959 + (i / 5) * 7 + i % 5).collect();
    let swing = |amplitude: f64| -> Vec<(i64, f64, f64, f64, f64)> {
        days.iter()
            .enumerate()
            .map(|(i, &d)| {
                let c = if i % 2 == 0 { 100.0 } else { 100.0 + amplitude };
                (d, c, c, c, c)
            })
            .collect()
    };
    let data = [series("A", &swing(1.0)), series("B", &swing(2.0))];
    let hold = |symbol| Sleeve {
        name: gt_model::StrategyId::new(if symbol == 0 { "calm" } else { "wild" }),
        // Below one half each: entries are sized at the decision close and fill at a higher open.
        weight: 0.45,
        members: vec![(symbol, Box::new(gt_strategy::BuyAndHold::default()) as Box<dyn Strategy>)],
    };
    let mut sleeves = [hold(0), hold(1)];
    let plan = gt_engine::AllocationPlan::Dynamic {
        method: gt_engine::WeightMethod::InverseVolatility,
        schedule: gt_engine::Schedule::Monthly,
        lookback: 10,
    };
    let config = EngineConfig { allocation: plan, ..EngineConfig::with_cash(100_000.0) };
    let mut risk = RiskEngine::new(RiskConfig::default(), true);
    let result = backtest_portfolio(
        &data,
        &mut sleeves,
        &mut risk,
        config,
        ExchangeConfig { fractional_units: true, ..Default::default() },
    );

    // The first estimate comes once 10 returns exist (2000-01-17), then on the first step of each month.
    let dates: Vec<String> = result
        .rebalances
        .iter()
        .map(|r| result.timeline[r.bar_index].to_utc().format("%Y-%m-%d").to_string())
        .collect();
    assert_eq!(dates, ["2000-01-17", "2000-02-01", "2000-03-01", "2000-04-03"]);
    let first = &result.rebalances[0];
    assert!(
        (first.weights[0] - 2.0 / 3.0).abs() < 0.01 && (first.weights[1] - 1.0 / 3.0).abs() < 0.01,
        "{:?}",
        first.weights
    );
    // The rebalancing orders moved capital from the wild sleeve to the calm one.
    let at_first: Vec<_> = result.orders.iter().filter(|o| o.decided_bar == first.bar_index).collect();
    assert_eq!(at_first.len(), 2);
    let side_of = |name: &str| {
        at_first.iter().find(|o| o.request.strategy.as_ref().unwrap().as_str() == name).unwrap().request.side
    };
    assert_eq!((side_of("calm"), side_of("wild")), (gt_model::Side::Buy, gt_model::Side::Sell));
}
