//! Walk-forward validation: optimise on a training window, run the winner on
//! the window after it (warmed up on the bars before), move on, and stitch the
//! out-of-sample pieces into one equity curve with its statistics.

use crate::study::{Progress, StudyPlan};
use crate::sweep::{Sweep, TrialOutcome};
use crate::{Objective, OptimizeError, SearchSpace};
use chrono::Months;
use gt_analytics::{BuyAndHold, DeflatedSharpe, Stats, StatsInput, compute_stats};
use gt_model::{BarSeries, Timestamp, Trade};
use gt_runner::outcome::time_format_of;
use gt_runner::store::OpenStore;
use gt_runner::window::Window;
use gt_runner::{RunError, RunSpec};

/// A length of calendar time: `2y`, `6m` (months), `3w`, `10d`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    months: u32,
    days: u32,
}

impl std::str::FromStr for Span {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let count: u32 = number
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("{text:?} is not a length such as 2y, 6m, 3w or 10d"))?;
        match unit {
            "y" => Ok(Self { months: count * 12, days: 0 }),
            "m" => Ok(Self { months: count, days: 0 }),
            "w" => Ok(Self { months: 0, days: count * 7 }),
            "d" => Ok(Self { months: 0, days: count }),
            _ => Err(format!("{text:?}: the unit is y (years), m (months), w (weeks) or d (days)")),
        }
    }
}

impl Span {
    /// `ts` moved forward by this span (calendar months, then days, in UTC).
    fn after(self, ts: Timestamp) -> Option<Timestamp> {
        let moved = ts.to_utc().checked_add_months(Months::new(self.months))?
            + chrono::Duration::days(i64::from(self.days));
        moved.timestamp_nanos_opt().map(Timestamp::from_nanos)
    }

    /// Whether this span is at least as long as `other` from `at`.
    fn covers(self, other: Span, at: Timestamp) -> bool {
        self.after(at) >= other.after(at)
    }
}

/// One fold: the window optimised on and the window after it that tests the winner.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fold {
    /// Training window, from its start (inclusive) to before its end.
    pub train: (Timestamp, Timestamp),
    /// Test window, from the training window's end to before its own end.
    pub test: (Timestamp, Timestamp),
}

/// The folds over bars from `first` to `last`: training windows of `train`
/// (all from `first` when `anchored`, else moving by `step`), each followed by
/// a test window of `test`, while a test window starts at or before `last`.
pub fn folds(
    first: Timestamp,
    last: Timestamp,
    train: Span,
    test: Span,
    step: Span,
    anchored: bool,
) -> Result<Vec<Fold>, OptimizeError> {
    if !step.covers(test, first) {
        return Err(OptimizeError::Invalid(
            "--step must be at least --test, so that test windows do not overlap".to_owned(),
        ));
    }
    let too_far = || OptimizeError::Invalid("a window ends past the year 2262".to_owned());
    let mut folds = Vec::new();
    let mut train_start = first;
    let mut train_end = train.after(first).ok_or_else(too_far)?;
    while train_end <= last {
        let test_end = test.after(train_end).ok_or_else(too_far)?;
        folds.push(Fold { train: (train_start, train_end), test: (train_end, test_end) });
        if !anchored {
            train_start = step.after(train_start).ok_or_else(too_far)?;
        }
        train_end = step.after(train_end).ok_or_else(too_far)?;
    }
    if folds.is_empty() {
        return Err(OptimizeError::Invalid(
            "the bars are shorter than one training window and a test bar: use a shorter --train".to_owned(),
        ));
    }
    Ok(folds)
}

/// What one fold found.
#[derive(Debug)]
pub struct FoldOutcome {
    /// Its windows.
    pub fold: Fold,
    /// The best trial on the training window (its statistics are in-sample).
    pub best: TrialOutcome,
    /// Trials run on the training window.
    pub trials: u64,
    /// The best trial's deflated Sharpe ratio among them.
    pub deflated_sharpe: Option<DeflatedSharpe>,
    /// The winner's statistics on the test window.
    pub out_of_sample: Stats,
}

/// Out-of-sample equity: each fold's test window, in order, each piece
/// scaled to start where the one before ended.
#[derive(Debug, Default)]
pub struct Stitched {
    /// Time of every test bar.
    pub timeline: Vec<Timestamp>,
    /// Equity after every test bar.
    pub equity: Vec<f64>,
    /// The test windows' trades, sized to the stitched equity.
    pub trades: Vec<Trade>,
}

