/// A value the risk engine has checked. Only `gt-risk` can construct one.
#[derive(Clone, Debug, PartialEq)]
pub struct Approved<T>(T);

impl<T> Approved<T> {
    /// Wraps a checked value (crate-private: approval is the risk engine's alone).
    pub(crate) fn new(value: T) -> Self {
        Self(value)
    }

    /// The checked value, to hand to a venue.
    pub fn into_inner(self) -> T {
        self.0
    }

    /// A view of the checked value.
    pub fn get(&self) -> &T {
        &self.0
    }
}

/// A value the risk engine refused, handed back with the reason.
#[derive(Clone, Debug, PartialEq)]
pub struct Refused<T> {
    /// What was refused.
    pub item: T,
    /// Why.
    pub refusal: crate::Refusal,
}
