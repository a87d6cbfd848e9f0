//! The same suite against both backends: SQLite in a temporary directory and
//! a real PostgreSQL 15 started for the test.

use gt_store::{
    FillRecord, NewModel, NewRun, OrderRecord, RunDetails, RunFilter, ShadowRow, StepJournal, StepRecord,
    Store, StudyWork, TrialRecord,
};
use serde_json::json;

/// Longest a test here may take waiting on a store, with a PostgreSQL server started for it before it fails as hung.
const WAIT_LIMIT: std::time::Duration = std::time::Duration::from_secs(300);

fn run(strategy: &str, symbols: &[&str], return_pct: f64) -> NewRun {
    NewRun {
        kind: "backtest".to_owned(),
        strategy: strategy.to_owned(),
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
        params: json!({"fast": 10, "slow": 20}),
        config: json!({"cash": 10000.0, "commission": 0.002}),
        data_fingerprint: "abc123".to_owned(),
        code_version: "0.1.0".to_owned(),
        elapsed_ms: 12,
        bars: 1000 * symbols.len() as i64,
        stats: json!({"return_pct": return_pct, "sharpe_ratio": null}),
    }
}

fn details(n: usize) -> RunDetails {
    RunDetails {
        trades: json!((0..n).map(|i| json!({"entry_bar": i, "pnl": i as f64 * 1.5})).collect::<Vec<_>>()),
        equity: json!([{"time": "2004-08-19", "equity": 10000.0}]),
        refusals: json!([]),
        chart: json!({"benchmark": [1.0, 1.1]}),
    }
}

async fn suite(url: &str) {
    let store = Store::open(url).await.unwrap();
    // Reopening runs the migrations again without harm.
    let store_again = Store::open(url).await.unwrap();

    let a = store.save(&run("demo_ma", &["GOOG"], 462.6), &details(93)).await.unwrap();
    let b = store_again.save(&run("momentum", &["AAPL", "MSFT"], -3.5), &details(2)).await.unwrap();
    assert_ne!(a, b);

    let all = store.list(&RunFilter::default()).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [b.as_str(), a.as_str()],
        "newest first"
    );
    assert_eq!(all[1].run, run("demo_ma", &["GOOG"], 462.6), "everything comes back as saved");

    let by_strategy =
        store.list(&RunFilter { strategy: Some("momentum".into()), ..Default::default() }).await.unwrap();
    assert_eq!(by_strategy.len(), 1);
    let by_symbol =
        store.list(&RunFilter { symbol: Some("msft".into()), ..Default::default() }).await.unwrap();
    assert_eq!(by_symbol[0].id, b);
    let future = store.list(&RunFilter { since_ms: Some(i64::MAX), ..Default::default() }).await.unwrap();
    assert!(future.is_empty());

    let (record, stored) = store.get(&a).await.unwrap().unwrap();
    assert_eq!(record.id, a);
    assert_eq!(stored, details(93));
    assert!(store.get("no-such-run").await.unwrap().is_none());
    assert_eq!(store.latest_backtest_pace().await.unwrap(), Some((2000, 12)), "the newest backtest's");

    assert!(store.delete(&a).await.unwrap());
    assert!(!store.delete(&a).await.unwrap());
    assert!(store.get(&a).await.unwrap().is_none());
    assert_eq!(store.list(&RunFilter::default()).await.unwrap().len(), 1);
}

/// Two writers with their own connections, saving at the same time, lose nothing.
fn concurrent_writers(url: &str) {
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let url = url.to_owned();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async {
                    let store = Store::open(&url).await.unwrap();
                    for i in 0..25 {
                        store.save(&run(&format!("writer{w}"), &["X"], i as f64), &details(1)).await.unwrap();
                    }
                })
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = Store::open(url).await.unwrap();
        for w in 0..2 {
            let filter = RunFilter { strategy: Some(format!("writer{w}")), ..Default::default() };
            assert_eq!(store.list(&filter).await.unwrap().len(), 25, "writer {w}");
        }
    });
}

