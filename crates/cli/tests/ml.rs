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
    let output = gpt_trader(dir).args(["ml", "train", "--format", "json"]).args(extra).output().unwrap();
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
    assert!(refused(&["--universe", "sample"], 1).contains("reads one series"));
}
