//! A training table: one row of features per labelled bar, with the step of
//! the timeline it starts at and the step its label ends at.

use crate::{FeatureSet, LabelSpec};

use gt_model::{BarSeries, Timestamp};

/// A trade of a primary strategy, as meta-labeling reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MetaEvent {
    /// The bar the primary decided on (its order filled on the next).
    pub bar: usize,
    /// The bar the trade ended on.
    pub end: usize,
    /// The trade's return, net of its costs.
    pub net_return: f64,
}

/// Features and labels of the bars of one or more series.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// The feature schema's hash.
    pub schema_hash: String,
    /// The times `starts` and `ends` index: one series' bar times, or the
    /// sorted times of several series' bars.
    pub timeline: Vec<Timestamp>,
    /// Row-major features, `columns.len()` per sample.
    pub rows: Vec<f64>,
    /// The step of the timeline of each sample (for one series, its bar).
    pub starts: Vec<usize>,
    /// The step each sample's label ends at.
    pub ends: Vec<usize>,
    /// The series of each sample (its index among those built from).
    pub series: Vec<usize>,
    /// The bar of each sample in its series.
    pub bars: Vec<usize>,
    /// Labels, 0 or 1.
    pub labels: Vec<f64>,
    /// The return each label came from.
    pub returns: Vec<f64>,
}

impl Dataset {
    /// Every bar of `series` with its features warmed up and its label
    /// known: features from the streaming set (bars up to the sample's),
    /// labels from the bars after it.
    pub fn build(series: &BarSeries, features: &FeatureSet, label: &LabelSpec) -> Self {
        let mut stream = features.stream();
        let closes = series.closes();
        let mut set = Self::empty(features);
        set.timeline = series.timestamps().to_vec();
        for at in 0..series.len() {
            let Some(row) = stream.push(&series.bar(at)) else { continue };
            let Some(known) = label.label(closes, at) else { continue };
            set.push(&row, (at, known.end), (0, at), known.value, known.forward_return);
        }
        set
    }

    /// Every labelled bar of every series of `many` (each its own feature
    /// stream and labels), on their merged timeline: a sample of a later
    /// time comes after one of an earlier time whatever its series, so the
    /// folds cut all of them at the same times.
    pub fn build_many(many: &[BarSeries], features: &FeatureSet, label: &LabelSpec) -> Self {
        let mut timeline: Vec<Timestamp> = many.iter().flat_map(|s| s.timestamps().iter().copied()).collect();
        timeline.sort_unstable();
        timeline.dedup();
        let step = |ts: Timestamp| timeline.binary_search(&ts).unwrap_or_else(|at| at);
        let mut samples = Vec::new();
        for (index, series) in many.iter().enumerate() {
            let one = Self::build(series, features, label);
            let width = one.columns.len();
            for i in 0..one.len() {
                let (start, end) =
                    (step(series.timestamps()[one.starts[i]]), step(series.timestamps()[one.ends[i]]));
                samples.push((
                    start,
                    index,
                    end,
                    one.starts[i],
                    one.rows[i * width..(i + 1) * width].to_vec(),
                    one.labels[i],
                    one.returns[i],
                ));
            }
        }
        samples.sort_by_key(|s| (s.0, s.1));
        let mut set = Self::empty(features);
        for (start, index, end, bar, row, value, forward_return) in samples {
            set.push(&row, (start, end), (index, bar), value, forward_return);
        }
        set.timeline = timeline;
        set
    }

    /// Adds one sample.
    fn push(
        &mut self,
        row: &[f64],
        (start, end): (usize, usize),
        (series, bar): (usize, usize),
        label: f64,
        forward_return: f64,
    ) {
        self.rows.extend_from_slice(row);
        self.starts.push(start);
        self.ends.push(end);
        self.series.push(series);
        self.bars.push(bar);
        self.labels.push(label);
        self.returns.push(forward_return);
    }

