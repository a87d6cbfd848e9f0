//! The options a parameter sweep takes (`optimize`, `walkforward`), and its progress bar.

use crate::commands::run_args::as_option_error;
use crate::commands::run_spec::RunBaseArgs;
use anyhow::{Result, bail};
use clap::Args;
use gt_optimize::{
    Constraint, Method, Objective, OptimizeError, Progress, SearchSpace, StudyPlan, TrialOutcome,
};
use gt_runner::RunSpec;

/// The run, the space searched, the method and the objective of a sweep.
#[derive(Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    pub base: RunBaseArgs,

    /// Strategy to sweep (see `gpt-trader strategies`).
    #[arg(long, default_value = "demo_ma")]
    pub strategy: String,

    /// A parameter to vary: NAME=START..END:STEP, NAME=a,b,c or a bare NAME (its schema range);
    /// repeat for several.
    #[arg(long = "param", value_name = "NAME[=VALUES]", required = true)]
    pub params: Vec<String>,

    /// Only trials whose parameters meet this: comparisons (<, <=, >, >=, ==, !=) of parameters
    /// and numbers joined by `and` / `or`, e.g. 'fast < slow and slow <= 100'.
    #[arg(long, value_name = "EXPR")]
    constraint: Option<String>,

    /// grid: every combination (or --trials of them, drawn with the seed); random: --trials
    /// distinct draws; tpe: --trials proposed by tree-structured Parzen estimators that learn from
    /// every result so far, --jobs at a time (the same seed and --jobs give the same trials).
    #[arg(long, value_enum, default_value_t = MethodArg::Grid)]
    method: MethodArg,

    /// How many trials (random and tpe: required; grid: a seeded sample of its combinations).
    #[arg(long, value_name = "N")]
    trials: Option<u64>,

    /// Seed of the random draws: the same seed gives the same trials.
    #[arg(long, default_value_t = 0)]
    seed: u64,

    /// The statistic to rank by: any key of the JSON report's stats (sharpe_ratio, sqn,
    /// return_pct, calmar_ratio, equity_final, max_drawdown_pct, …).
    #[arg(long, default_value = "sharpe_ratio", value_name = "KEY")]
    pub objective: String,

    /// Lower is better (e.g. --objective volatility_ann_pct --minimize).
    #[arg(long)]
    minimize: bool,

    /// Trials with fewer closed trades rank last.
    #[arg(long, default_value_t = 0, value_name = "N")]
    min_trades: usize,

    /// Threads running trials [default: every core].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
}

/// `--method`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum MethodArg {
    Grid,
    Random,
    Tpe,
}

impl SweepArgs {
    /// The run spec, the space, the objective and the plan (one shard, the top 10) these options give.
    pub fn parts(&self) -> Result<(RunSpec, SearchSpace, Objective, StudyPlan)> {
        let spec = self.base.spec()?;
        if !spec.strategies.is_empty() {
            bail!(
                "a sweep varies --strategy {}'s --param values; the run file's [[strategies]] are not swept: \
                 leave them out of the file given to --config",
                self.strategy
            );
        }
        let strategy = gt_runner::strategy_source::sweepable(&self.strategy)?;
        // ml_signal's model is no schema parameter: every trial gets it as it is.
        let (fixed, swept): (Vec<&String>, Vec<&String>) = self
            .params
            .iter()
            .partition(|p| strategy.name == gt_runner::strategy_source::ML_SIGNAL && p.starts_with("model="));
        let swept: Vec<String> = swept.into_iter().cloned().collect();
        let mut space = SearchSpace::parse(strategy, &swept)?;
        space.fixed = fixed
            .iter()
            .filter_map(|p| p.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.trim().to_owned()))
            .collect();
        if strategy.name == gt_runner::strategy_source::ML_SIGNAL && space.fixed.len() != 1 {
            bail!("a sweep of ml_signal needs one --param model=ID (a model of `gpt-trader ml list`)");
        }
        let constraint =
            self.constraint.as_deref().map(|text| Constraint::parse(strategy, text)).transpose()?;
        let objective = Objective::new(&self.objective, self.minimize, self.min_trades)?;
        let plan = StudyPlan {
            method: match self.method {
                MethodArg::Grid => Method::Grid,
                MethodArg::Random => Method::Random,
                MethodArg::Tpe => Method::Tpe,
            },
            budget: self.trials,
            seed: self.seed,
            constraint,
            shard: None,
            jobs: self
                .jobs
                .map_or_else(|| std::thread::available_parallelism().map_or(1, usize::from), usize::from),
            top: 10,
        };
        Ok((spec, space, objective, plan))
    }
}

/// A sweep's error, naming the command-line option of a bad run setting.
pub fn option_error(error: OptimizeError) -> anyhow::Error {
    match error {
        OptimizeError::Run(run) => as_option_error(run),
        other => other.into(),
    }
}

/// A progress bar on stderr: trials done, trials per second, the best so far.
pub struct TrialBar {
    /// The bar.
    pub bar: indicatif::ProgressBar,
    space: SearchSpace,
    objective: String,
}

impl TrialBar {
    /// A bar for trials over `space` ranked by `objective`.
    pub fn new(space: SearchSpace, objective: &str) -> Self {
        let bar = indicatif::ProgressBar::new(0).with_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} trials {per_sec} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Self { bar, space, objective: objective.to_owned() }
    }
}

impl Progress for TrialBar {
    fn start(&self, to_run: u64, already_done: u64) {
        self.bar.reset();
        self.bar.set_length(to_run);
        if already_done > 0 {
            eprintln!("{already_done} trials already in the study; running the other {to_run}.");
        }
    }

    fn trial_done(&self, _outcome: &TrialOutcome, best: &TrialOutcome) {
        self.bar.inc(1);
        let params = best.trial.params(&self.space);
        let text: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.bar.set_message(format!("best {} {:.4} ({})", self.objective, best.value, text.join(" ")));
    }
}
