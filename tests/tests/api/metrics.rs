//! `GET /metrics`: Prometheus text, per-route request counts and latency histograms.

use corkboard_tests::TestApp;

#[tokio::test]
async fn metrics_count_and_time_requests_by_route_template() {
    for app in TestApp::each_backend().await {
        let (client, base) = app.raw();
        for path in ["/health/live", "/health/live", "/nope"] {
            client.get(format!("{base}{path}")).send().await.expect("sent");
        }
        let response = client.get(format!("{base}/metrics")).send().await.expect("sent");
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
        let text = response.text().await.expect("text");
        let has = |name: &str, parts: &[&str]| {
            text.lines().any(|l| l.starts_with(&format!("{name}{{")) && parts.iter().all(|p| l.contains(p)))
        };
        assert!(
            has("http_requests_total", &[r#"method="GET""#, r#"route="/health/live""#, r#"status="200""#]),
            "{text}"
        );
        assert!(has("http_requests_total", &[r#"route="unmatched""#, r#"status="404""#]), "{text}");
        assert!(has("http_request_duration_seconds_bucket", &[r#"route="/health/live""#, r#"le="0.005""#]), "{text}");
        assert!(has("http_request_duration_seconds_bucket", &[r#"route="/health/live""#, r#"le="+Inf""#]), "{text}");
        assert!(has("db_pool_connections", &[r#"state="idle""#]), "{text}");
        assert!(has("db_pool_connections", &[r#"state="in_use""#]), "{text}");
    }
}

#[tokio::test]
async fn metrics_count_the_statements_the_database_runs() {
    for app in TestApp::each_backend().await {
        let (client, base) = app.raw();
        let statements = || async {
            let text = client.get(format!("{base}/metrics")).send().await.expect("sent").text().await.expect("text");
            text.lines().find_map(|l| l.strip_prefix("db_statements_total ")).map_or(0.0, |n| n.parse::<f64>().unwrap())
        };
        let before = statements().await;
        // Readiness pings the database: one statement.
        let ready = client.get(format!("{base}/health/ready")).send().await.expect("sent");
        assert_eq!(ready.status(), 200);
        // The counter is the process's, shared with the tests running beside this one.
        assert!(statements().await > before, "db_statements_total did not count the ping");
    }
}
