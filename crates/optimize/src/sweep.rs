//! Running trials: each is the base run with the trial's parameters, on bars
//! and settings prepared once and shared by every trial and thread.

use crate::OptimizeError;
use crate::objective::{Objective, TrialStats};
use crate::sampler::Trial;
use crate::space::SearchSpace;
use gt_analytics::{BlockSums, ReturnMoments, SUMMARY_KEYS};
use gt_engine::BacktestResult;
use gt_model::BarSeries;
use gt_runner::records::fingerprint;
use gt_runner::shared_indicators::SharingUse;
use gt_runner::window::{Window, bars_before_first_decision};
use gt_runner::{RunError, RunSpec, SharedRun, StrategyEntry};

/// The memory the trials' shared indicator columns may take, per set of
/// bars: on daily bars every distinct key of a sweep fits (a 2,000-bar
/// column is 16 KB); on a million minute bars none does (8 MB each), and
/// each trial computes its own columns, dropped when it ends, so that peak
/// memory is that of as many single runs as there are threads, whatever
/// the number of combinations.
pub const INDICATOR_MEMORY: usize = 4 << 20;
use gt_strategy::ParamValue;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// What a study keeps of one trial.
#[derive(Clone, Debug, PartialEq)]
pub struct TrialOutcome {
    /// The trial run.
    pub trial: Trial,
    /// The objective's value (NaN when undefined).
    pub value: f64,
    /// Its rank score: higher is better (see [`Objective::score`]).
    pub score: f64,
    /// Every numeric statistic.
    pub stats: TrialStats,
    /// The moments of its periodic returns (for the deflated Sharpe ratio).
    pub moments: ReturnMoments,
    /// Its periodic returns summed over blocks of time (for the probability
    /// of backtest overfitting), when the sweep measures it.
    pub blocks: Option<Vec<BlockSums>>,
    /// Bars its run read, summed over symbols (0 for a trial read back
    /// from the store, which this process did not run).
    pub bars: u64,
}

impl TrialOutcome {
    /// Whether it ranks above `other`: a higher score, or the same score and a lower index.
    pub fn beats(&self, other: &TrialOutcome) -> bool {
        self.score > other.score || (self.score == other.score && self.trial.index < other.trial.index)
    }
}

/// The shared part of every trial of a sweep.
pub struct Sweep {
    spec: RunSpec,
    /// The space searched.
    pub space: SearchSpace,
    /// What the trials are ranked by.
    pub objective: Objective,
    window: Window,
    /// The loaded bars, whole, kept to be cut for each warm-up (empty
    /// without a window: the one shared run holds them).
    series: Vec<BarSeries>,
    /// Prepared runs by the bars a trial keeps before the window (0: the whole series).
    runs: Mutex<HashMap<usize, Arc<SharedRun>>>,
    /// Blocks of time each trial's returns are summed over, for the probability of overfitting.
    pbo_blocks: Option<usize>,
    /// Symbols with no bar in the window are left out rather than refused (walk-forward folds).
    skip_absent_symbols: bool,
}

impl Sweep {
    /// Checks `spec`'s shared settings and keeps `series` for the trials.
    pub fn new(
        spec: RunSpec,
        series: Vec<BarSeries>,
        space: SearchSpace,
        objective: Objective,
    ) -> Result<Self, OptimizeError> {
        let window = Window::of(&spec.data)?;
        Self::in_window(spec, series, window, space, objective)
    }

    /// [`Sweep::new`] trading `window` of the bars instead of the spec's
    /// (a walk-forward fold; the bars before it are the warm-up).
    pub fn in_window(
        spec: RunSpec,
        series: Vec<BarSeries>,
        window: Window,
        space: SearchSpace,
        objective: Objective,
    ) -> Result<Self, OptimizeError> {
        let mut runs = HashMap::new();
        let series = if window.is_whole() {
            runs.insert(0, Arc::new(SharedRun::new(&spec, series)?.sharing_indicators(INDICATOR_MEMORY)));
            Vec::new()
        } else {
            SharedRun::new(&spec, Vec::new())?;
            series
        };
        Ok(Self {
            spec,
            space,
            objective,
            window,
            series,
            runs: Mutex::new(runs),
            pbo_blocks: None,
            skip_absent_symbols: false,
        })
    }

    /// Measures the probability of backtest overfitting over `blocks` blocks of time
    /// (an even number from 2 to 24).
    pub fn with_pbo_blocks(mut self, blocks: usize) -> Result<Self, OptimizeError> {
        if !(2..=24).contains(&blocks) || blocks % 2 == 1 {
            return Err(OptimizeError::Invalid(format!(
                "--pbo {blocks}: the blocks must be an even number from 2 to 24 (16 is usual)"
            )));
        }
        self.pbo_blocks = Some(blocks);
        Ok(self)
    }

    /// Leaves out the symbols that have no bar in the window instead of refusing the run.
    pub fn skipping_absent_symbols(mut self) -> Self {
        self.skip_absent_symbols = true;
        self
    }

    /// The blocks of time the probability of overfitting is measured over, if it is.
    pub fn pbo_blocks(&self) -> Option<usize> {
        self.pbo_blocks
    }

