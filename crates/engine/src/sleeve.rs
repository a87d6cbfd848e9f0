use gt_model::StrategyId;
use gt_strategy::Strategy;

/// One strategy's share of the account: an instance per symbol it trades,
/// and the weight of equity it sizes against.
pub struct Sleeve {
    /// Strategy name; its orders, fills and trades carry it.
    pub name: StrategyId,
    /// Share of equity in `(0, 1]`, split evenly over the sleeve's symbols.
    pub weight: f64,
    /// `(symbol index in the source, strategy instance)` pairs.
    pub members: Vec<(usize, Box<dyn Strategy>)>,
}

impl Sleeve {
    /// The fraction of equity one member sizes against.
    pub fn member_share(&self) -> f64 {
        self.weight / self.members.len().max(1) as f64
    }
}
