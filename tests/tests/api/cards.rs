//! Cards: create, read, change, delete, move, WIP limits, filters, paging and the whole board.

use std::collections::HashSet;

use corkboard_tests::TestApp;
use reqwest::Method;
use serde_json::json;

use crate::board_support::{
    NOBODY, board, card, column, etag_of, fields, id_of, if_match, label, layout, member, titles, with_token,
};

#[tokio::test]
async fn cards_are_created_read_changed_and_deleted() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Work").await;
        let todo = column(&ann, &id, "Todo", None).await;
        let bug = label(&ann, &id, "bug").await;
        let bob = member(&app, &ann, &id, "bob@x.io", "editor").await;
        let (ann_id, bob_id) = (ann.user_id.clone().expect("signed in"), bob.user_id.clone().expect("signed in"));
        let body = json!({
            "title": " Ship it ", "column_id": todo, "description": "- [ ] tests\n- [ ] docs",
            "labels": [bug, bug], "assignees": [bob_id, ann_id], "due_at": "2030-01-02T03:04:05+02:00"
        });
        let created = ann.post(&format!("/api/v1/boards/{id}/cards"), &body).await.expect(201);
        let card_id = id_of(&created);
        let path = format!("/api/v1/cards/{card_id}");
        assert_eq!(created.header("location"), Some(path.as_str()));
        assert_eq!(created.header("etag"), Some("\"1\""));
        assert_eq!(created.body["title"], "Ship it");
        assert_eq!(created.body["labels"], json!([bug]), "duplicates are dropped");
        let mut assignees = vec![ann_id.clone(), bob_id.clone()];
        assignees.sort();
        assert_eq!(created.body["assignees"], json!(assignees), "sorted");
        assert_eq!(created.body["due_at"], "2030-01-02T01:04:05Z", "stored in UTC");
        assert_eq!(created.body["created_by"], ann_id.as_str());
        assert_eq!(created.body["column_id"], todo.as_str());
        assert_eq!(created.body["board_id"], id.as_str());
        assert_eq!(created.body["archived"], false);

        let read = bob.get(&path).await.expect(200);
        assert_eq!(read.header("etag"), Some("\"1\""));
        assert_eq!(read.body, created.body);

        let renamed = if_match(&bob, Method::PATCH, &path, Some(&json!({"title": "Ship it now"})), "\"1\"").await;
        let renamed = renamed.expect(200);
        assert_eq!((renamed.header("etag"), renamed.body["title"].as_str()), (Some("\"2\""), Some("Ship it now")));
        assert_eq!(renamed.body["due_at"], created.body["due_at"], "omitted fields stay");
        let changed = bob.patch(&path, &json!({"due_at": null, "labels": [], "description": null})).await.expect(200);
        assert_eq!(changed.body["due_at"], json!(null), "null clears the due date");
        assert_eq!(changed.body["labels"], json!([]));
        assert_eq!(changed.body["description"], created.body["description"], "null leaves the description");
        assert_eq!(changed.body["version"], 3);
        let same = bob.patch(&path, &json!({"title": "Ship it now"})).await.expect(200);
        assert_eq!(same.body["version"], 3, "a change that changes nothing writes nothing");

        let etag = etag_of(&same);
        if_match(&ann, Method::DELETE, &path, None, &etag).await.expect(204);
        ann.get(&path).await.expect_problem(404, "NOT_FOUND");
        ann.delete(&path).await.expect_problem(404, "NOT_FOUND");
    }
}

