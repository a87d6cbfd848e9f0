//! A training table: one row of features per labelled bar, with the bar it
//! starts at and the bar its label ends at.

use crate::{FeatureSet, LabelSpec};

use gt_model::BarSeries;

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

/// Features and labels of one series' bars.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// The feature schema's hash.
    pub schema_hash: String,
    /// Row-major features, `columns.len()` per sample.
    pub rows: Vec<f64>,
    /// The bar of each sample.
    pub starts: Vec<usize>,
    /// The bar each sample's label ends at.
    pub ends: Vec<usize>,
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
        for at in 0..series.len() {
            let Some(row) = stream.push(&series.bar(at)) else { continue };
            let Some(known) = label.label(closes, at) else { continue };
            set.rows.extend(row);
            set.starts.push(at);
            set.ends.push(known.end);
            set.labels.push(known.value);
            set.returns.push(known.forward_return);
        }
        set
    }

    /// One sample per event of a primary strategy (meta-labeling, AFML ch.
    /// 3.6): the row of the bar it decided on, labelled 1 when its trade
    /// made money net of costs, ending where the trade ended. A model of it
    /// learns which of the primary's trades to take.
    pub fn build_meta(series: &BarSeries, features: &FeatureSet, events: &[MetaEvent]) -> Self {
        let mut stream = features.stream();
        let rows: Vec<Option<Vec<f64>>> = (0..series.len()).map(|i| stream.push(&series.bar(i))).collect();
        let mut set = Self::empty(features);
        let mut events: Vec<&MetaEvent> = events.iter().filter(|e| e.end >= e.bar).collect();
        events.sort_by_key(|e| e.bar);
        for event in events {
            let Some(Some(row)) = rows.get(event.bar) else { continue };
            set.rows.extend(row);
            set.starts.push(event.bar);
            set.ends.push(event.end);
            set.labels.push(f64::from(u8::from(event.net_return > 0.0)));
            set.returns.push(event.net_return);
        }
        set
    }

    /// A table of `features` with no sample yet.
    fn empty(features: &FeatureSet) -> Self {
        Self {
            columns: features.column_names().into_iter().map(str::to_owned).collect(),
            schema_hash: features.schema_hash(),
            rows: Vec::new(),
            starts: Vec::new(),
            ends: Vec::new(),
            labels: Vec::new(),
            returns: Vec::new(),
        }
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
