//! Risk limits hold through reversals: a strategy that closes and enters the
//! other way on one bar (sometimes twice over) never holds more than its
//! limits allow, whatever the limits and the prices.

use gt_data::synthetic::random_walk;
use gt_engine::{EngineConfig, Sleeve, backtest_portfolio};
use gt_execution::ExchangeConfig;
use gt_model::{Quantity, Side, StrategyId, Symbol};
use gt_risk::{ProtectiveExits, RiskConfig, RiskEngine, RiskLimits, Sizing};
use gt_strategy::{Strategy, StrategyContext};
use proptest::prelude::*;

/// Reverses at random: closes what it holds and enters the other way with a
/// random size (units or a fraction of equity), sometimes adding a second entry.
struct Reverser {
    state: u64,
}

impl Reverser {
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.state >> 33
    }

    fn size(&mut self) -> Quantity {
        match self.next() % 3 {
            0 => Quantity::Units((1 + self.next() % 200) as f64),
            1 => Quantity::EquityFraction((1 + self.next() % 100) as f64 / 100.0),
            _ => Quantity::ALL_EQUITY,
        }
    }
}

impl Strategy for Reverser {
    fn warmup_bars(&self) -> usize {
        0
    }

    fn on_bar(&mut self, ctx: &mut StrategyContext<'_>) {
        if !self.next().is_multiple_of(4) {
            return;
        }
        let side = match ctx.position() {
            held if held > 0.0 => Side::Sell,
            held if held < 0.0 => Side::Buy,
            _ if self.next().is_multiple_of(2) => Side::Buy,
            _ => Side::Sell,
        };
        ctx.close_position();
        let entries = 1 + self.next() % 2;
        for _ in 0..entries {
            let size = self.size();
            match side {
                Side::Buy => ctx.buy(size),
                Side::Sell => ctx.sell(size),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_fill_leaves_a_position_above_its_caps(
        seed in 1u64..10_000,
        cap_pct in 5.0f64..60.0,
        gross_pct in 5.0f64..150.0,
        fractional in any::<bool>(),
    ) {
        let series = random_walk(Symbol::new("SYN"), 400, seed);
        let limits = RiskLimits {
            max_position_pct: Some(cap_pct),
            max_gross_exposure_pct: Some(gross_pct),
            ..RiskLimits::default()
        };
        let config = RiskConfig::new(limits, ProtectiveExits::default(), Sizing::AsRequested).unwrap();
        let mut risk = RiskEngine::new(config, fractional);
        let mut sleeves = [Sleeve {
            name: StrategyId::new("reverser"),
            weight: 1.0,
            members: vec![(0, Box::new(Reverser { state: seed }) as Box<dyn Strategy>)],
        }];
        let exchange = ExchangeConfig { fractional_units: fractional, ..ExchangeConfig::default() };
        let result =
            backtest_portfolio(std::slice::from_ref(&series), &mut sleeves, &mut risk, EngineConfig::with_cash(100_000.0), exchange);
        prop_assert!(result.orders.len() > 10, "the strategy traded");
        // Each fill, measured at the close its order was decided on (so the
        // next bar's move is not counted), against the equity then.
        let limit_pct = cap_pct.min(gross_pct);
        let mut held = 0.0;
        for fill in &result.fills {
            held += fill.signed_quantity();
            let Some(order) = result.orders.iter().find(|o| o.id == fill.order_id) else { continue };
            let decided = order.decided_bar;
            let value = held.abs() * series.closes()[decided];
            let allowed = limit_pct / 100.0 * result.equity[decided];
            prop_assert!(
                value <= allowed * (1.0 + 1e-9) + 1e-6,
                "bar {}: holding {held} worth {value:.2} > {limit_pct:.1} % of {:.2}",
                fill.bar_index,
                result.equity[decided]
            );
        }
    }
}
