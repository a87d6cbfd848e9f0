//! What a run trades and how: the options `backtest` and `paper run` share,
//! laid over a run file into one [`RunSpec`].

use crate::commands::data_args::{DataArgs, WindowArgs};
use crate::commands::run_args::{ExecutionArgs, RiskArgs, as_option_error, parse_key_value};
use anyhow::{Result, bail};
use clap::Args;
use gt_model::BarSeries;
use gt_runner::{PreparedRun, RunSpec, StrategyEntry, spec_file};
use std::path::PathBuf;

/// Data, costs and risk of a run: what every strategy of a run, or every
/// trial of a sweep, shares.
#[derive(Args, Debug)]
pub struct RunBaseArgs {
    #[command(flatten)]
    pub data: DataArgs,

    #[command(flatten)]
    pub window: WindowArgs,

    /// Run file (TOML) with [data], [execution], [risk], [allocation] and [[strategies]];
    /// options given on the command line win over it.
    #[arg(long, value_name = "RUN.toml")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub execution: ExecutionArgs,

    #[command(flatten)]
    pub risk: RiskArgs,
}

impl RunBaseArgs {
    /// The run file named by `--config` (checked whole), with the options given laid over it.
    pub fn spec(&self) -> Result<RunSpec> {
        let mut spec = match &self.config {
            Some(path) => spec_file::load(path)?,
            None => RunSpec::default(),
        };
        self.data.overlay(&mut spec.data)?;
        self.window.overlay(&mut spec.data);
        self.execution.overlay(&mut spec.execution);
        self.risk.overlay(&mut spec.risk);
        Ok(spec)
    }
}

/// Data, strategies, costs and risk of a run.
#[derive(Args, Debug)]
pub struct RunSpecArgs {
    #[command(flatten)]
    pub base: RunBaseArgs,

    /// Strategy to run (see `gpt-trader strategies`) [default: demo_ma, or the run file's strategies].
    #[arg(long)]
    pub strategy: Option<String>,

    /// Strategy parameter as key=value; repeat for several (e.g. --param fast=10 --param slow=20).
    #[arg(long = "param", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub params: Vec<(String, String)>,
}

impl RunSpecArgs {
    /// The run file named by `--config` (checked whole), with the options given laid over it.
    pub fn spec(&self) -> Result<RunSpec> {
        let mut spec = self.base.spec()?;
        // --strategy, else demo_ma when the run file has no [[strategies]].
        let single =
            self.strategy.clone().or_else(|| spec.strategies.is_empty().then(|| "demo_ma".to_owned()));
        if let Some(strategy) = single {
            spec.strategies =
                vec![StrategyEntry { strategy, params: self.params.clone(), ..Default::default() }];
            spec.allocation = Default::default();
        } else if !self.params.is_empty() {
            bail!(
                "--param goes with --strategy; a run file's strategies take theirs under [[strategies]] params"
            );
        }
        Ok(spec)
    }

    /// Loads the bars and builds the run the options (and run file) describe.
    pub fn prepare(&self) -> Result<PreparedRun> {
        let spec = self.spec()?;
        let series = crate::commands::data_args::load(&spec.data)?;
        prepare_on(&spec, series)
    }
}

/// Prepares `spec` on `series` obtained elsewhere (a broker's history),
/// naming the command-line option of a bad setting.
pub fn prepare_on(spec: &RunSpec, series: Vec<BarSeries>) -> Result<PreparedRun> {
    gt_runner::prepare(spec, series).map_err(as_option_error)
}
