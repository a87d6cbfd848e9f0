//! A run's equity folded into statistics step by step, without keeping the
//! curve: what a sweep's trials need, equal to [`compute_stats`](crate::compute_stats)'s
//! values (the same formulas, in one pass).

use crate::Stats;
use crate::benchmark::return_pct_from;
use crate::overfitting::ReturnMoments;
use crate::periods::{ReturnBucket, annualization, bar_period_nanos, resolution_nanos};
use crate::stats::{Annualised, Measures};
use gt_model::{EquityRecorder, TimeFormat, Timestamp, Trade};
use std::sync::Arc;

/// The statistics [`EquitySummary::numbers`] gives, in report order: every
/// statistic but those measured against the market (buy & hold, alpha, beta).
pub const SUMMARY_KEYS: [&str; 27] = [
    "duration_days",
    "exposure_time_pct",
    "equity_final",
    "equity_peak",
    "commissions",
    "return_pct",
    "return_ann_pct",
    "volatility_ann_pct",
    "cagr_pct",
    "sharpe_ratio",
    "sortino_ratio",
    "calmar_ratio",
    "max_drawdown_pct",
    "avg_drawdown_pct",
    "max_drawdown_duration_days",
    "avg_drawdown_duration_days",
    "trades",
    "win_rate_pct",
    "best_trade_pct",
    "worst_trade_pct",
    "avg_trade_pct",
    "max_trade_duration_days",
    "avg_trade_duration_days",
    "profit_factor",
    "expectancy_pct",
    "sqn",
    "kelly_criterion",
];

/// Running moments of the periodic returns (Welford / Terriberry updates).
#[derive(Clone, Debug, Default)]
struct Moments {
    n: usize,
    mean: f64,
    m2: f64,
    m3: f64,
    m4: f64,
    log_growth: f64,
    ruined: bool,
    downside: f64,
}

impl Moments {
    fn push(&mut self, r: f64) {
        let n1 = self.n as f64;
        self.n += 1;
        let n = self.n as f64;
        let delta = r - self.mean;
        let delta_n = delta / n;
        let delta_n2 = delta_n * delta_n;
        let term = delta * delta_n * n1;
        self.mean += delta_n;
        self.m4 +=
            term * delta_n2 * (n * n - 3.0 * n + 3.0) + 6.0 * delta_n2 * self.m2 - 4.0 * delta_n * self.m3;
        self.m3 += term * delta_n * (n - 2.0) - 3.0 * delta_n * self.m2;
        self.m2 += term;
        let growth = r + 1.0;
        if growth <= 0.0 {
            self.ruined = true;
        } else {
            self.log_growth += growth.ln();
        }
        self.downside += r.min(0.0).powi(2);
    }

    /// backtesting.py's geometric mean of the returns.
    fn geometric_mean(&self) -> f64 {
        match (self.n, self.ruined) {
            (0, _) => f64::NAN,
            (_, true) => 0.0,
            (n, false) => (self.log_growth / n as f64).exp() - 1.0,
        }
    }

    fn sample_variance(&self) -> f64 {
        if self.n < 2 { f64::NAN } else { self.m2 / (self.n - 1) as f64 }
    }
}

/// A run's equity, folded in as it is recorded.
#[derive(Clone, Debug)]
pub struct EquitySummary {
    periods_per_year: f64,
    bucket: ReturnBucket,
    resolution: i64,
    first: Option<(Timestamp, f64)>,
    /// The last point recorded, not folded in yet (it may still be amended).
    pending: Option<(Timestamp, f64)>,
    /// Points folded in.
    folded: usize,
    peak: f64,
    max_drawdown: f64,
    drawdown_undefined: bool,
    last_drawdown: f64,
    last_ts: Timestamp,
    /// The last point at a high (drawdown exactly 0) and the deepest drawdown since.
    last_high: Option<(usize, Timestamp)>,
    depth_since_high: f64,
    periods: usize,
    depth_sum: f64,
    longest: f64,
    length_sum: f64,
    nonzero_drawdowns: usize,
    nonzero_drawdown_sum: f64,
    bucket_key: Option<i64>,
    /// The current bucket holds the times from `bucket_start` to before `bucket_end` (ns).
    bucket_start: i64,
    bucket_end: i64,
    bucket_last: f64,
    previous_bucket_last: Option<f64>,
    returns: Moments,
    /// Periodic returns a run over the whole timeline has.
    expected_returns: usize,
    blocks: Option<Blocks>,
    market: Option<Market>,
}

