//! `gpt-trader indicators` writes exactly the layout and values of the TA-Lib
//! reference file (`crates/indicators/tests/fixtures/talib_goog_reference.csv`).

use assert_cmd::Command;
use std::path::Path;

#[test]
fn indicators_command_reproduces_the_talib_reference_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let reference_path = root.join("../indicators/tests/fixtures/talib_goog_reference.csv");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ind.csv");
    let mut command = Command::cargo_bin("gpt-trader").unwrap();
    command.args(["indicators", "--data"]).arg(root.join("tests/fixtures/GOOG.csv")).arg("--out").arg(&out);
    for spec in [
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
    ] {
        command.args(["--ind", spec]);
    }
    command.assert().success();

    let ours = std::fs::read_to_string(out).unwrap();
    let reference = std::fs::read_to_string(reference_path).unwrap();
    assert_eq!(ours.lines().count(), reference.lines().count());
    for (line, (mine, theirs)) in ours.lines().zip(reference.lines()).enumerate() {
        let (mine, theirs): (Vec<&str>, Vec<&str>) = (mine.split(',').collect(), theirs.split(',').collect());
        assert_eq!(mine.len(), theirs.len(), "line {line}");
        if line == 0 {
            assert_eq!(mine, theirs, "header");
            continue;
        }
        assert_eq!(mine[0], theirs[0], "date on line {line}");
        for (column, (a, b)) in mine.iter().zip(&theirs).enumerate().skip(1) {
            if b.is_empty() {
                assert!(a.is_empty(), "line {line} column {column}: TA-Lib undefined, ours {a}");
            } else {
                let (a, b): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
                assert!(
                    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) || (a - b).abs() < 1e-12,
                    "line {line} column {column}: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn unknown_indicator_lists_the_known_ones() {
    let output =
        Command::cargo_bin("gpt-trader").unwrap().args(["indicators", "--ind", "vwap:3"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown indicator 'vwap'; known: sma ema wma rsi"), "{stderr}");
}
