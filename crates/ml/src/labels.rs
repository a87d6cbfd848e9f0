//! Labels: what happened after a bar, as a 0/1 target, and where it ends.

use crate::MlError;
use serde::Serialize;
use std::fmt;

/// Bars of one-bar returns the triple barrier's volatility is measured over
/// (ending at the labelled bar: no later bar sets its barriers).
const BARRIER_VOLATILITY_BARS: usize = 20;

/// How a bar is labelled from the bars after it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LabelSpec {
    /// 1 when the close `horizon` bars later is above this bar's close by
    /// more than `cost` (a fraction: the round trip's costs), else 0.
    Forward {
        /// Bars ahead.
        horizon: usize,
        /// The return to beat.
        cost: f64,
    },
    /// The triple-barrier method (López de Prado, AFML ch. 3): 1 when the
    /// close reaches `profit_take` times the recent volatility above this
    /// bar's close first, 0 when it reaches `stop_loss` times it below first;
    /// if neither within `horizon` bars, the sign of the return at the
    /// vertical barrier.
    TripleBarrier {
        /// Upper barrier, in multiples of the volatility.
        profit_take: f64,
        /// Lower barrier, in multiples of the volatility.
        stop_loss: f64,
        /// The vertical barrier, in bars.
        horizon: usize,
    },
}

/// One bar's label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Label {
    /// The target, 0 or 1.
    pub value: f64,
    /// The bar at which the label is known (its interval is from the labelled bar to here).
    pub end: usize,
    /// The return from the labelled bar's close to the close at `end`.
    pub forward_return: f64,
}

impl LabelSpec {
    /// Reads `forward:H[,COST]` or `triple:PT,SL,H`.
    pub fn parse(text: &str) -> Result<Self, MlError> {
        let usage = || {
            MlError::Spec(format!(
                "label {text:?}: expected forward:H[,COST] (e.g. forward:5,0.001) or triple:PT,SL,H (e.g. triple:2,1,10)"
            ))
        };
        let (kind, numbers) = text.split_once(':').ok_or_else(usage)?;
        let numbers: Vec<f64> = numbers
            .split(',')
            .map(|n| n.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| usage())?;
        let bars = |x: f64| (x >= 1.0 && x.fract() == 0.0).then_some(x as usize).ok_or_else(usage);
        let spec = match (kind, numbers.as_slice()) {
            ("forward", [h]) => LabelSpec::Forward { horizon: bars(*h)?, cost: 0.0 },
            ("forward", [h, cost]) if *cost >= 0.0 => LabelSpec::Forward { horizon: bars(*h)?, cost: *cost },
            ("triple", [pt, sl, h]) if *pt > 0.0 && *sl > 0.0 => {
                LabelSpec::TripleBarrier { profit_take: *pt, stop_loss: *sl, horizon: bars(*h)? }
            }
            _ => return Err(usage()),
        };
        Ok(spec)
    }

    /// The most bars after the labelled one that its label can read.
    pub fn horizon(&self) -> usize {
        match *self {
            LabelSpec::Forward { horizon, .. } | LabelSpec::TripleBarrier { horizon, .. } => horizon,
        }
    }

    /// The label of bar `at` from `closes`; `None` when the bars to know it
    /// are not there (the end of the series, or too little history for the
    /// barriers' volatility).
    pub fn label(&self, closes: &[f64], at: usize) -> Option<Label> {
        let close = *closes.get(at)?;
        let horizon = self.horizon();
        closes.get(at + horizon)?;
        let ending = |end: usize, value: f64| Label { value, end, forward_return: closes[end] / close - 1.0 };
        match *self {
            LabelSpec::Forward { cost, .. } => {
                let end = at + horizon;
                Some(ending(end, f64::from(u8::from(closes[end] / close - 1.0 > cost))))
            }
            LabelSpec::TripleBarrier { profit_take, stop_loss, .. } => {
                let volatility = volatility(closes, at)?;
                let upper = close * (1.0 + profit_take * volatility);
                let lower = close * (1.0 - stop_loss * volatility);
                for (end, &later) in closes.iter().enumerate().take(at + horizon + 1).skip(at + 1) {
                    if later >= upper {
                        return Some(ending(end, 1.0));
                    }
                    if later <= lower {
                        return Some(ending(end, 0.0));
                    }
                }
                let end = at + horizon;
                Some(ending(end, f64::from(u8::from(closes[end] > close))))
            }
        }
    }
}

