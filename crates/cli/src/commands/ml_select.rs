//! `ml select-eval`: the strategy selector evaluated walk-forward against
//! equal weight, inverse volatility and the best single strategy.

use crate::commands::data_args::DataArgs;
use crate::output::OutputFormat;

use anyhow::{Result, bail};
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use gt_runner::selection::{Periods, SelectEval, select_eval};
use gt_runner::selector::selector_model;
use gt_runner::store::open_with_runtime as open_store;

/// Options of `ml select-eval`.
#[derive(Args, Debug)]
pub struct SelectEvalArgs {
    #[command(flatten)]
    data: DataArgs,

    /// Periods the weights hold for: month (a period per calendar month) or a number of bars.
    #[arg(long, value_name = "month|BARS", default_value = "month", value_parser = parse_periods)]
    period: Periods,

    /// Test blocks of the walk-forward; the periods are cut into FOLDS + 1 blocks.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=50))]
    folds: u16,

    /// Bars left between a training period's end and its test block (the period just before a
    /// block is always purged: its return reaches the block).
    #[arg(long, value_name = "BARS", default_value_t = 0)]
    embargo: usize,

    /// Commission of the strategies' trades, also paid on each unit of weight moved between them.
    #[arg(long, value_name = "RATE", default_value_t = 0.001)]
    commission: f64,

    /// Register the selector fitted on every period in the model registry (as a `candidate` of kind
    /// `selector`, for `[allocation] method = "ml"` once promoted); needs --period month.
    #[arg(long)]
    register: bool,

    /// A table, or one JSON object {strategies, features, periods, test_start, test_periods, methods, weights,
    /// next_weights, next_start, model_id (with --register)}.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

fn parse_periods(text: &str) -> Result<Periods, String> {
    match text {
        "month" | "monthly" => Ok(Periods::Monthly),
        _ => match text.parse::<usize>() {
            Ok(bars) if bars >= 2 => Ok(Periods::Bars(bars)),
            _ => Err(format!("expected month or a number of bars (2 or more), got {text:?}")),
        },
    }
}

/// `ml select-eval`.
pub fn run(args: &SelectEvalArgs, url: &str) -> Result<()> {
    let eval = SelectEval {
        periods: args.period,
        folds: usize::from(args.folds),
        embargo: args.embargo,
        commission: args.commission,
    };
    if args.register && args.period != Periods::Monthly {
        bail!("--register needs --period month: an allocation rebalances on calendar months");
    }
    // A bad store is found before the evaluation, not after it.
    let store = if args.register { Some(open_store(url)?) } else { None };
    let series = args.data.load()?;
    let outcome = select_eval(series.clone(), &eval)?;
    let mut model_id = None;
    if let Some((store, runtime)) = store {
        let model = selector_model(&series, &outcome, &eval)?;
        let record = runtime.block_on(store.register_model(&model, "ml select-eval"))?;
        runtime.block_on(store.close());
        eprintln!("Registered selector {} as {}.", record.model.id, record.status);
        model_id = Some(record.model.id);
    }
    if args.format == OutputFormat::Json {
        let mut json = serde_json::to_value(&outcome)?;
        if let Some(id) = model_id {
            json["model_id"] = id.into();
        }
        outln!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(());
    }
    outln!(
        "{} strategies ({}), {} periods; {} tested out of sample from {}.",
        outcome.strategies.len(),
        outcome.strategies.join(", "),
        outcome.periods,
        outcome.report.test_periods,
        outcome.test_start
    );
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(["weights", "Return %", "Sharpe", "Max DD %", "Turnover"]);
    for m in &outcome.report.methods {
        let number = |v: f64| if v.is_finite() { format!("{v:.3}") } else { "—".to_owned() };
        table.add_row([
            m.method.to_owned(),
            number(m.return_pct),
            number(m.sharpe_ratio),
            number(m.max_drawdown_pct),
            number(m.turnover),
        ]);
    }
    outln!("{table}");
    let next: Vec<String> = outcome
        .strategies
        .iter()
        .zip(&outcome.next_weights)
        .map(|(name, w)| format!("{name} {:.1} %", w * 100.0))
        .collect();
    outln!(
        "Next weights (selector fitted on every period, for the period from {}): {}.",
        outcome.next_start,
        next.join(", ")
    );
    outln!("Net of costs: each strategy's commission, and the commission on every unit of weight moved.");
    Ok(())
}
