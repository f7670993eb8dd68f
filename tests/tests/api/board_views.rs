//! `GET /boards/{id}` answers from a kept rendering while the board's revision is unchanged
//! (decision 0032): every change must show in the next read, on the instance that made it and
//! on another one sharing the database.

use corkboard_tests::{Session, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

use crate::board_support::{board, card, column, id_of, label, layout, member};

/// The board's view, read twice, then compressed: an unchanged board answers the same bytes and
/// `ETag`, and its gzip-compressed copy (made once per rendering) inflates to the same view.
async fn read(session: &Session, board: &str) -> Value {
    let path = format!("/api/v1/boards/{board}");
    let first = session.get(&path).await.expect(200);
    let again = session.get(&path).await.expect(200);
    assert_eq!(first.body, again.body, "an unchanged board reads the same");
    assert_eq!(first.header("etag"), again.header("etag"));
    assert_eq!(first.header("content-encoding"), None, "not compressed unless asked");
    let zipped = session.send(Method::GET, &path, None, &[("accept-encoding", "br;q=1, gzip;q=0.8")]).await.expect(200);
    assert_eq!(zipped.header("vary"), Some("accept-encoding"));
    assert_eq!(zipped.body, first.body, "the compressed copy is of the same rendering");
    // Views under 1 KiB are not worth compressing.
    let length: usize = first.header("content-length").and_then(|l| l.parse().ok()).expect("content-length");
    if length >= 1024 {
        assert_eq!(zipped.header("content-encoding"), Some("gzip"));
        assert_eq!(zipped.header("etag").map(|e| e.trim_start_matches("W/")), first.header("etag"));
    }
    first.body
}

#[tokio::test]
async fn a_view_sent_compressed_carries_a_weak_etag_that_if_match_accepts() {
    for app in TestApp::each_backend().await {
        let owner = app.user("gzip@views.io", false).await;
        let b = board(&owner, "Compressed").await;
        let todo = column(&owner, &b, "Todo", None).await;
        for n in 0..12 {
            card(&owner, &b, &todo, &format!("Card number {n} with a title long enough to add up")).await;
        }
        let path = format!("/api/v1/boards/{b}");
        let zipped = owner.send(Method::GET, &path, None, &[("accept-encoding", "gzip")]).await.expect(200);
        assert_eq!(zipped.header("content-encoding"), Some("gzip"));
        let weak = zipped.header("etag").expect("etag").to_owned();
        assert!(weak.starts_with("W/\""), "{weak}");
        assert_eq!(titles(&zipped.body)[0].len(), 12);

        let renamed = json!({"name": "Compressed, renamed"});
        owner.send(Method::PATCH, &path, Some(&renamed), &[("if-match", &weak)]).await.expect(200);
        owner
            .send(Method::PATCH, &path, Some(&renamed), &[("if-match", &weak)])
            .await
            .expect_problem(412, "VERSION_MISMATCH");
        let after = owner.send(Method::GET, &path, None, &[("accept-encoding", "gzip")]).await.expect(200);
        assert_eq!(after.body["name"], "Compressed, renamed", "the compressed copy follows the change");
    }
}

fn titles(view: &Value) -> Vec<Vec<String>> {
    view["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| {
            c["cards"].as_array().expect("cards").iter().map(|k| k["title"].as_str().unwrap().to_owned()).collect()
        })
        .collect()
}

