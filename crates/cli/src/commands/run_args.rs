//! Options shared by commands that run backtests: money, costs, fill timing and risk.

use clap::Args;
use gt_runner::{ExecutionSpec, RiskSpec, RunError};

/// How a backtest is run: starting cash, costs, fill timing. Each option
/// also has a key in a run file's `[execution]`; the command line wins.
#[derive(Args, Debug, Default)]
pub struct ExecutionArgs {
    /// Starting cash [default: 10000].
    #[arg(long, allow_negative_numbers = true, value_name = "CASH")]
    cash: Option<f64>,

    /// Commission as a fraction of traded value per fill, e.g. 0.002 for 0.2 % [default: 0].
    #[arg(long, allow_negative_numbers = true, value_name = "FRACTION")]
    commission: Option<f64>,

    /// Fixed fee per order, in cash, on top of --commission [default: 0].
    #[arg(long, allow_negative_numbers = true, value_name = "CASH")]
    commission_fixed: Option<f64>,

    /// Slippage in basis points, against the trader on every fill [default: 0].
    #[arg(long, allow_negative_numbers = true, value_name = "BPS")]
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
    /// Lays the options given over `spec` (the run file's `[execution]`): the command line wins.
    pub fn overlay(&self, spec: &mut ExecutionSpec) {
        let flag = |cli: bool, file: Option<bool>| if cli { Some(true) } else { file };
        spec.cash = self.cash.or(spec.cash);
        spec.commission = self.commission.or(spec.commission);
        spec.commission_fixed = self.commission_fixed.or(spec.commission_fixed);
        spec.slippage_bps = self.slippage_bps.or(spec.slippage_bps);
        spec.trade_on_close = flag(self.trade_on_close, spec.trade_on_close);
        spec.finalize_trades = flag(self.finalize_trades, spec.finalize_trades);
        spec.fractional = flag(self.fractional, spec.fractional);
    }
}

/// The runner's complaint about a setting, naming the command-line option
/// it came from (a run file's values are checked, with their key paths, as
/// the file is read, so a bad setting left here is an option's).
pub fn as_option_error(error: RunError) -> anyhow::Error {
    match error {
        RunError::Setting { key, message, .. } => anyhow::anyhow!("--{} {message}", key.replace('_', "-")),
        other => other.into(),
    }
}

/// Parses a repeated `KEY=VALUE` option.
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim().to_owned(), value.trim().to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {text:?}")),
    }
}

/// Risk limits, sizing and protective exits, as command-line options.
#[derive(Args, Debug, Default)]
pub struct RiskArgs {
    /// Largest position in one symbol, in percent of equity (entries are resized to fit).
    #[arg(long, allow_negative_numbers = true, value_name = "PCT")]
    max_position_pct: Option<f64>,
    /// Largest gross exposure (sum of |position values|), in percent of equity.
    #[arg(long, allow_negative_numbers = true, value_name = "PCT")]
    max_gross_exposure_pct: Option<f64>,
    /// Largest net exposure (|sum of signed position values|), in percent of equity.
    #[arg(long, allow_negative_numbers = true, value_name = "PCT")]
    max_net_exposure_pct: Option<f64>,
    /// Most symbols with an open position at once.
    #[arg(long, value_name = "N")]
    max_positions: Option<usize>,
    /// Largest value of one order, in cash.
    #[arg(long, allow_negative_numbers = true, value_name = "CASH")]
    max_order_notional: Option<f64>,
    /// Loss since the start of the day that halts trading for good (kill switch), in percent.
    #[arg(long, allow_negative_numbers = true, value_name = "PCT")]
    max_daily_loss_pct: Option<f64>,
    /// Drawdown from the equity peak that halts trading for good (kill switch), in percent.
    #[arg(long, allow_negative_numbers = true, value_name = "PCT")]
    max_drawdown_pct: Option<f64>,
    /// When the kill switch trips, also close every position at that bar's close (otherwise only new
    /// entries are refused, and the strategies close their positions at their own pace).
    #[arg(long)]
    flatten_on_halt: bool,
    /// Stop-loss attached to every entry, in percent from the entry price.
    #[arg(long, allow_negative_numbers = true, value_name = "PCT")]
    stop_loss_pct: Option<f64>,
    /// Take-profit attached to every entry, in percent from the entry price.
    #[arg(long, allow_negative_numbers = true, value_name = "PCT")]
    take_profit_pct: Option<f64>,
    /// Trailing stop attached to every entry, in percent behind the best price since entry.
    #[arg(long, allow_negative_numbers = true, value_name = "PCT")]
    trailing_stop_pct: Option<f64>,
    /// Entry sizing: as the strategy asks (default), `units:N`, `fraction:F` of equity, `vol-target:PCT`
    /// (annualised volatility), or `atr-risk:PCT,ATRS` (lose PCT % of equity on an ATRS × ATR(14) move).
    #[arg(long, value_name = "MODEL", value_parser = |text: &str| {
        gt_runner::check::parse_sizing(text).map(|_| text.to_owned())
    })]
    sizing: Option<String>,
}

impl RiskArgs {
    /// Lays the options given over `spec` (the run file's `[risk]`): the command line wins.
    pub fn overlay(&self, spec: &mut RiskSpec) {
        let given = [
            ("max_position_pct", self.max_position_pct),
            ("max_gross_exposure_pct", self.max_gross_exposure_pct),
            ("max_net_exposure_pct", self.max_net_exposure_pct),
            ("max_positions", self.max_positions.map(|n| n as f64)),
            ("max_order_notional", self.max_order_notional),
            ("max_daily_loss_pct", self.max_daily_loss_pct),
            ("max_drawdown_pct", self.max_drawdown_pct),
            ("stop_loss_pct", self.stop_loss_pct),
            ("take_profit_pct", self.take_profit_pct),
            ("trailing_stop_pct", self.trailing_stop_pct),
        ];
        for (key, value) in given {
            if let Some(value) = value {
                spec.numbers.insert(key.to_owned(), value);
            }
        }
        if let Some(sizing) = &self.sizing {
            spec.sizing = Some(sizing.clone());
        }
        spec.flatten_on_halt = if self.flatten_on_halt { Some(true) } else { spec.flatten_on_halt };
    }
}
