//! `gpt-trader strategies [NAME]`: what strategies exist and how to set them.

use crate::output::OutputFormat;
use anyhow::Result;
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use gt_runner::records::StrategyRecord;
use gt_runner::strategy_source::ML_SIGNAL;
use gt_strategy::registry;

/// What `strategies ml_signal` says beyond its schema: where the model comes from.
const ML_SIGNAL_RULES: &str = "Each bar's features are pushed through the stream the model was trained on \
(its feature set; a model whose schema no longer matches is refused), and the model's probability decides: \
long above threshold; below 1 - threshold out, or short with allow_short. The model comes from the registry \
in the run store (`gpt-trader ml train` registers one; a retired one is refused). The kill-switch \
parameters stop the model (a live one is demoted to shadow) when one of its limits is passed. Backtesting \
the model on the bars it was trained on is in sample: `ml train` reports the out-of-sample backtest.";

/// Options of `gpt-trader strategies`.
#[derive(Args, Debug)]
#[command(
    after_long_help = "Examples:\n  gpt-trader strategies\n  gpt-trader strategies trend_breakout\n  gpt-trader strategies demo_ma --format json"
)]
pub struct StrategiesArgs {
    /// Show this strategy's rules and parameters instead of the list.
    name: Option<String>,

    /// A readable table, or JSON.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// `gpt-trader strategies`.
pub fn run(args: &StrategiesArgs) -> Result<()> {
    let Some(name) = &args.name else {
        if args.format == OutputFormat::Json {
            let all: Vec<StrategyRecord> = registry::STRATEGIES.iter().map(StrategyRecord::of).collect();
            outln!("{}", serde_json::to_string(&all)?);
            return Ok(());
        }
        let mut table = Table::new();
        table.load_preset(UTF8_FULL_CONDENSED).set_header(["strategy", "idea"]);
        for spec in registry::STRATEGIES {
            table.add_row([spec.name, spec.summary]);
        }
        table.add_row([
            ML_SIGNAL,
            "a registered model's probabilities: long above a threshold (`gpt-trader ml`)",
        ]);
        outln!("{table}\nDetails: gpt-trader strategies NAME");
        return Ok(());
    };
    let spec = gt_runner::strategy_source::sweepable(name)?;
    if args.format == OutputFormat::Json {
        outln!("{}", serde_json::to_string(&StrategyRecord::of(spec))?);
        return Ok(());
    }
    let rules = if name == ML_SIGNAL { ML_SIGNAL_RULES } else { spec.rules };
    outln!("{} — {}\n\n{}\n", spec.name, spec.summary, rules);
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(["parameter", "type", "default", "range", "meaning"]);
    if name == ML_SIGNAL {
        table.add_row([
            "model",
            "text",
            "(required)",
            "",
            "its id in `gpt-trader ml list`, or a unique start of it",
        ]);
    }
    for param in spec.params {
        let (kind, default, range) = param.describe();
        table.add_row([param.name, kind, &default, &range, param.help]);
    }
    outln!("{table}");
    if name == ML_SIGNAL {
        outln!(
            "Set with --param NAME=VALUE, e.g. gpt-trader backtest --strategy ml_signal --param model=1c52db"
        );
    } else if let Some(first) = spec.params.first() {
        let example = format!("--strategy {} --param {}={}", spec.name, first.name, first.describe().1);
        outln!("Set with --param NAME=VALUE, e.g. gpt-trader backtest {example}");
    }
    Ok(())
}
