//! Shadow models and live ones end to end on the bundled sample: a shadow
//! changes nothing a run trades, journals every bar once (across a SIGKILL
//! and a restart), books what `ml_signal` itself would; `ml compare` tells
//! no difference from one; the promotion gate names each rule a record
//! fails; the kill switch stops a live model on its bar, demotes it, and the
//! other sleeve trades on.

#[path = "support/journal.rs"]
mod support;

use assert_cmd::Command;
use gt_store::{ShadowRow, Store};
use serde_json::Value;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::journal;

/// Longest one command of the binary may run before it is killed.
const COMMAND_LIMIT: Duration = Duration::from_secs(120);

/// Longest a test here may take before it fails as hung.
const WAIT_LIMIT: Duration = Duration::from_secs(600);

fn gpt_trader(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("gpt-trader").unwrap();
    command.timeout(COMMAND_LIMIT).env("GPT_TRADER_DATA", dir).env_remove("GPT_TRADER_DB");
    command
}

/// Runs `args`; its stdout, or a failure with its stderr.
fn ok(dir: &Path, args: &[&str]) -> String {
    let output = gpt_trader(dir).args(args).output().unwrap();
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

/// Runs `args`, which must fail with exit code 1; its stderr.
fn refused(dir: &Path, args: &[&str]) -> String {
    let output = gpt_trader(dir).args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stderr).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// A GBM trained on the sample and registered; its id.
fn trained(dir: &Path) -> String {
    let report = json(&ok(dir, &["ml", "train", "--folds", "2", "--format", "json"]));
    report["model_id"].as_str().unwrap().to_owned()
}

/// A model trained and promoted to shadow; its id.
fn shadow_model(dir: &Path) -> String {
    let id = trained(dir);
    ok(dir, &["ml", "promote", &id, "--to", "shadow"]);
    id
}

/// The shadow journal of `owner` in the store of `dir`.
fn shadow_rows(dir: &Path, owner: &str) -> Vec<ShadowRow> {
    let url = format!("sqlite://{}", dir.join("runs.db").display());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = Store::open(&url).await.unwrap();
        let rows = store.shadow_rows(owner).await.unwrap();
        store.close().await;
        rows
    })
}

/// Bars in the bundled sample (GOOG daily).
fn sample_bars() -> usize {
    gt_data::sample::goog().unwrap().len()
}

