//! The options shared by commands that read bars: files, universes, symbols.

use crate::run_config::DataSection;
use anyhow::{Result, bail};
use clap::Args;
use gt_data::{csv_bars, sample, universe};
use gt_model::{BarSeries, Symbol};
use std::path::{Path, PathBuf};

/// Where a command's bars come from.
#[derive(Args, Debug)]
pub struct DataArgs {
    /// OHLCV CSV file; repeat for several symbols. Default: the bundled GOOG daily sample.
    #[arg(long, value_name = "FILE.csv")]
    data: Vec<PathBuf>,

    /// Symbol of a single --data file (default: the file name without extension, upper-cased).
    #[arg(long)]
    symbol: Option<String>,

    /// A universe: `sample` (bundled bars of AAPL, FB, GOOG, IBM, MSFT 2000-2013), `us_liquid`
    /// (large US stocks and ETFs, bars from the cache), or a name from DATA/universes.toml
    /// (`NAME = ["AAPL", "MSFT"]`).
    #[arg(long, value_name = "NAME")]
    universe: Option<String>,

    /// Keep only these symbols (comma-separated) of the files or universe; alone, reads them
    /// from the local cache (else the bundled sample).
    #[arg(long, value_delimiter = ',', value_name = "SYM,SYM")]
    symbols: Vec<String>,
}

impl DataArgs {
    /// Loads and validates the bars of every symbol asked for on the command line.
    pub fn load(&self) -> Result<Vec<BarSeries>> {
        self.load_with(&DataSection::default(), Path::new("."))
    }

    /// Like [`DataArgs::load`], falling back to a run file's `[data]` (its
    /// files relative to `base`) when the command line names no data.
    pub fn load_with(&self, file: &DataSection, base: &Path) -> Result<Vec<BarSeries>> {
        no_empty_names(&self.symbols)?;
        let from_cli = !self.data.is_empty() || self.universe.is_some() || !self.symbols.is_empty();
        if !from_cli && (!file.files.is_empty() || file.universe.is_some() || !file.symbols.is_empty()) {
            let args = DataArgs {
                data: file.files.iter().map(|f| base.join(f)).collect(),
                symbol: None,
                universe: file.universe.clone(),
                symbols: file.symbols.clone(),
            };
            return args.load();
        }
        if self.symbol.is_some() && self.data.len() != 1 {
            bail!("--symbol names the one --data file; with several files each is named after its file");
        }
        let mut series = Vec::new();
        for path in &self.data {
            let symbol = match &self.symbol {
                Some(symbol) => symbol.clone(),
                None => path.file_stem().map(|s| s.to_string_lossy().to_uppercase()).unwrap_or_default(),
            };
            series.push(csv_bars::load(path, Symbol::new(&symbol))?);
        }
        if let Some(name) = &self.universe {
            match universe_symbols(name)? {
                None => series.extend(universe::load(name)?),
                Some(symbols) => series.extend(from_cache_or_sample(&symbols)?),
            }
        }
        if series.is_empty() && !self.symbols.is_empty() {
            return from_cache_or_sample(&self.symbols);
        }
        if series.is_empty() {
            series = vec![sample::goog()?];
        }
        for (i, s) in series.iter().enumerate() {
            if series[..i].iter().any(|earlier| earlier.symbol() == s.symbol()) {
                bail!("symbol {} appears twice in the data; give each file its own symbol", s.symbol());
            }
        }
        if self.symbols.is_empty() {
            return Ok(series);
        }
        let available: Vec<String> = series.iter().map(|s| s.symbol().to_string()).collect();
        let mut chosen = Vec::with_capacity(self.symbols.len());
        for wanted in &self.symbols {
            let wanted = wanted.trim().to_uppercase();
            let Some(index) = series.iter().position(|s| s.symbol().as_str() == wanted) else {
                bail!("symbol {wanted} is not in the data; available: {}", available.join(", "));
            };
            chosen.push(series.swap_remove(index));
        }
        Ok(chosen)
    }

