//! A training table: one row of features per labelled bar, with the bar it
//! starts at and the bar its label ends at.

use crate::{FeatureSet, LabelSpec};
use gt_model::BarSeries;

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
        let mut set = Self {
            columns: features.column_names().into_iter().map(str::to_owned).collect(),
            schema_hash: features.schema_hash(),
            rows: Vec::new(),
            starts: Vec::new(),
            ends: Vec::new(),
            labels: Vec::new(),
            returns: Vec::new(),
        };
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
