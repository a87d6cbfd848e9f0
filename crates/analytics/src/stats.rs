//! The statistics table.

use crate::drawdown::{drawdown_fractions, drawdown_periods};
use crate::numeric::{geometric_mean, max, mean, min, nonzero_or_nan, sample_covariance, sample_variance};
use crate::periods::{annualization, bar_period_nanos, bucket_returns, ceil_days, resolution_nanos};
use gt_model::{TimeFormat, Timestamp, Trade};
use serde::{Serialize, Serializer};

/// What the statistics are computed from.
pub struct StatsInput<'a> {
    /// Bar times.
    pub timestamps: &'a [Timestamp],
    /// Equity after each bar.
    pub equity: &'a [f64],
    /// Bar closes (the market, for buy & hold, alpha and beta).
    pub closes: &'a [f64],
    /// Closed trades.
    pub trades: &'a [Trade],
    /// Bars the strategy warmed up for; buy & hold starts at this bar.
    pub first_trading_bar: usize,
    /// How to write the start and end times.
    pub time_format: TimeFormat,
}

/// Writes non-finite numbers as JSON `null`.
fn finite_or_null<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_finite() { serializer.serialize_f64(*value) } else { serializer.serialize_none() }
}

macro_rules! stats_struct {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// Backtest statistics, with backtesting.py 0.6.6's definitions. Percentages
        /// are in percent, durations in days (rounded up to the bar resolution, as
        /// backtesting.py rounds them); undefined values are NaN (`null` in JSON).
        #[derive(Clone, Debug, Serialize)]
        pub struct Stats {
            /// First bar's time.
            pub start: String,
            /// Last bar's time.
            pub end: String,
            $($(#[$doc])* #[serde(serialize_with = "finite_or_null")] pub $name: f64,)*
            /// Number of closed trades.
            pub trades: usize,
        }

        impl Stats {
            /// Every numeric statistic with its JSON name, in report order (`trades` included).
            pub fn numbers(&self) -> Vec<(&'static str, f64)> {
                let mut out = vec![$((stringify!($name), self.$name)),*];
                let at = out.iter().position(|(n, _)| *n == "win_rate_pct").unwrap_or(out.len());
                out.insert(at, ("trades", self.trades as f64));
                out
            }

            /// The JSON names of [`Stats::numbers`], in the same order.
            pub fn keys() -> Vec<&'static str> {
                let mut out = vec![$(stringify!($name)),*];
                let at = out.iter().position(|n| *n == "win_rate_pct").unwrap_or(out.len());
                out.insert(at, "trades");
                out
            }
        }
    };
}

stats_struct! {
    /// Calendar days from the first to the last bar.
    duration_days,
    /// Share of bars with an open trade.
    exposure_time_pct,
    /// Equity after the last bar.
    equity_final,
    /// Highest equity.
    equity_peak,
    /// Commissions of the closed trades.
    commissions,
    /// Total return.
    return_pct,
    /// Return of holding the instrument from the first trading bar to the end.
    buy_hold_return_pct,
    /// Geometric mean periodic return, compounded over a year.
    return_ann_pct,
    /// Annualised volatility of periodic returns (backtesting.py's compounding formula).
    volatility_ann_pct,
    /// Compound annual growth rate over calendar time.
    cagr_pct,
    /// Annual return over annual volatility (risk-free rate 0).
    sharpe_ratio,
    /// Annual return over annualised downside deviation.
    sortino_ratio,
    /// Annual return over maximum drawdown.
    calmar_ratio,
    /// Jensen's alpha against the instrument.
    alpha_pct,
    /// Beta of equity log returns against the instrument's.
    beta,
    /// Deepest drawdown (negative).
    max_drawdown_pct,
    /// Mean depth of drawdown periods (negative).
    avg_drawdown_pct,
    /// Longest drawdown period.
    max_drawdown_duration_days,
    /// Mean drawdown period.
    avg_drawdown_duration_days,
    /// Share of trades with positive profit.
    win_rate_pct,
    /// Best trade return.
    best_trade_pct,
    /// Worst trade return.
    worst_trade_pct,
    /// Geometric mean trade return.
    avg_trade_pct,
    /// Longest trade.
    max_trade_duration_days,
    /// Mean trade duration.
    avg_trade_duration_days,
    /// Sum of winning returns over the absolute sum of losing returns.
    profit_factor,
    /// Mean trade return.
    expectancy_pct,
    /// System quality number: √n × mean profit / standard deviation of profit.
    sqn,
    /// Kelly fraction from win rate and mean win/loss.
    kelly_criterion,
}

