//! The options shared by commands that read bars: files, universes, symbols.

use anyhow::Result;
use clap::Args;
use gt_model::BarSeries;
use gt_runner::DataSpec;
use std::path::PathBuf;

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

    /// Scale the files' prices by their Adj Close column (splits and dividends), as the bundled sample is.
    #[arg(long)]
    adjust: bool,
}

impl DataArgs {
    /// The data these options name, as a spec.
    pub fn spec(&self) -> DataSpec {
        DataSpec {
            files: self.data.clone(),
            symbol: self.symbol.clone(),
            universe: self.universe.clone(),
            symbols: self.symbols.clone(),
            adjust: self.adjust,
            ..DataSpec::default()
        }
    }

    /// Lays these options over a run file's `[data]`: data named on the
    /// command line replaces the file's.
    pub fn overlay(&self, spec: &mut DataSpec) -> Result<()> {
        gt_runner::data::no_empty_names(&self.symbols)?;
        let given = self.spec();
        let adjust = given.adjust || spec.adjust;
        if given.names_any() {
            *spec = DataSpec { start: spec.start.take(), end: spec.end.take(), ..given };
        } else {
            spec.symbol = given.symbol.or(spec.symbol.take());
        }
        spec.adjust = adjust;
        Ok(())
    }

    /// Loads and validates the bars of every symbol asked for.
    pub fn load(&self) -> Result<Vec<BarSeries>> {
        load(&self.spec())
    }
}

/// Loads the bars `spec` names, saying on stderr what a user should know about them first.
pub fn load(spec: &DataSpec) -> Result<Vec<BarSeries>> {
    gt_runner::data::notes(spec)?.iter().for_each(|note| eprintln!("{note}"));
    Ok(gt_runner::data::load(spec)?)
}

/// The part of the bars a run trades.
#[derive(Args, Debug, Default)]
pub struct WindowArgs {
    /// Trade from this date (2015-01-31) or date-time (2015-01-31 15:30) on. The strategies warm up
    /// on the bars before it, so they can decide on its first bar; the statistics count from the
    /// first warm-up bar, as backtesting.py's do, and buy & hold from the last one
    /// [default: the first bar].
    #[arg(long, value_name = "WHEN")]
    start: Option<String>,

    /// Trade up to this date (the whole day) or date-time (inclusive) [default: the last bar].
    #[arg(long, value_name = "WHEN")]
    end: Option<String>,
}

impl WindowArgs {
    /// Lays the window given over `spec`'s (a run file's `[data] start`/`end`).
    pub fn overlay(&self, spec: &mut DataSpec) {
        spec.start = self.start.clone().or(spec.start.take());
        spec.end = self.end.clone().or(spec.end.take());
    }
}
