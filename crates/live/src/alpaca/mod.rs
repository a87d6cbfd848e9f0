//! Paper sessions on an Alpaca paper account: the engine's venue is the
//! broker, its bar source the market-data stream after a warm-up on history.

mod live_bars;
mod session;
mod venue;

pub use live_bars::LiveBars;
pub use session::{AlpacaEndpoints, AlpacaOutcome, AlpacaSession, AlpacaTimings};
pub use venue::{AlpacaVenue, AlpacaVenueSetup, OutsideHours};
