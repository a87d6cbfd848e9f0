//! The options that define a paper session, and rebuilding its run from
//! the options it was stored with.

use crate::commands::run_spec::RunSpecArgs;
use anyhow::{Context, Result, anyhow};
use clap::Parser;
use gt_runner::PreparedRun;
use gt_runner::paper::SessionDefinition;
use gt_store::SessionRecord;
use std::path::PathBuf;

/// Options of `paper run` that are not part of a session's stored definition
/// (each takes a value): they do not change what it trades, or (the broker)
/// are kept apart.
// An option before any that is a prefix of it (`--metrics-token`, `--metrics`).
// The webhook URLs of `--notify` are secrets: they are never stored.
const NOT_DEFINING: [&str; 19] = [
    "--shadow",
    "--notify-disconnect-secs",
    "--notify-events",
    "--notify-format",
    "--notify",
    "--metrics-token",
    "--metrics",
    "--data-dir",
    "--outside-hours",
    "--session",
    "--max-bars",
    "--speed",
    "--format",
    "--db",
    "--warmup-days",
    "--reconcile-every",
    "--broker",
    "--feed",
    "--alpaca-feed",
];

/// Re-reads a session's stored options as `paper run` would.
#[derive(Parser)]
#[command(no_binary_name = true)]
struct StoredOptions {
    #[command(flatten)]
    spec: RunSpecArgs,
}

/// The command-line options after `paper run` that define the session:
/// those of `args` that are not in [`NOT_DEFINING`].
pub fn defining_options(args: &[String]) -> Vec<String> {
    let mut kept = Vec::new();
    let mut skip_value = false;
    for arg in args {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        if let Some(flag) = NOT_DEFINING.iter().find(|flag| arg.starts_with(*flag)) {
            skip_value = arg.len() == flag.len();
            continue;
        }
        kept.push(arg.clone());
    }
    kept
}

/// Runs `prepare` on the options a stored session was defined with, from
/// the folder it was started in (its paths are relative to it).
pub fn with_stored_spec<T>(
    record: &SessionRecord,
    prepare: impl FnOnce(&RunSpecArgs) -> Result<T>,
) -> Result<T> {
    let definition = SessionDefinition::of(record);
    let stored = StoredOptions::try_parse_from(&definition.options)
        .map_err(|e| anyhow!("session {:?}: its stored options no longer parse: {e}", record.name))?;
    let cwd = Some(PathBuf::from(&definition.cwd)).filter(|cwd| !cwd.as_os_str().is_empty());
    let here = std::env::current_dir()?;
    if let Some(cwd) = &cwd {
        std::env::set_current_dir(cwd)
            .with_context(|| format!("session {:?} was started in {}", record.name, cwd.display()))?;
    }
    let prepared = prepare(&stored.spec);
    std::env::set_current_dir(here)?;
    prepared
}

/// Rebuilds the run a stored session was defined with.
pub fn prepare_stored(record: &SessionRecord) -> Result<PreparedRun> {
    with_stored_spec(record, RunSpecArgs::prepare)
}
