//! Boards and their members: CRUD, validation, authentication, authorisation, concurrency.

use corkboard_tests::TestApp;
use reqwest::Method;
use serde_json::json;

use crate::board_support::{NOBODY, board, etag_of, fields, id_of, if_match, member, with_token};

#[tokio::test]
async fn boards_are_created_listed_read_whole_and_renamed() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let created = ann.post("/api/v1/boards", &json!({"name": "  Launch  ", "description": "Q3 *goals*"})).await;
        let created = created.expect(201);
        let id = id_of(&created);
        assert_eq!(created.header("location"), Some(format!("/api/v1/boards/{id}").as_str()));
        assert_eq!(created.header("etag"), Some("\"1\""));
        assert_eq!(created.body["name"], "Launch", "names are trimmed");
        assert_eq!(created.body["description"], "Q3 *goals*");
        assert_eq!(created.body["owner_id"], ann.user_id.clone().expect("signed in"));
        assert_eq!(created.body["version"], 1);
        assert_eq!(created.body["archived"], false);
        assert!(created.body["created_at"].as_str().is_some_and(|t| t.ends_with('Z')), "UTC: {:#}", created.body);
        assert_eq!(created.body["created_at"], created.body["updated_at"]);

        board(&ann, "Second").await;
        let listed = ann.get("/api/v1/boards").await.expect(200);
        let names: Vec<&str> =
            listed.body["items"].as_array().expect("items").iter().filter_map(|b| b["name"].as_str()).collect();
        assert_eq!(names, ["Launch", "Second"], "by id, which grows with time");
        assert!(listed.body["next_cursor"].is_null());

        let view = ann.get(&format!("/api/v1/boards/{id}")).await.expect(200);
        assert_eq!(view.header("etag"), Some("\"1\""));
        assert_eq!(view.body["name"], "Launch");
        assert_eq!(view.body["members"][0]["user_id"], created.body["owner_id"]);
        assert_eq!(view.body["members"][0]["role"], "owner");
        assert_eq!(view.body["labels"], json!([]));
        assert_eq!(view.body["columns"], json!([]));

        let renamed =
            if_match(&ann, Method::PATCH, &format!("/api/v1/boards/{id}"), Some(&json!({"name": "Liftoff"})), "\"1\"")
                .await
                .expect(200);
        assert_eq!(renamed.header("etag"), Some("\"2\""));
        assert_eq!(renamed.body["name"], "Liftoff");
        assert_eq!(renamed.body["description"], "Q3 *goals*", "omitted fields stay");
        let archived =
            ann.patch(&format!("/api/v1/boards/{id}"), &json!({"archived": true, "name": null})).await.expect(200);
        assert_eq!(
            (archived.body["archived"].as_bool(), archived.body["name"].as_str()),
            (Some(true), Some("Liftoff"))
        );
        assert_eq!(archived.body["version"], 3);
    }
}

#[tokio::test]
async fn invalid_board_fields_are_422_and_named() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        for (body, field) in [
            (json!({"name": ""}), "name"),
            (json!({"name": "   "}), "name"),
            (json!({"name": "x".repeat(101)}), "name"),
            (json!({"name": "two\nlines"}), "name"),
            (json!({"name": "ok", "description": "d".repeat(20_001)}), "description"),
            (json!({"name": 7}), "name"),
            (json!({}), "name"),
            (json!({"name": "ok", "owner_id": NOBODY}), "owner_id"),
        ] {
            let refused = ann.post("/api/v1/boards", &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert_eq!(fields(&refused), [field], "{body}");
        }
        ann.post("/api/v1/boards", &json!({"name": "é".repeat(100)})).await.expect(201);
        let id = board(&ann, "Ok").await;
        let refused = ann.patch(&format!("/api/v1/boards/{id}"), &json!({"archived": "yes"})).await;
        assert_eq!(fields(&refused.expect_problem(422, "VALIDATION_FAILED")), ["archived"]);
        ann.send(Method::POST, "/api/v1/boards", None, &[("content-type", "application/json")])
            .await
            .expect_problem(400, "MALFORMED_JSON");
        ann.get("/api/v1/boards?limit=0").await.expect_problem(422, "VALIDATION_FAILED");
        ann.get("/api/v1/boards?cursor=forged").await.expect_problem(400, "INVALID_CURSOR");
    }
}

