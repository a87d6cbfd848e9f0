//! The model kill switch: a model trading live stops (and is demoted) when
//! its own drawdown passes a limit, when a feature drifts from its training
//! distribution, or when its predictions stop.

use crate::ab::Distribution;
use gt_model::{Bar, Timestamp};
use std::collections::VecDeque;
use std::fmt;

/// When a model stops trading; `None` turns a check off.
#[derive(Clone, Debug, PartialEq)]
pub struct GuardLimits {
    /// Deepest drawdown of the model's own P&L, in percent of the equity it started with.
    pub max_drawdown_pct: Option<f64>,
    /// Highest population stability index any feature may reach over the drift window.
    pub max_feature_psi: Option<f64>,
    /// Bars of features the drift is measured over (the latest ones).
    pub drift_window: usize,
    /// Most bars in a row without a prediction once it has begun predicting.
    pub stale_bars: Option<usize>,
}

/// Why a model was stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum DemotionReason {
    /// Its drawdown passed the limit.
    Drawdown {
        /// Its drawdown, percent.
        drawdown_pct: f64,
        /// The limit, percent.
        limit: f64,
    },
    /// A feature drifted from its training distribution.
    FeatureDrift {
        /// The feature.
        feature: String,
        /// Its stability index over the window.
        psi: f64,
        /// The limit.
        limit: f64,
    },
    /// It gave no prediction for this many bars in a row (a feature missing, the model failing).
    Stale {
        /// Bars without a prediction.
        bars: usize,
    },
}

impl fmt::Display for DemotionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Drawdown { drawdown_pct, limit } => {
                write!(f, "drawdown {drawdown_pct:.2} % passed the limit of {limit} %")
            }
            Self::FeatureDrift { feature, psi, limit } => {
                write!(f, "feature {feature} drifted: PSI {psi:.3} above {limit}")
            }
            Self::Stale { bars } => write!(f, "no prediction for {bars} bars in a row"),
        }
    }
}

/// A model stopped: at which bar, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Demotion {
    /// The bar's index in the run.
    pub bar_index: usize,
    /// Its time.
    pub ts: Timestamp,
    /// Why.
    pub reason: DemotionReason,
}

/// Watches one model bar by bar against its [`GuardLimits`].
pub struct ModelGuard {
    limits: GuardLimits,
    names: Vec<String>,
    profile: Vec<Option<Distribution>>,
    window: VecDeque<Vec<f64>>,
    predicting: bool,
    missed: usize,
    book: OwnBook,
}

/// The model's own P&L, marked bar by bar on the position it holds.
#[derive(Default)]
struct OwnBook {
    base_equity: Option<f64>,
    last: Option<(f64, f64)>,
    pnl: f64,
    peak: f64,
}

impl OwnBook {
    /// Marks `position` (held since this bar's open) over `bar`, the
    /// position before it over the gap from the last close; the drawdown
    /// from the P&L's peak in percent of the first equity seen.
    fn mark(&mut self, bar: &Bar, position: f64, equity: f64) -> f64 {
        let base = *self.base_equity.get_or_insert(equity);
        if let Some((held, close)) = self.last {
            self.pnl += held * (bar.open - close) + position * (bar.close - bar.open);
        }
        self.last = Some((position, bar.close));
        self.peak = self.peak.max(self.pnl);
        if base > 0.0 { (self.peak - self.pnl) / base * 100.0 } else { 0.0 }
    }
}

impl ModelGuard {
    /// A guard of a model whose features are `names`, distributed at
    /// training as `profile` (one per feature; `None` where it was constant
    /// or is unknown: that feature's drift is not checked).
    pub fn new(limits: GuardLimits, names: Vec<String>, profile: Vec<Option<Distribution>>) -> Self {
        Self {
            window: VecDeque::with_capacity(limits.drift_window),
            limits,
            names,
            profile,
            predicting: false,
            missed: 0,
            book: OwnBook::default(),
        }
    }

