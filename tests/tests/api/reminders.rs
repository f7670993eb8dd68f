//! Reminders through the API on every backend: the lifecycle with ETags, recurrence in the
//! reminder's own time zone (`upcoming`), validation naming the field, privacy and scopes,
//! targets, filters and pages.

use chrono::{DateTime, Duration, Utc};
use corkboard_tests::{Session, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::board_support::{board, card, column, etag_of, fields, id_of, if_match, with_token};

async fn reminder(session: &Session, body: &Value) -> Value {
    session.post("/api/v1/reminders", body).await.expect(201).body
}

fn path_of(reminder: &Value) -> String {
    format!("/api/v1/reminders/{}", reminder["id"].as_str().expect("id"))
}

fn instant(value: &Value) -> DateTime<Utc> {
    value.as_str().expect("an RFC 3339 string").parse().expect("an RFC 3339 instant")
}

fn titles(body: &Value) -> Vec<String> {
    body["items"].as_array().expect("items").iter().map(|r| r["title"].as_str().unwrap().to_owned()).collect()
}

fn in_a_day() -> String {
    (Utc::now() + Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[tokio::test]
async fn a_reminder_is_created_read_changed_completed_and_deleted_with_etags() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let at = in_a_day();
        let created = ann
            .post("/api/v1/reminders", &json!({"title": " Call Bob ", "remind_at": at, "timezone": "Europe/Berlin"}))
            .await
            .expect(201);
        let id = id_of(&created);
        let path = format!("/api/v1/reminders/{id}");
        assert_eq!(created.header("location"), Some(path.as_str()));
        assert_eq!(etag_of(&created), "\"1\"");
        let body = &created.body;
        assert_eq!((body["title"].as_str(), body["body"].as_str()), (Some("Call Bob"), Some("")));
        assert_eq!((body["status"].as_str(), body["timezone"].as_str()), (Some("scheduled"), Some("Europe/Berlin")));
        assert_eq!(instant(&body["next_fire_at"]), instant(&json!(at)));
        assert!(body["recurrence"].is_null() && body["target"].is_null() && body["snoozed_until"].is_null());
        assert!(body.get("upcoming").is_none(), "only recurring reminders show upcoming: {body:#}");
        assert_eq!(ann.get(&path).await.expect(200).body, created.body);

        let change = json!({"title": "Call Bob back", "body": "About the plan"});
        if_match(&ann, Method::PATCH, &path, Some(&change), "\"7\"").await.expect_problem(412, "VERSION_MISMATCH");
        let changed = if_match(&ann, Method::PATCH, &path, Some(&change), "\"1\"").await.expect(200);
        assert_eq!((etag_of(&changed).as_str(), changed.body["title"].as_str()), ("\"2\"", Some("Call Bob back")));

        let until = (Utc::now() + Duration::days(3)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let snooze = format!("{path}/snooze");
        if_match(&ann, Method::POST, &snooze, Some(&json!({"until": until})), "\"1\"")
            .await
            .expect_problem(412, "VERSION_MISMATCH");
        let snoozed = ann.post(&snooze, &json!({"until": until})).await.expect(200);
        assert_eq!(instant(&snoozed.body["snoozed_until"]), instant(&json!(until)));
        assert_eq!(snoozed.body["next_fire_at"], snoozed.body["snoozed_until"]);

        let complete = format!("{path}/complete");
        if_match(&ann, Method::POST, &complete, None, "\"2\"").await.expect_problem(412, "VERSION_MISMATCH");
        let done = if_match(&ann, Method::POST, &complete, None, "\"3\"").await.expect(200);
        assert_eq!((done.body["status"].as_str(), etag_of(&done).as_str()), (Some("completed"), "\"4\""));
        assert!(done.body["next_fire_at"].is_null());
        // Completing again changes nothing; a completed reminder cannot be snoozed.
        let again = ann.send(Method::POST, &complete, None, &[]).await.expect(200);
        assert_eq!(again.body, done.body);
        ann.post(&snooze, &json!({"until": until})).await.expect_problem(409, "REMINDER_NOT_SCHEDULED");

        if_match(&ann, Method::DELETE, &path, None, "\"1\"").await.expect_problem(412, "VERSION_MISMATCH");
        if_match(&ann, Method::DELETE, &path, None, "\"4\"").await.expect(204);
        ann.get(&path).await.expect_problem(404, "NOT_FOUND");
    }
}

#[tokio::test]
async fn a_daily_reminder_in_berlin_keeps_its_local_time_across_the_dst_change() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        // 08:00 in Berlin on 28 March 2030 (CET); summer time starts on 31 March.
        let created = reminder(
            &ann,
            &json!({"title": "Stand-up", "remind_at": "2030-03-28T08:00:00+01:00", "timezone": "Europe/Berlin",
                    "recurrence": "FREQ=DAILY"}),
        )
        .await;
        assert_eq!(created["recurrence"], "FREQ=DAILY");
        let upcoming: Vec<DateTime<Utc>> =
            created["upcoming"].as_array().expect("upcoming").iter().map(instant).collect();
        let expected: Vec<DateTime<Utc>> = [
            "2030-03-28T07:00:00Z",
            "2030-03-29T07:00:00Z",
            "2030-03-30T07:00:00Z",
            "2030-03-31T06:00:00Z",
            "2030-04-01T06:00:00Z",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        assert_eq!(upcoming, expected);
        assert!(upcoming.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(instant(&created["next_fire_at"]), expected[0]);

        // Clearing the rule with null makes it a one-shot reminder again.
        let path = path_of(&created);
        let once = ann.patch(&path, &json!({"recurrence": null})).await.expect(200);
        assert!(once.body["recurrence"].is_null() && once.body.get("upcoming").is_none(), "{:#}", once.body);
        let weekly = ann.patch(&path, &json!({"recurrence": "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3"})).await.expect(200);
        let upcoming = weekly.body["upcoming"].as_array().expect("upcoming");
        assert_eq!(upcoming.len(), 3, "the first occurrence counts towards COUNT: {:#}", weekly.body);
    }
}

#[tokio::test]
async fn invalid_reminders_are_refused_with_the_field() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let at = in_a_day();
        let base = json!({"title": "T", "remind_at": at, "timezone": "UTC"});
        let with = |key: &str, value: Value| {
            let mut body = base.clone();
            body[key] = value;
            body
        };
        for (body, field) in [
            (with("timezone", json!("Mars/Olympus")), "timezone"),
            (with("timezone", json!("+02:00")), "timezone"),
            (with("recurrence", json!("FREQ=SOMETIMES")), "recurrence"),
            (with("recurrence", json!("RRULE:FREQ=DAILY")), "recurrence"),
            (with("recurrence", json!("FREQ=DAILY;BYSETPOS=1")), "recurrence"),
            (with("recurrence", json!("FREQ=DAILY;UNTIL=20200101T000000Z")), "recurrence"),
            (with("title", json!(" ")), "title"),
            (with("target", json!({"type": "board", "id": uuid::Uuid::now_v7()})), "target"),
        ] {
            let r = ann.post("/api/v1/reminders", &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert!(fields(&r).iter().any(|f| f.contains(field)), "{body}: {:#}", r.body);
        }
        let unsupported =
            ann.post("/api/v1/reminders", &with("recurrence", json!("FREQ=DAILY;BYSETPOS=1"))).await.expect(422);
        assert!(
            unsupported.body["errors"][0]["message"].as_str().unwrap().contains("BYSETPOS"),
            "{:#}",
            unsupported.body
        );

        let created = reminder(&ann, &base).await;
        let path = path_of(&created);
        ann.patch(&path, &json!({"timezone": "Nowhere"})).await.expect_problem(422, "VALIDATION_FAILED");
        let past = ann
            .post(&format!("{path}/snooze"), &json!({"until": "2020-01-01T00:00:00Z"}))
            .await
            .expect_problem(422, "VALIDATION_FAILED");
        assert_eq!(fields(&past), ["until"]);
        app.anonymous().get("/api/v1/reminders").await.expect_problem(401, "UNAUTHENTICATED");
        app.anonymous().post("/api/v1/reminders", &base).await.expect_problem(401, "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn reminders_are_private_scoped_and_target_only_what_the_caller_sees() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let bob = app.user("bob@x.io", false).await;
        let at = in_a_day();
        let mine = reminder(&ann, &json!({"title": "Mine", "remind_at": at, "timezone": "UTC"})).await;
        let path = path_of(&mine);
        bob.get(&path).await.expect_problem(404, "NOT_FOUND");
        bob.patch(&path, &json!({"title": "Hijack"})).await.expect_problem(404, "NOT_FOUND");
        bob.post(&format!("{path}/complete"), &json!({})).await.expect_problem(404, "NOT_FOUND");
        bob.post(&format!("{path}/snooze"), &json!({"until": in_a_day()})).await.expect_problem(404, "NOT_FOUND");
        bob.delete(&path).await.expect_problem(404, "NOT_FOUND");
        assert!(titles(&bob.get("/api/v1/reminders").await.expect(200).body).is_empty());

        let reader = with_token(&ann, &["reminders:read"]).await;
        reader.get(&path).await.expect(200);
        reader
            .post("/api/v1/reminders", &json!({"title": "T", "remind_at": at, "timezone": "UTC"}))
            .await
            .expect_problem(403, "INSUFFICIENT_SCOPE");
        reader.patch(&path, &json!({"title": "X"})).await.expect_problem(403, "INSUFFICIENT_SCOPE");
        let notes_only = with_token(&ann, &["notes:read"]).await;
        notes_only.get("/api/v1/reminders").await.expect_problem(403, "INSUFFICIENT_SCOPE");
        let writer = with_token(&ann, &["reminders:write"]).await;
        writer.post(&format!("{path}/complete"), &json!({})).await.expect(200);

        // Targets: a card on Ann's board is fine for Ann and invisible to Bob.
        let b = board(&ann, "Team").await;
        let c = card(&ann, &b, &column(&ann, &b, "Todo", None).await, "Task").await;
        let target = json!({"type": "card", "id": c});
        let on_card =
            reminder(&ann, &json!({"title": "On card", "remind_at": at, "timezone": "UTC", "target": target})).await;
        assert_eq!(on_card["target"], target);
        let refused = bob
            .post("/api/v1/reminders", &json!({"title": "Peek", "remind_at": at, "timezone": "UTC", "target": target}))
            .await
            .expect_problem(422, "VALIDATION_FAILED");
        assert_eq!(fields(&refused), ["target"]);
        let note = ann.post("/api/v1/notes", &json!({"title": "Diary", "body": ""})).await.expect(201).body;
        let note_target = json!({"type": "note", "id": note["id"]});
        let on_card_path = path_of(&on_card);
        let moved = ann.patch(&on_card_path, &json!({"target": note_target})).await.expect(200);
        assert_eq!(moved.body["target"], note_target);
        let detached = ann.patch(&on_card_path, &json!({"target": null})).await.expect(200);
        assert!(detached.body["target"].is_null());
        let own = reminder(&bob, &json!({"title": "Bob's", "remind_at": at, "timezone": "UTC"})).await;
        bob.patch(&path_of(&own), &json!({"target": note_target})).await.expect_problem(422, "VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn lists_filter_by_status_and_next_firing_and_page() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let base = Utc::now() + Duration::days(10);
        let at = |days: i64| (base + Duration::days(days)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
        for (title, days) in [("A", 0), ("B", 1), ("C", 2), ("D", 3), ("E", 4)] {
            reminder(&ann, &json!({"title": title, "remind_at": at(days), "timezone": "UTC"})).await;
        }
        let done = reminder(&ann, &json!({"title": "Done", "remind_at": at(0), "timezone": "UTC"})).await;
        ann.post(&format!("{}/complete", path_of(&done)), &json!({})).await.expect(200);

        let list = |query: String| {
            let ann = ann.clone();
            async move { titles(&ann.get(&format!("/api/v1/reminders{query}")).await.expect(200).body) }
        };
        assert_eq!(list(String::new()).await, ["A", "B", "C", "D", "E", "Done"]);
        assert_eq!(list("?status=completed".into()).await, ["Done"]);
        assert_eq!(list("?status=scheduled".into()).await, ["A", "B", "C", "D", "E"]);
        assert_eq!(list(format!("?from={}&to={}", at(1), at(3))).await, ["B", "C"]);
        ann.get("/api/v1/reminders?status=snoozing").await.expect(422);
        ann.get("/api/v1/reminders?from=yesterday").await.expect(422);

        let mut seen = Vec::new();
        let mut next = "/api/v1/reminders?limit=4".to_owned();
        loop {
            let page = ann.get(&next).await.expect(200);
            seen.extend(titles(&page.body));
            match page.body["next_cursor"].as_str() {
                Some(cursor) => next = format!("/api/v1/reminders?limit=4&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(seen, ["A", "B", "C", "D", "E", "Done"]);
        ann.get("/api/v1/reminders?cursor=bogus").await.expect_problem(400, "INVALID_CURSOR");
    }
}

#[tokio::test]
async fn a_reminder_is_cancelled_with_etags_and_only_by_its_owner() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let bob = app.user("bob@x.io", false).await;
        let at = in_a_day();
        let created = reminder(&ann, &json!({"title": "Call Bob", "remind_at": at, "timezone": "UTC"})).await;
        let cancel = format!("{}/cancel", path_of(&created));

        bob.post(&cancel, &json!({})).await.expect_problem(404, "NOT_FOUND");
        if_match(&ann, Method::POST, &cancel, None, "\"7\"").await.expect_problem(412, "VERSION_MISMATCH");
        let reader = with_token(&ann, &["reminders:read"]).await;
        reader.post(&cancel, &json!({})).await.expect_problem(403, "INSUFFICIENT_SCOPE");

        let cancelled = if_match(&ann, Method::POST, &cancel, None, "\"1\"").await.expect(200);
        assert_eq!((cancelled.body["status"].as_str(), etag_of(&cancelled).as_str()), (Some("cancelled"), "\"2\""));
        assert!(cancelled.body["next_fire_at"].is_null());
        assert_eq!(ann.get(&path_of(&created)).await.expect(200).body, cancelled.body);
        // Cancelling again changes nothing; a cancelled reminder cannot be completed.
        let again = ann.post(&cancel, &json!({})).await.expect(200);
        assert_eq!(again.body, cancelled.body);
        ann.post(&format!("{}/complete", path_of(&created)), &json!({}))
            .await
            .expect_problem(409, "REMINDER_NOT_SCHEDULED");

        // A completed reminder cannot be cancelled.
        let done = reminder(&ann, &json!({"title": "Done", "remind_at": at, "timezone": "UTC"})).await;
        ann.post(&format!("{}/complete", path_of(&done)), &json!({})).await.expect(200);
        ann.post(&format!("{}/cancel", path_of(&done)), &json!({})).await.expect_problem(409, "REMINDER_NOT_SCHEDULED");
    }
}
