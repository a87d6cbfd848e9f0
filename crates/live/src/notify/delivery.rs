//! The notifier: a bounded queue the session fills without waiting, and a
//! thread of its own that posts each notice to every webhook, retrying with
//! bounded backoff.

use crate::LiveError;
use crate::notify::{Notice, NoticeKind, NoticeTime, NotifyFormat};
use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// Notices waiting for the notifier thread; beyond this, new ones are dropped.
const QUEUE: usize = 1024;

/// Notices waiting for one webhook; beyond this, that webhook misses new ones.
const WEBHOOK_QUEUE: usize = 256;

/// The longest wait between two attempts of one notice.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A webhook URL. It is a secret (services put the token in it), so neither
/// `Debug` nor an error ever shows it; webhooks are named by their place
/// (`#1`, `#2`) instead.
#[derive(Clone)]
pub struct Webhook(String);

impl Webhook {
    /// The webhook at `url`: an `http` or `https` URL with a host.
    pub fn parse(url: &str) -> Result<Self, String> {
        // The parser's message names what is wrong, never the URL itself.
        let parsed = reqwest::Url::parse(url.trim()).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err("a webhook URL must start with http:// or https:// and name a host".to_owned());
        }
        Ok(Self(url.trim().to_owned()))
    }
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Webhook(<redacted>)")
    }
}

/// What to send where, and how hard to try.
#[derive(Clone, Debug)]
pub struct NotifyConfig {
    /// Where each notice goes.
    pub webhooks: Vec<Webhook>,
    /// The body's shape.
    pub format: NotifyFormat,
    /// The kinds of event sent; the others are not.
    pub events: BTreeSet<NoticeKind>,
    /// How long a stream stays disconnected before it is notified.
    pub disconnect_after: Duration,
    /// The longest one attempt may take, connection included.
    pub attempt_timeout: Duration,
    /// Attempts per notice and webhook, the first included.
    pub attempts: u32,
    /// Wait after the first failed attempt; it doubles after each (up to 30 s).
    pub first_backoff: Duration,
}

impl NotifyConfig {
    /// Every event to `webhooks`, Slack-shaped; streams notified after 60 s
    /// down; four attempts of at most 10 s each, 1, 2 and 4 s apart.
    pub fn new(webhooks: Vec<Webhook>) -> Self {
        Self {
            webhooks,
            format: NotifyFormat::Slack,
            events: NoticeKind::ALL.into_iter().collect(),
            disconnect_after: Duration::from_secs(60),
            attempt_timeout: Duration::from_secs(10),
            attempts: 4,
            first_backoff: Duration::from_secs(1),
        }
    }
}

/// What became of the notices of a session, counted per webhook.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Accepted by the webhook (a 2xx answer).
    pub delivered: u64,
    /// Given up on after every attempt failed, or refused by the webhook (a 4xx answer).
    pub failed: u64,
    /// Never sent because a queue was full (the webhook was too slow or down).
    pub dropped: u64,
    /// Still queued or being tried when the session ended.
    pub undelivered: u64,
}

impl DeliveryReport {
    /// Whether every notice reached every webhook.
    pub fn all_delivered(&self) -> bool {
        self.failed == 0 && self.dropped == 0 && self.undelivered == 0
    }
}

impl fmt::Display for DeliveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} delivered, {} failed, {} dropped (queue full), {} unsent at the end",
            self.delivered, self.failed, self.dropped, self.undelivered
        )
    }
}

/// The counts behind a [`DeliveryReport`], kept by the notifier thread.
#[derive(Default)]
struct Counts {
    queued: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

impl Counts {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn report(&self) -> DeliveryReport {
        let [queued, delivered, failed, dropped] =
            [&self.queued, &self.delivered, &self.failed, &self.dropped].map(|c| c.load(Ordering::Relaxed));
        DeliveryReport { delivered, failed, dropped, undelivered: queued.saturating_sub(delivered + failed) }
    }
}

/// What the session hands the notifier thread.
enum Message {
    Notice(Notice),
    Stream { stream: &'static str, connected: bool },
}

/// The session's side of the notifier: cheap to clone, and it never waits.
#[derive(Clone)]
pub struct Notifications {
    queue: mpsc::Sender<Message>,
    session: Arc<str>,
    events: Arc<BTreeSet<NoticeKind>>,
    webhooks: u64,
    counts: Arc<Counts>,
}

impl Notifications {
    /// Whether notices of `kind` are sent at all.
    pub fn wants(&self, kind: NoticeKind) -> bool {
        self.events.contains(&kind)
    }

    /// Queues `notice` for every webhook, unless its kind is not wanted; a
    /// full queue drops it (counted).
    pub fn send(&self, mut notice: Notice) {
        if !self.wants(notice.event) {
            return;
        }
        notice.session = self.session.to_string();
        if self.queue.try_send(Message::Notice(notice)).is_err() {
            Counts::add(&self.counts.dropped, self.webhooks);
        }
    }

