//! Feature sets: named, versioned lists of columns read from a streaming
//! indicator bank, and the stream that computes one row per bar.

use crate::MlError;
use chrono::{Datelike, Timelike};
use gt_indicators::{IndicatorBank, IndicatorHandle, IndicatorKey};
use gt_model::Bar;
use sha2::{Digest, Sha256};

/// One feature: a key of the bank as it is, or a column derived from keys.
#[derive(Clone, Debug, PartialEq)]
enum Column {
    /// The key's value.
    Key(IndicatorKey),
    /// Bollinger %B: where the close is between the lower (0) and upper (1) band.
    PercentB(IndicatorKey),
    /// Bollinger width: band distance over the middle band.
    BandWidth(IndicatorKey),
    /// The key's value in percent of the close (a price difference made scale-free).
    PerClose(IndicatorKey),
    /// The volume's z-score over `period` bars.
    VolumeZ(usize),
    /// Day of the week of the bar, Monday 0.
    DayOfWeek,
    /// Minute of the day of the bar (UTC).
    MinuteOfDay,
}

impl Column {
    /// The keys the column reads.
    fn keys(&self) -> Vec<IndicatorKey> {
        let key = |text: &str| text.parse::<IndicatorKey>().expect("a built-in key");
        match self {
            Column::Key(key) | Column::PerClose(key) => vec![*key],
            Column::PercentB(bands) | Column::BandWidth(bands) => {
                ["upper", "middle", "lower"].iter().map(|o| bands.output(o).expect("band outputs")).collect()
            }
            Column::VolumeZ(period) => {
                vec![key(&format!("sma({period})@volume")), key(&format!("stddev({period},1)@volume"))]
            }
            Column::DayOfWeek | Column::MinuteOfDay => Vec::new(),
        }
    }

    /// The column's definition, as the schema hash reads it.
    fn definition(&self) -> String {
        match self {
            Column::Key(key) => key.to_string(),
            Column::PercentB(bands) => format!("percent_b({bands})"),
            Column::BandWidth(bands) => format!("band_width({bands})"),
            Column::PerClose(key) => format!("per_close({key})"),
            Column::VolumeZ(period) => format!("volume_z({period})"),
            Column::DayOfWeek => "day_of_week".to_owned(),
            Column::MinuteOfDay => "minute_of_day".to_owned(),
        }
    }
}

/// A named, versioned list of feature columns.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureSet {
    name: String,
    version: u32,
    columns: Vec<(String, Column)>,
    /// [`FeatureSet::schema_hash`], computed once (a model compares it on every prediction).
    hash: String,
}

impl FeatureSet {
    /// The feature set called `name`; `default` is the only built-in one.
    pub fn named(name: &str) -> Result<Self, MlError> {
        match name {
            "default" => Ok(Self::default_set()),
            other => {
                Err(MlError::Spec(format!("unknown feature set {other:?}: the built-in one is `default`")))
            }
        }
    }

    /// `default` v1: lagged returns (1, 5, 20 bars), RSI, NATR, Bollinger %B and
    /// width, the MACD histogram, ROC, the volume's z-score, rolling volatility,
    /// day of week and minute of day.
    fn default_set() -> Self {
        let key = |text: &str| text.parse::<IndicatorKey>().expect("a built-in key");
        let bands = key("bb(20,2,2)");
        let columns = vec![
            ("return_1", Column::Key(key("roc(1)"))),
            ("return_5", Column::Key(key("roc(5)"))),
            ("return_20", Column::Key(key("roc(20)"))),
            ("rsi_14", Column::Key(key("rsi(14)"))),
            ("natr_14", Column::Key(key("natr(14)"))),
            ("bb_percent_b_20", Column::PercentB(bands)),
            ("bb_width_20", Column::BandWidth(bands)),
            ("macd_hist_pct", Column::PerClose(key("macd(12,26,9).hist"))),
            ("roc_10", Column::Key(key("roc(10)"))),
            ("volume_z_20", Column::VolumeZ(20)),
            ("volatility_20", Column::Key(key("stddev(20,1)@return"))),
            ("day_of_week", Column::DayOfWeek),
            ("minute_of_day", Column::MinuteOfDay),
        ];
        Self {
            name: "default".into(),
            version: 1,
            columns: columns.into_iter().map(|(n, c)| (n.into(), c)).collect(),
            hash: String::new(),
        }
        .hashed()
    }

