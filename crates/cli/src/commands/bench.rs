//! `gpt-trader bench`: performance benchmarks on deterministic synthetic data.

use anyhow::{Result, bail};
use clap::Args;
use gt_data::synthetic;
use gt_engine::{EngineConfig, Sleeve, backtest, backtest_portfolio};
use gt_execution::ExchangeConfig;
use gt_model::Symbol;
use gt_model::{BarSeries, StrategyId};
use gt_risk::{ProtectiveExits, RiskConfig, RiskEngine, RiskLimits, Sizing};
use gt_runner::outcome::{stats_of, time_format_of};
use gt_strategy::Strategy;
use gt_strategy::demo_ma::DemoMa;
use serde::Serialize;
use std::time::Instant;

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

/// One benchmark's result line.
#[derive(Serialize)]
struct BenchLine {
    name: &'static str,
    bars: usize,
    seconds: f64,
    bars_per_s: f64,
    /// Where the time of an end-to-end benchmark goes (seconds per phase, measured in-process).
    #[serde(skip_serializing_if = "Option::is_none")]
    phases: Option<Phases>,
}

/// The phases of a `backtest` command, each timed on its own (median).
#[derive(Serialize)]
struct Phases {
    /// Reading and validating the bars (CSV) or reading them back (cache).
    load_s: f64,
    /// The engine run.
    run_s: f64,
    /// Statistics and the report (trade list, equity curve).
    stats_s: f64,
}

/// Bars of the end-to-end benchmarks.
const END_TO_END_BARS: usize = 1_000_000;

