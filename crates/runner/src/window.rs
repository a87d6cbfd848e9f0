//! Cutting a run's bars to a window (`--start`, `--end`), keeping the bars
//! before the start that the strategies need to warm up, so that they can
//! trade from the window's first bar.

use crate::RunError;
use crate::spec::{DataSpec, StrategyEntry};
use crate::strategy_source::StrategySource;
use gt_model::{BarSeries, NANOS_PER_DAY, Timestamp};

/// The part of the timeline a run trades: from `start` (inclusive) to before `end`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Window {
    start: Option<Timestamp>,
    end: Option<Timestamp>,
}

/// Reads a bound of `[data]` `key`: a date (`2015-01-31`) or a date-time.
/// An end is made exclusive: a date stands for the whole day, a date-time
/// includes the bar at that time.
fn bound(key: &'static str, text: &str) -> Result<Timestamp, RunError> {
    let ts = gt_data::parse_timestamp(text).ok_or_else(|| RunError::Setting {
        section: "data",
        key,
        message: format!("{text:?} is not a date (2015-01-31) or a date-time (2015-01-31 15:30)"),
    })?;
    let date_only = text.trim().len() == "2015-01-31".len();
    Ok(match key {
        "end" if date_only => Timestamp::from_nanos(ts.nanos() + NANOS_PER_DAY),
        "end" => Timestamp::from_nanos(ts.nanos() + 1),
        _ => ts,
    })
}

impl Window {
    /// The window `spec` asks for.
    pub fn of(spec: &DataSpec) -> Result<Self, RunError> {
        let start = spec.start.as_deref().map(|t| bound("start", t)).transpose()?;
        let end = spec.end.as_deref().map(|t| bound("end", t)).transpose()?;
        if let (Some(start), Some(end)) = (start, end)
            && start >= end
        {
            return Err(RunError::invalid(format!(
                "the start {} is not before the end {}",
                spec.start.as_deref().unwrap_or_default(),
                spec.end.as_deref().unwrap_or_default()
            )));
        }
        Ok(Self { start, end })
    }

    /// The window from `start` (inclusive) to before `end`; `None` leaves that side open.
    pub fn between(start: Option<Timestamp>, end: Option<Timestamp>) -> Self {
        Self { start, end }
    }

    /// True when the window cuts nothing.
    pub fn is_whole(&self) -> bool {
        self.start.is_none() && self.end.is_none()
    }

    /// [`Window::cut`], leaving out the series with no bar in the window (a
    /// symbol listed later, in a walk-forward fold before it); an error only
    /// when no series has one.
    pub fn cut_present(&self, series: Vec<BarSeries>, warm_up: usize) -> Result<Vec<BarSeries>, RunError> {
        let (start, end) = (self.start, self.end);
        let present: Vec<BarSeries> = series
            .into_iter()
            .filter(|s| {
                let times = s.timestamps();
                let first = start.map_or(0, |start| times.partition_point(|t| *t < start));
                let past_end = end.map_or(times.len(), |end| times.partition_point(|t| *t < end));
                first < past_end
            })
            .collect();
        if present.is_empty() {
            return Err(RunError::invalid("no symbol has a bar in the window".to_owned()));
        }
        self.cut(present, warm_up)
    }

    /// Each series cut to the window, with up to `warm_up` bars before its start kept.
    pub fn cut(&self, mut series: Vec<BarSeries>, warm_up: usize) -> Result<Vec<BarSeries>, RunError> {
        if self.is_whole() {
            return Ok(series);
        }
        for s in &mut series {
            let times = s.timestamps();
            let first = self.start.map_or(0, |start| times.partition_point(|t| *t < start));
            let past_end = self.end.map_or(times.len(), |end| times.partition_point(|t| *t < end));
            if first >= past_end {
                let format = s.time_format();
                let shown = |ts: Option<&Timestamp>| {
                    ts.map_or_else(|| "-".to_owned(), |t| t.display(format).to_string())
                };
                return Err(RunError::invalid(format!(
                    "no bar of {} in the window asked for (its bars run from {} to {})",
                    s.symbol(),
                    shown(times.first()),
                    shown(times.last())
                )));
            }
            s.keep(first.saturating_sub(warm_up)..past_end);
        }
        Ok(series)
    }
}

/// The bars `entries` need before they can decide: one more than the longest
/// warm-up (a crossover compares the bar before), so a decision can fall on
/// the window's first bar.
pub fn bars_before_first_decision(entries: &[StrategyEntry]) -> Result<usize, RunError> {
    let mut longest = 0;
    for entry in entries {
        let source = StrategySource::resolve(&entry.strategy, &entry.params)?;
        longest = longest.max(source.build()?.warmup_bars());
    }
    Ok(longest + 1)
}