/// The market's index and the running covariance of the equity's and the
/// market's log returns, bar to bar (for beta).
#[derive(Clone, Debug)]
struct Market {
    index: Arc<[f64]>,
    previous: Option<(f64, f64)>,
    n: f64,
    mean_equity: f64,
    mean_market: f64,
    co_moment: f64,
    market_moment: f64,
    undefined: bool,
}

impl Market {
    fn new(index: Arc<[f64]>) -> Self {
        Self {
            index,
            previous: None,
            n: 0.0,
            mean_equity: 0.0,
            mean_market: 0.0,
            co_moment: 0.0,
            market_moment: 0.0,
            undefined: false,
        }
    }

    /// Folds in step `step`'s equity.
    fn fold(&mut self, step: usize, equity: f64) {
        let market = self.index.get(step).copied().unwrap_or(f64::NAN);
        if let Some((equity_before, market_before)) = self.previous {
            let (x, y) = ((equity / equity_before).ln(), (market / market_before).ln());
            if !x.is_finite() || !y.is_finite() {
                self.undefined = true;
            }
            self.n += 1.0;
            let dx = x - self.mean_equity;
            self.mean_equity += dx / self.n;
            let dy = y - self.mean_market;
            self.mean_market += dy / self.n;
            self.co_moment += dx * (y - self.mean_market);
            self.market_moment += dy * (y - self.mean_market);
        }
        self.previous = Some((equity, market));
    }

    /// Sample covariance over sample variance of the market (NaN with fewer
    /// than two returns or one that is not finite, as the full path gives).
    fn beta(&self) -> f64 {
        if self.n < 2.0 || self.undefined { f64::NAN } else { self.co_moment / self.market_moment }
    }
}

/// The sums of one block's periodic returns: enough for its mean and
/// variance, alone or joined with other blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BlockSums {
    /// Returns in the block.
    pub count: f64,
    /// Their sum.
    pub sum: f64,
    /// The sum of their squares.
    pub sum_squares: f64,
}

/// Periodic returns summed into equal blocks of time, in order.
#[derive(Clone, Debug)]
struct Blocks {
    expected: usize,
    seen: usize,
    sums: Vec<BlockSums>,
}

impl Blocks {
    fn new(count: usize, expected: usize) -> Self {
        Self { expected: expected.max(1), seen: 0, sums: vec![BlockSums::default(); count.max(1)] }
    }

    fn push(&mut self, r: f64) {
        let block = (self.seen * self.sums.len() / self.expected).min(self.sums.len() - 1);
        let sums = &mut self.sums[block];
        sums.count += 1.0;
        sums.sum += r;
        sums.sum_squares += r * r;
        self.seen += 1;
    }
}