    /// One sample per event of a primary strategy (meta-labeling, AFML ch.
    /// 3.6): the row of the bar it decided on, labelled 1 when its trade
    /// made money net of costs, ending where the trade ended. A model of it
    /// learns which of the primary's trades to take.
    pub fn build_meta(series: &BarSeries, features: &FeatureSet, events: &[MetaEvent]) -> Self {
        let mut stream = features.stream();
        let rows: Vec<Option<Vec<f64>>> = (0..series.len()).map(|i| stream.push(&series.bar(i))).collect();
        let mut set = Self::empty(features);
        set.timeline = series.timestamps().to_vec();
        let mut events: Vec<&MetaEvent> = events.iter().filter(|e| e.end >= e.bar).collect();
        events.sort_by_key(|e| e.bar);
        for event in events {
            let Some(Some(row)) = rows.get(event.bar) else { continue };
            let value = f64::from(u8::from(event.net_return > 0.0));
            set.push(row, (event.bar, event.end), (0, event.bar), value, event.net_return);
        }
        set
    }

    /// A table of `features` with no sample yet.
    fn empty(features: &FeatureSet) -> Self {
        Self {
            columns: features.column_names().into_iter().map(str::to_owned).collect(),
            schema_hash: features.schema_hash(),
            timeline: Vec::new(),
            rows: Vec::new(),
            starts: Vec::new(),
            ends: Vec::new(),
            series: Vec::new(),
            bars: Vec::new(),
            labels: Vec::new(),
            returns: Vec::new(),
        }
    }

    /// Each column's distribution over the table (what a live model's
    /// features are checked against for drift); `None` for a constant column.
    pub fn feature_profile(&self) -> Vec<Option<crate::ab::Distribution>> {
        let width = self.columns.len();
        (0..width)
            .map(|c| {
                let values: Vec<f64> = self.rows.iter().skip(c).step_by(width.max(1)).copied().collect();
                crate::ab::Distribution::of(&values)
            })
            .collect()
    }

    /// Samples in the table.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Whether it has no sample.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The rows, labels and returns of the samples at `positions`.
    pub fn select(&self, positions: &[usize]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let width = self.columns.len();
        let mut rows = Vec::with_capacity(positions.len() * width);
        for &i in positions {
            rows.extend_from_slice(&self.rows[i * width..(i + 1) * width]);
        }
        let pick = |values: &[f64]| positions.iter().map(|&i| values[i]).collect();
        (rows, pick(&self.labels), pick(&self.returns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gt_model::{Bar, Symbol, Timestamp};

    #[test]
    fn meta_labels_sit_at_the_primarys_decisions_and_say_whether_its_trades_paid() {
        let mut series = BarSeries::with_capacity(Symbol::new("T"), 300);
        for i in 0..300 {
            let close = 100.0 + (i as f64 / 7.0).sin() * 5.0;
            let ts = Timestamp::from_nanos(i * 86_400_000_000_000);
            series.push(Bar { ts, open: close, high: close + 1.0, low: close - 1.0, close, volume: 1e6 });
        }
        let features = FeatureSet::named("default").unwrap();
        let events = [
            MetaEvent { bar: 5, end: 9, net_return: 0.02 },
            MetaEvent { bar: 150, end: 160, net_return: -0.01 },
            MetaEvent { bar: 120, end: 130, net_return: 0.03 },
        ];
        let meta = Dataset::build_meta(&series, &features, &events);
        assert_eq!(meta.starts, [120, 150], "in bar order; bar 5 is still warming up");
        assert_eq!(meta.ends, [130, 160]);
        assert_eq!(meta.labels, [1.0, 0.0]);
        assert_eq!(meta.returns, [0.03, -0.01]);
        let bars = Dataset::build(&series, &features, &LabelSpec::Forward { horizon: 1, cost: 0.0 });
        let at = |bar: usize| bars.starts.iter().position(|&s| s == bar).unwrap();
        let width = meta.columns.len();
        assert_eq!(
            &meta.rows[..width],
            &bars.rows[at(120) * width..(at(120) + 1) * width],
            "the same features"
        );
    }
}
