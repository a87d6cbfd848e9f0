//! Parity with backtesting.py 0.6.6: the binary's JSON report must equal the
//! reference results in `tests/fixtures` (see `generate_bt_fixtures.py`).
//!
//! Tolerances, stated once: statistics within 1e-6 relative; trades exactly
//! (sizes, bars, times, prices) with money within 1e-9 relative; equity within
//! 1e-9 relative.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const STATS_RELATIVE: f64 = 1e-6;
const MONEY_RELATIVE: f64 = 1e-9;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn close(expected: f64, actual: f64, relative: f64) -> bool {
    (expected - actual).abs() <= relative * expected.abs().max(actual.abs()).max(1e-12)
}

/// Runs `gpt-trader backtest ARGS --format json` in the fixtures folder.
fn report(args: &[String]) -> Value {
    let output = Command::cargo_bin("gpt-trader")
        .unwrap()
        .current_dir(fixtures())
        .arg("backtest")
        .args(args)
        .args(["--format", "json", "--no-save"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("stdout holds one JSON object")
}

fn assert_stats(case: &str, expected: &Value, actual: &Value) {
    for (key, want) in expected.as_object().unwrap() {
        let got = &actual[key];
        match (want.as_f64(), got.as_f64()) {
            (Some(w), Some(g)) => assert!(close(w, g, STATS_RELATIVE), "{case}: {key}: want {w}, got {g}"),
            _ => assert_eq!(want, got, "{case}: {key}"),
        }
    }
}

fn assert_trades(case: &str, expected: &[Value], actual: &[Value]) {
    assert_eq!(expected.len(), actual.len(), "{case}: number of trades");
    for (i, (want, got)) in expected.iter().zip(actual).enumerate() {
        for key in ["size", "entry_bar", "exit_bar", "entry_time", "exit_time", "entry_price", "exit_price"] {
            assert_eq!(want[key], got[key], "{case}: trade {i}: {key}");
        }
        for key in ["pnl", "commission", "return_pct"] {
            let (w, g) = (want[key].as_f64().unwrap(), got[key].as_f64().unwrap());
            assert!(close(w, g, MONEY_RELATIVE), "{case}: trade {i}: {key}: want {w}, got {g}");
        }
    }
}

fn assert_equity(case: &str, expected: &[Value], actual: &[Value]) {
    assert_eq!(expected.len(), actual.len(), "{case}: equity points");
    for (want, got) in expected.iter().zip(actual) {
        assert_eq!(want["time"], got["time"], "{case}");
        let (w, g) = (want["equity"].as_f64().unwrap(), got["equity"].as_f64().unwrap());
        assert!(close(w, g, MONEY_RELATIVE), "{case}: equity at {}: want {w}, got {g}", want["time"]);
        let (w, g) = (want["drawdown_pct"].as_f64().unwrap(), got["drawdown_pct"].as_f64().unwrap());
        assert!((w - g).abs() <= 1e-9, "{case}: drawdown at {}: want {w}, got {g}", want["time"]);
    }
}

#[test]
fn every_backtesting_py_case_is_reproduced() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(fixtures().join("bt"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 9, "fixtures missing: {cases:?}");
    for path in cases {
        let case = path.file_stem().unwrap().to_string_lossy().into_owned();
        let fixture: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let args: Vec<String> =
            fixture["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect();
        let ours = report(&args);
        assert_stats(&case, &fixture["stats"], &ours["stats"]);
        assert_trades(&case, fixture["trades"].as_array().unwrap(), ours["trades"].as_array().unwrap());
        assert_equity(&case, fixture["equity"].as_array().unwrap(), ours["equity"].as_array().unwrap());
    }
}

/// backtesting.py's printed label → our JSON key, for the Quick Start stats file.
const LABELS: [(&str, &str); 31] = [
    ("Duration", "duration_days"),
    ("Exposure Time [%]", "exposure_time_pct"),
    ("Equity Final [$]", "equity_final"),
    ("Equity Peak [$]", "equity_peak"),
    ("Commissions [$]", "commissions"),
    ("Return [%]", "return_pct"),
    ("Buy & Hold Return [%]", "buy_hold_return_pct"),
    ("Return (Ann.) [%]", "return_ann_pct"),
    ("Volatility (Ann.) [%]", "volatility_ann_pct"),
    ("CAGR [%]", "cagr_pct"),
    ("Sharpe Ratio", "sharpe_ratio"),
    ("Sortino Ratio", "sortino_ratio"),
    ("Calmar Ratio", "calmar_ratio"),
    ("Alpha [%]", "alpha_pct"),
    ("Beta", "beta"),
    ("Max. Drawdown [%]", "max_drawdown_pct"),
    ("Avg. Drawdown [%]", "avg_drawdown_pct"),
    ("Max. Drawdown Duration", "max_drawdown_duration_days"),
    ("Avg. Drawdown Duration", "avg_drawdown_duration_days"),
    ("# Trades", "trades"),
    ("Win Rate [%]", "win_rate_pct"),
    ("Best Trade [%]", "best_trade_pct"),
    ("Worst Trade [%]", "worst_trade_pct"),
    ("Avg. Trade [%]", "avg_trade_pct"),
    ("Max. Trade Duration", "max_trade_duration_days"),
    ("Avg. Trade Duration", "avg_trade_duration_days"),
    ("Profit Factor", "profit_factor"),
    ("Expectancy [%]", "expectancy_pct"),
    ("SQN", "sqn"),
    ("Kelly Criterion", "kelly_criterion"),
    ("Start", "start"),
];

/// The Quick Start files exactly as backtesting.py printed and saved them.
#[test]
fn quick_start_matches_the_published_reference_files() {
    let args: Vec<String> = "--data GOOG.csv --strategy demo_ma --param fast=10 --param slow=20 \
        --param allow_short=true --cash 10000 --commission 0.002"
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    let ours = report(&args);
    let reference = fixtures().join("reference");

    // Stats: "Label   value" lines; printed with 6 significant digits or so.
    let text = std::fs::read_to_string(reference.join("bt_smacross_goog.stats.txt")).unwrap();
    let mut checked = 0;
    for line in text.lines().skip(1) {
        let Some((label, key)) = LABELS.iter().find(|(label, _)| line.starts_with(&format!("{label} ")))
        else {
            continue;
        };
        let value = line[label.len()..].trim();
        if *key == "start" {
            assert!(value.starts_with(ours["stats"]["start"].as_str().unwrap()));
        } else {
            let printed: f64 = value.split(" days").next().unwrap().trim().parse().unwrap();
            let got = ours["stats"][key].as_f64().unwrap();
            let digits = value.split(" days").next().unwrap().split('.').nth(1).map_or(0, str::len);
            let half_unit = 0.5 * 10f64.powi(-(digits as i32));
            assert!(
                (got - printed).abs() <= half_unit.max(1e-6 * printed.abs()),
                "{key}: printed {printed}, got {got}"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, 31, "every statistic of the stats file was compared");

    // Trades: every column of every row.
    let mut trades = csv::Reader::from_path(reference.join("bt_smacross_goog.trades.csv")).unwrap();
    let ours_trades = ours["trades"].as_array().unwrap();
    let rows: Vec<csv::StringRecord> = trades.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 93);
    assert_eq!(ours_trades.len(), 93);
    for (row, got) in rows.iter().zip(ours_trades) {
        let field = |i: usize| row[i].parse::<f64>().unwrap();
        assert_eq!(field(0), got["size"].as_f64().unwrap());
        assert_eq!(field(1), got["entry_bar"].as_f64().unwrap());
        assert_eq!(field(2), got["exit_bar"].as_f64().unwrap());
        assert_eq!(field(3), got["entry_price"].as_f64().unwrap());
        assert_eq!(field(4), got["exit_price"].as_f64().unwrap());
        assert!(close(field(5), got["pnl"].as_f64().unwrap(), MONEY_RELATIVE));
        assert!(close(field(6), got["commission"].as_f64().unwrap(), MONEY_RELATIVE));
        assert!(close(field(7) * 100.0, got["return_pct"].as_f64().unwrap(), MONEY_RELATIVE));
        assert_eq!(&row[8], got["entry_time"].as_str().unwrap());
        assert_eq!(&row[9], got["exit_time"].as_str().unwrap());
    }

    // Equity curve: every bar.
    let mut equity = csv::Reader::from_path(reference.join("bt_smacross_goog.equity.csv")).unwrap();
    let ours_equity = ours["equity"].as_array().unwrap();
    let rows: Vec<csv::StringRecord> = equity.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), ours_equity.len());
    for (row, got) in rows.iter().zip(ours_equity) {
        assert_eq!(&row[0], got["time"].as_str().unwrap());
        assert!(close(row[1].parse().unwrap(), got["equity"].as_f64().unwrap(), MONEY_RELATIVE));
        let drawdown: f64 = row[2].parse().unwrap();
        assert!((drawdown * 100.0 - got["drawdown_pct"].as_f64().unwrap()).abs() < 1e-9);
    }
}
