//! [`RunSpec`]: what a run trades and how, as one typed value.
//!
//! A run file reads into it (with every problem reported at once, see
//! [`crate::spec_file`]), a command line lays its options over it, and
//! [`crate::prepare()`] turns it into a run. It is serde, so a sweep, the
//! dashboard or a stored session can keep and rebuild it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `[data]`: where the bars come from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataSpec {
    /// OHLCV CSV files, one symbol each (a run file's are relative to it).
    pub files: Vec<PathBuf>,
    /// The symbol of the single file in `files` (default: its name, upper-cased).
    pub symbol: Option<String>,
    /// A universe: `sample`, `us_liquid` or a name from `DATA/universes.toml`.
    pub universe: Option<String>,
    /// Only these symbols of the files or universe; alone, read from the
    /// local cache (else the bundled sample).
    pub symbols: Vec<String>,
    /// Trade from this date or date-time on; the strategies warm up on the
    /// bars before it where there are any.
    pub start: Option<String>,
    /// Trade up to this date (the whole day) or date-time (inclusive).
    pub end: Option<String>,
    /// Scale the files' prices by their `Adj Close` column (splits and dividends).
    pub adjust: bool,
}

impl DataSpec {
    /// True when the spec names any data (else the bundled GOOG sample is used).
    pub fn names_any(&self) -> bool {
        !self.files.is_empty() || self.universe.is_some() || !self.symbols.is_empty()
    }
}

/// `[execution]`: cash, costs, fill timing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecutionSpec {
    /// Starting cash [default: 10000].
    pub cash: Option<f64>,
    /// Commission as a fraction of traded value [default: 0].
    pub commission: Option<f64>,
    /// Fixed fee per order, in cash [default: 0].
    pub commission_fixed: Option<f64>,
    /// Slippage in basis points [default: 0].
    pub slippage_bps: Option<f64>,
    /// Fill market orders at the close of the deciding bar.
    pub trade_on_close: Option<bool>,
    /// Close open trades at the last bar.
    pub finalize_trades: Option<bool>,
    /// Allow fractional units.
    pub fractional: Option<bool>,
}

/// `[risk]`: limits, exits and sizing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RiskSpec {
    /// Every numeric setting given, by its key (one of [`RISK_NUMBERS`]).
    pub numbers: BTreeMap<String, f64>,
    /// `as-requested`, `units:N`, `fraction:F`, `vol-target:PCT` or `atr-risk:PCT,ATRS`.
    pub sizing: Option<String>,
    /// When the kill switch trips, close every position at once.
    pub flatten_on_halt: Option<bool>,
}

/// The numeric keys of `[risk]`.
pub const RISK_NUMBERS: [&str; 10] = [
    "max_position_pct",
    "max_gross_exposure_pct",
    "max_net_exposure_pct",
    "max_positions",
    "max_order_notional",
    "max_daily_loss_pct",
    "max_drawdown_pct",
    "stop_loss_pct",
    "take_profit_pct",
    "trailing_stop_pct",
];

/// `[allocation]`: how sleeves share the account.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AllocationSpec {
    /// `equal` (default), `fixed`, `inverse_vol`, `risk_parity`, `mean_variance` or `ml`.
    pub method: Option<String>,
    /// The strategy selector's model id, for `ml` (a `live` model of kind `selector`).
    pub model: Option<String>,
    /// Weights by sleeve name, for `fixed`.
    pub weights: BTreeMap<String, f64>,
    /// `monthly` (default) or `weekly`, for the estimated methods.
    pub rebalance: Option<String>,
    /// Returns used for the estimates, in bars [default: 60].
    pub lookback: Option<f64>,
    /// Risk aversion of `mean_variance` [default: 3].
    pub risk_aversion: Option<f64>,
    /// Largest weight of `mean_variance` [default: 1].
    pub max_weight: Option<f64>,
}

/// One `[[strategies]]` entry: a sleeve.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StrategyEntry {
    /// The strategy (`trend_breakout`).
    pub strategy: String,
    /// The sleeve's name (default: the strategy's).
    pub name: Option<String>,
    /// The symbols it trades (default: every symbol of the run).
    pub symbols: Vec<String>,
    /// Parameters as text, read by the strategy's schema.
    pub params: Vec<(String, String)>,
}

impl StrategyEntry {
    /// The sleeve's name: its own, else its strategy's.
    pub fn sleeve_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.strategy)
    }
}

/// `[output]`: what the run prints and writes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OutputSpec {
    /// `table` or `json`.
    pub format: Option<String>,
    /// Trade list CSV.
    pub trades_out: Option<PathBuf>,
    /// Equity curve CSV.
    pub equity_out: Option<PathBuf>,
}

/// `[notify]` of a run file: where and what `paper run` notifies. Never
/// serialized (so never stored with a run or a session): the webhook URLs
/// are secrets, and `Debug` shows only how many there are.
#[derive(Clone, Default, PartialEq)]
pub struct NotifySpec {
    /// Webhook URLs, each checked to be http(s).
    pub webhooks: Vec<String>,
    /// `slack`, `discord` or `json`.
    pub format: Option<String>,
    /// The kinds of event sent (none: all).
    pub events: Vec<String>,
    /// Seconds a stream stays disconnected before that is notified.
    pub disconnect_secs: Option<u64>,
}

impl std::fmt::Debug for NotifySpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifySpec")
            .field("webhooks", &format!("{} (redacted)", self.webhooks.len()))
            .field("format", &self.format)
            .field("events", &self.events)
            .field("disconnect_secs", &self.disconnect_secs)
            .finish()
    }
}

/// A whole run: data, strategies, execution, risk, allocation and output.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunSpec {
    /// Where the bars come from (the part shared by every variant of a sweep).
    pub data: DataSpec,
    /// Cash, costs and fill timing (shared).
    pub execution: ExecutionSpec,
    /// Limits, exits and sizing (shared).
    pub risk: RiskSpec,
    /// How the sleeves share the account.
    pub allocation: AllocationSpec,
    /// The sleeves (the per-run part); none means `demo_ma` with its defaults.
    pub strategies: Vec<StrategyEntry>,
    /// What is printed and written.
    pub output: OutputSpec,
    /// Notifications of a paper session (not part of what a run is).
    #[serde(skip)]
    pub notify: NotifySpec,
    /// Shadow models that follow the run (`[[shadow]]`, as `--shadow` texts:
    /// `MODEL[:name=value,...]`); they change nothing it trades.
    pub shadows: Vec<String>,
}
