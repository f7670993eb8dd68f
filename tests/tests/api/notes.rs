//! Notes through the API on every backend: the lifecycle with ETags, validation, who may see
//! and change what, full-text search with its filters and pages.

use corkboard_tests::{Session, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::board_support::{board, card, column, etag_of, id_of, if_match, member, with_token};

async fn note(session: &Session, body: &Value) -> Value {
    session.post("/api/v1/notes", body).await.expect(201).body
}

fn titles(body: &Value) -> Vec<String> {
    body["items"].as_array().expect("items").iter().map(|n| n["title"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn a_note_is_created_read_changed_and_deleted_with_etags() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let created = ann
            .post("/api/v1/notes", &json!({"title": "  Plan ", "body": "# Plan", "tags": ["Work", "work", "q-1"]}))
            .await
            .expect(201);
        let id = id_of(&created);
        assert_eq!(created.header("location"), Some(format!("/api/v1/notes/{id}").as_str()));
        assert_eq!(etag_of(&created), "\"1\"");
        assert_eq!(created.body["title"], "Plan");
        assert_eq!(created.body["tags"], json!(["q-1", "work"]));
        assert_eq!((created.body["pinned"].as_bool(), created.body["archived"].as_bool()), (Some(false), Some(false)));
        assert!(created.body["board_id"].is_null());

        let path = format!("/api/v1/notes/{id}");
        let read = ann.get(&path).await.expect(200);
        assert_eq!(read.body, created.body);

        let change = json!({"body": "# Plan\n\nShip.", "pinned": true});
        if_match(&ann, Method::PATCH, &path, Some(&change), "\"7\"").await.expect_problem(412, "VERSION_MISMATCH");
        let changed = if_match(&ann, Method::PATCH, &path, Some(&change), "\"1\"").await.expect(200);
        assert_eq!((etag_of(&changed).as_str(), changed.body["pinned"].as_bool()), ("\"2\"", Some(true)));

        if_match(&ann, Method::DELETE, &path, None, "\"1\"").await.expect_problem(412, "VERSION_MISMATCH");
        if_match(&ann, Method::DELETE, &path, None, "\"2\"").await.expect(204);
        ann.get(&path).await.expect_problem(404, "NOT_FOUND");
    }
}

#[tokio::test]
async fn invalid_notes_are_refused_with_the_field_or_413_for_an_oversized_body() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        for (body, field) in [
            (json!({"title": " ", "body": ""}), "title"),
            (json!({"title": "a\u{7}b", "body": ""}), "title"),
            (json!({"title": "x".repeat(201), "body": ""}), "title"),
            (json!({"title": "T", "body": "", "tags": ["c++"]}), "tags"),
            (json!({"title": "T", "body": "", "tags": (0..21).map(|i| format!("t{i}")).collect::<Vec<_>>()}), "tags"),
            (json!({"title": "T", "body": "", "colour": "red"}), "colour"),
        ] {
            let r = ann.post("/api/v1/notes", &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert!(r.body["errors"][0]["field"].as_str().is_some_and(|f| f.contains(field)), "{:#}", r.body);
        }
        let big = "é".repeat(50_001); // 100 002 bytes: over the note limit, well under the request limit
        ann.post("/api/v1/notes", &json!({"title": "Big", "body": big})).await.expect_problem(413, "NOTE_TOO_LARGE");
        let small = note(&ann, &json!({"title": "Small", "body": "x".repeat(100_000)})).await;
        let path = format!("/api/v1/notes/{}", small["id"].as_str().unwrap());
        ann.patch(&path, &json!({"body": big})).await.expect_problem(413, "NOTE_TOO_LARGE");
        app.anonymous().get("/api/v1/notes").await.expect_problem(401, "UNAUTHENTICATED");
    }
}

#[tokio::test]
async fn notes_are_private_or_shared_with_the_board_and_scopes_are_enforced() {
    for app in TestApp::each_backend().await {
        let owner = app.user("owner@x.io", false).await;
        let stranger = app.user("stranger@x.io", false).await;
        let personal = note(&owner, &json!({"title": "Diary", "body": "secret"})).await;
        let personal_path = format!("/api/v1/notes/{}", personal["id"].as_str().unwrap());
        stranger.get(&personal_path).await.expect_problem(404, "NOT_FOUND");
        stranger.patch(&personal_path, &json!({"pinned": true})).await.expect_problem(404, "NOT_FOUND");
        stranger.delete(&personal_path).await.expect_problem(404, "NOT_FOUND");
        assert!(titles(&stranger.get("/api/v1/notes").await.expect(200).body).is_empty());

        let b = board(&owner, "Team").await;
        let viewer = member(&app, &owner, &b, "viewer@x.io", "viewer").await;
        let editor = member(&app, &owner, &b, "editor@x.io", "editor").await;
        let shared = note(&editor, &json!({"title": "Shared", "body": "", "board_id": b})).await;
        let shared_path = format!("/api/v1/notes/{}", shared["id"].as_str().unwrap());
        viewer.get(&shared_path).await.expect(200);
        viewer.patch(&shared_path, &json!({"pinned": true})).await.expect_problem(403, "FORBIDDEN");
        viewer.delete(&shared_path).await.expect_problem(403, "FORBIDDEN");
        owner.patch(&shared_path, &json!({"pinned": true})).await.expect(200);
        stranger.get(&shared_path).await.expect_problem(404, "NOT_FOUND");
        viewer
            .post("/api/v1/notes", &json!({"title": "V", "body": "", "board_id": b}))
            .await
            .expect_problem(403, "FORBIDDEN");
        stranger
            .post("/api/v1/notes", &json!({"title": "S", "body": "", "board_id": b}))
            .await
            .expect_problem(422, "VALIDATION_FAILED");
        assert_eq!(titles(&viewer.get("/api/v1/notes").await.expect(200).body), ["Shared"]);

        // A card implies its board, and must be on the board named.
        let c = card(&owner, &b, &column(&owner, &b, "Todo", None).await, "Task").await;
        let on_card = note(&editor, &json!({"title": "On card", "body": "", "card_id": c})).await;
        assert_eq!((on_card["board_id"].as_str(), on_card["card_id"].as_str()), (Some(b.as_str()), Some(c.as_str())));
        let other = board(&owner, "Other").await;
        owner
            .post("/api/v1/notes", &json!({"title": "X", "body": "", "board_id": other, "card_id": c}))
            .await
            .expect_problem(422, "VALIDATION_FAILED");

        let reader = with_token(&owner, &["notes:read"]).await;
        reader.get(&personal_path).await.expect(200);
        reader
            .post("/api/v1/notes", &json!({"title": "T", "body": ""}))
            .await
            .expect_problem(403, "INSUFFICIENT_SCOPE");
        reader.delete(&personal_path).await.expect_problem(403, "INSUFFICIENT_SCOPE");
        let boards_only = with_token(&owner, &["boards:read"]).await;
        boards_only.get("/api/v1/notes").await.expect_problem(403, "INSUFFICIENT_SCOPE");
    }
}

#[tokio::test]
async fn search_ranks_title_matches_first_and_combines_with_filters() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let b = board(&ann, "Team").await;
        note(&ann, &json!({"title": "Cooking", "body": "rust rust rust on the pan", "tags": ["home"]})).await;
        note(&ann, &json!({"title": "Rust book", "body": "chapter four", "tags": ["lang"], "pinned": true})).await;
        note(&ann, &json!({"title": "Board rust", "body": "", "tags": ["lang"], "board_id": b})).await;
        let old = note(&ann, &json!({"title": "Old rust", "body": "", "tags": ["lang"]})).await;
        ann.patch(&format!("/api/v1/notes/{}", old["id"].as_str().unwrap()), &json!({"archived": true}))
            .await
            .expect(200);

        let found = titles(&ann.get("/api/v1/notes?q=Rust").await.expect(200).body);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[2], "Cooking", "body matches rank below title matches: {found:?}");
        assert_eq!(titles(&ann.get("/api/v1/notes?q=rust%20chapter").await.expect(200).body), ["Rust book"]);
        assert_eq!(titles(&ann.get("/api/v1/notes?q=rust&tag=LANG&pinned=true").await.expect(200).body), ["Rust book"]);
        assert_eq!(
            titles(&ann.get(&format!("/api/v1/notes?q=rust&board_id={b}")).await.expect(200).body),
            ["Board rust"]
        );
        assert_eq!(titles(&ann.get("/api/v1/notes?q=rust&archived=true").await.expect(200).body), ["Old rust"]);
        assert_eq!(titles(&ann.get("/api/v1/notes?tag=home").await.expect(200).body), ["Cooking"]);

        // Operators and quotes alone find nothing, cleanly; a blank q is no search.
        for q in ["%22", "%22%22", "-", "*", "%28%29%3A%5E", "%27%3B--", "NOT%20*"] {
            let r = ann.get(&format!("/api/v1/notes?q={q}")).await;
            assert!(r.status == 200 || r.status == 422, "{q}: {}", r.status);
            if r.status == 200 && !q.starts_with("NOT") {
                assert!(titles(&r.body).is_empty(), "{q}");
            }
        }
        assert_eq!(titles(&ann.get("/api/v1/notes?q=%20").await.expect(200).body).len(), 3);
        let long = "a".repeat(201);
        ann.get(&format!("/api/v1/notes?q={long}")).await.expect_problem(422, "VALIDATION_FAILED");
        ann.get("/api/v1/notes?tag=c%2B%2B").await.expect_problem(422, "VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn lists_and_searches_page_with_opaque_cursors() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        for i in 0..5 {
            note(&ann, &json!({"title": format!("Page {i}"), "body": "paging words"})).await;
        }
        for base in ["/api/v1/notes?limit=2", "/api/v1/notes?limit=2&q=paging"] {
            let (mut seen, mut next) = (Vec::new(), None::<String>);
            loop {
                let url = next.as_ref().map_or_else(|| base.to_owned(), |c| format!("{base}&cursor={c}"));
                let page = ann.get(&url).await.expect(200);
                seen.extend(titles(&page.body));
                match page.body["next_cursor"].as_str() {
                    Some(c) => next = Some(c.to_owned()),
                    None => break,
                }
            }
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), 5, "{base}");
        }
        let list_cursor =
            ann.get("/api/v1/notes?limit=1").await.expect(200).body["next_cursor"].as_str().unwrap().to_owned();
        let search_cursor = ann.get("/api/v1/notes?limit=1&q=paging").await.expect(200).body["next_cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        ann.get(&format!("/api/v1/notes?q=paging&cursor={list_cursor}")).await.expect_problem(400, "INVALID_CURSOR");
        ann.get(&format!("/api/v1/notes?cursor={search_cursor}")).await.expect_problem(400, "INVALID_CURSOR");
        ann.get("/api/v1/notes?cursor=bm90LWEtY3Vyc29y").await.expect_problem(400, "INVALID_CURSOR");
    }
}
