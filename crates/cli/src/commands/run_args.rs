//! Options shared by commands that run backtests: money, costs, fill timing and risk.

use crate::run_config::{ExecutionSection, RiskSection};
use anyhow::{Result, bail};
use clap::Args;
use gt_analytics::{Stats, StatsInput, compute_stats, equal_weight_index};
use gt_engine::{AllocationPlan, BacktestResult, EngineConfig, OnRuin};
use gt_execution::{CostModel, ExchangeConfig};
use gt_model::{BarSeries, TimeFormat};
use gt_risk::{ProtectiveExits, RiskConfig, RiskLimits, Sizing};

/// How a backtest is run: starting cash, costs, fill timing. Each option
/// also has a key in a run file's `[execution]`; the command line wins.
#[derive(Args, Debug, Default)]
pub struct ExecutionArgs {
    /// Starting cash [default: 10000].
    #[arg(long, value_name = "CASH")]
    cash: Option<f64>,

    /// Commission as a fraction of traded value per fill, e.g. 0.002 for 0.2 % [default: 0].
    #[arg(long, value_name = "FRACTION")]
    commission: Option<f64>,

    /// Fixed fee per order, in cash, on top of --commission [default: 0].
    #[arg(long, value_name = "CASH")]
    commission_fixed: Option<f64>,

    /// Slippage in basis points, against the trader on every fill [default: 0].
    #[arg(long, value_name = "BPS")]
    slippage_bps: Option<f64>,

    /// Fill market orders at the close of the bar they are decided on.
    #[arg(long)]
    trade_on_close: bool,

    /// Close open trades at the last bar so they count in the statistics.
    #[arg(long)]
    finalize_trades: bool,

    /// Allow fractional units (whole units by default).
    #[arg(long)]
    fractional: bool,
}

impl ExecutionArgs {
    /// True when --finalize-trades (or the run file's `finalize_trades`) asks to close positions at the end.
    pub fn finalize_trades_asked(&self, file: &ExecutionSection) -> bool {
        self.finalize_trades || file.finalize_trades.unwrap_or(false)
    }

    /// The validated engine and exchange settings: the command line, else the run file, else the defaults.
    pub fn configs(&self, file: &ExecutionSection) -> Result<(EngineConfig, ExchangeConfig)> {
        let cash = self.cash.or(file.cash).unwrap_or(10_000.0);
        if !(cash.is_finite() && cash > 0.0) {
            bail!("--cash must be a positive amount, got {cash}");
        }
        let costs = CostModel::new(
            self.commission.or(file.commission).unwrap_or(0.0),
            self.commission_fixed.or(file.commission_fixed).unwrap_or(0.0),
            self.slippage_bps.or(file.slippage_bps).unwrap_or(0.0),
        )?;
        let flag = |cli: bool, file: Option<bool>| cli || file.unwrap_or(false);
        Ok((
            EngineConfig {
                initial_cash: cash,
                finalize_trades: flag(self.finalize_trades, file.finalize_trades),
                keep_order_log: false,
                allocation: AllocationPlan::Static,
                on_ruin: OnRuin::Liquidate,
            },
            ExchangeConfig {
                costs,
                trade_on_close: flag(self.trade_on_close, file.trade_on_close),
                fractional_units: flag(self.fractional, file.fractional),
            },
        ))
    }
}

/// Parses a repeated `KEY=VALUE` option.
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.trim().to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

/// Dates for daily data, date-times otherwise, across all `series`.
pub fn time_format_of(series: &[BarSeries]) -> TimeFormat {
    if series.iter().all(|s| s.time_format() == TimeFormat::Date) {
        TimeFormat::Date
    } else {
        TimeFormat::DateTime
    }
}

/// The statistics of `result`, a run over `series`; buy & hold is their equal-weight index.
pub fn stats_of(series: &[BarSeries], result: &BacktestResult) -> Stats {
    compute_stats(&StatsInput {
        timestamps: &result.timeline,
        equity: &result.equity,
        closes: &equal_weight_index(series, &result.timeline),
        trades: &result.trades,
        first_trading_bar: result.warmup_bars,
        time_format: time_format_of(series),
    })
}