#[tokio::test]
async fn invalid_card_fields_are_422_and_named() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let bob = app.user("bob@x.io", false).await;
        let id = board(&ann, "Checks").await;
        let todo = column(&ann, &id, "Todo", None).await;
        let other = board(&ann, "Other").await;
        let elsewhere = column(&ann, &other, "Elsewhere", None).await;
        let foreign_label = label(&ann, &other, "theirs").await;
        let bob_id = bob.user_id.clone().expect("signed in");
        let many: Vec<String> = (0..51).map(|_| NOBODY.to_owned()).collect();
        let create = format!("/api/v1/boards/{id}/cards");
        for (body, field) in [
            (json!({"title": "", "column_id": todo}), "title"),
            (json!({"title": "   ", "column_id": todo}), "title"),
            (json!({"title": "x".repeat(201), "column_id": todo}), "title"),
            (json!({"title": "bell\u{7}", "column_id": todo}), "title"),
            (json!({"title": "ok"}), "column_id"),
            (json!({"title": "ok", "column_id": NOBODY}), "column_id"),
            (json!({"title": "ok", "column_id": elsewhere}), "column_id"),
            (json!({"title": "ok", "column_id": "not-a-uuid"}), "column_id"),
            (json!({"title": "ok", "column_id": todo, "labels": [foreign_label]}), "labels"),
            (json!({"title": "ok", "column_id": todo, "labels": many}), "labels"),
            (json!({"title": "ok", "column_id": todo, "labels": null}), "labels"),
            (json!({"title": "ok", "column_id": todo, "assignees": [bob_id]}), "assignees"),
            (json!({"title": "ok", "column_id": todo, "due_at": "tomorrow"}), "due_at"),
            (json!({"title": "ok", "column_id": todo, "description": "d".repeat(20_001)}), "description"),
        ] {
            let refused = ann.post(&create, &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert_eq!(fields(&refused), [field], "{body}");
        }
        let refused = ann.post(&create, &json!({"title": "ok", "column_id": todo, "position": "a"})).await;
        assert_eq!(fields(&refused.expect_problem(422, "VALIDATION_FAILED")), ["position"], "unknown fields are named");
        let ok = ann.post(&create, &json!({"title": "é".repeat(200), "column_id": todo})).await.expect(201);
        let path = format!("/api/v1/cards/{}", id_of(&ok));
        for (body, field) in [
            (json!({"title": ""}), "title"),
            (json!({"due_at": 5}), "due_at"),
            (json!({"assignees": [NOBODY]}), "assignees"),
            (json!({"column_id": elsewhere}), "column_id"),
        ] {
            let refused = ann.patch(&path, &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert_eq!(fields(&refused), [field], "{body}");
        }
    }
}

#[tokio::test]
async fn a_full_column_refuses_cards_with_409_wip_limit_exceeded() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Limits").await;
        let todo = column(&ann, &id, "Todo", Some(2)).await;
        let doing = column(&ann, &id, "Doing", None).await;
        let first = card(&ann, &id, &todo, "one").await;
        let second = card(&ann, &id, &todo, "two").await;
        let create = format!("/api/v1/boards/{id}/cards");
        let full = ann.post(&create, &json!({"title": "three", "column_id": todo})).await;
        let full = full.expect_problem(409, "WIP_LIMIT_EXCEEDED");
        assert!(full.body["detail"].as_str().is_some_and(|d| d.contains('2')), "{:#}", full.body);

        let waiting = card(&ann, &id, &doing, "waiting").await;
        let into_full = ann.post(&format!("/api/v1/cards/{waiting}/move"), &json!({"column_id": todo})).await;
        into_full.expect_problem(409, "WIP_LIMIT_EXCEEDED");
        ann.post(&format!("/api/v1/cards/{second}/move"), &json!({"column_id": todo, "before_id": first}))
            .await
            .expect(200);
        assert_eq!(layout(&ann, &id).await[0].1, titles(&["two", "one"]), "reordering a full column is allowed");

        ann.patch(&format!("/api/v1/cards/{first}"), &json!({"archived": true})).await.expect(200);
        card(&ann, &id, &todo, "three").await;
        let restore = ann.patch(&format!("/api/v1/cards/{first}"), &json!({"archived": false})).await;
        restore.expect_problem(409, "WIP_LIMIT_EXCEEDED");
        ann.patch(&format!("/api/v1/columns/{todo}"), &json!({"wip_limit": null})).await.expect(200);
        ann.patch(&format!("/api/v1/cards/{first}"), &json!({"archived": false})).await.expect(200);
        ann.post(&format!("/api/v1/cards/{waiting}/move"), &json!({"column_id": todo})).await.expect(200);
        assert_eq!(layout(&ann, &id).await[0].1, titles(&["two", "one", "three", "waiting"]));
    }
}

