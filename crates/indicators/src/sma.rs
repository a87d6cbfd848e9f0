/// Simple moving average over the last `period` inputs.
///
/// The running sum is kept with Kahan compensation, adding and removing
/// exactly as pandas' `rolling(n).mean()` does (separate compensations for
/// additions and removals, and a window of identical values returning that
/// value exactly). backtesting.py's strategies compute their SMAs with
/// pandas, so crossovers of nearly equal averages resolve the same way here.
#[derive(Clone, Debug)]
pub struct Sma {
    window: Vec<f64>,
    next_slot: usize,
    count: usize,
    sum: f64,
    add_compensation: f64,
    remove_compensation: f64,
    same_value_run: usize,
    last_input: f64,
    value: Option<f64>,
}

impl Sma {
    /// An average over `period` bars; `period` is at least 1.
    pub fn new(period: usize) -> Self {
        let period = period.max(1);
        Self {
            window: vec![0.0; period],
            next_slot: 0,
            count: 0,
            sum: 0.0,
            add_compensation: 0.0,
            remove_compensation: 0.0,
            same_value_run: 0,
            last_input: f64::NAN,
            value: None,
        }
    }

    /// Number of inputs averaged.
    pub fn period(&self) -> usize {
        self.window.len()
    }

    /// Feeds the next input; returns the average once `period` inputs were seen.
    #[inline]
    pub fn update(&mut self, input: f64) -> Option<f64> {
        let period = self.window.len();
        if self.count == period {
            let outgoing = self.window[self.next_slot];
            let y = -outgoing - self.remove_compensation;
            let t = self.sum + y;
            self.remove_compensation = (t - self.sum) - y;
            self.sum = t;
        } else {
            self.count += 1;
        }
        let y = input - self.add_compensation;
        let t = self.sum + y;
        self.add_compensation = (t - self.sum) - y;
        self.sum = t;
        self.same_value_run = if input == self.last_input {
            self.same_value_run + 1
        } else {
            1
        };
        self.last_input = input;
        self.window[self.next_slot] = input;
        self.next_slot = if self.next_slot + 1 == period {
            0
        } else {
            self.next_slot + 1
        };

        self.value = (self.count == period).then(|| {
            if self.same_value_run >= period {
                input
            } else {
                self.sum / period as f64
            }
        });
        self.value
    }

    /// The latest average, `None` during warm-up.
    pub fn value(&self) -> Option<f64> {
        self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn warms_up_then_averages_the_last_period_inputs() {
        let mut sma = Sma::new(3);
        assert_eq!(sma.update(1.0), None);
        assert_eq!(sma.update(2.0), None);
        assert_eq!(sma.update(3.0), Some(2.0));
        assert_eq!(sma.update(10.0), Some(5.0));
        assert_eq!(sma.value(), Some(5.0));
    }

    #[test]
    fn a_window_of_equal_values_averages_to_that_value_exactly() {
        let mut sma = Sma::new(4);
        for x in [0.3, 0.1, 0.7, 0.1, 0.1, 0.1] {
            sma.update(x);
        }
        assert_eq!(sma.update(0.1), Some(0.1));
    }

    proptest! {
        #[test]
        fn streaming_value_matches_direct_mean(
            inputs in prop::collection::vec(1.0f64..1000.0, 1..200),
            period in 1usize..30,
        ) {
            let mut sma = Sma::new(period);
            for (i, &x) in inputs.iter().enumerate() {
                let got = sma.update(x);
                if i + 1 < period {
                    prop_assert_eq!(got, None);
                } else {
                    let window = &inputs[i + 1 - period..=i];
                    let direct = window.iter().sum::<f64>() / period as f64;
                    prop_assert!((got.unwrap() - direct).abs() <= 1e-9 * direct);
                }
            }
        }
    }
}
