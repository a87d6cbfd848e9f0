//! The pre-trade check and the kill switch.

use crate::{Approved, HaltReason, Refusal, Refused, RiskConfig, RiskLimits, Sizing};
use gt_indicators::{IndicatorKey, Input, Kind, Real};
use gt_model::{OrderRequest, Position, Quantity, Symbol, Timestamp, UNIT_EPSILON};

/// One-bar returns in the volatility of volatility-targeted sizing.
const VOLATILITY_WINDOW: usize = 20;
/// Bars in the ATR of ATR-based sizing.
const ATR_PERIOD: usize = 14;
/// Percentage points below a loss limit that still count as reaching it (float rounding).
const LIMIT_TOLERANCE_PCT: f64 = 1e-9;
/// Trading days a year, to annualise one-bar volatility.
const PERIODS_PER_YEAR: f64 = 252.0;

/// What the risk engine sees of the account when checking an order.
pub struct AccountView<'a> {
    /// Equity marked at the decision bar's close.
    pub equity: f64,
    /// Every position, marked at its last close.
    pub positions: &'a [Position],
    /// The value at the decision bar of [`RiskEngine::sizing_key`] for the
    /// order's symbol (`None` while it warms up, or when sizing reads none).
    pub sizing_measure: Option<f64>,
}

/// When and why trading was halted.
#[derive(Clone, Debug, PartialEq)]
pub struct Halt {
    /// Bar (timeline step) at which it tripped.
    pub bar_index: usize,
    /// Time of that bar.
    pub ts: Timestamp,
    /// Why.
    pub reason: HaltReason,
}

/// Units approved for one symbol on the current bar, and what it held before them.
struct Committed {
    symbol: Symbol,
    booked: f64,
    units: f64,
}

/// How near the account is to the kill switch's loss limits at the last
/// equity seen: what a monitor alerts on before the switch trips.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LossWatch {
    /// Fall from the peak equity, in percent; `None` without a kill switch
    /// or before the first equity.
    pub drawdown_pct: Option<f64>,
    /// The drawdown that trips the kill switch, in percent, if one is set.
    pub max_drawdown_pct: Option<f64>,
    /// Fall from the day's starting equity, in percent; `None` like the drawdown.
    pub daily_loss_pct: Option<f64>,
    /// The daily loss that trips the kill switch, in percent, if one is set.
    pub max_daily_loss_pct: Option<f64>,
}

/// Checks every order before it reaches a venue, and halts trading when losses go too far.
pub struct RiskEngine {
    config: RiskConfig,
    fractional_units: bool,
    halt: Option<Halt>,
    peak_equity: f64,
    day: Option<i64>,
    day_start_equity: f64,
    last_equity: f64,
    /// Exposure approved on the current bar but not yet filled.
    committed_gross: f64,
    committed_net: f64,
    /// Units approved on the current bar but not yet filled, by symbol (a
    /// reversal's close counts before its new entry is checked).
    committed_units: Vec<Committed>,
    has_kill_switch: bool,
    /// No limit, no kill switch and no sizing model: every order passes as it is.
    passes_everything: bool,
}

impl RiskEngine {
    /// A risk engine with `config`; `fractional_units` tells whether resized orders may hold fractions.
    pub fn new(config: RiskConfig, fractional_units: bool) -> Self {
        Self {
            config,
            fractional_units,
            halt: None,
            peak_equity: f64::NEG_INFINITY,
            day: None,
            day_start_equity: f64::NAN,
            last_equity: f64::NAN,
            committed_gross: 0.0,
            committed_net: 0.0,
            committed_units: Vec::new(),
            has_kill_switch: config.limits().max_drawdown_pct.is_some()
                || config.limits().max_daily_loss_pct.is_some(),
            passes_everything: *config.limits() == RiskLimits::default()
                && config.sizing() == Sizing::AsRequested,
        }
    }

    /// The settings.
    pub fn config(&self) -> &RiskConfig {
        &self.config
    }

    /// The halt, once the kill switch has tripped; it stays tripped.
    pub fn halt(&self) -> Option<&Halt> {
        self.halt.as_ref()
    }