#[tokio::test]
async fn moving_a_card_before_or_after_siblings_orders_the_board() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Moves").await;
        let left = column(&ann, &id, "X", None).await;
        let right = column(&ann, &id, "Y", None).await;
        let card_a = card(&ann, &id, &left, "A").await;
        let card_b = card(&ann, &id, &left, "B").await;
        let card_c = card(&ann, &id, &left, "C").await;
        let shown = |left_titles: &[&str], right_titles: &[&str]| {
            vec![("X".to_owned(), titles(left_titles)), ("Y".to_owned(), titles(right_titles))]
        };
        assert_eq!(layout(&ann, &id).await, shown(&["A", "B", "C"], &[]));

        let to = |card: &str| format!("/api/v1/cards/{card}/move");
        let moved = ann.post(&to(&card_c), &json!({"column_id": left, "before_id": card_a})).await.expect(200);
        assert_eq!((moved.header("etag"), moved.body["version"].as_i64()), (Some("\"2\""), Some(2)));
        assert_eq!(layout(&ann, &id).await, shown(&["C", "A", "B"], &[]), "in front of A");
        ann.post(&to(&card_c), &json!({"column_id": left, "after_id": card_a})).await.expect(200);
        assert_eq!(layout(&ann, &id).await, shown(&["A", "C", "B"], &[]), "behind A");
        let moved = ann.post(&to(&card_a), &json!({"column_id": right})).await.expect(200);
        assert_eq!(moved.body["column_id"], right.as_str());
        assert_eq!(layout(&ann, &id).await, shown(&["C", "B"], &["A"]), "neither: the end of the column");
        ann.post(&to(&card_b), &json!({"column_id": right, "before_id": card_a})).await.expect(200);
        assert_eq!(layout(&ann, &id).await, shown(&["C"], &["B", "A"]));
        ann.post(&to(&card_c), &json!({"column_id": right, "after_id": card_b, "before_id": card_a})).await.expect(200);
        assert_eq!(layout(&ann, &id).await, shown(&[], &["B", "C", "A"]), "between two siblings");
        ann.post(&to(&card_b), &json!({"column_id": right, "before_id": null, "after_id": null})).await.expect(200);
        assert_eq!(layout(&ann, &id).await, shown(&[], &["C", "A", "B"]));

        // Keep placing a card right behind C: the gap there halves every time, so the keys grow
        // until the column is rebalanced, and the order stays right throughout.
        let (mut moving, mut other) = (card_b.clone(), card_a.clone());
        for _ in 0..200 {
            ann.post(&to(&moving), &json!({"column_id": right, "after_id": card_c, "before_id": other}))
                .await
                .expect(200);
            std::mem::swap(&mut moving, &mut other);
        }
        assert_eq!(layout(&ann, &id).await, shown(&[], &["C", "A", "B"]));
        let view = ann.get(&format!("/api/v1/boards/{id}")).await.expect(200);
        for card in view.body["columns"][1]["cards"].as_array().expect("cards") {
            let position = card["position"].as_str().expect("position");
            assert!(position.len() <= 32, "keys are rebalanced before they grow long: {position}");
        }

        let other_board = board(&ann, "Other").await;
        let elsewhere = column(&ann, &other_board, "Elsewhere", None).await;
        for (body, field) in [
            (json!({"column_id": left, "before_id": card_a}), "before_id"),
            (json!({"column_id": right, "after_id": card_b}), "after_id"),
            (json!({"column_id": right, "before_id": NOBODY}), "before_id"),
            (json!({"column_id": elsewhere}), "column_id"),
            (json!({"column_id": right, "before_id": card_c, "after_id": card_a}), "after_id"),
            (json!({"before_id": card_c}), "column_id"),
        ] {
            let refused = ann.post(&to(&card_b), &body).await.expect_problem(422, "VALIDATION_FAILED");
            assert_eq!(fields(&refused), [field], "{body}");
        }
        ann.post(&to(NOBODY), &json!({"column_id": right})).await.expect_problem(404, "NOT_FOUND");
        assert_eq!(layout(&ann, &id).await, shown(&[], &["C", "A", "B"]), "refused moves change nothing");
    }
}

