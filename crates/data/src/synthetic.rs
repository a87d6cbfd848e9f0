//! Deterministic synthetic bars for benchmarks and property tests.

use gt_model::{Bar, BarSeries, Symbol, Timestamp};

/// SplitMix64: a tiny, well-known generator, enough for reproducible test data.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[-1, 1)`.
    fn next_signed_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// `count` one-minute bars of a random walk around 100, the same for the same `seed`.
///
/// The log price takes steps of at most ±1 % and is pulled gently back towards
/// 100 (a discrete Ornstein–Uhlenbeck process), so a million bars stay in a
/// realistic range instead of drifting to zero; highs and lows wrap the open
/// and close, so every bar passes validation.
pub fn random_walk(symbol: Symbol, count: usize, seed: u64) -> BarSeries {
    const MINUTE: i64 = 60_000_000_000;
    walk(symbol, count, seed, |index| {
        Timestamp::from_nanos(1_577_836_800_000_000_000 + index as i64 * MINUTE)
    })
}

/// `count` daily bars (weekdays, from Monday 2000-01-03) of the same kind of walk as [`random_walk`].
pub fn daily_walk(symbol: Symbol, count: usize, seed: u64) -> BarSeries {
    const DAY: i64 = 86_400_000_000_000;
    const MONDAY_2000_01_03: i64 = 10_959 * DAY;
    walk(symbol, count, seed, |index| {
        let (weeks, weekday) = (index as i64 / 5, index as i64 % 5);
        Timestamp::from_nanos(MONDAY_2000_01_03 + (weeks * 7 + weekday) * DAY)
    })
}

fn walk(symbol: Symbol, count: usize, seed: u64, timestamp: impl Fn(usize) -> Timestamp) -> BarSeries {
    let mut rng = SplitMix64(seed);
    let mut series = BarSeries::with_capacity(symbol, count);
    const PULL: f64 = 0.001;
    let anchor = 100.0_f64.ln();
    let mut log_close = anchor;
    let mut close = 100.0_f64;
    for index in 0..count {
        let open = close;
        log_close += 0.01 * rng.next_signed_unit() - PULL * (log_close - anchor);
        close = log_close.exp();
        let high = open.max(close) * (1.0 + 0.002 * rng.next_signed_unit().abs());
        let low = open.min(close) * (1.0 - 0.002 * rng.next_signed_unit().abs());
        let volume = 1_000.0 + (rng.next_u64() % 10_000) as f64;
        let ts = timestamp(index);
        series.push(Bar { ts, open, high, low, close, volume });
    }
    series
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_same_bars_and_bars_are_consistent() {
        let a = random_walk(Symbol::new("S"), 1_000, 7);
        let b = random_walk(Symbol::new("S"), 1_000, 7);
        for i in 0..a.len() {
            let bar = a.bar(i);
            assert_eq!(bar, b.bar(i));
            assert!(bar.low <= bar.open.min(bar.close) && bar.high >= bar.open.max(bar.close));
        }
        assert_ne!(a.bar(999), random_walk(Symbol::new("S"), 1_000, 8).bar(999));
    }

    #[test]
    fn daily_walk_trades_on_weekdays_only() {
        let days = daily_walk(Symbol::new("D"), 20, 1);
        assert!(days.timestamps().iter().all(|ts| (ts.epoch_day() + 3).rem_euclid(7) < 5));
        assert!(days.timestamps().windows(2).all(|w| w[0] < w[1]));
        assert_eq!(days.time_format(), gt_model::TimeFormat::Date);
    }
}
