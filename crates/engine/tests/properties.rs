//! Invariants of the engine, checked on random bars and random order streams.

use gt_data::synthetic::random_walk;
use gt_engine::{BacktestResult, EngineConfig, Sleeve, backtest};
use gt_execution::{CostModel, ExchangeConfig};
use gt_model::{BarSeries, OrderRequest, OrderType, Quantity, Side, Symbol};
use gt_strategy::{Strategy, StrategyContext};
use proptest::prelude::*;

/// Places pseudo-random orders of every kind, with prices taken from the
/// current bar, so its decisions depend on prices up to now and nothing later.
struct RandomTrader {
    state: u64,
}

impl RandomTrader {
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.state >> 33
    }
}

impl Strategy for RandomTrader {
    fn warmup_bars(&self) -> usize {
        0
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        // Mix the close in, so a different past means different decisions.
        self.state ^= ctx.bar().close.to_bits();
        if !self.next().is_multiple_of(3) {
            return;
        }
        let close = ctx.bar().close;
        let side = if self.next().is_multiple_of(2) { Side::Buy } else { Side::Sell };
        let quantity = match self.next() % 3 {
            0 => Quantity::Units((1 + self.next() % 20) as f64),
            1 => Quantity::EquityFraction((1 + self.next() % 100) as f64 / 100.0),
            _ => Quantity::ALL_EQUITY,
        };
        let offset = close * (self.next() % 30) as f64 / 1_000.0;
        let (toward, away) = match side {
            Side::Buy => (close - offset, close + offset),
            Side::Sell => (close + offset, close - offset),
        };
        let order_type = match self.next() % 4 {
            0 => OrderType::Market,
            1 => OrderType::Limit { limit: toward },
            2 => OrderType::Stop { stop: away },
            _ => OrderType::StopLimit { stop: away, limit: away },
        };
        if self.next().is_multiple_of(5) {
            ctx.close_position();
        } else {
            ctx.submit(OrderRequest::market(ctx.symbol().clone(), side, quantity).with_type(order_type));
        }
    }
}

fn exchange(commission: f64, slippage_bps: f64, trade_on_close: bool, fractional: bool) -> ExchangeConfig {
    ExchangeConfig {
        costs: CostModel::new(commission, 1.0, slippage_bps).unwrap(),
        trade_on_close,
        fractional_units: fractional,
    }
}

fn run(
    series: &BarSeries,
    strategy: Box<dyn Strategy>,
    exchange: ExchangeConfig,
    finalize: bool,
) -> BacktestResult {
    backtest(
        series,
        strategy,
        EngineConfig { finalize_trades: finalize, ..EngineConfig::with_cash(10_000.0) },
        exchange,
    )
}

/// Multiplies the prices of every bar after `after` by per-bar factors.
fn perturbed_after(series: &BarSeries, after: usize, seed: u64) -> BarSeries {
    let mut changed = series.clone();
    let mut state = seed | 1;
    for index in after + 1..series.len() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let factor = 0.7 + (state % 600) as f64 / 1_000.0;
        changed.update(index, |bar| {
            bar.open *= factor;
            bar.high *= factor * 1.01;
            bar.low *= factor * 0.99;
            bar.close *= factor;
        });
    }
    changed
}

/// Built-in strategies with short warm-ups, as `name` and `param=value` pairs.
const BUILT_INS: [(&str, &str); 5] = [
    ("demo_ma", "fast=2 slow=5"),
    ("trend_breakout", "lookback=3 exit_lookback=2 atr_period=2 atr_stop=1 allow_short=true"),
    ("mean_reversion", "rsi_period=2 trend_filter=true trend_period=4 allow_short=true"),
    ("momentum", "lookback=2 threshold=0 trend_period=3 vol_scaling=true vol_period=3"),
    ("volatility", "period=4 std_dev=1.5 squeeze_lookback=5 squeeze_pct=50 allow_short=true"),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Rebuilds cash and position from the fills alone and checks every
    /// equity point equals cash + position × close.
    #[test]
    fn equity_equals_cash_plus_positions(
        seed in any::<u64>(),
        bars in 50usize..400,
        commission in 0.0f64..0.01,
        slippage_bps in 0.0f64..20.0,
        fractional in any::<bool>(),
        finalize in any::<bool>(),
    ) {
        let series = random_walk(Symbol::new("R"), bars, seed);
        let result = run(&series, Box::new(RandomTrader { state: seed }), exchange(commission, slippage_bps, false, fractional), finalize);
        let mut fills = result.fills.iter().peekable();
        let (mut cash, mut held) = (10_000.0, 0.0);
        let end = result.bankrupt_at.unwrap_or(bars);
        for index in 0..end {
            while let Some(fill) = fills.next_if(|f| f.bar_index == index) {
                cash -= fill.signed_quantity() * fill.price + fill.commission;
                held += fill.signed_quantity();
            }
            let expected = cash + held * series.closes()[index];
            let got = result.equity[index];
            prop_assert!((expected - got).abs() <= 1e-9 * expected.abs().max(1.0),
                "bar {index}: cash {cash} + {held} × close = {expected}, engine says {got}");
        }
        prop_assert!((held - result.open_position(series.symbol())).abs() < 1e-9 || result.bankrupt_at.is_some());
        // Closed trades plus the open position account for every fill's units.
        let traded: f64 = result.fills.iter().map(|f| f.quantity).sum();
        let in_trades: f64 = result.trades.iter().map(|t| 2.0 * t.size.abs()).sum();
        prop_assert!((traded - in_trades - held.abs()).abs() < 1e-6);
    }

    /// Changing every bar after t changes no order, fill, cancellation or
    /// equity value at or before t — for every t of the series.
    #[test]
    fn no_decision_depends_on_future_bars(
        seed in any::<u64>(),
        bars in 40usize..200,
        trade_on_close in any::<bool>(),
        which in 0usize..6,
    ) {
        let series = random_walk(Symbol::new("R"), bars, seed);
        let config = exchange(0.002, 5.0, trade_on_close, false);
        // The built-ins read indicator keys that a backtest precomputes over the whole
        // series: a column read one bar ahead would show here.
        let strategy = || -> Box<dyn Strategy> {
            match BUILT_INS.get(which) {
                Some((name, params)) => {
                    let spec = gt_strategy::registry::find(name).unwrap();
                    let given: Vec<(String, String)> = params
                        .split_whitespace()
                        .map(|p| p.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())).unwrap())
                        .collect();
                    spec.build(&spec.resolve(&given).unwrap()).unwrap()
                }
                None => Box::new(RandomTrader { state: seed }),
            }
        };
        let before = run(&series, strategy(), config, false);
        prop_assert!(which < BUILT_INS.len() || before.orders.len() > 3, "the random trader places orders: the property is not vacuous");
        for t in 0..bars - 1 {
            let changed = perturbed_after(&series, t, seed ^ t as u64);
            let after = run(&changed, strategy(), config, false);
            let decided = |r: &BacktestResult| r.orders.iter().filter(|o| o.decided_bar <= t).cloned().collect::<Vec<_>>();
            prop_assert_eq!(decided(&before), decided(&after), "orders decided by bar {}", t);
            let filled = |r: &BacktestResult| r.fills.iter().filter(|f| f.bar_index <= t).cloned().collect::<Vec<_>>();
            prop_assert_eq!(filled(&before), filled(&after), "fills booked by bar {}", t);
            let cancelled = |r: &BacktestResult| {
                r.cancellations.iter().filter(|c| c.bar_index <= t).map(|c| (c.order.id, c.reason.clone())).collect::<Vec<_>>()
            };
            prop_assert_eq!(cancelled(&before), cancelled(&after), "cancellations by bar {}", t);
            prop_assert_eq!(&before.equity[..=t], &after.equity[..=t], "equity up to bar {}", t);
        }
    }
}

