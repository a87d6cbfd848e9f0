//! `gpt-trader data`: the local bar cache.

use crate::output::OutputFormat;
use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use gt_data::resample::{self, Interval};
use gt_runner::fetch::{self, Fetched, Refresh, Source};
use gt_runner::records::{CachedSeries, first_and_last_bar_records, first_and_last_bars};
use std::path::PathBuf;

/// Options of `gpt-trader data`.
#[derive(Args, Debug)]
pub struct DataCommandArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Subcommand, Debug)]
enum DataCommand {
    /// Download history (1d, 1h or 1m bars) into the cache, incrementally (only what is missing is asked for).
    #[command(
        after_long_help = "Examples:\n  gpt-trader data fetch --symbols AAPL,MSFT --start 2015-01-01\n  gpt-trader data fetch --source alpaca --symbols SPY \\\n      --start 2024-01-02 --interval 1m\n  gpt-trader data fetch --symbols AAPL   # again: only the new bars"
    )]
    Fetch {
        /// Where from (Yahoo Finance's chart API; its URL from GPT_TRADER_YAHOO_URL if set).
        #[arg(long, value_enum, default_value_t = SourceChoice::Yahoo)]
        source: SourceChoice,
        /// Symbols, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        symbols: Vec<String>,
        /// First date wanted (YYYY-MM-DD).
        #[arg(long)]
        start: NaiveDate,
        /// Day after the last date wanted (YYYY-MM-DD) [default: tomorrow].
        #[arg(long)]
        end: Option<NaiveDate>,
        /// Bar interval: 1d (both sources), 1h or 1m (Alpaca).
        #[arg(long, default_value = "1d")]
        interval: String,
        /// Alpaca data feed: iex (free) or sip.
        #[arg(long, default_value = "iex")]
        alpaca_feed: String,
    },
    /// Bring a CSV file into the cache (validated like --data); merges with what is cached.
    #[command(
        after_long_help = "Examples:\n  gpt-trader data import prices.csv --symbol ACME\n  gpt-trader data import spy_1m.csv --symbol SPY --interval 1m \\\n      --timezone America/New_York\n  gpt-trader data import fixed.csv --symbol ACME --replace"
    )]
    Import {
        /// OHLCV CSV file.
        file: PathBuf,
        /// Symbol to file it under.
        #[arg(long)]
        symbol: String,
        /// Bar interval it holds.
        #[arg(long, default_value = "1d")]
        interval: String,
        /// Take the file's bars where they overlap cached ones with other prices (refused otherwise).
        #[arg(long)]
        replace: bool,
        /// Time zone of times of day written without an offset, e.g. America/New_York or UTC
        /// (such a file is refused without it: its times could be either).
        #[arg(long, value_name = "ZONE")]
        timezone: Option<String>,
    },
    /// List what is cached: symbol, interval, first and last bar, rows, source.
    #[command(after_long_help = "Examples:\n  gpt-trader data list\n  gpt-trader data list --format json")]
    List {
        /// A table, or JSON.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Aggregate cached bars to a longer interval on NYSE sessions (e.g. 1m to 5m, 1h, 1d; 1d to 1w).
    #[command(
        after_long_help = "Examples:\n  gpt-trader data resample SPY --from 1m --to 5m\n  gpt-trader data resample SPY --from 1m --to 1d\n  gpt-trader data resample AAPL --from 1d --to 1w"
    )]
    Resample {
        /// Symbol.
        symbol: String,
        /// Cached interval to read.
        #[arg(long, default_value = "1m")]
        from: String,
        /// Interval to write: 5m, 15m, 30m, 1h, 1d, 1w, ...
        #[arg(long)]
        to: String,
    },
    /// Print the first and last bars of a cached symbol.
    #[command(
        after_long_help = "Examples:\n  gpt-trader data show AAPL\n  gpt-trader data show SPY --interval 1m --rows 10\n  gpt-trader data show AAPL --format json"
    )]
    Show {
        /// Symbol.
        symbol: String,
        /// Bar interval.
        #[arg(long, default_value = "1d")]
        interval: String,
        /// Bars from each end.
        #[arg(long, default_value_t = 5)]
        rows: usize,
        /// A table, or one JSON object {symbol, interval, rows, source, first, last}.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
}

/// Market-data sources `data fetch` can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum SourceChoice {
    /// Yahoo Finance chart API (daily bars).
    Yahoo,
    /// Alpaca market data v2 (keys from APCA_API_KEY_ID / APCA_API_SECRET_KEY, URL from APCA_API_DATA_URL).
    Alpaca,
}

/// Prints what a fetch did: its lines on stdout, its notes on stderr.
fn report(fetched: Fetched) -> Result<()> {
    for note in fetched.notes {
        eprintln!("{note}");
    }
    for line in fetched.lines {
        outln!("{line}");
    }
    Ok(())
}

