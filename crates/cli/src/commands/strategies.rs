//! `gpt-trader strategies [NAME]`: what strategies exist and how to set them.

use crate::output::OutputFormat;
use anyhow::Result;
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use gt_runner::records::StrategyRecord;
use gt_strategy::registry;

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
        outln!("{table}\nDetails: gpt-trader strategies NAME");
        return Ok(());
    };
    let spec = registry::find(name)?;
    if args.format == OutputFormat::Json {
        outln!("{}", serde_json::to_string(&StrategyRecord::of(spec))?);
        return Ok(());
    }
    outln!("{} — {}\n\n{}\n", spec.name, spec.summary, spec.rules);
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(["parameter", "type", "default", "range", "meaning"]);
    for param in spec.params {
        let (kind, default, range) = param.describe();
        table.add_row([param.name, kind, &default, &range, param.help]);
    }
    outln!("{table}");
    if let Some(first) = spec.params.first() {
        let example = format!("--strategy {} --param {}={}", spec.name, first.name, first.describe().1);
        outln!("Set with --param NAME=VALUE, e.g. gpt-trader backtest {example}");
    }
    Ok(())
}
