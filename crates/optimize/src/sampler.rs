//! Which parameter combinations a sweep runs, and in what order: every
//! combination of a grid (or a seeded sample of it), or seeded random draws.
//!
//! Each trial has an index that depends only on the space, the method and the
//! seed, never on what ran before: a resumed study skips the indexes it holds,
//! and shard `K/N` runs the indexes `i` with `i % N == K`.

use crate::OptimizeError;
use crate::constraint::Constraint;
use crate::space::{Axis, Domain, SearchSpace};
use crate::study::Shard;
use crate::tpe_search::TpeSearch;
use gt_strategy::{ParamKind, ParamValue, StrategySpec};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use std::collections::HashSet;

/// The most combinations a grid may have before constraints.
pub const MAX_GRID: u64 = 5_000_000;

/// Draws a random search makes for one trial before it calls the space exhausted.
const DRAWS_PER_TRIAL: usize = 1_000;

/// One parameter combination to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// Its place in the study (stable across resumes and shards).
    pub index: u64,
    /// The values of the space's axes, in axis order.
    pub values: Vec<ParamValue>,
}

impl Trial {
    /// The parameters as `(name, text)` pairs for a strategy entry.
    pub fn params(&self, space: &SearchSpace) -> Vec<(String, String)> {
        space
            .axes
            .iter()
            .zip(&self.values)
            .map(|(axis, value)| (axis.name.to_owned(), value.to_string()))
            .collect()
    }
}

/// How a sweep picks its trials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Every combination of the listed values (or `--trials` of them, drawn with the seed).
    Grid,
    /// `--trials` combinations drawn with the seed, each distinct.
    Random,
    /// `--trials` combinations proposed by tree-structured Parzen estimators
    /// told every result so far (a batch of `--jobs` at a time).
    Tpe,
}

/// What a space and a constraint let through, and why the rest was left out.
pub struct Admission<'a> {
    space: &'a SearchSpace,
    constraint: Option<&'a Constraint>,
    /// Combinations left out by the constraint.
    pub constrained: u64,
    /// Combinations the strategy refuses (e.g. `fast` not below `slow`), with the first reason.
    pub refused: (u64, Option<String>),
}

impl<'a> Admission<'a> {
    /// Admission to `space` under `constraint`.
    pub fn new(space: &'a SearchSpace, constraint: Option<&'a Constraint>) -> Self {
        Self { space, constraint, constrained: 0, refused: (0, None) }
    }

    /// Whether `values` may run; counts why not.
    pub(crate) fn admits(&mut self, values: &[ParamValue]) -> bool {
        let strategy: &StrategySpec = self.space.strategy;
        let value_of = |name: &str| {
            self.space.axes.iter().position(|a| a.name == name).map_or_else(
                || {
                    strategy
                        .params
                        .iter()
                        .find(|p| p.name == name)
                        .map_or(ParamValue::Int(0), |p| p.default_value())
                },
                |at| values[at],
            )
        };
        if self.constraint.is_some_and(|c| !c.holds(&value_of)) {
            self.constrained += 1;
            return false;
        }
        let given: Vec<(String, String)> =
            self.space.axes.iter().zip(values).map(|(a, v)| (a.name.to_owned(), v.to_string())).collect();
        match strategy.resolve(&given).and_then(|params| strategy.build(&params)) {
            Ok(_) => true,
            Err(error) => {
                self.refused.0 += 1;
                self.refused.1.get_or_insert_with(|| error.to_string());
                false
            }
        }
    }
}

/// The trials of a sweep (this shard's), in index order, lazily.
pub struct Trials {
    source: Source,
    shard: Option<Shard>,
}

enum Source {
    /// Admitted grid codes, each a mixed-radix number over the axes' values.
    Grid { axes: Vec<Vec<ParamValue>>, picked: Vec<(u64, u64)>, next: usize },
    /// Seeded draws.
    Random { axes: Vec<Axis>, seed: u64, budget: u64, next: u64, seen: HashSet<Vec<u64>> },
    /// A TPE search (each shard its own, seeded apart).
    Tpe(Box<TpeSearch>),
}

fn decode(axes: &[Vec<ParamValue>], mut code: u64) -> Vec<ParamValue> {
    let mut values = vec![ParamValue::Int(0); axes.len()];
    for (slot, axis) in values.iter_mut().zip(axes).rev() {
        let n = axis.len() as u64;
        *slot = axis[(code % n) as usize];
        code /= n;
    }
    values
}

