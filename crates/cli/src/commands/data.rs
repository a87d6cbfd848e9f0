//! `gpt-trader data`: the local bar cache.

use crate::output::OutputFormat;
use anyhow::{Result, bail};
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use gt_data::alpaca::{self, AlpacaClient, AlpacaKeys};
use gt_data::cache::BarCache;
use gt_data::csv_bars;
use gt_data::resample::{Interval, resample};
use gt_data::yahoo::{self, CorporateAction, YahooClient, adjust};
use gt_model::{BarSeries, Symbol};
use std::path::PathBuf;

/// Options of `gpt-trader data`.
#[derive(Args, Debug)]
pub struct DataCommandArgs {
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Subcommand, Debug)]
enum DataCommand {
    /// Download daily history into the cache, incrementally (only what is missing is asked for).
    Fetch {
        /// Where from (Yahoo Finance's chart API; its URL from GPT_TRADER_YAHOO_URL if set).
        #[arg(long, value_enum, default_value_t = Source::Yahoo)]
        source: Source,
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
    Import {
        /// OHLCV CSV file.
        file: PathBuf,
        /// Symbol to file it under.
        #[arg(long)]
        symbol: String,
        /// Bar interval it holds.
        #[arg(long, default_value = "1d")]
        interval: String,
    },
    /// List what is cached: symbol, interval, first and last bar, rows, source.
    List {
        /// A table, or JSON.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Aggregate cached intraday bars to a longer interval on NYSE sessions (e.g. 1m to 5m, 1h, 1d).
    Resample {
        /// Symbol.
        symbol: String,
        /// Cached interval to read.
        #[arg(long, default_value = "1m")]
        from: String,
        /// Interval to write: 5m, 15m, 30m, 1h, 1d, ...
        #[arg(long)]
        to: String,
    },
    /// Print the first and last bars of a cached symbol.
    Show {
        /// Symbol.
        symbol: String,
        /// Bar interval.
        #[arg(long, default_value = "1d")]
        interval: String,
        /// Bars from each end.
        #[arg(long, default_value_t = 5)]
        rows: usize,
    },
}

/// Fetches one symbol into the cache and says what it did.
type FetchOne = dyn Fn(&str) -> Result<String>;

/// Market-data sources `data fetch` can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Source {
    /// Yahoo Finance chart API (daily bars).
    Yahoo,
    /// Alpaca market data v2 (keys from APCA_API_KEY_ID / APCA_API_SECRET_KEY, URL from APCA_API_DATA_URL).
    Alpaca,
}

/// Alpaca's name for a bar interval.
fn alpaca_timeframe(interval: &str) -> Result<&'static str> {
    match interval {
        "1d" => Ok("1Day"),
        "1h" => Ok("1Hour"),
        "1m" => Ok("1Min"),
        other => bail!("--interval {other:?}: Alpaca offers 1d, 1h or 1m"),
    }
}

/// Fetches several uncached symbols in one multi-symbol request and caches them.
fn fetch_alpaca_together(
    cache: &BarCache,
    client: &AlpacaClient,
    symbols: &[String],
    interval: &str,
    (start, end): (NaiveDate, NaiveDate),
) -> Result<Vec<String>> {
    let day = |date: NaiveDate| format!("{date}T00:00:00Z");
    let fetched = client.bars_many(symbols, alpaca_timeframe(interval)?, &day(start), &day(end), "all")?;
    for symbol in symbols.iter().filter(|s| !fetched.contains_key(*s)) {
        note_no_bars(symbol, interval, &day(start), &day(end));
    }
    let mut lines = Vec::new();
    for (symbol, series) in &fetched {
        cache.store(series, interval, "alpaca")?;
        lines.push(format!(
            "{symbol} {interval}: {} new bars from {}, {} cached",
            series.len(),
            day(start),
            series.len()
        ));
    }
    Ok(lines)
}

/// Says on stderr that Alpaca answered with no bars for `symbol` in a range.
fn note_no_bars(symbol: &str, interval: &str, from: &str, to: &str) {
    eprintln!("note: Alpaca returned no {interval} bars for {symbol} from {from} to {to}");
}

