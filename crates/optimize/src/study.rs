//! A study: a sweep's trials planned, split into shards, skipped when a
//! resumed study already holds them, run in batches on every core and
//! written to the run store as each batch finishes.

use crate::objective::TrialStats;
use crate::sampler::{Admission, Method, Trial, Trials};
use crate::sweep::{Leaderboard, Sweep, TrialOutcome};
use crate::{Constraint, OptimizeError};
use gt_analytics::{
    BlockSums, DeflatedSharpe, Overfitting, deflated_sharpe_ratio, probability_of_backtest_overfitting,
};
use gt_runner::RunError;
use gt_runner::store::OpenStore;
use gt_store::{StudyWork, TrialRecord};
use gt_strategy::{ParamKind, ParamValue};
use std::collections::HashMap;
use std::time::Instant;

/// One of `count` parts of a study: the trials whose index modulo `count` is `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This part, from 0.
    pub index: u64,
    /// How many parts.
    pub count: u64,
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// `K/N` with `0 <= K < N` (a Kubernetes indexed Job's `JOB_COMPLETION_INDEX` as K).
    fn from_str(text: &str) -> Result<Self, String> {
        let (k, n) = text.split_once('/').ok_or_else(|| format!("{text:?} is not K/N (e.g. 0/4)"))?;
        let parse = |t: &str| t.trim().parse::<u64>().map_err(|_| format!("{text:?} is not K/N (e.g. 0/4)"));
        let (index, count) = (parse(k)?, parse(n)?);
        if count == 0 || index >= count {
            return Err(format!(
                "{text:?}: K counts from 0 and must be below N (0/{count} … {}/{count})",
                count.max(1) - 1
            ));
        }
        Ok(Self { index, count })
    }
}

/// How a study picks and runs its trials.
#[derive(Clone, Debug)]
pub struct StudyPlan {
    /// Grid or random.
    pub method: Method,
    /// `--trials`: how many (all of a grid when `None`).
    pub budget: Option<u64>,
    /// Seed of random draws and of a sampled grid.
    pub seed: u64,
    /// `--constraint`.
    pub constraint: Option<Constraint>,
    /// This process's part of the study.
    pub shard: Option<Shard>,
    /// Threads that run trials.
    pub jobs: usize,
    /// Trials kept in the ranking.
    pub top: usize,
}

/// What is told as a study runs (a progress bar listens).
pub trait Progress {
    /// The trials this process will run, after those already done.
    fn start(&self, to_run: u64, already_done: u64);
    /// A trial finished; `best` is the best so far.
    fn trial_done(&self, outcome: &TrialOutcome, best: &TrialOutcome);
}

/// A study's outcome.
#[derive(Debug)]
pub struct StudyReport {
    /// Trials run by this process.
    pub ran: u64,
    /// Trials already in the study (resumed, or written by other shards).
    pub already_done: u64,
    /// Every trial the study holds at the end (all shards' that have finished).
    pub trials_count: u64,
    /// Combinations the constraint left out.
    pub constrained: u64,
    /// Combinations the strategy refused, with the first reason.
    pub refused: (u64, Option<String>),
    /// The best trials, best first.
    pub top: Vec<TrialOutcome>,
    /// Every trial of the study, best first, when asked for.
    pub all: Vec<TrialOutcome>,
    /// The best trial's deflated Sharpe ratio against every trial's.
    pub deflated_sharpe: Option<DeflatedSharpe>,
    /// The probability of backtest overfitting over every trial, when measured.
    pub overfitting: Option<Overfitting>,
}

impl Sweep {
    /// What defines a study of this sweep under `plan`, given `params` (the
    /// `--param` texts): a resumed study or another shard must match it.
    pub fn definition(&self, plan: &StudyPlan, params: &[String]) -> serde_json::Value {
        let spec = self.spec();
        serde_json::json!({
            "strategy": self.space.strategy.name,
            "params": params,
            "constraint": plan.constraint.as_ref().map(Constraint::text),
            "method": plan.method,
            // A TPE search asks a batch of --jobs trials at a time: its trials depend on it.
            "batch": (plan.method == Method::Tpe).then_some(plan.jobs),
            "trials": plan.budget,
            "seed": plan.seed,
            "objective": self.objective,
            "pbo_blocks": self.pbo_blocks(),
            "data": {
                "fingerprint": self.fingerprint(),
                "start": spec.data.start,
                "end": spec.data.end,
                "adjust": spec.data.adjust,
            },
            "execution": spec.execution,
            "risk": spec.risk,
        })
    }

