//! The webhook sender (adapter-webhooks) against a receiver on loopback: it POSTs the body and
//! headers it is given; it refuses loopback targets, by address or by name, unless allowed;
//! it does not follow redirects; it gives up on a receiver that does not answer in time; and,
//! with no traces exported, it passes the event's `traceparent` on (the exported case is in
//! `crates/app/tests/traces.rs`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use adapter_webhooks::{HttpWebhookSender, SenderSettings};
use axum::http::{HeaderMap, StatusCode};
use connector::webhooks::{Outgoing, Sent, WebhookSender as _};

type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver on loopback: `/ok` answers 204, `/moved` 302 to `/ok`, `/slow` after 3 s.
async fn receiver() -> (String, Received, tokio::task::JoinHandle<()>) {
    let received: Received = Arc::default();
    let keep = received.clone();
    let app = axum::Router::new()
        .route(
            "/ok",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let keep = keep.clone();
                async move {
                    keep.lock().unwrap().push((headers, body));
                    StatusCode::NO_CONTENT
                }
            }),
        )
        .route("/moved", axum::routing::post(|| async { (StatusCode::FOUND, [("location", "/ok")]) }))
        .route(
            "/slow",
            axum::routing::post(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                StatusCode::OK
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("127.0.0.1:{port}"), received, server)
}

fn request(url: String) -> Outgoing {
    Outgoing {
        url,
        headers: vec![
            ("webhook-id", "d1".into()),
            ("webhook-timestamp", "1".into()),
            ("webhook-signature", "v1,x".into()),
        ],
        body: r#"{"type":"card.moved"}"#.into(),
        traceparent: None,
    }
}

fn sender(allow_private: bool, timeout: Duration) -> HttpWebhookSender {
    HttpWebhookSender::new(SenderSettings { timeout, allow_private })
}

#[tokio::test]
async fn it_posts_the_body_and_headers_and_reports_the_status() {
    let (at, received, server) = receiver().await;
    let sent = sender(true, Duration::from_secs(5)).send(&request(format!("http://{at}/ok"))).await;
    assert_eq!(sent, Sent::Answered(204));
    let received = received.lock().unwrap().clone();
    let (headers, body) = &received[0];
    assert_eq!(body, r#"{"type":"card.moved"}"#);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["webhook-id"], "d1");
    assert_eq!(headers["webhook-signature"], "v1,x");
    assert!(headers["user-agent"].to_str().unwrap().starts_with("Corkboard-Webhooks/"));
    assert!(!headers.contains_key("traceparent"), "no trace to continue");
    server.abort();
}

#[tokio::test]
async fn without_exported_traces_the_events_traceparent_is_passed_on() {
    let (at, received, server) = receiver().await;
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let traced = Outgoing { traceparent: Some(traceparent.into()), ..request(format!("http://{at}/ok")) };
    assert_eq!(sender(true, Duration::from_secs(5)).send(&traced).await, Sent::Answered(204));
    assert_eq!(received.lock().unwrap()[0].0["traceparent"], traceparent);
    // A stored value that does not parse is not sent (nor does it break the request).
    let garbled = Outgoing { traceparent: Some("00-not\na-trace".into()), ..request(format!("http://{at}/ok")) };
    assert_eq!(sender(true, Duration::from_secs(5)).send(&garbled).await, Sent::Answered(204));
    assert!(!received.lock().unwrap()[1].0.contains_key("traceparent"));
    server.abort();
}

#[tokio::test]
async fn loopback_targets_are_refused_by_address_and_by_name_unless_allowed() {
    let (at, received, server) = receiver().await;
    let port = at.rsplit(':').next().unwrap();
    let guarded = sender(false, Duration::from_secs(5));
    for url in [format!("http://{at}/ok"), format!("http://localhost:{port}/ok"), format!("http://[::1]:{port}/ok")] {
        let sent = guarded.send(&request(url.clone())).await;
        let Sent::Failed(why) = sent else { panic!("{url} was reached: {sent:?}") };
        assert!(why.contains("not public"), "{url}: {why}");
    }
    assert!(received.lock().unwrap().is_empty(), "nothing reached the receiver");
    let allowed = sender(true, Duration::from_secs(5)).send(&request(format!("http://localhost:{port}/ok"))).await;
    assert_eq!(allowed, Sent::Answered(204));
    server.abort();
}

#[tokio::test]
async fn redirects_are_not_followed_and_a_slow_receiver_times_out() {
    let (at, received, server) = receiver().await;
    let quick = sender(true, Duration::from_secs(1));
    assert_eq!(quick.send(&request(format!("http://{at}/moved"))).await, Sent::Answered(302));
    assert!(received.lock().unwrap().is_empty(), "the redirect was not followed");
    let slow = quick.send(&request(format!("http://{at}/slow"))).await;
    assert!(matches!(&slow, Sent::Failed(why) if why.contains("no answer within 1 s")), "{slow:?}");
    server.abort();
}