#[tokio::test]
async fn anonymous_callers_get_401_with_a_challenge_on_every_board_route() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Private").await;
        let anonymous = app.anonymous();
        let body = json!({"name": "x"});
        for (method, path) in [
            (Method::GET, "/api/v1/boards".to_owned()),
            (Method::POST, "/api/v1/boards".to_owned()),
            (Method::GET, format!("/api/v1/boards/{id}")),
            (Method::PATCH, format!("/api/v1/boards/{id}")),
            (Method::DELETE, format!("/api/v1/boards/{id}")),
            (Method::GET, format!("/api/v1/boards/{id}/members")),
            (Method::POST, format!("/api/v1/boards/{id}/members")),
            (Method::PATCH, format!("/api/v1/boards/{id}/members/{NOBODY}")),
            (Method::DELETE, format!("/api/v1/boards/{id}/members/{NOBODY}")),
        ] {
            let with_body = matches!(method, Method::POST | Method::PATCH).then_some(&body);
            let refused = anonymous.send(method.clone(), &path, with_body, &[]).await;
            let refused = refused.expect_problem(401, "UNAUTHENTICATED");
            assert!(refused.header("www-authenticate").is_some(), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn another_users_board_is_404_never_403() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let bob = app.user("bob@x.io", false).await;
        let id = board(&ann, "Ann's").await;
        let ann_id = ann.user_id.clone().expect("signed in");
        let bob_id = bob.user_id.clone().expect("signed in");
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/boards/{id}"), None),
            (Method::PATCH, format!("/api/v1/boards/{id}"), Some(json!({"name": "Mine"}))),
            (Method::DELETE, format!("/api/v1/boards/{id}"), None),
            (Method::GET, format!("/api/v1/boards/{id}/members"), None),
            (Method::POST, format!("/api/v1/boards/{id}/members"), Some(json!({"user_id": bob_id, "role": "owner"}))),
            (Method::PATCH, format!("/api/v1/boards/{id}/members/{ann_id}"), Some(json!({"role": "viewer"}))),
            (Method::DELETE, format!("/api/v1/boards/{id}/members/{ann_id}"), None),
            (Method::GET, format!("/api/v1/boards/{NOBODY}"), None),
            (Method::GET, "/api/v1/boards/not-a-uuid".to_owned(), None),
        ] {
            let response = bob.send(method.clone(), &path, body.as_ref(), &[]).await;
            response.expect_problem(404, "NOT_FOUND");
        }
        assert_eq!(bob.get("/api/v1/boards").await.expect(200).body["items"], json!([]));
        let view = ann.get(&format!("/api/v1/boards/{id}")).await.expect(200);
        assert_eq!(view.body["name"], "Ann's", "nothing changed");
        assert_eq!(view.body["members"].as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn stale_if_match_is_rejected_with_412() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Race").await;
        let path = format!("/api/v1/boards/{id}");
        let read = ann.get(&path).await.expect(200);
        let etag = etag_of(&read);
        ann.patch(&path, &json!({"description": "someone else's change"})).await.expect(200);

        let stale = if_match(&ann, Method::PATCH, &path, Some(&json!({"name": "Mine"})), &etag).await;
        stale.expect_problem(412, "VERSION_MISMATCH");
        if_match(&ann, Method::DELETE, &path, None, &etag).await.expect_problem(412, "VERSION_MISMATCH");
        if_match(&ann, Method::DELETE, &path, None, "not-an-etag").await.expect_problem(400, "INVALID_IF_MATCH");
        assert_eq!(ann.get(&path).await.expect(200).body["name"], "Race", "nothing was written");

        let fresh = etag_of(&ann.get(&path).await.expect(200));
        assert_eq!(fresh, "\"2\"");
        if_match(&ann, Method::DELETE, &path, None, &fresh).await.expect(204);
        ann.get(&path).await.expect_problem(404, "NOT_FOUND");
    }
}

#[tokio::test]
async fn viewers_read_but_cannot_write_and_get_403() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Shared").await;
        let vic = member(&app, &ann, &id, "vic@x.io", "viewer").await;
        vic.get(&format!("/api/v1/boards/{id}")).await.expect(200);
        vic.get(&format!("/api/v1/boards/{id}/members")).await.expect(200);
        assert_eq!(vic.get("/api/v1/boards").await.expect(200).body["items"][0]["id"], id.as_str());

        let path = format!("/api/v1/boards/{id}");
        vic.patch(&path, &json!({"name": "Mine"})).await.expect_problem(403, "FORBIDDEN");
        vic.delete(&path).await.expect_problem(403, "FORBIDDEN");
        vic.post(&format!("{path}/columns"), &json!({"name": "Todo"})).await.expect_problem(403, "FORBIDDEN");
        vic.post(&format!("{path}/labels"), &json!({"name": "x", "color": "#000000"}))
            .await
            .expect_problem(403, "FORBIDDEN");
        let ann_id = ann.user_id.clone().expect("signed in");
        vic.patch(&format!("{path}/members/{ann_id}"), &json!({"role": "viewer"}))
            .await
            .expect_problem(403, "FORBIDDEN");
    }
}

