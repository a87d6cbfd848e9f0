//! End-to-end tests of `gpt-trader optimize`: parity with backtesting.py's
//! `Backtest.optimize`, trials equal to separate backtests, seeds, resumed
//! and sharded studies (SQLite and a real PostgreSQL), and clear errors.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A bound on every command: a sweep of these sizes takes well under a second.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The binary in the fixtures folder, its data folder (and run store) in `dir`.
fn gpt_trader(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("gpt-trader").unwrap();
    command
        .current_dir(fixtures())
        .env("GPT_TRADER_DATA", dir)
        .env_remove("GPT_TRADER_DB")
        .timeout(COMMAND_LIMIT);
    command
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

/// Runs `optimize ARGS --format json` and returns its JSON.
fn optimize(dir: &Path, args: &[String]) -> Value {
    let output = gpt_trader(dir).arg("optimize").args(args).args(["--format", "json"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("stdout holds one JSON object")
}

/// Starts `optimize ARGS` in the background (the test bounds its wait with
/// a watchdog), its output to `output()` (null or piped).
fn spawn_optimize(dir: &Path, args: &[String], output: fn() -> std::process::Stdio) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("gpt-trader"))
        .current_dir(fixtures())
        .env("GPT_TRADER_DATA", dir)
        .arg("optimize")
        .args(args)
        .stdout(output())
        .stderr(output())
        .spawn()
        .unwrap()
}

/// Runs `optimize ARGS` expecting a failure; returns stderr.
fn optimize_fails(dir: &Path, args: &str) -> String {
    let output = gpt_trader(dir).arg("optimize").args(words(args)).output().unwrap();
    assert!(!output.status.success(), "{args} should fail");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    // One line (clap adds a pointer to --help after its own), and nothing written before it.
    let first = stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: "), "{stderr}");
    assert!(stderr.lines().skip(1).all(|l| l.is_empty() || l.contains("--help")), "one line: {stderr}");
    stderr
}

/// `(fast, slow) -> trial` of a study's JSON.
fn by_pair(json: &Value) -> Vec<((i64, i64), Value)> {
    json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| ((t["params"]["fast"].as_i64().unwrap(), t["params"]["slow"].as_i64().unwrap()), t.clone()))
        .collect()
}

const GOOG_GRID: &str = "--data GOOG.csv --param fast=5..35:5 --param slow=10..120:10 --constraint fast<slow \
    --objective sqn --cash 10000 --commission 0.002";

#[test]
fn the_grid_matches_backtesting_py_optimize_on_goog() {
    let dir = tempfile::tempdir().unwrap();
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("reference/bt_optimize_goog_sqn.json")).unwrap(),
    )
    .unwrap();
    let ours = optimize(dir.path(), &[words(GOOG_GRID), words("--no-save")].concat());
    assert_eq!(ours["trials_count"], 72);
    assert_eq!(ours["best"]["params"], serde_json::json!({"fast": 10, "slow": 20}));
    assert_eq!(reference["best"], serde_json::json!({"n1": 10, "n2": 20}));
    let trials = by_pair(&ours);
    let all = reference["all"].as_array().unwrap();
    assert_eq!(all.len(), 72);
    for row in all {
        let (n1, n2, sqn) = (row[0].as_i64().unwrap(), row[1].as_i64().unwrap(), row[2].as_f64().unwrap());
        let (_, trial) =
            trials.iter().find(|(pair, _)| *pair == (n1, n2)).expect("every reference pair is run");
        let ours = trial["value"].as_f64().unwrap();
        assert!(
            (ours - sqn).abs() <= 1e-6 * sqn.abs(),
            "SQN of {n1}/{n2}: backtesting.py {sqn}, ours {ours}"
        );
    }
    // Ranked as backtesting.py ranks them.
    let order: Vec<(i64, i64)> = trials.iter().take(5).map(|(pair, _)| *pair).collect();
    let reference_order: Vec<(i64, i64)> =
        all.iter().take(5).map(|r| (r[0].as_i64().unwrap(), r[1].as_i64().unwrap())).collect();
    assert_eq!(order, reference_order);
}