impl EquitySummary {
    /// A summary for a run over `timeline` (its bar period sets the
    /// annualisation, the return buckets and how durations are rounded).
    pub fn for_timeline(timeline: &[Timestamp]) -> Self {
        let period = bar_period_nanos(timeline).unwrap_or(86_400_000_000_000);
        let (periods_per_year, bucket) = annualization(timeline, period);
        let mut buckets: usize = 0;
        let mut end = i64::MIN;
        for ts in timeline {
            if ts.nanos() >= end {
                buckets += 1;
                end = bucket.span(*ts).1;
            }
        }
        Self {
            expected_returns: buckets.saturating_sub(1),
            blocks: None,
            market: None,
            periods_per_year,
            bucket,
            resolution: resolution_nanos(period),
            first: None,
            pending: None,
            folded: 0,
            peak: f64::NEG_INFINITY,
            max_drawdown: f64::NEG_INFINITY,
            drawdown_undefined: false,
            last_drawdown: f64::NAN,
            last_ts: Timestamp::default(),
            last_high: None,
            depth_since_high: f64::NEG_INFINITY,
            periods: 0,
            depth_sum: 0.0,
            longest: f64::NEG_INFINITY,
            length_sum: 0.0,
            nonzero_drawdowns: 0,
            nonzero_drawdown_sum: 0.0,
            bucket_key: None,
            bucket_start: i64::MAX,
            bucket_end: i64::MIN,
            bucket_last: f64::NAN,
            previous_bucket_last: None,
            returns: Moments::default(),
        }
    }

    fn add_period(&mut self, depth: f64, days: f64) {
        self.periods += 1;
        self.depth_sum += depth;
        self.length_sum += days;
        self.longest = self.longest.max(days);
    }

    fn close_bucket(&mut self) {
        if let Some(previous) = self.previous_bucket_last {
            let r = self.bucket_last / previous - 1.0;
            if !r.is_nan() {
                self.returns.push(r);
            }
            if let Some(blocks) = &mut self.blocks {
                blocks.push(if r.is_nan() { 0.0 } else { r });
            }
        }
        self.previous_bucket_last = Some(self.bucket_last);
    }

    /// Also sums the periodic returns over `count` equal blocks of time (for
    /// the probability of backtest overfitting).
    pub fn with_blocks(mut self, count: usize) -> Self {
        self.blocks = Some(Blocks::new(count, self.expected_returns));
        self
    }

    /// The sums of each block's periodic returns, when asked for.
    pub fn blocks(&self) -> Option<Vec<BlockSums>> {
        self.finished().blocks.map(|b| b.sums)
    }

    fn fold(&mut self, ts: Timestamp, equity: f64) {
        let index = self.folded;
        self.folded += 1;
        if let Some(market) = &mut self.market {
            market.fold(index, equity);
        }
        self.peak = self.peak.max(equity);
        let drawdown = 1.0 - equity / self.peak;
        if drawdown.is_nan() {
            self.drawdown_undefined = true;
        } else {
            self.max_drawdown = self.max_drawdown.max(drawdown);
        }
        if drawdown != 0.0 {
            self.nonzero_drawdowns += 1;
            self.nonzero_drawdown_sum += drawdown;
        }
        self.depth_since_high = self.depth_since_high.max(drawdown);
        if drawdown == 0.0 {
            if let Some((high, high_ts)) = self.last_high
                && index > high + 1
            {
                self.add_period(self.depth_since_high, ts.days_since(high_ts));
            }
            self.last_high = Some((index, ts));
            self.depth_since_high = drawdown;
        }
        self.last_drawdown = drawdown;
        self.last_ts = ts;
        // A new bucket when `ts` is past the current one (or before it: times out of order).
        if ts.nanos() >= self.bucket_end || ts.nanos() < self.bucket_start {
            let (key, end) = self.bucket.span(ts);
            if self.bucket_key != Some(key) {
                if self.bucket_key.is_some() {
                    self.close_bucket();
                }
                self.bucket_key = Some(key);
            }
            (self.bucket_start, self.bucket_end) = (ts.nanos(), end);
        }
        self.bucket_last = equity;
    }

    /// The summary with every point folded in and the open drawdown and bucket closed.
    fn finished(&self) -> Self {
        let mut done = self.clone();
        if let Some((ts, equity)) = done.pending.take() {
            done.fold(ts, equity);
        }
        let last = done.folded.saturating_sub(1);
        if done.last_drawdown != 0.0
            && let Some((high, high_ts)) = done.last_high
            && last > high + 1
        {
            done.add_period(done.depth_since_high, done.last_ts.days_since(high_ts));
        }
        if done.bucket_key.is_some() {
            done.close_bucket();
        }
        done
    }

