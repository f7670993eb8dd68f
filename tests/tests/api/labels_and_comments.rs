//! Labels (board-scoped, put on cards) and comments (on cards, edited by their authors).

use corkboard_tests::TestApp;
use reqwest::Method;
use serde_json::json;

use crate::board_support::{NOBODY, board, card, column, etag_of, fields, id_of, if_match, label, member, with_token};

#[tokio::test]
async fn labels_are_created_recoloured_put_on_cards_and_deleted() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Labels").await;
        let todo = column(&ann, &id, "Todo", None).await;
        let labels = format!("/api/v1/boards/{id}/labels");
        let created = ann.post(&labels, &json!({"name": " bug ", "color": "#FF00aa"})).await.expect(201);
        let bug = id_of(&created);
        let path = format!("/api/v1/labels/{bug}");
        assert_eq!(created.header("location"), Some(path.as_str()));
        assert_eq!(created.header("etag"), Some("\"1\""));
        assert_eq!((created.body["name"].as_str(), created.body["color"].as_str()), (Some("bug"), Some("#ff00aa")));
        let idea = label(&ann, &id, "idea").await;
        let listed = ann.get(&labels).await.expect(200);
        assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(2));
        assert_eq!(ann.get(&path).await.expect(200).body, created.body);

        let recoloured = if_match(&ann, Method::PATCH, &path, Some(&json!({"color": "#00ff00"})), "\"1\"").await;
        let recoloured = recoloured.expect(200);
        assert_eq!((recoloured.header("etag"), recoloured.body["name"].as_str()), (Some("\"2\""), Some("bug")));

        let body = json!({"title": "Crash", "column_id": todo, "labels": [bug, idea]});
        let card_id = id_of(&ann.post(&format!("/api/v1/boards/{id}/cards"), &body).await.expect(201));
        ann.delete(&path).await.expect(204);
        ann.get(&path).await.expect_problem(404, "NOT_FOUND");
        let card = ann.get(&format!("/api/v1/cards/{card_id}")).await.expect(200);
        assert_eq!(card.body["labels"], json!([idea]), "a deleted label leaves its cards");
        assert_eq!(card.header("etag"), Some("\"2\""), "a card that lost a label is a changed card");
        if_match(&ann, Method::DELETE, &format!("/api/v1/cards/{card_id}"), None, "\"1\"")
            .await
            .expect_problem(412, "VERSION_MISMATCH");
        let view = ann.get(&format!("/api/v1/boards/{id}")).await.expect(200);
        assert_eq!(view.body["labels"].as_array().map(Vec::len), Some(1));
    }
}

#[tokio::test]
async fn invalid_labels_are_422_and_named() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Labels").await;
        let labels = format!("/api/v1/boards/{id}/labels");
        for (body, field) in [
            (json!({"name": "", "color": "#000000"}), "name"),
            (json!({"name": "\t", "color": "#000000"}), "name"),
            (json!({"name": "x".repeat(51), "color": "#000000"}), "name"),
            (json!({"name": "ok", "color": "red"}), "color"),
            (json!({"name": "ok", "color": "#12345"}), "color"),
            (json!({"name": "ok", "color": " #123456"}), "color"),
            (json!({"name": "ok", "color": "#12345g"}), "color"),
            (json!({"name": "ok"}), "color"),
        ] {
            let refused = ann.post(&labels, &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert_eq!(fields(&refused), [field], "{body}");
        }
        let bug = label(&ann, &id, "bug").await;
        let refused = ann.patch(&format!("/api/v1/labels/{bug}"), &json!({"color": "blue"})).await;
        assert_eq!(fields(&refused.expect_problem(422, "VALIDATION_FAILED")), ["color"]);
        ann.post(&labels, &json!({"name": "x".repeat(50), "color": "#abcdef"})).await.expect(201);
    }
}