    /// Tells the notifier that `stream` (dis)connected: a disconnection that
    /// lasts is notified, and so is the reconnection after it.
    pub fn stream_changed(&self, stream: &'static str, connected: bool) {
        if self.wants(NoticeKind::Disconnect) {
            // A lost change of state is caught up by the next one.
            let _ = self.queue.try_send(Message::Stream { stream, connected });
        }
    }
}

/// The notifier thread and the handle that feeds it.
pub struct Notifier {
    handle: Notifications,
    close: Option<oneshot::Sender<()>>,
    done: std::sync::mpsc::Receiver<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Notifier {
    /// Starts the thread that sends `session`'s notices as `config` says.
    pub fn start(session: &str, config: NotifyConfig) -> Result<Self, LiveError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("gpt-trader/", env!("CARGO_PKG_VERSION")))
            .timeout(config.attempt_timeout)
            .connect_timeout(config.attempt_timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| LiveError::Refused(format!("cannot set up notifications: {}", e.without_url())))?;
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(LiveError::Runtime)?;
        let (queue, inbox) = mpsc::channel(QUEUE);
        let (close, closed) = oneshot::channel();
        let (finished, done) = std::sync::mpsc::channel();
        let counts = Arc::new(Counts::default());
        let session: Arc<str> = session.into();
        let handle = Notifications {
            queue,
            session: Arc::clone(&session),
            events: Arc::new(config.events.clone()),
            webhooks: config.webhooks.len() as u64,
            counts: Arc::clone(&counts),
        };
        let thread = std::thread::Builder::new()
            .name("gpt-trader-notify".into())
            .spawn(move || {
                runtime.block_on(dispatch(Dispatch { inbox, closed, config, client, counts, session }));
                let _ = finished.send(());
            })
            .map_err(LiveError::Runtime)?;
        Ok(Self { handle, close: Some(close), done, thread: Some(thread) })
    }

    /// A handle for the session's threads to send notices through.
    pub fn handle(&self) -> Notifications {
        self.handle.clone()
    }

    /// Sends what is queued, waiting at most `grace` for it, and reports
    /// what became of every notice.
    pub fn finish(mut self, grace: Duration) -> DeliveryReport {
        if let Some(close) = self.close.take() {
            let _ = close.send(());
        }
        if self.done.recv_timeout(grace).is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
        // A thread still trying after the grace is left to end with the process.
        self.handle.counts.report()
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        if let Some(close) = self.close.take() {
            let _ = close.send(());
        }
    }
}

/// What the notifier thread works with.
struct Dispatch {
    inbox: mpsc::Receiver<Message>,
    closed: oneshot::Receiver<()>,
    config: NotifyConfig,
    client: reqwest::Client,
    counts: Arc<Counts>,
    session: Arc<str>,
}

/// The notifier thread: renders each notice once and hands it to every
/// webhook's own queue; times stream disconnections; on close, passes on
/// what is left and lets the webhooks finish.
async fn dispatch(mut dispatch: Dispatch) {
    let config = &dispatch.config;
    let mut outboxes = Vec::new();
    let mut workers = Vec::new();
    for (place, webhook) in config.webhooks.iter().enumerate() {
        let (outbox, bodies) = mpsc::channel(WEBHOOK_QUEUE);
        outboxes.push(outbox);
        let target = Target { place: place + 1, webhook: webhook.clone(), client: dispatch.client.clone() };
        let retry = Retry { attempts: config.attempts.max(1), first_backoff: config.first_backoff };
        workers.push(tokio::spawn(deliver_all(target, bodies, retry, Arc::clone(&dispatch.counts))));
    }
    let post = |notice: Notice| {
        let body = config.format.body(&notice).to_string();
        for outbox in &outboxes {
            let counter = match outbox.try_send(body.clone()) {
                Ok(()) => &dispatch.counts.queued,
                Err(_) => &dispatch.counts.dropped,
            };
            Counts::add(counter, 1);
        }
    };
    let mut streams = StreamWatch::new(config.disconnect_after);
    let session = &dispatch.session;
    let take = |message: Message, streams: &mut StreamWatch| match message {
        Message::Notice(notice) => post(notice),
        Message::Stream { stream, connected } => {
            if let Some(notice) = streams.changed(stream, connected, Instant::now()) {
                post(Notice { session: session.to_string(), ..notice });
            }
        }
    };
    loop {
        let due = streams.next_due();
        tokio::select! {
            message = dispatch.inbox.recv() => match message {
                Some(message) => take(message, &mut streams),
                None => break,
            },
            _ = &mut dispatch.closed => {
                while let Ok(message) = dispatch.inbox.try_recv() {
                    take(message, &mut streams);
                }
                break;
            }
            _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                for notice in streams.announce_due(Instant::now()) {
                    post(Notice { session: session.to_string(), ..notice });
                }
            }
        }
    }
    drop(outboxes);
    for worker in workers {
        let _ = worker.await;
    }
}

