//! `paper run --notify URL`: the options that send a session's events to
//! webhooks, and its start and stop notices.

use anyhow::Result;
use clap::{Args, ValueEnum};
use gt_live::notify::{
    DeliveryReport, Notice, NoticeKind, NoticeTime, Notifications, Notifier, NotifyConfig, NotifyFormat,
    Webhook,
};
use gt_runner::NotifySpec;
use std::time::Duration;

/// Where the webhook URLs come from when no `--notify` is given (they are
/// secrets: an environment variable keeps them out of `ps`).
const NOTIFY_ENV: &str = "GPT_TRADER_NOTIFY_URL";

/// Longest the end of a session waits for its last notices.
const FINAL_GRACE: Duration = Duration::from_secs(5);

/// How a session notifies its events.
#[derive(Args, Debug)]
pub struct NotifyArgs {
    /// POST a JSON notification to this webhook on the session's events (repeatable). The URL is
    /// a secret: never logged, shown or stored with the session [default: the space-separated
    /// URLs in $GPT_TRADER_NOTIFY_URL, else the run file's notify.webhooks].
    #[arg(long, value_name = "URL", value_parser = parse_webhook)]
    notify: Vec<Webhook>,

    /// Body shape: slack ({"text"} and the fields), discord ({"content"} and an embed of the
    /// fields), or json (the fields and the text, schema gpt-trader.notice.v1) [default: the run
    /// file's notify.format, else slack].
    #[arg(long, value_enum, value_name = "FORMAT")]
    notify_format: Option<NotifyFormatChoice>,

    /// The events notified, comma-separated, from: start, stop, fill, rejection, refusals, halt,
    /// resume, mismatch, disconnect [default: the run file's notify.events, else all].
    #[arg(long, value_name = "EVENTS", value_delimiter = ',', value_parser = NoticeKind::parse)]
    notify_events: Vec<NoticeKind>,

    /// Seconds a stream (Alpaca's bars or trade updates) stays disconnected before that is
    /// notified [default: the run file's notify.disconnect_secs, else 60].
    #[arg(long, value_name = "SECS")]
    notify_disconnect_secs: Option<u64>,
}

/// `--notify-format`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum NotifyFormatChoice {
    Slack,
    Discord,
    Json,
}

/// A webhook URL given on the command line, checked without echoing it.
fn parse_webhook(url: &str) -> Result<Webhook, String> {
    Webhook::parse(url)
}

impl NotifyArgs {
    /// The notifier these options ask for, laid over the run file's
    /// `[notify]` (`file`, already checked), started; none without a webhook.
    pub fn start(&self, session: &str, file: &NotifySpec) -> Result<Option<Notifier>> {
        let mut webhooks = self.notify.clone();
        if webhooks.is_empty()
            && let Ok(urls) = std::env::var(NOTIFY_ENV)
        {
            for url in urls.split_whitespace() {
                webhooks.push(Webhook::parse(url).map_err(|e| anyhow::anyhow!("${NOTIFY_ENV}: {e}"))?);
            }
        }
        if webhooks.is_empty() {
            for url in &file.webhooks {
                webhooks.push(Webhook::parse(url).map_err(|e| anyhow::anyhow!("notify.webhooks: {e}"))?);
            }
        }
        if webhooks.is_empty() {
            return Ok(None);
        }
        let count = webhooks.len();
        let mut config = NotifyConfig::new(webhooks);
        let format = self.notify_format.or(match file.format.as_deref() {
            Some("discord") => Some(NotifyFormatChoice::Discord),
            Some("json") => Some(NotifyFormatChoice::Json),
            _ => None,
        });
        config.format = match format {
            None | Some(NotifyFormatChoice::Slack) => NotifyFormat::Slack,
            Some(NotifyFormatChoice::Discord) => NotifyFormat::Discord,
            Some(NotifyFormatChoice::Json) => NotifyFormat::Json,
        };
        let events = match self.notify_events.is_empty() {
            false => self.notify_events.clone(),
            true => file
                .events
                .iter()
                .map(|e| NoticeKind::parse(e).map_err(anyhow::Error::msg))
                .collect::<Result<_>>()?,
        };
        if !events.is_empty() {
            config.events = events.into_iter().collect();
        }
        let disconnect_secs = self.notify_disconnect_secs.or(file.disconnect_secs).unwrap_or(60);
        config.disconnect_after = Duration::from_secs(disconnect_secs);
        let events: Vec<&str> = config.events.iter().map(|k| k.code()).collect();
        eprintln!("Notifying {} to {count} webhook(s).", events.join(", "));
        Ok(Some(Notifier::start(session, config)?))
    }
}

/// Notifies that the session started on `broker`, or continued after `steps_done` bars.
pub fn started(notifications: Option<&Notifications>, broker: &str, steps_done: Option<i64>) {
    let Some(notifications) = notifications else { return };
    let text = match steps_done {
        Some(steps) => format!("continuing on {broker} after {steps} bars"),
        None => format!("started on {broker}"),
    };
    notifications.send(Notice::new(NoticeKind::Start, NoticeTime::Now, text));
}

/// Notifies that the session stopped and why, sends what is left (waiting a
/// few seconds at most), and says what did not arrive.
pub fn finish(notifier: Option<Notifier>, why: &str) {
    let Some(notifier) = notifier else { return };
    notifier
        .handle()
        .send(Notice::new(NoticeKind::Stop, NoticeTime::Now, format!("stopped: {why}")).reason(why));
    let report: DeliveryReport = notifier.finish(FINAL_GRACE);
    if report.all_delivered() {
        eprintln!("Notifications: {} delivered.", report.delivered);
    } else {
        eprintln!("Notifications: {report}.");
    }
}
