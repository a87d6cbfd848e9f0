//! End-to-end tests of the `gpt-trader` binary: defaults, outputs and the
//! one-line errors users get for bad input.

use assert_cmd::Command;
use proptest::prelude::*;
use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// The binary with its data folder (bar cache, run store, universes) in `dir`.
fn gpt_trader_in(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("gpt-trader").unwrap();
    command.env("GPT_TRADER_DATA", dir).env_remove("GPT_TRADER_DB");
    command
}

/// The binary, with its data folder (and so its run store) in a temporary directory.
fn gpt_trader() -> Command {
    let mut command = Command::cargo_bin("gpt-trader").unwrap();
    command.env(
        "GPT_TRADER_DATA",
        std::env::temp_dir().join(format!("gpt-trader-cli-tests-{}", std::process::id())),
    );
    command.env_remove("GPT_TRADER_DB");
    command
}

/// Runs `backtest --data FILE` on `content` and returns (exit code, stderr).
fn backtest_on(content: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bars.csv");
    std::fs::File::create(&path).unwrap().write_all(content).unwrap();
    let output = gpt_trader().args(["backtest", "--data"]).arg(&path).output().unwrap();
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn backtest_with_no_arguments_runs_on_the_bundled_sample() {
    let output = gpt_trader().arg("backtest").output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("demo_ma on GOOG"));
    assert!(stdout.contains("2004-08-19") && stdout.contains("2013-03-01"));
    assert!(stdout.contains("# Trades"));
}

#[test]
fn json_output_is_one_object_with_stats_trades_and_equity() {
    let output = gpt_trader().args(["backtest", "--format", "json"]).output().unwrap();
    assert!(output.status.success());
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let stats = report["stats"].as_object().unwrap();
    for key in [
        "start",
        "end",
        "duration_days",
        "exposure_time_pct",
        "equity_final",
        "equity_peak",
        "commissions",
        "return_pct",
        "buy_hold_return_pct",
        "return_ann_pct",
        "volatility_ann_pct",
        "cagr_pct",
        "sharpe_ratio",
        "sortino_ratio",
        "calmar_ratio",
        "alpha_pct",
        "beta",
        "max_drawdown_pct",
        "avg_drawdown_pct",
        "max_drawdown_duration_days",
        "avg_drawdown_duration_days",
        "trades",
        "win_rate_pct",
        "best_trade_pct",
        "worst_trade_pct",
        "avg_trade_pct",
        "max_trade_duration_days",
        "avg_trade_duration_days",
        "profit_factor",
        "expectancy_pct",
        "sqn",
        "kelly_criterion",
    ] {
        assert!(stats.contains_key(key), "missing statistic {key}");
    }
    assert_eq!(report["equity"].as_array().unwrap().len(), 2148);
    let trade = &report["trades"][0];
    for key in [
        "symbol",
        "size",
        "entry_bar",
        "exit_bar",
        "entry_time",
        "exit_time",
        "entry_price",
        "exit_price",
        "pnl",
        "commission",
        "return_pct",
    ] {
        assert!(trade.get(key).is_some(), "missing trade field {key}");
    }
    assert_eq!(trade["symbol"], "GOOG");
}

#[test]
fn trades_and_equity_csv_files_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let (trades, equity) = (dir.path().join("t.csv"), dir.path().join("e.csv"));
    gpt_trader()
        .args(["backtest", "--commission", "0.002", "--trades-out"])
        .arg(&trades)
        .arg("--equity-out")
        .arg(&equity)
        .assert()
        .success();
    let trades = std::fs::read_to_string(trades).unwrap();
    assert!(trades.starts_with("symbol,size,entry_bar,exit_bar,entry_time,exit_time,entry_price,exit_price,pnl,commission,return_pct,strategy\n"));
    assert_eq!(trades.lines().count(), 94);
    let equity = std::fs::read_to_string(equity).unwrap();
    assert!(equity.starts_with("time,equity,drawdown_pct\n2004-08-19,10000.0,0.0\n"));
    assert_eq!(equity.lines().count(), 2149);
}