/// Paper sessions: create, journal steps (idempotently), queue and apply commands, delete.
async fn paper_suite(url: &str) {
    let store = Store::open(url).await.unwrap();
    store.create_session("s", "sim", &json!({"strategy": "demo_ma"})).await.unwrap();
    assert!(store.create_session("s", "sim", &json!({})).await.is_err(), "names are unique");
    let order = |status: &str, filled: &str| OrderRecord {
        client_order_id: "s-demo_ma-GOOG-3-0".into(),
        symbol: "GOOG".into(),
        side: "buy".into(),
        qty: "10".into(),
        order_type: "market".into(),
        status: status.into(),
        filled_qty: filled.into(),
        decided_step: 3,
        broker_order_id: None,
    };
    let fill = FillRecord {
        fill_id: "s-demo_ma-GOOG-3-0#1".into(),
        client_order_id: "s-demo_ma-GOOG-3-0".into(),
        symbol: "GOOG".into(),
        side: "buy".into(),
        qty: "10".into(),
        price: "101.25".into(),
        ts_ms: 1_000,
    };
    let first = StepJournal {
        steps_done: 4,
        snapshot: json!({"equity": 1.0}),
        orders: vec![order("accepted", "0")],
        ..Default::default()
    };
    store.journal_step("s", &first).await.unwrap();
    let seq = store.queue_command("s", "kill", Some("why"), "cli").await.unwrap();
    assert_eq!(store.queue_command("s", "resume", None, "dashboard").await.unwrap(), seq + 1);
    let second = StepJournal {
        steps_done: 5,
        snapshot: json!({"equity": 2.0}),
        orders: vec![order("filled", "10")],
        fills: vec![fill.clone()],
        applied_commands: vec![(seq, 4)],
        step: Some(StepRecord {
            ts: 120_000_000_000,
            equity: 10_000.25,
            bars: json!({"AAPL": [1, 2, 0.5, 1.5, 10]}),
        }),
    };
    // Written twice (a step re-journaled after a restart): no duplicate.
    store.journal_step("s", &second).await.unwrap();
    store.journal_step("s", &second).await.unwrap();
    assert_eq!(store.orders("s").await.unwrap(), vec![order("filled", "10")]);
    assert_eq!(store.fills("s").await.unwrap(), vec![fill]);
    // The step is kept once, its equity exactly; a later step comes after it.
    let later = StepRecord { ts: 180_000_000_000, equity: 0.1 + 0.2, bars: json!({}) };
    let third = StepJournal {
        steps_done: 5,
        snapshot: json!({"equity": 2.0}),
        step: Some(later),
        ..Default::default()
    };
    store.journal_step("s", &third).await.unwrap();
    let steps = store.steps("s").await.unwrap();
    assert_eq!(
        steps.iter().map(|s| (s.ts, s.equity)).collect::<Vec<_>>(),
        [(120_000_000_000, 10_000.25), (180_000_000_000, 0.1 + 0.2)]
    );
    assert_eq!(steps[0].bars["AAPL"][3], 1.5);
    assert_eq!(store.last_step_time("s").await.unwrap(), Some(180_000_000_000));
    assert_eq!(store.last_step_time("nobody").await.unwrap(), None);
    let commands = store.commands("s").await.unwrap();
    assert_eq!(commands.iter().map(|c| c.applied_step).collect::<Vec<_>>(), vec![Some(4), None]);
    assert_eq!(commands[0].reason.as_deref(), Some("why"));
    let origins: Vec<&str> = commands.iter().map(|c| c.origin.as_str()).collect();
    assert_eq!(origins, ["cli", "dashboard"], "each command keeps who sent it");
    assert!(commands[0].created_at_ms > 1_700_000_000_000, "and when");
    let pending = store.pending_commands("s").await.unwrap();
    assert_eq!(pending.iter().map(|c| c.command.as_str()).collect::<Vec<_>>(), ["resume"]);
    let session = store.session("s").await.unwrap().unwrap();
    assert_eq!((session.steps_done, session.snapshot["equity"].as_f64()), (5, Some(2.0)));
    store.set_session_state("s", "running").await.unwrap();
    assert_eq!(store.sessions().await.unwrap()[0].state, "running");
    assert!(store.delete_session("s").await.unwrap());
    assert!(store.session("s").await.unwrap().is_none());
    assert!(store.orders("s").await.unwrap().is_empty(), "the journal goes with the session");
}