#[tokio::test]
async fn archived_cards_are_filtered_and_left_out_of_the_board() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Filters").await;
        let todo = column(&ann, &id, "Todo", None).await;
        let done = column(&ann, &id, "Done", None).await;
        let bug = label(&ann, &id, "bug").await;
        let ann_id = ann.user_id.clone().expect("signed in");
        let create = format!("/api/v1/boards/{id}/cards");
        let early = json!({"title": "early", "column_id": todo, "labels": [bug], "due_at": "2030-01-01T00:00:00Z"});
        let early = id_of(&ann.post(&create, &early).await.expect(201));
        let late = json!({"title": "late", "column_id": todo, "assignees": [ann_id], "due_at": "2031-01-01T00:00:00Z"});
        let late = id_of(&ann.post(&create, &late).await.expect(201));
        let old = card(&ann, &id, &done, "old").await;
        ann.patch(&format!("/api/v1/cards/{old}"), &json!({"archived": true})).await.expect(200);

        let list = async |query: String| -> Vec<String> {
            let page = ann.get(&format!("/api/v1/boards/{id}/cards{query}")).await.expect(200);
            let items = page.body["items"].as_array().expect("items");
            items.iter().map(|c| c["id"].as_str().expect("id").to_owned()).collect()
        };
        assert_eq!(list(String::new()).await, [early.as_str(), late.as_str(), old.as_str()], "both when not filtered");
        assert_eq!(list("?archived=true".into()).await, [old.as_str()]);
        assert_eq!(list("?archived=false".into()).await, [early.as_str(), late.as_str()]);
        assert_eq!(list(format!("?column_id={done}")).await, [old.as_str()]);
        assert_eq!(list(format!("?column_id={done}&archived=false")).await, [""; 0]);
        assert_eq!(list(format!("?label={bug}")).await, [early.as_str()]);
        assert_eq!(list(format!("?assignee={ann_id}")).await, [late.as_str()]);
        assert_eq!(list("?due_before=2030-06-01T00:00:00Z".into()).await, [early.as_str()]);
        assert_eq!(
            list("?due_before=2030-06-01T02:00:00%2B02:00&archived=false&limit=5".into()).await,
            [early.as_str()]
        );
        let shown = layout(&ann, &id).await;
        assert_eq!(shown, [("Todo".to_owned(), titles(&["early", "late"])), ("Done".to_owned(), vec![])]);

        for query in ["?archived=maybe", "?column_id=nope", "?due_before=tomorrow", "?limit=201", "?limit=x"] {
            let refused = ann.get(&format!("/api/v1/boards/{id}/cards{query}")).await;
            assert_eq!(fields(&refused.expect_problem(422, "VALIDATION_FAILED")).len(), 1, "{query}");
        }
        let restored = ann.patch(&format!("/api/v1/cards/{old}"), &json!({"archived": false})).await.expect(200);
        assert_eq!(restored.body["archived"], false);
        assert_eq!(layout(&ann, &id).await[1].1, titles(&["old"]));
    }
}

#[tokio::test]
async fn cards_are_paged_with_a_keyset_cursor() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Pages").await;
        let todo = column(&ann, &id, "Todo", None).await;
        let mut expected = Vec::new();
        for n in 0..7 {
            expected.push(card(&ann, &id, &todo, &format!("card {n}")).await);
        }
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let query = cursor.as_ref().map_or_else(|| "?limit=3".to_owned(), |c| format!("?limit=3&cursor={c}"));
            let page = ann.get(&format!("/api/v1/boards/{id}/cards{query}")).await.expect(200);
            pages += 1;
            let items = page.body["items"].as_array().expect("items");
            assert!(items.len() <= 3);
            seen.extend(items.iter().map(|c| c["id"].as_str().expect("id").to_owned()));
            match page.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, expected, "every card once, by id");
        let tampered = format!("/api/v1/boards/{id}/cards?cursor={}x", cursor.unwrap_or_default());
        ann.get(&tampered).await.expect_problem(400, "INVALID_CURSOR");
        ann.get(&format!("/api/v1/boards/{id}/cards?cursor=AAAA")).await.expect_problem(400, "INVALID_CURSOR");
    }
}

#[tokio::test]
async fn the_whole_board_comes_in_one_get_after_many_cards() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Big").await;
        let bug = label(&ann, &id, "bug").await;
        let mut columns = Vec::new();
        for name in ["A", "B", "C"] {
            columns.push(column(&ann, &id, name, None).await);
        }
        let create = format!("/api/v1/boards/{id}/cards");
        for n in 0..150 {
            let body = json!({"title": format!("card {n:03}"), "column_id": columns[n % 3], "labels": [bug]});
            ann.post(&create, &body).await.expect(201);
        }
        let view = ann.get(&format!("/api/v1/boards/{id}")).await.expect(200);
        assert_eq!(view.body["labels"][0]["id"], bug.as_str());
        let shown = view.body["columns"].as_array().expect("columns");
        assert_eq!(shown.len(), 3);
        let mut ids = HashSet::new();
        for (c, column) in shown.iter().enumerate() {
            assert_eq!(column["id"], columns[c].as_str());
            let cards = column["cards"].as_array().expect("cards");
            let got: Vec<&str> = cards.iter().filter_map(|card| card["title"].as_str()).collect();
            let want: Vec<String> = (0..50).map(|i| format!("card {:03}", i * 3 + c)).collect();
            assert_eq!(got, want, "column {c}: every card, in creation order");
            assert!(cards.iter().all(|card| card["labels"] == json!([bug]) && card["column_id"] == column["id"]));
            ids.extend(cards.iter().filter_map(|card| card["id"].as_str().map(str::to_owned)));
        }
        assert_eq!(ids.len(), 150);
    }
}