#[test]
fn every_trial_equals_the_backtest_of_its_parameters() {
    let dir = tempfile::tempdir().unwrap();
    // A window, so that trials warming up for different lengths are cut as a backtest cuts them.
    let common = "--data GOOG.csv --start 2007-01-01 --end 2011-12-31 --commission 0.001 --slippage-bps 2";
    let sweep = optimize(
        dir.path(),
        &[
            words(common),
            words("--param fast=5,20 --param slow=30,90 --param allow_short=true,false --no-save"),
        ]
        .concat(),
    );
    let trials = sweep["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 8);
    for trial in trials.iter().step_by(3) {
        let params = &trial["params"];
        let output = gpt_trader(dir.path())
            .arg("backtest")
            .args(words(common))
            .args(["--param", &format!("fast={}", params["fast"])])
            .args(["--param", &format!("slow={}", params["slow"])])
            .args(["--param", &format!("allow_short={}", params["allow_short"])])
            .args(["--format", "json", "--no-save"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let backtest: Value = serde_json::from_slice(&output.stdout).unwrap();
        let stats = trial["stats"].as_object().unwrap();
        // A trial keeps no equity curve: every statistic but buy & hold, alpha and beta.
        assert_eq!(stats.len(), 27, "{stats:?}");
        for (key, value) in stats {
            let want = &backtest["stats"][key];
            match (value.as_f64(), want.as_f64()) {
                (Some(got), Some(want)) => {
                    assert!(
                        (got - want).abs() <= 1e-9 * want.abs().max(got.abs()),
                        "{params}: {key}: {got} vs {want}"
                    )
                }
                _ => assert_eq!(value, want, "{params}: {key}"),
            }
        }
    }
}

#[test]
fn random_search_repeats_with_its_seed() {
    let dir = tempfile::tempdir().unwrap();
    let run = |seed: &str| {
        let json = optimize(
            dir.path(),
            &words(&format!(
                "--param fast=2..30 --param slow=10..200:5 --constraint fast<slow --method random --trials 12 \
                 --seed {seed} --no-save"
            )),
        );
        let mut pairs: Vec<(i64, i64)> = by_pair(&json).into_iter().map(|(pair, _)| pair).collect();
        pairs.sort_unstable();
        pairs
    };
    let first = run("7");
    assert_eq!(first.len(), 12);
    assert!(first.iter().all(|(fast, slow)| fast < slow), "{first:?}");
    assert_eq!(first, run("7"));
    assert_ne!(first, run("8"));
}

#[test]
fn a_study_split_into_shards_and_resumed_ranks_as_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let whole = optimize(dir.path(), &[words(GOOG_GRID), words("--no-save")].concat());
    let study = [words(GOOG_GRID), words("--study goog")].concat();
    let first = optimize(dir.path(), &[study.clone(), words("--shard 0/3")].concat());
    assert_eq!(first["trials_count"], 24, "one shard runs a third: {}", first["trials_count"]);
    // The study continued without --shard runs what the shard left.
    let rest = optimize(dir.path(), &study);
    assert_eq!(rest["trials_count"], 72);
    assert_eq!(rest["trials"], whole["trials"], "the same trials, ranked the same");
    assert_eq!(rest["best"]["params"], whole["best"]["params"]);
    let run_id = rest["best"]["run_id"].as_str().expect("the best trial is saved as a run").to_owned();
    let shown = gpt_trader(dir.path()).args(["runs", "show", &run_id]).output().unwrap();
    assert!(shown.status.success(), "{}", String::from_utf8_lossy(&shown.stderr));
    // Run again, it has nothing left to do and keeps its saved run.
    let again = optimize(dir.path(), &study);
    assert_eq!(
        (again["trials"].clone(), again["best"]["run_id"].as_str()),
        (whole["trials"].clone(), Some(run_id.as_str()))
    );
    // The same name with another objective is another study.
    let changed = [study, words("--minimize")].concat();
    let output = gpt_trader(dir.path()).arg("optimize").args(&changed).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success()
            && stderr.contains("study \"goog\" exists with a different definition (objective"),
        "{stderr}"
    );
}

#[test]
fn a_killed_study_continues_where_it_stopped_without_losing_or_repeating_a_trial() {
    let _watchdog = gt_testkit::Watchdog::new(Duration::from_secs(300));
    let dir = tempfile::tempdir().unwrap();
    let study =
        words("--data GOOG.csv --param fast=2..50 --param slow=10..300:2 --constraint fast<slow --study k");
    // Every pair with fast < slow: the trials the study must end with.
    let planned: usize = (2..=50).map(|fast| (10..=300).step_by(2).filter(|slow| fast < *slow).count()).sum();
    let mut child = spawn_optimize(dir.path(), &study, std::process::Stdio::null);
    std::thread::sleep(Duration::from_secs(2));
    child.kill().unwrap();
    child.wait().unwrap();
    let output =
        gpt_trader(dir.path()).arg("optimize").args(&study).args(["--format", "json"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let already: usize = stderr
        .lines()
        .find_map(|l| l.split_once(" trials already in the study").map(|(n, _)| n.parse().unwrap()))
        .unwrap_or(0);
    assert!(already > 0 && already < planned, "killed after some trials, before all {planned}: {stderr}");
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["trials_count"], planned);
    let mut indexes: Vec<u64> =
        json["trials"].as_array().unwrap().iter().map(|t| t["index"].as_u64().unwrap()).collect();
    indexes.sort_unstable();
    assert!(indexes.iter().copied().eq(0..planned as u64), "every trial once");
}

#[test]
fn shards_on_two_processes_at_once_fill_one_postgres_study() {
    let _watchdog = gt_testkit::Watchdog::new(Duration::from_secs(300));
    let Some(server) = gt_testkit::Postgres::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let whole = optimize(dir.path(), &[words(GOOG_GRID), words("--no-save")].concat());
    let study = [words(GOOG_GRID), words("--study pg --db"), vec![server.url()]].concat();
    let children: Vec<_> = (0..2)
        .map(|k| {
            let args = [study.clone(), words(&format!("--shard {k}/2 --format json"))].concat();
            spawn_optimize(dir.path(), &args, std::process::Stdio::piped)
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    // Both shards are in: the study, continued, has nothing left to run and ranks as one run.
    let merged = optimize(dir.path(), &study);
    assert_eq!(merged["trials_count"], 72);
    assert_eq!(merged["trials"], whole["trials"]);
}

#[test]
fn mistakes_get_one_line_that_says_what_to_write() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("--param fats=1..5", "demo_ma has no parameter \"fats\"; valid: fast, slow, allow_short"),
        ("--param fast=50..5", "the range ends (5) before it starts (50)"),
        ("--param fast=1..9 --constraint fast<slwo", "no parameter \"slwo\""),
        ("--param fast=1..9 --objective sharpe", "\"sharpe\" is not a statistic; use one of:"),
        ("--param fast=1..9 --method random", "--method random needs --trials N"),
        ("--param fast=1..9 --shard 2/2", "K counts from 0 and must be below N"),
        ("--param fast=1..9 --cash -5", "--cash"),
        ("--param fast --param slow --param allow_short --no-save --param fast=2", "fast is given twice"),
        ("--param fast=1..9 --method random --trials 0", "--trials must be at least 1"),
        ("--param fast=1..9 --jobs 0", "0 is not in 1..=65535"),
    ];
    for (args, expected) in cases {
        let stderr = optimize_fails(dir.path(), args);
        assert!(stderr.lines().next().unwrap_or_default().contains(expected), "{args}: {stderr}");
    }
}

#[test]
fn the_table_ranks_the_trials_and_says_what_was_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let output = gpt_trader(dir.path())
        .arg("optimize")
        .args(words("--param fast=5,10,30 --param slow=20,30 --top 2 --no-save"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Sharpe Ratio (objective)"), "{stdout}");
    assert_eq!(stdout.lines().filter(|l| l.starts_with("│")).count(), 2 + 1, "header and two rows: {stdout}");
    assert!(stdout.contains("4 trials"), "{stdout}");
    assert!(stdout.contains("2 combinations refused by the strategy"), "{stdout}");
    assert!(stdout.contains("DSR "), "{stdout}");
}

#[test]
fn an_objective_against_the_market_keeps_every_statistic() {
    let dir = tempfile::tempdir().unwrap();
    let json =
        optimize(dir.path(), &words("--param fast=5,10 --param slow=30 --objective alpha_pct --no-save"));
    let stats = json["trials"][0]["stats"].as_object().unwrap();
    assert!(stats.contains_key("alpha_pct") && stats.contains_key("buy_hold_return_pct"), "{stats:?}");
    assert_eq!(stats.len(), 30, "{stats:?}");
}

#[test]
fn walk_forward_folds_are_the_optimize_and_backtest_runs_of_their_windows() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = "--data GOOG.csv --param fast=5..30:5 --param slow=20..100:20 --constraint fast<slow --objective sqn \
                 --commission 0.002";
    let output = gpt_trader(dir.path())
        .arg("walkforward")
        .args(words(sweep))
        .args(words("--train 2y --test 1y --format json"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let folds = json["folds"].as_array().unwrap();
    assert_eq!(folds.len(), 7);
    assert_eq!(
        (folds[0]["train_start"].as_str(), folds[0]["test_start"].as_str()),
        (Some("2004-08-19"), Some("2006-08-19"))
    );
    assert_eq!(folds[1]["train_start"], "2005-08-19", "rolling windows move by the test length");
    let day_before = |date: &str| {
        let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
        (day - chrono::Duration::days(1)).to_string()
    };
    let mut growth = 1.0;
    for fold in folds.iter().take(3) {
        // The fold's winner is what `optimize` finds on the training window ...
        let window = format!(
            "--start {} --end {}",
            fold["train_start"].as_str().unwrap(),
            day_before(fold["train_end"].as_str().unwrap())
        );
        let best = optimize(dir.path(), &[words(sweep), words(&window), words("--no-save")].concat());
        assert_eq!(best["best"]["params"], fold["params"], "{window}");
        assert_eq!(best["best"]["value"], fold["in_sample"]["sqn"], "{window}");
        // ... and its out-of-sample run is the backtest of the test window, closed at its end.
        let params = &fold["params"];
        let test = format!(
            "--data GOOG.csv --commission 0.002 --finalize-trades --start {} --end {} --param fast={} --param slow={}",
            fold["test_start"].as_str().unwrap(),
            day_before(fold["test_end"].as_str().unwrap()),
            params["fast"],
            params["slow"]
        );
        let output = gpt_trader(dir.path())
            .arg("backtest")
            .args(words(&test))
            .args(["--format", "json", "--no-save"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let backtest: Value = serde_json::from_slice(&output.stdout).unwrap();
        let (ours, theirs) = (&fold["out_of_sample"], &backtest["stats"]);
        assert_eq!(ours["trades"], theirs["trades"], "{test}");
        let (a, b) = (ours["return_pct"].as_f64().unwrap(), theirs["return_pct"].as_f64().unwrap());
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{test}: {a} vs {b}");
    }
    for fold in folds {
        growth *= 1.0 + fold["out_of_sample"]["return_pct"].as_f64().unwrap() / 100.0;
    }
    // The stitched curve compounds the folds' returns from the starting cash.
    let stitched = &json["out_of_sample"];
    assert_eq!(stitched["equity"][0]["equity"], 10_000.0);
    let last = stitched["stats"]["equity_final"].as_f64().unwrap();
    assert!((last - 10_000.0 * growth).abs() < 1e-6, "{last} vs {}", 10_000.0 * growth);
    assert_eq!(stitched["equity"].as_array().unwrap().len() as u64, stitched_bars(folds));
}

/// The bars of the folds' test windows (GOOG's bars from the first test start on).
fn stitched_bars(folds: &[Value]) -> u64 {
    let first = folds[0]["test_start"].as_str().unwrap().to_owned();
    let text = std::fs::read_to_string(fixtures().join("GOOG.csv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|line| line.split(',').next().is_some_and(|date| date >= first.as_str()))
        .count() as u64
}

#[test]
fn walk_forward_mistakes_get_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (
            "--param fast=5,10 --train 2y --test 6x",
            "the unit is y (years), m (months), w (weeks) or d (days)",
        ),
        ("--param fast=5,10 --train 2y --test 1y --step 6m", "--step must be at least --test"),
        ("--param fast=5,10 --train 20y --test 1y", "shorter than one training window"),
    ] {
        let output = gpt_trader(dir.path()).arg("walkforward").args(words(args)).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !output.status.success() && stderr.lines().next().unwrap_or_default().contains(expected),
            "{args}: {stderr}"
        );
    }
}

/// The trials of a study's JSON by index: `(index, params, value)`.
fn by_index(json: &Value) -> Vec<(u64, Value, Value)> {
    let mut trials: Vec<(u64, Value, Value)> = json["trials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["index"].as_u64().unwrap(), t["params"].clone(), t["value"].clone()))
        .collect();
    trials.sort_by_key(|(index, _, _)| *index);
    trials
}

/// A TPE sweep of `trials` trials with `seed` on GOOG.
fn tpe(trials: u32, seed: u32) -> Vec<String> {
    words(&format!(
        "--data GOOG.csv --param fast=2..60 --param slow=10..250 --constraint fast<slow --method tpe \
         --trials {trials} --objective sqn --seed {seed} --jobs 2"
    ))
}

#[test]
fn a_tpe_study_repeats_with_its_seed_and_continues_a_killed_run_as_if_never_stopped() {
    let _watchdog = gt_testkit::Watchdog::new(Duration::from_secs(300));
    let dir = tempfile::tempdir().unwrap();
    let whole = optimize(dir.path(), &[tpe(400, 3), words("--no-save")].concat());
    assert_eq!(whole["trials_count"], 400);
    assert_eq!(
        by_index(&whole),
        by_index(&optimize(dir.path(), &[tpe(400, 3), words("--no-save")].concat()))
    );
    let other_seed = optimize(dir.path(), &[tpe(400, 4), words("--no-save")].concat());
    assert_ne!(by_index(&whole), by_index(&other_seed));

    // Killed once some batches are written, then continued: every trial as in the run never stopped.
    let study = [tpe(400, 3), words("--study tpe")].concat();
    let mut child = spawn_optimize(dir.path(), &study, std::process::Stdio::null);
    let url = format!("sqlite://{}", dir.path().join("runs.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let written = || {
        runtime.block_on(async {
            match gt_store::Store::open(&url).await {
                Ok(store) => store.trials("tpe").await.map_or(0, |t| t.len()),
                Err(_) => 0,
            }
        })
    };
    while written() < 20 && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let output =
        gpt_trader(dir.path()).arg("optimize").args(&study).args(["--format", "json"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let resumed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(by_index(&resumed), by_index(&whole));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(" trials already in the study"), "it continued the study: {stderr}");
}

#[test]
fn tpe_shards_are_independent_searches_continued_only_as_they_started() {
    let dir = tempfile::tempdir().unwrap();
    let study = [tpe(40, 3), words("--study shards")].concat();
    let first = optimize(dir.path(), &[study.clone(), words("--shard 0/2")].concat());
    let second = optimize(dir.path(), &[study.clone(), words("--shard 1/2")].concat());
    assert_eq!((first["trials_count"].as_u64(), second["trials_count"].as_u64()), (Some(20), Some(40)));
    let indexes: Vec<u64> = by_index(&second).iter().map(|(i, _, _)| *i).collect();
    assert_eq!(indexes, (0..40).collect::<Vec<_>>(), "shard K runs the indexes K, K + N, …");
    let output = gpt_trader(dir.path()).arg("optimize").args(&study).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("proposed by another search"), "{stderr}");
}

/// Writes `closes` as a daily CSV (weekdays from 2000-01-03), each bar opening at the close before.
fn write_daily(path: &Path, closes: &[f64]) {
    let mut text = String::from("Date,Open,High,Low,Close,Volume\n");
    let mut day = chrono::NaiveDate::from_ymd_opt(2000, 1, 3).unwrap();
    let mut open = closes[0];
    for close in closes {
        while chrono::Datelike::weekday(&day).number_from_monday() > 5 {
            day = day.succ_opt().unwrap();
        }
        let (high, low) = (open.max(*close) * 1.001, open.min(*close) * 0.999);
        text.push_str(&format!("{day},{open:.4},{high:.4},{low:.4},{close:.4},1000\n"));
        open = *close;
        day = day.succ_opt().unwrap();
    }
    std::fs::write(path, text).unwrap();
}

/// Standard normal draws from a seeded xorshift (Box–Muller).
fn normals(seed: u64, count: usize) -> Vec<f64> {
    let mut rng = gt_testkit::Xorshift::new(seed);
    let mut uniform = move || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    (0..count)
        .map(|_| {
            let (u, v) = (uniform().max(1e-300), uniform());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        })
        .collect()
}

fn pbo_of(dir: &Path, file: &Path) -> f64 {
    let json = optimize(
        dir,
        &[
            words("--param fast=2..20:2 --param slow=25..100:15 --no-save --pbo --data"),
            vec![file.display().to_string()],
        ]
        .concat(),
    );
    json["probability_of_backtest_overfitting"]["probability"].as_f64().unwrap()
}

#[test]
fn the_probability_of_overfitting_is_high_on_random_walks_and_low_with_an_edge() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prices.csv");
    // Pure random walks, 1 % a day: the in-sample best is a coin toss out of sample.
    let walks: Vec<f64> = (1..=8)
        .map(|seed| {
            let mut price = 100.0;
            let closes: Vec<f64> = normals(seed, 2_500)
                .iter()
                .map(|z| {
                    price *= (0.01 * z).exp();
                    price
                })
                .collect();
            write_daily(&file, &closes);
            pbo_of(dir.path(), &file)
        })
        .collect();
    let mean = walks.iter().sum::<f64>() / walks.len() as f64;
    assert!(mean >= 0.35, "mean PBO over random walks {mean}: {walks:?}");
    // A 150-day cycle a crossover can ride: the parameters that ride it win in every block.
    let noise = normals(99, 2_500);
    let closes: Vec<f64> = (0..2_500)
        .map(|i| 100.0 * (0.15 * (std::f64::consts::TAU * i as f64 / 150.0).sin() + 0.003 * noise[i]).exp())
        .collect();
    write_daily(&file, &closes);
    let edge = pbo_of(dir.path(), &file);
    assert!(edge <= 0.1, "PBO with an edge {edge}");
}

#[test]
fn the_report_shows_the_objective_over_the_parameters_and_the_best_run() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("study.html");
    let output = gpt_trader(dir.path())
        .arg("optimize")
        .args(words("--data GOOG.csv --param fast=5..30:5 --param slow=20..100:20 --param allow_short=true,false --no-save --report"))
        .arg(&page)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    for caption in ["fast × slow", "fast × allow_short", "slow × allow_short", "fast against sharpe_ratio"]
    {
        assert!(html.contains(caption), "{caption}");
    }
    // A cell per trial of the first map (6 × 5 but the 3 with fast ≥ slow = 20 the strategy
    // refuses; shorts at the best's value), each titled with its value.
    let first_map = &html[html.find("fast × slow").unwrap()..html.find("fast × allow_short").unwrap()];
    assert_eq!(first_map.matches("<title>fast ").count(), 27);
    assert!(
        html.to_lowercase().contains("<iframe title=\"best trial\" srcdoc=\"&lt;!doctype html&gt;"),
        "the best trial's report is inside"
    );
    // Nothing is fetched: no script, style or image from elsewhere, in the page or the report inside it.
    for fetch in ["src=\"http", "src=&quot;http", "<link", "&lt;link"] {
        assert!(!html.contains(fetch), "{fetch}");
    }
}

/// The command of a deploy example, with its placeholders for shard 0 and
/// the sample data in place of the cache's SPY.
fn deploy_command(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("gpt-trader optimize").unwrap() + "gpt-trader optimize".len();
    let command: String = text[start..]
        .lines()
        .map(|l| l.trim().trim_end_matches('\\').trim())
        .take_while(|l| !l.is_empty() && !l.starts_with("resources:"))
        .collect::<Vec<_>>()
        .join(" ");
    let command = command
        .replace("${JOB_COMPLETION_INDEX}", "0")
        .replace("${SLURM_ARRAY_TASK_ID}", "0")
        .replace("${SLURM_CPUS_PER_TASK}", "2")
        .replace("--symbols SPY", "--data GOOG.csv")
        .replace(['"', '\''], "");
    // `fast < slow` loses its quotes: put the constraint back together.
    let command = command.replace("--constraint fast < slow", "--constraint fast<slow");
    words(&command)
}

#[test]
fn the_deploy_examples_run_a_shard() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["k8s/optimize-job.yaml", "optimize-slurm.sh"] {
        let args = deploy_command(file);
        assert!(args.contains(&"--shard".to_owned()) && args.contains(&"0/8".to_owned()), "{file}: {args:?}");
        let json = optimize(dir.path(), &[args, words("--no-save --trials 40 --method random")].concat());
        assert_eq!(json["trials_count"], 5, "{file}: a shard runs its eighth of 40 trials");
    }
}

#[test]
fn studies_are_listed_shown_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = optimize(dir.path(), &[words(GOOG_GRID), words("--study listed")].concat());
    let studies = |args: &str| {
        let output = gpt_trader(dir.path()).arg("studies").args(words(args)).output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, list, _) = studies("list");
    assert!(ok && list.contains("listed") && list.contains("sqn") && list.contains("72"), "{list}");
    let (ok, shown, _) = studies("show listed --format json");
    assert!(ok);
    let shown: Value = serde_json::from_str(&shown).unwrap();
    let params =
        |trials: &Value| trials.as_array().unwrap().iter().map(|t| t["params"].clone()).collect::<Vec<_>>();
    assert_eq!(params(&shown["trials"]), params(&sweep["trials"]), "ranked as optimize ranked them");
    assert_eq!(shown["best_run_id"], sweep["best"]["run_id"]);
    let (ok, table, _) = studies("show listed --top 3");
    assert!(ok && table.contains("SQN (objective)") && table.contains("1.584392"), "{table}");
    let (ok, _, _) = studies("delete listed");
    assert!(ok);
    let (ok, _, stderr) = studies("show listed");
    assert!(!ok && stderr.starts_with("error: no study \"listed\""), "{stderr}");
}

#[test]
fn walk_forward_folds_leave_out_symbols_not_listed_yet() {
    let dir = tempfile::tempdir().unwrap();
    // The sample universe's FB starts in 2012: the folds before it trade the other four.
    let output = gpt_trader(dir.path())
        .arg("walkforward")
        .args(words(
            "--universe sample --train 3y --test 1y --param fast=5,10,20 --param slow=40,80 --format json",
        ))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json["folds"].as_array().unwrap().len() >= 10, "{}", json["folds"]);
    assert!(json["out_of_sample"]["stats"]["trades"].as_u64().unwrap() > 0);
}

#[test]
fn a_run_file_gives_the_sweep_its_costs_but_not_its_strategies() {
    let dir = tempfile::tempdir().unwrap();
    let costs = dir.path().join("costs.toml");
    std::fs::write(&costs, "[execution]\ncash = 10000\ncommission = 0.002\n").unwrap();
    let from_file = optimize(
        dir.path(),
        &[
            words("--data GOOG.csv --param fast=10 --param slow=20 --objective sqn --no-save --config"),
            vec![costs.display().to_string()],
        ]
        .concat(),
    );
    let sqn = from_file["best"]["value"].as_f64().unwrap();
    assert!((sqn - 1.5843922090024816).abs() < 1e-9, "the Quick Start's SQN with the file's costs: {sqn}");
    let strategies = dir.path().join("strategies.toml");
    std::fs::write(&strategies, "[[strategies]]\nstrategy = \"momentum\"\n").unwrap();
    let output = gpt_trader(dir.path())
        .arg("optimize")
        .args(words("--param fast=5,10 --no-save --config"))
        .arg(&strategies)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success() && stderr.contains("[[strategies]] are not swept"), "{stderr}");
}

#[test]
fn a_walk_forward_kept_as_studies_continues_and_refuses_other_windows() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &str| {
        let sweep = "--data GOOG.csv --param fast=5,10,20 --param slow=40,80 --objective sqn --format json";
        let output =
            gpt_trader(dir.path()).arg("walkforward").args(words(sweep)).args(words(args)).output().unwrap();
        (output.status.success(), output.stdout, String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let studies = |args: &str| {
        let output = gpt_trader(dir.path()).arg("studies").args(words(args)).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let (ok, unstored, stderr) = run("--train 3y --test 1y");
    assert!(ok, "{stderr}");
    assert!(!dir.path().join("runs.db").exists(), "without --study nothing is stored");

    let (ok, first, stderr) = run("--train 3y --test 1y --study wf");
    assert!(ok, "{stderr}");
    assert_eq!(first, unstored, "kept or not, the folds are the same");
    let folds = serde_json::from_slice::<Value>(&first).unwrap()["folds"].as_array().unwrap().len();
    let list = studies("list");
    for k in 1..=folds {
        assert!(list.contains(&format!("wf-fold{k} ")), "fold {k} is a study: {list}");
    }
    let third: Value = serde_json::from_str(&studies("show wf-fold3 --format json")).unwrap();
    assert_eq!(third["trials"].as_array().unwrap().len(), 6, "its six trials are kept");

    // A fold lost (as if the run had stopped there) is run again; the others are read back.
    studies("delete wf-fold3");
    let (ok, again, stderr) = run("--train 3y --test 1y --study wf");
    assert!(ok, "{stderr}");
    assert_eq!(again, first, "continued, the walk-forward gives what it gave");

    let (ok, _, stderr) = run("--train 2y --test 1y --study wf");
    assert!(!ok && stderr.contains("wf-fold1"), "other windows under the same name are refused: {stderr}");
}
