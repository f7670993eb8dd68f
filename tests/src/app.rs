//! The real server on port 0, and a client whose every response is checked against the
//! OpenAPI document.

use app::{App, Config, Services};
use identity::{DisplayName, Email, Password};
use reqwest::Method;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::db::{Backend, TestDb, redis_pool};
use crate::openapi::Conformance;

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:{port}`.
    pub address: String,
    /// The services behind the server, for arranging state directly.
    pub services: Services,
    /// The database it runs on.
    pub db: TestDb,
    /// An administrator created at start (`root@corkboard.test`), to arrange state as.
    pub root: kernel::Caller,
    config: Config,
    conformance: Conformance,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl std::fmt::Debug for TestApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestApp").field("address", &self.address).finish_non_exhaustive()
    }
}

/// A response, already checked against the OpenAPI document.
#[derive(Debug)]
pub struct TestResponse {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: reqwest::header::HeaderMap,
    /// The body as JSON (`Null` when empty or not JSON).
    pub body: Value,
    /// The body as text (inflated when it came compressed).
    pub text: String,
}

impl TestResponse {
    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected status; body: {:#}", self.body);
        self
    }

    /// Asserts a problem document with this status and code.
    #[track_caller]
    pub fn expect_problem(self, status: u16, code: &str) -> Self {
        assert_eq!(self.status, status, "unexpected status; body: {:#}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        assert_eq!(self.body["code"], code, "unexpected problem: {:#}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(self.body["request_id"].as_str().is_some_and(|r| !r.is_empty()));
        self
    }
}

/// A client with its own cookie jar, optionally signed in.
#[derive(Debug, Clone)]
pub struct Session {
    client: reqwest::Client,
    address: String,
    conformance: Conformance,
    /// The CSRF token of the signed-in session, sent on unsafe requests.
    pub csrf: Option<String>,
    /// A bearer token sent instead of the cookie.
    pub bearer: Option<String>,
    /// The signed-in user's id.
    pub user_id: Option<String>,
    /// The session cookie (`name=value`) set at sign-in.
    pub cookie: Option<String>,
}

impl TestApp {
    /// Starts the server on a fresh `backend` database (and Redis when configured), or returns
    /// `None` when that backend is not configured outside CI.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with the configuration adjusted by `configure` first.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<Self> {
        let db = TestDb::new(backend).await?;
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            database_url: Some(db.url.clone().into()),
            log: "warn".into(),
            shutdown_grace_secs: 5,
            // Tests that need the reminder worker turn it on (`spawn_with`); others must not see
            // their reminders fire behind their back.
            workers: false,
            ..Config::default()
        };
        // Limits on, so every request goes through them, but out of reach: the suites make
        // many requests from one address. `tests/api/rate_limits.rs` sets small ones.
        config.rate_limits.per_caller = 1_000_000;
        config.rate_limits.per_ip = 1_000_000;
        config.rate_limits.sign_in_per_ip = 1_000_000;
        if backend == Backend::Postgres {
            // Production shape: sessions in Redis, when a Redis is configured for the tests.
            if let Some(pool) = redis_pool().await {
                drop(pool);
                config.redis_url = std::env::var("TEST_REDIS_URL").ok().map(Into::into);
                config.redis_key_prefix = format!("cbtest:{}:", uuid::Uuid::new_v4().simple());
            }
        }
        configure(&mut config);
        let app = App::build(&config).await.expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let config = Config { public_url: Some(address.clone()), ..config };
        let services = app.services().clone();
        let root = services
            .identity
            .create_admin(
                Email::parse("root@corkboard.test").unwrap(),
                DisplayName::parse("Root").unwrap(),
                Password::parse("root password").unwrap(),
            )
            .await
            .expect("root admin created");
        let root = kernel::Caller::user(root.id, true);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        let conformance = Conformance::new(serde_json::to_value(adapter_http::openapi()).expect("document serialises"));
        Some(Self { address, services, db, root, config, conformance, stop: Some(stop), server: Some(server) })
    }

    /// A second server on this app's database and Redis, as another instance behind the same
    /// load balancer would be; stopped when dropped. Sessions work on both.
    pub async fn peer(&self) -> Peer {
        let app = App::build(&self.config).await.expect("peer builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Peer { address, _stop: stop }
    }

    /// Every configured backend's app, one after another (SQLite always; PostgreSQL + Redis
    /// when configured).
    pub async fn each_backend() -> Vec<Self> {
        let mut apps = Vec::new();
        for backend in [Backend::Sqlite, Backend::Postgres] {
            apps.extend(Self::spawn(backend).await);
        }
        apps
    }

    /// A client with no credentials.
    pub fn anonymous(&self) -> Session {
        Session {
            client: reqwest::Client::builder().cookie_store(true).build().expect("client"),
            address: self.address.clone(),
            conformance: self.conformance.clone(),
            csrf: None,
            bearer: None,
            user_id: None,
            cookie: None,
        }
    }

    /// Creates a user directly through the service and signs them in with a password.
    pub async fn user(&self, email: &str, admin: bool) -> Session {
        let password = "correct horse battery";
        let svc = &self.services.identity;
        if admin {
            svc.create_admin(
                Email::parse(email).unwrap(),
                DisplayName::parse(email).unwrap(),
                Password::parse(password).unwrap(),
            )
            .await
            .expect("admin created");
        } else {
            let root = &self.root;
            let new = identity::NewUser {
                email: Email::parse(email).unwrap(),
                display_name: DisplayName::parse(email).unwrap(),
                password: Some(Password::parse(password).unwrap()),
                role: identity::Role::Member,
            };
            svc.create_user(root, new).await.expect("user created");
        }
        let session = self.anonymous();
        session.login(email, password).await
    }

    /// A plain client and the server's address, for requests outside the documented API
    /// (unknown paths, wrong methods) whose answers are not in the OpenAPI document.
    pub fn raw(&self) -> (reqwest::Client, &str) {
        (reqwest::Client::new(), &self.address)
    }

    /// The OpenAPI checker.
    pub fn conformance(&self) -> &Conformance {
        &self.conformance
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stops cleanly");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Another server instance on a [`TestApp`]'s database ([`TestApp::peer`]).
#[derive(Debug)]
pub struct Peer {
    /// `http://127.0.0.1:{port}`.
    pub address: String,
    _stop: oneshot::Sender<()>,
}

