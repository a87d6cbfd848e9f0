//! Wrapping TA-Lib's streaming handles as bar-by-bar indicators.
//!
//! A TA-Lib stream must be opened on at least `lookback + 1` bars. Each
//! wrapper buffers its first inputs (in vectors sized once), opens the
//! stream on them when the first value exists, and from then on hands each
//! bar to the stream: O(1) work per bar, no allocation, and values
//! bit-identical to TA-Lib's batch functions over the same series.

/// Declares a streaming indicator backed by a TA-Lib stream.
macro_rules! talib_indicator {
    (
        $(#[$doc:meta])*
        $name:ident { $($param:ident: $ptype:ty),* }
        inputs ($($input:ident),+) -> $out:ty;
        stream $stream:ty;
        open |$core:ident, $me:ident, $($buf:ident),+| $open:expr;
        lookback |$lcore:ident| $lookback:expr;
        value |$raw:ident| $value:expr;
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            $($param: $ptype,)*
            lookback: usize,
            $($input: Vec<f64>,)+
            stream: Option<$stream>,
            last: Option<$out>,
        }

        impl $name {
            /// Builds the indicator; fails when TA-Lib rejects the parameters.
            pub fn new($($param: $ptype),*) -> Result<Self, $crate::IndicatorError> {
                let $lcore = ta_lib::Core::new();
                let lookback: Result<usize, ta_lib::RetCode> = $lookback;
                let lookback = lookback.map_err(|_| $crate::IndicatorError::BadParameters {
                    indicator: stringify!($name),
                    params: <[String]>::join(&[$(format!("{}={:?}", stringify!($param), $param)),*], ", "),
                })?;
                Ok(Self {
                    $($param,)*
                    lookback,
                    $($input: Vec::with_capacity(lookback + 1),)+
                    stream: None,
                    last: None,
                })
            }

            /// Bars consumed before the first value (the value exists from bar `lookback`, 0-based).
            pub fn lookback(&self) -> usize {
                self.lookback
            }

            /// Feeds the next bar's inputs; returns the value once warmed up.
            #[inline]
            #[allow(clippy::too_many_arguments)]
            pub fn update(&mut self, $($input: f64),+) -> Option<$out> {
                let value = match &mut self.stream {
                    Some(stream) => stream.update($($input),+).ok().map(|$raw| $value),
                    None => self.warm_up($($input),+),
                };
                self.last = value;
                value
            }

            /// The latest value, `None` during warm-up.
            pub fn value(&self) -> Option<$out> {
                self.last
            }

            /// Buffers inputs until the stream can be opened, then opens it.
            #[cold]
            fn warm_up(&mut self, $($input: f64),+) -> Option<$out> {
                $(self.$input.push($input);)+
                let seen = [$(self.$input.len()),+][0];
                if seen <= self.lookback {
                    return None;
                }
                let $core = ta_lib::Core::new();
                let $me = &*self;
                $(let $buf: &[f64] = &self.$buf;)+
                let opened: Result<($stream, _), ta_lib::RetCode> = $open;
                let (stream, $raw) = opened.ok()?;
                self.stream = Some(stream);
                $(self.$input = Vec::new();)+
                Some($value)
            }
        }
    };
}

pub(crate) use talib_indicator;

/// A period as TA-Lib's `i32`; out-of-range values saturate so TA-Lib rejects them.
pub(crate) fn ta_int(value: usize) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}
