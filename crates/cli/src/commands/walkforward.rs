//! `gpt-trader walkforward`: optimise on a window, test the winner on the next, move on.

use crate::commands::sweep_args::{SweepArgs, TrialBar, option_error};
use crate::output::{OutputFormat, format_number, stats_table};
use anyhow::Result;
use clap::Args;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use gt_optimize::{Fold, Span, WalkForward, folds, walk_forward};
use gt_runner::outcome::time_format_of;

/// Options of `gpt-trader walkforward`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples:
  gpt-trader walkforward --train 2y --test 6m --param fast=5..50:5 \\
      --param slow=10..100:10 --constraint 'fast < slow'
  gpt-trader walkforward --train 3y --test 1y --anchored \\
      --param fast=5..30:5 --param slow=20..120:20 \\
      --objective sqn --commission 0.002 --format json

Each fold optimises on its training window (the same sweep `optimize` runs, every core; with --study
NAME its trials are kept in the run store as the study NAME-foldK, and the same command again goes on
where it stopped) and runs the best trial on the test window that follows, warmed up on the bars before
it; trades still open at a test window's end are closed on its last bar. The test windows' equity is
stitched into one out-of-sample curve (each piece continues where the one before ended) and measured
with the backtest's statistics. Training windows move by --step (rolling) or all start at the first
bar (--anchored). Lengths: 2y, 6m (months), 3w, 10d.")]
pub struct WalkforwardArgs {
    #[command(flatten)]
    sweep: SweepArgs,

    /// Length of each training window.
    #[arg(long, value_name = "SPAN")]
    train: Span,

    /// Length of each test window.
    #[arg(long, value_name = "SPAN")]
    test: Span,

    /// How far each fold moves on [default: the --test length].
    #[arg(long, value_name = "SPAN")]
    step: Option<Span>,

    /// Every training window starts at the first bar (it grows by --step).
    #[arg(long)]
    anchored: bool,

    /// Keep each fold's trials in the run store as the study NAME-foldK; run
    /// again, the walk-forward continues where it stopped.
    #[arg(long, value_name = "NAME")]
    study: Option<String>,

    /// Run store of --study: sqlite://FILE or postgres://USER@HOST:PORT/DB [default:
    /// $GPT_TRADER_DB, else runs.db in the data folder].
    #[arg(long, value_name = "URL", requires = "study")]
    db: Option<String>,