#[test]
fn a_shadow_changes_nothing_a_backtest_trades_and_books_what_ml_signal_would() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let id = trained(dir);
    // Only a model in shadow status follows a run; the refusal records nothing.
    let said = refused(dir, &["backtest", "--shadow", &id]);
    assert!(said.contains("has status candidate") && said.contains("--to shadow"), "{said}");
    assert!(json(&ok(dir, &["runs", "list", "--format", "json"])).as_array().unwrap().is_empty());
    assert!(refused(dir, &["backtest", "--shadow", "nope"]).contains("no model \"nope\""));
    let bad = gpt_trader(dir).args(["backtest", "--shadow", &format!("{id}:threshold")]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    ok(dir, &["ml", "promote", &id, "--to", "shadow"]);

    let plain = json(&ok(dir, &["backtest", "--format", "json"]));
    let shadowed = json(&ok(dir, &["backtest", "--shadow", &id, "--format", "json"]));
    for key in ["stats", "trades", "equity", "risk"] {
        assert_eq!(plain[key], shadowed[key], "{key} changed with a shadow");
    }
    let summary = &shadowed["shadows"][0];
    assert_eq!(summary["model_id"], id.as_str());
    assert_eq!(summary["bars"].as_u64().unwrap() as usize, sample_bars(), "one row per bar");
    let run_id = shadowed["run_id"].as_str().unwrap();
    let rows = shadow_rows(dir, &format!("run:{run_id}"));
    assert_eq!(rows.len(), sample_bars());
    let predicted = rows.iter().filter(|r| r.probability.is_some()).count();
    assert_eq!(predicted as u64, summary["predictions"].as_u64().unwrap());
    // Predictions start once the features have warmed up, and never stop after.
    let first = rows.iter().position(|r| r.probability.is_some()).unwrap();
    assert!(first > 0 && rows[first..].iter().all(|r| r.probability.is_some()), "first at {first}");
    assert!(rows.windows(2).all(|w| w[0].ts < w[1].ts));

    // The same model run as the strategy: the shadow's book is its book,
    // bar for bar, and the comparison finds no difference at all.
    let param = format!("model={id}");
    let as_strategy = json(&ok(
        dir,
        &["backtest", "--strategy", "ml_signal", "--param", &param, "--shadow", &id, "--format", "json"],
    ));
    let run = as_strategy["run_id"].as_str().unwrap();
    let equity: Vec<f64> =
        as_strategy["equity"].as_array().unwrap().iter().map(|p| p["equity"].as_f64().unwrap()).collect();
    let booked: Vec<f64> = shadow_rows(dir, &format!("run:{run}")).iter().map(|r| r.equity).collect();
    assert_eq!(booked, equity);
    assert_eq!(summary["trades"], as_strategy["stats"]["trades"]);
    let same = json(&ok(dir, &["ml", "compare", "--run", run, "--format", "json"]));
    let report = &same["shadows"][0];
    assert_eq!(report["difference"]["p_value"], 1.0);
    assert_eq!(report["sharpe_difference"], 0.0);
    assert!(report["verdict"].as_str().unwrap().starts_with("no significant difference"), "{report}");
    assert_eq!(same["live"], report["stats"]);

    // Against demo_ma, the model (trained on these very bars: a planted edge) does better.
    let against = json(&ok(dir, &["ml", "compare", "--run", run_id, "--format", "json"]));
    let report = &against["shadows"][0];
    assert!(report["difference"]["p_value"].as_f64().unwrap() < 0.01, "{report}");
    assert!(report["verdict"].as_str().unwrap().starts_with("the shadow does better"), "{report}");
    assert!(report["hit_rate"].as_f64().unwrap() > 0.5);
    assert_eq!(against["bars"].as_u64().unwrap() as usize, sample_bars());
    let table = ok(dir, &["ml", "compare", "--run", run_id]);
    assert!(
        table.contains(&format!("shadow {id}")) && table.contains("stationary block bootstrap"),
        "{table}"
    );
    assert!(refused(dir, &["ml", "compare", "--session", "nobody"]).contains("no shadow model followed"));
}

/// Waits until the session `name` has journaled at least `steps` bars.
fn wait_for_steps(dir: &Path, name: &str, steps: i64) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        let output =
            gpt_trader(dir).args(["paper", "status", "--session", name, "--format", "json"]).output();
        if let Ok(output) = output
            && output.status.success()
            && serde_json::from_slice::<Value>(&output.stdout).unwrap()["steps_done"].as_i64() >= Some(steps)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("session {name} did not reach {steps} bars");
}

#[test]
fn a_sessions_shadow_journals_every_bar_once_across_a_kill_and_trades_nothing() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let id = shadow_model(dir);
    ok(dir, &["paper", "run", "--session", "plain"]);
    ok(dir, &["paper", "run", "--session", "whole", "--shadow", &id]);
    let (plain_orders, plain_fills, _) = journal(dir, "plain");
    let (orders, fills, steps) = journal(dir, "whole");
    assert_eq!((orders, fills), (plain_orders.clone(), plain_fills.clone()), "the shadow sent nothing");
    let whole = shadow_rows(dir, "session:whole");
    assert_eq!(whole.len(), steps as usize);
    assert_eq!(steps as usize, sample_bars());

    // Killed (SIGKILL) part-way, then continued with no options: the stored
    // shadow goes on, and its journal ends up as the uninterrupted one's.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("gpt-trader"))
        .args(["paper", "run", "--session", "crashy", "--shadow", &id, "--speed", "400"])
        .env("GPT_TRADER_DATA", dir)
        .env_remove("GPT_TRADER_DB")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_steps(dir, "crashy", 300);
    std::thread::sleep(Duration::from_millis(700)); // past a flush of the shadow's journal
    child.kill().unwrap();
    child.wait().unwrap();
    let before = shadow_rows(dir, "session:crashy");
    assert!(!before.is_empty() && before.len() < sample_bars(), "{} rows at the kill", before.len());
    ok(dir, &["paper", "run", "--session", "crashy"]);
    assert_eq!(shadow_rows(dir, "session:crashy"), whole, "no bar lost, none twice");
    let (orders, fills, _) = journal(dir, "crashy");
    assert_eq!((orders, fills), (plain_orders, plain_fills));
    let compared = json(&ok(dir, &["ml", "compare", "--session", "crashy", "--format", "json"]));
    assert_eq!(compared["bars"].as_u64().unwrap() as usize, sample_bars());
}