    /// Every statistic, from the folded equity and the run's closed
    /// `trades`; buy & hold (from bar `first_trading_bar`), alpha and beta
    /// only with a market index ([`EquitySummary::with_market`]), else NaN.
    pub fn stats(&self, trades: &[Trade], first_trading_bar: usize, time_format: TimeFormat) -> Stats {
        let done = self.finished();
        let (first_ts, first_equity) = done.first.unwrap_or((Timestamp::default(), f64::NAN));
        let final_equity = if done.folded == 0 { f64::NAN } else { done.bucket_last };
        let max_drawdown = if done.drawdown_undefined || done.folded == 0 { 0.0 } else { done.max_drawdown };
        let (depth_mean, longest, length_mean) = if done.periods == 0 {
            let mean = if done.nonzero_drawdowns == 0 {
                f64::NAN
            } else {
                done.nonzero_drawdown_sum / done.nonzero_drawdowns as f64
            };
            (mean, f64::NAN, f64::NAN)
        } else {
            let n = done.periods as f64;
            (done.depth_sum / n, done.longest, done.length_sum / n)
        };
        let annual = Annualised::new(
            done.returns.geometric_mean(),
            done.returns.sample_variance(),
            if done.returns.n == 0 { f64::NAN } else { done.returns.downside / done.returns.n as f64 },
            done.periods_per_year,
        );
        let (buy_hold_pct, beta) = done.market.as_ref().map_or((f64::NAN, f64::NAN), |market| {
            let start = first_trading_bar.min(market.index.len().saturating_sub(1));
            (return_pct_from(&market.index, start), market.beta())
        });
        Measures {
            first: (first_ts, first_equity),
            last: (done.last_ts, final_equity),
            steps: done.folded,
            equity_peak: if done.folded == 0 { f64::NAN } else { done.peak },
            max_drawdown,
            drawdown_depth_mean: depth_mean,
            longest_drawdown_days: longest,
            mean_drawdown_days: length_mean,
            buy_hold_pct,
            beta,
            annual,
            trades,
            resolution: done.resolution,
            time_format,
        }
        .stats()
    }

    /// The numeric statistics with their keys: those of [`SUMMARY_KEYS`], and
    /// buy & hold, alpha and beta too with a market index.
    pub fn numbers(&self, trades: &[Trade], first_trading_bar: usize) -> Vec<(&'static str, f64)> {
        let with_market = self.market.is_some();
        let stats = self.stats(trades, first_trading_bar, TimeFormat::DateTime);
        stats.numbers().into_iter().filter(|(key, _)| with_market || SUMMARY_KEYS.contains(key)).collect()
    }

    /// Also measures buy & hold, alpha and beta against `index`, the market's
    /// value at every step of the run (the equal-weight index of its symbols).
    pub fn with_market(mut self, index: Arc<[f64]>) -> Self {
        self.market = Some(Market::new(index));
        self
    }

    /// The moments of the periodic returns (for the deflated Sharpe ratio).
    pub fn moments(&self) -> ReturnMoments {
        let returns = self.finished().returns;
        let n = returns.n as f64;
        ReturnMoments {
            observations: returns.n,
            sharpe: returns.mean / returns.sample_variance().sqrt(),
            skewness: (returns.m3 / n) / (returns.m2 / n).powf(1.5),
            kurtosis: (returns.m4 / n) / (returns.m2 / n).powi(2),
        }
    }
}

impl EquityRecorder for EquitySummary {
    fn record(&mut self, ts: Timestamp, equity: f64) {
        if self.first.is_none() {
            self.first = Some((ts, equity));
        }
        if let Some((ts, equity)) = self.pending.replace((ts, equity)) {
            self.fold(ts, equity);
        }
    }

