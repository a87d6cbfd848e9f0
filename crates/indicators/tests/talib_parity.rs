//! Every indicator equals TA-Lib 0.8.1 on GOOG daily (`tests/fixtures/talib_goog_reference.csv`,
//! computed with the Python `ta-lib` wrapper): within 1e-9 relative after its
//! warm-up, and undefined exactly where TA-Lib's value is empty.

use gt_indicators::IndicatorSpec;
use gt_model::{Bar, Timestamp};
use std::collections::HashMap;

const RELATIVE: f64 = 1e-9;

/// The specs whose columns the reference file holds.
const SPECS: [&str; 19] = [
    "sma:20",
    "ema:20",
    "wma:20",
    "rsi:14",
    "atr:14",
    "natr:14",
    "trange",
    "bb:20,2",
    "stddev:20",
    "macd:12,26,9",
    "roc:10",
    "mom:10",
    "max_high:20",
    "min_low:20",
    "adx:14",
    "stoch:14,3,3",
    "obv",
    "cci:20",
    "willr:14",
];

struct Reference {
    bars: Vec<Bar>,
    columns: HashMap<String, Vec<Option<f64>>>,
}

fn reference() -> Reference {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/talib_goog_reference.csv");
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let mut bars = Vec::new();
    let mut columns: HashMap<String, Vec<Option<f64>>> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let number =
            |name: &str| record[header.iter().position(|h| h == name).unwrap()].parse::<f64>().unwrap();
        bars.push(Bar {
            ts: Timestamp::from_nanos(i as i64),
            open: number("open"),
            high: number("high"),
            low: number("low"),
            close: number("close"),
            volume: number("volume"),
        });
        for (name, text) in header.iter().zip(record.iter()).skip(6) {
            columns.entry(name.clone()).or_default().push(if text.is_empty() {
                None
            } else {
                Some(text.parse().unwrap())
            });
        }
    }
    Reference { bars, columns }
}

#[test]
fn every_indicator_matches_talib_on_goog() {
    let reference = reference();
    let mut compared = 0;
    for spec in SPECS {
        let spec = IndicatorSpec::parse(spec).unwrap();
        let names = spec.columns();
        let mut indicator = spec.build().unwrap();
        let mut out = [0.0; 3];
        for (i, bar) in reference.bars.iter().enumerate() {
            indicator.update(bar, &mut out);
            for (name, ours) in names.iter().zip(&out) {
                let want = reference.columns[name][i];
                match want {
                    None => assert!(ours.is_nan(), "{name} bar {i}: TA-Lib undefined, ours {ours}"),
                    Some(want) => {
                        let error = (ours - want).abs();
                        assert!(
                            error <= RELATIVE * want.abs().max(ours.abs()) || error < 1e-12,
                            "{name} bar {i}: TA-Lib {want}, ours {ours}"
                        );
                    }
                }
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 24 * reference.bars.len(), "all 24 indicator columns compared");
}
