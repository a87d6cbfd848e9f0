//! Filling the local bar cache: incremental downloads from Yahoo Finance or
//! Alpaca (only what the cache lacks is asked for) and imports of CSV files,
//! each merged into what is cached.

use crate::RunError;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use gt_data::alpaca::AlpacaClient;
use gt_data::cache::BarCache;
use gt_data::csv_bars;
use gt_data::yahoo::{CorporateAction, YahooClient, adjust};
use gt_model::{BarSeries, Symbol, TimeFormat, Timestamp};
use std::path::Path;

/// Where bars are downloaded from.
pub enum Source {
    /// Yahoo Finance's chart API: raw bars and corporate actions, adjusted here.
    Yahoo(YahooClient),
    /// Alpaca market data v2, adjusted by Alpaca.
    Alpaca(AlpacaClient),
}

/// Wait before the first retry of a download (it doubles each time).
const BACKOFF: std::time::Duration = std::time::Duration::from_secs(1);

impl Source {
    /// Yahoo Finance at `GPT_TRADER_YAHOO_URL` (else its public host), for bars of `interval`.
    pub fn yahoo(interval: &str) -> Result<Self, RunError> {
        if !matches!(interval, "1d" | "1h" | "1m") {
            return Err(RunError::invalid(format!("--interval {interval:?}: use 1d, 1h or 1m")));
        }
        let base = std::env::var("GPT_TRADER_YAHOO_URL")
            .unwrap_or_else(|_| gt_data::yahoo::DEFAULT_BASE_URL.to_owned());
        Ok(Self::Yahoo(YahooClient::new(&base, BACKOFF)?))
    }

    /// Alpaca market data at `APCA_API_DATA_URL` (else its public host) on
    /// data `feed`, with the keys of `APCA_API_KEY_ID` / `APCA_API_SECRET_KEY`.
    pub fn alpaca(feed: &str) -> Result<Self, RunError> {
        let base = std::env::var("APCA_API_DATA_URL")
            .unwrap_or_else(|_| gt_data::alpaca::DEFAULT_DATA_URL.to_owned());
        Ok(Self::Alpaca(AlpacaClient::new(&base, gt_data::alpaca::AlpacaKeys::from_env()?, feed, BACKOFF)?))
    }
}

/// What a fetch did: one line per series written, and notes (an empty answer).
#[derive(Debug, Default)]
pub struct Fetched {
    /// `AAPL 1d: 250 new bars from …, 2515 cached`.
    pub lines: Vec<String>,
    /// Things worth saying on stderr.
    pub notes: Vec<String>,
}

/// Downloads into `cache` at `interval` for the dates `start` to before `end`.
pub struct Refresh<'a> {
    /// The cache written to.
    pub cache: &'a BarCache,
    /// Where from.
    pub source: Source,
    /// `1d`, `1h` or `1m`.
    pub interval: &'a str,
    /// First date wanted.
    pub start: NaiveDate,
    /// Day after the last date wanted.
    pub end: NaiveDate,
}

/// Alpaca's name for a bar interval.
fn alpaca_timeframe(interval: &str) -> Result<&'static str, RunError> {
    match interval {
        "1d" => Ok("1Day"),
        "1h" => Ok("1Hour"),
        "1m" => Ok("1Min"),
        other => Err(RunError::invalid(format!("--interval {other:?}: Alpaca offers 1d, 1h or 1m"))),
    }
}

fn no_bars(symbol: &str, interval: &str, from: &str, to: &str) -> String {
    format!("note: Alpaca returned no {interval} bars for {symbol} from {from} to {to}")
}