    /// Looks at bar `bar_index` (`bar`), on which the model's features were
    /// `row` and its prediction was made or not, holding `position` with
    /// the account at `equity`; the demotion, on the bar a limit is passed.
    pub fn observe(
        &mut self,
        (bar_index, bar): (usize, &Bar),
        row: Option<&[f64]>,
        predicted: bool,
        (position, equity): (f64, f64),
    ) -> Option<Demotion> {
        let demotion = |reason| Some(Demotion { bar_index, ts: bar.ts, reason });
        let drawdown = self.book.mark(bar, position, equity);
        if let Some(limit) = self.limits.max_drawdown_pct
            && drawdown > limit
        {
            return demotion(DemotionReason::Drawdown { drawdown_pct: drawdown, limit });
        }
        if predicted {
            (self.predicting, self.missed) = (true, 0);
        } else if self.predicting {
            self.missed += 1;
            if let Some(limit) = self.limits.stale_bars
                && self.missed >= limit
            {
                return demotion(DemotionReason::Stale { bars: self.missed });
            }
        }
        let (Some(limit), Some(row)) = (self.limits.max_feature_psi, row) else { return None };
        if self.window.len() == self.limits.drift_window {
            self.window.pop_front();
        }
        self.window.push_back(row.to_vec());
        if self.window.len() < self.limits.drift_window {
            return None;
        }
        for (column, expected) in self.profile.iter().enumerate() {
            let Some(expected) = expected else { continue };
            let values: Vec<f64> = self.window.iter().filter_map(|r| r.get(column).copied()).collect();
            if let Some(psi) = expected.stability(&values).filter(|psi| *psi > limit) {
                let feature = self.names.get(column).cloned().unwrap_or_else(|| format!("#{column}"));
                return demotion(DemotionReason::FeatureDrift { feature, psi, limit });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(i: usize, open: f64, close: f64) -> Bar {
        let ts = Timestamp::from_nanos(i as i64 * 86_400_000_000_000);
        Bar { ts, open, high: open.max(close), low: open.min(close), close, volume: 1.0 }
    }

    fn limits() -> GuardLimits {
        GuardLimits { max_drawdown_pct: None, max_feature_psi: None, drift_window: 50, stale_bars: None }
    }

    #[test]
    fn the_drawdown_limit_fires_on_the_bar_it_is_passed() {
        let mut guard =
            ModelGuard::new(GuardLimits { max_drawdown_pct: Some(5.0), ..limits() }, vec![], vec![]);
        // 10 units on 1,000 of equity; up 3 over two bars, then down 1 a bar:
        // 5 % below the peak after 5 falling bars, passed on the 6th.
        let closes = [100.0, 101.5, 103.0, 102.0, 101.0, 100.0, 99.0, 98.0, 97.0, 96.0];
        let mut fired = None;
        for (i, close) in closes.iter().enumerate() {
            let open = if i == 0 { *close } else { closes[i - 1] };
            if let Some(d) = guard.observe((i, &bar(i, open, *close)), None, true, (10.0, 1000.0)) {
                fired = Some(d);
                break;
            }
        }
        let fired = fired.expect("it fires");
        assert_eq!(fired.bar_index, 8, "{fired:?}");
        assert!(
            matches!(fired.reason, DemotionReason::Drawdown { drawdown_pct, .. } if (drawdown_pct - 6.0).abs() < 1e-9)
        );
    }

    #[test]
    fn a_model_that_stops_predicting_is_stopped_after_the_stale_limit() {
        let mut guard = ModelGuard::new(GuardLimits { stale_bars: Some(3), ..limits() }, vec![], vec![]);
        let b = |i| bar(i, 100.0, 100.0);
        // No prediction during the warm-up is no fault; after the first one, three missed in a row are.
        let predicted = [false, false, true, true, false, true, false, false, false, true];
        let fired: Vec<usize> = predicted
            .iter()
            .enumerate()
            .filter_map(|(i, p)| guard.observe((i, &b(i)), None, *p, (0.0, 1000.0)).map(|d| d.bar_index))
            .collect();
        assert_eq!(fired, [8]);
    }

    #[test]
    fn feature_drift_fires_on_the_first_bar_the_window_passes_the_limit() {
        let training: Vec<f64> = (0..1000).map(|i| (i % 100) as f64 / 100.0).collect();
        let profile = vec![Distribution::of(&training), None];
        let limits = GuardLimits { max_feature_psi: Some(0.25), drift_window: 50, ..limits() };
        let mut guard = ModelGuard::new(limits, vec!["x".into(), "constant".into()], profile.clone());
        // In distribution for 80 bars, then shifted up by 0.5.
        let value = |i: usize| (i * 37 % 100) as f64 / 100.0 + if i >= 80 { 0.5 } else { 0.0 };
        let mut window: VecDeque<f64> = VecDeque::new();
        let mut expected = None;
        for i in 0..200 {
            window.push_back(value(i));
            if window.len() > 50 {
                window.pop_front();
            }
            let direct = profile[0].as_ref().unwrap().stability(window.make_contiguous()).unwrap();
            if window.len() == 50 && direct > 0.25 && expected.is_none() {
                expected = Some(i);
            }
            let row = [value(i), 1.0];
            if let Some(d) = guard.observe((i, &bar(i, 1.0, 1.0)), Some(&row), true, (0.0, 1000.0)) {
                assert_eq!(Some(i), expected, "{d:?}");
                assert!(matches!(&d.reason, DemotionReason::FeatureDrift { feature, .. } if feature == "x"));
                assert!(i > 80, "not before the shift");
                return;
            }
        }
        panic!("the drift was not caught");
    }
}
