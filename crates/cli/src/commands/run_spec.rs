//! What a run trades and how: the options `backtest` and `paper run` share,
//! and the run they describe, ready for the engine.

use crate::commands::data_args::DataArgs;
use crate::commands::run_args::{ExecutionArgs, RiskArgs, parse_key_value};
use crate::commands::sleeves;
use crate::run_config::{self, RunConfig};
use anyhow::{Result, bail};
use clap::Args;
use gt_engine::{EngineConfig, Sleeve};
use gt_execution::ExchangeConfig;
use gt_model::{BarSeries, StrategyId};
use gt_risk::RiskEngine;
use gt_strategy::registry;
use std::path::{Path, PathBuf};

/// Data, strategies, costs and risk of a run.
#[derive(Args, Debug)]
pub struct RunSpecArgs {
    #[command(flatten)]
    pub data: DataArgs,

    /// Run file (TOML) with [data], [execution], [risk], [allocation] and [[strategies]];
    /// options given on the command line win over it.
    #[arg(long, value_name = "RUN.toml")]
    pub config: Option<PathBuf>,

    /// Strategy to run (see `gpt-trader strategies`) [default: demo_ma, or the run file's strategies].
    #[arg(long)]
    pub strategy: Option<String>,

    /// Strategy parameter as key=value; repeat for several (e.g. --param fast=10 --param slow=20).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub params: Vec<(String, String)>,

    #[command(flatten)]
    pub execution: ExecutionArgs,

    #[command(flatten)]
    pub risk: RiskArgs,
}

/// A run ready for the engine.
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
    /// The strategies with their resolved parameters and allocation, in words
    /// (what a paper session must keep to be continued).
    pub strategies: String,
}

impl PreparedRun {
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

impl RunSpecArgs {
    /// The run file named by `--config`, or an empty one.
    pub fn run_file(&self) -> Result<RunConfig> {
        match &self.config {
            Some(path) => run_config::load(path),
            None => Ok(RunConfig::default()),
        }
    }

    /// Loads the bars and builds the strategies, risk engine and settings the
    /// options (and run file `file`) describe.
    pub fn prepare(&self, file: &RunConfig) -> Result<PreparedRun> {
        let base = self.config.as_deref().and_then(Path::parent).unwrap_or(Path::new("."));
        let series = self.data.load_with(&file.data, base)?;
        self.prepare_on(file, series)
    }

    /// Like [`RunSpecArgs::prepare`], on `series` obtained elsewhere (a broker's history).
    pub fn prepare_on(&self, file: &RunConfig, series: Vec<BarSeries>) -> Result<PreparedRun> {
        let (mut config, exchange) = self.execution.configs(&file.execution)?;
        let risk_config = self.risk.config(&file.risk)?;
        let strategies;
        let sleeves = if self.strategy.is_some() || file.strategies.is_empty() {
            let spec = registry::find(self.strategy.as_deref().unwrap_or("demo_ma"))?;
            let params = spec.resolve(&self.params)?;
            strategies = format!("{} {params:?}", spec.name);
            let members = (0..series.len())
                .map(|i| spec.build(&params).map(|s| (i, s)))
                .collect::<Result<Vec<_>, _>>()?;
            vec![Sleeve { name: StrategyId::new(spec.name), weight: 1.0, members }]
        } else {
            if !self.params.is_empty() {
                bail!(
                    "--param goes with --strategy; a run file's strategies take theirs under [[strategies]] params"
                );
            }
            let (sleeves, plan) = sleeves::from_run_file(&file.strategies, &file.allocation, &series)?;
            strategies = format!("{:?} {:?}", file.strategies, file.allocation);
            config.allocation = plan;
            sleeves
        };
        let title = sleeves.iter().map(|s| s.name.to_string()).collect::<Vec<_>>().join(" + ");
        let risk = RiskEngine::new(risk_config, exchange.fractional_units);
        Ok(PreparedRun { series, sleeves, risk, config, exchange, title, strategies })
    }
}
