//! The performance benchmarks of `gpt-trader bench`, on deterministic
//! synthetic data: the engine alone, a portfolio through the whole run path,
//! the bar cache, and whole `backtest` commands end to end.

use crate::outcome::{report_of, stats_of};
use crate::prepare::SharedRun;
use crate::spec::{RunSpec, StrategyEntry};
use crate::{RunError, prepare};
use gt_data::synthetic;
use gt_engine::{EngineConfig, backtest};
use gt_execution::ExchangeConfig;
use gt_model::{BarSeries, Symbol};
use gt_strategy::demo_ma::DemoMa;
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// One benchmark's result line.
#[derive(Debug, Serialize)]
pub struct BenchLine {
    /// The benchmark.
    pub name: &'static str,
    /// Bars processed per repetition.
    pub bars: usize,
    /// Median wall time of a repetition.
    pub seconds: f64,
    /// `bars / seconds`.
    pub bars_per_s: f64,
    /// Where the time of an end-to-end benchmark goes (seconds per phase, measured in-process).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phases: Option<Phases>,
    /// A sweep's parameter combinations (its `bars` are bar evaluations: bars × combinations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combinations: Option<usize>,
    /// A sweep's peak resident memory, and that of one of its trials run alone, in MB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    /// What a sweep's trials shared of their indicators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_indicators: Option<crate::shared_indicators::SharingUse>,
    /// Per-bar latency quantiles of a live step's share of the work, in µs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_bar_us: Option<Quantiles>,
}

/// Latency quantiles, in µs.
#[derive(Debug, Serialize)]
pub struct Quantiles {
    /// Median.
    pub p50: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl BenchLine {
    /// The line of `name`: `bars` in `seconds`.
    pub fn new(name: &'static str, bars: usize, seconds: f64) -> Self {
        Self {
            name,
            bars,
            seconds,
            bars_per_s: bars as f64 / seconds,
            phases: None,
            combinations: None,
            memory: None,
            shared_indicators: None,
            per_bar_us: None,
        }
    }
}

/// Peak resident memory (Linux's VmHWM, reset before each measurement), in MB.
#[derive(Debug, Serialize)]
pub struct Memory {
    /// While the sweep ran.
    pub peak_rss_mb: f64,
    /// While one trial of it ran alone.
    pub single_run_rss_mb: f64,
}

/// How the benchmarks are run.
pub struct BenchOptions<'a> {
    /// This program (the end-to-end benchmarks run it).
    pub program: &'a Path,
    /// Timed repetitions (the median is reported).
    pub repeat: usize,
    /// Divides every benchmark's bars (1: the real measurement; 100 with `--quick`).
    pub shrink: usize,
}

impl BenchOptions<'_> {
    /// `bars` shrunk as asked (at least 1,000).
    pub fn bars(&self, bars: usize) -> usize {
        (bars / self.shrink.max(1)).max(1_000)
    }
}

/// Runs `work` and returns its result and the process's peak resident
/// memory while it ran, in MB (NaN where Linux's /proc is not there).
pub fn peak_rss_mb<T>(work: impl FnOnce() -> T) -> (T, f64) {
    // Writing 5 to clear_refs resets VmHWM to the current resident size.
    let reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let output = work();
    let peak = std::fs::read_to_string("/proc/self/status").ok().and_then(|status| {
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse::<f64>().ok()
    });
    (output, if reset { peak.map_or(f64::NAN, |kb| kb / 1024.0) } else { f64::NAN })
}

/// The phases of a `backtest` command, each timed on its own (median).
#[derive(Debug, Serialize)]
pub struct Phases {
    /// Reading and validating the bars (CSV) or reading them back (cache).
    pub load_s: f64,
    /// The engine run with the statistics folded in as it goes (what the
    /// command's table needs; no equity curve is kept).
    pub run_s: f64,
    /// What `--format json` or a saved run adds: the run keeping its
    /// equity curve, then the statistics and the report from it (trade
    /// list, equity curve with drawdown).
    pub stats_s: f64,
}

/// Bars of the end-to-end benchmarks.
const END_TO_END_BARS: usize = 1_000_000;

/// A temporary folder, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(name: &str) -> Result<Self, RunError> {
        let dir = std::env::temp_dir().join(format!("gpt-trader-bench-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| io("creating", &dir, e))?;
        Ok(Self(dir))
    }
}

