//! The indicator banks of a run's symbols: what the strategies declared and
//! the risk engine's sizing reads, each computed once per symbol and bar.

use crate::Sleeve;
use gt_indicators::{IndicatorBank, IndicatorColumns, IndicatorHandle, IndicatorKey};
use gt_model::BarSeries;
use gt_risk::RiskEngine;
use std::sync::Arc;

/// The distinct indicator keys a run of `sleeves` through `risk` reads on
/// each of `symbols` symbols: what its strategies declare and its sizing reads.
pub fn declared_keys(symbols: usize, sleeves: &mut [Sleeve], risk: &RiskEngine) -> Vec<Vec<IndicatorKey>> {
    SymbolIndicators::declare(symbols, &[], risk.sizing_key(), sleeves).keys()
}

/// Every key a run of `sleeves` through `risk` reads, precomputed over its
/// `series` (a backtest knows its bars: TA-Lib's batch functions fill a
/// column faster than a stream fills it bar by bar).
pub fn precomputed_columns(
    series: &[BarSeries],
    sleeves: &mut [Sleeve],
    risk: &RiskEngine,
) -> Vec<Option<Arc<IndicatorColumns>>> {
    let keys = declared_keys(series.len(), sleeves, risk);
    keys.iter()
        .zip(series)
        .map(|(keys, bars)| (!keys.is_empty()).then(|| Arc::new(IndicatorColumns::precompute(keys, bars))))
        .collect()
}

/// One bank per symbol of the source, and where the sizing indicator sits in each.
pub(crate) struct SymbolIndicators {
    banks: Vec<IndicatorBank>,
    sizing: Vec<Option<IndicatorHandle>>,
}

impl SymbolIndicators {
    /// Banks for `symbols` symbols (over the precomputed `columns` of a
    /// symbol where given), with the sizing key and every sleeve member's
    /// keys registered in its symbol's bank.
    pub(crate) fn declare(
        symbols: usize,
        columns: &[Option<Arc<IndicatorColumns>>],
        sizing_key: Option<IndicatorKey>,
        sleeves: &mut [Sleeve],
    ) -> Self {
        let mut banks: Vec<IndicatorBank> = (0..symbols)
            .map(|symbol| match columns.get(symbol).cloned().flatten() {
                Some(columns) => IndicatorBank::over(columns),
                None => IndicatorBank::new(),
            })
            .collect();
        let sizing = banks.iter_mut().map(|bank| sizing_key.map(|key| bank.register(key))).collect();
        for sleeve in sleeves.iter_mut() {
            for (symbol, strategy) in sleeve.members.iter_mut() {
                strategy.declare(&mut banks[*symbol]);
            }
        }
        Self { banks, sizing }
    }

    /// The keys each symbol's bank holds, in source order.
    pub(crate) fn keys(&self) -> Vec<Vec<IndicatorKey>> {
        self.banks.iter().map(|bank| bank.keys().to_vec()).collect()
    }

    /// Feeds `symbol`'s new bar to its bank. Always inlined: it is called
    /// for every bar, and a bank over columns has nothing to compute.
    #[inline(always)]
    pub(crate) fn update(&mut self, symbol: usize, bar: &gt_model::Bar) {
        self.banks[symbol].update(bar);
    }

    /// `symbol`'s bank, fed up to the current bar.
    #[inline]
    pub(crate) fn bank(&self, symbol: usize) -> &IndicatorBank {
        &self.banks[symbol]
    }

    /// The sizing indicator's value on `symbol` at the current bar.
    #[inline]
    pub(crate) fn sizing_measure(&self, symbol: usize) -> Option<f64> {
        self.banks[symbol].value(self.sizing[symbol]?)
    }
}
