//! From a [`RunSpec`] and its bars to a run ready for the engine.
//!
//! A run has a part shared by every variant of a sweep ([`SharedRun`]: the
//! bars and the validated engine, exchange and risk settings) and a per-run
//! part (the strategies and their parameters). `backtest`, `compare`, paper
//! sessions and the benchmarks all assemble their runs here.

use crate::RunError;
use crate::allocation;
use crate::outcome::time_format_of;
use crate::shared_indicators::{SharedIndicators, SharingUse};
use crate::spec::{AllocationSpec, RunSpec, StrategyEntry};
use crate::window::{Window, bars_before_first_decision};
use gt_analytics::EquitySummary;
use gt_analytics::{Stats, equal_weight_index};
use gt_engine::indicators::precomputed_columns;
use gt_engine::{BacktestResult, EngineConfig, Sleeve, backtest_portfolio, backtest_portfolio_recorded};
use gt_execution::ExchangeConfig;
use gt_model::{BarSeries, Timestamp};
use gt_risk::{RiskConfig, RiskEngine};
use std::sync::{Arc, OnceLock};

/// The strategy a spec without `[[strategies]]` runs: `demo_ma` with its defaults.
pub fn default_strategies() -> Vec<StrategyEntry> {
    vec![StrategyEntry { strategy: "demo_ma".to_owned(), ..StrategyEntry::default() }]
}

/// What every variant of a run shares: its bars and validated settings,
/// prepared once.
pub struct SharedRun {
    /// The bars, one series per symbol.
    pub series: Vec<BarSeries>,
    /// Cash and end-of-run handling (allocation is set per variant).
    pub config: EngineConfig,
    /// Costs and fill timing.
    pub exchange: ExchangeConfig,
    /// Limits, exits and sizing every order passes.
    pub risk: RiskConfig,
    /// How a variant's sleeves share the account.
    pub allocation: AllocationSpec,
    /// What the statistics of every variant read of the bars, once asked for.
    derived: OnceLock<Derived>,
    /// Indicator columns the variants share, when a sweep asked for them.
    indicators: Option<SharedIndicators>,
}

/// What runs over the same bars share for their statistics.
struct Derived {
    /// Every step's time (merged across symbols).
    timeline: Vec<Timestamp>,
    /// An empty summary for a run over them.
    summary: EquitySummary,
    /// Their equal-weight index, once asked for.
    market: OnceLock<Arc<[f64]>>,
}

impl Derived {
    fn of(series: &[BarSeries]) -> Self {
        let timeline = merged_timeline(series);
        let summary = EquitySummary::for_timeline(&timeline);
        Self { timeline, summary, market: OnceLock::new() }
    }
}

/// Every step's time of a run over `series` (merged across symbols).
fn merged_timeline(series: &[BarSeries]) -> Vec<Timestamp> {
    if let [only] = series {
        return only.timestamps().to_vec();
    }
    let mut timeline: Vec<Timestamp> = series.iter().flat_map(|s| s.timestamps().iter().copied()).collect();
    timeline.sort_unstable();
    timeline.dedup();
    timeline
}

impl SharedRun {
    /// Validates the shared part of `spec` over `series`.
    pub fn new(spec: &RunSpec, series: Vec<BarSeries>) -> Result<Self, RunError> {
        let (mut config, exchange) = spec.execution.configs()?;
        config.flatten_on_halt = spec.risk.flatten_on_halt.unwrap_or(false);
        let risk = spec.risk.config()?;
        Ok(Self {
            series,
            config,
            exchange,
            risk,
            allocation: spec.allocation.clone(),
            derived: OnceLock::new(),
            indicators: None,
        })
    }

    /// Shares indicator columns between the summarised runs of these bars:
    /// each distinct key a variant reads is computed once, while the columns
    /// hold at most `budget` bytes; keys past it are computed by each run.
    pub fn sharing_indicators(mut self, budget: usize) -> Self {
        self.indicators = Some(SharedIndicators::new(budget));
        self
    }

    /// What the indicator sharing holds, if it is on.
    pub fn indicator_sharing(&self) -> Option<SharingUse> {
        self.indicators.as_ref().map(SharedIndicators::usage)
    }

    /// The sleeves of `entries` over these bars, with the run's settings.
    pub fn variant(&self, entries: &[StrategyEntry]) -> Result<Variant, RunError> {
        let (sleeves, plan) = allocation::sleeves(entries, &self.allocation, &self.series)?;
        let config = EngineConfig { allocation: plan, ..self.config };
        let risk = RiskEngine::new(self.risk, self.exchange.fractional_units);
        let title = sleeves.iter().map(|s| s.name.to_string()).collect::<Vec<_>>().join(" + ");
        Ok(Variant { sleeves, risk, config, title })
    }

    /// Runs `entries` on these bars.
    pub fn run(&self, entries: &[StrategyEntry]) -> Result<BacktestResult, RunError> {
        let Variant { mut sleeves, mut risk, config, .. } = self.variant(entries)?;
        Ok(backtest_portfolio(&self.series, &mut sleeves, &mut risk, config, self.exchange))
    }

