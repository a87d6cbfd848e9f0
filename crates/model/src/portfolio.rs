use crate::{Fill, StrategyId, Symbol, Timestamp, Trade};
use std::collections::VecDeque;

/// Units below this are treated as zero (a flat position, a matched lot).
pub const UNIT_EPSILON: f64 = 1e-9;

/// An open lot: part of a position entered by one fill, waiting to be closed FIFO.
#[derive(Clone, Debug)]
struct Lot {
    size: f64,
    entry_price: f64,
    entry_bar: usize,
    entry_time: Timestamp,
    /// Entry fee still attributed to the open part of the lot.
    entry_fee: f64,
    /// The strategy whose order opened the lot.
    strategy: Option<StrategyId>,
}

/// A view of one open lot: what is still held from one entry fill.
#[derive(Clone, Debug)]
pub struct OpenLot<'a> {
    /// Signed units still open.
    pub size: f64,
    /// Entry price.
    pub entry_price: f64,
    /// Bar index of the entry.
    pub entry_bar: usize,
    /// Entry fee still attributed to the open units.
    pub entry_fee: f64,
    /// The strategy whose order opened it.
    pub strategy: Option<&'a StrategyId>,
}

/// The holding in one symbol: signed units, the price it is marked at, and its FIFO lots.
#[derive(Clone, Debug)]
pub struct Position {
    symbol: Symbol,
    quantity: f64,
    mark_price: f64,
    lots: VecDeque<Lot>,
}

impl Position {
    fn new(symbol: Symbol) -> Self {
        Self { symbol, quantity: 0.0, mark_price: 0.0, lots: VecDeque::new() }
    }

    /// The instrument held.
    pub fn symbol(&self) -> &Symbol {
        &self.symbol
    }

    /// Signed units held: positive long, negative short, zero flat.
    #[inline]
    pub fn quantity(&self) -> f64 {
        self.quantity
    }

    /// The price the position is currently valued at.
    pub fn mark_price(&self) -> f64 {
        self.mark_price
    }

    /// Signed market value at the mark price.
    #[inline]
    pub fn market_value(&self) -> f64 {
        self.quantity * self.mark_price
    }

    /// The open lots, oldest first.
    pub fn open_lots(&self) -> impl Iterator<Item = OpenLot<'_>> {
        self.lots.iter().map(|lot| OpenLot {
            size: lot.size,
            entry_price: lot.entry_price,
            entry_bar: lot.entry_bar,
            entry_fee: lot.entry_fee,
            strategy: lot.strategy.as_ref(),
        })
    }

    /// Average entry price of the open lots, `None` when flat.
    pub fn avg_entry_price(&self) -> Option<f64> {
        let units: f64 = self.lots.iter().map(|lot| lot.size.abs()).sum();
        (units > 0.0)
            .then(|| self.lots.iter().map(|lot| lot.size.abs() * lot.entry_price).sum::<f64>() / units)
    }
}

/// The account ledger: cash, one [`Position`] per symbol, and the trades closed so far.
///
/// Cash is real cash: buying spends `units × price`, selling short receives it,
/// and fees are paid from it. So at every instant
/// `equity = cash + Σ quantity × mark_price`, exactly as computed by [`Portfolio::equity`].
#[derive(Clone, Debug)]
pub struct Portfolio {
    cash: f64,
    positions: Vec<Position>,
    closed_trades: Vec<Trade>,
}

impl Portfolio {
    /// A flat account holding `cash`.
    pub fn new(cash: f64) -> Self {
        Self { cash, positions: Vec::new(), closed_trades: Vec::new() }
    }

    /// Index of the position slot for `symbol`, creating a flat one if needed.
    ///
    /// Slots never move, so callers may cache the index.
    pub fn slot(&mut self, symbol: &Symbol) -> usize {
        match self.positions.iter().position(|p| &p.symbol == symbol) {
            Some(index) => index,
            None => {
                self.positions.push(Position::new(symbol.clone()));
                self.positions.len() - 1
            }
        }
    }

    /// The position in `slot`.
    #[inline]
    pub fn position(&self, slot: usize) -> &Position {
        &self.positions[slot]
    }

    /// All positions, flat ones included.
    pub fn positions(&self) -> &[Position] {
        &self.positions
    }

    /// Values the position in `slot` at `price` from now on.
    #[inline]
    pub fn set_mark(&mut self, slot: usize, price: f64) {
        self.positions[slot].mark_price = price;
    }

    /// Cash balance (negative when long on margin, larger than equity when short).
    pub fn cash(&self) -> f64 {
        self.cash
    }

    /// Cash plus the signed market value of every position.
    #[inline]
    pub fn equity(&self) -> f64 {
        self.cash + self.positions.iter().map(Position::market_value).sum::<f64>()
    }

    /// Σ |market value|: the cash tied up as margin at 1× leverage.
    pub fn gross_exposure(&self) -> f64 {
        self.positions.iter().map(|p| p.market_value().abs()).sum()
    }

    /// Equity not tied up in positions (never negative): what new positions may use.
    pub fn margin_available(&self) -> f64 {
        (self.equity() - self.gross_exposure()).max(0.0)
    }

    /// Trades closed so far, in the order they closed.
    pub fn closed_trades(&self) -> &[Trade] {
        &self.closed_trades
    }

    /// The closed trades, taking them (at the end of a run: no copy).
    pub fn into_closed_trades(self) -> Vec<Trade> {
        self.closed_trades
    }

