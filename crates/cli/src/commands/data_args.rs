//! The `--data`/`--symbol` options shared by commands that read bars.

use anyhow::Result;
use clap::Args;
use gt_data::{csv_bars, sample};
use gt_model::{BarSeries, Symbol};
use std::path::PathBuf;

/// Where a command's bars come from.
#[derive(Args, Debug)]
pub struct DataArgs {
    /// OHLCV CSV file; the bundled GOOG daily sample (2004-2013) when omitted.
    #[arg(long, value_name = "FILE.csv")]
    data: Option<PathBuf>,

    /// Symbol of the data in --data (default: the file name without extension, upper-cased).
    #[arg(long)]
    symbol: Option<String>,
}

impl DataArgs {
    /// Loads and validates the bars: the file given, or the bundled sample.
    pub fn load(&self) -> Result<BarSeries> {
        let Some(path) = &self.data else {
            return Ok(sample::goog()?);
        };
        let symbol = match &self.symbol {
            Some(symbol) => symbol.clone(),
            None => path.file_stem().map(|s| s.to_string_lossy().to_uppercase()).unwrap_or_default(),
        };
        Ok(csv_bars::load(path, Symbol::new(&symbol))?)
    }
}