/// A temporary folder, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("gpt-trader-bench-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `bars` as a CSV file in the layout `backtest --data` reads (prices to 4 decimals).
fn write_csv(bars: &BarSeries, path: &std::path::Path) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "Date,Open,High,Low,Close,Volume")?;
    for i in 0..bars.len() {
        let bar = bars.bar(i);
        let time = bar.ts.to_utc().format("%Y-%m-%d %H:%M:%S");
        writeln!(
            out,
            "{time},{:.4},{:.4},{:.4},{:.4},{}",
            bar.open, bar.high, bar.low, bar.close, bar.volume
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Runs this program with `args` (stdout discarded) `repeat` times; the median wall time.
fn time_command(repeat: usize, args: &[&str], data_dir: &std::path::Path) -> Result<f64> {
    let program = std::env::current_exe()?;
    let mut failure = None;
    let seconds = median_seconds(repeat, || {
        let status = std::process::Command::new(&program)
            .args(args)
            .env("GPT_TRADER_DATA", data_dir)
            .stdout(std::process::Stdio::null())
            .status();
        if !status.as_ref().is_ok_and(std::process::ExitStatus::success) {
            failure = Some(format!("{args:?}: {status:?}"));
        }
    });
    match failure {
        Some(failure) => bail!("the benchmarked command failed: {failure}"),
        None => Ok(seconds),
    }
}

/// The line of an end-to-end benchmark that took `seconds` in all and
/// `load_s` to load `series`; the run and statistics phases are timed here.
fn end_to_end_line(
    name: &'static str,
    seconds: f64,
    load_s: f64,
    repeat: usize,
    series: &BarSeries,
) -> BenchLine {
    let (run_s, stats_s) = run_and_stats_phases(repeat, series);
    BenchLine {
        name,
        bars: series.len(),
        seconds,
        bars_per_s: series.len() as f64 / seconds,
        phases: Some(Phases { load_s, run_s, stats_s }),
    }
}

/// The engine run and the statistics of `backtest`'s default (demo_ma, 10,000 cash) on `series`, timed apart.
fn run_and_stats_phases(repeat: usize, series: &BarSeries) -> (f64, f64) {
    let config = EngineConfig { keep_order_log: false, ..EngineConfig::with_cash(10_000.0) };
    let strategy = || Box::new(DemoMa::new(10, 20, true).expect("valid periods"));
    let run_s = median_seconds(repeat, || backtest(series, strategy(), config, ExchangeConfig::default()));
    let result = backtest(series, strategy(), config, ExchangeConfig::default());
    let series = std::slice::from_ref(series);
    let stats_s = median_seconds(repeat, || {
        let format = time_format_of(series);
        gt_analytics::Report::new(
            stats_of(series, &result),
            &result.trades,
            &result.timeline,
            &result.equity,
            format,
        )
    });
    (run_s, stats_s)
}

/// The whole `gpt-trader backtest --data FILE.csv --no-save` on a CSV file of
/// 1,000,000 one-minute bars it writes first (about 60 MB): parse, validate,
/// run, statistics, table, as a separate process.
fn cli_backtest_1m_csv(repeat: usize) -> Result<BenchLine> {
    let dir = TempDir::new("csv")?;
    let series = synthetic::random_walk(Symbol::new("SYN"), END_TO_END_BARS, 11);
    let path = dir.0.join("SYN.csv");
    write_csv(&series, &path)?;
    let file = path.to_string_lossy().into_owned();
    let seconds = time_command(repeat, &["backtest", "--data", &file, "--no-save"], &dir.0)?;
    let load_s = median_seconds(repeat, || gt_data::csv_bars::load(&path, Symbol::new("SYN")));
    Ok(end_to_end_line("cli_backtest_1m_csv", seconds, load_s, repeat, &series))
}

/// The whole `gpt-trader backtest --symbols SYN --no-save` with the 1,000,000
/// bars in the local bar cache, as a separate process.
fn cli_backtest_1m_cache(repeat: usize) -> Result<BenchLine> {
    let dir = TempDir::new("cache")?;
    let series = synthetic::random_walk(Symbol::new("SYN"), END_TO_END_BARS, 11);
    let cache = gt_data::cache::BarCache::new(dir.0.join("bars"));
    cache.store(&series, "1d", "bench")?;
    let seconds = time_command(repeat, &["backtest", "--symbols", "SYN", "--no-save"], &dir.0)?;
    let load_s = median_seconds(repeat, || cache.load("SYN", "1d"));
    Ok(end_to_end_line("cli_backtest_1m_cache", seconds, load_s, repeat, &series))
}

/// SMA-cross (10/20, shorts allowed) over 1,000,000 synthetic one-minute bars:
/// the full engine path (exchange, portfolio, trade ledger, equity curve).
///
/// The account starts with 1e9 and pays no commission so that it keeps
/// trading to the last bar (about 46,500 round trips): with the Quick Start's
/// 10,000 and 0.2 % the whipsaw of random data would leave it unable to afford
/// one unit long before the end, and the benchmark would time an idle loop.
fn sma_cross_1m(repeat: usize) -> BenchLine {
    const BARS: usize = 1_000_000;
    let bars = synthetic::random_walk(Symbol::new("SYN"), BARS, 42);
    let exchange = ExchangeConfig::default();
    let config = EngineConfig { keep_order_log: false, ..EngineConfig::with_cash(1e9) };
    let seconds = median_seconds(repeat, || {
        backtest(&bars, Box::new(DemoMa::new(10, 20, true).expect("valid periods")), config, exchange)
    });
    BenchLine { name: "sma_cross_1m", bars: BARS, seconds, bars_per_s: BARS as f64 / seconds, phases: None }
}

/// 500 symbols × 10 years of synthetic daily bars (2,520 each), SMA-cross on
/// every symbol in one account, every order through the risk engine (position
/// cap 5 %, gross exposure 100 %, drawdown kill switch 50 %), then the
/// statistics: the whole `backtest --universe` path but loading.
fn portfolio_500x10y(repeat: usize) -> BenchLine {
    const SYMBOLS: usize = 500;
    const DAYS: usize = 2_520;
    let series: Vec<BarSeries> = (0..SYMBOLS)
        .map(|i| synthetic::daily_walk(Symbol::new(&format!("S{i:03}")), DAYS, 1_000 + i as u64))
        .collect();
    let limits = RiskLimits {
        max_position_pct: Some(5.0),
        max_gross_exposure_pct: Some(100.0),
        max_drawdown_pct: Some(50.0),
        ..RiskLimits::default()
    };
    let risk_config = RiskConfig::new(limits, ProtectiveExits::default(), Sizing::AsRequested)
        .expect("valid constant limits");
    let config = EngineConfig { keep_order_log: false, ..EngineConfig::with_cash(1_000_000.0) };
    let seconds = median_seconds(repeat, || {
        let members = (0..SYMBOLS)
            .map(|i| (i, Box::new(DemoMa::new(10, 20, true).expect("valid periods")) as Box<dyn Strategy>))
            .collect();
        let mut sleeves = [Sleeve { name: StrategyId::new("demo_ma"), weight: 1.0, members }];
        let mut risk = RiskEngine::new(risk_config, false);
        let result = backtest_portfolio(&series, &mut sleeves, &mut risk, config, ExchangeConfig::default());
        std::hint::black_box(stats_of(&series, &result));
        result
    });
    let bars = SYMBOLS * DAYS;
    BenchLine { name: "portfolio_500x10y", bars, seconds, bars_per_s: bars as f64 / seconds, phases: None }
}

/// Reading 10 years of one-minute bars (252 days × 390 minutes) back from the local cache.
fn cache_read_10y_1m(repeat: usize) -> BenchLine {
    const BARS: usize = 252 * 390 * 10;
    let dir = std::env::temp_dir().join(format!("gpt-trader-bench-cache-{}", std::process::id()));
    let cache = gt_data::cache::BarCache::new(&dir);
    cache
        .store(&synthetic::random_walk(Symbol::new("SYN"), BARS, 7), "1m", "bench")
        .expect("writable temp dir");
    let seconds = median_seconds(repeat, || cache.load("SYN", "1m").expect("just written").expect("present"));
    let _ = std::fs::remove_dir_all(&dir);
    BenchLine {
        name: "cache_read_10y_1m",
        bars: BARS,
        seconds,
        bars_per_s: BARS as f64 / seconds,
        phases: None,
    }
}

/// Runs `work` `repeat` times and returns the median wall time in seconds;
/// what `work` returns is dropped outside the timing.
fn median_seconds<T>(repeat: usize, mut work: impl FnMut() -> T) -> f64 {
    let mut times: Vec<f64> = (0..repeat)
        .map(|_| {
            let started = Instant::now();
            let output = work();
            let seconds = started.elapsed().as_secs_f64();
            drop(std::hint::black_box(output));
            seconds
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// A benchmark: takes the number of timed repetitions, gives its result line.
type Bench = fn(usize) -> Result<BenchLine>;

/// Every benchmark, by name. (`paper_latency`, which needs the mock Alpaca,
/// is a bench target of gt-live: `cargo bench -p gt-live --bench paper_latency`.)
const BENCHES: [(&str, Bench); 5] = [
    ("sma_cross_1m", |repeat| Ok(sma_cross_1m(repeat))),
    ("portfolio_500x10y", |repeat| Ok(portfolio_500x10y(repeat))),
    ("cache_read_10y_1m", |repeat| Ok(cache_read_10y_1m(repeat))),
    ("cli_backtest_1m_csv", cli_backtest_1m_csv),
    ("cli_backtest_1m_cache", cli_backtest_1m_cache),
];

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
    for (_, bench) in selected {
        outln!("{}", serde_json::to_string(&bench(args.repeat)?)?);
    }
    Ok(())
}