/// The label backtesting.py prints for the statistic named `key`, with its
/// unit (`Return [%]`); `?` for a name that is not a statistic.
pub fn label(key: &str) -> &'static str {
    match key {
        "start" => "Start",
        "end" => "End",
        "duration_days" => "Duration [days]",
        "exposure_time_pct" => "Exposure Time [%]",
        "equity_final" => "Equity Final [$]",
        "equity_peak" => "Equity Peak [$]",
        "commissions" => "Commissions [$]",
        "return_pct" => "Return [%]",
        "buy_hold_return_pct" => "Buy & Hold Return [%]",
        "return_ann_pct" => "Return (Ann.) [%]",
        "volatility_ann_pct" => "Volatility (Ann.) [%]",
        "cagr_pct" => "CAGR [%]",
        "sharpe_ratio" => "Sharpe Ratio",
        "sortino_ratio" => "Sortino Ratio",
        "calmar_ratio" => "Calmar Ratio",
        "alpha_pct" => "Alpha [%]",
        "beta" => "Beta",
        "max_drawdown_pct" => "Max. Drawdown [%]",
        "avg_drawdown_pct" => "Avg. Drawdown [%]",
        "max_drawdown_duration_days" => "Max. Drawdown Duration [days]",
        "avg_drawdown_duration_days" => "Avg. Drawdown Duration [days]",
        "trades" => "# Trades",
        "win_rate_pct" => "Win Rate [%]",
        "best_trade_pct" => "Best Trade [%]",
        "worst_trade_pct" => "Worst Trade [%]",
        "avg_trade_pct" => "Avg. Trade [%]",
        "max_trade_duration_days" => "Max. Trade Duration [days]",
        "avg_trade_duration_days" => "Avg. Trade Duration [days]",
        "profit_factor" => "Profit Factor",
        "expectancy_pct" => "Expectancy [%]",
        "sqn" => "SQN",
        "kelly_criterion" => "Kelly Criterion",
        _ => "?",
    }
}

/// Computes every statistic of a run.
pub fn compute_stats(input: &StatsInput<'_>) -> Stats {
    let StatsInput { timestamps, equity, closes, trades, first_trading_bar, time_format } = *input;
    let n = equity.len();
    let (first_ts, last_ts) = match (timestamps.first(), timestamps.last()) {
        (Some(first), Some(last)) => (*first, *last),
        _ => (Timestamp::default(), Timestamp::default()),
    };
    let first_equity = equity.first().copied().unwrap_or(f64::NAN);
    let final_equity = equity.last().copied().unwrap_or(f64::NAN);
    let period = bar_period_nanos(timestamps).unwrap_or(86_400_000_000_000);
    let resolution = resolution_nanos(period);

    // Drawdowns.
    let drawdowns = drawdown_fractions(equity);
    let periods = drawdown_periods(&drawdowns, timestamps);
    let (depths, lengths): (Vec<f64>, Vec<f64>) = if periods.is_empty() {
        (drawdowns.iter().copied().filter(|d| *d != 0.0).collect(), Vec::new())
    } else {
        periods.iter().map(|p| (p.depth, p.duration_days)).unzip()
    };
    let max_drawdown = {
        let m = max(&drawdowns);
        if m.is_nan() { 0.0 } else { m }
    };

    let buy_hold_pct =
        crate::benchmark::return_pct_from(closes, first_trading_bar.min(closes.len().saturating_sub(1)));

    // Annualised return and risk from periodic (usually daily) returns.
    let (periods_per_year, bucket) = annualization(timestamps, period);
    let period_returns = bucket_returns(timestamps, equity, bucket);
    let downside: Vec<f64> = period_returns.iter().map(|r| r.min(0.0).powi(2)).collect();
    let annual = Annualised::new(
        geometric_mean(&period_returns),
        sample_variance(&period_returns),
        mean(&downside),
        periods_per_year,
    );

    let log_returns = |series: &[f64]| series.windows(2).map(|w| (w[1] / w[0]).ln()).collect::<Vec<_>>();
    let (equity_logs, market_logs) = (log_returns(equity), log_returns(closes));
    let beta = if equity_logs.len() > 1 {
        sample_covariance(&equity_logs, &market_logs) / sample_variance(&market_logs)
    } else {
        f64::NAN
    };

    Measures {
        first: (first_ts, first_equity),
        last: (last_ts, final_equity),
        steps: n,
        equity_peak: max(equity),
        max_drawdown,
        drawdown_depth_mean: mean(&depths),
        longest_drawdown_days: max(&lengths),
        mean_drawdown_days: mean(&lengths),
        buy_hold_pct,
        beta,
        annual,
        trades,
        resolution,
        time_format,
    }
    .stats()
}