/// Fetches what the cache lacks of `symbol` at `interval` from Alpaca (split-
/// and dividend-adjusted by Alpaca) and merges it in.
fn fetch_alpaca(
    cache: &BarCache,
    client: &AlpacaClient,
    symbol: &str,
    interval: &str,
    (start, end): (NaiveDate, NaiveDate),
) -> Result<String> {
    let timeframe = alpaca_timeframe(interval)?;
    let cached = cache.load(symbol, interval)?.map(|(series, _)| series);
    let from = match cached.as_ref().and_then(|s| s.timestamps().last().copied()) {
        // Only what is missing: from just after the last cached bar.
        Some(last) if cached.as_ref().is_some_and(|s| s.timestamps()[0].to_utc().date_naive() <= start) => {
            last.to_utc() + chrono::Duration::seconds(if interval == "1d" { 86_400 } else { 1 })
        }
        _ => start.and_hms_opt(0, 0, 0).map_or_else(chrono::Utc::now, |t| t.and_utc()),
    };
    let end_time = end.and_hms_opt(0, 0, 0).map_or_else(chrono::Utc::now, |t| t.and_utc());
    if from >= end_time {
        return Ok(format!("{symbol} {interval}: up to date ({} bars)", cached.map_or(0, |s| s.len())));
    }
    let rfc = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let fetched = client.bars(symbol, timeframe, &rfc(from), &rfc(end_time), "all")?;
    let count = fetched.len();
    if count == 0 {
        note_no_bars(symbol, interval, &rfc(from), &rfc(end_time));
    }
    let merged = merge(cached, fetched);
    cache.store(&merged, interval, "alpaca")?;
    Ok(format!("{symbol} {interval}: {count} new bars from {}, {} cached", rfc(from), merged.len()))
}

/// Fetches what the cache lacks of `symbol` between `start` and `end`, keeps the
/// raw bars (`1d-raw`) and corporate actions, and rewrites the adjusted `1d` series.
fn fetch_symbol(
    cache: &BarCache,
    client: &YahooClient,
    symbol: &str,
    interval: &str,
    (start, end): (NaiveDate, NaiveDate),
) -> Result<String> {
    let seconds = |date: NaiveDate| date.and_hms_opt(0, 0, 0).map_or(0, |t| t.and_utc().timestamp());
    let raw_key = format!("{interval}-raw");
    let cached = cache.load(symbol, &raw_key)?.map(|(series, _)| series);
    let actions_path = cache.root().join(&raw_key).join(format!("{symbol}.actions.json"));
    let mut actions: Vec<CorporateAction> = match std::fs::read_to_string(&actions_path) {
        Ok(text) => serde_json::from_str(&text)?,
        Err(_) => Vec::new(),
    };
    // Ask only for what is missing: from just after the last cached bar
    // (unless the wanted start is before the first cached bar).
    let wanted_start = gt_model::Timestamp::from_nanos(seconds(start) * 1_000_000_000);
    let from = match cached.as_ref().filter(|s| !s.is_empty() && s.timestamps()[0] <= wanted_start) {
        Some(series) => {
            let last = series.timestamps()[series.len() - 1];
            if interval == "1d" {
                seconds(last.to_utc().date_naive() + chrono::Duration::days(1))
            } else {
                last.nanos().div_euclid(1_000_000_000) + 1
            }
        }
        None => seconds(start),
    };
    if from >= seconds(end) {
        return Ok(format!("{symbol} {interval}: up to date ({} bars)", cached.map_or(0, |s| s.len())));
    }
    let history = client.history(symbol, from, seconds(end), interval)?;
    let fetched = history.bars.len();
    let raw = merge(cached, history.bars);
    for action in history.actions {
        if !actions.contains(&action) {
            actions.push(action);
        }
    }
    actions.sort_by_key(CorporateAction::date);
    // Raw bars and actions first, the adjusted series last: after a crash the
    // next fetch finds the raw data and rebuilds the adjusted series.
    cache.store(&raw, &raw_key, "yahoo")?;
    let temporary = actions_path.with_extension("json.tmp");
    std::fs::write(&temporary, serde_json::to_string(&actions)?)?;
    std::fs::rename(&temporary, &actions_path)?;
    cache.store(&adjust(&raw, &actions), interval, "yahoo (adjusted)")?;
    let format = if interval == "1d" { gt_model::TimeFormat::Date } else { gt_model::TimeFormat::DateTime };
    let from = gt_model::Timestamp::from_nanos(from * 1_000_000_000).display(format);
    Ok(format!(
        "{symbol}: {fetched} new bars from {from}, {} cached, {} corporate actions",
        raw.len(),
        actions.len()
    ))
}

