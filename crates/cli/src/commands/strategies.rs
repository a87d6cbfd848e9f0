//! `gpt-trader strategies [NAME]`: what strategies exist and how to set them.

use crate::output::OutputFormat;
use anyhow::Result;
use clap::Args;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use gt_strategy::{ParamKind, ParamSpec, StrategySpec, registry};
use serde_json::{Value, json};

/// Options of `gpt-trader strategies`.
#[derive(Args, Debug)]
pub struct StrategiesArgs {
    /// Show this strategy's rules and parameters instead of the list.
    name: Option<String>,

    /// A readable table, or JSON.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
}

/// `(type, default, range)` of a parameter as text.
fn describe(param: &ParamSpec) -> (&'static str, String, String) {
    match param.kind {
        ParamKind::Int { default, min, max } => ("int", default.to_string(), format!("{min}..={max}")),
        ParamKind::Float { default, min, max } => ("float", default.to_string(), format!("{min}..={max}")),
        ParamKind::Bool { default } => ("bool", default.to_string(), "true | false".to_owned()),
    }
}

fn to_json(spec: &StrategySpec) -> Value {
    let params: Vec<Value> = spec
        .params
        .iter()
        .map(|p| {
            let (kind, default, range) = describe(p);
            json!({"name": p.name, "type": kind, "default": default, "range": range, "help": p.help})
        })
        .collect();
    json!({"name": spec.name, "summary": spec.summary, "rules": spec.rules, "params": params})
}

/// `gpt-trader strategies`.
pub fn run(args: &StrategiesArgs) -> Result<()> {
    let Some(name) = &args.name else {
        if args.format == OutputFormat::Json {
            let all: Vec<Value> = registry::STRATEGIES.iter().map(to_json).collect();
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
        outln!("{}", serde_json::to_string(&to_json(spec))?);
        return Ok(());
    }
    outln!("{} — {}\n\n{}\n", spec.name, spec.summary, spec.rules);
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(["parameter", "type", "default", "range", "meaning"]);
    for param in spec.params {
        let (kind, default, range) = describe(param);
        table.add_row([param.name, kind, &default, &range, param.help]);
    }
    outln!("{table}");
    if let Some(first) = spec.params.first() {
        let example = format!("--strategy {} --param {}={}", spec.name, first.name, describe(first).1);
        outln!("Set with --param NAME=VALUE, e.g. gpt-trader backtest {example}");
    }
    Ok(())
}