fn midnight(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0).map_or_else(Utc::now, |t| t.and_utc())
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Refresh<'_> {
    /// Fetches what the cache lacks of `symbol` and merges it in.
    pub fn symbol(&self, symbol: &str) -> Result<Fetched, RunError> {
        match &self.source {
            Source::Yahoo(client) => self.fetch_yahoo(client, symbol),
            Source::Alpaca(client) => self.fetch_alpaca(client, symbol),
        }
    }

    /// Symbols not cached yet, all from the start: one multi-symbol request
    /// where the source has one (Alpaca).
    pub fn uncached_together(&self, symbols: &[String]) -> Result<Fetched, RunError> {
        let Source::Alpaca(client) = &self.source else { return Ok(Fetched::default()) };
        let fresh: Vec<String> = symbols
            .iter()
            .filter(|s| matches!(self.cache.load(s, self.interval), Ok(None)))
            .cloned()
            .collect();
        if fresh.len() < 2 {
            return Ok(Fetched::default());
        }
        let (from, to) = (rfc3339(midnight(self.start)), rfc3339(midnight(self.end)));
        let fetched = client.bars_many(&fresh, alpaca_timeframe(self.interval)?, &from, &to, "all")?;
        let mut done = Fetched::default();
        for symbol in fresh.iter().filter(|s| !fetched.contains_key(*s)) {
            done.notes.push(no_bars(symbol, self.interval, &from, &to));
        }
        for (symbol, series) in &fetched {
            self.cache.store(series, self.interval, "alpaca")?;
            done.lines.push(format!(
                "{symbol} {}: {} new bars from {from}, {} cached",
                self.interval,
                series.len(),
                series.len()
            ));
        }
        Ok(done)
    }

    fn fetch_alpaca(&self, client: &AlpacaClient, symbol: &str) -> Result<Fetched, RunError> {
        let interval = self.interval;
        let timeframe = alpaca_timeframe(interval)?;
        let cached = self.cache.load(symbol, interval)?.map(|(series, _)| series);
        let from = match cached.as_ref().and_then(|s| s.timestamps().last().copied()) {
            // Only what is missing: from just after the last cached bar.
            Some(last)
                if cached.as_ref().is_some_and(|s| s.timestamps()[0].to_utc().date_naive() <= self.start) =>
            {
                last.to_utc() + Duration::seconds(if interval == "1d" { 86_400 } else { 1 })
            }
            _ => midnight(self.start),
        };
        let end = midnight(self.end);
        let mut done = Fetched::default();
        if from >= end {
            done.lines
                .push(format!("{symbol} {interval}: up to date ({} bars)", cached.map_or(0, |s| s.len())));
            return Ok(done);
        }
        let fetched = client.bars(symbol, timeframe, &rfc3339(from), &rfc3339(end), "all")?;
        let count = fetched.len();
        if count == 0 {
            done.notes.push(no_bars(symbol, interval, &rfc3339(from), &rfc3339(end)));
        }
        let merged = merge(cached, fetched);
        self.cache.store(&merged, interval, "alpaca")?;
        done.lines.push(format!(
            "{symbol} {interval}: {count} new bars from {}, {} cached",
            rfc3339(from),
            merged.len()
        ));
        Ok(done)
    }

    /// Keeps the raw bars (`1d-raw`) and corporate actions, and rewrites the
    /// adjusted `1d` series.
    fn fetch_yahoo(&self, client: &YahooClient, symbol: &str) -> Result<Fetched, RunError> {
        let (cache, interval) = (self.cache, self.interval);
        let seconds = |date: NaiveDate| midnight(date).timestamp();
        let raw_key = format!("{interval}-raw");
        let cached = cache.load(symbol, &raw_key)?.map(|(series, _)| series);
        let actions_path = cache.root().join(&raw_key).join(format!("{symbol}.actions.json"));
        let io =
            |what: &str, source| RunError::Io { what: what.to_owned(), path: actions_path.clone(), source };
        let mut actions: Vec<CorporateAction> = match std::fs::read_to_string(&actions_path) {
            Ok(text) => serde_json::from_str(&text)?,
            Err(_) => Vec::new(),
        };
        // Ask only for what is missing: from just after the last cached bar
        // (unless the wanted start is before the first cached bar).
        let wanted_start = Timestamp::from_nanos(seconds(self.start) * 1_000_000_000);
        let from = match cached.as_ref().filter(|s| !s.is_empty() && s.timestamps()[0] <= wanted_start) {
            Some(series) => {
                let last = series.timestamps()[series.len() - 1];
                if interval == "1d" {
                    seconds(last.to_utc().date_naive() + Duration::days(1))
                } else {
                    last.nanos().div_euclid(1_000_000_000) + 1
                }
            }
            None => seconds(self.start),
        };
        let mut done = Fetched::default();
        if from >= seconds(self.end) {
            done.lines
                .push(format!("{symbol} {interval}: up to date ({} bars)", cached.map_or(0, |s| s.len())));
            return Ok(done);
        }
        let history = client.history(symbol, from, seconds(self.end), interval)?;
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
        std::fs::write(&temporary, serde_json::to_string(&actions)?).map_err(|e| io("writing", e))?;
        std::fs::rename(&temporary, &actions_path).map_err(|e| io("writing", e))?;
        cache.store(&adjust(&raw, &actions), interval, "yahoo (adjusted)")?;
        let format = if interval == "1d" { TimeFormat::Date } else { TimeFormat::DateTime };
        let from = Timestamp::from_nanos(from * 1_000_000_000).display(format);
        done.lines.push(format!(
            "{symbol}: {fetched} new bars from {from}, {} cached, {} corporate actions",
            raw.len(),
            actions.len()
        ));
        Ok(done)
    }
}