/// Population standard deviation of the one-bar returns of the
/// [`BARRIER_VOLATILITY_BARS`] bars up to `at`.
fn volatility(closes: &[f64], at: usize) -> Option<f64> {
    let first = at.checked_sub(BARRIER_VOLATILITY_BARS)?;
    let returns: Vec<f64> = (first + 1..=at).map(|i| closes[i] / closes[i - 1] - 1.0).collect();
    let mean = returns.iter().sum::<f64>() / returns.len() as f64;
    let variance = returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / returns.len() as f64;
    Some(variance.sqrt())
}

impl fmt::Display for LabelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LabelSpec::Forward { horizon, cost: 0.0 } => write!(f, "forward:{horizon}"),
            LabelSpec::Forward { horizon, cost } => write!(f, "forward:{horizon},{cost}"),
            LabelSpec::TripleBarrier { profit_take, stop_loss, horizon } => {
                write!(f, "triple:{profit_take},{stop_loss},{horizon}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_and_are_refused_with_the_forms_they_take() {
        assert_eq!(LabelSpec::parse("forward:5").unwrap(), LabelSpec::Forward { horizon: 5, cost: 0.0 });
        assert_eq!(
            LabelSpec::parse("triple:2,1,10").unwrap(),
            LabelSpec::TripleBarrier { profit_take: 2.0, stop_loss: 1.0, horizon: 10 }
        );
        for bad in
            ["forward", "forward:0", "forward:2.5", "forward:5,-1", "triple:2,1", "triple:0,1,5", "up:3"]
        {
            let error = LabelSpec::parse(bad).unwrap_err().to_string();
            assert!(error.contains("forward:H[,COST]") && error.contains(bad), "{error}");
        }
    }

    #[test]
    fn a_forward_label_is_the_sign_of_the_return_net_of_its_cost() {
        let closes = [100.0, 101.0, 100.5, 100.05, 99.0];
        let spec = LabelSpec::Forward { horizon: 2, cost: 0.001 };
        let label = spec.label(&closes, 0).unwrap();
        assert_eq!((label.value, label.end), (1.0, 2));
        assert!((label.forward_return - 0.005).abs() < 1e-12);
        // +0.0005 does not beat a 0.001 cost.
        assert_eq!(LabelSpec::Forward { horizon: 3, cost: 0.001 }.label(&closes, 0).unwrap().value, 0.0);
        assert!(spec.label(&closes, 3).is_none(), "the horizon runs past the end");
    }

    #[test]
    fn the_triple_barrier_ends_at_the_first_barrier_touched() {
        // Twenty bars alternating ±1 % (volatility 1 %), then the test path.
        let mut closes = vec![100.0];
        for i in 0..20 {
            let last = closes[closes.len() - 1];
            closes.push(if i % 2 == 0 { last * 1.01 } else { last / 1.01 });
        }
        let at = closes.len() - 1;
        let start = closes[at];
        closes.extend([start * 1.005, start * 1.025, start * 0.9]);
        let spec = LabelSpec::TripleBarrier { profit_take: 2.0, stop_loss: 1.0, horizon: 3 };
        let label = spec.label(&closes, at).unwrap();
        assert_eq!((label.value, label.end), (1.0, at + 2), "up 2.5 % passes the 2 × ~1 % barrier first");
        let spec = LabelSpec::TripleBarrier { profit_take: 3.0, stop_loss: 1.0, horizon: 3 };
        assert_eq!(spec.label(&closes, at).unwrap().end, at + 3, "then the fall to -10 % hits the lower one");
        assert_eq!(spec.label(&closes, at).unwrap().value, 0.0);
        assert!(spec.label(&closes, 5).is_none(), "too little history for the volatility");
    }
}