#[test]
fn long_only_variant_never_holds_a_short() {
    let output =
        gpt_trader().args(["backtest", "--param", "allow_short=false", "--format", "json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let trades = report["trades"].as_array().unwrap();
    assert!(!trades.is_empty());
    assert!(trades.iter().all(|t| t["size"].as_f64().unwrap() > 0.0));
}

fn assert_fails_with(args: &[&str], expected: &str) {
    let output = gpt_trader().args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{args:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(output.stdout.is_empty(), "nothing on stdout on error");
}

#[test]
fn unknown_strategy_and_parameters_list_the_valid_ones() {
    assert_fails_with(
        &["backtest", "--strategy", "nope"],
        "unknown strategy 'nope'; valid strategies: demo_ma",
    );
    assert_fails_with(
        &["backtest", "--param", "short_window=5"],
        "strategy 'demo_ma' has no parameter 'short_window'; valid parameters: fast, slow, allow_short",
    );
    assert_fails_with(
        &["backtest", "--param", "fast=ten"],
        "parameter 'fast' of 'demo_ma': \"ten\" is not an integer",
    );
    assert_fails_with(&["backtest", "--param", "fast=30"], "fast (30) must be less than slow (20)");
    assert_fails_with(&["backtest", "--cash=-5", "--format", "json"], "--cash must be a positive amount");
    assert_fails_with(&["backtest", "--commission", "0.5"], "commission 0.5 is outside [0, 0.1)");
    // Negative numbers are values, refused for what they are.
    assert_fails_with(&["backtest", "--cash", "-100"], "--cash must be a positive amount, got -100");
    assert_fails_with(&["backtest", "--max-drawdown-pct", "-5"], "max_drawdown_pct = -5 must be > 0");
    // A whole number too large is out of range; a bound is never printed with 309 digits.
    assert_fails_with(
        &["backtest", "--param", "fast=99999999999999999999"],
        "99999999999999999999 is outside the valid range",
    );
    assert_fails_with(&["backtest", "--sizing", "units:-5"], "fixed units = -5 must be a finite number > 0");
}

#[test]
fn missing_file_is_reported() {
    assert_fails_with(&["backtest", "--data", "/nonexistent/bars.csv"], "/nonexistent/bars.csv: cannot read");
}

#[test]
fn each_bad_file_is_refused_with_file_line_and_field() {
    let head = "Date,Open,High,Low,Close,Volume\n";
    let cases: [(&str, &str); 10] = [
        ("", "no bars: the file is empty"),
        (head, "no bars: the file is empty"),
        ("Date,Open,High,Close\n2020-01-02,1,2,1\n", ":1: missing column(s) Low"),
        (
            "2020-01-03,1,2,1,2,1\n2020-01-02,1,2,1,2,1\n",
            ":3: field 'date': 2020-01-02 comes before the previous row's 2020-01-03",
        ),
        ("2020-01-02,1,2,1,2,1\n2020-01-02,1,2,1,2,1\n", ":3: field 'date': duplicate timestamp"),
        ("2020-01-02,1,2,abc,2,1\n", ":2: field 'low': \"abc\" is not a finite number"),
        ("2020-01-02,1,2,1,nan,1\n", ":2: field 'close': \"nan\" is not a finite number"),
        ("2020-01-02,-1,2,1,2,1\n", ":2: field 'open': -1 is negative or zero"),
        ("2020-01-02,1,1,2,1,1\n", ":2: field 'high': high 1 is below low 2"),
        ("2020-01-02,1,2,1,3,1\n", ":2: field 'close': 3 is outside the bar's range [low 1, high 2]"),
    ];
    for (rows, expected) in cases {
        let content = if rows.starts_with("Date") || rows.is_empty() {
            rows.to_owned()
        } else {
            format!("{head}{rows}")
        };
        let (code, stderr) = backtest_on(content.as_bytes());
        assert_eq!(code, 1, "{expected}: {stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains("bars.csv"), "{stderr}");
        assert!(stderr.contains(expected), "expected {expected:?} in {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1);
    }
}

#[test]
fn help_teaches_the_options() {
    let output = gpt_trader().args(["backtest", "--help"]).output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for needle in ["--data", "--param", "--trade-on-close", "--finalize-trades", "Examples:"] {
        assert!(help.contains(needle), "{needle}");
    }
}

#[test]
fn bench_prints_one_json_line_per_benchmark() {
    let output = gpt_trader()
        .args(["bench", "--repeat", "1", "--quick"])
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(line["name"], "sma_cross_1m");
    assert_eq!(line["bars"], 10_000, "--quick runs on 1/100 of the bars");
    assert!(line["seconds"].as_f64().unwrap() > 0.0);
    assert!(line["bars_per_s"].as_f64().unwrap() > 0.0);
    let names: Vec<String> = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "sma_cross_1m",
            "portfolio_500x10y",
            "cache_read_10y_1m",
            "cli_backtest_1m_csv",
            "cli_backtest_1m_cache",
            "ml_predict",
            "sweep_sma_grid",
            "sweep_sma_100",
            "sweep_sma_2000"
        ]
    );
    // The sweeps count their combinations and bar evaluations, and measure their memory.
    let line_of = |name: &str| -> Value {
        stdout.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|l| l["name"] == name).unwrap()
    };
    let grid = line_of("sweep_sma_grid");
    assert_eq!(
        (grid["combinations"].as_u64(), grid["bars"].as_u64()),
        (Some(300), Some(300 * 10_000)),
        "{grid}"
    );
    let sampled = line_of("sweep_sma_2000");
    assert_eq!(sampled["combinations"], 2_000, "{sampled}");
    for line in [&grid, &sampled] {
        assert!(line["memory"]["peak_rss_mb"].as_f64().is_some_and(|mb| mb > 1.0), "{line}");
        assert!(line["memory"]["single_run_rss_mb"].as_f64().is_some_and(|mb| mb > 1.0), "{line}");
    }
    // The model's benchmark times a live step's share per bar.
    let predict = line_of("ml_predict");
    assert!(predict["bars_per_s"].as_f64().unwrap() > 0.0, "{predict}");
    assert!(predict["per_bar_us"]["p99"].as_f64().unwrap() >= predict["per_bar_us"]["p50"].as_f64().unwrap());
    // The end-to-end ones say where their time goes.
    let csv = line_of("cli_backtest_1m_csv");
    for phase in ["load_s", "run_s", "stats_s"] {
        assert!(csv["phases"][phase].as_f64().unwrap() > 0.0, "{phase}: {csv}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever bytes a file holds, the binary answers with a result or one
    /// clear error line, never a panic.
    #[test]
    fn random_file_contents_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let (code, stderr) = backtest_on(&bytes);
        prop_assert!(code == 0 || code == 1, "exit {code}: {stderr}");
        prop_assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn sample_data_file_in_the_repository_equals_the_bundled_one() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample/GOOG.csv");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/GOOG.csv");
    assert_eq!(std::fs::read(shipped).unwrap(), std::fs::read(fixture).unwrap());
}

const STRATEGIES: [&str; 5] = ["demo_ma", "trend_breakout", "mean_reversion", "momentum", "volatility"];

#[test]
fn every_strategy_backtests_on_the_sample_and_on_another_csv() {
    let aapl = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/AAPL.csv");
    for strategy in STRATEGIES {
        for data in [None, Some(&aapl)] {
            let mut command = gpt_trader();
            command.args(["backtest", "--strategy", strategy, "--commission", "0.001", "--format", "json"]);
            if let Some(path) = data {
                command.arg("--data").arg(path);
            }
            let output = command.output().unwrap();
            assert!(output.status.success(), "{strategy}: {}", String::from_utf8_lossy(&output.stderr));
            let report: Value = serde_json::from_slice(&output.stdout).unwrap();
            assert!(report["stats"]["trades"].as_u64().unwrap() > 0, "{strategy} on {data:?} trades");
            let symbol = if data.is_some() { "AAPL" } else { "GOOG" };
            assert_eq!(report["trades"][0]["symbol"], symbol);
        }
    }
}

#[test]
fn strategies_lists_every_strategy_and_describes_one() {
    let output = gpt_trader().args(["strategies", "--format", "json"]).output().unwrap();
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, STRATEGIES);
    for strategy in listed.as_array().unwrap() {
        for param in strategy["params"].as_array().unwrap() {
            for key in ["name", "type", "default", "range", "help"] {
                assert!(param.get(key).is_some(), "{}: {key}", strategy["name"]);
            }
        }
    }
    let detail = gpt_trader().args(["strategies", "trend_breakout"]).output().unwrap();
    let text = String::from_utf8(detail.stdout).unwrap();
    for needle in ["Donchian", "lookback", "exit_lookback", "atr_period", "atr_stop", "0.1..=50", "false"] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    assert_fails_with(&["strategies", "nope"], "unknown strategy 'nope'");
}

#[test]
fn compare_runs_every_strategy_with_buy_and_hold_as_the_first_row() {
    let output =
        gpt_trader().args(["compare", "--commission", "0.001", "--format", "json"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
    let names: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["strategy"].as_str().unwrap()).collect();
    assert_eq!(names[0], "buy & hold");
    assert_eq!(&names[1..], STRATEGIES);
    assert_eq!(rows[0]["stats"]["trades"], 1, "the baseline's position is closed at the end");

    // A parameter aimed at one strategy changes that row only, matching a plain backtest.
    let output = gpt_trader()
        .args(["compare", "--strategy", "demo_ma", "--param", "demo_ma.fast=5", "--format", "json"])
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
    let single = gpt_trader().args(["backtest", "--param", "fast=5", "--format", "json"]).output().unwrap();
    let single: Value = serde_json::from_slice(&single.stdout).unwrap();
    assert_eq!(rows[1]["stats"], single["stats"]);

    assert_fails_with(&["compare", "--param", "fast=5"], "prefix it with the strategy name");
    let table = gpt_trader().arg("compare").output().unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("buy & hold") && text.contains("volatility") && text.contains("Sharpe"));
}

#[test]
fn start_and_end_cut_the_bars_and_the_warm_up_reads_the_bars_before_the_start() {
    let run = |args: &[&str]| -> Value {
        let output =
            gpt_trader().args(["backtest", "--no-save", "--format", "json"]).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let whole = run(&[]);
    let times: Vec<&str> =
        whole["equity"].as_array().unwrap().iter().map(|p| p["time"].as_str().unwrap()).collect();
    let inside = times.iter().filter(|t| ("2010-01-01".."2012-01-01").contains(*t)).count();
    let cut = run(&["--start", "2010-01-01", "--end", "2011-12-31"]);
    let equity = cut["equity"].as_array().unwrap();
    // demo_ma (slow 20) decides from its 21st bar: 20 bars before the start are kept.
    assert_eq!(equity.len(), inside + 20);
    let first_inside = times.iter().position(|t| *t >= "2010-01-01").unwrap();
    assert_eq!(equity[0]["time"], times[first_inside - 20]);
    assert_eq!(equity[equity.len() - 1]["time"], "2011-12-30");
    let trades = cut["trades"].as_array().unwrap();
    assert!(!trades.is_empty());
    for trade in trades {
        assert!(trade["entry_time"].as_str().unwrap() >= "2010-01-04", "{trade}");
        assert!(trade["exit_time"].as_str().unwrap() <= "2011-12-30", "{trade}");
    }
    // A date-time end includes its bar; the same window from a run file.
    let (_dir, path) = run_file("[data]\nstart = \"2010-01-01\"\nend = \"2011-12-30 00:00\"\n");
    let from_file = run(&["--config", path.to_str().unwrap()]);
    assert_eq!(from_file["stats"], cut["stats"]);
    let compared = gpt_trader()
        .args([
            "compare",
            "--strategy",
            "demo_ma",
            "--start",
            "2010-01-01",
            "--end",
            "2011-12-31",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&compared.stdout).unwrap();
    assert_eq!(rows[1]["stats"], cut["stats"]);

    assert_fails_with(&["backtest", "--start", "2012-01-01", "--end", "2011-01-01"], "is not before the end");
    assert_fails_with(&["backtest", "--start", "2011-13-01"], "--start \"2011-13-01\" is not a date");
    assert_fails_with(&["backtest", "--start", "2020-01-01"], "no bar of GOOG in the window");
    let (_dir, path) = run_file("[data]\nend = \"soon\"\n");
    assert_fails_with(&["backtest", "--config", path.to_str().unwrap()], "data.end \"soon\" is not a date");
}

/// The data behind a `--report` HTML file (its embedded JSON payload).
fn report_payload(path: &Path) -> Value {
    let html = std::fs::read_to_string(path).unwrap();
    let (_, rest) = html.split_once(r#"id="payload" type="application/json">"#).expect("a payload element");
    let (json, _) = rest.split_once("</script>").unwrap();
    serde_json::from_str(json).unwrap()
}

/// Buy & hold's return in a report's grey line: its last value against its first.
fn report_buy_and_hold_pct(payload: &Value) -> f64 {
    let line: Vec<f64> =
        payload["benchmark"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    (line[line.len() - 1] / line[0] - 1.0) * 100.0
}

#[test]
fn the_kill_switch_flattens_at_once_with_flatten_on_halt() {
    let run = |extra: &[&str]| -> Value {
        let output = gpt_trader()
            .args(["backtest", "--no-save", "--format", "json", "--max-drawdown-pct", "10"])
            .args(extra)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let (kept, flattened) = (run(&[]), run(&["--flatten-on-halt"]));
    let halted_at = flattened["risk"]["halted_at"].as_str().unwrap().to_owned();
    assert_eq!(kept["risk"]["halted_at"], halted_at);
    let last_exit =
        |report: &Value| report["trades"].as_array().unwrap().last().unwrap()["exit_time"].clone();
    // Without the flag the position is closed later, by the strategy; with it, at the halt's bar.
    assert_eq!(last_exit(&flattened), halted_at);
    assert!(last_exit(&kept).as_str().unwrap() > halted_at.as_str());
    // The run file's [risk] flatten_on_halt does the same.
    let (_dir, path) = run_file("[risk]\nmax_drawdown_pct = 10\nflatten_on_halt = true\n");
    assert_eq!(run(&["--config", path.to_str().unwrap()])["trades"], flattened["trades"]);
}

#[test]
fn an_adj_close_column_is_noted_and_applied_with_adjust() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("SPLIT.csv");
    // GOOG's bars with a 2:1 split halfway: the raw prices halve, Adj Close does not.
    let goog = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/GOOG.csv"))
        .unwrap();
    let mut csv = String::from("Date,Open,High,Low,Close,Adj Close,Volume\n");
    for (i, line) in goog.lines().skip(1).enumerate() {
        let f: Vec<f64> = line.split(',').skip(1).map(|v| v.parse().unwrap()).collect();
        let split = if i < 1000 { 1.0 } else { 0.5 };
        let date = line.split(',').next().unwrap();
        csv.push_str(&format!(
            "{date},{},{},{},{},{},{}\n",
            f[0] * split,
            f[1] * split,
            f[2] * split,
            f[3] * split,
            f[3],
            f[4]
        ));
    }
    std::fs::write(&path, csv).unwrap();
    // A JSON backtest with `args`: its report and what it said on stderr.
    let backtest = |args: &[&str]| {
        let output =
            gpt_trader().args(["backtest", "--no-save", "--format", "json"]).args(args).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        (
            serde_json::from_slice::<Value>(&output.stdout).unwrap(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let data = path.to_str().unwrap();
    let run = |extra: &[&str]| backtest(&[&["--data", data], extra].concat());
    let (raw, said) = run(&[]);
    assert!(
        said.contains("has an Adj Close column, which is not applied") && said.contains("--adjust"),
        "{said}"
    );
    let (adjusted, said) = run(&["--adjust"]);
    assert!(!said.contains("Adj Close"), "{said}");
    // Adjusted, the split is gone: the bars are GOOG's own, and so is the backtest.
    let (original, _) = backtest(&[]);
    let pct = |v: &Value| v["stats"]["buy_hold_return_pct"].as_f64().unwrap();
    assert!((pct(&adjusted) - pct(&original)).abs() < 1e-6, "{} vs {}", pct(&adjusted), pct(&original));
    assert!((pct(&raw) - pct(&original)).abs() > 100.0, "the raw split halves the return");
    // --adjust also applies to a run file's files, and [data] adjust = true does it alone.
    let file = dir.path().join("run.toml");
    std::fs::write(&file, "[data]\nfiles = [\"SPLIT.csv\"]\n").unwrap();
    let config = file.to_str().unwrap();
    let from_file = |extra: &[&str]| backtest(&[&["--config", config], extra].concat()).0;
    assert_eq!(pct(&from_file(&["--adjust"])), pct(&adjusted));
    std::fs::write(&file, "[data]\nfiles = [\"SPLIT.csv\"]\nadjust = true\n").unwrap();
    assert_eq!(pct(&from_file(&[])), pct(&adjusted));
}

#[test]
fn the_table_prints_no_negative_zero() {
    // No trade wins here: the profit factor is an empty sum over a loss, -0.0.
    let output = gpt_trader()
        .args(["backtest", "--no-save", "--param", "fast=500", "--param", "slow=600"])
        .output()
        .unwrap();
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.contains("Profit Factor"), "{table}");
    assert!(!table.contains("-0.000000"), "{table}");
}

#[test]
fn buy_and_hold_is_one_number_in_the_statistic_compare_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("goog.html");
    let output = gpt_trader()
        .args(["backtest", "--no-save", "--format", "json", "--report"])
        .arg(&html)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let statistic = serde_json::from_slice::<Value>(&output.stdout).unwrap()["stats"]["buy_hold_return_pct"]
        .as_f64()
        .unwrap();
    // backtesting.py's value for its Quick Start (from the end of the 20-bar warm-up).
    assert!((statistic - 607.370_360_621_216_2).abs() < 1e-9, "{statistic}");
    let rows: Value = serde_json::from_slice(
        &gpt_trader().args(["compare", "--strategy", "demo_ma", "--format", "json"]).output().unwrap().stdout,
    )
    .unwrap();
    assert_eq!(rows[0]["strategy"], "buy & hold");
    let baseline = rows[0]["stats"]["return_pct"].as_f64().unwrap();
    let in_row = rows[1]["stats"]["buy_hold_return_pct"].as_f64().unwrap();
    let chart = report_buy_and_hold_pct(&report_payload(&html));
    for (what, value) in
        [("compare's baseline", baseline), ("compare's demo_ma row", in_row), ("the report", chart)]
    {
        assert!(
            (value - statistic).abs() < 1e-9 * statistic.abs(),
            "{what}: {value} vs the statistic {statistic}"
        );
    }

    // Bars too few to warm up on: nothing is held, 0 % everywhere.
    let short = dir.path().join("short.csv");
    let mut csv = String::from("Date,Open,High,Low,Close\n");
    for day in 1..=12 {
        let close = 100.0 + f64::from(day);
        csv.push_str(&format!("2024-01-{day:02},{close},{},{},{close}\n", close + 1.0, close - 1.0));
    }
    std::fs::write(&short, csv).unwrap();
    let short_html = dir.path().join("short.html");
    let output = gpt_trader()
        .args(["backtest", "--no-save", "--format", "json", "--data"])
        .arg(&short)
        .arg("--report")
        .arg(&short_html)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stats = &serde_json::from_slice::<Value>(&output.stdout).unwrap()["stats"];
    assert_eq!(stats["buy_hold_return_pct"].as_f64(), Some(0.0));
    assert_eq!(report_buy_and_hold_pct(&report_payload(&short_html)), 0.0);
}

#[test]
fn portfolio_backtest_reports_risk_and_attribution_that_add_up() {
    let output = gpt_trader()
        .args([
            "backtest",
            "--universe",
            "sample",
            "--strategy",
            "momentum",
            "--max-gross-exposure-pct",
            "60",
        ])
        .args(["--stop-loss-pct", "10", "--commission", "0.001", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let refusals = report["risk"]["refusals"].as_array().unwrap();
    assert!(!refusals.is_empty(), "a 60 % gross limit refuses some entries of five symbols");
    for refusal in refusals {
        for key in ["time", "symbol", "strategy", "code", "detail"] {
            assert!(refusal.get(key).is_some(), "refusal field {key}");
        }
        assert_eq!(refusal["code"], "gross_exposure");
    }
    assert_eq!(report["risk"]["halted_at"], Value::Null);
    let by_strategy = report["attribution"]["by_strategy"].as_object().unwrap();
    let by_symbol = report["attribution"]["by_symbol"].as_object().unwrap();
    let total = |slices: &serde_json::Map<String, Value>| -> f64 {
        slices.values().map(|s| s["pnl"].as_f64().unwrap()).sum()
    };
    let profit = report["stats"]["equity_final"].as_f64().unwrap() - 10_000.0;
    assert!((total(by_strategy) - profit).abs() < 1e-6, "{} vs {profit}", total(by_strategy));
    assert!((total(by_symbol) - profit).abs() < 1e-6);
    assert_eq!(by_symbol.len(), 5);
    let trades: u64 = by_symbol.values().map(|s| s["trades"].as_u64().unwrap()).sum();
    assert_eq!(trades, report["stats"]["trades"].as_u64().unwrap());
}

#[test]
fn the_position_cap_holds_through_reversals() {
    // demo_ma with shorts reverses on every cross: a close and an entry the other way on one bar.
    let output = gpt_trader()
        .args([
            "backtest",
            "--strategy",
            "demo_ma",
            "--max-position-pct",
            "10",
            "--format",
            "json",
            "--no-save",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let equity: std::collections::HashMap<&str, f64> = report["equity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["time"].as_str().unwrap(), p["equity"].as_f64().unwrap()))
        .collect();
    let trades = report["trades"].as_array().unwrap();
    assert_eq!(trades.len(), 93);
    for trade in trades {
        let value = trade["size"].as_f64().unwrap().abs() * trade["entry_price"].as_f64().unwrap();
        let share = value / equity[trade["entry_time"].as_str().unwrap()] * 100.0;
        // Sized at the decision close, filled at the next open: one bar's move of room.
        assert!(share <= 10.0 * 1.1, "{share:.1} % of equity: {trade}");
    }
}

#[test]
fn kill_switch_halt_is_reported() {
    let output = gpt_trader()
        .args(["backtest", "--symbols", "AAPL", "--max-drawdown-pct", "15", "--format", "json"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(report["risk"]["halted_at"].is_string(), "{}", report["risk"]);
    assert!(report["risk"]["halt_reason"].as_str().unwrap().contains("reached the 15 % limit"));
    assert_eq!(report["risk"]["halt_code"], "max_drawdown");
}

#[test]
fn bad_risk_settings_are_all_reported_together() {
    assert_fails_with(
        &["backtest", "--max-drawdown-pct", "150", "--max-position-pct", "0"],
        "invalid risk settings: max_position_pct = 0 must be > 0 and <= 1000; max_drawdown_pct = 150 must be > 0 and <= 100",
    );
    assert_fails_with(&["backtest", "--symbols", "TSLA"], "symbol TSLA is not in the local cache");
    assert_fails_with(
        &["backtest", "--symbols", "TSLA"],
        "nor the bundled sample (AAPL, FB, GOOG, IBM, MSFT); fetch it with `gpt-trader data fetch --source yahoo --symbols TSLA --start 2015-01-01`",
    );
    assert_fails_with(
        &["backtest", "--universe", "sp500"],
        "unknown universe 'sp500'; known: sample, us_liquid",
    );
}

fn run_file(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn run_file_describes_a_multi_strategy_portfolio_and_the_command_line_wins() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/portfolio.toml");
    let json = |extra: &[&str]| -> Value {
        let output = gpt_trader()
            .args(["backtest", "--config"])
            .arg(&example)
            .args(extra)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let report = json(&[]);
    let sleeves: Vec<&String> = report["attribution"]["by_strategy"].as_object().unwrap().keys().collect();
    assert_eq!(sleeves, ["revert", "trend"]);
    let symbols: Vec<&String> = report["attribution"]["by_symbol"].as_object().unwrap().keys().collect();
    assert_eq!(symbols, ["AAPL", "IBM", "MSFT"]);
    assert!(
        report["trades"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["strategy"] != "revert" || t["symbol"] != "IBM"),
        "revert trades AAPL and MSFT only"
    );
    // The file says cash = 100000; the command line says otherwise and wins.
    let overridden = json(&["--cash", "50000"]);
    assert_eq!(overridden["equity"][0]["equity"], 50_000.0);
    assert_eq!(report["equity"][0]["equity"], 100_000.0);
}

#[test]
fn dynamic_allocation_reweights_sleeves_on_their_own_symbols() {
    let (_dir, path) = run_file(
        r#"
        [data]
        universe = "sample"
        symbols = ["AAPL", "IBM"]
        [allocation]
        method = "inverse_vol"
        rebalance = "monthly"
        lookback = 40
        [[strategies]]
        name = "apple"
        strategy = "momentum"
        symbols = ["AAPL"]
        [[strategies]]
        name = "ibm"
        strategy = "momentum"
        symbols = ["IBM"]
        "#,
    );
    let output =
        gpt_trader().args(["backtest", "--config"]).arg(&path).args(["--format", "json"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let rebalances = report["rebalances"].as_array().unwrap();
    assert!(rebalances.len() > 100, "monthly over 13 years");
    let weights = &rebalances[0]["weights"];
    let (apple, ibm) = (weights["apple"].as_f64().unwrap(), weights["ibm"].as_f64().unwrap());
    assert!((apple + ibm - 1.0).abs() < 1e-12);
    assert!(ibm > apple, "AAPL was the more volatile in 2000: {apple} vs {ibm}");
}

#[test]
fn run_file_problems_are_reported_together_with_their_paths() {
    let (_dir, path) = run_file("[execution]\ncash = \"lots\"\n[risk]\nmax_drawdwn_pct = 20\n");
    let output = gpt_trader().args(["backtest", "--config"]).arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("execution.cash: expected a number"), "{stderr}");
    assert!(stderr.contains("risk.max_drawdwn_pct: unknown key"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1);
}

#[test]
fn a_run_file_with_ten_mistakes_gets_all_ten_in_one_error_with_their_key_paths() {
    let (_dir, path) = run_file(
        r#"
        [output]
        format = "yaml"
        [execution]
        cash = -5
        commission = 0.5
        [risk]
        max_drawdown_pct = 150
        sizing = "half"
        [allocation]
        method = "magic"
        [[strategies]]
        strategy = "demo_ma"
        params = { fast = "quick", slow = 10 }
        [[strategies]]
        strategy = "moon_shot"
        [[strategies]]
        strategy = "trend_breakout"
        params = { lookbak = 20 }
        [[strategies]]
        strategy = "demo_ma"
        name = "demo_ma"
        params = { fast = 5, slow = 10 }
        "#,
    );
    let output = gpt_trader().args(["backtest", "--config"]).arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    let expected = [
        "output.format = \"yaml\"",
        "execution.cash = -5",
        "execution.commission = 0.5",
        "risk.max_drawdown_pct = 150",
        "risk.sizing: expected as-requested",
        "allocation.method = \"magic\"",
        "strategies[0].params.fast:",
        "strategies[1].strategy: ",
        "strategies[2].params.lookbak:",
        "strategies[3].name: two [[strategies]] are named 'demo_ma'",
    ];
    for mistake in expected {
        assert!(stderr.contains(mistake), "missing {mistake:?} in {stderr}");
    }
    // Exactly these: every problem starts with its key path.
    let (_, problems) = stderr.trim_end().split_once(".toml: ").unwrap();
    let sections = ["output.", "data.", "execution.", "risk.", "allocation.", "strategies["];
    let listed = problems.split("; ").filter(|p| sections.iter().any(|s| p.starts_with(s))).count();
    assert_eq!(listed, expected.len(), "exactly ten: {stderr}");
}

#[test]
fn backtests_are_recorded_and_runs_can_be_listed_shown_compared_exported_and_deleted() {
    let data = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let output = gpt_trader_in(data.path()).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    };
    let first: Value =
        serde_json::from_str(&cli(&["backtest", "--param", "fast=5", "--format", "json"])).unwrap();
    let second: Value = serde_json::from_str(&cli(&[
        "backtest",
        "--commission",
        "0.001",
        "--strategy",
        "momentum",
        "--symbols",
        "AAPL,MSFT",
        "--format",
        "json",
    ]))
    .unwrap();
    cli(&["backtest", "--no-save"]);
    let (a, b) = (first["run_id"].as_str().unwrap(), second["run_id"].as_str().unwrap());

    let listed: Value = serde_json::from_str(&cli(&["runs", "list", "--format", "json"])).unwrap();
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [b, a], "newest first; --no-save saved nothing");
    for key in ["id", "created_at", "strategy", "symbols", "params", "stats"] {
        assert!(listed[0].get(key).is_some(), "{key}");
    }
    assert_eq!(listed[0]["symbols"], serde_json::json!(["AAPL", "MSFT"]));
    assert_eq!(listed[1]["params"]["fast"], 5, "parameters are stored as typed values");
    let table = cli(&["runs", "list"]);
    assert!(table.contains("fast=5"), "the list shows parameters: {table}");
    assert!(table.contains("commission=0.001"), "and costs: {table}");
    assert_eq!(listed[1]["stats"], first["stats"], "the stored statistics are the printed ones");

    let filtered: Value =
        serde_json::from_str(&cli(&["runs", "list", "--symbol", "GOOG", "--format", "json"])).unwrap();
    assert_eq!(filtered.as_array().unwrap().len(), 1);
    let sorted: Value =
        serde_json::from_str(&cli(&["runs", "list", "--sort", "return_pct", "--format", "json"])).unwrap();
    let returns: Vec<f64> =
        sorted.as_array().unwrap().iter().map(|r| r["stats"]["return_pct"].as_f64().unwrap()).collect();
    assert!(returns[0] >= returns[1]);

    let shown: Value = serde_json::from_str(&cli(&["runs", "show", a, "--format", "json"])).unwrap();
    // A unique start of an id names the run, as in git.
    let by_prefix: Value =
        serde_json::from_str(&cli(&["runs", "show", &a[..a.len() - 2], "--format", "json"])).unwrap();
    assert_eq!(by_prefix["id"], shown["id"]);
    assert_eq!(shown["trades"], first["trades"]);
    assert_eq!(shown["equity"], first["equity"]);
    assert!(shown["data_fingerprint"].as_str().unwrap().len() == 16);
    let compared: Value = serde_json::from_str(&cli(&["runs", "compare", a, b, "--format", "json"])).unwrap();
    assert_eq!((compared[0]["id"].as_str(), compared[1]["id"].as_str()), (Some(a), Some(b)));
    assert_eq!(compared[0]["stats"], shown["stats"]);
    // The backtest table's labels, order and formats (a count is no 93.0000).
    let compared = cli(&["runs", "compare", a, b]);
    for row in ["Return [%]", "Sharpe Ratio", "Max. Drawdown [%]"] {
        assert!(compared.contains(row), "{row} in {compared}");
    }
    let trades_row = compared.lines().find(|l| l.contains("# Trades")).unwrap();
    assert!(!trades_row.contains('.'), "{trades_row}");
    assert!(compared.find("Return [%]").unwrap() < compared.find("# Trades").unwrap());
    let csv = cli(&["runs", "export", a, "--format", "csv"]);
    assert_eq!(csv.lines().count(), first["trades"].as_array().unwrap().len() + 1);
    // The same columns, in the same order, as --trades-out writes.
    assert_eq!(
        csv.lines().next().unwrap(),
        "symbol,size,entry_bar,exit_bar,entry_time,exit_time,entry_price,exit_price,pnl,commission,return_pct,strategy"
    );

    let page = data.path().join("run.html");
    assert!(cli(&["runs", "report", a, page.to_str().unwrap()]).contains("Wrote"));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("TradingView Lightweight Charts") && html.contains("\"benchmark\":["));

    assert!(cli(&["runs", "delete", a]).contains("Deleted"));
    let output = gpt_trader_in(data.path()).args(["runs", "show", a]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains(&format!("no run {a}")));
}

#[test]
fn concurrent_processes_writing_runs_lose_nothing() {
    let data = tempfile::tempdir().unwrap();
    let binary = assert_cmd::cargo::cargo_bin("gpt-trader");
    // Six processes at once on one new SQLite store (each also creates the schema if first).
    let children: Vec<_> = (0..6)
        .map(|i| {
            std::process::Command::new(&binary)
                .env("GPT_TRADER_DATA", data.path())
                .args(["backtest", "--param", &format!("fast={}", 5 + i), "--format", "json"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let output = gpt_trader_in(data.path()).args(["runs", "list", "--format", "json"]).output().unwrap();
    let runs: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut fasts: Vec<i64> =
        runs.as_array().unwrap().iter().map(|r| r["params"]["fast"].as_i64().unwrap()).collect();
    fasts.sort();
    assert_eq!(fasts, [5, 6, 7, 8, 9, 10]);
}

#[test]
fn imported_csv_files_are_cached_listed_shown_and_backtested_by_symbol() {
    let data = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let output = gpt_trader_in(data.path()).args(args).output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    // Import the first half of the file, then all of it: the second import merges.
    let goog = std::fs::read_to_string(fixtures.join("GOOG.csv")).unwrap();
    let half: String = goog.lines().take(1_000).map(|l| format!("{l}\n")).collect();
    let half_path = data.path().join("half.csv");
    std::fs::write(&half_path, half).unwrap();
    let (code, out, err) = cli(&["data", "import", half_path.to_str().unwrap(), "--symbol", "goog"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("GOOG 1d: 999 bars cached"), "{out}");
    let (_, out, _) =
        cli(&["data", "import", fixtures.join("GOOG.csv").to_str().unwrap(), "--symbol", "GOOG"]);
    assert!(out.contains("GOOG 1d: 2148 bars cached"), "{out}");

    let (_, out, _) = cli(&["data", "list", "--format", "json"]);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        listed,
        serde_json::json!([{"symbol": "GOOG", "interval": "1d", "first": "2004-08-19", "last": "2013-03-01", "rows": 2148, "source": "csv"}])
    );
    let (_, out, _) = cli(&["data", "show", "GOOG", "--rows", "2"]);
    assert!(out.contains("2004-08-19") && out.contains("2013-03-01") && out.contains("…"), "{out}");
    // Daily bars resample into weeks keyed by their Monday, none left out.
    let (code, out, err) = cli(&["data", "resample", "GOOG", "--from", "1d", "--to", "1w"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("GOOG: 2148 1d bars -> 446 1w bars") && !err.contains("left out"), "{out}{err}");

    // --symbols reads the cache: the same result as the file itself.
    let (_, cached, _) = cli(&["backtest", "--symbols", "GOOG", "--no-save", "--format", "json"]);
    let (_, from_file, _) = cli(&[
        "backtest",
        "--data",
        fixtures.join("GOOG.csv").to_str().unwrap(),
        "--no-save",
        "--format",
        "json",
    ]);
    let (cached, from_file): (Value, Value) =
        (serde_json::from_str(&cached).unwrap(), serde_json::from_str(&from_file).unwrap());
    assert_eq!(cached["stats"], from_file["stats"]);

    let (code, _, err) =
        cli(&["data", "import", fixtures.join("GOOG.csv").to_str().unwrap(), "--symbol", "../x"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("is not a ticker"), "{err}");
    let (code, out, _) = cli(&["data", "show", "GOOG", "--rows", "2", "--format", "json"]);
    assert_eq!(code, Some(0));
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((shown["symbol"].as_str(), shown["rows"].as_u64()), (Some("GOOG"), Some(2148)));
    assert_eq!(
        (shown["first"][0]["time"].as_str(), shown["last"][1]["time"].as_str()),
        (Some("2004-08-19"), Some("2013-03-01"))
    );
    assert!(shown["first"][1]["close"].is_number() && shown["last"].as_array().unwrap().len() == 2);
    let (code, _, err) = cli(&["data", "show", "MSFT"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("MSFT 1d is not cached; import it with"), "{err}");
    // An interval the cache does not know, or one that does not fit the bars, is refused.
    let goog_path = fixtures.join("GOOG.csv");
    let goog_file = goog_path.to_str().unwrap();
    let (code, _, err) = cli(&["data", "import", goog_file, "--symbol", "G2", "--interval", "7q"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("--interval \"7q\" is not an interval"), "{err}");
    let (code, _, err) = cli(&["data", "import", goog_file, "--symbol", "G2", "--interval", "1m"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("these are daily bars; import them with --interval 1d"), "{err}");
    assert!(!data.path().join("bars/7q").exists() && !data.path().join("bars/1m").exists());
    // Bars at cached times with other prices are refused unless --replace.
    let mut rows: Vec<String> = goog.lines().map(str::to_owned).collect();
    let fields: Vec<&str> = rows[5].split(',').collect();
    let close: f64 = fields[4].parse().unwrap();
    rows[5] =
        format!("{},{},{},{},{},{}", fields[0], fields[1], fields[2], fields[3], close * 1.01, fields[5]);
    let different = data.path().join("different.csv");
    std::fs::write(&different, rows.join("\n") + "\n").unwrap();
    let (code, _, err) = cli(&["data", "import", different.to_str().unwrap(), "--symbol", "GOOG"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("1 bars of the file differ from the cached GOOG 1d bars"), "{err}");
    let (code, out, err) =
        cli(&["data", "import", different.to_str().unwrap(), "--symbol", "GOOG", "--replace"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("GOOG 1d: 2148 bars cached"), "{out}");
}

#[test]
fn universes_come_from_a_toml_file_in_the_data_folder() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("universes.toml"), "tech = [\"AAPL\", \"MSFT\"]\n").unwrap();
    let run = |universe: &str| {
        gpt_trader_in(data.path())
            .args(["backtest", "--universe", universe, "--no-save", "--format", "json"])
            .output()
            .unwrap()
    };
    let output = run("tech");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let symbols: Vec<&String> = report["attribution"]["by_symbol"].as_object().unwrap().keys().collect();
    assert_eq!(symbols, ["AAPL", "MSFT"]);
    let missing = run("us_liquid");
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("symbol SPY is not in the local cache"));
    let unknown = run("nope");
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("unknown universe 'nope'; known: sample, us_liquid, tech")
    );
}

#[test]
fn intraday_bars_are_resampled_on_nyse_sessions() {
    let data = tempfile::tempdir().unwrap();
    // 2024-01-10, one-minute bars 09:25-09:44 New York (14:25-14:44 UTC): five before the open.
    let mut csv = String::from("Date,Open,High,Low,Close,Volume\n");
    for minute in 0..20 {
        csv += &format!("2024-01-10 14:{:02}:00,{p},{p},{p},{p},100\n", 25 + minute, p = 100 + minute);
    }
    let file = data.path().join("min.csv");
    std::fs::write(&file, csv).unwrap();
    let run = |args: &[&str]| gpt_trader_in(data.path()).args(args).output().unwrap();
    // Times of day without an offset could be UTC or New York's: the import asks which.
    let naive = run(&["data", "import", file.to_str().unwrap(), "--symbol", "X", "--interval", "1m"]);
    let said = String::from_utf8_lossy(&naive.stderr);
    assert!(
        !naive.status.success() && said.contains("have no UTC offset") && said.contains("--timezone"),
        "{said}"
    );
    let utc = ["--timezone", "UTC"];
    assert!(
        run(&[&["data", "import", file.to_str().unwrap(), "--symbol", "X", "--interval", "1m"][..], &utc]
            .concat())
        .status
        .success()
    );
    let output = run(&["data", "resample", "X", "--from", "1m", "--to", "5m"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("X: 20 1m bars -> 3 5m bars"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The five bars before the open are said to be left out.
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("note: 5 of 20 bars fall outside NYSE sessions"), "{said}");
    // The same minutes written as New York times, read with their zone.
    let mut local = String::from("Date,Open,High,Low,Close,Volume\n");
    for minute in 0..20 {
        local += &format!("2024-01-10 09:{:02}:00,{p},{p},{p},{p},100\n", 25 + minute, p = 100 + minute);
    }
    let local_file = data.path().join("local.csv");
    std::fs::write(&local_file, local).unwrap();
    let imported = run(&[
        "data",
        "import",
        local_file.to_str().unwrap(),
        "--symbol",
        "Y",
        "--interval",
        "1m",
        "--timezone",
        "America/New_York",
    ]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    let output = run(&["data", "resample", "Y", "--from", "1m", "--to", "5m"]);
    assert!(String::from_utf8_lossy(&output.stdout).contains("Y: 20 1m bars -> 3 5m bars"));
    let bad_zone = run(&[
        "data",
        "import",
        local_file.to_str().unwrap(),
        "--symbol",
        "Z",
        "--interval",
        "1m",
        "--timezone",
        "Mars/Olympus",
    ]);
    assert!(String::from_utf8_lossy(&bad_zone.stderr).contains("is not a time zone"));
    let listed: Value = serde_json::from_slice(&run(&["data", "list", "--format", "json"]).stdout).unwrap();
    let five = listed.as_array().unwrap().iter().find(|e| e["interval"] == "5m").unwrap();
    assert_eq!(
        (five["first"].as_str(), five["rows"].as_u64(), five["source"].as_str()),
        (Some("2024-01-10 14:30:00"), Some(3), Some("resampled from 1m"))
    );
    let bad = run(&["data", "resample", "X", "--to", "7x"]);
    assert_eq!(bad.status.code(), Some(1));
    // Bars cannot be split: 5m to 1m (or to 5m again) is refused, not an empty series.
    for to in ["1m", "5m"] {
        let upsampled = run(&["data", "resample", "X", "--from", "5m", "--to", to]);
        assert_eq!(upsampled.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&upsampled.stderr);
        assert!(stderr.contains("only aggregates bars into longer ones"), "{stderr}");
    }
    let shown = String::from_utf8(run(&["data", "show", "X", "--interval", "5m"]).stdout).unwrap();
    assert!(shown.starts_with("X 5m: 3 bars, source: resampled from 1m"), "{shown}");
}

#[test]
fn an_unusable_run_store_fails_before_the_run() {
    let output =
        gpt_trader().args(["backtest", "--db", "mysql://nowhere/db", "--format", "json"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "nothing printed: the run did not happen");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unsupported database URL") && stderr.contains("--no-save"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1);

    // A server that is not there and a file that is no database: the real
    // cause, said once, at once (not a pool timing out after 30 s).
    let not_a_database = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(not_a_database.path(), "Date,Open\n2020-01-01,1\n").unwrap();
    let cases = [
        ("postgres://trader@127.0.0.1:9/runs".to_owned(), "Connection refused"),
        (format!("sqlite://{}", not_a_database.path().display()), "file is not a database"),
    ];
    for (url, cause) in cases {
        let started = std::time::Instant::now();
        let output = gpt_trader().args(["backtest", "--db", &url]).output().unwrap();
        assert!(started.elapsed() < Duration::from_secs(10), "{url}: {:?}", started.elapsed());
        assert_eq!(output.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.matches(cause).count(), 1, "{url}: the cause once: {stderr}");
    }
}

#[test]
fn an_output_that_cannot_be_written_fails_before_the_run_and_records_nothing() {
    let data = tempfile::tempdir().unwrap();
    let runs = || -> Vec<Value> {
        let output = gpt_trader_in(data.path()).args(["runs", "list", "--format", "json"]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice::<Value>(&output.stdout).unwrap().as_array().unwrap().clone()
    };
    let missing_folder = data.path().join("no/such/folder/out.html");
    let cases: [(&str, &std::path::Path, &str); 3] = [
        ("--report", &missing_folder, "does not exist"),
        ("--trades-out", data.path(), "is a folder"),
        ("--equity-out", &data.path().join("nowhere/equity.csv"), "does not exist"),
    ];
    for (option, path, says) in cases {
        let output =
            gpt_trader_in(data.path()).args(["backtest", option, path.to_str().unwrap()]).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{option}");
        assert!(output.stdout.is_empty(), "{option}: the run did not happen");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(option) && stderr.contains(says), "{option}: {stderr}");
        assert!(runs().is_empty(), "{option}: a failed command recorded a run");
    }
    // With a writable path the same run is recorded, once.
    let report = data.path().join("out.html");
    let output =
        gpt_trader_in(data.path()).args(["backtest", "--report", report.to_str().unwrap()]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(runs().len(), 1);
    assert!(
        std::fs::read_dir(data.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".gpt-trader-write-check"))
    );
}

#[test]
fn a_warm_up_longer_than_the_data_is_warned_of() {
    let output = gpt_trader()
        .args(["backtest", "--param", "fast=5000", "--param", "slow=6000", "--no-save"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("warning: demo_ma needs 5999 bars to warm up and GOOG has 2148"), "{stderr}");
    let quiet = gpt_trader().args(["backtest", "--no-save"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("warm up"));
}

#[test]
fn empty_symbol_names_are_refused() {
    for symbols in ["", ",,", "AAPL,,MSFT"] {
        assert_fails_with(&["backtest", "--symbols", symbols], "--symbols has an empty name");
        assert_fails_with(
            &["data", "fetch", "--source", "yahoo", "--symbols", symbols, "--start", "2020-01-01"],
            "--symbols has an empty name",
        );
    }
}

#[test]
fn an_empty_data_folder_variable_counts_as_unset() {
    let cwd = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("gpt-trader")
        .unwrap()
        .current_dir(cwd.path())
        .env("GPT_TRADER_DATA", "")
        .env("XDG_DATA_HOME", "")
        .env("HOME", home.path())
        .env_remove("GPT_TRADER_DB")
        .args(["backtest", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!cwd.path().join("runs.db").exists(), "the store went into the current folder");
    assert!(home.path().join(".local/share/gpt-trader/runs.db").exists());
}

#[test]
fn data_dir_option_wins_over_the_environment() {
    let (env_dir, flag_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/GOOG.csv");
    gpt_trader_in(env_dir.path())
        .args(["data", "import"])
        .arg(&fixture)
        .args(["--symbol", "GOOG", "--data-dir"])
        .arg(flag_dir.path())
        .assert()
        .success();
    assert!(flag_dir.path().join("bars/1d/GOOG.gtb").exists());
    assert!(!env_dir.path().join("bars").exists());
}

/// The label → number rows of a printed statistics table.
fn table_numbers(stdout: &str) -> Vec<(String, f64)> {
    stdout
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim_matches('│').split('┆').map(str::trim).collect();
            match cells[..] {
                [label, value] => value.parse::<f64>().ok().map(|v| (label.to_owned(), v)),
                _ => None,
            }
        })
        .collect()
}

#[test]
fn the_table_folds_the_equity_into_the_statistics_the_json_report_gives() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for args in [
        "--data GOOG.csv --commission 0.002 --finalize-trades",
        "--data BTC_hourly.csv --param fast=12 --param slow=48 --slippage-bps 3 --fractional",
        "--universe sample --strategy trend_breakout --max-position-pct 25 --stop-loss-pct 8",
    ] {
        let run = |extra: &[&str]| {
            let output = gpt_trader()
                .current_dir(&fixtures)
                .arg("backtest")
                .args(args.split_whitespace())
                .args(extra)
                .args(["--no-save"])
                .output()
                .unwrap();
            assert!(output.status.success(), "{args}: {}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8(output.stdout).unwrap()
        };
        let table = table_numbers(&run(&[]));
        let json: Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
        assert!(table.len() >= 25, "{args}: {table:?}");
        for (label, shown) in table {
            let key = json["stats"]
                .as_object()
                .unwrap()
                .keys()
                .find(|key| gpt_trader::analytics::label(key) == label)
                .unwrap_or_else(|| panic!("{args}: no key for {label}"));
            let want = json["stats"][key].as_f64().unwrap();
            assert!(
                (shown - want).abs() <= 1e-6 * want.abs().max(1.0),
                "{args}: {label}: table {shown}, json {want}"
            );
        }
    }
}

/// The example command lines of `--help` text: continued lines joined,
/// comments and redirections dropped, 'quoted words' kept whole.
fn help_examples(help: &str) -> Vec<Vec<String>> {
    let Some((_, after)) = help.split_once("Examples:") else { return Vec::new() };
    let mut lines: Vec<String> = Vec::new();
    let mut continued = false;
    for line in after.lines() {
        let text = line.trim();
        if continued {
            if let Some(last) = lines.last_mut() {
                last.push(' ');
                last.push_str(text.trim_end_matches('\\'));
            }
        } else if text.starts_with("gpt-trader ") {
            lines.push(text.trim_end_matches('\\').to_owned());
        } else if !lines.is_empty() && text.is_empty() {
            break;
        }
        continued = text.ends_with('\\');
    }
    lines
        .iter()
        .map(|line| {
            let line = line.split(" #").next().unwrap_or_default();
            let line = line.split(" > ").next().unwrap_or_default();
            let mut words = Vec::new();
            let mut quoted: Option<String> = None;
            for word in line.split_whitespace().skip(1) {
                match (&mut quoted, word.strip_prefix('\'')) {
                    (None, Some(rest)) if rest.ends_with('\'') => {
                        words.push(rest.trim_end_matches('\'').to_owned())
                    }
                    (None, Some(rest)) => quoted = Some(rest.to_owned()),
                    (Some(open), _) if word.ends_with('\'') => {
                        words.push(format!("{open} {}", word.trim_end_matches('\'')));
                        quoted = None;
                    }
                    (Some(open), _) => *open = format!("{open} {word}"),
                    (None, None) => words.push(word.to_owned()),
                }
            }
            words
        })
        .collect()
}

#[test]
fn every_subcommand_has_examples_that_parse() {
    let subcommands: [&[&str]; 33] = [
        &["backtest"],
        &["compare"],
        &["optimize"],
        &["walkforward"],
        &["strategies"],
        &["indicators"],
        &["studies"],
        &["data", "fetch"],
        &["data", "import"],
        &["data", "list"],
        &["data", "show"],
        &["data", "resample"],
        &["runs", "list"],
        &["runs", "show"],
        &["runs", "compare"],
        &["runs", "export"],
        &["runs", "report"],
        &["runs", "delete"],
        &["paper", "run"],
        &["paper", "status"],
        &["paper", "stop"],
        &["paper", "flatten"],
        &["paper", "kill"],
        &["paper", "resume"],
        &["paper", "list"],
        &["paper", "delete"],
        &["studies", "list"],
        &["studies", "show"],
        &["studies", "delete"],
        &["bench"],
        &["data"],
        &["runs"],
        &["paper"],
    ];
    for subcommand in subcommands {
        let help = gpt_trader().args(subcommand).arg("--help").output().unwrap();
        let text = String::from_utf8_lossy(&help.stdout).into_owned();
        let examples = help_examples(&text);
        // Short enough for an 80-column terminal: nothing is wrapped where it cannot be pasted.
        let section = text.split_once("Examples:").map_or("", |(_, after)| after);
        for line in section.lines().take_while(|l| !l.is_empty()) {
            assert!(line.chars().count() <= 80, "{subcommand:?}: example line over 80 columns: {line}");
        }
        let is_group = matches!(subcommand, ["data"] | ["runs"] | ["paper"] | ["bench"]);
        assert!(is_group || !examples.is_empty(), "{subcommand:?} has no examples:\n{text}");
        for example in examples {
            // --help after the example: clap checks every option and value given, then prints help.
            let output = gpt_trader().args(&example).arg("--help").output().unwrap();
            assert!(
                output.status.success(),
                "{subcommand:?} example {example:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}