#[tokio::test]
async fn card_routes_refuse_strangers_viewers_tokens_and_stale_versions() {
    for app in TestApp::each_backend().await {
        let ann = app.user("ann@x.io", false).await;
        let id = board(&ann, "Guarded").await;
        let todo = column(&ann, &id, "Todo", None).await;
        let card_id = card(&ann, &id, &todo, "Secret").await;
        let path = format!("/api/v1/cards/{card_id}");
        let move_path = format!("{path}/move");
        let move_to = json!({"column_id": todo});
        let stolen = json!({"title": "x", "column_id": todo});

        let bob = app.user("bob@x.io", false).await;
        bob.get(&path).await.expect_problem(404, "NOT_FOUND");
        bob.patch(&path, &json!({"title": "Mine"})).await.expect_problem(404, "NOT_FOUND");
        bob.delete(&path).await.expect_problem(404, "NOT_FOUND");
        bob.post(&move_path, &move_to).await.expect_problem(404, "NOT_FOUND");
        bob.get(&format!("/api/v1/boards/{id}/cards")).await.expect_problem(404, "NOT_FOUND");
        bob.post(&format!("/api/v1/boards/{id}/cards"), &stolen).await.expect_problem(404, "NOT_FOUND");
        bob.get("/api/v1/cards/not-a-uuid").await.expect_problem(404, "NOT_FOUND");

        let anonymous = app.anonymous();
        anonymous.get(&path).await.expect_problem(401, "UNAUTHENTICATED");
        anonymous.post(&move_path, &move_to).await.expect_problem(401, "UNAUTHENTICATED");
        anonymous.get(&format!("/api/v1/boards/{id}/cards")).await.expect_problem(401, "UNAUTHENTICATED");

        let vic = member(&app, &ann, &id, "vic@x.io", "viewer").await;
        vic.get(&path).await.expect(200);
        vic.get(&format!("/api/v1/boards/{id}/cards")).await.expect(200);
        vic.patch(&path, &json!({"title": "x"})).await.expect_problem(403, "FORBIDDEN");
        vic.delete(&path).await.expect_problem(403, "FORBIDDEN");
        vic.post(&move_path, &move_to).await.expect_problem(403, "FORBIDDEN");
        vic.post(&format!("/api/v1/boards/{id}/cards"), &stolen).await.expect_problem(403, "FORBIDDEN");

        let reader = with_token(&ann, &["boards:read"]).await;
        reader.get(&path).await.expect(200);
        reader.post(&move_path, &move_to).await.expect_problem(403, "INSUFFICIENT_SCOPE");
        reader.patch(&path, &json!({"title": "x"})).await.expect_problem(403, "INSUFFICIENT_SCOPE");
        ann.without_csrf().post(&move_path, &move_to).await.expect_problem(403, "CSRF_TOKEN_INVALID");

        let etag = etag_of(&ann.get(&path).await.expect(200));
        ann.patch(&path, &json!({"description": "moved on"})).await.expect(200);
        let stale = if_match(&ann, Method::PATCH, &path, Some(&json!({"title": "Late"})), &etag).await;
        stale.expect_problem(412, "VERSION_MISMATCH");
        if_match(&ann, Method::POST, &move_path, Some(&move_to), &etag).await.expect_problem(412, "VERSION_MISMATCH");
        if_match(&ann, Method::DELETE, &path, None, &etag).await.expect_problem(412, "VERSION_MISMATCH");
        let current = ann.get(&path).await.expect(200);
        assert_eq!(current.body["title"], "Secret", "stale writes change nothing");
        let fresh = etag_of(&current);
        if_match(&ann, Method::POST, &move_path, Some(&move_to), &fresh).await.expect(200);
    }
}
