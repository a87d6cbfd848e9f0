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

#[test]
fn json_rows_hold_the_csv_values_with_null_for_warm_up() {
    let goog = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/GOOG.csv");
    let run = |format: &str| {
        let output = Command::cargo_bin("gpt-trader")
            .unwrap()
            .args(["indicators", "--data"])
            .arg(&goog)
            .args(["--ind", "sma:5", "--ind", "bb:10,2", "--ind", "rsi:3", "--format", format])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let csv = run("csv");
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("stdout holds one JSON list");
    let rows = json.as_array().unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(rows.len(), lines.clone().count());
    for (line, row) in lines.zip(rows) {
        for (name, cell) in header.iter().zip(line.split(',')) {
            match (cell, &row[*name]) {
                ("", value) => assert!(value.is_null(), "{name}: {value}"),
                (text, serde_json::Value::String(s)) => assert_eq!(text, s, "{name}"),
                (text, value) => assert_eq!(text.parse::<f64>().unwrap(), value.as_f64().unwrap(), "{name}"),
            }
        }
    }
    assert!(rows[3]["sma_5"].is_null() && rows[4]["sma_5"].is_number());
}
