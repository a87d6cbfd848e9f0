/// Trading costs of the simulated exchange.
///
/// Commission is `fixed_per_order` (charged on an order's first fill) plus
/// `rate × traded value` on every fill; slippage moves every fill price
/// against the trader by `slippage_bps` basis points.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct CostModel {
    rate: f64,
    fixed_per_order: f64,
    slippage_bps: f64,
}

/// A cost setting outside its valid range.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CostConfigError {
    /// Commission rate outside `[0, 0.1)`.
    #[error("commission {0} is outside [0, 0.1): give a fraction of traded value, e.g. 0.002 for 0.2 %")]
    Rate(f64),
    /// Negative or non-finite fixed fee.
    #[error("fixed commission {0} must be a finite amount >= 0")]
    Fixed(f64),
    /// Negative or non-finite slippage.
    #[error("slippage {0} bps must be finite and between 0 and 10000")]
    Slippage(f64),
}

impl CostModel {
    /// Validated costs: `rate` in `[0, 0.1)`, fixed fee ≥ 0, slippage in `[0, 10000]` bps.
    pub fn new(rate: f64, fixed_per_order: f64, slippage_bps: f64) -> Result<Self, CostConfigError> {
        if !(0.0..0.1).contains(&rate) {
            return Err(CostConfigError::Rate(rate));
        }
        if !fixed_per_order.is_finite() || fixed_per_order < 0.0 {
            return Err(CostConfigError::Fixed(fixed_per_order));
        }
        if !(0.0..=10_000.0).contains(&slippage_bps) {
            return Err(CostConfigError::Slippage(slippage_bps));
        }
        Ok(Self { rate, fixed_per_order, slippage_bps })
    }

    /// Commission for trading `units` at `price`; `first_fill` adds the fixed fee.
    #[inline]
    pub fn commission(&self, units: f64, price: f64, first_fill: bool) -> f64 {
        let fixed = if first_fill { self.fixed_per_order } else { 0.0 };
        fixed + units * price * self.rate
    }

    /// The price actually paid (`sign` +1) or received (`sign` −1) for a quote of `price`.
    #[inline]
    pub fn execution_price(&self, price: f64, sign: f64) -> f64 {
        if self.slippage_bps == 0.0 { price } else { price * (1.0 + sign * self.slippage_bps / 10_000.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commission_is_rate_times_value_plus_fixed_on_first_fill() {
        let costs = CostModel::new(0.002, 1.5, 0.0).unwrap();
        assert_eq!(costs.commission(10.0, 100.0, true), 1.5 + 2.0);
        assert_eq!(costs.commission(10.0, 100.0, false), 2.0);
    }

    #[test]
    fn slippage_moves_price_against_the_trader() {
        let costs = CostModel::new(0.0, 0.0, 10.0).unwrap();
        assert!((costs.execution_price(100.0, 1.0) - 100.1).abs() < 1e-12);
        assert!((costs.execution_price(100.0, -1.0) - 99.9).abs() < 1e-12);
    }

    #[test]
    fn out_of_range_costs_are_refused() {
        assert_eq!(CostModel::new(0.2, 0.0, 0.0), Err(CostConfigError::Rate(0.2)));
        assert_eq!(CostModel::new(-0.01, 0.0, 0.0), Err(CostConfigError::Rate(-0.01)));
        assert_eq!(CostModel::new(0.0, -1.0, 0.0), Err(CostConfigError::Fixed(-1.0)));
        assert!(CostModel::new(0.0, 0.0, f64::NAN).is_err());
    }
}