    /// The symbols named by `--symbols`, else by the run file's `[data] symbols`, upper-cased.
    pub fn symbol_names(&self, file: &DataSection) -> Vec<String> {
        let names = if self.symbols.is_empty() { &file.symbols } else { &self.symbols };
        names.iter().map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty()).collect()
    }

    /// Loads exactly one symbol's bars (for commands that work on one series).
    pub fn load_one(&self) -> Result<BarSeries> {
        let mut series = self.load()?;
        if series.len() != 1 {
            bail!("this command works on one symbol; {} were given (pick one with --symbols)", series.len());
        }
        Ok(series.remove(0))
    }
}

/// Refuses `--symbols ""` and `--symbols AAPL,,MSFT`: an empty name is a broken command.
pub fn no_empty_names(symbols: &[String]) -> Result<()> {
    if symbols.iter().any(|s| s.trim().is_empty()) {
        bail!(
            "--symbols has an empty name ({:?}): give names separated by commas, e.g. --symbols AAPL,MSFT",
            symbols.join(",")
        );
    }
    Ok(())
}

/// Large, liquid US stocks and ETFs: a starting universe whose bars come from the cache.
const US_LIQUID: [&str; 12] =
    ["SPY", "QQQ", "IWM", "AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "JPM", "XOM", "JNJ"];

/// The symbols of universe `name` when it is a list (`us_liquid` or DATA/universes.toml);
/// `None` for universes with bundled bars (`sample`).
fn universe_symbols(name: &str) -> Result<Option<Vec<String>>> {
    if universe::BUILT_IN.iter().any(|(built_in, _)| *built_in == name) {
        return Ok(None);
    }
    if name == "us_liquid" {
        return Ok(Some(US_LIQUID.iter().map(|s| s.to_string()).collect()));
    }
    let path = crate::run_store::data_dir()?.join("universes.toml");
    let known = || {
        let mut names: Vec<String> = universe::BUILT_IN.iter().map(|(n, _)| n.to_string()).collect();
        names.push("us_liquid".into());
        names
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(_) => bail!(
            "unknown universe '{name}'; known: {} (define others in {})",
            known().join(", "),
            path.display()
        ),
    };
    let table: toml::Table = text.parse().map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    match table.get(name) {
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| anyhow::anyhow!("{}: {name}: symbols must be strings", path.display()))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => bail!("{}: {name} must be a list of symbols", path.display()),
        None => {
            let mut names = known();
            names.extend(table.keys().cloned());
            bail!("unknown universe '{name}'; known: {}", names.join(", "))
        }
    }
}

/// `--symbols` alone: each symbol's daily bars from the local cache, else
/// from the bundled sample universe; a clear error naming the import command otherwise.
fn from_cache_or_sample(symbols: &[String]) -> Result<Vec<BarSeries>> {
    let cache = crate::commands::data::cache()?;
    let mut sample: Option<Vec<BarSeries>> = None;
    let mut chosen = Vec::with_capacity(symbols.len());
    for wanted in symbols {
        let wanted = wanted.trim().to_uppercase();
        if chosen.iter().any(|s: &BarSeries| s.symbol().as_str() == wanted) {
            bail!("symbol {wanted} is listed twice in --symbols");
        }
        if let Some((series, _)) = cache.load(&wanted, "1d")? {
            chosen.push(series);
            continue;
        }
        let sample = match &mut sample {
            Some(sample) => sample,
            None => sample.insert(universe::load("sample")?),
        };
        let Some(index) = sample.iter().position(|s| s.symbol().as_str() == wanted) else {
            let bundled: Vec<&str> = sample.iter().map(|s| s.symbol().as_str()).collect();
            bail!(
                "symbol {wanted} is not in the local cache ({}) nor the bundled sample ({}); fetch it with \
                 `gpt-trader data fetch --source yahoo --symbols {wanted} --start 2015-01-01` or import a file \
                 with `gpt-trader data import FILE.csv --symbol {wanted}`",
                cache.root().display(),
                bundled.join(", ")
            );
        };
        chosen.push(sample.swap_remove(index));
    }
    Ok(chosen)
}
