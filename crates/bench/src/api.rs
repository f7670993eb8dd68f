//! Talking to the server under test: signing in, and seeding the data set through the public
//! API, as a client would (so every row has its audit and outbox rows, as in production).

use std::time::Instant;

use anyhow::{Context as _, bail};
use futures::{StreamExt as _, TryStreamExt as _};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// Requests in flight while seeding.
const SEED_CONCURRENCY: usize = 16;
/// The password of every seeded user.
pub(crate) const PASSWORD: &str = "bench-password-1234";
/// Columns per seeded board.
pub(crate) const COLUMNS: usize = 10;
/// Distinct search topics in the notes; each appears in `NOTES / TOPICS` notes.
pub(crate) const TOPICS: usize = 100;

/// An authenticated API client (a personal access token with every scope it needs).
#[derive(Clone)]
pub(crate) struct Api {
    http: Client,
    base: String,
    pub(crate) token: String,
    pub(crate) token_id: String,
}

/// Sizes of the data set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sizes {
    pub(crate) users: usize,
    pub(crate) small_board_cards: usize,
    pub(crate) large_board_cards: usize,
    pub(crate) notes: usize,
    pub(crate) reminders: usize,
}

/// What the seeding made, for the load plans.
#[derive(Debug, Clone)]
pub(crate) struct Seeded {
    pub(crate) small_board: String,
    pub(crate) large_board: String,
    /// The board cards are created on while measuring `POST` card (so the read boards keep
    /// their size), and its ten columns: requests take them in turn.
    pub(crate) write_board: String,
    pub(crate) write_columns: Vec<String>,
    pub(crate) user_emails: Vec<String>,
    pub(crate) seconds: f64,
}

impl Api {
    /// Signs in with a password and creates a personal access token.
    pub(crate) async fn sign_in(base: &str, email: &str, password: &str) -> anyhow::Result<Self> {
        let session = Client::builder().cookie_store(true).build()?;
        let res = session
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await?;
        let login = expect(res, StatusCode::OK).await.context("sign-in")?;
        let csrf = login["csrf_token"].as_str().context("no csrf_token")?.to_owned();
        let scopes = [
            "boards:read",
            "boards:write",
            "notes:read",
            "notes:write",
            "reminders:read",
            "reminders:write",
            "users:manage",
            "audit:read",
        ];
        let res = session
            .post(format!("{base}/api/v1/me/tokens"))
            .header("x-csrf-token", csrf)
            .json(&json!({ "name": "bench", "scopes": scopes }))
            .send()
            .await?;
        let created = expect(res, StatusCode::CREATED).await.context("creating a token")?;
        let token = created["token"].as_str().context("no token")?.to_owned();
        let token_id = id(&created)?;
        let http = Client::builder().pool_max_idle_per_host(SEED_CONCURRENCY).build()?;
        Ok(Self { http, base: base.to_owned(), token, token_id })
    }

