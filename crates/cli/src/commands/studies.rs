//! `gpt-trader studies`: list, show and delete the optimization studies in the run store.

use crate::output::{OutputFormat, format_number};
use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use gt_optimize::StudyView;
use gt_runner::paths::database_url;
use gt_runner::records::created_at;
use gt_runner::store::{OpenStore, redacted};

/// Options of `gpt-trader studies`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples:
  gpt-trader studies list
  gpt-trader studies show demo_ma-20261202-013000 --top 20
  gpt-trader studies show spy-sma --format json > study.json
  gpt-trader studies delete spy-sma

A study is what `gpt-trader optimize --study NAME` keeps: its definition and every trial's
parameters and statistics. Its best trial's run is a normal run (gpt-trader runs show ID).")]
pub struct StudiesArgs {
    /// Run store URL [default: $GPT_TRADER_DB, else runs.db in the data folder].
    #[arg(long, value_name = "URL", global = true)]
    db: Option<String>,

    #[command(subcommand)]
    command: StudiesCommand,
}

#[derive(Subcommand, Debug)]
enum StudiesCommand {
    /// List the studies, newest first.
    #[command(
        after_long_help = "Examples:\n  gpt-trader studies list\n  gpt-trader studies list --format json"
    )]
    List {
        /// A table, or a JSON list of {name, strategy, method, objective, trials_count, best_run_id, …}.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Show a study: its definition and its best trials.
    #[command(
        after_long_help = "Examples:\n  gpt-trader studies show spy-sma\n  gpt-trader studies show spy-sma --top 25\n  gpt-trader studies show spy-sma --format json > study.json"
    )]
    Show {
        /// The study's name.
        name: String,
        /// Trials shown (with --format json, every trial).
        #[arg(long, default_value_t = 10, value_name = "N")]
        top: usize,
        /// A table, or one JSON object with every trial ranked.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Delete a study and its trials (its saved best run stays, as a run).
    #[command(after_long_help = "Examples:\n  gpt-trader studies delete spy-sma")]
    Delete {
        /// The study's name.
        name: String,
    },
}

/// `gpt-trader studies`.
pub fn run(args: &StudiesArgs) -> Result<()> {
    let url = database_url(args.db.as_deref())?;
    let store = OpenStore::open(&url)?;
    match &args.command {
        StudiesCommand::List { format } => {
            let records = store.block_on(async |s| s.studies().await)?;
            let views: Vec<StudyView> = records.into_iter().map(|r| StudyView::new(r, Vec::new())).collect();
            if *format == OutputFormat::Json {
                outln!("{}", serde_json::to_string(&views)?);
                return Ok(());
            }
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            table.set_header(["study", "strategy", "method", "objective", "trials", "best run", "updated"]);
            for view in &views {
                table.add_row([
                    view.name.clone(),
                    view.strategy.clone(),
                    view.method.clone(),
                    format!("{}{}", view.objective.key, if view.objective.minimize { " (min)" } else { "" }),
                    view.trials_count.to_string(),
                    view.best_run_id.clone().unwrap_or_else(|| "—".to_owned()),
                    created_at(view.updated_at_ms),
                ]);
            }
            outln!("{table}");
            outln!("{} studies in {}", views.len(), redacted(&url));
        }
        StudiesCommand::Show { name, top, format } => {
            let Some(record) = store.block_on(async |s| s.study(name).await)? else {
                bail!("no study {name:?} in {}; see gpt-trader studies list", redacted(&url));
            };
            let trials = store.block_on(async |s| s.trials(name).await)?;
            let view = StudyView::new(record, trials);
            if *format == OutputFormat::Json {
                outln!("{}", serde_json::to_string(&view)?);
                return Ok(());
            }
            print_view(&view, *top)?;
        }
        StudiesCommand::Delete { name } => {
            if !store.block_on(async |s| s.delete_study(name).await)? {
                bail!("no study {name:?} in {}; see gpt-trader studies list", redacted(&url));
            }
            outln!("Deleted study {name}.");
        }
    }
    Ok(())
}

fn print_view(view: &StudyView, top: usize) -> Result<()> {
    outln!("Study {}: {} by {} over {} trials", view.name, view.strategy, view.method, view.trials_count);
    let key = view.objective.key.as_str();
    let direction = if view.objective.minimize { "lowest" } else { "highest" };
    outln!("Ranked by {} ({direction} first), fewer than {} trades last.", key, view.objective.min_trades);
    let names: Vec<String> = view
        .trials
        .first()
        .and_then(|t| t.params.as_object())
        .map(|params| params.keys().cloned().collect())
        .unwrap_or_default();
    let columns = ["return_pct", "sharpe_ratio", "max_drawdown_pct", "trades"];
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    let mut header = vec!["#".to_owned(), "trial".to_owned()];
    header.extend(names.iter().cloned());
    header.push(format!("{} (objective)", gt_analytics::label(key)));
    header.extend(columns.iter().filter(|c| **c != key).map(|c| gt_analytics::label(c).to_owned()));
    table.set_header(header);
    for (rank, trial) in view.trials.iter().take(top).enumerate() {
        let mut row = vec![Cell::new(rank + 1), Cell::new(trial.index)];
        row.extend(names.iter().map(|n| Cell::new(&trial.params[n]).set_alignment(CellAlignment::Right)));
        let keys = std::iter::once(key).chain(columns.iter().copied().filter(|c| *c != key));
        row.extend(
            keys.map(|k| Cell::new(format_number(k, trial.stats.get(k))).set_alignment(CellAlignment::Right)),
        );
        table.add_row(row);
    }
    outln!("{table}");
    if let Some(id) = &view.best_run_id {
        outln!("Best run saved as {id} (gpt-trader runs show {id}).");
    }
    Ok(())
}