/// What the statistics are made of, however it was measured: from the whole
/// equity curve at once ([`compute_stats`]) or folded in step by step
/// ([`crate::EquitySummary`]). The one place the statistics are assembled.
pub(crate) struct Measures<'a> {
    /// First step's time and equity.
    pub first: (Timestamp, f64),
    /// Last step's time and equity.
    pub last: (Timestamp, f64),
    /// Steps in the run.
    pub steps: usize,
    /// Highest equity.
    pub equity_peak: f64,
    /// Deepest drawdown, as a fraction (0 when undefined).
    pub max_drawdown: f64,
    /// Mean depth of the drawdown periods (of every drawdown point without any), as a fraction.
    pub drawdown_depth_mean: f64,
    /// Longest drawdown period, in days (NaN without any).
    pub longest_drawdown_days: f64,
    /// Mean drawdown period, in days (NaN without any).
    pub mean_drawdown_days: f64,
    /// Buy & hold return, in percent.
    pub buy_hold_pct: f64,
    /// Beta of equity log returns against the market's.
    pub beta: f64,
    /// Annual return and risk.
    pub annual: Annualised,
    /// Closed trades.
    pub trades: &'a [Trade],
    /// Resolution durations are rounded up to (ns).
    pub resolution: i64,
    /// How the start and end are written.
    pub time_format: TimeFormat,
}

impl Measures<'_> {
    /// The statistics, with backtesting.py's definitions.
    pub fn stats(self) -> Stats {
        let Measures {
            first: (first_ts, first_equity), last: (last_ts, final_equity), annual, trades, ..
        } = self;
        let return_pct = (final_equity - first_equity) / first_equity * 100.0;
        let figures = TradeFigures::of(trades, self.resolution);
        Stats {
            start: first_ts.display(self.time_format).to_string(),
            end: last_ts.display(self.time_format).to_string(),
            duration_days: last_ts.days_since(first_ts),
            exposure_time_pct: exposure_fraction(trades, self.steps) * 100.0,
            equity_final: final_equity,
            equity_peak: self.equity_peak,
            commissions: trades.iter().map(|t| t.commission).sum(),
            return_pct,
            buy_hold_return_pct: self.buy_hold_pct,
            return_ann_pct: annual.return_ * 100.0,
            volatility_ann_pct: annual.volatility * 100.0,
            cagr_pct: cagr(first_ts, last_ts, first_equity, final_equity) * 100.0,
            sharpe_ratio: annual.sharpe(),
            sortino_ratio: annual.sortino,
            calmar_ratio: annual.return_ / nonzero_or_nan(self.max_drawdown),
            alpha_pct: return_pct - self.beta * self.buy_hold_pct,
            beta: self.beta,
            max_drawdown_pct: -self.max_drawdown * 100.0,
            avg_drawdown_pct: -self.drawdown_depth_mean * 100.0,
            max_drawdown_duration_days: ceil_days(self.longest_drawdown_days, self.resolution),
            avg_drawdown_duration_days: ceil_days(self.mean_drawdown_days, self.resolution),
            trades: trades.len(),
            win_rate_pct: figures.win_rate_pct,
            best_trade_pct: figures.best_trade_pct,
            worst_trade_pct: figures.worst_trade_pct,
            avg_trade_pct: figures.avg_trade_pct,
            max_trade_duration_days: figures.max_trade_duration_days,
            avg_trade_duration_days: figures.avg_trade_duration_days,
            profit_factor: figures.profit_factor,
            expectancy_pct: figures.expectancy_pct,
            sqn: figures.sqn,
            kelly_criterion: figures.kelly_criterion,
        }
    }
}

/// Annual return and risk from the periodic returns' moments (backtesting.py's formulas).
pub(crate) struct Annualised {
    /// Geometric mean periodic return compounded over a year.
    pub return_: f64,
    /// Annualised volatility.
    pub volatility: f64,
    /// Annual return over annualised downside deviation.
    pub sortino: f64,
}

