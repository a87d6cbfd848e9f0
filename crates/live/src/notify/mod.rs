//! Notifications of a paper session (`paper run --notify URL`): a JSON POST
//! to each webhook for fills, rejections, bursts of risk refusals, halts and
//! resumes, reconciliation mismatches, long stream disconnections, and the
//! session's start and stop.
//!
//! The trading loop only hands a [`Notice`] to a bounded queue (it never
//! waits); a thread of its own renders and posts it, retrying with bounded
//! backoff, one queue per webhook so that a dead one cannot hold up the
//! others. A full queue drops the notice and counts it: a webhook that hangs
//! or fails for a whole session costs the session nothing. The webhook URL
//! is a secret (it usually embeds a token): it is never logged or shown.

mod body;
mod delivery;
mod notice;
mod step_notices;

pub use body::NotifyFormat;
pub use delivery::{DeliveryReport, Notifications, Notifier, NotifyConfig, Webhook};
pub use notice::{Notice, NoticeKind, NoticeTime};
pub(crate) use step_notices::StepNotices;
