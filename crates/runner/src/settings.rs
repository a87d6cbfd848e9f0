//! The engine, exchange and risk settings a [`RunSpec`](crate::RunSpec)'s
//! shared part describes, validated.

use crate::RunError;
use crate::check::parse_sizing;
use crate::spec::{ExecutionSpec, RiskSpec};
use gt_engine::{AllocationPlan, EngineConfig, OnRuin};
use gt_execution::{CostModel, ExchangeConfig};
use gt_risk::{ProtectiveExits, RiskConfig, RiskLimits, Sizing};

/// Starting cash when none is given.
const DEFAULT_CASH: f64 = 10_000.0;

impl ExecutionSpec {
    /// True when the run closes its open trades at the last bar.
    pub fn finalizes(&self) -> bool {
        self.finalize_trades.unwrap_or(false)
    }

    /// The validated engine and exchange settings (defaults where unset).
    pub fn configs(&self) -> Result<(EngineConfig, ExchangeConfig), RunError> {
        let cash = self.cash.unwrap_or(DEFAULT_CASH);
        if !(cash.is_finite() && cash > 0.0) {
            return Err(RunError::Setting {
                section: "execution",
                key: "cash",
                message: format!("must be a positive amount, got {cash}"),
            });
        }
        let costs = CostModel::new(
            self.commission.unwrap_or(0.0),
            self.commission_fixed.unwrap_or(0.0),
            self.slippage_bps.unwrap_or(0.0),
        )?;
        Ok((
            EngineConfig {
                initial_cash: cash,
                finalize_trades: self.finalizes(),
                keep_order_log: false,
                allocation: AllocationPlan::Static,
                on_ruin: OnRuin::Liquidate,
                flatten_on_halt: false,
            },
            ExchangeConfig {
                costs,
                trade_on_close: self.trade_on_close.unwrap_or(false),
                fractional_units: self.fractional.unwrap_or(false),
            },
        ))
    }
}

impl RiskSpec {
    /// The limits and exits these numbers set, with `max_positions` read apart.
    pub(crate) fn limits_and_exits(&self, max_positions: Option<usize>) -> (RiskLimits, ProtectiveExits) {
        let number = |key: &str| self.numbers.get(key).copied();
        let limits = RiskLimits {
            max_position_pct: number("max_position_pct"),
            max_gross_exposure_pct: number("max_gross_exposure_pct"),
            max_net_exposure_pct: number("max_net_exposure_pct"),
            max_positions,
            max_order_notional: number("max_order_notional"),
            max_daily_loss_pct: number("max_daily_loss_pct"),
            max_drawdown_pct: number("max_drawdown_pct"),
        };
        let exits = ProtectiveExits {
            stop_loss_pct: number("stop_loss_pct"),
            take_profit_pct: number("take_profit_pct"),
            trailing_stop_pct: number("trailing_stop_pct"),
        };
        (limits, exits)
    }

    /// The validated risk settings; every bad value is reported at once.
    pub fn config(&self) -> Result<RiskConfig, RunError> {
        let max_positions = match self.numbers.get("max_positions").copied() {
            Some(n) if n >= 1.0 && n.fract() == 0.0 => Some(n as usize),
            Some(n) => {
                return Err(RunError::Setting {
                    section: "risk",
                    key: "max_positions",
                    message: format!("= {n} must be a whole number >= 1"),
                });
            }
            None => None,
        };
        let (limits, exits) = self.limits_and_exits(max_positions);
        let sizing = match &self.sizing {
            Some(text) => parse_sizing(text).map_err(|message| RunError::Setting {
                section: "risk",
                key: "sizing",
                message: format!("is invalid: {message}"),
            })?,
            None => Sizing::AsRequested,
        };
        Ok(RiskConfig::new(limits, exits, sizing)?)
    }
}