    fn amend_last(&mut self, equity: f64) {
        if let Some(pending) = &mut self.pending {
            pending.1 = equity;
            if self.folded == 0
                && let Some(first) = &mut self.first
            {
                first.1 = equity;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{StatsInput, compute_stats};
    use gt_model::{Symbol, TimeFormat};
    use proptest::prelude::*;

    fn trade(entry_bar: usize, exit_bar: usize, pnl_sign: f64, times: &[Timestamp]) -> Trade {
        Trade {
            symbol: Symbol::new("X"),
            size: 10.0,
            entry_bar,
            exit_bar,
            entry_time: times[entry_bar],
            exit_time: times[exit_bar],
            entry_price: 100.0,
            exit_price: 100.0 + pnl_sign * 3.0,
            commission: 0.5,
            strategy: None,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
    }

    proptest! {
        /// Every statistic the summary gives equals the full path's, on random
        /// curves of daily or intraday bars, with the last point amended
        /// (trades closed at the end) or not, and with drawdowns to ruin.
        #[test]
        fn the_summary_equals_the_full_statistics(
            steps in prop::collection::vec(-0.05f64..0.05, 2..400),
            minutes in prop::sample::select(vec![1440i64, 60, 1]),
            amend in prop::option::of(0.5f64..1.5),
            ruin_at in prop::option::of(0usize..400),
        ) {
            let times: Vec<Timestamp> = (0..steps.len() as i64)
                .map(|i| Timestamp::from_nanos(1_600_000_000_000_000_000 + i * minutes * 60_000_000_000))
                .collect();
            let mut equity = Vec::with_capacity(steps.len());
            let mut value = 10_000.0;
            for (i, step) in steps.iter().enumerate() {
                value *= 1.0 + step;
                if ruin_at.is_some_and(|at| i >= at) {
                    value = 0.0;
                }
                equity.push(value);
            }
            let mut summary = EquitySummary::for_timeline(&times);
            for (ts, value) in times.iter().zip(&equity) {
                summary.record(*ts, *value);
            }
            if let Some(factor) = amend {
                let last = equity.len() - 1;
                equity[last] *= factor;
                summary.amend_last(equity[last]);
            }
            let n = times.len();
            let trades = vec![trade(0, n / 2, 1.0, &times), trade(n / 3, n - 1, -1.0, &times)];
            let full = compute_stats(&StatsInput {
                timestamps: &times,
                equity: &equity,
                closes: &equity,
                trades: &trades,
                first_trading_bar: 0,
                time_format: TimeFormat::DateTime,
            });
            let numbers = summary.numbers(&trades, 0);
            prop_assert_eq!(numbers.iter().map(|(k, _)| *k).collect::<Vec<_>>(), SUMMARY_KEYS.to_vec());
            // With the market (here the curve itself, from bar 3), every statistic.
            let mut marked = EquitySummary::for_timeline(&times).with_market(equity.clone().into());
            for (ts, value) in times.iter().zip(&equity) {
                marked.record(*ts, *value);
            }
            let market_full = compute_stats(&StatsInput {
                timestamps: &times,
                equity: &equity,
                closes: &equity,
                trades: &trades,
                first_trading_bar: 3.min(n - 1),
                time_format: TimeFormat::DateTime,
            });
            let marked = marked.stats(&trades, 3, TimeFormat::DateTime);
            prop_assert_eq!(&marked.start, &market_full.start);
            for ((key, expected), (_, value)) in market_full.numbers().into_iter().zip(marked.numbers()) {
                prop_assert!(close(expected, value), "with the market, {}: full {} summary {}", key, expected, value);
            }
            let all = full.numbers();
            for (key, value) in numbers {
                let (_, expected) = all.iter().find(|(k, _)| *k == key).unwrap();
                prop_assert!(close(*expected, value), "{}: full {} summary {}", key, expected, value);
            }
            let two_pass = ReturnMoments::of_equity(&times, &equity);
            let streamed = summary.moments();
            prop_assert_eq!(two_pass.observations, streamed.observations);
            prop_assert!(close(two_pass.sharpe, streamed.sharpe) || (two_pass.sharpe - streamed.sharpe).abs() < 1e-9);
        }
    }
}
