//! Each sleeve's own position in each of its symbols, inside the shared account.

use crate::Sleeve;
use gt_model::{Fill, StrategyId};

/// Units each sleeve member holds, kept from the fills of its own orders.
///
/// The account nets all sleeves per symbol; a strategy sees and closes only
/// its own holding. Fills no strategy asked for (protective exits, closing at
/// the end) are shared among the members holding the symbol, pro rata.
pub(crate) struct SleeveBook {
    names: Vec<StrategyId>,
    positions: Vec<Vec<f64>>,
    /// For each symbol, the (sleeve, member) pairs trading it.
    holders: Vec<Vec<(usize, usize)>>,
}

/// Holdings below this are zero (fractional pro-rata shares round off).
const UNIT_EPSILON: f64 = 1e-9;

impl SleeveBook {
    pub(crate) fn new(sleeves: &[Sleeve], symbols: usize) -> Self {
        let mut holders = vec![Vec::new(); symbols];
        for (s, sleeve) in sleeves.iter().enumerate() {
            for (m, (symbol, _)) in sleeve.members.iter().enumerate() {
                holders[*symbol].push((s, m));
            }
        }
        Self {
            names: sleeves.iter().map(|s| s.name.clone()).collect(),
            positions: sleeves.iter().map(|s| vec![0.0; s.members.len()]).collect(),
            holders,
        }
    }

    /// Units `member` of `sleeve` holds.
    #[inline]
    pub(crate) fn position(&self, sleeve: usize, member: usize) -> f64 {
        self.positions[sleeve][member]
    }

    /// True when more than one sleeve member trades `symbol`.
    pub(crate) fn is_shared(&self, symbol: usize) -> bool {
        self.holders[symbol].len() > 1
    }

    /// Books `fill` of `symbol` on the member whose order it was, or pro rata.
    pub(crate) fn apply(&mut self, fill: &Fill, symbol: usize) {
        let signed = fill.signed_quantity();
        let owner = fill
            .strategy
            .as_ref()
            .and_then(|name| self.holders[symbol].iter().find(|(s, _)| &self.names[*s] == name).copied());
        if let Some((s, m)) = owner {
            self.positions[s][m] = snap(self.positions[s][m] + signed);
            return;
        }
        // Shared out over the holdings it reduces, in proportion to their size.
        let reducible: f64 = self.holders[symbol]
            .iter()
            .map(|&(s, m)| self.positions[s][m])
            .filter(|p| p * signed < 0.0)
            .map(f64::abs)
            .sum();
        if reducible <= 0.0 {
            return;
        }
        let share = (signed.abs() / reducible).min(1.0);
        for &(s, m) in &self.holders[symbol] {
            let held = self.positions[s][m];
            if held * signed < 0.0 {
                self.positions[s][m] = snap(held - held * share);
            }
        }
    }
}

fn snap(units: f64) -> f64 {
    if units.abs() < UNIT_EPSILON { 0.0 } else { units }
}