    /// The set with its schema hash computed from its name, version and columns.
    fn hashed(mut self) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(format!("{}\n{}\n", self.name, self.version));
        for (name, column) in &self.columns {
            hasher.update(format!("{name}={}\n", column.definition()));
        }
        self.hash = hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect();
        self
    }

    /// The set's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The columns' names, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// The hash of the schema (name, version, each column's name and
    /// definition): a model keeps it and refuses features of another.
    pub fn schema_hash(&self) -> String {
        self.hash.clone()
    }

    /// Whether `hash` is this set's schema hash.
    pub fn has_schema(&self, hash: &str) -> bool {
        self.hash == hash
    }

    /// This set at another version (its schema, and so its hash, differs).
    pub fn at_version(mut self, version: u32) -> Self {
        self.version = version;
        self.hashed()
    }

    /// Bars before the first row: the longest lookback of the keys it reads.
    pub fn warmup_bars(&self) -> usize {
        self.columns.iter().flat_map(|(_, column)| column.keys()).map(|key| key.lookback()).max().unwrap_or(0)
    }

    /// A stream computing this set's rows, bar after bar.
    pub fn stream(&self) -> FeatureStream {
        FeatureStream::new(self)
    }
}

/// A column bound to its handles in one bank.
#[derive(Clone, Debug)]
enum Bound {
    Value(IndicatorHandle),
    PercentB { upper: IndicatorHandle, lower: IndicatorHandle },
    BandWidth { upper: IndicatorHandle, middle: IndicatorHandle, lower: IndicatorHandle },
    PerClose(IndicatorHandle),
    VolumeZ { mean: IndicatorHandle, deviation: IndicatorHandle },
    DayOfWeek,
    MinuteOfDay,
}

/// Computes a feature set's row at each bar from that bar and those before
/// it, with the same streaming indicators a strategy reads.
#[derive(Clone, Debug)]
pub struct FeatureStream {
    bank: IndicatorBank,
    columns: Vec<Bound>,
}

impl FeatureStream {
    fn new(set: &FeatureSet) -> Self {
        let mut bank = IndicatorBank::new();
        let columns = set
            .columns
            .iter()
            .map(|(_, column)| {
                let handles: Vec<IndicatorHandle> =
                    column.keys().into_iter().map(|k| bank.register(k)).collect();
                match column {
                    Column::Key(_) => Bound::Value(handles[0]),
                    Column::PercentB(_) => Bound::PercentB { upper: handles[0], lower: handles[2] },
                    Column::BandWidth(_) => {
                        Bound::BandWidth { upper: handles[0], middle: handles[1], lower: handles[2] }
                    }
                    Column::PerClose(_) => Bound::PerClose(handles[0]),
                    Column::VolumeZ(_) => Bound::VolumeZ { mean: handles[0], deviation: handles[1] },
                    Column::DayOfWeek => Bound::DayOfWeek,
                    Column::MinuteOfDay => Bound::MinuteOfDay,
                }
            })
            .collect();
        Self { bank, columns }
    }

    /// Takes the next bar; its row, once every column is warmed up and finite.
    pub fn push(&mut self, bar: &Bar) -> Option<Vec<f64>> {
        self.bank.update(bar);
        let bank = &self.bank;
        let value = |handle: IndicatorHandle| bank.value(handle);
        let time = bar.ts.to_utc();
        let mut row = Vec::with_capacity(self.columns.len());
        for column in &self.columns {
            let x = match *column {
                Bound::Value(handle) => value(handle)?,
                Bound::PercentB { upper, lower } => {
                    let (upper, lower) = (value(upper)?, value(lower)?);
                    if upper > lower { (bar.close - lower) / (upper - lower) } else { 0.5 }
                }
                Bound::BandWidth { upper, middle, lower } => (value(upper)? - value(lower)?) / value(middle)?,
                Bound::PerClose(handle) => 100.0 * value(handle)? / bar.close,
                Bound::VolumeZ { mean, deviation } => {
                    let deviation = value(deviation)?;
                    if deviation > 0.0 { (bar.volume - value(mean)?) / deviation } else { 0.0 }
                }
                Bound::DayOfWeek => f64::from(time.weekday().num_days_from_monday()),
                Bound::MinuteOfDay => f64::from(time.hour() * 60 + time.minute()),
            };
            if !x.is_finite() {
                return None;
            }
            row.push(x);
        }
        Some(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_set_has_its_columns_and_a_stable_hash() {
        let set = FeatureSet::named("default").unwrap();
        assert_eq!(set.column_names().len(), 13);
        assert_eq!(set.schema_hash(), set.clone().schema_hash());
        assert_eq!(set.schema_hash().len(), 16);
        let other = set.clone().at_version(2);
        assert_ne!(other.schema_hash(), set.schema_hash(), "the version is part of the schema");
        assert!(FeatureSet::named("fancy").unwrap_err().to_string().contains("`default`"));
        // The first row comes on the bar after the warm-up.
        let mut stream = set.stream();
        let first = (0..200)
            .position(|i| {
                let close = 100.0 + (i as f64 * 0.7).sin();
                let ts = gt_model::Timestamp::from_nanos(i * 60_000_000_000);
                stream
                    .push(&Bar { ts, open: close, high: close + 0.5, low: close - 0.5, close, volume: 1e3 })
                    .is_some()
            })
            .unwrap();
        assert_eq!(first, set.warmup_bars());
    }
}
