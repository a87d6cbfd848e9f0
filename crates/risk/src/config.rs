//! Risk settings, validated once at the edge with every problem reported together.

/// Pre-trade limits and kill-switch thresholds; `None` disables a limit.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RiskLimits {
    /// Largest position in one symbol, in percent of equity (orders are resized to fit).
    pub max_position_pct: Option<f64>,
    /// Largest Σ |position value|, in percent of equity.
    pub max_gross_exposure_pct: Option<f64>,
    /// Largest |Σ signed position value|, in percent of equity.
    pub max_net_exposure_pct: Option<f64>,
    /// Most symbols with an open position at once.
    pub max_positions: Option<usize>,
    /// Largest value of a single order, in cash.
    pub max_order_notional: Option<f64>,
    /// Loss since the start of the (UTC) day that halts trading, in percent.
    pub max_daily_loss_pct: Option<f64>,
    /// Drawdown from the equity peak that halts trading, in percent.
    pub max_drawdown_pct: Option<f64>,
}

/// Exits attached to every entry as orders at the venue; `None` disables one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProtectiveExits {
    /// Stop-loss distance from the entry price, in percent.
    pub stop_loss_pct: Option<f64>,
    /// Take-profit distance from the entry price, in percent.
    pub take_profit_pct: Option<f64>,
    /// Trailing-stop distance behind the best price since entry, in percent.
    pub trailing_stop_pct: Option<f64>,
}

impl ProtectiveExits {
    /// True when at least one exit is configured.
    pub fn any(&self) -> bool {
        self.stop_loss_pct.is_some() || self.take_profit_pct.is_some() || self.trailing_stop_pct.is_some()
    }
}

/// How entry orders are sized.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Sizing {
    /// As the strategy asks.
    #[default]
    AsRequested,
    /// A fixed number of units per entry.
    FixedUnits(f64),
    /// A fixed fraction of equity per entry, in `(0, 1]`.
    FixedFraction(f64),
    /// A position whose annualised volatility is `target_pct` percent of equity,
    /// from the standard deviation of the symbol's last 20 one-bar returns (√252 a year).
    VolatilityTarget {
        /// Target annualised volatility contribution, in percent of equity.
        target_pct: f64,
    },
    /// A position that loses `risk_pct` percent of equity if the price moves
    /// `atr_multiple` × ATR(14) (Wilder) against it.
    AtrRisk {
        /// Equity at risk per entry, in percent.
        risk_pct: f64,
        /// The adverse move, in ATRs.
        atr_multiple: f64,
    },
}

/// Problems found in risk settings, all of them, each naming its field.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid risk settings: {}", .problems.join("; "))]
pub struct RiskConfigError {
    /// One line per bad field.
    pub problems: Vec<String>,
}

/// Validated risk settings: a `RiskConfig` that exists is a valid one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RiskConfig {
    limits: RiskLimits,
    exits: ProtectiveExits,
    sizing: Sizing,
}

impl RiskConfig {
    /// Checks every setting and reports every problem at once.
    pub fn new(limits: RiskLimits, exits: ProtectiveExits, sizing: Sizing) -> Result<Self, RiskConfigError> {
        let mut problems = Vec::new();
        let mut percent = |name: &str, value: Option<f64>, max: f64| {
            if let Some(v) = value
                && !(v > 0.0 && v <= max)
            {
                problems.push(format!("{name} = {v} must be > 0 and <= {max}"));
            }
        };
        percent("max_position_pct", limits.max_position_pct, 1_000.0);
        percent("max_gross_exposure_pct", limits.max_gross_exposure_pct, 1_000.0);
        percent("max_net_exposure_pct", limits.max_net_exposure_pct, 1_000.0);
        percent("max_daily_loss_pct", limits.max_daily_loss_pct, 100.0);
        percent("max_drawdown_pct", limits.max_drawdown_pct, 100.0);
        percent("stop_loss_pct", exits.stop_loss_pct, 99.0);
        percent("take_profit_pct", exits.take_profit_pct, 10_000.0);
        percent("trailing_stop_pct", exits.trailing_stop_pct, 99.0);
        match sizing {
            Sizing::FixedUnits(units) => {
                if !(units.is_finite() && units > 0.0) {
                    problems.push(format!("fixed units = {units} must be a finite number > 0"));
                }
            }
            Sizing::FixedFraction(fraction) => percent("fixed fraction", Some(fraction), 1.0),
            Sizing::VolatilityTarget { target_pct } => {
                percent("volatility target_pct", Some(target_pct), 1_000.0)
            }
            Sizing::AtrRisk { risk_pct, atr_multiple } => {
                percent("atr risk_pct", Some(risk_pct), 100.0);
                percent("atr multiple", Some(atr_multiple), 100.0);
            }
            Sizing::AsRequested => {}
        }
        if limits.max_positions == Some(0) {
            problems.push("max_positions = 0 must be at least 1".to_owned());
        }
        if let Some(notional) = limits.max_order_notional
            && !(notional > 0.0 && notional.is_finite())
        {
            problems.push(format!("max_order_notional = {notional} must be a positive amount"));
        }
        if problems.is_empty() {
            Ok(Self { limits, exits, sizing })
        } else {
            Err(RiskConfigError { problems })
        }
    }

    /// The limits.
    pub fn limits(&self) -> &RiskLimits {
        &self.limits
    }

    /// The protective exits.
    pub fn exits(&self) -> &ProtectiveExits {
        &self.exits
    }

    /// The sizing model.
    pub fn sizing(&self) -> Sizing {
        self.sizing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_reported_together() {
        let limits = RiskLimits {
            max_position_pct: Some(0.0),
            max_drawdown_pct: Some(150.0),
            max_positions: Some(0),
            ..RiskLimits::default()
        };
        let exits = ProtectiveExits { stop_loss_pct: Some(-1.0), ..ProtectiveExits::default() };
        let error = RiskConfig::new(limits, exits, Sizing::FixedFraction(2.0)).unwrap_err();
        assert_eq!(error.problems.len(), 5, "{error}");
        let text = error.to_string();
        for field in [
            "max_position_pct = 0",
            "max_drawdown_pct = 150",
            "stop_loss_pct = -1",
            "fixed fraction = 2",
            "max_positions = 0",
        ] {
            assert!(text.contains(field), "{field} in {text}");
        }
    }

    #[test]
    fn bad_fixed_units_are_named_without_an_absurd_bound() {
        for units in [-5.0, 0.0, f64::INFINITY, f64::NAN] {
            let error =
                RiskConfig::new(RiskLimits::default(), ProtectiveExits::default(), Sizing::FixedUnits(units))
                    .unwrap_err()
                    .to_string();
            assert!(error.contains(&format!("fixed units = {units} must be a finite number > 0")), "{error}");
            assert!(error.len() < 100, "{error}");
        }
    }

    #[test]
    fn defaults_are_valid_and_disable_everything() {
        let config =
            RiskConfig::new(RiskLimits::default(), ProtectiveExits::default(), Sizing::AsRequested).unwrap();
        assert!(!config.exits().any());
        assert_eq!(config.limits().max_positions, None);
    }
}