/// Risk limits, sizing and protective exits, as command-line options.
#[derive(Args, Debug, Default)]
pub struct RiskArgs {
    /// Largest position in one symbol, in percent of equity (entries are resized to fit).
    #[arg(long, value_name = "PCT")]
    max_position_pct: Option<f64>,
    /// Largest gross exposure (sum of |position values|), in percent of equity.
    #[arg(long, value_name = "PCT")]
    max_gross_exposure_pct: Option<f64>,
    /// Largest net exposure (|sum of signed position values|), in percent of equity.
    #[arg(long, value_name = "PCT")]
    max_net_exposure_pct: Option<f64>,
    /// Most symbols with an open position at once.
    #[arg(long, value_name = "N")]
    max_positions: Option<usize>,
    /// Largest value of one order, in cash.
    #[arg(long, value_name = "CASH")]
    max_order_notional: Option<f64>,
    /// Loss since the start of the day that halts trading for good (kill switch), in percent.
    #[arg(long, value_name = "PCT")]
    max_daily_loss_pct: Option<f64>,
    /// Drawdown from the equity peak that halts trading for good (kill switch), in percent.
    #[arg(long, value_name = "PCT")]
    max_drawdown_pct: Option<f64>,
    /// Stop-loss attached to every entry, in percent from the entry price.
    #[arg(long, value_name = "PCT")]
    stop_loss_pct: Option<f64>,
    /// Take-profit attached to every entry, in percent from the entry price.
    #[arg(long, value_name = "PCT")]
    take_profit_pct: Option<f64>,
    /// Trailing stop attached to every entry, in percent behind the best price since entry.
    #[arg(long, value_name = "PCT")]
    trailing_stop_pct: Option<f64>,
    /// Entry sizing: as the strategy asks (default), `units:N`, `fraction:F` of equity, `vol-target:PCT`
    /// (annualised volatility), or `atr-risk:PCT,ATRS` (lose PCT % of equity on an ATRS × ATR(14) move).
    #[arg(long, value_name = "MODEL", value_parser = crate::run_check::parse_sizing)]
    sizing: Option<Sizing>,
}

impl RiskArgs {
    /// The validated risk settings: each option from the command line, else the
    /// run file's `[risk]`; every bad value is reported at once.
    pub fn config(&self, file: &RiskSection) -> Result<RiskConfig> {
        let pick = |cli: Option<f64>, key: &str| cli.or_else(|| file.numbers.get(key).copied());
        let max_positions = match (self.max_positions, file.numbers.get("max_positions")) {
            (Some(n), _) => Some(n),
            (None, Some(&n)) if n >= 1.0 && n.fract() == 0.0 => Some(n as usize),
            (None, Some(&n)) => bail!("risk.max_positions = {n} must be a whole number >= 1"),
            (None, None) => None,
        };
        let limits = RiskLimits {
            max_position_pct: pick(self.max_position_pct, "max_position_pct"),
            max_gross_exposure_pct: pick(self.max_gross_exposure_pct, "max_gross_exposure_pct"),
            max_net_exposure_pct: pick(self.max_net_exposure_pct, "max_net_exposure_pct"),
            max_positions,
            max_order_notional: pick(self.max_order_notional, "max_order_notional"),
            max_daily_loss_pct: pick(self.max_daily_loss_pct, "max_daily_loss_pct"),
            max_drawdown_pct: pick(self.max_drawdown_pct, "max_drawdown_pct"),
        };
        let exits = ProtectiveExits {
            stop_loss_pct: pick(self.stop_loss_pct, "stop_loss_pct"),
            take_profit_pct: pick(self.take_profit_pct, "take_profit_pct"),
            trailing_stop_pct: pick(self.trailing_stop_pct, "trailing_stop_pct"),
        };
        let sizing = match (self.sizing, &file.sizing) {
            (Some(sizing), _) => sizing,
            (None, Some(text)) => {
                crate::run_check::parse_sizing(text).map_err(|e| anyhow::anyhow!("risk.sizing: {e}"))?
            }
            (None, None) => Sizing::AsRequested,
        };
        Ok(RiskConfig::new(limits, exits, sizing)?)
    }
}
