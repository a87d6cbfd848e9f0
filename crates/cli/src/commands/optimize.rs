//! `gpt-trader optimize`: a parameter sweep, ranked by a statistic, kept as a study.

use crate::commands::sweep_args::{SweepArgs, TrialBar, option_error};
use crate::output::{OutputFormat, format_number};
use anyhow::{Context, Result};
use clap::Args;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use gt_optimize::render_study_page;
use gt_optimize::{Shard, StudyPlan, StudyReport, Sweep, TrialOutcome};
use gt_runner::outcome::report_of;
use gt_runner::records::{RunRequest, stored_run};
use gt_runner::store::OpenStore;
use gt_runner::{paths, report};
use std::path::PathBuf;
use std::time::Instant;

/// Options of `gpt-trader optimize`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples:
  gpt-trader optimize --param fast=5..50:5 --param slow=10..100:10 \\
      --constraint 'fast < slow'
  gpt-trader optimize --param fast=5..35:5 --param slow=10..120:10 \\
      --constraint 'fast < slow' --objective sqn --cash 10000 \\
      --commission 0.002 --format json
  gpt-trader optimize --strategy volatility --param std_dev=1..3:0.5 \\
      --param period --method random --trials 200 --seed 7 \\
      --min-trades 10 --study vol-search
  gpt-trader optimize --param fast=2..100 --param slow=10..400:5 \\
      --study big --shard 0/4   # part 0 of 4 machines
  gpt-trader optimize --param fast --param slow \\
      --constraint 'fast < slow and slow <= 500' \\
      --method tpe --trials 300 --objective sortino_ratio

Values: START..END:STEP includes both ends (5..50:5 is 5, 10, …, 50; the step is 1 when left out),
a,b,c lists values, and a bare NAME sweeps the parameter's schema range (`gpt-trader strategies NAME`):
both values of a flag; for a number 10 evenly spaced values in a grid, any value in a random search.
Parameters not given keep their defaults. Every trial is the backtest the same options would run
with its parameters, on bars and settings prepared once, on every core.

Trials are written to the run store as they finish, as the study --study NAME: run the same command
again to continue an interrupted study; shards (--shard K/N, K from 0) of one study write into one
store (PostgreSQL for several machines) and rank the whole study when they end (a TPE study's shards
are independent searches, each of its part of --trials). The best trial is
run again in full and saved as a normal run (gpt-trader runs show ID).")]
pub struct OptimizeArgs {
    #[command(flatten)]
    sweep: SweepArgs,

    /// Also measure the probability of backtest overfitting (combinatorially symmetric
    /// cross-validation): each trial's periodic returns summed over S equal blocks of time (even,
    /// 2 to 24), every split into halves [S: 16].
    #[arg(long, value_name = "S", num_args = 0..=1, default_missing_value = "16")]
    pbo: Option<usize>,

    /// Trials shown in the ranking.
    #[arg(long, default_value_t = 10, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    top: u16,

    /// Name of the study in the run store; an existing study of that name is continued
    /// [default: STRATEGY-DATE-TIME].
    #[arg(long, value_name = "NAME")]
    study: Option<String>,

    /// Run part K of N of the study (K from 0): trials whose index modulo N is K.
    #[arg(long, value_name = "K/N")]
    shard: Option<Shard>,

    /// Run store: sqlite://FILE or postgres://USER@HOST:PORT/DB [default: $GPT_TRADER_DB, else
    /// runs.db in the data folder].
    #[arg(long, value_name = "URL")]
    db: Option<String>,

    /// Keep nothing in the run store (no study, no saved best run).
    #[arg(long)]
    no_save: bool,

    /// Also write the study's HTML page: the objective over each pair of parameters (heat maps),
    /// each parameter against the objective, the best trials and the best trial's report.
    #[arg(long, value_name = "FILE.html")]
    report: Option<PathBuf>,

