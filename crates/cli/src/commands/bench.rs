//! `gpt-trader bench`: the performance benchmarks, one JSON line each.

use anyhow::{Result, bail};
use clap::Args;
use gt_runner::bench::{BENCHES, BenchOptions};

/// Options of `gpt-trader bench`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Run only benchmarks whose name contains this text.
    #[arg(long)]
    filter: Option<String>,

    /// Timed repetitions per benchmark; the median is reported (sweeps run once).
    #[arg(long, default_value_t = 5)]
    repeat: usize,

    /// Run every benchmark on 1/100 of its bars: checks that they run, measures nothing.
    #[arg(long)]
    quick: bool,
}

/// `gpt-trader bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let benches = || BENCHES.iter().chain(gt_optimize::bench::BENCHES.iter());
    let selected: Vec<_> =
        benches().filter(|(name, _)| args.filter.as_deref().is_none_or(|f| name.contains(f))).collect();
    if selected.is_empty() {
        let names: Vec<&str> = benches().map(|(n, _)| *n).collect();
        bail!("no benchmark matches the filter; benchmarks: {}", names.join(", "));
    }
    // The end-to-end benchmarks run this very program.
    let program = std::env::current_exe()?;
    let options =
        BenchOptions { program: &program, repeat: args.repeat, shrink: if args.quick { 100 } else { 1 } };
    for (_, bench) in selected {
        outln!("{}", serde_json::to_string(&bench(&options)?)?);
    }
    Ok(())
}