impl Session {
    /// The same credentials, talking to the server at `address` (a [`Peer`]).
    pub fn at(&self, address: &str) -> Self {
        Self { address: address.to_owned(), ..self.clone() }
    }

    /// Signs in with a password; keeps the cookie and the CSRF token.
    pub async fn login(mut self, email: &str, password: &str) -> Self {
        let response =
            self.post("/api/v1/auth/login", &serde_json::json!({"email": email, "password": password})).await;
        let response = response.expect(200);
        self.csrf = response.body["csrf_token"].as_str().map(str::to_owned);
        self.user_id = response.body["user"]["id"].as_str().map(str::to_owned);
        self.cookie = response.header("set-cookie").and_then(|c| c.split(';').next()).map(str::to_owned);
        self
    }

    /// The same client authenticating with a bearer token instead of the cookie.
    pub fn with_bearer(&self, token: &str) -> Self {
        Self { client: reqwest::Client::new(), bearer: Some(token.to_owned()), csrf: None, ..self.clone() }
    }

    /// A client with no cookie jar that sends `cookie` by hand: to replay a cookie the
    /// browser would have dropped.
    pub fn replaying_cookie(&self, cookie: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("cookie", cookie.parse().expect("cookie header"));
        let client = reqwest::Client::builder().default_headers(headers).build().expect("client");
        Self { client, bearer: None, ..self.clone() }
    }

    /// The same cookie jar without the CSRF token.
    pub fn without_csrf(&self) -> Self {
        Self { csrf: None, ..self.clone() }
    }

    /// Sends a request and checks the response against the OpenAPI document.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut request = self.client.request(method.clone(), format!("{}{path}", self.address));
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        if let Some(csrf) = &self.csrf
            && method != Method::GET
        {
            request = request.header("x-csrf-token", csrf);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request is sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body is read");
        // A compressed body is checked and parsed as what it inflates to; the header stays.
        let bytes = if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
            let mut inflated = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut inflated)
                .expect("a gzip body inflates");
            inflated.into()
        } else {
            bytes
        };
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        let path_only = path.split('?').next().unwrap_or(path);
        if path_only.starts_with("/api/v1/") || path_only.starts_with("/health/") {
            self.conformance.check(method.as_str(), path_only, status, content_type, &bytes);
        }
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        TestResponse { status, headers, body, text }
    }

    /// GET.
    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(Method::GET, path, None, &[]).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> TestResponse {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, body: &Value) -> TestResponse {
        self.send(Method::PATCH, path, Some(body), &[]).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str) -> TestResponse {
        self.send(Method::DELETE, path, None, &[]).await
    }
}