    /// Checks that the stored study `name`'s `stored` definition is `wanted`.
    pub fn check_definition(
        name: &str,
        stored: &serde_json::Value,
        wanted: &serde_json::Value,
    ) -> Result<(), OptimizeError> {
        let (Some(stored_map), Some(wanted_map)) = (stored.as_object(), wanted.as_object()) else {
            return Ok(());
        };
        for (key, value) in wanted_map {
            let before = stored_map.get(key).unwrap_or(&serde_json::Value::Null);
            if before != value {
                return Err(OptimizeError::StudyMismatch {
                    name: name.to_owned(),
                    difference: format!("{key} was {before}, now {value}"),
                });
            }
        }
        Ok(())
    }

    /// The stored record of `outcome`.
    pub fn record(&self, outcome: &TrialOutcome) -> Result<TrialRecord, serde_json::Error> {
        Ok(TrialRecord {
            index: outcome.trial.index as i64,
            params: self.params_json(&outcome.trial),
            value: outcome.value.is_finite().then_some(outcome.value),
            stats: serde_json::to_value(&outcome.stats)?,
            moments: {
                let mut moments = serde_json::to_value(outcome.moments)?;
                if let (Some(blocks), Some(map)) = (&outcome.blocks, moments.as_object_mut()) {
                    map.insert("blocks".to_owned(), serde_json::to_value(blocks)?);
                }
                moments
            },
        })
    }

