//! Options shared by commands that run backtests: money, costs and fill timing.

use anyhow::{Result, bail};
use clap::Args;
use gt_analytics::{Stats, StatsInput, compute_stats, equal_weight_index};
use gt_engine::{BacktestResult, EngineConfig};
use gt_execution::{CostModel, ExchangeConfig};
use gt_model::{BarSeries, TimeFormat};
use gt_risk::{ProtectiveExits, RiskConfig, RiskLimits, Sizing};

/// How a backtest is run: starting cash, costs, fill timing.
#[derive(Args, Debug)]
pub struct ExecutionArgs {
    /// Starting cash.
    #[arg(long, default_value_t = 10_000.0)]
    cash: f64,

    /// Commission as a fraction of traded value per fill (0.002 = 0.2 %).
    #[arg(long, default_value_t = 0.0)]
    commission: f64,

    /// Fixed fee per order, in cash, on top of --commission.
    #[arg(long, default_value_t = 0.0, value_name = "CASH")]
    commission_fixed: f64,

    /// Slippage in basis points, against the trader on every fill.
    #[arg(long, default_value_t = 0.0, value_name = "BPS")]
    slippage_bps: f64,

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
    /// The validated engine and exchange settings.
    pub fn configs(&self) -> Result<(EngineConfig, ExchangeConfig)> {
        if !(self.cash.is_finite() && self.cash > 0.0) {
            bail!("--cash must be a positive amount, got {}", self.cash);
        }
        let costs = CostModel::new(self.commission, self.commission_fixed, self.slippage_bps)?;
        Ok((
            EngineConfig {
                initial_cash: self.cash,
                finalize_trades: self.finalize_trades,
                keep_order_log: false,
            },
            ExchangeConfig { costs, trade_on_close: self.trade_on_close, fractional_units: self.fractional },
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
    /// Entry sizing: as the strategy asks (default), `units:N`, `fraction:F` of equity, or `vol-target:PCT`.
    #[arg(long, value_name = "MODEL", value_parser = parse_sizing)]
    sizing: Option<Sizing>,
}

fn parse_sizing(text: &str) -> Result<Sizing, String> {
    let number = |v: &str| v.trim().parse::<f64>().map_err(|_| format!("{v:?} is not a number"));
    match text.split_once(':') {
        Some(("units", n)) => Ok(Sizing::FixedUnits(number(n)?)),
        Some(("fraction", f)) => Ok(Sizing::FixedFraction(number(f)?)),
        Some(("vol-target", pct)) => Ok(Sizing::VolatilityTarget { target_pct: number(pct)? }),
        _ if text == "as-requested" => Ok(Sizing::AsRequested),
        _ => Err(format!("expected as-requested, units:N, fraction:F or vol-target:PCT, got {text:?}")),
    }
}

impl RiskArgs {
    /// The validated risk settings (every bad value reported at once).
    pub fn config(&self) -> Result<RiskConfig> {
        let limits = RiskLimits {
            max_position_pct: self.max_position_pct,
            max_gross_exposure_pct: self.max_gross_exposure_pct,
            max_net_exposure_pct: self.max_net_exposure_pct,
            max_positions: self.max_positions,
            max_order_notional: self.max_order_notional,
            max_daily_loss_pct: self.max_daily_loss_pct,
            max_drawdown_pct: self.max_drawdown_pct,
        };
        let exits = ProtectiveExits {
            stop_loss_pct: self.stop_loss_pct,
            take_profit_pct: self.take_profit_pct,
            trailing_stop_pct: self.trailing_stop_pct,
        };
        Ok(RiskConfig::new(limits, exits, self.sizing.unwrap_or_default())?)
    }
}