    /// `method path` with a JSON body, expecting `status`; the response's JSON.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        status: StatusCode,
    ) -> anyhow::Result<Value> {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        expect(req.send().await?, status).await.with_context(|| format!("{method} {path}"))
    }

    /// `GET path`, the raw body.
    pub(crate) async fn get_bytes(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        self.get_encoded(path, None).await
    }

    /// The bytes of `path` as sent when asked for with `Accept-Encoding: gzip` (compressed;
    /// this client does not decompress).
    pub(crate) async fn get_gzip(&self, path: &str) -> anyhow::Result<Vec<u8>> {
        self.get_encoded(path, Some("gzip")).await
    }

    async fn get_encoded(&self, path: &str, encoding: Option<&str>) -> anyhow::Result<Vec<u8>> {
        let mut req = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(encoding) = encoding {
            req = req.header(reqwest::header::ACCEPT_ENCODING, encoding);
        }
        let res = req.send().await?;
        if !res.status().is_success() {
            bail!("GET {path}: {}", res.status());
        }
        let sent = res.headers().get(reqwest::header::CONTENT_ENCODING).and_then(|v| v.to_str().ok());
        if sent != encoding {
            bail!("GET {path}: asked for encoding {encoding:?}, got {sent:?}");
        }
        Ok(res.bytes().await?.to_vec())
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(Method::POST, path, Some(body), StatusCode::CREATED).await
    }

    /// Seeds users, three boards, notes and reminders.
    pub(crate) async fn seed(&self, sizes: Sizes) -> anyhow::Result<Seeded> {
        let started = Instant::now();
        let emails: Vec<String> = (0..sizes.users).map(|i| format!("user{i:03}@bench.example")).collect();
        let users: Vec<String> = futures::stream::iter(emails.iter().enumerate())
            .map(|(i, email)| async move {
                let body = json!({ "email": email, "display_name": format!("User {i}"), "password": PASSWORD, "role": "member" });
                let user = self.post("/api/v1/users", body).await?;
                id(&user)
            })
            .buffered(SEED_CONCURRENCY)
            .try_collect()
            .await?;
        let members = &users[..10.min(users.len())];
        let small_board = self.seed_board("Board of 500", members, sizes.small_board_cards).await?;
        let large_board = self.seed_board("Board of 10,000", members, sizes.large_board_cards).await?;
        let write_board = self.post("/api/v1/boards", json!({ "name": "Writes" })).await?;
        let write_board = id(&write_board)?;
        let mut write_columns = Vec::new();
        for i in 0..COLUMNS {
            let column = self
                .post(&format!("/api/v1/boards/{write_board}/columns"), json!({ "name": format!("Inbox {i}") }))
                .await?;
            write_columns.push(id(&column)?);
        }
        self.seed_notes(sizes.notes, &small_board).await?;
        self.seed_reminders(sizes.reminders).await?;
        Ok(Seeded {
            small_board,
            large_board,
            write_board,
            write_columns,
            user_emails: emails,
            seconds: started.elapsed().as_secs_f64(),
        })
    }

    /// A board with members, eight labels, ten columns and `cards` cards spread evenly over the
    /// columns, each with one label and one assignee.
    async fn seed_board(&self, name: &str, members: &[String], cards: usize) -> anyhow::Result<String> {
        let board = id(&self
            .post("/api/v1/boards", json!({ "name": name, "description": "Seeded by corkboard-bench." }))
            .await?)?;
        for user in members {
            self.post(&format!("/api/v1/boards/{board}/members"), json!({ "user_id": user, "role": "editor" })).await?;
        }
        let colors = ["#ef4444", "#f97316", "#eab308", "#22c55e", "#06b6d4", "#3b82f6", "#8b5cf6", "#ec4899"];
        let mut labels = Vec::new();
        for (i, color) in colors.iter().enumerate() {
            let label = self
                .post(
                    &format!("/api/v1/boards/{board}/labels"),
                    json!({ "name": format!("Label {i}"), "color": color }),
                )
                .await?;
            labels.push(id(&label)?);
        }
        let mut columns = Vec::new();
        for i in 0..COLUMNS {
            let column =
                self.post(&format!("/api/v1/boards/{board}/columns"), json!({ "name": format!("Column {i}") })).await?;
            columns.push(id(&column)?);
        }
        let path = format!("/api/v1/boards/{board}/cards");
        futures::stream::iter(0..cards)
            .map(|i| {
                let body = json!({
                    "title": format!("Card {i}: {}", words(i, 6)),
                    "column_id": columns[i % COLUMNS],
                    "description": words(i * 7, 30),
                    "labels": [labels[i % labels.len()]],
                    "assignees": [members[i % members.len()]],
                });
                let path = &path;
                async move { self.post(path, body).await }
            })
            .buffer_unordered(SEED_CONCURRENCY)
            .try_for_each(|_| async { Ok(()) })
            .await?;
        Ok(board)
    }

    /// Notes of about 60 words, each carrying one of `TOPICS` topic words (`topic00`…); every
    /// tenth note is on `board`.
    async fn seed_notes(&self, notes: usize, board: &str) -> anyhow::Result<()> {
        futures::stream::iter(0..notes)
            .map(|i| {
                let mut body = json!({
                    "title": format!("Note {i} {}", words(i * 3, 4)),
                    "body": format!("{} topic{:02} {}", words(i * 11, 30), i % TOPICS, words(i * 13, 30)),
                    "tags": [format!("tag{}", i % 20)],
                });
                if i % 10 == 0 {
                    body["board_id"] = json!(board);
                }
                async move { self.post("/api/v1/notes", body).await }
            })
            .buffer_unordered(SEED_CONCURRENCY)
            .try_for_each(|_| async { Ok(()) })
            .await
    }

    /// Reminders due over the next months, a quarter of them weekly.
    async fn seed_reminders(&self, reminders: usize) -> anyhow::Result<()> {
        let start = chrono::Utc::now() + chrono::Duration::days(30);
        futures::stream::iter(0..reminders)
            .map(|i| {
                let minutes = i64::try_from(i).unwrap_or(0) * 17;
                let mut body = json!({
                    "title": format!("Reminder {i}"),
                    "remind_at": (start + chrono::Duration::minutes(minutes)).to_rfc3339(),
                    "timezone": "Europe/Berlin",
                });
                if i % 4 == 0 {
                    body["recurrence"] = json!("FREQ=WEEKLY;BYDAY=MO,WE");
                }
                async move { self.post("/api/v1/reminders", body).await }
            })
            .buffer_unordered(SEED_CONCURRENCY)
            .try_for_each(|_| async { Ok(()) })
            .await
    }
}

async fn expect(res: reqwest::Response, status: StatusCode) -> anyhow::Result<Value> {
    let got = res.status();
    let text = res.text().await?;
    if got != status {
        bail!("expected {status}, got {got}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

fn id(v: &Value) -> anyhow::Result<String> {
    Ok(v["id"].as_str().with_context(|| format!("no id in {v}"))?.to_owned())
}

/// `n` deterministic words of a small vocabulary, starting at `seed`.
fn words(seed: usize, n: usize) -> String {
    const VOCABULARY: &[&str] = &[
        "release",
        "review",
        "design",
        "budget",
        "customer",
        "sprint",
        "meeting",
        "invoice",
        "server",
        "backup",
        "planning",
        "roadmap",
        "feedback",
        "contract",
        "migration",
        "database",
        "cache",
        "deploy",
        "incident",
        "report",
        "hiring",
        "onboarding",
        "workshop",
        "quarter",
        "metrics",
        "support",
        "ticket",
        "feature",
        "bug",
        "launch",
        "market",
        "research",
        "vendor",
        "license",
        "audit",
        "security",
        "policy",
        "training",
        "office",
        "travel",
    ];
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
    (0..n)
        .map(|_| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            VOCABULARY[(x >> 33) % VOCABULARY.len()]
        })
        .collect::<Vec<_>>()
        .join(" ")
}