#[test]
fn the_promotion_gate_names_each_failing_rule_and_force_is_recorded() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let id = shadow_model(dir);
    let said = refused(dir, &["ml", "promote", &id, "--to", "live"]);
    assert!(said.contains("has followed no paper session in shadow"), "{said}");
    ok(dir, &["paper", "run", "--session", "trial", "--shadow", &id, "--max-bars", "20"]);

    let strict = dir.join("strict.toml");
    std::fs::write(
        &strict,
        "[data]\nsymbols = [\"GOOG\"]\n\n[ml.promotion]\nmin_shadow_days = 400\nmin_trades = 1000\n",
    )
    .unwrap();
    let said = refused(dir, &["ml", "promote", &id, "--to", "live", "--rules", strict.to_str().unwrap()]);
    let last = said.lines().last().unwrap();
    assert!(last.contains("min_shadow_days (needs >= 400, has 2"), "{last}");
    assert!(last.contains("min_trades (needs >= 1000, has "), "{last}");
    assert!(last.contains("max_p_value (needs < 0.1, has not enough data: 19 paired returns"), "{last}");
    assert!(!last.contains("max_drawdown_pct"), "a rule that holds is not named: {last}");
    let model = json(&ok(dir, &["ml", "show", &id, "--format", "json"]));
    assert_eq!(model["status"], "shadow", "a refused promotion changes nothing");

    let typo = dir.join("typo.toml");
    std::fs::write(&typo, "[ml.promotion]\nmin_shadow_dayz = 1\n").unwrap();
    let said = refused(dir, &["ml", "promote", &id, "--to", "live", "--rules", typo.to_str().unwrap()]);
    assert!(said.contains("min_shadow_dayz") && said.contains("[ml.promotion]"), "{said}");

    // The whole sample in shadow: the defaults hold (an in-sample model's edge).
    ok(dir, &["paper", "run", "--session", "trial"]);
    ok(dir, &["ml", "promote", &id, "--to", "live", "--session", "trial", "--reason", "desk"]);
    let model = json(&ok(dir, &["ml", "show", &id, "--format", "json"]));
    assert_eq!(model["status"], "live");
    let changes = model["history"].as_array().unwrap();
    assert_eq!(changes.last().unwrap()["reason"], "desk (gate passed on session trial)");

    let other = trained_other(dir);
    ok(dir, &["ml", "promote", &other, "--to", "shadow"]);
    ok(dir, &["ml", "promote", &other, "--to", "live", "--force"]);
    let forced = json(&ok(dir, &["ml", "show", &other, "--format", "json"]));
    assert_eq!(forced["history"].as_array().unwrap().last().unwrap()["origin"], "ml promote --force");
}

/// A second model (logistic) registered beside the first; its id.
fn trained_other(dir: &Path) -> String {
    let report = json(&ok(dir, &["ml", "train", "--model", "logistic", "--folds", "2", "--format", "json"]));
    report["model_id"].as_str().unwrap().to_owned()
}