    /// The drawdown and daily loss as the kill switch measured them on the
    /// last equity, beside its limits.
    pub fn losses(&self) -> LossWatch {
        let limits = self.config.limits();
        let measured = self.has_kill_switch && self.last_equity.is_finite();
        let fall = |from: f64| measured.then(|| (from - self.last_equity) / from * 100.0);
        LossWatch {
            drawdown_pct: fall(self.peak_equity),
            max_drawdown_pct: limits.max_drawdown_pct,
            daily_loss_pct: fall(self.day_start_equity),
            max_daily_loss_pct: limits.max_daily_loss_pct,
        }
    }

    /// Pulls the kill switch by hand at step `bar_index`: from now on only
    /// orders that reduce a position pass, until [`RiskEngine::resume`].
    pub fn halt_now(&mut self, bar_index: usize, ts: Timestamp, reason: &str) {
        self.halt = Some(Halt { bar_index, ts, reason: HaltReason::Manual { reason: reason.to_owned() } });
    }

    /// Halts at step `bar_index` because equity reached `equity` (zero or
    /// less), unless trading is halted already.
    pub fn halt_on_ruin(&mut self, bar_index: usize, ts: Timestamp, equity: f64) {
        if self.halt.is_none() {
            self.halt = Some(Halt { bar_index, ts, reason: HaltReason::NoEquity { equity } });
        }
    }

    /// Lifts a halt (manual or a loss limit's); the loss limits measure again
    /// from the last equity seen, so a drawdown that tripped the switch does
    /// not trip it again at once.
    pub fn resume(&mut self) {
        self.halt = None;
        if !self.last_equity.is_nan() {
            self.peak_equity = self.last_equity;
            self.day_start_equity = self.last_equity;
        }
    }

    /// The indicator the sizing model reads on each symbol, if any: ATR(14)
    /// for ATR risk; for a volatility target, the population standard
    /// deviation of the last 20 one-bar returns (TA-Lib `STDDEV`), annualised
    /// over 252 bars. The engine registers it in each symbol's indicator bank,
    /// where a strategy reading the same key shares it, and passes its value
    /// in [`AccountView::sizing_measure`].
    pub fn sizing_key(&self) -> Option<IndicatorKey> {
        let key = match self.config.sizing() {
            Sizing::VolatilityTarget { .. } => {
                let deviations = Real::new(1.0).expect("1 is finite");
                IndicatorKey::new(Kind::StdDev { period: VOLATILITY_WINDOW, deviations }, Input::Return)
            }
            Sizing::AtrRisk { .. } => IndicatorKey::of_close(Kind::Atr { period: ATR_PERIOD }),
            Sizing::AsRequested | Sizing::FixedUnits(_) | Sizing::FixedFraction(_) => return None,
        };
        Some(key.expect("the sizing indicators' parameters are valid"))
    }

    /// Takes the equity marked at the close of a new bar: updates the peak and
    /// the day's start, and trips the kill switch when a loss limit is reached.
    /// Returns the halt when it trips on this bar.
    #[inline]
    pub fn on_equity(&mut self, bar_index: usize, ts: Timestamp, equity: f64) -> Option<&Halt> {
        self.committed_gross = 0.0;
        self.committed_net = 0.0;
        self.committed_units.clear();
        if !self.has_kill_switch {
            return None;
        }
        self.watch_losses(bar_index, ts, equity)
    }