    /// What the trials share of their indicators so far, over every warm-up's bars.
    pub fn indicator_sharing(&self) -> SharingUse {
        let runs = self.runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        runs.values().filter_map(|run| run.indicator_sharing()).fold(SharingUse::default(), |total, one| {
            SharingUse {
                shared: total.shared + one.shared,
                declined: total.declined + one.declined,
                bytes: total.bytes + one.bytes,
            }
        })
    }

    /// The run settings every trial shares.
    pub fn spec(&self) -> &RunSpec {
        &self.spec
    }

    /// The fingerprint of the bars (whole, before any window).
    pub fn fingerprint(&self) -> String {
        if self.window.is_whole() {
            let runs = self.runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            runs.get(&0).map_or_else(String::new, |run| fingerprint(&run.series))
        } else {
            fingerprint(&self.series)
        }
    }

    /// The strategy entry of `trial`: the space's strategy with the trial's parameters.
    pub fn entry(&self, trial: &Trial) -> StrategyEntry {
        StrategyEntry {
            strategy: self.space.strategy.name.to_owned(),
            params: [trial.params(&self.space), self.space.fixed.clone()].concat(),
            ..StrategyEntry::default()
        }
    }

    /// The bars and settings `entry` runs on: the whole series, or the window
    /// with the bars `entry` warms up on before it (prepared once per warm-up).
    fn shared_for(&self, entry: &StrategyEntry) -> Result<Arc<SharedRun>, RunError> {
        let warm_up =
            if self.window.is_whole() { 0 } else { bars_before_first_decision(std::slice::from_ref(entry))? };
        let mut runs = self.runs.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(run) = runs.get(&warm_up) {
            return Ok(Arc::clone(run));
        }
        let series = if self.skip_absent_symbols {
            self.window.cut_present(self.series.clone(), warm_up)?
        } else {
            self.window.cut(self.series.clone(), warm_up)?
        };
        let run = Arc::new(SharedRun::new(&self.spec, series)?.sharing_indicators(INDICATOR_MEMORY));
        runs.insert(warm_up, Arc::clone(&run));
        Ok(run)
    }

    /// Runs `trial` in full: the bars it ran on and its whole result (to
    /// report or save the best trial as a normal run).
    pub fn run_full(&self, trial: &Trial) -> Result<(Arc<SharedRun>, BacktestResult), RunError> {
        let entry = self.entry(trial);
        let shared = self.shared_for(&entry)?;
        let result = shared.run(std::slice::from_ref(&entry))?;
        Ok((shared, result))
    }

    /// Whether trials measure buy & hold, alpha and beta (the market's index
    /// is followed bar by bar): only when the objective is one of them.
    pub fn needs_market(&self) -> bool {
        !SUMMARY_KEYS.contains(&self.objective.key.as_str())
    }

    /// Runs one trial, keeping no equity curve: its equity is folded into
    /// statistics as it goes.
    pub fn run(&self, trial: &Trial) -> Result<TrialOutcome, RunError> {
        let entry = self.entry(trial);
        let shared = self.shared_for(&entry)?;
        let summary = shared.summary(self.needs_market(), self.pbo_blocks);
        let (result, summary) = shared.run_summarised(std::slice::from_ref(&entry), summary)?;
        let stats = TrialStats::from_numbers(summary.numbers(&result.trades, result.warmup_bars));
        Ok(TrialOutcome {
            bars: shared.series.iter().map(|s| s.len() as u64).sum(),
            trial: trial.clone(),
            value: self.objective.value_of(&stats),
            score: self.objective.score(&stats),
            moments: summary.moments(),
            blocks: summary.blocks(),
            stats,
        })
    }

    /// Runs `trials` on `pool`'s threads; results in the trials' order.
    pub fn run_all(&self, trials: &[Trial], pool: &rayon::ThreadPool) -> Vec<Result<TrialOutcome, RunError>> {
        pool.install(|| trials.par_iter().map(|trial| self.run(trial)).collect())
    }

    /// The trial's parameters as JSON (`{"fast": 10, "allow_short": true}`).
    pub fn params_json(&self, trial: &Trial) -> serde_json::Value {
        let map = self.space.axes.iter().zip(&trial.values).map(|(axis, value)| {
            let json = match value {
                ParamValue::Int(v) => serde_json::Value::from(*v),
                ParamValue::Float(v) => serde_json::Value::from(*v),
                ParamValue::Bool(v) => serde_json::Value::from(*v),
            };
            (axis.name.to_owned(), json)
        });
        serde_json::Value::Object(map.collect())
    }
}

/// The best `capacity` trials seen, best first (ties: lower index first).
#[derive(Debug)]
pub struct Leaderboard {
    capacity: usize,
    entries: Vec<TrialOutcome>,
}

impl Leaderboard {
    /// An empty board keeping `capacity` trials.
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), entries: Vec::new() }
    }

    /// Considers `outcome` for a place.
    pub fn offer(&mut self, outcome: &TrialOutcome) {
        let at = self.entries.iter().position(|e| outcome.beats(e)).unwrap_or(self.entries.len());
        if at < self.capacity {
            self.entries.insert(at, outcome.clone());
            self.entries.truncate(self.capacity);
        }
    }

    /// The kept trials, best first.
    pub fn entries(&self) -> &[TrialOutcome] {
        &self.entries
    }
}