/// `gpt-trader data`.
pub fn run(args: &DataCommandArgs) -> Result<()> {
    let cache = gt_runner::paths::bar_cache()?;
    match &args.command {
        DataCommand::Import { file, symbol, interval, replace, timezone } => {
            let options = fetch::ImportOptions { replace: *replace, timezone: timezone.clone() };
            let cached = fetch::import(&cache, file, (symbol, interval), &options)?;
            let symbol = symbol.trim().to_uppercase();
            outln!("{symbol} {interval}: {cached} bars cached in {}", cache.root().display());
        }
        DataCommand::Fetch { source, symbols, start, end, interval, alpaca_feed } => {
            gt_runner::data::no_empty_names(symbols)?;
            let end = end.unwrap_or_else(|| chrono::Utc::now().date_naive() + chrono::Duration::days(1));
            if *start >= end {
                bail!("--start {start} is not before --end {end}");
            }
            let source = match source {
                SourceChoice::Yahoo => Source::yahoo(interval)?,
                SourceChoice::Alpaca => Source::alpaca(alpaca_feed)?,
            };
            let refresh = Refresh { cache: &cache, source, interval, start: *start, end };
            let upper: Vec<String> = symbols.iter().map(|s| s.trim().to_uppercase()).collect();
            report(refresh.uncached_together(&upper)?)?;
            let mut failures = Vec::new();
            // A progress bar on stderr (drawn only on a terminal), one result line per symbol on stdout.
            let progress = indicatif::ProgressBar::new(symbols.len() as u64).with_style(
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            for symbol in symbols {
                let symbol = symbol.trim().to_uppercase();
                progress.set_message(format!("fetching {symbol}"));
                match refresh.symbol(&symbol) {
                    Ok(fetched) => progress.suspend(|| report(fetched))?,
                    Err(error) => failures.push(format!("{error:#}")),
                }
                progress.inc(1);
            }
            progress.finish_and_clear();
            if !failures.is_empty() {
                bail!("{} of {} symbols failed: {}", failures.len(), symbols.len(), failures.join("; "));
            }
        }
        DataCommand::Resample { symbol, from, to } => {
            let symbol = symbol.to_uppercase();
            let Some(interval) = Interval::parse(to) else {
                bail!("--to {to:?} is not an interval; use e.g. 5m, 15m, 1h, 1d or 1w");
            };
            resample::check_aggregates(from, interval).map_err(anyhow::Error::msg)?;
            let Some((series, _)) = cache.load(&symbol, from)? else {
                bail!(
                    "{symbol} {from} is not cached; import it with `gpt-trader data import FILE.csv --symbol {symbol} --interval {from}`"
                );
            };
            let outside = resample::outside_sessions(&series);
            if outside > 0 {
                eprintln!(
                    "note: {outside} of {} bars fall outside NYSE sessions and are left out (times are UTC; a file of local times is imported with data import --timezone)",
                    series.len()
                );
            }
            let resampled = resample::resample(&series, interval);
            cache.store(&resampled, to, &format!("resampled from {from}"))?;
            outln!(
                "{symbol}: {} {from} bars -> {} {to} bars (NYSE regular sessions)",
                series.len(),
                resampled.len()
            );
        }
        DataCommand::List { format } => {
            let entries = cache.entries()?;
            let rows: Vec<CachedSeries> = entries.iter().map(CachedSeries::of).collect();
            if *format == OutputFormat::Json {
                outln!("{}", serde_json::to_string(&rows)?);
                return Ok(());
            }
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(["symbol", "interval", "first", "last", "rows", "source"]);
            for e in &rows {
                table.add_row([e.symbol, e.interval, &e.first, &e.last, &e.rows.to_string(), e.source]);
            }
            outln!("{table}\n{} series in {}", entries.len(), cache.root().display());
        }
        DataCommand::Show { symbol, interval, rows, format } => {
            let symbol = symbol.to_uppercase();
            let Some((series, entry)) = cache.load(&symbol, interval)? else {
                bail!(
                    "{symbol} {interval} is not cached; import it with `gpt-trader data import FILE.csv --symbol {symbol}`"
                );
            };
            if *format == OutputFormat::Json {
                let (first, last) = first_and_last_bar_records(&series, *rows);
                let json = serde_json::json!({
                    "symbol": symbol, "interval": interval, "rows": entry.rows, "source": entry.source,
                    "first": first, "last": last,
                });
                outln!("{json}");
                return Ok(());
            }
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(["time", "open", "high", "low", "close", "volume"]);
            for row in first_and_last_bars(&series, *rows) {
                table.add_row(row);
            }
            outln!("{symbol} {interval}: {} bars, source: {}\n{table}", entry.rows, entry.source);
        }
    }
    Ok(())
}
