//! The options shared by commands that read bars: files, universes, symbols.

use anyhow::{Result, bail};
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
}

impl DataArgs {
    /// The data these options name, as a spec.
    pub fn spec(&self) -> DataSpec {
        DataSpec {
            files: self.data.clone(),
            symbol: self.symbol.clone(),
            universe: self.universe.clone(),
            symbols: self.symbols.clone(),
        }
    }

    /// Lays these options over a run file's `[data]`: data named on the
    /// command line replaces the file's.
    pub fn overlay(&self, spec: &mut DataSpec) -> Result<()> {
        gt_runner::data::no_empty_names(&self.symbols)?;
        let given = self.spec();
        if given.names_any() {
            *spec = given;
        } else {
            spec.symbol = given.symbol.or(spec.symbol.take());
        }
        Ok(())
    }

    /// Loads and validates the bars of every symbol asked for.
    pub fn load(&self) -> Result<Vec<BarSeries>> {
        Ok(gt_runner::data::load(&self.spec())?)
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