/// One webhook, with the client that posts to it.
struct Target {
    place: usize,
    webhook: Webhook,
    client: reqwest::Client,
}

/// How hard to try one notice.
#[derive(Clone, Copy)]
struct Retry {
    attempts: u32,
    first_backoff: Duration,
}

/// Posts the bodies queued for one webhook, in order, and counts every
/// outcome; says at its first failed attempt that the webhook fails.
async fn deliver_all(target: Target, mut bodies: mpsc::Receiver<String>, retry: Retry, counts: Arc<Counts>) {
    let mut warned = false;
    while let Some(body) = bodies.recv().await {
        let counter = match post_with_retries(&target, &body, retry, &mut warned).await {
            Ok(()) => &counts.delivered,
            Err(_) => &counts.failed,
        };
        Counts::add(counter, 1);
    }
}

/// Posts `body`; retries lost connections, timeouts, 408, 429 and 5xx
/// answers with doubling waits. The first failure of the webhook is said on
/// stderr (unless `warned`); the error names the cause, never the URL.
async fn post_with_retries(
    target: &Target,
    body: &str,
    retry: Retry,
    warned: &mut bool,
) -> Result<(), String> {
    let mut wait = retry.first_backoff;
    for attempt in 1..=retry.attempts {
        let sent = target
            .client
            .post(&target.webhook.0)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
            .await;
        let why = match sent {
            Ok(answer) if answer.status().is_success() => return Ok(()),
            Ok(answer) if retryable(answer.status()) => format!("HTTP {}", answer.status()),
            Ok(answer) => return Err(format!("HTTP {}, not retried", answer.status())),
            Err(error) if error.is_timeout() => "no answer in time".to_owned(),
            Err(error) if error.is_connect() => "cannot connect".to_owned(),
            Err(error) => error.without_url().to_string(),
        };
        if !std::mem::replace(warned, true) {
            eprintln!(
                "notify: webhook #{} failed ({why}); retrying up to {} attempts a notice. The session goes on; \
                 what does not arrive is counted at the end.",
                target.place, retry.attempts
            );
        }
        if attempt == retry.attempts {
            return Err(format!("{why}, after {attempt} attempts"));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(MAX_BACKOFF);
    }
    Err("no attempt made".to_owned())
}

/// Whether an answer with `status` is worth another attempt.
fn retryable(status: reqwest::StatusCode) -> bool {
    status.is_server_error()
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
}

/// Which streams are down since when, and whether that was told yet.
struct StreamWatch {
    after: Duration,
    down: HashMap<&'static str, Down>,
}

/// A stream's disconnection.
struct Down {
    since: Instant,
    announced: bool,
}

impl StreamWatch {
    fn new(after: Duration) -> Self {
        Self { after, down: HashMap::new() }
    }

    /// Notes a change of `stream`; a reconnection after an announced
    /// disconnection is itself a notice.
    fn changed(&mut self, stream: &'static str, connected: bool, now: Instant) -> Option<Notice> {
        if !connected {
            self.down.entry(stream).or_insert(Down { since: now, announced: false });
            return None;
        }
        let down = self.down.remove(stream)?;
        let lasted = now.duration_since(down.since);
        // Long enough to tell, even if the timer had not told it yet.
        if !down.announced && lasted < self.after {
            return None;
        }
        let text = format!("the {stream} stream is connected again after {} s", lasted.as_secs());
        Some(Notice::new(NoticeKind::Disconnect, NoticeTime::Now, text).reason("reconnected"))
    }

    /// When the next disconnection becomes worth telling.
    fn next_due(&self) -> Option<Instant> {
        self.down.values().filter(|d| !d.announced).map(|d| d.since + self.after).min()
    }

    /// Notices of the disconnections that have lasted long enough by `now`.
    fn announce_due(&mut self, now: Instant) -> Vec<Notice> {
        let mut notices = Vec::new();
        for (stream, down) in &mut self.down {
            if !down.announced && now >= down.since + self.after {
                down.announced = true;
                let seconds = now.duration_since(down.since).as_secs();
                let text = format!(
                    "the {stream} stream has been disconnected for {seconds} s; the session keeps reconnecting"
                );
                notices
                    .push(Notice::new(NoticeKind::Disconnect, NoticeTime::Now, text).reason("disconnected"));
            }
        }
        notices
    }
}

#[cfg(test)]
#[path = "delivery_tests.rs"]
mod tests;
