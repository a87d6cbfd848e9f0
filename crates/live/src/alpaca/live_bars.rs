use gt_alpaca::StreamBar;
use gt_engine::{BarSource, SeriesReplay};
use gt_model::{Bar, BarSeries, Symbol, Timestamp};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How often a waiting source looks at its stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);

/// Bars for a live session: first the warm-up history, then bars from a
/// stream. A live time step is complete when every symbol has a bar at its
/// time, when a later bar arrives, or `grace` after its first bar (a symbol
/// that did not trade that minute has no bar). `live` turns true when the
/// first live step is handed out; `stop` ends the source while it waits.
pub struct LiveBars<'a> {
    history: SeriesReplay<'a>,
    history_done: bool,
    symbols: Vec<Symbol>,
    bars: Receiver<StreamBar>,
    grace: Duration,
    /// Bars of steps not yet handed out, by time.
    waiting: BTreeMap<Timestamp, Vec<(usize, Bar)>>,
    first_seen: Option<Instant>,
    last_time: Option<Timestamp>,
    live: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    /// The live bars handed out, by symbol index.
    played: Vec<Vec<Bar>>,
}

impl<'a> LiveBars<'a> {
    /// `history` (in the order of `symbols`), then the bars from `bars`.
    pub fn new(
        history: &'a [BarSeries],
        bars: Receiver<StreamBar>,
        grace: Duration,
        live: Arc<AtomicBool>,
        stop: Arc<AtomicBool>,
    ) -> Self {
        let replay = SeriesReplay::new(history);
        let symbols = replay.symbols().to_vec();
        Self {
            history: replay,
            history_done: false,
            symbols,
            bars,
            grace,
            waiting: BTreeMap::new(),
            first_seen: None,
            last_time: None,
            live,
            stop,
            played: vec![Vec::new(); history.len()],
        }
    }

    /// The history with the live bars handed out after it: every bar the run saw.
    pub fn bars_seen(&self, history: &[BarSeries]) -> Vec<BarSeries> {
        history
            .iter()
            .zip(&self.played)
            .map(|(series, live)| {
                let mut all = BarSeries::with_capacity(series.symbol().clone(), series.len() + live.len());
                for i in 0..series.len() {
                    all.push(series.bar(i));
                }
                for bar in live {
                    all.push(*bar);
                }
                all
            })
            .collect()
    }

    /// Files a streamed bar under its step; bars of steps already handed out are dropped.
    fn file(&mut self, streamed: StreamBar) {
        let Some(index) = self.symbols.iter().position(|s| s.as_str() == streamed.symbol) else { return };
        if self.last_time.is_some_and(|last| streamed.bar.ts <= last) {
            return;
        }
        let step = self.waiting.entry(streamed.bar.ts).or_default();
        if !step.iter().any(|(i, _)| *i == index) {
            step.push((index, streamed.bar));
        }
        self.first_seen.get_or_insert_with(Instant::now);
    }

    /// The earliest waiting step, if it is complete.
    fn complete_step(&mut self, bars: &mut Vec<(usize, Bar)>) -> Option<Timestamp> {
        let (&ts, step) = self.waiting.iter().next()?;
        let complete = step.len() == self.symbols.len()
            || self.waiting.len() > 1
            || self.first_seen.is_some_and(|t| t.elapsed() >= self.grace);
        if !complete {
            return None;
        }
        let mut step = self.waiting.remove(&ts).unwrap_or_default();
        step.sort_by_key(|(i, _)| *i);
        for (index, bar) in &step {
            self.played[*index].push(*bar);
        }
        bars.clear();
        bars.extend(step);
        self.first_seen = (!self.waiting.is_empty()).then(Instant::now);
        self.last_time = Some(ts);
        Some(ts)
    }
}

impl BarSource for LiveBars<'_> {
    fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    fn next_step(&mut self, bars: &mut Vec<(usize, Bar)>) -> Option<Timestamp> {
        if !self.history_done {
            if let Some(ts) = self.history.next_step(bars) {
                self.last_time = Some(ts);
                return Some(ts);
            }
            self.history_done = true;
        }
        loop {
            if let Some(ts) = self.complete_step(bars) {
                self.live.store(true, Ordering::Release);
                return Some(ts);
            }
            if self.stop.load(Ordering::Acquire) {
                return None;
            }
            let wait = match self.first_seen {
                Some(first) => self.grace.saturating_sub(first.elapsed()).min(STOP_POLL),
                None => STOP_POLL,
            };
            match self.bars.recv_timeout(wait) {
                Ok(bar) => self.file(bar),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    // The stream ended for good: hand out what is left, then stop.
                    self.grace = Duration::ZERO;
                    return self.complete_step(bars);
                }
            }
        }
    }

    fn expected_steps(&self) -> usize {
        self.history.expected_steps()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streamed(symbol: &str, minute: i64, close: f64) -> StreamBar {
        let ts = Timestamp::from_nanos(minute * 60_000_000_000);
        StreamBar {
            symbol: symbol.to_owned(),
            bar: Bar { ts, open: close, high: close, low: close, close, volume: 1.0 },
            received: Instant::now(),
        }
    }

    #[test]
    fn history_then_live_steps_grouped_by_time() {
        let mut a = BarSeries::with_capacity(Symbol::new("A"), 1);
        a.push(Bar { ts: Timestamp::from_nanos(0), open: 1.0, high: 1.0, low: 1.0, close: 1.0, volume: 1.0 });
        let mut b = BarSeries::with_capacity(Symbol::new("B"), 1);
        b.push(Bar { ts: Timestamp::from_nanos(0), open: 2.0, high: 2.0, low: 2.0, close: 2.0, volume: 1.0 });
        let history = [a, b];
        let (tx, rx) = std::sync::mpsc::channel();
        let live = Arc::new(AtomicBool::new(false));
        let mut source = LiveBars::new(
            &history,
            rx,
            Duration::from_millis(20),
            Arc::clone(&live),
            Arc::new(AtomicBool::new(false)),
        );
        let mut bars = Vec::new();
        assert_eq!(source.next_step(&mut bars).map(Timestamp::nanos), Some(0));
        assert_eq!(bars.len(), 2);
        assert!(!live.load(Ordering::Acquire));
        tx.send(streamed("B", 1, 20.0)).unwrap();
        tx.send(streamed("A", 1, 10.0)).unwrap();
        tx.send(streamed("A", 0, 99.0)).unwrap(); // older than what was handed out: dropped
        assert_eq!(source.next_step(&mut bars).map(Timestamp::nanos), Some(60_000_000_000));
        assert_eq!(bars.iter().map(|(i, b)| (*i, b.close)).collect::<Vec<_>>(), [(0, 10.0), (1, 20.0)]);
        assert!(live.load(Ordering::Acquire));
        // Only A trades in minute 2: the step is handed out after the grace period.
        tx.send(streamed("A", 2, 11.0)).unwrap();
        assert_eq!(source.next_step(&mut bars).map(|t| t.nanos() / 60_000_000_000), Some(2));
        assert_eq!(bars.len(), 1);
        drop(tx);
        assert_eq!(source.next_step(&mut bars), None);
    }
}
