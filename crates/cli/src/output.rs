//! Rendering reports: the stats table, the JSON object and CSV files.

use anyhow::Result;
use clap::ValueEnum;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use gt_analytics::{Report, Stats};
use gt_engine::BacktestResult;
use gt_model::{Symbol, TimeFormat};
use gt_runner::records::{RunReport, notes};
use std::io::Write;

/// How a command prints its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A readable table.
    Table,
    /// One JSON object on stdout, nothing else.
    Json,
}

/// Prints the JSON report on stdout, nothing else.
pub fn print_json(
    report: &Report,
    result: &BacktestResult,
    format: TimeFormat,
    run_id: Option<&str>,
    shadows: &[gt_runner::shadow::ShadowSummary],
) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(
        &mut stdout,
        &RunReport::new(report, result, format, run_id).with_shadows(shadows),
    )?;
    writeln!(stdout)?;
    Ok(())
}

/// A statistic as the tables print it: whole numbers for counts and whole
/// days, six decimals otherwise, `—` when undefined.
pub fn format_number(key: &str, value: f64) -> String {
    // `+ 0.0` prints a negative zero (an empty sum) as 0.
    let value = value + 0.0;
    if value.is_nan() {
        "—".to_owned()
    } else if key == "trades" || key.ends_with("_days") && value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.6}")
    }
}

/// Prints the statistics table, then notes on what is still open, cancelled, refused or halted.
pub fn print_table(stats: &Stats, result: &BacktestResult, format: TimeFormat, strategy: &str) -> Result<()> {
    let symbols: Vec<&str> = result.symbols.iter().map(Symbol::as_str).collect();
    outln!("{}", stats_table(stats, &format!("{strategy} on {}", symbols.join(", "))));
    for note in notes(result, format) {
        outln!("{note}");
    }
    Ok(())
}

/// The statistics as a two-column table under `title`.
pub fn stats_table(stats: &Stats, title: &str) -> Table {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![title.to_owned(), String::new()]);
    for (key, time) in [("start", &stats.start), ("end", &stats.end)] {
        table.add_row(vec![
            Cell::new(gt_analytics::label(key)),
            Cell::new(time).set_alignment(CellAlignment::Right),
        ]);
    }
    for (key, value) in stats.numbers() {
        table.add_row(vec![
            Cell::new(gt_analytics::label(key)),
            Cell::new(format_number(key, value)).set_alignment(CellAlignment::Right),
        ]);
    }
    table
}

/// The run store `--db` names (or the default), opened before any work, or
/// `None` with `--no-save`; a store that cannot be opened says how to skip it.
pub fn open_store_unless(no_save: bool, db: Option<&str>) -> Result<Option<gt_runner::store::OpenStore>> {
    if no_save {
        return Ok(None);
    }
    let url = gt_runner::paths::database_url(db)?;
    let store = gt_runner::store::OpenStore::open(&url)
        .map_err(|e| anyhow::anyhow!("{e} (use --no-save to skip it)"))?;
    Ok(Some(store))
}