#[tokio::test]
async fn tokens_need_the_boards_scopes_and_cookies_need_the_csrf_token() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Scoped").await;
        let path = format!("/api/v1/boards/{id}");

        let reader = with_token(&ann, &["boards:read"]).await;
        reader.get("/api/v1/boards").await.expect(200);
        reader.get(&path).await.expect(200);
        reader.post("/api/v1/boards", &json!({"name": "x"})).await.expect_problem(403, "INSUFFICIENT_SCOPE");
        reader.patch(&path, &json!({"name": "x"})).await.expect_problem(403, "INSUFFICIENT_SCOPE");
        reader.delete(&path).await.expect_problem(403, "INSUFFICIENT_SCOPE");

        let notes_only = with_token(&ann, &["notes:read"]).await;
        notes_only.get(&path).await.expect_problem(403, "INSUFFICIENT_SCOPE");
        notes_only.get("/api/v1/boards").await.expect_problem(403, "INSUFFICIENT_SCOPE");

        let writer = with_token(&ann, &["boards:write"]).await;
        writer.get(&path).await.expect(200);
        writer.patch(&path, &json!({"name": "By token"})).await.expect(200);

        let no_csrf = ann.without_csrf();
        no_csrf.get(&path).await.expect(200);
        no_csrf.post("/api/v1/boards", &json!({"name": "x"})).await.expect_problem(403, "CSRF_TOKEN_INVALID");
        no_csrf.patch(&path, &json!({"name": "x"})).await.expect_problem(403, "CSRF_TOKEN_INVALID");
        no_csrf.delete(&path).await.expect_problem(403, "CSRF_TOKEN_INVALID");
        assert_eq!(ann.get(&path).await.expect(200).body["name"], "By token");
    }
}

#[tokio::test]
async fn owners_add_promote_and_remove_members() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let bob = app.user("bob@x.io", false).await;
        let id = board(&ann, "Team").await;
        let members = format!("/api/v1/boards/{id}/members");
        let bob_id = bob.user_id.clone().expect("signed in");
        let ann_id = ann.user_id.clone().expect("signed in");

        bob.get(&format!("/api/v1/boards/{id}")).await.expect_problem(404, "NOT_FOUND");
        let added = ann.post(&members, &json!({"user_id": bob_id, "role": "editor"})).await.expect(201);
        assert_eq!(added.header("location"), Some(format!("{members}/{bob_id}").as_str()));
        assert_eq!(
            (added.body["user_id"].as_str(), added.body["role"].as_str()),
            (Some(bob_id.as_str()), Some("editor"))
        );
        assert_eq!(added.body["id"], added.body["user_id"]);
        bob.get(&format!("/api/v1/boards/{id}")).await.expect(200);

        ann.post(&members, &json!({"user_id": bob_id, "role": "viewer"})).await.expect_problem(409, "CONFLICT");
        let unknown = ann.post(&members, &json!({"user_id": NOBODY, "role": "viewer"})).await;
        assert_eq!(fields(&unknown.expect_problem(422, "VALIDATION_FAILED")), ["user_id"]);
        let bad_role = ann.post(&members, &json!({"user_id": bob_id, "role": "admin"})).await;
        assert_eq!(fields(&bad_role.expect_problem(422, "VALIDATION_FAILED")), ["role"]);
        let carol = app.user("carol@x.io", false).await;
        let carol_id = carol.user_id.clone().expect("signed in");
        bob.post(&members, &json!({"user_id": carol_id, "role": "viewer"})).await.expect_problem(403, "FORBIDDEN");
        bob.delete(&format!("{members}/{ann_id}")).await.expect_problem(403, "FORBIDDEN");
        bob.delete(&format!("/api/v1/boards/{id}")).await.expect_problem(403, "FORBIDDEN");

        ann.patch(&format!("{members}/{ann_id}"), &json!({"role": "editor"})).await.expect_problem(409, "CONFLICT");
        ann.delete(&format!("{members}/{ann_id}")).await.expect_problem(409, "CONFLICT");
        let promoted = ann.patch(&format!("{members}/{bob_id}"), &json!({"role": "owner"})).await.expect(200);
        assert_eq!(promoted.body["role"], "owner");
        let listed = ann.get(&members).await.expect(200);
        assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(2));

        // With a second owner, the first may leave; the board is handed to the other owner.
        ann.delete(&format!("{members}/{ann_id}")).await.expect(204);
        ann.get(&format!("/api/v1/boards/{id}")).await.expect_problem(404, "NOT_FOUND");
        let view = bob.get(&format!("/api/v1/boards/{id}")).await.expect(200);
        assert_eq!(view.body["owner_id"], bob_id.as_str());
        bob.delete(&format!("{members}/{NOBODY}")).await.expect_problem(404, "NOT_FOUND");
        bob.delete(&format!("/api/v1/boards/{id}")).await.expect(204);
        bob.get(&format!("/api/v1/boards/{id}")).await.expect_problem(404, "NOT_FOUND");
    }
}