    /// Books `fill` on the position in `slot`: pays for it, closes opposite lots
    /// first-in first-out (recording a [`Trade`] for each) and opens a lot with the rest.
    pub fn apply_fill(&mut self, slot: usize, fill: &Fill) {
        let signed = fill.signed_quantity();
        self.cash -= signed * fill.price + fill.commission;
        let position = &mut self.positions[slot];
        position.quantity += signed;
        if position.quantity.abs() < UNIT_EPSILON {
            position.quantity = 0.0;
        }

        let mut remaining = signed;
        while remaining.abs() >= UNIT_EPSILON {
            let Some(lot) = position.lots.front_mut() else {
                break;
            };
            if lot.size.signum() == remaining.signum() {
                break;
            }
            let closing = remaining.abs().min(lot.size.abs());
            let whole_lot = lot.size.abs() - closing < UNIT_EPSILON;
            let exit_fee = fill.commission * (closing / fill.quantity);
            let entry_fee =
                if whole_lot { lot.entry_fee } else { lot.entry_fee * (closing / lot.size.abs()) };
            self.closed_trades.push(Trade {
                symbol: fill.symbol.clone(),
                size: closing.copysign(lot.size),
                entry_bar: lot.entry_bar,
                exit_bar: fill.bar_index,
                entry_time: lot.entry_time,
                exit_time: fill.ts,
                entry_price: lot.entry_price,
                exit_price: fill.price,
                commission: exit_fee + entry_fee,
                strategy: lot.strategy.clone(),
            });
            remaining += closing.copysign(lot.size);
            if whole_lot {
                position.lots.pop_front();
            } else {
                lot.size -= closing.copysign(lot.size);
                lot.entry_fee -= entry_fee;
            }
        }
        if remaining.abs() >= UNIT_EPSILON {
            position.lots.push_back(Lot {
                size: remaining,
                entry_price: fill.price,
                entry_bar: fill.bar_index,
                entry_time: fill.ts,
                entry_fee: fill.commission * (remaining.abs() / fill.quantity),
                strategy: fill.strategy.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OrderId, Side};
    use proptest::prelude::*;

    fn fill(side: Side, quantity: f64, price: f64, commission: f64, bar: usize) -> Fill {
        Fill {
            order_id: OrderId(bar as u64),
            symbol: Symbol::new("T"),
            side,
            quantity,
            price,
            commission,
            bar_index: bar,
            ts: Timestamp::from_nanos(bar as i64),
            strategy: None,
        }
    }

    #[test]
    fn opposite_fill_closes_oldest_lot_first_and_opens_the_rest() {
        let mut book = Portfolio::new(10_000.0);
        let slot = book.slot(&Symbol::new("T"));
        book.apply_fill(slot, &fill(Side::Buy, 10.0, 100.0, 1.0, 0));
        book.apply_fill(slot, &fill(Side::Buy, 5.0, 110.0, 0.5, 1));
        book.apply_fill(slot, &fill(Side::Sell, 12.0, 120.0, 1.2, 2));

        let trades = book.closed_trades();
        assert_eq!(trades.len(), 2);
        assert_eq!((trades[0].size, trades[0].entry_price), (10.0, 100.0));
        assert!((trades[0].commission - (1.0 + 1.0)).abs() < 1e-12);
        assert_eq!((trades[1].size, trades[1].entry_price), (2.0, 110.0));
        assert!((trades[1].commission - (0.2 + 0.2)).abs() < 1e-12);
        assert_eq!(book.position(slot).quantity(), 3.0);
        assert_eq!(book.position(slot).avg_entry_price(), Some(110.0));
    }

    #[test]
    fn flipping_through_zero_opens_a_short_lot() {
        let mut book = Portfolio::new(1_000.0);
        let slot = book.slot(&Symbol::new("T"));
        book.apply_fill(slot, &fill(Side::Buy, 3.0, 10.0, 0.0, 0));
        book.apply_fill(slot, &fill(Side::Sell, 5.0, 12.0, 0.0, 1));
        assert_eq!(book.closed_trades()[0].pnl(), 6.0);
        assert_eq!(book.position(slot).quantity(), -2.0);
        book.set_mark(slot, 11.0);
        assert_eq!(book.equity(), 1_000.0 + 6.0 + 2.0);
    }

    proptest! {
        #[test]
        fn equity_equals_initial_cash_plus_pnl_minus_fees(
            fills in prop::collection::vec((any::<bool>(), 1u32..50, 1.0f64..500.0, 0.0f64..5.0), 1..60),
            mark in 1.0f64..500.0,
        ) {
            let mut book = Portfolio::new(50_000.0);
            let slot = book.slot(&Symbol::new("T"));
            let mut fees = 0.0;
            let mut flow = 0.0;
            for (bar, (buy, units, price, fee)) in fills.iter().enumerate() {
                let side = if *buy { Side::Buy } else { Side::Sell };
                book.apply_fill(slot, &fill(side, f64::from(*units), *price, *fee, bar));
                fees += fee;
                flow -= side.sign() * f64::from(*units) * price;
            }
            book.set_mark(slot, mark);
            let held = book.position(slot).quantity();
            let expected = 50_000.0 + flow - fees + held * mark;
            prop_assert!((book.equity() - expected).abs() < 1e-6);
            let open_units: f64 = book.position(slot).lots.iter().map(|l| l.size).sum();
            prop_assert!((open_units - held).abs() < 1e-9);
            let closed_pnl: f64 = book.closed_trades().iter().map(Trade::pnl).sum();
            let open_value: f64 = book.position(slot).lots.iter()
                .map(|l| l.size * (mark - l.entry_price) - l.entry_fee).sum();
            prop_assert!((50_000.0 + closed_pnl + open_value - book.equity()).abs() < 1e-6);
        }
    }
}
