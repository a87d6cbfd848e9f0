use gt_model::Timestamp;

/// The engine's notion of "now": simulated in a backtest, the wall clock
/// (optionally sped up) in paper trading.
pub trait Clock {
    /// Moves time to `ts`, the time of the bar about to be processed; a
    /// real-time clock waits until then.
    fn advance_to(&mut self, ts: Timestamp);

    /// The current time.
    fn now(&self) -> Timestamp;
}

/// A clock that jumps straight to each bar: backtests run as fast as the CPU allows.
#[derive(Clone, Copy, Debug, Default)]
pub struct SimulatedClock {
    now: Timestamp,
}

impl Clock for SimulatedClock {
    #[inline]
    fn advance_to(&mut self, ts: Timestamp) {
        self.now = ts;
    }

    fn now(&self) -> Timestamp {
        self.now
    }
}
