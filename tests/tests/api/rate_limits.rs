//! Rate limits through the API on every backend (decision 0050), with small quotas counted in
//! a day-long window: every answer says what remains; past a caller's quota the answer is 429
//! `RATE_LIMITED` with `Retry-After`, for that caller only; sign-ins have a stricter quota per
//! address, on the API and on the sign-in page; health probes are not counted; and with Redis
//! the counts are shared by every instance within a flush interval.

use corkboard_tests::{Backend, TestApp};
use serde_json::json;

async fn limited(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |c| {
        c.rate_limits.window_secs = 86_400;
        c.rate_limits.per_caller = 4;
        c.rate_limits.per_ip = 1000;
        c.rate_limits.sign_in_per_ip = 3;
    })
    .await
}

#[tokio::test]
async fn a_caller_past_its_quota_is_refused_until_the_window_ends_and_others_are_not() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = limited(backend).await else { continue };
        let ann = app.user("ann@x.io", false).await;
        let bob = app.user("bob@x.io", false).await;
        for remaining in (0..4).rev() {
            let me = ann.get("/api/v1/me").await.expect(200);
            let policy = me.header("ratelimit-policy").unwrap();
            assert!(policy.contains(r#""caller";q=4;w=86400"#) && policy.contains(r#""ip";q=1000"#), "{policy}");
            let state = me.header("ratelimit").unwrap();
            assert!(state.contains(&format!(r#""caller";r={remaining};t="#)), "{backend:?}: {state}");
        }
        let refused = ann.get("/api/v1/me").await.expect_problem(429, "RATE_LIMITED");
        let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
        assert!((1..=86_400).contains(&retry), "{retry}");
        assert!(refused.header("ratelimit").unwrap().contains(r#""caller";r=0;"#));
        // A write past the quota changes nothing.
        ann.post("/api/v1/boards", &json!({"name": "Late"})).await.expect_problem(429, "RATE_LIMITED");
        assert_eq!(app.db.count("boards").await, 0, "{backend:?}");

        bob.get("/api/v1/me").await.expect(200);
        let (client, address) = app.raw();
        let probe = client.get(format!("{address}/health/live")).send().await.unwrap();
        assert!(probe.status().is_success() && probe.headers().get("ratelimit").is_none(), "probes are not counted");

        if backend == Backend::Postgres {
            // Shared through Redis: another instance learns within a flush or two (100 ms
            // each) that Ann is out of requests; Bob is not.
            let peer = app.peer().await;
            let ann_there = ann.at(&peer.address);
            let mut refused = false;
            for _ in 0..20 {
                if ann_there.get("/api/v1/me").await.status == 429 {
                    refused = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert!(refused, "the other instance learned Ann's count");
            bob.at(&peer.address).get("/api/v1/me").await.expect(200);
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn sign_ins_have_a_stricter_quota_per_address_on_the_api_and_on_the_page() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = limited(backend).await else { continue };
        // Two sign-ins here (each `user` signs in once), the third through the page.
        app.user("ann@x.io", false).await;
        app.user("bob@x.io", false).await;
        let (client, address) = app.raw();
        let form = [("email", "ann@x.io"), ("password", "wrong password")];
        let post = || client.post(format!("{address}/login")).header("origin", address).form(&form).send();
        let page = post().await.unwrap();
        assert_eq!(page.status().as_u16(), 401, "{backend:?}: a wrong password, counted");
        assert!(page.headers()["ratelimit"].to_str().unwrap().contains(r#""sign-in";r=0;"#));
        let page = post().await.unwrap();
        assert_eq!(page.status().as_u16(), 429, "{backend:?}");
        assert!(page.headers().contains_key("retry-after"));
        assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let api = app
            .anonymous()
            .post("/api/v1/auth/login", &json!({"email": "ann@x.io", "password": "correct horse battery"}))
            .await;
        api.expect_problem(429, "RATE_LIMITED");
        app.stop().await;
    }
}