/// `symbols` random series, each on a random subset of 200 weekdays.
fn gappy_universe(seed: u64, symbols: usize) -> Vec<BarSeries> {
    (0..symbols)
        .map(|k| {
            let full =
                gt_data::synthetic::daily_walk(Symbol::new(&format!("S{k}")), 200, seed ^ (k as u64 + 1));
            let mut kept = BarSeries::with_capacity(full.symbol().clone(), 200);
            let mut state = seed.wrapping_add(k as u64 * 7919) | 1;
            for i in 0..full.len() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if !state.is_multiple_of(5) {
                    kept.push(full.bar(i));
                }
            }
            kept
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// With several symbols (each missing random days), two sleeves sharing
    /// them, risk limits and protective exits, every equity point still equals
    /// cash + Σ position × last close, rebuilt from the fills alone.
    #[test]
    fn portfolio_equity_equals_cash_plus_positions(
        seed in any::<u64>(),
        symbols in 1usize..4,
        stop_loss in prop::option::of(1.0f64..20.0),
        trailing in prop::option::of(1.0f64..20.0),
        max_position in prop::option::of(10.0f64..100.0),
        max_drawdown in prop::option::of(5.0f64..50.0),
    ) {
        let data = gappy_universe(seed, symbols);
        let sleeve = |name: &str, salt: u64| Sleeve {
            name: gt_model::StrategyId::new(name),
            weight: 0.5,
            members: (0..symbols)
                .map(|i| (i, Box::new(RandomTrader { state: seed ^ salt ^ i as u64 }) as Box<dyn Strategy>))
                .collect(),
        };
        let mut sleeves = [sleeve("a", 11), sleeve("b", 23)];
        let limits = gt_risk::RiskLimits { max_position_pct: max_position, max_drawdown_pct: max_drawdown, ..Default::default() };
        let exits = gt_risk::ProtectiveExits { stop_loss_pct: stop_loss, trailing_stop_pct: trailing, ..Default::default() };
        let config = gt_risk::RiskConfig::new(limits, exits, gt_risk::Sizing::AsRequested).unwrap();
        let mut risk = gt_risk::RiskEngine::new(config, false);
        let result = gt_engine::backtest_portfolio(
            &data, &mut sleeves, &mut risk, EngineConfig::with_cash(100_000.0), exchange(0.001, 2.0, false, false));

        let index_of = |symbol: &Symbol| data.iter().position(|s| s.symbol() == symbol).unwrap();
        let mut cursors = vec![0usize; symbols];
        let mut marks = vec![f64::NAN; symbols];
        let mut held = vec![0.0; symbols];
        let mut cash = 100_000.0;
        let mut fills = result.fills.iter().peekable();
        let end = result.bankrupt_at.unwrap_or(result.timeline.len());
        for (step, ts) in result.timeline.iter().enumerate().take(end) {
            for (k, series) in data.iter().enumerate() {
                if series.timestamps().get(cursors[k]) == Some(ts) {
                    marks[k] = series.closes()[cursors[k]];
                    cursors[k] += 1;
                }
            }
            while let Some(fill) = fills.next_if(|f| f.bar_index == step) {
                cash -= fill.signed_quantity() * fill.price + fill.commission;
                held[index_of(&fill.symbol)] += fill.signed_quantity();
            }
            let value: f64 = held.iter().zip(&marks).filter(|(h, _)| **h != 0.0).map(|(h, m)| h * m).sum();
            let expected = cash + value;
            prop_assert!((expected - result.equity[step]).abs() <= 1e-6 * expected.abs().max(1.0),
                "step {step}: rebuilt {expected}, engine {}", result.equity[step]);
        }
    }
}