impl Stitched {
    /// Appends the part of a run from bar `from` on, scaled to continue the curve.
    fn append(&mut self, timeline: &[Timestamp], equity: &[f64], trades: &[Trade], from: usize) {
        let Some(&start) = equity.get(from) else { return };
        let factor = match self.equity.last() {
            Some(last) if start != 0.0 => last / start,
            _ => 1.0,
        };
        let offset = self.timeline.len();
        self.timeline.extend_from_slice(&timeline[from..]);
        self.equity.extend(equity[from..].iter().map(|e| e * factor));
        self.trades.extend(trades.iter().filter(|t| t.entry_bar >= from).map(|t| Trade {
            size: t.size * factor,
            commission: t.commission * factor,
            entry_bar: t.entry_bar - from + offset,
            exit_bar: t.exit_bar - from + offset,
            ..t.clone()
        }));
    }

    /// The statistics of the stitched curve (buy & hold over the same bars).
    pub fn stats(&self, series: &[BarSeries]) -> Stats {
        let market = BuyAndHold::new(series, &self.timeline, 0);
        compute_stats(&StatsInput {
            timestamps: &self.timeline,
            equity: &self.equity,
            closes: market.index(),
            trades: &self.trades,
            first_trading_bar: 0,
            time_format: time_format_of(series),
        })
    }
}

/// A walk-forward's outcome.
#[derive(Debug)]
pub struct WalkForward {
    /// Each fold, in order.
    pub folds: Vec<FoldOutcome>,
    /// The out-of-sample pieces, stitched.
    pub stitched: Stitched,
    /// The statistics of the stitched curve.
    pub out_of_sample: Stats,
}

/// Where a walk-forward keeps its folds' trials: each fold's training sweep
/// is a study of the run store, so the same command run again continues
/// where it stopped instead of starting over.
pub struct FoldStudies<'a> {
    /// The run store.
    pub store: &'a OpenStore,
    /// The walk-forward's name: fold K's study is `NAME-foldK` (K from 1).
    pub name: &'a str,
    /// The `--param` texts, kept in the studies' definitions.
    pub params: &'a [String],
}

impl FoldStudies<'_> {
    /// Opens fold `k`'s study (made on first use), refusing one that was
    /// defined otherwise (other values, costs or windows); returns its name.
    fn open(&self, k: usize, fold: &Fold, train: &Sweep, plan: &StudyPlan) -> Result<String, OptimizeError> {
        let name = format!("{}-fold{}", self.name, k + 1);
        let mut definition = train.definition(plan, self.params);
        let when = |(start, end): (Timestamp, Timestamp)| [start, end].map(|ts| ts.to_utc().to_rfc3339());
        definition["fold"] = serde_json::json!({ "train": when(fold.train), "test": when(fold.test) });
        let study = self
            .store
            .block_on(async |s| s.open_study(&name, &definition).await)
            .map_err(|source| RunError::Store { context: format!("opening study {name}"), source })?;
        Sweep::check_definition(&name, &study.definition, &definition)?;
        Ok(name)
    }
}