#[tokio::test]
async fn every_change_to_a_board_shows_in_the_next_read() {
    for app in TestApp::each_backend().await {
        let owner = app.user("owner@views.io", false).await;
        let b = board(&owner, "Roadmap").await;
        let todo = column(&owner, &b, "Todo", None).await;
        let first = card(&owner, &b, &todo, "First").await;
        let before = read(&owner, &b).await;
        assert_eq!(titles(&before), [["First"]]);

        owner.patch(&format!("/api/v1/boards/{b}"), &json!({"name": "Roadmap 2"})).await.expect(200);
        assert_eq!(read(&owner, &b).await["name"], "Roadmap 2", "the board's own fields");

        let done = column(&owner, &b, "Done", None).await;
        owner.patch(&format!("/api/v1/columns/{done}"), &json!({"name": "Shipped"})).await.expect(200);
        let names: Vec<String> = layout(&owner, &b).await.into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["Todo", "Shipped"], "columns added and renamed");

        card(&owner, &b, &done, "Second").await;
        owner.patch(&format!("/api/v1/cards/{first}"), &json!({"title": "First, renamed"})).await.expect(200);
        assert_eq!(titles(&read(&owner, &b).await), [vec!["First, renamed"], vec!["Second"]]);

        let urgent = label(&owner, &b, "urgent").await;
        owner.patch(&format!("/api/v1/cards/{first}"), &json!({"labels": [urgent]})).await.expect(200);
        assert_eq!(read(&owner, &b).await["columns"][0]["cards"][0]["labels"], json!([urgent]));
        owner.patch(&format!("/api/v1/labels/{urgent}"), &json!({"name": "later"})).await.expect(200);
        assert_eq!(read(&owner, &b).await["labels"][0]["name"], "later");
        owner.delete(&format!("/api/v1/labels/{urgent}")).await.expect(204);
        let view = read(&owner, &b).await;
        assert_eq!(view["labels"], json!([]), "the label is gone");
        assert_eq!(view["columns"][0]["cards"][0]["labels"], json!([]), "and off its card");

        owner.post(&format!("/api/v1/cards/{first}/move"), &json!({"column_id": done})).await.expect(200);
        assert_eq!(titles(&read(&owner, &b).await), [vec![], vec!["Second", "First, renamed"]], "moved");

        let guest = member(&app, &owner, &b, "guest@views.io", "viewer").await;
        let guest_id = guest.user_id.clone().unwrap();
        assert_eq!(read(&guest, &b).await["members"].as_array().unwrap().len(), 2, "a member joined");
        let path = format!("/api/v1/boards/{b}/members/{guest_id}");
        owner.patch(&path, &json!({"role": "editor"})).await.expect(200);
        let view = read(&owner, &b).await;
        let roles: Vec<&str> =
            view["members"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert!(roles.contains(&"editor"), "a role changed: {roles:?}");
        owner.delete(&path).await.expect(204);
        assert_eq!(read(&owner, &b).await["members"].as_array().unwrap().len(), 1, "a member left");
        guest.get(&format!("/api/v1/boards/{b}")).await.expect_problem(404, "NOT_FOUND");

        owner.patch(&format!("/api/v1/cards/{first}"), &json!({"archived": true})).await.expect(200);
        assert_eq!(titles(&read(&owner, &b).await), [vec![], vec!["Second"]], "archived cards leave the view");
        owner.send(Method::DELETE, &format!("/api/v1/columns/{todo}"), None, &[]).await.expect(204);
        assert_eq!(titles(&read(&owner, &b).await), [vec!["Second"]], "a column deleted");

        owner.delete(&format!("/api/v1/boards/{b}")).await.expect(204);
        owner.get(&format!("/api/v1/boards/{b}")).await.expect_problem(404, "NOT_FOUND");
    }
}

#[tokio::test]
async fn a_change_made_through_another_instance_shows_in_the_next_read() {
    for app in TestApp::each_backend().await {
        let peer = app.peer().await;
        let here = app.user("here@views.io", false).await;
        let there = here.at(&peer.address);
        let b = board(&here, "Shared").await;
        let todo = column(&here, &b, "Todo", None).await;
        let first = id_of(
            &here
                .post(&format!("/api/v1/boards/{b}/cards"), &json!({"title": "One", "column_id": todo}))
                .await
                .expect(201),
        );
        assert_eq!(titles(&read(&here, &b).await), [["One"]]);
        assert_eq!(titles(&read(&there, &b).await), [["One"]]);

        card(&there, &b, &todo, "Two").await;
        there.patch(&format!("/api/v1/cards/{first}"), &json!({"title": "One, renamed"})).await.expect(200);
        assert_eq!(titles(&read(&here, &b).await), [["One, renamed", "Two"]], "the other instance's writes show here");

        here.patch(&format!("/api/v1/cards/{first}"), &json!({"archived": true})).await.expect(200);
        assert_eq!(titles(&read(&there, &b).await), [["Two"]], "and this instance's there");
    }
}

#[tokio::test]
async fn a_kept_rendering_is_never_shown_to_someone_without_access() {
    for app in TestApp::each_backend().await {
        let owner = app.user("owner@keep.io", false).await;
        let b = board(&owner, "Private").await;
        read(&owner, &b).await;
        let stranger = app.user("stranger@keep.io", false).await;
        stranger.get(&format!("/api/v1/boards/{b}")).await.expect_problem(404, "NOT_FOUND");
    }
}