    /// A readable ranking, or one JSON object
    /// {study, method, objective, trials_count, trials, best, deflated_sharpe_ratio}.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// `gpt-trader optimize`.
pub fn run(args: &OptimizeArgs) -> Result<()> {
    // ml_signal's model comes from the store this command names.
    if let Some(db) = &args.db {
        gt_runner::strategy_source::read_models_from(db);
    }
    let (spec, space, objective, mut plan) = args.sweep.parts()?;
    (plan.shard, plan.top) = (args.shard, usize::from(args.top));
    let strategy = space.strategy;
    let store = crate::output::open_store_unless(args.no_save, args.db.as_deref())?;
    if let Some(path) = &args.report {
        paths::check_writable(path, "--report")?;
    }
    let started = Instant::now();
    let series = crate::commands::data_args::load(&spec.data)?;
    let mut sweep = Sweep::new(spec, series, space.clone(), objective).map_err(option_error)?;
    if let Some(blocks) = args.pbo {
        sweep = sweep.with_pbo_blocks(blocks)?;
    }
    sweep.check_plan(&plan)?;
    let name = args
        .study
        .clone()
        .unwrap_or_else(|| format!("{}-{}", strategy.name, chrono::Utc::now().format("%Y%m%d-%H%M%S")));
    let mut saved_best = None;
    if let Some(store) = &store {
        let definition = sweep.definition(&plan, &args.sweep.params);
        let study = store
            .block_on(async |s| s.open_study(&name, &definition).await)
            .with_context(|| format!("opening study {name}"))?;
        Sweep::check_definition(&name, &study.definition, &definition)?;
        saved_best = study.best_run_id;
        eprintln!("Study {name} (continue it with --study {name}).");
    }
    let progress = TrialBar::new(space, &args.sweep.objective);
    let keep_all = args.format == OutputFormat::Json || args.report.is_some();
    let report = sweep.run_study(&plan, store.as_ref().map(|s| (s, name.as_str())), keep_all, &progress)?;
    progress.bar.finish_and_clear();
    if report.trials_count == 0 {
        let mut why = left_out(&report).join(" ");
        if why.is_empty() {
            why = "the space has no combination to run.".to_owned();
        }
        anyhow::bail!(
            "no trial could run ({}); widen the ranges or loosen the constraint",
            why.trim_end_matches('.')
        );
    }
    let best_run = match report.top.first() {
        // A finished study run again: its best run is already saved.
        Some(_) if report.ran == 0 && saved_best.is_some() && args.report.is_none() => saved_best,
        Some(best) if store.is_some() || args.report.is_some() => {
            save_best(&sweep, best, &report.all, store.as_ref().map(|s| (s, name.as_str())), args, started)?
        }
        _ => None,
    };
    let study = store.is_some().then_some(name.as_str());
    match args.format {
        OutputFormat::Json => print_json(&sweep, &plan, study, &report, best_run.as_deref()),
        OutputFormat::Table => print_ranking(&sweep, &report, best_run.as_deref()),
    }
}

/// Runs the best trial again in full: writes the study's page with its
/// report (`--report`) and saves it as a normal run of the store (returning
/// its id), as asked.
fn save_best(
    sweep: &Sweep,
    best: &TrialOutcome,
    trials: &[TrialOutcome],
    store: Option<(&OpenStore, &str)>,
    args: &OptimizeArgs,
    started: Instant,
) -> Result<Option<String>> {
    let (shared, result) = sweep.run_full(&best.trial)?;
    let full = report_of(&shared.series, &result);
    let title = sweep.space.strategy.name;
    let chart = report::chart_data(&shared.series, &result, &full, title)?;
    if let Some(path) = &args.report {
        let best_report = gt_analytics::tearsheet::render(title, &chart);
        let heading = format!("{title}: {} trials", trials.len());
        let page = render_study_page(&heading, &sweep.space, &sweep.objective.key, trials, &best_report);
        std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))?;
    }
    let Some((store, study)) = store else { return Ok(None) };
    let params = best.trial.params(&sweep.space);
    let request = RunRequest {
        kind: "optimize",
        title,
        params: &params,
        config: serde_json::json!({
            "args": std::env::args().skip(1).collect::<Vec<_>>(),
            "study": study,
            "trial": best.trial.index,
            "spec": sweep.spec(),
        }),
        elapsed: started.elapsed(),
    };
    let (run, details) = stored_run(&request, &shared.series, &result, &full, &chart)?;
    let id = store.save(&run, &details)?;
    store.block_on(async |s| s.set_study_best_run(study, &id).await)?;
    Ok(Some(id))
}

