use crate::RefusalRecord;
use gt_execution::Cancellation;
use gt_model::{Bar, Fill, Order, Portfolio, Symbol, Timestamp};
use gt_risk::{Halt, LossWatch};

/// What happened in one time step, shown to a [`StepObserver`] once the
/// strategies have placed their orders.
pub struct StepView<'a> {
    /// The step's index in the run.
    pub index: usize,
    /// The step's time.
    pub ts: Timestamp,
    /// The run's symbols.
    pub symbols: &'a [Symbol],
    /// The step's bars: `(index into symbols, bar)`, for the symbols that have one.
    pub bars: &'a [(usize, Bar)],
    /// The account, marked at this step's closes.
    pub portfolio: &'a Portfolio,
    /// Orders sent to the venue during this step (strategy orders, protective exits, commands).
    pub new_orders: &'a [Order],
    /// Fills booked during this step.
    pub new_fills: &'a [Fill],
    /// Orders cancelled or rejected during this step.
    pub new_cancellations: &'a [Cancellation],
    /// Orders the risk engine refused during this step.
    pub new_refusals: &'a [RefusalRecord],
    /// Orders resting at the venue after this step.
    pub resting_orders: Vec<&'a Order>,
    /// The kill switch's state.
    pub halt: Option<&'a Halt>,
    /// How near the account is to the kill switch's loss limits.
    pub losses: LossWatch,
}

/// Something an operator asks of a running engine between two steps.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// End the run after this step.
    Stop,
    /// Cancel every resting order and close every position at its last price.
    Flatten,
    /// Flatten, then refuse new entries (the kill switch) until [`Command::Resume`].
    Kill {
        /// Why, kept with the halt.
        reason: String,
    },
    /// Lift a halt: entries pass the risk checks again.
    Resume,
}

/// Watches a run step by step and may steer it: paper trading journals each
/// step and passes on the operator's commands through this.
pub trait StepObserver {
    /// False for an observer that ignores every step, so the engine skips building the views.
    const WATCHES: bool = true;

    /// Called after every step; commands pushed to `commands` are applied at
    /// once, in order, before the next step.
    fn after_step(&mut self, step: &StepView<'_>, commands: &mut Vec<Command>);
}

/// Watches nothing: a backtest.
pub struct Unobserved;

impl StepObserver for Unobserved {
    const WATCHES: bool = false;

    #[inline]
    fn after_step(&mut self, _: &StepView<'_>, _: &mut Vec<Command>) {}
}