    /// A readable table, or one JSON object {folds, out_of_sample: {stats, equity}}.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// `gpt-trader walkforward`.
pub fn run(args: &WalkforwardArgs) -> Result<()> {
    // ml_signal's model comes from the store this command names.
    if let Some(db) = &args.db {
        gt_runner::strategy_source::read_models_from(db);
    }
    let (spec, space, objective, plan) = args.sweep.parts()?;
    let store = crate::output::open_store_unless(args.study.is_none(), args.db.as_deref())?;
    gt_optimize::Sweep::new(spec.clone(), Vec::new(), space.clone(), objective.clone())
        .map_err(option_error)?;
    let series = crate::commands::data_args::load(&spec.data)?;
    let firsts = series.iter().filter_map(|s| s.timestamps().first().copied());
    let lasts = series.iter().filter_map(|s| s.timestamps().last().copied());
    let (Some(first), Some(last)) = (firsts.min(), lasts.max()) else {
        anyhow::bail!("no bars to walk forward over");
    };
    let folds = folds(first, last, args.train, args.test, args.step.unwrap_or(args.test), args.anchored)?;
    let format = time_format_of(&series);
    let show = |ts: gt_model::Timestamp| ts.display(format).to_string();
    let progress = TrialBar::new(space.clone(), &objective.key);
    let count = folds.len();
    let on_fold = |k: usize, fold: &Fold| {
        progress.bar.println(format!(
            "fold {}/{count}: train {} to {}, test to {}",
            k + 1,
            show(fold.train.0),
            show(fold.train.1),
            show(fold.test.1)
        ));
    };
    if let Some(name) = &args.study {
        eprintln!(
            "Folds kept as the studies {name}-fold1 to {name}-fold{count} (the same command continues them)."
        );
    }
    let studies = store.as_ref().zip(args.study.as_deref()).map(|(store, name)| gt_optimize::FoldStudies {
        store,
        name,
        params: &args.sweep.params,
    });
    let outcome = walk_forward(
        &spec,
        &series,
        &space,
        &objective,
        &plan,
        &folds,
        studies.as_ref(),
        &on_fold,
        &progress,
    )
    .map_err(option_error)?;
    progress.bar.finish_and_clear();
    match args.format {
        OutputFormat::Json => print_json(&outcome, &show, &space),
        OutputFormat::Table => print_folds(&outcome, &show, &space, &objective.key),
    }
}

fn print_folds(
    outcome: &WalkForward,
    show: &dyn Fn(gt_model::Timestamp) -> String,
    space: &gt_optimize::SearchSpace,
    key: &str,
) -> Result<()> {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header: Vec<String> = ["#", "train from", "test from", "test to"].map(str::to_owned).to_vec();
    header.extend(space.axes.iter().map(|a| a.name.to_owned()));
    let label = gt_analytics::label(key);
    header.extend([
        format!("{label} in"),
        format!("{label} out"),
        "Return out [%]".to_owned(),
        "# Trades out".to_owned(),
    ]);
    table.set_header(header);
    for (k, fold) in outcome.folds.iter().enumerate() {
        let mut row =
            vec![Cell::new(k + 1), Cell::new(show(fold.fold.train.0)), Cell::new(show(fold.fold.test.0))];
        row.push(Cell::new(show(fold.fold.test.1)));
        row.extend(fold.best.trial.values.iter().map(|v| Cell::new(v).set_alignment(CellAlignment::Right)));
        let out = |k: &str| {
            fold.out_of_sample.numbers().into_iter().find(|(n, _)| *n == k).map_or(f64::NAN, |(_, v)| v)
        };
        for (k, value) in [
            (key, fold.best.value),
            (key, out(key)),
            ("return_pct", out("return_pct")),
            ("trades", out("trades")),
        ] {
            row.push(Cell::new(format_number(k, value)).set_alignment(CellAlignment::Right));
        }
        table.add_row(row);
    }
    outln!("{table}");
    outln!("{}", stats_table(&outcome.out_of_sample, "out of sample, stitched"));
    Ok(())
}

fn print_json(
    outcome: &WalkForward,
    show: &dyn Fn(gt_model::Timestamp) -> String,
    space: &gt_optimize::SearchSpace,
) -> Result<()> {
    let folds: Vec<serde_json::Value> = outcome
        .folds
        .iter()
        .map(|fold| {
            let params: serde_json::Map<String, serde_json::Value> = fold
                .best
                .trial
                .params(space)
                .into_iter()
                .zip(&fold.best.trial.values)
                .map(|((name, _), value)| (name, param_json(value)))
                .collect();
            serde_json::json!({
                "train_start": show(fold.fold.train.0),
                "train_end": show(fold.fold.train.1),
                "test_start": show(fold.fold.test.0),
                "test_end": show(fold.fold.test.1),
                "params": params,
                "trials": fold.trials,
                "in_sample": fold.best.stats,
                "out_of_sample": fold.out_of_sample,
                "deflated_sharpe_ratio": fold.deflated_sharpe,
            })
        })
        .collect();
    let stitched = &outcome.stitched;
    let equity: Vec<serde_json::Value> = stitched
        .timeline
        .iter()
        .zip(&stitched.equity)
        .map(|(ts, equity)| serde_json::json!({"time": show(*ts), "equity": equity}))
        .collect();
    let json = serde_json::json!({
        "folds": folds,
        "out_of_sample": {"stats": outcome.out_of_sample, "equity": equity},
    });
    outln!("{json}");
    Ok(())
}

fn param_json(value: &gt_strategy::ParamValue) -> serde_json::Value {
    match value {
        gt_strategy::ParamValue::Int(v) => (*v).into(),
        gt_strategy::ParamValue::Float(v) => (*v).into(),
        gt_strategy::ParamValue::Bool(v) => (*v).into(),
    }
}