/// Studies: created once, trials written in batches (a repeat is kept once), read back by index.
async fn studies_suite(url: &str) {
    let store = Store::open(url).await.unwrap();
    let definition = json!({"strategy": "demo_ma", "method": "grid"});
    let study = store.open_study("sma", &definition).await.unwrap();
    assert_eq!(
        (study.definition.clone(), study.trials, study.best_run_id.clone()),
        (definition.clone(), 0, None)
    );
    // A second opener (another shard) gets the same study, not a new definition.
    let again = store.open_study("sma", &json!({"other": true})).await.unwrap();
    assert_eq!(again.definition, definition);
    let trial = |index: i64, value: Option<f64>| TrialRecord {
        index,
        params: json!({"fast": index, "slow": 30}),
        value,
        stats: json!({"sqn": value, "trades": 4.0}),
        moments: json!({"observations": 250, "sharpe": 0.1}),
    };
    let work = |busy_ms| StudyWork { bar_evaluations: 2 * 2148, busy_ms };
    store.record_trials("sma", &[trial(2, Some(1.5)), trial(0, None)], work(40)).await.unwrap();
    store.record_trials("sma", &[trial(2, Some(9.0)), trial(1, Some(-0.25))], work(60)).await.unwrap();
    let trials = store.trials("sma").await.unwrap();
    assert_eq!(
        trials,
        vec![trial(0, None), trial(1, Some(-0.25)), trial(2, Some(1.5))],
        "the first write of a trial is kept"
    );
    store.set_study_best_run("sma", "run-1").await.unwrap();
    let listed = store.studies().await.unwrap();
    assert_eq!((listed.len(), listed[0].trials, listed[0].best_run_id.as_deref()), (1, 3, Some("run-1")));
    // Each batch's work adds up, a trial written twice included (it was run twice).
    assert_eq!(listed[0].work, StudyWork { bar_evaluations: 4 * 2148, busy_ms: 100 });
    assert_eq!(listed[0].work.per_second(), Some(85_920.0));
    assert_eq!(StudyWork::default().per_second(), None);
    assert!(store.delete_study("sma").await.unwrap());
    assert!(!store.delete_study("sma").await.unwrap());
    assert!(store.trials("sma").await.unwrap().is_empty(), "the trials go with the study");
}

#[tokio::test]
async fn sqlite_backend() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("runs.db").display());
    suite(&url).await;
    paper_suite(&url).await;
    studies_suite(&url).await;
    models_suite(&url).await;
    shadow_suite(&url).await;
}

#[test]
fn sqlite_concurrent_writers() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let dir = tempfile::tempdir().unwrap();
    concurrent_writers(&format!("sqlite://{}", dir.path().join("runs.db").display()));
}

#[test]
fn postgres_backend() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let Some(server) = gt_testkit::Postgres::start() else { return };
    assert!(server.dir().exists());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(suite(&server.url()));
    runtime.block_on(paper_suite(&server.url()));
    runtime.block_on(studies_suite(&server.url()));
    runtime.block_on(models_suite(&server.url()));
    runtime.block_on(shadow_suite(&server.url()));
    concurrent_writers(&server.url());
}

fn model(id: &str) -> NewModel {
    NewModel {
        id: id.to_owned(),
        kind: "gbm".to_owned(),
        feature_set: "default".to_owned(),
        schema_hash: "0e770f18f9604150".to_owned(),
        label: "forward:5".to_owned(),
        data_fingerprint: "abc123".to_owned(),
        definition: json!({"seed": 42, "folds": 5}),
        metrics: json!({"out_of_sample": {"auc": 0.61}}),
        model: "{\"trees\": []}".to_owned(),
    }
}

