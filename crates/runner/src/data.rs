//! The bars a [`DataSpec`] names: CSV files, universes, the local cache and
//! the bundled samples, validated, one series per symbol.

use crate::RunError;
use crate::paths::{bar_cache, data_dir};
use crate::spec::DataSpec;
use gt_data::csv_bars::{self, Prices};
use gt_data::{sample, universe};
use gt_model::{BarSeries, Symbol};

/// Loads and validates the bars of every symbol `spec` names (the bundled
/// GOOG daily sample when it names none).
pub fn load(spec: &DataSpec) -> Result<Vec<BarSeries>, RunError> {
    no_empty_names(&spec.symbols)?;
    if spec.symbol.is_some() && spec.files.len() != 1 {
        return Err(RunError::invalid(
            "--symbol names the one --data file; with several files each is named after its file",
        ));
    }
    let mut series = Vec::new();
    for path in &spec.files {
        let symbol = match &spec.symbol {
            Some(symbol) => symbol.clone(),
            None => path.file_stem().map(|s| s.to_string_lossy().to_uppercase()).unwrap_or_default(),
        };
        let prices = if spec.adjust { Prices::Adjusted } else { Prices::AsTraded };
        series.push(csv_bars::load_prices(path, Symbol::new(&symbol), prices)?);
    }
    if let Some(name) = &spec.universe {
        match universe_symbols(name)? {
            None => series.extend(universe::load(name)?),
            Some(symbols) => series.extend(from_cache_or_sample(&symbols)?),
        }
    }
    if series.is_empty() && !spec.symbols.is_empty() {
        return from_cache_or_sample(&spec.symbols);
    }
    if series.is_empty() {
        series = vec![sample::goog()?];
    }
    for (i, s) in series.iter().enumerate() {
        if series[..i].iter().any(|earlier| earlier.symbol() == s.symbol()) {
            return Err(RunError::invalid(format!(
                "symbol {} appears twice in the data; give each file its own symbol",
                s.symbol()
            )));
        }
    }
    if spec.symbols.is_empty() {
        return Ok(series);
    }
    let available: Vec<String> = series.iter().map(|s| s.symbol().to_string()).collect();
    let mut chosen = Vec::with_capacity(spec.symbols.len());
    for wanted in &spec.symbols {
        let wanted = wanted.trim().to_uppercase();
        let Some(index) = series.iter().position(|s| s.symbol().as_str() == wanted) else {
            return Err(RunError::invalid(format!(
                "symbol {wanted} is not in the data; available: {}",
                available.join(", ")
            )));
        };
        chosen.push(series.swap_remove(index));
    }
    Ok(chosen)
}

/// Loads exactly one symbol's bars (for commands that work on one series).
pub fn load_one(spec: &DataSpec) -> Result<BarSeries, RunError> {
    let mut series = load(spec)?;
    if series.len() != 1 {
        return Err(RunError::invalid(format!(
            "this command works on one symbol; {} were given (pick one with --symbols)",
            series.len()
        )));
    }
    Ok(series.remove(0))
}

/// What a user should know about the bars `spec` names before they run:
/// files whose `Adj Close` column is not applied.
pub fn notes(spec: &DataSpec) -> Result<Vec<String>, RunError> {
    let mut notes = Vec::new();
    for path in spec.files.iter().filter(|_| !spec.adjust) {
        if csv_bars::has_adjusted_close(path)? {
            notes.push(format!(
                "note: {} has an Adj Close column, which is not applied: prices are as traded (splits and \
                 dividends show as jumps); add --adjust to scale them by Adj Close / Close",
                path.display()
            ));
        }
    }
    Ok(notes)
}

/// The symbols `spec` names, upper-cased (for sources that fetch by name, like a broker).
pub fn symbol_names(spec: &DataSpec) -> Vec<String> {
    spec.symbols.iter().map(|s| s.trim().to_uppercase()).filter(|s| !s.is_empty()).collect()
}

/// Refuses `--symbols ""` and `--symbols AAPL,,MSFT`: an empty name is a broken command.
pub fn no_empty_names(symbols: &[String]) -> Result<(), RunError> {
    if symbols.iter().any(|s| s.trim().is_empty()) {
        return Err(RunError::invalid(format!(
            "--symbols has an empty name ({:?}): give names separated by commas, e.g. --symbols AAPL,MSFT",
            symbols.join(",")
        )));
    }
    Ok(())
}

/// The symbols of universe `name` when it is a list (`us_liquid` or DATA/universes.toml);
/// `None` for universes with bundled bars (`sample`).
fn universe_symbols(name: &str) -> Result<Option<Vec<String>>, RunError> {
    if universe::BUILT_IN.iter().any(|(built_in, _)| *built_in == name) {
        return Ok(None);
    }
    if name == "us_liquid" {
        return Ok(Some(universe::US_LIQUID.iter().map(|s| s.to_string()).collect()));
    }
    let path = data_dir()?.join("universes.toml");
    let known = || {
        let mut names: Vec<String> = universe::BUILT_IN.iter().map(|(n, _)| n.to_string()).collect();
        names.push("us_liquid".into());
        names
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Err(RunError::invalid(format!(
            "unknown universe '{name}'; known: {} (define others in {})",
            known().join(", "),
            path.display()
        )));
    };
    let table: toml::Table =
        text.parse().map_err(|e| RunError::invalid(format!("{}: {e}", path.display())))?;
    match table.get(name) {
        Some(toml::Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    RunError::invalid(format!("{}: {name}: symbols must be strings", path.display()))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(RunError::invalid(format!("{}: {name} must be a list of symbols", path.display()))),
        None => {
            let mut names = known();
            names.extend(table.keys().cloned());
            Err(RunError::invalid(format!("unknown universe '{name}'; known: {}", names.join(", "))))
        }
    }
}

/// Each symbol's daily bars from the local cache, else from the bundled
/// sample universe; a clear error naming the import command otherwise.
fn from_cache_or_sample(symbols: &[String]) -> Result<Vec<BarSeries>, RunError> {
    let cache = bar_cache()?;
    let mut sample: Option<Vec<BarSeries>> = None;
    let mut chosen = Vec::with_capacity(symbols.len());
    for wanted in symbols {
        let wanted = wanted.trim().to_uppercase();
        if chosen.iter().any(|s: &BarSeries| s.symbol().as_str() == wanted) {
            return Err(RunError::invalid(format!("symbol {wanted} is listed twice in --symbols")));
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
            return Err(RunError::invalid(format!(
                "symbol {wanted} is not in the local cache ({}) nor the bundled sample ({}); fetch it with \
                 `gpt-trader data fetch --source yahoo --symbols {wanted} --start 2015-01-01` or import a file \
                 with `gpt-trader data import FILE.csv --symbol {wanted}`",
                cache.root().display(),
                bundled.join(", ")
            )));
        };
        chosen.push(sample.swap_remove(index));
    }
    Ok(chosen)
}
