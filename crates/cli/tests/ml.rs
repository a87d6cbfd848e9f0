//! `gpt-trader ml train` end to end on the bundled sample: folds in time
//! order with their training before their test block, pooled scores that
//! cover every test sample, the same answer twice, and clear refusals.

use assert_cmd::Command;
use serde_json::Value;
use std::time::Duration;

fn gpt_trader(dir: &std::path::Path) -> Command {
    let mut command = Command::cargo_bin("gpt-trader").unwrap();
    command.timeout(Duration::from_secs(120)).env("GPT_TRADER_DATA", dir).env_remove("GPT_TRADER_DB");
    command
}

fn train(dir: &std::path::Path, extra: &[&str]) -> Value {
    let output =
        gpt_trader(dir).args(["ml", "train", "--no-save", "--format", "json"]).args(extra).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn training_on_the_sample_reports_folds_in_time_order_and_their_pooled_scores() {
    let dir = tempfile::tempdir().unwrap();
    for model in ["gbm", "logistic"] {
        let report = train(dir.path(), &["--model", model, "--folds", "4", "--embargo", "5"]);
        assert_eq!(report["symbol"], "GOOG");
        assert_eq!(report["label"], "forward:5");
        assert_eq!(report["features"]["hash"].as_str().unwrap().len(), 16);
        assert_eq!(report["features"]["columns"].as_array().unwrap().len(), 13);
        let folds = report["folds"].as_array().unwrap();
        assert_eq!(folds.len(), 4);
        let mut tested = 0;
        for (i, fold) in folds.iter().enumerate() {
            let text = |key: &str| fold[key].as_str().unwrap().to_owned();
            assert!(text("train_end") < text("test_start"), "{fold}");
            if let Some(next) = folds.get(i + 1) {
                assert!(*text("test_end") < *next["test_start"].as_str().unwrap(), "{fold}");
            }
            let auc = fold["auc"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&auc));
            tested += fold["samples"].as_u64().unwrap();
        }
        assert_eq!(report["out_of_sample"]["samples"].as_u64().unwrap(), tested);
        // Later folds train on more.
        assert!(folds[3]["train_samples"].as_u64() > folds[0]["train_samples"].as_u64());
        assert_eq!(report, train(dir.path(), &["--model", model, "--folds", "4", "--embargo", "5"]));
        // Weighting the overlapping forward:5 labels by their uniqueness changes the models.
        let weighted = train(
            dir.path(),
            &["--model", model, "--folds", "4", "--embargo", "5", "--weights", "uniqueness"],
        );
        assert_ne!(weighted["out_of_sample"]["log_loss"], report["out_of_sample"]["log_loss"]);
        assert_eq!(weighted["out_of_sample"]["samples"], report["out_of_sample"]["samples"]);
    }
}

#[test]
fn bad_ml_options_are_refused_with_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let refused = |args: &[&str], code: i32| {
        let output = gpt_trader(dir.path()).args(["ml", "train"]).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(code), "{args:?}");
        String::from_utf8(output.stderr).unwrap()
    };
    assert!(refused(&["--label", "up:3"], 2).contains("forward:H[,COST]"));
    assert!(refused(&["--folds", "0"], 2).contains("--folds"));
    assert!(refused(&["--features", "fancy"], 1).contains("the built-in one is `default`"));
    let said = refused(&["--folds", "50", "--embargo", "200"], 1);
    assert!(said.contains("training samples after purging") && said.lines().count() == 1, "{said}");
    assert!(
        refused(&["--universe", "sample", "--label", "meta:demo_ma"], 1).contains("read one series' trades")
    );
    assert!(refused(&["--label", "meta:nope"], 2).contains("valid strategies: demo_ma"));
}