/// The registry: candidate on registering (once), then each transition
/// only from the status it names, every change kept in order.
async fn models_suite(url: &str) {
    let store = Store::open(url).await.unwrap();
    let first = store.register_model(&model("m1"), "ml train").await.unwrap();
    assert_eq!((first.status.as_str(), &first.model), ("candidate", &model("m1")));
    let again = store.register_model(&model("m1"), "ml train").await.unwrap();
    assert_eq!(again, first, "a model registered twice is kept once");
    store.register_model(&model("m2"), "ml train").await.unwrap();
    let ids: Vec<String> = store.models().await.unwrap().into_iter().map(|m| m.model.id).collect();
    assert_eq!(ids.len(), 2);
    assert!(store.model("m3").await.unwrap().is_none());

    assert!(store.change_model_status("m1", "candidate", "shadow", "ml promote", None).await.unwrap());
    assert!(
        !store.change_model_status("m1", "candidate", "live", "ml promote", None).await.unwrap(),
        "it is no candidate now"
    );
    assert!(
        store.change_model_status("m1", "shadow", "live", "ml promote --force", Some("desk")).await.unwrap()
    );
    assert!(store.change_model_status("m1", "live", "retired", "ml retire", None).await.unwrap());
    assert!(!store.change_model_status("nobody", "candidate", "shadow", "ml promote", None).await.unwrap());
    assert_eq!(store.model("m1").await.unwrap().unwrap().status, "retired");
    let changes = store.model_changes("m1").await.unwrap();
    let path: Vec<(Option<&str>, &str, &str)> =
        changes.iter().map(|c| (c.from.as_deref(), c.to.as_str(), c.origin.as_str())).collect();
    assert_eq!(
        path,
        [
            (None, "candidate", "ml train"),
            (Some("candidate"), "shadow", "ml promote"),
            (Some("shadow"), "live", "ml promote --force"),
            (Some("live"), "retired", "ml retire"),
        ]
    );
    assert_eq!(changes[2].reason.as_deref(), Some("desk"));
    assert!(changes.windows(2).all(|w| w[0].at_ms <= w[1].at_ms));
}

fn shadow_row(model_id: &str, ts: i64, probability: Option<f64>) -> ShadowRow {
    ShadowRow {
        model_id: model_id.to_owned(),
        symbol: "SPY".to_owned(),
        ts,
        close: 100.0 + ts as f64,
        probability,
        position: 2.5,
        equity: 10_000.0 - ts as f64,
        trades: ts,
        orders: "[]".to_owned(),
    }
}

/// Shadow journals: a row per owner, model, symbol and time, kept once
/// however often it is written (a restarted session), read in time order.
async fn shadow_suite(url: &str) {
    let store = Store::open(url).await.unwrap();
    let first = [shadow_row("m1", 1, None), shadow_row("m1", 2, Some(0.625))];
    assert_eq!(store.journal_shadow("session:a", &first).await.unwrap(), 2);
    let again = [shadow_row("m1", 2, Some(0.9)), shadow_row("m1", 3, Some(0.25))];
    assert_eq!(store.journal_shadow("session:a", &again).await.unwrap(), 1, "bar 2 is journaled already");
    store.journal_shadow("run:r1", &[shadow_row("m1", 1, Some(0.5))]).await.unwrap();
    let rows = store.shadow_rows("session:a").await.unwrap();
    assert_eq!(
        rows,
        [shadow_row("m1", 1, None), shadow_row("m1", 2, Some(0.625)), shadow_row("m1", 3, Some(0.25))]
    );
    assert_eq!(
        store.shadow_owners("m1").await.unwrap(),
        [("session:a".to_owned(), 3), ("run:r1".to_owned(), 1)]
    );
    assert!(store.shadow_rows("session:b").await.unwrap().is_empty());
}

#[tokio::test]
async fn unsupported_urls_are_refused_clearly() {
    let _watchdog = gt_testkit::Watchdog::new(WAIT_LIMIT);
    let error = Store::open("mysql://localhost/db").await.err().unwrap().to_string();
    assert!(error.starts_with("unsupported database URL \"mysql://localhost/db\""), "{error}");
}
