//! What a running paper session says on stderr: a progress bar when bars
//! are replayed as fast as possible, otherwise one line per bar.

pub use gt_live::StepReport;
use gt_model::TimeFormat;

/// A progress bar over `total` steps (hidden when stderr is not a terminal).
pub fn progress_bar(total: usize) -> StepReport {
    let bar = indicatif::ProgressBar::new(total as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} bars {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Box::new(move |step| {
        bar.set_position(step.index as u64 + 1);
        bar.set_message(format!("equity {:.2}", step.portfolio.equity()));
        if step.index + 1 >= total {
            bar.finish_and_clear();
        }
    })
}

/// One line per step: time, equity, positions, what was sent and filled, the halt.
pub fn bar_lines(format: TimeFormat) -> StepReport {
    Box::new(move |step| {
        let held = step.portfolio.positions().iter().filter(|p| p.quantity() != 0.0).count();
        let halt = step.halt.map_or(String::new(), |h| format!("  HALTED: {}", h.reason));
        eprintln!(
            "{}  equity {:>12.2}  positions {held}  orders {}  fills {}  open {}{halt}",
            step.ts.display(format),
            step.portfolio.equity(),
            step.new_orders.len(),
            step.new_fills.len(),
            step.resting_orders.len(),
        );
    })
}