#[test]
fn meta_labels_train_on_a_primary_strategys_trades() {
    let dir = tempfile::tempdir().unwrap();
    let report = train(dir.path(), &["--label", "meta:demo_ma", "--folds", "2", "--embargo", "0"]);
    assert_eq!(report["label"], "meta:demo_ma");
    // demo_ma makes 93 trades on the sample; the first few decide while the features warm up.
    let tested = report["out_of_sample"]["samples"].as_u64().unwrap();
    assert!((40..=62).contains(&tested), "{tested} of about 90 trades tested");
    // The filter traded: the primary's entries only where the model says its trade pays.
    let backtest = &report["out_of_sample"]["backtest"];
    assert_eq!(backtest["primary"], "demo_ma");
    let trades = |key: &str| backtest[key]["trades"].as_f64().unwrap();
    assert!(trades("stats") < trades("primary_stats"), "{backtest}");
    assert!(trades("primary_stats") > 20.0, "{backtest}");
    assert_eq!(backtest["stats"]["start"], backtest["primary_stats"]["start"]);
}

/// Runs `ml ARGS`; exit code, stdout, stderr.
fn ml(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = gpt_trader(dir).arg("ml").args(args).output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.code(), text(output.stdout), text(output.stderr))
}

#[test]
fn a_trained_model_is_registered_promoted_in_order_retired_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (code, out, said) = ml(dir, &["train", "--model", "logistic", "--format", "json"]);
    assert_eq!(code, Some(0), "{said}");
    let trained: Value = serde_json::from_str(&out).unwrap();
    let id = trained["model_id"].as_str().unwrap().to_owned();
    assert!(said.contains(&format!("Registered model {id} as candidate.")), "{said}");
    // The same training is the same model: registered once.
    let (_, again, _) = ml(dir, &["train", "--model", "logistic", "--format", "json"]);
    assert_eq!(serde_json::from_str::<Value>(&again).unwrap()["model_id"], id.as_str());
    let listed: Value = serde_json::from_str(&ml(dir, &["list", "--format", "json"]).1).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["status"], "candidate");
    assert_eq!(listed[0]["features"]["hash"], trained["features"]["hash"]);
    assert_eq!(listed[0]["metrics"]["out_of_sample"], trained["out_of_sample"]);

    let (code, _, said) = ml(dir, &["promote", &id, "--to", "live"]);
    assert_eq!(code, Some(1));
    assert!(said.contains("goes to live only from shadow"), "{said}");
    assert_eq!(
        ml(dir, &["promote", &id[..5], "--to", "shadow"]).0,
        Some(0),
        "a unique start of the id will do"
    );
    let (code, _, said) = ml(dir, &["promote", &id, "--to", "live"]);
    assert_eq!(code, Some(1), "to live only through the gate");
    assert!(said.contains("has followed no paper session in shadow"), "{said}");
    assert_eq!(ml(dir, &["promote", &id, "--to", "live", "--force", "--reason", "desk call"]).0, Some(0));
    assert_eq!(ml(dir, &["retire", &id]).0, Some(0));
    let (code, _, said) = ml(dir, &["promote", &id, "--to", "shadow", "--force"]);
    assert_eq!(code, Some(1));
    assert!(said.contains("retired"), "{said}");

    let shown: Value = serde_json::from_str(&ml(dir, &["show", &id, "--format", "json"]).1).unwrap();
    assert_eq!(shown["status"], "retired");
    let history: Vec<(&str, &str)> = shown["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["to"].as_str().unwrap(), c["origin"].as_str().unwrap()))
        .collect();
    assert_eq!(
        history,
        [
            ("candidate", "ml train"),
            ("shadow", "ml promote"),
            ("live", "ml promote --force"),
            ("retired", "ml retire")
        ]
    );
    assert_eq!(shown["history"][2]["reason"], "desk call");

    let file = dir.join("model.json");
    assert_eq!(ml(dir, &["export", &id, file.to_str().unwrap()]).0, Some(0));
    let exported: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(exported["model_id"], id.as_str());
    assert_eq!(exported["model"]["weights"].as_array().unwrap().len(), 14, "intercept and 13 features");

    let (code, _, said) = ml(dir, &["show", "ffffffff"]);
    assert_eq!(code, Some(1));
    assert!(said.contains("no model \"ffffffff\""), "{said}");
}

