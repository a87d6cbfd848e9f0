//! `gpt-trader bench`: the performance benchmarks, one JSON line each.

use anyhow::{Result, bail};
use clap::Args;
use gt_runner::bench::BENCHES;

/// Options of `gpt-trader bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Run only benchmarks whose name contains this text.
    #[arg(long)]
    filter: Option<String>,

    /// Timed repetitions per benchmark; the median is reported.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
}

/// `gpt-trader bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let selected: Vec<_> =
        BENCHES.iter().filter(|(name, _)| args.filter.as_deref().is_none_or(|f| name.contains(f))).collect();
    if selected.is_empty() {
        let names: Vec<&str> = BENCHES.iter().map(|(n, _)| *n).collect();
        bail!("no benchmark matches the filter; benchmarks: {}", names.join(", "));
    }
    // The end-to-end benchmarks run this very program.
    let program = std::env::current_exe()?;
    for (_, bench) in selected {
        outln!("{}", serde_json::to_string(&bench(&program, args.repeat)?)?);
    }
    Ok(())
}
