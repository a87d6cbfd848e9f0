//! `gpt-trader`: the command-line program.

/// `println!` that returns an error instead of panicking when stdout is closed
/// (`gpt-trader runs list | head`); the error ends the program quietly.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

mod commands;
mod output;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Research systematic trading strategies on historical bars.
///
/// Start with `gpt-trader backtest`: it runs the demo moving-average strategy
/// on the bundled GOOG daily sample and prints its statistics.
#[derive(Parser)]
#[command(name = "gpt-trader", version, about, long_about)]
struct Cli {
    /// Folder for the bar cache, run store and universes [default: $GPT_TRADER_DATA, else
    /// ~/.local/share/gpt-trader].
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Backtest a strategy on a CSV file (or the bundled sample) and report statistics.
    Backtest(commands::backtest::BacktestArgs),
    /// The local bar cache: fetch history, import CSV files, list, show and resample what is cached.
    Data(commands::data::DataCommandArgs),
    /// Run several strategies on the same bars and compare them side by side with buy & hold.
    Compare(commands::compare::CompareArgs),
    /// Sweep a strategy's parameters (grid or random search), ranked by a statistic, kept as a study.
    Optimize(commands::optimize::OptimizeArgs),
    /// Walk-forward validation: optimize on each training window, test the winner on the next.
    Walkforward(commands::walkforward::WalkforwardArgs),
    /// List, show and delete the optimization studies (what `optimize --study` keeps).
    Studies(commands::studies::StudiesArgs),
    /// List, show, compare, export and delete recorded runs.
    Runs(commands::runs::RunsArgs),
    /// List the built-in strategies, or show one's rules and parameters.
    Strategies(commands::strategies::StrategiesArgs),
    /// Compute technical indicators over a CSV file (or the sample) and write them as CSV.
    Indicators(commands::indicators::IndicatorsArgs),
    /// Machine learning on bars: train a model walk-forward on purged, embargoed folds.
    Ml(commands::ml::MlArgs),
    /// Paper trading: run a strategy as a session on live-paced bars, watch and steer it.
    Paper(commands::paper::PaperArgs),
    /// The web dashboard: runs, studies and live paper sessions, a JSON API and Prometheus metrics.
    Dashboard(commands::dashboard::DashboardArgs),
    /// Run the performance benchmarks; prints one JSON line per benchmark.
    Bench(commands::bench::BenchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(dir) = cli.data_dir {
        gt_runner::paths::set_data_dir(dir);
    }
    let outcome = match cli.command {
        Command::Backtest(args) => commands::backtest::run(&args),
        Command::Compare(args) => commands::compare::run(&args),
        Command::Data(args) => commands::data::run(&args),
        Command::Optimize(args) => commands::optimize::run(&args),
        Command::Walkforward(args) => commands::walkforward::run(&args),
        Command::Studies(args) => commands::studies::run(&args),
        Command::Runs(args) => commands::runs::run(&args),
        Command::Strategies(args) => commands::strategies::run(&args),
        Command::Indicators(args) => commands::indicators::run(&args),
        Command::Ml(args) => commands::ml::run(&args),
        Command::Paper(args) => commands::paper::run(&args),
        Command::Dashboard(args) => commands::dashboard::run(&args),
        Command::Bench(args) => commands::bench::run(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`gpt-trader indicators | head`) is the reader's choice, not a failure.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause.downcast_ref::<csv::Error>().is_some_and(
                |e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe),
            )
    })
}