#[tokio::test]
async fn comments_are_written_by_editors_edited_by_their_authors_and_deleted() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Talk").await;
        let todo = column(&ann, &id, "Todo", None).await;
        let card_id = card(&ann, &id, &todo, "Discuss").await;
        let bob = member(&app, &ann, &id, "bob@x.io", "editor").await;
        let vic = member(&app, &ann, &id, "vic@x.io", "viewer").await;
        let comments = format!("/api/v1/cards/{card_id}/comments");

        let created = bob.post(&comments, &json!({"body": "    code block\n\nand *text*"})).await.expect(201);
        let comment = id_of(&created);
        let path = format!("/api/v1/comments/{comment}");
        assert_eq!(created.header("location"), Some(path.as_str()));
        assert_eq!(created.body["body"], "    code block\n\nand *text*", "markdown is kept as written");
        assert_eq!(created.body["author_id"], bob.user_id.clone().expect("signed in").as_str());
        assert_eq!(
            (created.body["card_id"].as_str(), created.body["board_id"].as_str()),
            (Some(card_id.as_str()), Some(id.as_str()))
        );
        ann.post(&comments, &json!({"body": "second"})).await.expect(201);
        let listed = vic.get(&comments).await.expect(200);
        let bodies: Vec<&str> =
            listed.body["items"].as_array().expect("items").iter().filter_map(|c| c["body"].as_str()).collect();
        assert_eq!(bodies, ["    code block\n\nand *text*", "second"], "oldest first");
        assert_eq!(vic.get(&path).await.expect(200).header("etag"), Some("\"1\""));

        vic.post(&comments, &json!({"body": "me too"})).await.expect_problem(403, "FORBIDDEN");
        ann.patch(&path, &json!({"body": "edited by the owner"})).await.expect_problem(403, "FORBIDDEN");
        let edited = if_match(&bob, Method::PATCH, &path, Some(&json!({"body": "edited"})), "\"1\"").await.expect(200);
        assert_eq!((edited.header("etag"), edited.body["body"].as_str()), (Some("\"2\""), Some("edited")));
        if_match(&bob, Method::PATCH, &path, Some(&json!({"body": "late"})), "\"1\"")
            .await
            .expect_problem(412, "VERSION_MISMATCH");
        if_match(&ann, Method::DELETE, &path, None, "\"1\"").await.expect_problem(412, "VERSION_MISMATCH");

        for body in
            [json!({"body": ""}), json!({"body": " \n\t "}), json!({"body": "x".repeat(10_001)}), json!({"body": 1})]
        {
            let refused = bob.post(&comments, &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert_eq!(fields(&refused), ["body"], "{body}");
        }
        let mine = id_of(&ann.post(&comments, &json!({"body": "owner's"})).await.expect(201));
        bob.delete(&format!("/api/v1/comments/{mine}")).await.expect_problem(403, "FORBIDDEN");
        ann.delete(&path).await.expect(204);
        ann.get(&path).await.expect_problem(404, "NOT_FOUND");
    }
}

#[tokio::test]
async fn label_and_comment_routes_refuse_strangers_anonymous_and_tokens() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Guarded").await;
        let todo = column(&ann, &id, "Todo", None).await;
        let card_id = card(&ann, &id, &todo, "Card").await;
        let bug = label(&ann, &id, "bug").await;
        let comment =
            id_of(&ann.post(&format!("/api/v1/cards/{card_id}/comments"), &json!({"body": "hi"})).await.expect(201));
        let bob = app.user("bob@x.io", false).await;
        let anonymous = app.anonymous();
        let reader = with_token(&ann, &["boards:read"]).await;
        let new_label = json!({"name": "x", "color": "#000000"});
        let text = json!({"body": "x"});
        for (method, path, body) in [
            (Method::GET, format!("/api/v1/boards/{id}/labels"), None),
            (Method::POST, format!("/api/v1/boards/{id}/labels"), Some(&new_label)),
            (Method::GET, format!("/api/v1/labels/{bug}"), None),
            (Method::PATCH, format!("/api/v1/labels/{bug}"), Some(&new_label)),
            (Method::DELETE, format!("/api/v1/labels/{bug}"), None),
            (Method::GET, format!("/api/v1/cards/{card_id}/comments"), None),
            (Method::POST, format!("/api/v1/cards/{card_id}/comments"), Some(&text)),
            (Method::GET, format!("/api/v1/comments/{comment}"), None),
            (Method::PATCH, format!("/api/v1/comments/{comment}"), Some(&text)),
            (Method::DELETE, format!("/api/v1/comments/{comment}"), None),
        ] {
            bob.send(method.clone(), &path, body, &[]).await.expect_problem(404, "NOT_FOUND");
            anonymous.send(method.clone(), &path, body, &[]).await.expect_problem(401, "UNAUTHENTICATED");
            let by_token = reader.send(method.clone(), &path, body, &[]).await;
            if method == Method::GET {
                by_token.expect(200);
            } else {
                by_token.expect_problem(403, "INSUFFICIENT_SCOPE");
                let no_csrf = ann.without_csrf().send(method.clone(), &path, body, &[]).await;
                no_csrf.expect_problem(403, "CSRF_TOKEN_INVALID");
            }
        }
        for path in
            [format!("/api/v1/labels/{NOBODY}"), format!("/api/v1/comments/{NOBODY}"), "/api/v1/labels/1".to_owned()]
        {
            ann.get(&path).await.expect_problem(404, "NOT_FOUND");
        }
        let etag = etag_of(&ann.get(&format!("/api/v1/labels/{bug}")).await.expect(200));
        ann.patch(&format!("/api/v1/labels/{bug}"), &json!({"name": "defect"})).await.expect(200);
        let stale = if_match(&ann, Method::PATCH, &format!("/api/v1/labels/{bug}"), Some(&new_label), &etag).await;
        stale.expect_problem(412, "VERSION_MISMATCH");
        if_match(&ann, Method::DELETE, &format!("/api/v1/labels/{bug}"), None, &etag)
            .await
            .expect_problem(412, "VERSION_MISMATCH");
        let vic = member(&app, &ann, &id, "vic@x.io", "viewer").await;
        vic.patch(&format!("/api/v1/labels/{bug}"), &new_label).await.expect_problem(403, "FORBIDDEN");
        vic.delete(&format!("/api/v1/labels/{bug}")).await.expect_problem(403, "FORBIDDEN");
        vic.post(&format!("/api/v1/boards/{id}/labels"), &new_label).await.expect_problem(403, "FORBIDDEN");
    }
}