/// Checks that `method` with `budget` can plan trials over `space`.
pub fn check_plan(method: Method, space: &SearchSpace, budget: Option<u64>) -> Result<(), OptimizeError> {
    match method {
        Method::Grid if space.grid_size() > MAX_GRID => Err(OptimizeError::Invalid(format!(
            "the grid has {} combinations, more than {MAX_GRID}: use coarser steps, or --method random --trials N",
            space.grid_size()
        ))),
        _ if budget == Some(0) => Err(OptimizeError::Invalid("--trials must be at least 1".to_owned())),
        Method::Random | Method::Tpe if budget.is_none() => Err(OptimizeError::Invalid(format!(
            "--method {} needs --trials N (how many to run)",
            if method == Method::Tpe { "tpe" } else { "random" }
        ))),
        _ => Ok(()),
    }
}

impl Trials {
    /// Plans `method` over `space`: a grid's admitted combinations (a seeded
    /// sample of `budget` of them when there are more), or `budget` random draws.
    pub fn plan(
        method: Method,
        admission: &mut Admission<'_>,
        budget: Option<u64>,
        seed: u64,
        shard: Option<Shard>,
    ) -> Result<Self, OptimizeError> {
        let space = admission.space;
        check_plan(method, space, budget)?;
        let source = Self::source(method, admission, budget, seed, shard)?;
        Ok(Self { source, shard })
    }

    fn source(
        method: Method,
        admission: &mut Admission<'_>,
        budget: Option<u64>,
        seed: u64,
        shard: Option<Shard>,
    ) -> Result<Source, OptimizeError> {
        let space = admission.space;
        match method {
            Method::Tpe => {
                // N shards are N independent searches, each of its part of the budget.
                let Shard { index, count } = shard.unwrap_or(Shard { index: 0, count: 1 });
                let total = budget.unwrap_or_default();
                let part = total / count + u64::from(index < total % count);
                let search = TpeSearch::new(&space.axes, seed.wrapping_add(index), part, index, count)
                    .ok_or_else(|| OptimizeError::Invalid("a parameter's range is empty".to_owned()))?;
                Ok(Source::Tpe(Box::new(search)))
            }
            Method::Grid => {
                let axes: Vec<Vec<ParamValue>> = space.axes.iter().map(|a| a.domain.grid_values()).collect();
                let size = space.grid_size();
                let admitted: Vec<u64> =
                    (0..size).filter(|code| admission.admits(&decode(&axes, *code))).collect();
                let mut positions: Vec<u64> = match budget {
                    Some(budget) if budget < admitted.len() as u64 => {
                        let mut rng = ChaCha8Rng::seed_from_u64(seed);
                        rand::seq::index::sample(&mut rng, admitted.len(), budget as usize)
                            .into_iter()
                            .map(|p| p as u64)
                            .collect()
                    }
                    _ => (0..admitted.len() as u64).collect(),
                };
                positions.sort_unstable();
                let picked = positions.into_iter().map(|p| (p, admitted[p as usize])).collect();
                Ok(Source::Grid { axes, picked, next: 0 })
            }
            Method::Random => {
                let budget = budget.unwrap_or_default();
                Ok(Source::Random { axes: space.axes.clone(), seed, budget, next: 0, seen: HashSet::new() })
            }
        }
    }

    /// The number of trials planned (for a random search, its budget: it may
    /// end sooner when the space has fewer distinct admitted combinations).
    pub fn planned(&self) -> u64 {
        match &self.source {
            Source::Grid { picked, .. } => picked.len() as u64,
            Source::Random { budget, .. } => *budget,
            Source::Tpe(search) => search.budget(),
        }
    }

    /// The indexes of the trials this shard plans.
    pub fn indexes(&self) -> Vec<u64> {
        match &self.source {
            Source::Tpe(search) => search.indexes().collect(),
            _ => (0..self.planned()).filter(|i| self.is_mine(*i)).collect(),
        }
    }

    fn is_mine(&self, index: u64) -> bool {
        self.shard.is_none_or(|s| index % s.count == s.index)
    }

    /// Whether the next trials depend on the scores told of earlier ones (TPE).
    pub fn learns(&self) -> bool {
        matches!(self.source, Source::Tpe(_))
    }

    /// Tells a learning search the score of trial `index` (higher is better).
    pub fn tell(&mut self, index: u64, score: f64) {
        if let Source::Tpe(search) = &mut self.source {
            search.tell(index, score);
        }
    }

    /// The next trial of this shard, drawing with `admission`'s checks; `None` at the end.
    pub fn next(&mut self, admission: &mut Admission<'_>) -> Option<Trial> {
        loop {
            let trial = self.next_of_any_shard(admission)?;
            if self.learns() || self.is_mine(trial.index) {
                return Some(trial);
            }
        }
    }