    /// The kill switch proper: peak, day start and the two loss limits.
    fn watch_losses(&mut self, bar_index: usize, ts: Timestamp, equity: f64) -> Option<&Halt> {
        let day = ts.epoch_day();
        if self.day != Some(day) {
            // The day starts from the previous bar's close (or the first equity seen).
            self.day_start_equity = if self.last_equity.is_nan() { equity } else { self.last_equity };
            self.day = Some(day);
        }
        self.last_equity = equity;
        self.peak_equity = self.peak_equity.max(equity);
        if self.halt.is_some() {
            return None;
        }
        let limits = self.config.limits();
        let drawdown_pct = (self.peak_equity - equity) / self.peak_equity * 100.0;
        let loss_pct = (self.day_start_equity - equity) / self.day_start_equity * 100.0;
        // "Reached" tolerates the last bits of rounding: a 10 % fall from 11,000 is 10 %.
        let reached = |value: f64, limit: f64| value >= limit - LIMIT_TOLERANCE_PCT;
        let reason = match (limits.max_drawdown_pct, limits.max_daily_loss_pct) {
            (Some(limit_pct), _) if reached(drawdown_pct, limit_pct) => {
                HaltReason::MaxDrawdown { drawdown_pct, limit_pct }
            }
            (_, Some(limit_pct)) if reached(loss_pct, limit_pct) => {
                HaltReason::DailyLoss { loss_pct, limit_pct }
            }
            _ => return None,
        };
        self.halt = Some(Halt { bar_index, ts, reason });
        self.halt.as_ref()
    }

    /// Checks `request`, priced at `price` (the decision bar's close): passes
    /// it as it is, resizes it to the sizing model and position cap, or refuses it.
    /// Orders that only reduce a position always pass, halted or not.
    pub fn check(
        &mut self,
        request: OrderRequest,
        price: f64,
        account: &AccountView<'_>,
    ) -> Result<Approved<OrderRequest>, Refused<OrderRequest>> {
        match self.assess(&request, price, account) {
            Ok(None) => Ok(Approved::new(request)),
            Ok(Some(quantity)) => Ok(Approved::new(OrderRequest { quantity, ..request })),
            Err(refusal) => Err(Refused { item: request, refusal }),
        }
    }

    /// The check itself: `Ok(None)` passes the order as it is, `Ok(Some(q))` resizes it to `q`.
    fn assess(
        &mut self,
        request: &OrderRequest,
        price: f64,
        account: &AccountView<'_>,
    ) -> Result<Option<Quantity>, Refusal> {
        if self.passes_everything && self.halt.is_none() {
            return Ok(None);
        }
        // The position as it will be once the orders approved on this bar
        // fill: a reversal's entry is checked after its close, not beside it.
        let booked =
            account.positions.iter().find(|p| *p.symbol() == request.symbol).map_or(0.0, Position::quantity);
        let held = match booked + self.committed(&request.symbol) {
            tiny if tiny.abs() < UNIT_EPSILON => 0.0,
            held => held,
        };
        let sign = request.side.sign();
        let available = (account.equity - gross(account.positions) - self.committed_gross).max(0.0);
        let requested_units = match request.quantity {
            Quantity::Units(units) => units,
            Quantity::EquityFraction(fraction) => fraction * available / price,
        };
        let reducing =
            request.reduce_only || (held != 0.0 && held.signum() != sign && requested_units <= held.abs());
        if reducing {
            // What it frees counts for the orders after it on this bar.
            let units = requested_units.min(held.abs());
            let after = held + sign * units;
            self.commit(
                &request.symbol,
                booked,
                sign * units,
                (after.abs() - held.abs()) * price,
                (after - held) * price,
            );
            return Ok(None);
        }
        if let Some(halt) = &self.halt {
            return Err(Refusal::Halted { reason: halt.reason.clone() });
        }
        let limits = *self.config.limits();

        // Size the entry, then fit it under the position cap.
        let same_side = held * sign > 0.0;
        let closing = if held * sign < 0.0 { held.abs() } else { 0.0 };
        let mut units = match self.entry_units(price, account) {
            Some(sized) => closing + sized,
            None => requested_units,
        };
        let mut resized = units != requested_units;
        if let Some(cap_pct) = limits.max_position_pct {
            let cap = cap_pct / 100.0 * account.equity;
            let after = held + sign * units;
            let same_side_before = if same_side { held.abs() * price } else { 0.0 };
            if after.abs() * price > cap {
                units = closing + ((cap - same_side_before) / price).max(0.0);
                resized = true;
                if units - closing <= 0.0 {
                    return Err(Refusal::PositionCap {
                        symbol: request.symbol.clone(),
                        position_value: same_side_before,
                        limit: cap,
                    });
                }
            }
        }
        if resized && !self.fractional_units {
            units = units.floor();
        }
        let notional = units * price;
        if let Some(limit) = limits.max_order_notional
            && notional > limit
        {
            return Err(Refusal::OrderNotional { notional, limit });
        }
        let after = held + sign * units;
        let opens_position = held == 0.0 && after != 0.0;
        if let Some(limit) = limits.max_positions {
            let open = self.open_after_bar(account.positions);
            // (`held` already counts this bar's orders: a reversed position stays one position.)
            if opens_position && open >= limit {
                return Err(Refusal::MaxPositions { open, limit });
            }
        }
        // Exposure with this order: the symbol's position replaced by its value after the fill.
        let delta_gross = (after.abs() - held.abs()) * price;
        let delta_net = (after - held) * price;
        if let Some(limit_pct) = limits.max_gross_exposure_pct {
            let exposure_pct =
                (gross(account.positions) + self.committed_gross + delta_gross) / account.equity * 100.0;
            if exposure_pct > limit_pct + 1e-9 {
                return Err(Refusal::GrossExposure { exposure_pct, limit_pct });
            }
        }
        if let Some(limit_pct) = limits.max_net_exposure_pct {
            let net: f64 = account.positions.iter().map(Position::market_value).sum();
            let exposure_pct = (net + self.committed_net + delta_net).abs() / account.equity * 100.0;
            if exposure_pct > limit_pct + 1e-9 {
                return Err(Refusal::NetExposure { exposure_pct, limit_pct });
            }
        }
        self.commit(&request.symbol, booked, sign * units, delta_gross, delta_net);
        Ok(resized.then_some(Quantity::Units(units)))
    }

