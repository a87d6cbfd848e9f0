//! `ml compare`: a run against the shadow models that followed it, and the
//! promotion gate's verdict as `ml promote --to live` prints it.

use crate::output::OutputFormat;
use anyhow::Result;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use gt_runner::promotion::GateOutcome;
use gt_runner::shadow_compare::{ShadowComparison, ShadowOwner, SideStats, compare};
use gt_store::Store;

/// The columns of `ml compare`'s table.
const COLUMNS: [&str; 10] = [
    "",
    "Return %",
    "Sharpe",
    "Sortino",
    "Max DD %",
    "Trades",
    "Hit rate",
    "IC",
    "Drift (PSI)",
    "Difference",
];

/// `ml compare --session NAME | --run ID`.
pub fn run(
    store: &Store,
    runtime: &tokio::runtime::Runtime,
    owner: &ShadowOwner,
    format: OutputFormat,
) -> Result<()> {
    let comparison = runtime.block_on(compare(store, owner))?;
    match format {
        OutputFormat::Json => outln!("{}", serde_json::to_string_pretty(&comparison)?),
        OutputFormat::Table => print_table(&comparison)?,
    }
    Ok(())
}

fn print_table(comparison: &ShadowComparison) -> Result<()> {
    outln!("{}: {} bars over {:.1} days.", comparison.owner, comparison.bars, comparison.days);
    let number = |value: f64, digits: usize| {
        if value.is_finite() { format!("{value:.digits$}") } else { "—".to_owned() }
    };
    let side = |name: String, stats: &SideStats| {
        vec![
            name,
            number(stats.return_pct, 2),
            number(stats.sharpe_ratio, 3),
            number(stats.sortino_ratio, 3),
            number(stats.max_drawdown_pct, 2),
        ]
    };
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(COLUMNS);
    let mut live = side("run".to_owned(), &comparison.live);
    live.extend(["".to_owned(), "".to_owned(), "".to_owned(), "".to_owned(), "".to_owned()]);
    table.add_row(live);
    for shadow in &comparison.shadows {
        let mut row = side(format!("shadow {}", shadow.model_id), &shadow.stats);
        let scores = &shadow.predictions;
        row.extend([
            shadow.trades.to_string(),
            scores.hit_rate.map_or("—".to_owned(), |h| number(h, 3)),
            scores.ic.map_or("—".to_owned(), |ic| number(ic, 3)),
            scores
                .prediction_drift
                .as_ref()
                .map_or("—".to_owned(), |d| format!("{:.3} {}", d.psi, d.level)),
            shadow.verdict.clone(),
        ]);
        table.add_row(row);
    }
    outln!("{table}");
    outln!("Difference: {}.", comparison.test);
    Ok(())
}

/// The gate's rules, one line each, on stderr.
pub fn print_gate(model_id: &str, gate: &GateOutcome) {
    eprintln!("Promotion gate for {model_id} on session {:?}:", gate.session);
    for check in &gate.checks {
        let mark = if check.passed { "pass" } else { "FAIL" };
        eprintln!("  {mark}  {} {} (has {})", check.rule, check.required, check.actual);
    }
}