    fn next_of_any_shard(&mut self, admission: &mut Admission<'_>) -> Option<Trial> {
        match &mut self.source {
            Source::Tpe(search) => search.next(admission),
            Source::Grid { axes, picked, next } => {
                let (index, code) = *picked.get(*next)?;
                *next += 1;
                Some(Trial { index, values: decode(axes, code) })
            }
            Source::Random { axes, seed, budget, next, seen } => {
                if *next >= *budget {
                    return None;
                }
                let mut rng = ChaCha8Rng::seed_from_u64(*seed);
                rng.set_stream(*next);
                for _ in 0..DRAWS_PER_TRIAL {
                    let values: Vec<ParamValue> =
                        axes.iter().map(|axis| draw(&axis.domain, &mut rng)).collect();
                    let key: Vec<u64> = values.iter().map(value_bits).collect();
                    if !seen.contains(&key) && admission.admits(&values) {
                        seen.insert(key);
                        let trial = Trial { index: *next, values };
                        *next += 1;
                        return Some(trial);
                    }
                }
                // Every draw repeated an earlier trial or was left out: the space is used up.
                *budget = *next;
                None
            }
        }
    }
}

/// The bits of a value, to tell combinations apart.
pub(crate) fn value_bits(value: &ParamValue) -> u64 {
    match value {
        ParamValue::Int(v) => *v as u64,
        ParamValue::Float(v) => v.to_bits(),
        ParamValue::Bool(v) => u64::from(*v),
    }
}

/// One value of `domain`, uniformly: a listed value, or any value of the schema range.
fn draw(domain: &Domain, rng: &mut ChaCha8Rng) -> ParamValue {
    match domain {
        Domain::Values(values) => values[rng.random_range(0..values.len())],
        Domain::Schema(ParamKind::Bool { .. }) => ParamValue::Bool(rng.random_bool(0.5)),
        Domain::Schema(ParamKind::Int { min, max, .. }) => ParamValue::Int(rng.random_range(*min..=*max)),
        Domain::Schema(ParamKind::Float { min, max, .. }) => {
            let value: f64 = rng.random_range(*min..=*max);
            ParamValue::Float((value * 1e6).round() / 1e6)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gt_strategy::registry;

    fn all(
        method: Method,
        params: &[&str],
        constraint: Option<&str>,
        budget: Option<u64>,
        seed: u64,
    ) -> Vec<Trial> {
        let strategy = registry::find("demo_ma").unwrap();
        let space =
            SearchSpace::parse(strategy, &params.iter().map(|p| p.to_string()).collect::<Vec<_>>()).unwrap();
        let constraint = constraint.map(|c| Constraint::parse(strategy, c).unwrap());
        let mut admission = Admission::new(&space, constraint.as_ref());
        let mut trials = Trials::plan(method, &mut admission, budget, seed, None).unwrap();
        std::iter::from_fn(|| trials.next(&mut admission)).collect()
    }

    fn pairs(trials: &[Trial]) -> Vec<(String, String)> {
        trials.iter().map(|t| (t.values[0].to_string(), t.values[1].to_string())).collect()
    }

    #[test]
    fn a_grid_runs_every_admitted_combination_in_order() {
        let trials = all(Method::Grid, &["fast=5..35:5", "slow=10..120:10"], Some("fast < slow"), None, 0);
        // backtesting.py's reference grid: 7 × 12 combinations, 72 with n1 < n2.
        assert_eq!(trials.len(), 72);
        assert_eq!(pairs(&trials[..2]), [("5".into(), "10".into()), ("5".into(), "20".into())]);
        assert!(trials.iter().enumerate().all(|(i, t)| t.index == i as u64));
    }

    #[test]
    fn combinations_the_strategy_refuses_are_counted_not_run() {
        let strategy = registry::find("demo_ma").unwrap();
        let space = SearchSpace::parse(strategy, &["fast=5,10,20".into(), "slow=10,20".into()]).unwrap();
        let mut admission = Admission::new(&space, None);
        let trials = Trials::plan(Method::Grid, &mut admission, None, 0, None).unwrap();
        assert_eq!(trials.planned(), 3);
        assert_eq!(admission.refused.0, 3);
        assert!(admission.refused.1.unwrap().contains("fast"), "the reason names the parameter");
    }

    #[test]
    fn a_sampled_grid_and_a_random_search_repeat_with_their_seed() {
        let grid = |seed| all(Method::Grid, &["fast=1..20", "slow=21..40"], None, Some(15), seed);
        assert_eq!(grid(7), grid(7));
        assert_ne!(grid(7), grid(8));
        assert_eq!(grid(7).len(), 15);
        let random = |seed| all(Method::Random, &["fast=1..20", "slow"], Some("fast < slow"), Some(50), seed);
        let first = random(3);
        assert_eq!(first, random(3));
        assert_ne!(first, random(4));
        assert_eq!(first.len(), 50);
        let distinct: HashSet<Vec<u64>> =
            first.iter().map(|t| t.values.iter().map(value_bits).collect()).collect();
        assert_eq!(distinct.len(), 50, "no combination is drawn twice");
    }

    #[test]
    fn a_random_search_ends_when_the_space_is_used_up() {
        let trials = all(Method::Random, &["fast=1,2,3", "slow=30"], None, Some(100), 1);
        assert_eq!(trials.len(), 3);
    }
}
