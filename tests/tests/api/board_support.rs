//! Arranging boards through the API for the board, column and card tests.

use corkboard_tests::{Session, TestApp, TestResponse};
use reqwest::Method;
use serde_json::{Value, json};

/// An id that names nothing.
pub(crate) const NOBODY: &str = "01900000-0000-7000-8000-000000000000";

/// The `id` of a created resource.
#[track_caller]
pub(crate) fn id_of(response: &TestResponse) -> String {
    response.body["id"].as_str().expect("the resource has an id").to_owned()
}

/// The `ETag` of a response.
#[track_caller]
pub(crate) fn etag_of(response: &TestResponse) -> String {
    response.header("etag").expect("the response carries an ETag").to_owned()
}

/// Creates a board and returns its id.
pub(crate) async fn board(session: &Session, name: &str) -> String {
    id_of(&session.post("/api/v1/boards", &json!({"name": name})).await.expect(201))
}

/// Appends a column and returns its id.
pub(crate) async fn column(session: &Session, board: &str, name: &str, wip_limit: Option<u32>) -> String {
    let body = json!({"name": name, "wip_limit": wip_limit});
    id_of(&session.post(&format!("/api/v1/boards/{board}/columns"), &body).await.expect(201))
}

/// Appends a card to `column` and returns its id.
pub(crate) async fn card(session: &Session, board: &str, column: &str, title: &str) -> String {
    let body = json!({"title": title, "column_id": column});
    id_of(&session.post(&format!("/api/v1/boards/{board}/cards"), &body).await.expect(201))
}

/// Creates a label and returns its id.
pub(crate) async fn label(session: &Session, board: &str, name: &str) -> String {
    let body = json!({"name": name, "color": "#3366FF"});
    id_of(&session.post(&format!("/api/v1/boards/{board}/labels"), &body).await.expect(201))
}

/// A signed-in user made a member of `board` with `role` by its owner.
pub(crate) async fn member(app: &TestApp, owner: &Session, board: &str, email: &str, role: &str) -> Session {
    let user = app.user(email, false).await;
    let user_id = user.user_id.clone().expect("signed in");
    owner
        .post(&format!("/api/v1/boards/{board}/members"), &json!({"user_id": user_id, "role": role}))
        .await
        .expect(201);
    user
}

/// The same user calling with a new personal access token of `scopes`.
pub(crate) async fn with_token(session: &Session, scopes: &[&str]) -> Session {
    let created = session.post("/api/v1/me/tokens", &json!({"name": "test", "scopes": scopes})).await.expect(201);
    session.with_bearer(created.body["token"].as_str().expect("the secret is shown once"))
}

/// Sends `method` with `If-Match: etag`.
pub(crate) async fn if_match(
    session: &Session,
    method: Method,
    path: &str,
    body: Option<&Value>,
    etag: &str,
) -> TestResponse {
    session.send(method, path, body, &[("if-match", etag)]).await
}

/// The board as `GET /boards/{id}` shows it: each column's name with its cards' titles, in order.
pub(crate) async fn layout(session: &Session, board: &str) -> Vec<(String, Vec<String>)> {
    let view = session.get(&format!("/api/v1/boards/{board}")).await.expect(200);
    view.body["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|column| {
            let titles = column["cards"]
                .as_array()
                .expect("cards")
                .iter()
                .map(|card| card["title"].as_str().expect("title").to_owned())
                .collect();
            (column["name"].as_str().expect("name").to_owned(), titles)
        })
        .collect()
}

/// Owned strings, for comparing layouts.
pub(crate) fn titles(titles: &[&str]) -> Vec<String> {
    titles.iter().map(|t| (*t).to_owned()).collect()
}

/// The problem's `errors[].field` values.
pub(crate) fn fields(response: &TestResponse) -> Vec<String> {
    response.body["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}