    /// Signed units of `symbol` approved on this bar and not yet filled.
    fn committed(&self, symbol: &Symbol) -> f64 {
        self.committed_units.iter().find(|c| c.symbol == *symbol).map_or(0.0, |c| c.units)
    }

    /// Counts an approved order of `signed_units` on `symbol` (holding
    /// `booked` before this bar's orders): its units and what it adds to gross
    /// and net exposure.
    fn commit(&mut self, symbol: &Symbol, booked: f64, signed_units: f64, delta_gross: f64, delta_net: f64) {
        self.committed_gross += delta_gross;
        self.committed_net += delta_net;
        match self.committed_units.iter_mut().find(|c| c.symbol == *symbol) {
            Some(committed) => committed.units += signed_units,
            None => {
                self.committed_units.push(Committed { symbol: symbol.clone(), booked, units: signed_units })
            }
        }
    }

    /// Positions open once the orders approved on this bar fill: those open
    /// now, plus those this bar's orders open, less those they close.
    fn open_after_bar(&self, positions: &[Position]) -> usize {
        let open = |units: f64| units.abs() >= UNIT_EPSILON;
        let now = positions.iter().filter(|p| open(p.quantity())).count() as isize;
        let change: isize = self
            .committed_units
            .iter()
            .map(|c| isize::from(open(c.booked + c.units)) - isize::from(open(c.booked)))
            .sum();
        (now + change).max(0) as usize
    }

    /// Units of a new entry under the sizing model; `None` to keep the strategy's size.
    fn entry_units(&self, price: f64, account: &AccountView<'_>) -> Option<f64> {
        let equity = account.equity;
        match self.config.sizing() {
            Sizing::AsRequested => None,
            Sizing::FixedUnits(units) => Some(units),
            Sizing::FixedFraction(fraction) => Some(fraction * equity / price),
            Sizing::VolatilityTarget { target_pct } => {
                let volatility = account.sizing_measure? * PERIODS_PER_YEAR.sqrt();
                (volatility > 0.0).then(|| target_pct / 100.0 * equity / (volatility * price))
            }
            Sizing::AtrRisk { risk_pct, atr_multiple } => {
                let atr = account.sizing_measure?;
                (atr > 0.0).then(|| risk_pct / 100.0 * equity / (atr_multiple * atr))
            }
        }
    }
}

fn gross(positions: &[Position]) -> f64 {
    positions.iter().map(|p| p.market_value().abs()).sum()
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