/// What the run left out, in words.
fn left_out(report: &StudyReport) -> Vec<String> {
    let mut lines = Vec::new();
    if report.constrained > 0 {
        lines.push(format!("{} combinations left out by --constraint.", report.constrained));
    }
    if let (count @ 1.., reason) = &report.refused {
        let reason = reason.as_deref().unwrap_or_default();
        lines.push(format!(
            "{count} combinations refused by the strategy ({reason}); a --constraint skips them."
        ));
    }
    lines
}

fn print_ranking(sweep: &Sweep, report: &StudyReport, best_run: Option<&str>) -> Result<()> {
    let key = sweep.objective.key.as_str();
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let columns = ["return_pct", "sharpe_ratio", "max_drawdown_pct", "trades"];
    let mut header: Vec<String> = vec!["#".to_owned()];
    header.extend(sweep.space.axes.iter().map(|a| a.name.to_owned()));
    header.push(format!("{} (objective)", gt_analytics::label(key)));
    header.extend(columns.iter().filter(|c| **c != key).map(|c| gt_analytics::label(c).to_owned()));
    table.set_header(header);
    for (rank, outcome) in report.top.iter().enumerate() {
        let mut row = vec![Cell::new(rank + 1)];
        row.extend(outcome.trial.values.iter().map(|v| Cell::new(v).set_alignment(CellAlignment::Right)));
        let numbers = std::iter::once(key).chain(columns.iter().copied().filter(|c| *c != key));
        row.extend(
            numbers.map(|k| {
                Cell::new(format_number(k, outcome.stats.get(k))).set_alignment(CellAlignment::Right)
            }),
        );
        table.add_row(row);
    }
    outln!("{table}");
    outln!("{} trials ({} run now).", report.trials_count, report.ran);
    for line in left_out(report) {
        outln!("{line}");
    }
    if let Some(deflated) = &report.deflated_sharpe {
        outln!("{}", deflated.reading(report.trials_count as usize));
    }
    match (&report.overfitting, sweep.pbo_blocks()) {
        (Some(overfitting), _) => outln!("{}", overfitting.reading()),
        (None, Some(_)) => outln!("PBO: not enough trials or returns to tell."),
        (None, None) => {}
    }
    if let Some(id) = best_run {
        outln!("The best trial is saved as run {id} (gpt-trader runs show {id}).");
    }
    Ok(())
}

fn print_json(
    sweep: &Sweep,
    plan: &StudyPlan,
    study: Option<&str>,
    report: &StudyReport,
    best_run: Option<&str>,
) -> Result<()> {
    let trial = |o: &TrialOutcome| {
        serde_json::json!({
            "index": o.trial.index,
            "params": sweep.params_json(&o.trial),
            "value": o.value,
            "stats": o.stats,
        })
    };
    let best = report.top.first().map(
        |o| serde_json::json!({"params": sweep.params_json(&o.trial), "value": o.value, "run_id": best_run}),
    );
    let json = serde_json::json!({
        "study": study,
        "method": plan.method,
        "objective": sweep.objective,
        "trials_count": report.trials_count,
        "trials": report.all.iter().map(trial).collect::<Vec<_>>(),
        "best": best,
        "deflated_sharpe_ratio": report.deflated_sharpe,
        "probability_of_backtest_overfitting": report.overfitting,
        "left_out": left_out(report),
    });
    outln!("{json}");
    Ok(())
}