#[test]
fn forcing_a_promotion_is_recorded_as_forced() {
    let dir = tempfile::tempdir().unwrap();
    let (_, out, _) = ml(dir.path(), &["train", "--model", "logistic", "--format", "json"]);
    let id = serde_json::from_str::<Value>(&out).unwrap()["model_id"].as_str().unwrap().to_owned();
    assert_eq!(ml(dir.path(), &["promote", &id, "--to", "live", "--force"]).0, Some(0));
    let shown: Value = serde_json::from_str(&ml(dir.path(), &["show", &id, "--format", "json"]).1).unwrap();
    assert_eq!(shown["status"], "live");
    assert_eq!(shown["history"][1]["origin"], "ml promote --force");
}

/// Daily bars whose next return is pulled back toward the 20-day average
/// (a signal planted for the model to find), as a CSV file.
fn planted_csv(path: &std::path::Path, bars: usize) {
    let mut state = 99u64;
    let mut normal = || {
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let (u, v) = (uniform(), uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    };
    let mut closes: Vec<f64> = vec![100.0];
    let mut text = String::from(",Open,High,Low,Close,Volume\n");
    let start = chrono::NaiveDate::from_ymd_opt(2001, 1, 1).unwrap();
    for t in 0..bars {
        if t > 0 {
            let window = &closes[t.saturating_sub(20)..t];
            let average = window.iter().sum::<f64>() / window.len() as f64;
            let last = closes[t - 1];
            closes.push(last * (1.0 - 0.3 * (last / average - 1.0) + 0.01 * normal()));
        }
        let (open, close) = (if t == 0 { 100.0 } else { closes[t - 1] }, closes[t]);
        let day = start + chrono::Duration::days(t as i64);
        text.push_str(&format!(
            "{day},{open},{},{},{close},1000000\n",
            open.max(close) * 1.002,
            open.min(close) * 0.998
        ));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_planted_signal_is_found_and_traded_out_of_sample_through_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("PLANTED.csv");
    planted_csv(&csv, 3_000);
    let report = train(dir.path(), &["--data", csv.to_str().unwrap(), "--label", "forward:3"]);
    assert!(report["out_of_sample"]["auc"].as_f64().unwrap() > 0.6, "{}", report["out_of_sample"]);
    let backtest = &report["out_of_sample"]["backtest"];
    let stats = &backtest["stats"];
    // The backtest covers the test blocks only: from the first one's start to the end.
    assert_eq!(stats["start"], report["folds"][0]["test_start"]);
    assert!(stats["trades"].as_f64().unwrap() >= 20.0, "{stats}");
    assert!(stats["commissions"].as_f64().unwrap() > 0.0, "net of costs: {stats}");
    assert!(stats["return_pct"].as_f64().unwrap() > 0.0, "the found signal pays: {stats}");
    assert_eq!(backtest["threshold"], 0.55);
}

#[test]
fn the_features_of_a_paper_sessions_journaled_bars_equal_the_training_tables_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let output = gpt_trader(dir.path()).args(["paper", "run", "--session", "features"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    // The bars as the session saw and journaled them, step by step.
    let url = format!("sqlite://{}", dir.path().join("runs.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let steps = runtime.block_on(async {
        let store = gt_store::Store::open(&url).await.unwrap();
        let steps = store.steps("features").await.unwrap();
        store.close().await;
        steps
    });
    let mut live = gt_model::BarSeries::with_capacity(gt_model::Symbol::new("GOOG"), steps.len());
    for step in &steps {
        let ohlcv: Vec<f64> =
            step.bars["GOOG"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        live.push(gt_model::Bar {
            ts: gt_model::Timestamp::from_nanos(step.ts),
            open: ohlcv[0],
            high: ohlcv[1],
            low: ohlcv[2],
            close: ohlcv[3],
            volume: ohlcv[4],
        });
    }
    let features = gt_ml::FeatureSet::named("default").unwrap();
    let table = gt_ml::Dataset::build(
        &gt_data::sample::goog().unwrap(),
        &features,
        &gt_ml::LabelSpec::parse("forward:5").unwrap(),
    );
    assert_eq!(live.len(), 2148);
    let mut stream = features.stream();
    let rows: Vec<Option<Vec<f64>>> = (0..live.len()).map(|i| stream.push(&live.bar(i))).collect();
    let width = table.columns.len();
    for (sample, &bar) in table.starts.iter().enumerate() {
        let trained = &table.rows[sample * width..(sample + 1) * width];
        let seen = rows[bar].as_ref().expect("warmed up in the session too");
        let bits = |row: &[f64]| row.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(seen), bits(trained), "bar {bar}");
    }
    assert!(table.len() > 2000);
}

#[test]
fn a_registered_model_trades_as_ml_signal_in_a_backtest_and_a_paper_session_alike() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (_, out, said) = ml(dir, &["train", "--model", "gbm", "--format", "json"]);
    let id = serde_json::from_str::<Value>(&out).unwrap_or_else(|_| panic!("{said}"))["model_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let model = format!("model={}", &id[..6]);
    let run = |args: &[&str]| {
        let output = gpt_trader(dir).args(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let strategy = ["--strategy", "ml_signal", "--param", &model, "--param", "threshold=0.52"];
    let backtest = run(&[&["backtest", "--no-save", "--format", "json"][..], &strategy].concat());
    let trades = backtest["trades"].as_array().unwrap();
    assert!(trades.len() >= 5, "{} trades", trades.len());
    // Its first row of features is on bar 33 (MACD(12,26,9)'s lookback); an order fills on the next bar.
    let first_entry = trades[0]["entry_bar"].as_u64().unwrap();
    assert!(first_entry >= 34, "entered on bar {first_entry}");
    let paper = run(&[&["paper", "run", "--session", "ml", "--format", "json"][..], &strategy].concat());
    assert_eq!(paper["trades"], backtest["trades"], "the session trades the backtest's trades");
    // Entries of a quarter of the equity: the same decisions, smaller trades.
    let quarter = run(&[
        &["backtest", "--no-save", "--format", "json", "--param", "size=0.25"][..],
        &strategy,
    ]
    .concat());
    let entries = |report: &Value| -> Vec<u64> {
        report["trades"].as_array().unwrap().iter().map(|t| t["entry_bar"].as_u64().unwrap()).collect()
    };
    assert_eq!(entries(&quarter), entries(&backtest));
    let size = |report: &Value| report["trades"][0]["size"].as_f64().unwrap().abs();
    assert!(size(&quarter) < 0.3 * size(&backtest), "{} against {}", size(&quarter), size(&backtest));

    let refused = |args: &[&str]| {
        let output = gpt_trader(dir).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        String::from_utf8(output.stderr).unwrap()
    };
    let said = refused(&["backtest", "--no-save", "--strategy", "ml_signal"]);
    assert!(said.contains("needs --param model=ID"), "{said}");
    let said = refused(&["backtest", "--no-save", "--strategy", "ml_signal", "--param", "model=ffffff"]);
    assert!(said.contains("no model \"ffffff\""), "{said}");
    assert_eq!(ml(dir, &["retire", &id]).0, Some(0));
    let said = refused(&[&["backtest", "--no-save"][..], &strategy].concat());
    assert!(said.contains("is retired"), "{said}");
}

#[test]
fn optimize_sweeps_ml_signal_with_its_model_given_once() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (_, out, _) = ml(dir, &["train", "--model", "logistic", "--format", "json"]);
    let id = serde_json::from_str::<Value>(&out).unwrap()["model_id"].as_str().unwrap().to_owned();
    let model = format!("model={id}");
    let output = gpt_trader(dir)
        .args(["optimize", "--strategy", "ml_signal", "--param", &model, "--param", "threshold=0.52,0.6"])
        .args(["--param", "allow_short", "--no-save", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let sweep: Value = serde_json::from_slice(&output.stdout).unwrap();
    let trials = sweep["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 4, "2 thresholds x allow_short");
    // A trial is the backtest of its parameters with the model.
    let trial = &trials[0];
    let params = |key: &str| format!("{key}={}", trial["params"][key]);
    let backtest = gpt_trader(dir)
        .args(["backtest", "--no-save", "--format", "json", "--strategy", "ml_signal", "--param", &model])
        .args(["--param", &params("threshold"), "--param", &params("allow_short")])
        .output()
        .unwrap();
    let backtest: Value = serde_json::from_slice(&backtest.stdout).unwrap();
    assert_eq!(trial["stats"]["return_pct"], backtest["stats"]["return_pct"], "{trial}");
    let refused = gpt_trader(dir)
        .args(["optimize", "--strategy", "ml_signal", "--param", "threshold=0.6"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("needs one --param model=ID"));
}

#[test]
fn several_series_train_on_one_timeline_and_trade_in_one_account() {
    let dir = tempfile::tempdir().unwrap();
    let report = train(dir.path(), &["--universe", "sample", "--model", "logistic", "--folds", "4"]);
    assert_eq!(report["symbol"], "AAPL,FB,GOOG,IBM,MSFT");
    let folds = report["folds"].as_array().unwrap();
    // No day is in two test blocks, and every block trains only on what came before it.
    for pair in folds.windows(2) {
        assert!(
            *pair[0]["test_end"].as_str().unwrap() < *pair[1]["test_start"].as_str().unwrap(),
            "{pair:?}"
        );
    }
    for fold in folds {
        assert!(*fold["train_end"].as_str().unwrap() < *fold["test_start"].as_str().unwrap(), "{fold}");
    }
    assert!(report["out_of_sample"]["samples"].as_u64().unwrap() > 8_000);
    let stats = &report["out_of_sample"]["backtest"]["stats"];
    assert_eq!(stats["start"], folds[0]["test_start"]);
    assert!(stats["trades"].as_f64().unwrap() >= 5.0, "{stats}");
}

#[test]
fn ml_signal_reads_its_model_from_the_store_the_command_names() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let other = format!("sqlite://{}", dir.join("models.db").display());
    let (_, out, said) = ml(dir, &["--db", &other, "train", "--model", "logistic", "--format", "json"]);
    let id = serde_json::from_str::<Value>(&out).unwrap_or_else(|_| panic!("{said}"))["model_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let backtest = |db: Option<&str>| {
        let mut command = gpt_trader(dir);
        command.args(["backtest", "--no-save", "--strategy", "ml_signal", "--param", &format!("model={id}")]);
        if let Some(db) = db {
            command.args(["--db", db]);
        }
        command.output().unwrap()
    };
    assert!(backtest(Some(&other)).status.success());
    let elsewhere = backtest(None);
    assert_eq!(elsewhere.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&elsewhere.stderr).contains("no model"), "the default store has none");
}

#[test]
fn select_eval_scores_the_selector_and_its_baselines_out_of_sample() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, said) = ml(dir.path(), &["select-eval", "--universe", "sample", "--format", "json"]);
    assert_eq!(code, Some(0), "{said}");
    let report: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["strategies"].as_array().unwrap().len(), 5);
    assert_eq!(report["features"].as_array().unwrap().len(), 6);
    let (periods, tested) = (report["periods"].as_u64().unwrap(), report["test_periods"].as_u64().unwrap());
    assert!(periods > 100, "a period a month over the sample's years: {periods}");
    assert!(tested < periods && tested >= periods * 4 / 5 - 1, "{tested} of {periods}");
    let methods: Vec<&str> =
        report["methods"].as_array().unwrap().iter().map(|m| m["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["ml", "equal_weight", "inverse_vol", "best_in_sample"]);
    let weights = report["weights"].as_array().unwrap();
    assert_eq!(weights.len() as u64, tested);
    for w in weights {
        let w: Vec<f64> = w.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
        assert!(w.len() == 5 && (w.iter().sum::<f64>() - 1.0).abs() < 1e-9 && w.iter().all(|x| *x >= 0.0));
    }
    let next: Vec<f64> =
        report["next_weights"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert!(
        next.len() == 5 && (next.iter().sum::<f64>() - 1.0).abs() < 1e-9 && next.iter().all(|x| *x >= 0.0)
    );
    assert!(report["next_start"].as_str().unwrap() > report["test_start"].as_str().unwrap());
    // Equal weight moves weight only to buy in: its turnover is 1 over the test periods.
    let equal = &report["methods"][1];
    assert!((equal["turnover"].as_f64().unwrap() * tested as f64 - 1.0).abs() < 0.5, "{equal}");
    let (code, _, said) = ml(dir.path(), &["select-eval", "--period", "weekly"]);
    assert_eq!(code, Some(2));
    assert!(said.contains("expected month or a number of bars"), "{said}");
    let (code, _, said) = ml(dir.path(), &["select-eval", "--period", "1000"]);
    assert_eq!(code, Some(1));
    assert!(said.contains("too few for 4 folds"), "{said}");
}

/// A run file over the bundled stocks: demo_ma and momentum weighed by `allocation`.
fn selector_run_file(dir: &std::path::Path, name: &str, allocation: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    let text = format!(
        "[data]\nuniverse = \"sample\"\n\n[allocation]\n{allocation}\n\n[[strategies]]\nstrategy = \"demo_ma\"\n\n[[strategies]]\nstrategy = \"momentum\"\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_registered_selector_shadows_a_run_and_allocates_only_once_live() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (code, out, said) =
        ml(dir, &["select-eval", "--universe", "sample", "--register", "--format", "json"]);
    assert_eq!(code, Some(0), "{said}");
    let id = serde_json::from_str::<Value>(&out).unwrap()["model_id"].as_str().unwrap().to_owned();
    assert!(said.contains(&format!("Registered selector {id} as candidate.")), "{said}");
    let (code, _, said) = ml(dir, &["select-eval", "--universe", "sample", "--period", "20", "--register"]);
    assert_eq!(code, Some(1));
    assert!(said.contains("--register needs --period month"), "{said}");

    let ml_file = selector_run_file(dir, "ml.toml", &format!("method = \"ml\"\nmodel = \"{}\"", &id[..8]));
    let equal_file = selector_run_file(dir, "equal.toml", "method = \"equal\"");
    let backtest = |file: &std::path::Path, extra: &[&str]| {
        let config = file.to_str().unwrap();
        let output = gpt_trader(dir)
            .args(["backtest", "--config", config, "--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        let said = String::from_utf8(output.stderr).unwrap();
        (output.status.code(), serde_json::from_slice::<Value>(&output.stdout).ok(), said)
    };
    let (code, _, said) = backtest(&ml_file, &["--no-save"]);
    assert_eq!(code, Some(1));
    assert!(
        said.contains(&format!("selector {id} is candidate")) && said.contains("only when live"),
        "{said}"
    );

    // In shadow, it follows an equal-weight run on a book of its own.
    assert_eq!(ml(dir, &["promote", &id, "--to", "shadow"]).0, Some(0));
    let (code, report, said) = backtest(&equal_file, &["--shadow", &id]);
    assert_eq!(code, Some(0), "{said}");
    let report = report.unwrap();
    assert!(report["rebalances"].as_array().unwrap().is_empty(), "the run itself keeps equal weights");
    let (code, _, said) = backtest(&equal_file, &["--no-save", "--shadow", &format!("{id}:threshold=0.6")]);
    assert_eq!(code, Some(1));
    assert!(said.contains("a strategy selector takes no parameters"), "{said}");
    let shadow = &report["shadows"][0];
    assert_eq!(shadow["model_id"], id.as_str());
    assert_eq!(shadow["predictions"], 0, "a selector predicts no bar's direction");
    let run_id = report["run_id"].as_str().unwrap();
    let (code, out, said) = ml(dir, &["compare", "--run", run_id, "--format", "json"]);
    assert_eq!(code, Some(0), "{said}");
    let compared: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(compared["shadows"][0]["model_id"], id.as_str(), "{compared}");

    // The gate judges its record in a paper session, as any model's.
    let paper = gpt_trader(dir)
        .args(["paper", "run", "--session", "sel", "--config", equal_file.to_str().unwrap(), "--shadow", &id])
        .output()
        .unwrap();
    assert!(paper.status.success(), "{}", String::from_utf8_lossy(&paper.stderr));
    let rules = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, format!("[ml.promotion]\n{text}")).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let strict = rules("strict.toml", "min_shadow_days = 100000\n");
    let (code, _, said) = ml(dir, &["promote", &id, "--to", "live", "--rules", &strict]);
    assert_eq!(code, Some(1));
    assert!(
        said.contains("does not pass the promotion gate on session \"sel\"")
            && said.contains("min_shadow_days")
    );
    let lax = rules("lax.toml", "min_sharpe_edge = -1\nmax_p_value = 1.01\n");
    let (code, out, said) = ml(dir, &["promote", &id, "--to", "live", "--rules", &lax]);
    assert_eq!(code, Some(0), "{out}{said}");

    // Live, it weighs the run's own sleeves each month.
    let (code, report, said) = backtest(&ml_file, &["--no-save"]);
    assert_eq!(code, Some(0), "{said}");
    let report = report.unwrap();
    let rebalances = report["rebalances"].as_array().unwrap();
    assert!(rebalances.len() > 100, "{} rebalances", rebalances.len());
    let weights: Vec<Vec<f64>> = rebalances
        .iter()
        .map(|r| ["demo_ma", "momentum"].iter().map(|name| r["weights"][name].as_f64().unwrap()).collect())
        .collect();
    assert!(
        weights.iter().all(|w| w.len() == 2 && (w[0] + w[1] - 1.0).abs() < 1e-9 && w[0] > 0.0 && w[1] > 0.0)
    );
    assert!(weights.windows(2).any(|w| (w[0][0] - w[1][0]).abs() > 0.05), "the weights move with the regime");
    // The shadow's hypothetical book was this run, but for the last bar's closing trades.
    let live_return = report["stats"]["return_pct"].as_f64().unwrap();
    let shadow_return = shadow["return_pct"].as_f64().unwrap();
    assert!((live_return - shadow_return).abs() < 1.0, "live {live_return} % vs shadow {shadow_return} %");

    let (code, _, said) = backtest(&selector_run_file(dir, "none.toml", "method = \"ml\""), &["--no-save"]);
    assert_eq!(code, Some(1));
    assert!(said.contains("needs allocation.model"), "{said}");
    let (_, out, _) = ml(dir, &["train", "--model", "logistic", "--format", "json"]);
    let signal = serde_json::from_str::<Value>(&out).unwrap()["model_id"].as_str().unwrap().to_owned();
    let wrong = selector_run_file(dir, "wrong.toml", &format!("method = \"ml\"\nmodel = \"{signal}\""));
    let (code, _, said) = backtest(&wrong, &["--no-save"]);
    assert_eq!(code, Some(1));
    assert!(said.contains("is a logistic model, not a strategy selector"), "{said}");
}