/// A run file of two sleeves on two symbols: demo_ma on MSFT, the model on
/// GOOG with `guard` (its kill-switch parameters, maybe none).
fn two_sleeves(dir: &Path, name: &str, model: &str, guard: &str) -> String {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "[data]\nuniverse = \"sample\"\nsymbols = [\"GOOG\", \"MSFT\"]\n\n\
             [[strategies]]\nname = \"ma\"\nstrategy = \"demo_ma\"\nsymbols = [\"MSFT\"]\n\n\
             [[strategies]]\nname = \"model\"\nstrategy = \"ml_signal\"\nsymbols = [\"GOOG\"]\n\
             params = {{ model = \"{model}\"{guard} }}\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

/// (entry bar, exit bar, long) of the trades of sleeve `name`.
fn trades_of(report: &Value, name: &str) -> Vec<(u64, u64, bool)> {
    let trades = report["trades"].as_array().unwrap();
    let of = trades.iter().filter(|t| t["strategy"] == name);
    of.map(|t| {
        (t["entry_bar"].as_u64().unwrap(), t["exit_bar"].as_u64().unwrap(), t["size"].as_f64().unwrap() > 0.0)
    })
    .collect()
}

#[test]
fn the_kill_switch_stops_a_live_model_on_its_bar_and_the_other_sleeve_trades_on() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let id = trained(dir);
    ok(dir, &["ml", "promote", &id, "--to", "live", "--force"]);
    let guarded = two_sleeves(dir, "guarded.toml", &id, ", max_feature_psi = 0.25, drift_window = 60");
    let plain = two_sleeves(dir, "plain.toml", &id, "");

    let run = |config: &str| {
        let output =
            gpt_trader(dir).args(["backtest", "--config", config, "--no-save", "--format", "json"]).output();
        let output = output.unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        (json(std::str::from_utf8(&output.stdout).unwrap()), String::from_utf8(output.stderr).unwrap())
    };
    let (stopped, said) = run(&guarded);
    let (unstopped, quiet) = run(&plain);
    assert!(!quiet.contains("kill switch"), "{quiet}");
    let note = said.lines().find(|l| l.contains("the kill switch stopped model")).expect(&said);
    let date = note.split(" at ").nth(1).unwrap().split(':').next().unwrap().to_owned();
    assert!(note.contains("drifted: PSI"), "{note}");
    // The bar it stopped on, by its date in the equity curve.
    let times = stopped["equity"].as_array().unwrap();
    let stop = times.iter().position(|p| p["time"] == date.as_str()).unwrap() as u64;
    // The other sleeve trades on: as without the kill switch up to the bar,
    // and after it every trade it made then (and those the cash the model
    // no longer takes lets it make).
    let (ma, ma_unstopped) = (trades_of(&stopped, "ma"), trades_of(&unstopped, "ma"));
    let until =
        |trades: &[(u64, u64, bool)]| trades.iter().filter(|t| t.1 <= stop).copied().collect::<Vec<_>>();
    assert_eq!(until(&ma), until(&ma_unstopped));
    assert!(ma.iter().filter(|t| t.0 > stop).count() > 10, "it trades after the stop");
    assert!(ma_unstopped.iter().all(|t| ma.contains(t)));
    // The model trades until then, the same as without it, and nothing after:
    // a position it held is closed on the next bar.
    let model = trades_of(&stopped, "model");
    assert!(!model.is_empty() && model.iter().all(|(entry, exit, _)| *entry <= stop && *exit <= stop + 1));
    let before: Vec<_> =
        trades_of(&unstopped, "model").into_iter().filter(|(_, exit, _)| *exit <= stop).collect();
    assert_eq!(model[..before.len()], before[..]);
    assert!(trades_of(&unstopped, "model").len() > model.len());

    // In a paper session the same bar demotes the live model to shadow, recorded with why.
    let output =
        gpt_trader(dir).args(["paper", "run", "--config", &guarded, "--session", "k"]).output().unwrap();
    let said = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{said}");
    let demoted =
        format!("Kill switch: model {id} stopped and demoted to shadow (session k, bar {date}: feature");
    assert!(said.contains(&demoted), "{said}");
    let model = json(&ok(dir, &["ml", "show", &id, "--format", "json"]));
    assert_eq!(model["status"], "shadow");
    let last = model["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["from"].as_str(), last["to"].as_str(), last["origin"].as_str()),
        (Some("live"), Some("shadow"), Some("kill switch"))
    );
    assert!(last["reason"].as_str().unwrap().contains(&format!("bar {date}: feature")), "{last}");
}