/// Merges `incoming` into `existing`: every timestamp once, the incoming bar winning.
fn merge(existing: Option<BarSeries>, incoming: BarSeries) -> BarSeries {
    let Some(existing) = existing else { return incoming };
    let mut bars: Vec<_> = (0..existing.len()).map(|i| existing.bar(i)).collect();
    bars.retain(|bar| incoming.timestamps().binary_search(&bar.ts).is_err());
    bars.extend((0..incoming.len()).map(|i| incoming.bar(i)));
    bars.sort_by_key(|bar| bar.ts);
    let mut merged = BarSeries::with_capacity(incoming.symbol().clone(), bars.len());
    bars.into_iter().for_each(|bar| merged.push(bar));
    merged
}

/// `gpt-trader data`.
pub fn run(args: &DataCommandArgs) -> Result<()> {
    let cache = gt_runner::paths::bar_cache()?;
    match &args.command {
        DataCommand::Import { file, symbol, interval } => {
            let symbol = symbol.trim().to_uppercase();
            if symbol.is_empty() || symbol.contains(['/', '\\', '.']) {
                bail!("--symbol {symbol:?} is not a ticker (letters, digits, - and _ only)");
            }
            let incoming = csv_bars::load(file, Symbol::new(&symbol))?;
            let existing = cache.load(&symbol, interval)?.map(|(series, _)| series);
            let merged = merge(existing, incoming);
            cache.store(&merged, interval, "csv")?;
            outln!("{symbol} {interval}: {} bars cached in {}", merged.len(), cache.root().display());
        }
        DataCommand::Fetch { source, symbols, start, end, interval, alpaca_feed } => {
            gt_runner::data::no_empty_names(symbols)?;
            let end = end.unwrap_or_else(|| chrono::Utc::now().date_naive() + chrono::Duration::days(1));
            if *start >= end {
                bail!("--start {start} is not before --end {end}");
            }
            let backoff = std::time::Duration::from_secs(1);
            let fetch: Box<FetchOne> = match source {
                Source::Yahoo => {
                    if !matches!(interval.as_str(), "1d" | "1h" | "1m") {
                        bail!("--interval {interval:?}: use 1d, 1h or 1m");
                    }
                    let base = std::env::var("GPT_TRADER_YAHOO_URL")
                        .unwrap_or_else(|_| yahoo::DEFAULT_BASE_URL.to_owned());
                    let client = YahooClient::new(&base, backoff)?;
                    let (cache, start, interval) = (cache.clone(), *start, interval.clone());
                    Box::new(move |symbol| fetch_symbol(&cache, &client, symbol, &interval, (start, end)))
                }
                Source::Alpaca => {
                    let base = std::env::var("APCA_API_DATA_URL")
                        .unwrap_or_else(|_| alpaca::DEFAULT_DATA_URL.to_owned());
                    let client = AlpacaClient::new(&base, AlpacaKeys::from_env()?, alpaca_feed, backoff)?;
                    // Symbols not cached yet all start at --start: one multi-symbol request.
                    let upper: Vec<String> = symbols.iter().map(|s| s.trim().to_uppercase()).collect();
                    let fresh: Vec<String> = upper
                        .iter()
                        .filter(|s| matches!(cache.load(s, interval), Ok(None)))
                        .cloned()
                        .collect();
                    if fresh.len() > 1 {
                        for line in fetch_alpaca_together(&cache, &client, &fresh, interval, (*start, end))? {
                            outln!("{line}");
                        }
                    }
                    let (cache, interval, start) = (cache.clone(), interval.clone(), *start);
                    Box::new(move |symbol| fetch_alpaca(&cache, &client, symbol, &interval, (start, end)))
                }
            };
            let mut failures = Vec::new();
            // A progress bar on stderr (drawn only on a terminal), one result line per symbol on stdout.
            let progress = indicatif::ProgressBar::new(symbols.len() as u64).with_style(
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            for symbol in symbols {
                let symbol = symbol.trim().to_uppercase();
                progress.set_message(format!("fetching {symbol}"));
                match fetch(&symbol) {
                    Ok(line) => progress.suspend(|| -> Result<()> {
                        outln!("{line}");
                        Ok(())
                    })?,
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
                bail!("--to {to:?} is not an interval; use e.g. 5m, 15m, 1h or 1d");
            };
            let Some((series, _)) = cache.load(&symbol, from)? else {
                bail!(
                    "{symbol} {from} is not cached; import it with `gpt-trader data import FILE.csv --symbol {symbol} --interval {from}`"
                );
            };
            let resampled = resample(&series, interval);
            cache.store(&resampled, to, &format!("resampled from {from}"))?;
            outln!(
                "{symbol}: {} {from} bars -> {} {to} bars (NYSE regular sessions)",
                series.len(),
                resampled.len()
            );
        }
        DataCommand::List { format } => {
            let entries = cache.entries()?;
            let time = |ts: Option<gt_model::Timestamp>| {
                ts.map_or_else(String::new, |t| {
                    t.display(if t.is_midnight() {
                        gt_model::TimeFormat::Date
                    } else {
                        gt_model::TimeFormat::DateTime
                    })
                    .to_string()
                })
            };
            if *format == OutputFormat::Json {
                let rows: Vec<serde_json::Value> = entries
                    .iter()
                    .map(|e| {
                        serde_json::json!({"symbol": e.symbol, "interval": e.interval, "first": time(e.first),
                            "last": time(e.last), "rows": e.rows, "source": e.source})
                    })
                    .collect();
                outln!("{}", serde_json::to_string(&rows)?);
                return Ok(());
            }
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(["symbol", "interval", "first", "last", "rows", "source"]);
            for e in &entries {
                table.add_row([
                    e.symbol.clone(),
                    e.interval.clone(),
                    time(e.first),
                    time(e.last),
                    e.rows.to_string(),
                    e.source.clone(),
                ]);
            }
            outln!("{table}\n{} series in {}", entries.len(), cache.root().display());
        }
        DataCommand::Show { symbol, interval, rows } => {
            let symbol = symbol.to_uppercase();
            let Some((series, entry)) = cache.load(&symbol, interval)? else {
                bail!(
                    "{symbol} {interval} is not cached; import it with `gpt-trader data import FILE.csv --symbol {symbol}`"
                );
            };
            let format = series.time_format();
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(["time", "open", "high", "low", "close", "volume"]);
            let shown: Vec<usize> = if series.len() <= 2 * rows {
                (0..series.len()).collect()
            } else {
                (0..*rows).chain(series.len() - rows..series.len()).collect()
            };
            for (n, i) in shown.iter().enumerate() {
                if n == *rows && series.len() > 2 * rows {
                    table.add_row(["…", "", "", "", "", ""]);
                }
                let bar = series.bar(*i);
                table.add_row([
                    bar.ts.display(format).to_string(),
                    bar.open.to_string(),
                    bar.high.to_string(),
                    bar.low.to_string(),
                    bar.close.to_string(),
                    bar.volume.to_string(),
                ]);
            }
            outln!("{symbol} {interval} ({} bars from {})\n{table}", entry.rows, entry.source);
        }
    }
    Ok(())
}