    /// The outcome a stored record describes, or `None` when it does not
    /// fit this sweep's space (another definition wrote it).
    pub fn outcome_of(&self, record: &TrialRecord) -> Option<TrialOutcome> {
        let values = self
            .space
            .axes
            .iter()
            .map(|axis| {
                let json = record.params.get(axis.name)?;
                let kind = self.space.strategy.params.iter().find(|p| p.name == axis.name)?.kind;
                Some(match kind {
                    ParamKind::Int { .. } => ParamValue::Int(json.as_i64()?),
                    ParamKind::Float { .. } => ParamValue::Float(json.as_f64()?),
                    ParamKind::Bool { .. } => ParamValue::Bool(json.as_bool()?),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        let stats: TrialStats = serde_json::from_value(record.stats.clone()).ok()?;
        Some(TrialOutcome {
            trial: Trial { index: u64::try_from(record.index).ok()?, values },
            value: self.objective.value_of(&stats),
            score: self.objective.score(&stats),
            moments: serde_json::from_value(record.moments.clone()).ok()?,
            blocks: record.moments.get("blocks").and_then(|b| serde_json::from_value(b.clone()).ok()),
            stats,
            bars: 0,
        })
    }

    /// Checks that `plan` can run before anything is written.
    pub fn check_plan(&self, plan: &StudyPlan) -> Result<(), OptimizeError> {
        crate::sampler::check_plan(plan.method, &self.space, plan.budget)
    }

    /// Runs the study: plans its trials, skips those `store`'s study
    /// `name` already holds and other shards', runs the rest in batches and
    /// writes each batch as it finishes. With `keep_all`, every trial is
    /// returned ranked (else only the top).
    pub fn run_study(
        &self,
        plan: &StudyPlan,
        store: Option<(&OpenStore, &str)>,
        keep_all: bool,
        progress: &dyn Progress,
    ) -> Result<StudyReport, OptimizeError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(plan.jobs.max(1))
            .build()
            .map_err(|e| OptimizeError::Invalid(format!("cannot start {} threads: {e}", plan.jobs)))?;
        let mut admission = Admission::new(&self.space, plan.constraint.as_ref());
        let mut trials = Trials::plan(plan.method, &mut admission, plan.budget, plan.seed, plan.shard)?;
        let stored = match store {
            Some((store, name)) => self.stored_outcomes(store, name)?,
            None => Vec::new(),
        };
        let done: HashMap<u64, (Vec<ParamValue>, f64)> =
            stored.iter().map(|o| (o.trial.index, (o.trial.values.clone(), o.score))).collect();
        let to_run = trials.indexes().into_iter().filter(|i| !done.contains_key(i)).count() as u64;
        progress.start(to_run, done.len() as u64);

        let mut tally = Tally::new(plan.top, keep_all);
        for outcome in stored {
            tally.keep(outcome);
        }
        // A learning search asks one trial per thread, then hears how they did;
        // the others run a few per thread between writes.
        let learns = trials.learns();
        let batch_size = plan.jobs.max(1) * if learns { 1 } else { 4 };
        let mut ran = 0;
        loop {
            let mut batch: Vec<Trial> = Vec::with_capacity(batch_size);
            while batch.len() < batch_size {
                match trials.next(&mut admission) {
                    // A resumed search asks again what it asked before, to be told the stored score.
                    Some(trial) if learns || !done.contains_key(&trial.index) => batch.push(trial),
                    Some(_) => {}
                    None => break,
                }
            }
            if batch.is_empty() {
                break;
            }
            let (replayed, to_run): (Vec<Trial>, Vec<Trial>) =
                batch.into_iter().partition(|t| done.contains_key(&t.index));
            let running = Instant::now();
            let outcomes = self.run_all(&to_run, &pool).into_iter().collect::<Result<Vec<_>, RunError>>()?;
            if let Some((store, name)) = store {
                let work = StudyWork {
                    bar_evaluations: outcomes.iter().map(|o| o.bars as i64).sum(),
                    busy_ms: running.elapsed().as_millis() as i64,
                };
                let records = outcomes
                    .iter()
                    .map(|o| self.record(o))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(RunError::from)?;
                store.block_on(async |s| s.record_trials(name, &records, work).await).map_err(|source| {
                    RunError::Store { context: format!("writing trials of study {name}"), source }
                })?;
            }
            for trial in replayed {
                let (values, score) = &done[&trial.index];
                if *values != trial.values {
                    return Err(OptimizeError::Invalid(format!(
                        "trial {} of the study was proposed by another search (another --shard or --jobs): \
                         continue a TPE study with the --shard and --jobs it was started with",
                        trial.index
                    )));
                }
                trials.tell(trial.index, *score);
            }
            for outcome in outcomes {
                ran += 1;
                trials.tell(outcome.trial.index, outcome.score);
                progress.trial_done(&outcome, tally.best_with(&outcome));
                tally.keep(outcome);
            }
        }
        // Other shards may have written trials meanwhile: rank the whole study.
        if let (Some((store, name)), Some(_)) = (store, plan.shard) {
            tally = Tally::new(plan.top, keep_all);
            for outcome in self.stored_outcomes(store, name)? {
                tally.keep(outcome);
            }
        }
        let Tally { board, mut all, sharpes, blocks, .. } = tally;
        let overfitting = self.pbo_blocks().and_then(|_| probability_of_backtest_overfitting(&blocks));
        let top = board.entries().to_vec();
        let deflated_sharpe = top.first().map(|best| deflated_sharpe_ratio(&best.moments, &sharpes));
        rank(&mut all);
        Ok(StudyReport {
            ran,
            already_done: done.len() as u64,
            trials_count: sharpes.len() as u64,
            constrained: admission.constrained,
            refused: admission.refused,
            top,
            all,
            deflated_sharpe,
            overfitting,
        })
    }

    fn stored_outcomes(&self, store: &OpenStore, name: &str) -> Result<Vec<TrialOutcome>, OptimizeError> {
        let records = store
            .block_on(async |s| s.trials(name).await)
            .map_err(|source| RunError::Store { context: format!("reading study {name}"), source })?;
        records
            .iter()
            .map(|record| {
                self.outcome_of(record).ok_or_else(|| OptimizeError::StudyMismatch {
                    name: name.to_owned(),
                    difference: format!("trial {} has parameters {}", record.index, record.params),
                })
            })
            .collect()
    }
}

/// What a study keeps of its trials as they come: the ranking, every
/// trial's per-period Sharpe ratio and, when asked for, every trial.
struct Tally {
    board: Leaderboard,
    all: Vec<TrialOutcome>,
    sharpes: Vec<f64>,
    blocks: Vec<Vec<BlockSums>>,
    keep_all: bool,
}

impl Tally {
    fn new(top: usize, keep_all: bool) -> Self {
        Self {
            board: Leaderboard::new(top),
            all: Vec::new(),
            sharpes: Vec::new(),
            blocks: Vec::new(),
            keep_all,
        }
    }

    fn keep(&mut self, outcome: TrialOutcome) {
        self.board.offer(&outcome);
        self.sharpes.push(outcome.moments.sharpe);
        if let Some(blocks) = &outcome.blocks {
            self.blocks.push(blocks.clone());
        }
        if self.keep_all {
            self.all.push(outcome);
        }
    }

    /// The best trial once `outcome` is counted.
    fn best_with<'a>(&'a self, outcome: &'a TrialOutcome) -> &'a TrialOutcome {
        match self.board.entries().first() {
            Some(best) if !outcome.beats(best) => best,
            _ => outcome,
        }
    }
}

/// Sorts outcomes best first (ties: lower index first).
fn rank(outcomes: &mut [TrialOutcome]) {
    outcomes.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.trial.index.cmp(&b.trial.index)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_count_from_zero() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        assert!(
            "4/4".parse::<Shard>().unwrap_err().contains("K counts from 0 and must be below N (0/4 … 3/4)")
        );
        assert!("a/4".parse::<Shard>().unwrap_err().contains("is not K/N"));
        assert!("1/0".parse::<Shard>().is_err());
    }
}