fn io(what: &str, path: &Path, source: std::io::Error) -> RunError {
    RunError::Io { what: what.to_owned(), path: path.to_owned(), source }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `bars` as a CSV file in the layout `backtest --data` reads (prices to 4 decimals).
fn write_csv(bars: &BarSeries, path: &Path) -> Result<(), RunError> {
    use std::io::Write;
    let write = || -> std::io::Result<()> {
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
        out.flush()
    };
    write().map_err(|e| io("writing", path, e))
}

/// Runs `program` with `args` (stdout discarded) `repeat` times; the median wall time.
fn time_command(program: &Path, repeat: usize, args: &[&str], data_dir: &Path) -> Result<f64, RunError> {
    let mut failure = None;
    let seconds = median_seconds(repeat, || {
        let status = std::process::Command::new(program)
            .args(args)
            .env("GPT_TRADER_DATA", data_dir)
            .stdout(std::process::Stdio::null())
            .status();
        if !status.as_ref().is_ok_and(std::process::ExitStatus::success) {
            failure = Some(format!("{args:?}: {status:?}"));
        }
    });
    match failure {
        Some(failure) => Err(RunError::invalid(format!("the benchmarked command failed: {failure}"))),
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
        phases: Some(Phases { load_s, run_s, stats_s }),
        ..BenchLine::new(name, series.len(), seconds)
    }
}

/// The engine run and the statistics of `backtest`'s default (demo_ma, 10,000
/// cash) on `series`, timed apart, assembled as `backtest` assembles them.
fn run_and_stats_phases(repeat: usize, series: &BarSeries) -> (f64, f64) {
    let prepared = || prepare(&RunSpec::default(), vec![series.clone()]).expect("the default spec is valid");
    let mut runs: Vec<_> = (0..repeat).map(|_| prepared()).collect();
    let run_s = median_seconds(repeat, || runs.pop().map(|mut run| run.run_for_stats()));
    let mut runs: Vec<_> = (0..repeat).map(|_| prepared()).collect();
    let series = std::slice::from_ref(series);
    let stats_s = median_seconds(repeat, || runs.pop().map(|mut run| report_of(series, &run.run())));
    (run_s, stats_s)
}

/// The whole `gpt-trader backtest --data FILE.csv --no-save` on a CSV file of
/// 1,000,000 one-minute bars it writes first (about 60 MB): parse, validate,
/// run, statistics, table, as a separate process.
fn cli_backtest_1m_csv(options: &BenchOptions<'_>) -> Result<BenchLine, RunError> {
    let (program, repeat) = (options.program, options.repeat);
    let dir = TempDir::new("csv")?;
    let series = synthetic::random_walk(Symbol::new("SYN"), options.bars(END_TO_END_BARS), 11);
    let path = dir.0.join("SYN.csv");
    write_csv(&series, &path)?;
    let file = path.to_string_lossy().into_owned();
    let seconds = time_command(program, repeat, &["backtest", "--data", &file, "--no-save"], &dir.0)?;
    let load_s = median_seconds(repeat, || gt_data::csv_bars::load(&path, Symbol::new("SYN")));
    Ok(end_to_end_line("cli_backtest_1m_csv", seconds, load_s, repeat, &series))
}

/// The whole `gpt-trader backtest --symbols SYN --no-save` with the 1,000,000
/// bars in the local bar cache, as a separate process.
fn cli_backtest_1m_cache(options: &BenchOptions<'_>) -> Result<BenchLine, RunError> {
    let (program, repeat) = (options.program, options.repeat);
    let dir = TempDir::new("cache")?;
    let series = synthetic::random_walk(Symbol::new("SYN"), options.bars(END_TO_END_BARS), 11);
    let cache = gt_data::cache::BarCache::new(dir.0.join("bars"));
    cache.store(&series, "1d", "bench")?;
    let seconds = time_command(program, repeat, &["backtest", "--symbols", "SYN", "--no-save"], &dir.0)?;
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
fn sma_cross_1m(options: &BenchOptions<'_>) -> BenchLine {
    let (bar_count, repeat) = (options.bars(1_000_000), options.repeat);
    let bars = synthetic::random_walk(Symbol::new("SYN"), bar_count, 42);
    let exchange = ExchangeConfig::default();
    let config = EngineConfig { keep_order_log: false, ..EngineConfig::with_cash(1e9) };
    let seconds = median_seconds(repeat, || {
        backtest(&bars, Box::new(DemoMa::new(10, 20, true).expect("valid periods")), config.clone(), exchange)
    });
    BenchLine::new("sma_cross_1m", bar_count, seconds)
}

/// 500 symbols × 10 years of synthetic daily bars (2,520 each), SMA-cross on
/// every symbol in one account, every order through the risk engine (position
/// cap 5 %, gross exposure 100 %, drawdown kill switch 50 %), then the
/// statistics: the whole `backtest --universe` path but loading.
fn portfolio_500x10y(options: &BenchOptions<'_>) -> BenchLine {
    const SYMBOLS: usize = 500;
    let (days, repeat) = ((2_520 / options.shrink.max(1)).max(100), options.repeat);
    let series: Vec<BarSeries> = (0..SYMBOLS)
        .map(|i| synthetic::daily_walk(Symbol::new(&format!("S{i:03}")), days, 1_000 + i as u64))
        .collect();
    let mut spec = RunSpec::default();
    spec.execution.cash = Some(1_000_000.0);
    spec.risk.numbers =
        [("max_position_pct", 5.0), ("max_gross_exposure_pct", 100.0), ("max_drawdown_pct", 50.0)]
            .map(|(key, value)| (key.to_owned(), value))
            .into();
    let shared = SharedRun::new(&spec, series).expect("valid constant settings");
    let demo_ma = [StrategyEntry { strategy: "demo_ma".to_owned(), ..StrategyEntry::default() }];
    let seconds = median_seconds(repeat, || {
        let result = shared.run(&demo_ma).expect("demo_ma with its defaults");
        std::hint::black_box(stats_of(&shared.series, &result));
        result
    });
    BenchLine::new("portfolio_500x10y", SYMBOLS * days, seconds)
}

/// Reading 10 years of one-minute bars (252 days × 390 minutes) back from the local cache.
fn cache_read_10y_1m(options: &BenchOptions<'_>) -> BenchLine {
    let (bars, repeat) = (options.bars(252 * 390 * 10), options.repeat);
    let dir = std::env::temp_dir().join(format!("gpt-trader-bench-cache-{}", std::process::id()));
    let cache = gt_data::cache::BarCache::new(&dir);
    cache
        .store(&synthetic::random_walk(Symbol::new("SYN"), bars, 7), "1m", "bench")
        .expect("writable temp dir");
    let seconds = median_seconds(repeat, || cache.load("SYN", "1m").expect("just written").expect("present"));
    let _ = std::fs::remove_dir_all(&dir);
    BenchLine::new("cache_read_10y_1m", bars, seconds)
}

/// Runs `work` `repeat` times and returns the median wall time in seconds;
/// what `work` returns is dropped outside the timing.
pub fn median_seconds<T>(repeat: usize, mut work: impl FnMut() -> T) -> f64 {
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

/// A benchmark: how to run it in, its result line.
pub type Bench = fn(&BenchOptions<'_>) -> Result<BenchLine, RunError>;

/// Every benchmark, by name. (`paper_latency`, which needs the mock Alpaca,
/// is a bench target of gt-live: `cargo bench -p gt-live --bench paper_latency`.)
pub const BENCHES: [(&str, Bench); 6] = [
    ("sma_cross_1m", |options| Ok(sma_cross_1m(options))),
    ("portfolio_500x10y", |options| Ok(portfolio_500x10y(options))),
    ("cache_read_10y_1m", |options| Ok(cache_read_10y_1m(options))),
    ("cli_backtest_1m_csv", cli_backtest_1m_csv),
    ("cli_backtest_1m_cache", cli_backtest_1m_cache),
    ("ml_predict", ml_predict),
];

/// Bars a benchmark model is trained on.
const ML_TRAINING_BARS: usize = 20_000;

/// A gradient-boosted model (the default features, `forward:5`) trained on
/// 20,000 synthetic minute bars, then: its predictions over the feature rows
/// of 1,000,000 more (`bars_per_s` is predictions per second, one call), and
/// per bar of 10,000 the work a live step adds for it (the features pushed,
/// one row predicted), as latency quantiles.
fn ml_predict(options: &BenchOptions<'_>) -> Result<BenchLine, RunError> {
    let rows_wanted = options.bars(1_000_000);
    let series = synthetic::random_walk(Symbol::new("SYN"), ML_TRAINING_BARS + rows_wanted + 100, 5);
    let features = gt_ml::FeatureSet::named("default").map_err(|e| RunError::invalid(e.to_string()))?;
    let label = gt_ml::LabelSpec::Forward { horizon: 5, cost: 0.0 };
    let mut training = series.clone();
    training.keep(0..ML_TRAINING_BARS);
    let data = gt_ml::Dataset::build(&training, &features, &label);
    let width = data.columns.len();
    let weights = vec![1.0; data.labels.len()];
    let model = gt_ml::Model::fit(gt_ml::ModelKind::Gbm, &data.rows, width, &data.labels, &weights, 42)
        .map_err(|e| RunError::invalid(e.to_string()))?;
    let mut stream = features.stream();
    let mut rows = Vec::with_capacity(rows_wanted * width);
    for i in 0..series.len() {
        if let Some(row) = stream.push(&series.bar(i))
            && i >= ML_TRAINING_BARS
            && rows.len() < rows_wanted * width
        {
            rows.extend(row);
        }
    }
    let count = rows.len() / width;
    let seconds = median_seconds(options.repeat, || model.predict(&rows));
    let mut stream = features.stream();
    let mut latencies = Vec::new();
    for i in 0..series.len().min(ML_TRAINING_BARS + 10_000) {
        let started = Instant::now();
        if let Some(row) = stream.push(&series.bar(i)) {
            std::hint::black_box(model.predict(&row));
            if i >= ML_TRAINING_BARS {
                latencies.push(started.elapsed().as_secs_f64() * 1e6);
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies.get(((latencies.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN)
    };
    Ok(BenchLine {
        per_bar_us: Some(Quantiles {
            p50: at(0.5),
            p99: at(0.99),
            max: latencies.last().copied().unwrap_or(f64::NAN),
        }),
        ..BenchLine::new("ml_predict", count, seconds)
    })
}