    /// An empty summary for a run over these bars, its annualisation and
    /// return buckets read from their merged timeline once; `market` adds
    /// their equal-weight index for buy & hold, alpha and beta, and `blocks`
    /// sums the periodic returns over that many blocks of time.
    pub fn summary(&self, market: bool, blocks: Option<usize>) -> EquitySummary {
        let derived = self.derived.get_or_init(|| Derived::of(&self.series));
        let mut summary = derived.summary.clone();
        if market {
            let index =
                derived.market.get_or_init(|| equal_weight_index(&self.series, &derived.timeline).into());
            summary = summary.with_market(Arc::clone(index));
        }
        if let Some(count) = blocks {
            summary = summary.with_blocks(count);
        }
        summary
    }

    /// Runs `entries` keeping no equity curve (nor order log): the equity is
    /// folded into the returned summary step by step, as a sweep's trial needs.
    /// `summary` is [`SharedRun::summary`]'s.
    pub fn run_summarised(
        &self,
        entries: &[StrategyEntry],
        mut summary: EquitySummary,
    ) -> Result<(BacktestResult, EquitySummary), RunError> {
        let Variant { mut sleeves, mut risk, config, .. } = self.variant(entries)?;
        let config = EngineConfig { keep_order_log: false, ..config };
        let columns = match &self.indicators {
            Some(shared) => shared.columns_for(&self.series, &mut sleeves, &risk),
            None => precomputed_columns(&self.series, &mut sleeves, &risk),
        };
        let result = backtest_portfolio_recorded(
            &self.series,
            &mut sleeves,
            &mut risk,
            config,
            self.exchange,
            columns,
            &mut summary,
        );
        Ok((result, summary))
    }
}

/// The per-run part: strategies built for the shared bars.
pub struct Variant {
    /// The strategies, one sleeve each.
    pub sleeves: Vec<Sleeve>,
    /// The risk engine every order passes.
    pub risk: RiskEngine,
    /// Cash, end-of-run handling and allocation.
    pub config: EngineConfig,
    /// The sleeves' names, joined with ` + `.
    pub title: String,
}

/// A run ready for the engine, owning its bars.
pub struct PreparedRun {
    /// The bars, one series per symbol.
    pub series: Vec<BarSeries>,
    /// The strategies, one sleeve each.
    pub sleeves: Vec<Sleeve>,
    /// The risk engine every order passes.
    pub risk: RiskEngine,
    /// Cash, end-of-run handling, allocation.
    pub config: EngineConfig,
    /// Costs and fill timing.
    pub exchange: ExchangeConfig,
    /// The strategies' names, joined with ` + `.
    pub title: String,
    /// The strategies with their parameters and allocation, in words
    /// (what a paper session must keep to be continued).
    pub strategies: String,
    /// The sleeves' entries (the spec's, or the default strategy), from
    /// which a shadow selector builds sleeves of its own.
    pub entries: Vec<StrategyEntry>,
}

/// Prepares `spec` over `series` (loaded with [`crate::data::load`] or
/// obtained elsewhere, e.g. a broker's history), cut to its window.
pub fn prepare(spec: &RunSpec, series: Vec<BarSeries>) -> Result<PreparedRun, RunError> {
    let entries = if spec.strategies.is_empty() { default_strategies() } else { spec.strategies.clone() };
    let series = Window::of(&spec.data)?.cut(series, bars_before_first_decision(&entries)?)?;
    let shared = SharedRun::new(spec, series)?;
    let Variant { sleeves, risk, config, title } = shared.variant(&entries)?;
    Ok(PreparedRun {
        strategies: format!("{entries:?} {:?}", shared.allocation),
        series: shared.series,
        sleeves,
        risk,
        config,
        exchange: shared.exchange,
        title,
        entries,
    })
}

impl PreparedRun {
    /// Runs it to the end of its bars.
    pub fn run(&mut self) -> BacktestResult {
        backtest_portfolio(
            &self.series,
            &mut self.sleeves,
            &mut self.risk,
            self.config.clone(),
            self.exchange,
        )
    }

    /// Runs it to the end keeping no equity curve or order log, folding the
    /// equity into its statistics as it goes (what a statistics table needs;
    /// the values equal [`crate::outcome::stats_of`]'s).
    pub fn run_for_stats(&mut self) -> (BacktestResult, Stats) {
        let timeline = merged_timeline(&self.series);
        let market = equal_weight_index(&self.series, &timeline);
        let mut summary = EquitySummary::for_timeline(&timeline).with_market(market.into());
        drop(timeline);
        let config = EngineConfig { keep_order_log: false, ..self.config.clone() };
        let columns = precomputed_columns(&self.series, &mut self.sleeves, &self.risk);
        let result = backtest_portfolio_recorded(
            &self.series,
            &mut self.sleeves,
            &mut self.risk,
            config,
            self.exchange,
            columns,
            &mut summary,
        );
        let stats = summary.stats(&result.trades, result.warmup_bars, time_format_of(&self.series));
        (result, stats)
    }

    /// A line for each strategy whose warm-up is as long as its symbol's bars
    /// or longer: it would run and never trade.
    pub fn warm_up_warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for sleeve in &self.sleeves {
            for (index, strategy) in &sleeve.members {
                let (needed, series) = (strategy.warmup_bars(), &self.series[*index]);
                if needed >= series.len() {
                    warnings.push(format!(
                        "warning: {} needs {needed} bars to warm up and {} has {}: it cannot trade",
                        sleeve.name,
                        series.symbol(),
                        series.len()
                    ));
                }
            }
        }
        warnings
    }
}
