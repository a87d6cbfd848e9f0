//! The notices a session's steps give: fills, rejections, bursts of risk
//! refusals, halts and resumes.

use crate::notify::{Notice, NoticeKind, NoticeTime, Notifications};
use gt_engine::StepView;
use std::time::{Duration, Instant};

/// Risk refusals after a notice of them wait this long for the next (wall
/// clock, so that a replay at full speed is no louder than a live session):
/// a limit that refuses every bar is a notice every ten minutes, with the
/// count since the last.
const REFUSALS_QUIET: Duration = Duration::from_secs(600);

/// Turns a session's steps into notices, following what needs memory: the
/// halt state and the refusals not yet told.
pub(crate) struct StepNotices {
    notifications: Notifications,
    /// Whether the session was halted at the last step seen (None before the first).
    halted: Option<bool>,
    /// Refusals since the last notice of them, and the latest one.
    refused: usize,
    latest_refusal: Option<(String, String)>,
    refusals_told_at: Option<Instant>,
}

impl StepNotices {
    /// Notices of steps, sent through `notifications`.
    pub(crate) fn new(notifications: Notifications) -> Self {
        Self { notifications, halted: None, refused: 0, latest_refusal: None, refusals_told_at: None }
    }

    /// Sends the notices of what `step` brought. A replayed step (`live`
    /// false) was told about by the run that traded it: only the halt state
    /// is followed through it.
    pub(crate) fn observe(&mut self, step: &StepView<'_>, live: bool) {
        let halted = step.halt.is_some();
        let was_halted = self.halted.replace(halted);
        if !live {
            return;
        }
        let send = |notice: Notice| self.notifications.send(notice);
        // A position booked from the broker is no trade of the session (a
        // reconciliation is notified as a mismatch).
        for fill in step.new_fills.iter().filter(|f| f.order_id != gt_model::OrderId::BOOKED) {
            let verb = match fill.side {
                gt_model::Side::Buy => "bought",
                gt_model::Side::Sell => "sold",
            };
            let text = format!("{verb} {} {} at {}", number(fill.quantity), fill.symbol, number(fill.price));
            send(
                Notice::new(NoticeKind::Fill, NoticeTime::Bar(fill.ts), text)
                    .symbol(fill.symbol.as_str())
                    .side(fill.side)
                    .qty(fill.quantity)
                    .price(fill.price),
            );
        }
        for cancellation in step.new_cancellations.iter().filter(|c| c.reason.is_rejection()) {
            let request = &cancellation.order.request;
            let side = match request.side {
                gt_model::Side::Buy => "buy",
                gt_model::Side::Sell => "sell",
            };
            let text = format!("{side} order for {} rejected: {}", request.symbol, cancellation.reason);
            let mut notice = Notice::new(NoticeKind::Rejection, NoticeTime::Bar(cancellation.ts), text)
                .symbol(request.symbol.as_str())
                .side(request.side)
                .reason(cancellation.reason.to_string());
            if let gt_model::Quantity::Units(units) = request.quantity {
                notice = notice.qty(units);
            }
            send(notice);
        }
        match (was_halted, step.halt) {
            (Some(false), Some(halt)) => send(
                Notice::new(NoticeKind::Halt, NoticeTime::Bar(step.ts), format!("halted: {}", halt.reason))
                    .reason(halt.reason.to_string()),
            ),
            (Some(true), None) => send(Notice::new(
                NoticeKind::Resume,
                NoticeTime::Bar(step.ts),
                "the kill switch is lifted: new entries are allowed again",
            )),
            _ => {}
        }
        self.observe_refusals(step);
    }

    /// Counts the step's refusals and tells them, unless told of recently.
    fn observe_refusals(&mut self, step: &StepView<'_>) {
        if let Some(latest) = step.new_refusals.last() {
            self.refused += step.new_refusals.len();
            self.latest_refusal = Some((latest.symbol.as_str().to_owned(), latest.refusal.to_string()));
        }
        let quiet = self.refusals_told_at.is_some_and(|at| at.elapsed() < REFUSALS_QUIET);
        if self.refused == 0 || quiet {
            return;
        }
        let Some((symbol, reason)) = self.latest_refusal.take() else { return };
        let orders =
            if self.refused == 1 { "1 order".to_owned() } else { format!("{} orders", self.refused) };
        let text = format!("the risk checks refused {orders} (latest: {symbol}, {reason})");
        self.notifications.send(
            Notice::new(NoticeKind::Refusals, NoticeTime::Bar(step.ts), text).symbol(symbol).reason(reason),
        );
        self.refused = 0;
        self.refusals_told_at = Some(Instant::now());
    }
}

/// A price or quantity as people write it: up to 4 decimals, no trailing zeros.
fn number(x: f64) -> String {
    let text = format!("{x:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!(number(10.0), "10");
        assert_eq!(number(187.2), "187.2");
        assert_eq!(number(0.000012), "0");
        assert_eq!(number(1234.56789), "1234.5679");
    }
}