/// Runs `folds`: on each training window the sweep `plan` over `space`
/// ranked by `objective` (its trials kept in `studies`, when given), then
/// its best trial on the test window, with trades still open at the test
/// window's end closed on its last bar. `on_fold` hears of each fold before
/// it runs; `progress` of its trials.
#[allow(clippy::too_many_arguments)]
pub fn walk_forward(
    spec: &RunSpec,
    series: &[BarSeries],
    space: &SearchSpace,
    objective: &Objective,
    plan: &StudyPlan,
    folds: &[Fold],
    studies: Option<&FoldStudies<'_>>,
    on_fold: &dyn Fn(usize, &Fold),
    progress: &dyn Progress,
) -> Result<WalkForward, OptimizeError> {
    let mut test_spec = spec.clone();
    test_spec.execution.finalize_trades = Some(true);
    let mut outcomes = Vec::with_capacity(folds.len());
    let mut stitched = Stitched::default();
    for (k, fold) in folds.iter().enumerate() {
        on_fold(k, fold);
        let in_fold = |e: OptimizeError| OptimizeError::Invalid(format!("fold {}: {e}", k + 1));
        let window = |(start, end): (Timestamp, Timestamp)| Window::between(Some(start), Some(end));
        let train = Sweep::in_window(
            spec.clone(),
            series.to_vec(),
            window(fold.train),
            space.clone(),
            objective.clone(),
        )
        .map_err(in_fold)?
        .skipping_absent_symbols();
        let study = studies.map(|s| s.open(k, fold, &train, plan)).transpose().map_err(in_fold)?;
        let store = studies.zip(study.as_deref()).map(|(s, name)| (s.store, name));
        let report = train.run_study(plan, store, false, progress).map_err(in_fold)?;
        let best = report
            .top
            .first()
            .cloned()
            .ok_or_else(|| in_fold(OptimizeError::Invalid("no trial ran".to_owned())))?;
        let test = Sweep::in_window(
            test_spec.clone(),
            series.to_vec(),
            window(fold.test),
            space.clone(),
            objective.clone(),
        )
        .map_err(in_fold)?
        .skipping_absent_symbols();
        let (shared, result) = test.run_full(&best.trial).map_err(|e| in_fold(e.into()))?;
        // The test window proper: the bars from its start on (the ones before are warm-up).
        let from = result.timeline.partition_point(|ts| *ts < fold.test.0);
        let mut piece = Stitched::default();
        piece.append(&result.timeline, &result.equity, &result.trades, from);
        let out_of_sample = piece.stats(&shared.series);
        stitched.append(&result.timeline, &result.equity, &result.trades, from);
        outcomes.push(FoldOutcome {
            fold: *fold,
            best,
            trials: report.trials_count,
            deflated_sharpe: report.deflated_sharpe,
            out_of_sample,
        });
    }
    let out_of_sample = stitched.stats(series);
    Ok(WalkForward { folds: outcomes, stitched, out_of_sample })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Timestamp {
        let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        Timestamp::from_nanos(date.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_nanos_opt().unwrap())
    }

    fn span(text: &str) -> Span {
        text.parse().unwrap()
    }

    fn windows(folds: &[Fold]) -> Vec<(String, String, String)> {
        let show = |ts: Timestamp| ts.to_utc().format("%Y-%m-%d").to_string();
        folds.iter().map(|f| (show(f.train.0), show(f.train.1), show(f.test.1))).collect()
    }

    #[test]
    fn rolling_and_anchored_folds_move_by_the_step() {
        let (first, last) = (day("2010-01-04"), day("2012-12-31"));
        let rolling = folds(first, last, span("2y"), span("6m"), span("6m"), false).unwrap();
        assert_eq!(
            windows(&rolling),
            [
                ("2010-01-04".into(), "2012-01-04".into(), "2012-07-04".into()),
                ("2010-07-04".into(), "2012-07-04".into(), "2013-01-04".into()),
            ]
        );
        let anchored = folds(first, last, span("1y"), span("1y"), span("1y"), true).unwrap();
        assert_eq!(
            windows(&anchored),
            [
                ("2010-01-04".into(), "2011-01-04".into(), "2012-01-04".into()),
                ("2010-01-04".into(), "2012-01-04".into(), "2013-01-04".into()),
            ]
        );
    }

    #[test]
    fn spans_and_folds_that_cannot_work_are_refused() {
        assert!("6x".parse::<Span>().unwrap_err().contains("the unit is y (years), m (months)"));
        assert!("0m".parse::<Span>().is_err() && "m".parse::<Span>().is_err());
        assert_eq!(span("3w"), Span { months: 0, days: 21 });
        let (first, last) = (day("2010-01-04"), day("2012-12-31"));
        let overlapping = folds(first, last, span("1y"), span("6m"), span("3m"), false).unwrap_err();
        assert!(overlapping.to_string().contains("--step must be at least --test"));
        let too_short = folds(first, last, span("5y"), span("6m"), span("6m"), false).unwrap_err();
        assert!(too_short.to_string().contains("shorter than one training window"));
    }

    #[test]
    fn stitched_pieces_continue_each_other() {
        let times: Vec<Timestamp> = (0..4).map(|d| Timestamp::from_nanos(d * 86_400_000_000_000)).collect();
        let mut stitched = Stitched::default();
        stitched.append(&times, &[100.0, 100.0, 110.0, 121.0], &[], 1);
        stitched.append(&times, &[100.0, 100.0, 90.0, 99.0], &[], 2);
        // The second piece starts at 90 and gains 10 %: it continues from 121 to 133.1.
        let expected = [100.0, 110.0, 121.0, 121.0, 133.1];
        assert!(
            stitched.equity.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-9),
            "{:?}",
            stitched.equity
        );
        assert_eq!(stitched.timeline.len(), 5);
    }
}