impl Annualised {
    /// From the geometric mean, sample variance and mean squared downside of
    /// the periodic returns, compounded `periods_per_year` times.
    pub fn new(gmean: f64, variance: f64, downside_mean: f64, periods_per_year: f64) -> Self {
        let return_ = (1.0 + gmean).powf(periods_per_year) - 1.0;
        let volatility = ((variance + (1.0 + gmean).powi(2)).powf(periods_per_year)
            - (1.0 + gmean).powf(2.0 * periods_per_year))
        .sqrt();
        let sortino = return_ / (downside_mean.sqrt() * periods_per_year.sqrt());
        Self { return_, volatility, sortino }
    }

    /// Annual return over annual volatility (risk-free rate 0).
    pub fn sharpe(&self) -> f64 {
        self.return_ * 100.0 / nonzero_or_nan(self.volatility * 100.0)
    }
}

/// Compound annual growth from `first_equity` at `first` to `final_equity` at `last`.
pub(crate) fn cagr(first: Timestamp, last: Timestamp, first_equity: f64, final_equity: f64) -> f64 {
    let whole_seconds = (last.nanos() - first.nanos()).div_euclid(1_000_000_000);
    let years = whole_seconds as f64 / 86_400.0 / 365.25;
    if years != 0.0 { (final_equity / first_equity).powf(1.0 / years) - 1.0 } else { f64::NAN }
}

/// Share of `steps` bars with an open trade: from entry to exit, inclusive, of any closed trade.
pub(crate) fn exposure_fraction(trades: &[Trade], steps: usize) -> f64 {
    let mut spans: Vec<(usize, usize)> =
        trades.iter().map(|t| (t.entry_bar, t.exit_bar.min(steps.saturating_sub(1)))).collect();
    spans.sort_unstable();
    let (mut covered, mut next_free) = (0, 0);
    for (start, end) in spans {
        let start = start.max(next_free);
        if end >= start {
            covered += end - start + 1;
            next_free = end + 1;
        }
    }
    covered as f64 / steps.max(1) as f64
}

/// The statistics of the closed trades.
pub(crate) struct TradeFigures {
    pub win_rate_pct: f64,
    pub best_trade_pct: f64,
    pub worst_trade_pct: f64,
    pub avg_trade_pct: f64,
    pub max_trade_duration_days: f64,
    pub avg_trade_duration_days: f64,
    pub profit_factor: f64,
    pub expectancy_pct: f64,
    pub sqn: f64,
    pub kelly_criterion: f64,
}

impl TradeFigures {
    /// Of `trades`, durations rounded up to `resolution`.
    pub fn of(trades: &[Trade], resolution: i64) -> Self {
        let pnls: Vec<f64> = trades.iter().map(Trade::pnl).collect();
        let returns: Vec<f64> = trades.iter().map(Trade::return_fraction).collect();
        let durations: Vec<f64> = trades.iter().map(Trade::duration_days).collect();
        let win_rate = if trades.is_empty() {
            f64::NAN
        } else {
            pnls.iter().filter(|p| **p > 0.0).count() as f64 / trades.len() as f64
        };
        let wins: Vec<f64> = pnls.iter().copied().filter(|p| *p > 0.0).collect();
        let losses: Vec<f64> = pnls.iter().copied().filter(|p| *p < 0.0).collect();
        let gains: f64 = returns.iter().filter(|r| **r > 0.0).sum();
        let setbacks: f64 = returns.iter().filter(|r| **r < 0.0).sum();
        Self {
            win_rate_pct: win_rate * 100.0,
            best_trade_pct: max(&returns) * 100.0,
            worst_trade_pct: min(&returns) * 100.0,
            avg_trade_pct: geometric_mean(&returns) * 100.0,
            max_trade_duration_days: ceil_days(max(&durations), resolution),
            avg_trade_duration_days: ceil_days(mean(&durations), resolution),
            profit_factor: gains / nonzero_or_nan(setbacks.abs()),
            expectancy_pct: mean(&returns) * 100.0,
            sqn: (trades.len() as f64).sqrt() * mean(&pnls) / nonzero_or_nan(sample_variance(&pnls).sqrt()),
            kelly_criterion: win_rate - (1.0 - win_rate) / (mean(&wins) / -mean(&losses)),
        }
    }
}