/// How `data import` takes a file.
#[derive(Debug, Default)]
pub struct ImportOptions {
    /// Take the file's bars where they overlap cached ones with other prices.
    pub replace: bool,
    /// The IANA zone (`America/New_York`, `UTC`) of times of day written
    /// without an offset; such a file is refused without it.
    pub timezone: Option<String>,
}

/// Reads the CSV file at `path` (validated like `--data`) and merges it into
/// the cache as `symbol` at `interval`; the number of bars now cached.
/// The interval must be one the cache knows and fit the bars (daily bars
/// are not `1m`); bars that overlap cached ones with other prices are
/// refused unless `replace`.
pub fn import(
    cache: &BarCache,
    path: &Path,
    (symbol, interval): (&str, &str),
    options: &ImportOptions,
) -> Result<usize, RunError> {
    let symbol = symbol.trim().to_uppercase();
    if symbol.is_empty() || symbol.contains(['/', '\\', '.']) {
        return Err(RunError::invalid(format!(
            "--symbol {symbol:?} is not a ticker (letters, digits, - and _ only)"
        )));
    }
    let Some(declared) = gt_data::resample::Interval::parse(interval) else {
        return Err(RunError::invalid(format!(
            "--interval {interval:?} is not an interval; use e.g. 1m, 5m, 15m, 1h or 1d"
        )));
    };
    let mut incoming = csv_bars::load(path, Symbol::new(&symbol))?;
    if options.timezone.is_none() && csv_bars::has_naive_times_of_day(path)? {
        return Err(RunError::invalid(format!(
            "{}: the times of day have no UTC offset, so they could be UTC or the exchange's: give their \
             zone with --timezone (e.g. --timezone America/New_York, or --timezone UTC)",
            path.display()
        )));
    }
    if let Some(zone) = &options.timezone {
        let zone: chrono_tz::Tz = zone.parse().map_err(|_| {
            RunError::invalid(format!(
                "--timezone {zone:?} is not a time zone; use an IANA name such as America/New_York"
            ))
        })?;
        gt_data::resample::local_to_utc(&mut incoming, zone);
    }
    let daily = incoming.time_format() == TimeFormat::Date;
    let intraday = declared.minutes() < gt_data::resample::Interval::Day.minutes();
    if daily && intraday {
        return Err(RunError::invalid(format!(
            "{}: every bar is at midnight, so these are daily bars; import them with --interval 1d",
            path.display()
        )));
    }
    if !daily && !intraday {
        return Err(RunError::invalid(format!(
            "{}: the bars have times of day, so they are not daily; give their --interval (e.g. 1m), \
             then `data resample --to 1d`",
            path.display()
        )));
    }
    let existing = cache.load(&symbol, interval)?.map(|(series, _)| series);
    if let Some(existing) = existing.as_ref().filter(|_| !options.replace) {
        let differing = differing_bars(existing, &incoming);
        if let Some((first, count)) = differing {
            return Err(RunError::invalid(format!(
                "{count} bars of the file differ from the cached {symbol} {interval} bars at the same times \
                 (the first at {}); add --replace to take the file's",
                first.display(incoming.time_format())
            )));
        }
    }
    let merged = merge(existing, incoming);
    cache.store(&merged, interval, "csv")?;
    Ok(merged.len())
}

/// The first time and the number of bars of `incoming` whose prices differ
/// from `existing`'s bar at the same time; `None` when none differ.
fn differing_bars(existing: &BarSeries, incoming: &BarSeries) -> Option<(Timestamp, usize)> {
    let mut first = None;
    let mut count = 0;
    for i in 0..incoming.len() {
        let bar = incoming.bar(i);
        if let Ok(at) = existing.timestamps().binary_search(&bar.ts)
            && existing.bar(at) != bar
        {
            first.get_or_insert(bar.ts);
            count += 1;
        }
    }
    first.map(|ts| (ts, count))
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
