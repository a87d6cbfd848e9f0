use super::*;
use gt_testkit::Reply;
use gt_testkit::webhook::{Webhook as Receiver, WebhookAnswer};
use std::net::TcpListener;

/// The JSON bodies of the requests in a scripted server's log.
fn bodies(log: &gt_testkit::RequestLog) -> Vec<serde_json::Value> {
    let log = log.lock().unwrap();
    log.iter().map(|request| serde_json::from_str(request.split_once("\n\n").unwrap().1).unwrap()).collect()
}

fn config(url: &str) -> NotifyConfig {
    NotifyConfig {
        attempt_timeout: Duration::from_secs(5),
        first_backoff: Duration::from_millis(10),
        ..NotifyConfig::new(vec![Webhook::parse(url).unwrap()])
    }
}

fn notice(text: &str) -> Notice {
    Notice::new(NoticeKind::Fill, NoticeTime::Now, text)
}

#[test]
fn a_webhook_that_fails_twice_gets_the_notice_on_the_third_attempt() {
    let _watchdog = gt_testkit::Watchdog::new(Duration::from_secs(60));
    let (url, log) = gt_testkit::serve(vec![Reply::new(500, ""), Reply::new(503, ""), Reply::new(200, "")]);
    let notifier = Notifier::start("s1", config(&format!("{url}/hook"))).unwrap();
    notifier.handle().send(notice("bought 1 AAPL"));
    let report = notifier.finish(Duration::from_secs(20));
    assert_eq!(report, DeliveryReport { delivered: 1, ..DeliveryReport::default() });
    let bodies = bodies(&log);
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert!(bodies.iter().all(|b| b["text"] == "gpt-trader s1: bought 1 AAPL" && b["session"] == "s1"));
}

#[test]
fn attempts_are_bounded_and_a_refusal_is_not_retried() {
    let _watchdog = gt_testkit::Watchdog::new(Duration::from_secs(60));
    let failing = Receiver::start(WebhookAnswer::ServerError);
    let notifier = Notifier::start("s1", config(&failing.url)).unwrap();
    notifier.handle().send(notice("one"));
    notifier.handle().send(notice("two"));
    let report = notifier.finish(Duration::from_secs(20));
    assert_eq!(report, DeliveryReport { failed: 2, ..DeliveryReport::default() });
    assert_eq!(failing.bodies().len(), 8, "four attempts of each");

    let (url, log) = gt_testkit::serve(vec![Reply::new(404, ""), Reply::new(200, "")]);
    let notifier = Notifier::start("s1", config(&format!("{url}/hook"))).unwrap();
    notifier.handle().send(notice("one"));
    assert_eq!(notifier.finish(Duration::from_secs(20)).failed, 1);
    assert_eq!(bodies(&log).len(), 1, "a 404 is not tried again");
}

#[test]
fn unwanted_kinds_are_not_sent_and_a_dead_webhook_does_not_hold_up_another() {
    let _watchdog = gt_testkit::Watchdog::new(Duration::from_secs(60));
    let alive = Receiver::start(WebhookAnswer::Ok);
    // Nothing listens here: every attempt is refused at once.
    let dead = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", listener.local_addr().unwrap())
    };
    let mut config = config(&alive.url);
    config.webhooks.push(Webhook::parse(&dead).unwrap());
    config.events = [NoticeKind::Fill, NoticeKind::Halt].into_iter().collect();
    let notifier = Notifier::start("s1", config).unwrap();
    let handle = notifier.handle();
    handle.send(notice("bought"));
    handle.send(Notice::new(NoticeKind::Start, NoticeTime::Now, "started"));
    handle.send(Notice::new(NoticeKind::Halt, NoticeTime::Now, "halted"));
    let report = notifier.finish(Duration::from_secs(20));
    assert_eq!(report, DeliveryReport { delivered: 2, failed: 2, ..DeliveryReport::default() });
    let events: Vec<_> = alive.bodies().iter().map(|b| b["event"].clone()).collect();
    assert_eq!(events, ["fill", "halt"]);
}

#[test]
fn a_hanging_webhook_costs_the_sender_nothing_and_the_end_waits_only_its_grace() {
    let _watchdog = gt_testkit::Watchdog::new(Duration::from_secs(60));
    // Accepts connections and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let notifier = Notifier::start("s1", config(&url)).unwrap();
    let handle = notifier.handle();
    let started = std::time::Instant::now();
    for n in 0..5_000 {
        handle.send(notice(&format!("fill {n}")));
    }
    let sending = started.elapsed();
    assert!(sending < Duration::from_secs(2), "queueing 5,000 notices took {sending:?}");
    let ended = std::time::Instant::now();
    let report = notifier.finish(Duration::from_millis(500));
    assert!(ended.elapsed() < Duration::from_secs(3), "finish waited {:?}", ended.elapsed());
    assert_eq!(report.delivered, 0);
    assert!(report.dropped > 0 && report.undelivered > 0, "{report:?}");
    assert_eq!(report.dropped + report.undelivered + report.failed, 5_000, "{report:?}");
    drop(listener);
}

#[test]
fn webhook_urls_are_checked_and_never_shown() {
    let webhook = Webhook::parse("https://hooks.example.com/services/T0/B0/secret").unwrap();
    assert_eq!(format!("{webhook:?}"), "Webhook(<redacted>)");
    for bad in ["hooks.example.com/x", "ftp://example.com/", "https://"] {
        let error = Webhook::parse(bad).unwrap_err();
        assert!(!error.contains("example"), "{error}");
    }
}

#[test]
fn a_disconnection_is_told_once_it_lasts_and_so_is_the_reconnection_after_it() {
    let mut watch = StreamWatch::new(Duration::from_secs(60));
    let t0 = Instant::now();
    assert!(watch.changed("bars", false, t0).is_none());
    // A second failure while down does not restart the clock.
    assert!(watch.changed("bars", false, t0 + Duration::from_secs(30)).is_none());
    assert_eq!(watch.next_due(), Some(t0 + Duration::from_secs(60)));
    assert!(watch.announce_due(t0 + Duration::from_secs(59)).is_empty());
    let told = watch.announce_due(t0 + Duration::from_secs(61));
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].reason.as_deref(), Some("disconnected"));
    assert!(told[0].text.contains("bars stream has been disconnected for 61 s"), "{}", told[0].text);
    assert_eq!(watch.next_due(), None);
    let back = watch.changed("bars", true, t0 + Duration::from_secs(90)).unwrap();
    assert!(back.text.contains("connected again after 90 s"), "{}", back.text);

    // Back before the timer told it, but after long enough: the reconnection tells it.
    assert!(watch.changed("bars", false, t0).is_none());
    let back = watch.changed("bars", true, t0 + Duration::from_secs(75)).unwrap();
    assert!(back.text.contains("connected again after 75 s"), "{}", back.text);

    // A short drop says nothing, either way.
    assert!(watch.changed("trade_updates", false, t0).is_none());
    assert!(watch.changed("trade_updates", true, t0 + Duration::from_secs(5)).is_none());
    assert!(watch.announce_due(t0 + Duration::from_secs(600)).is_empty());
}
