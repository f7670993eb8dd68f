//! Single sign-on against an OpenID provider the test controls (`corkboard_tests::oidc`): the
//! happy path, account linking rules, RP-initiated sign-out, and every forged or replayed
//! answer refused without a session.

use std::collections::HashMap;

use corkboard_tests::oidc::{CLIENT_ID, CLIENT_SECRET, Forge, Signing, TestProvider};
use corkboard_tests::{Backend, TestApp};

/// A browser without JavaScript: keeps cookies by name, never follows redirects.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
}

/// What a GET answered.
struct Answer {
    status: u16,
    location: Option<String>,
    set_cookies: Vec<String>,
}

impl Browser {
    fn new(base: &str) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { client, base: base.to_owned(), cookies: HashMap::new() }
    }

    async fn request(&mut self, method: reqwest::Method, path: &str, form: Option<&[(&str, &str)]>) -> Answer {
        let url = if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) };
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let mut request = self.client.request(method, url).header("cookie", cookie).header("origin", &self.base);
        if let Some(form) = form {
            request = request.form(form);
        }
        let response = request.send().await.unwrap();
        let set_cookies: Vec<String> =
            response.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
        for c in &set_cookies {
            let (pair, attributes) = c.split_once(';').unwrap_or((c, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let location = response.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
        Answer { status: response.status().as_u16(), location, set_cookies }
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.request(reqwest::Method::GET, path, None).await
    }

    /// `GET /api/v1/me`'s status and body with the browser's cookies.
    async fn me(&self) -> (u16, serde_json::Value) {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let response =
            self.client.get(format!("{}/api/v1/me", self.base)).header("cookie", cookie).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    /// Starts a sign-in and returns the authorization URL it was sent to.
    async fn begin(&mut self) -> String {
        let answer = self.get("/auth/oidc/test/login").await;
        assert_eq!(answer.status, 303);
        let cookie = answer.set_cookies.iter().find(|c| c.starts_with("corkboard_sso=")).expect("attempt cookie");
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        answer.location.expect("authorization URL")
    }
}

/// The app on `backend` with the test provider configured (`create_users`, `trust_email`).
async fn app_with(backend: Backend, provider: &TestProvider, create_users: bool, trust_email: bool) -> Option<TestApp> {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let issuer = provider.issuer.clone();
    TestApp::spawn_with(backend, move |c| {
        c.listen = format!("127.0.0.1:{port}");
        c.public_url = Some(format!("http://127.0.0.1:{port}"));
        c.oidc.providers = vec![app::config::OidcProviderConfig {
            id: "test".into(),
            display_name: "Test SSO".into(),
            issuer,
            client_id: CLIENT_ID.into(),
            client_secret: Some(CLIENT_SECRET.to_owned().into()),
            scopes: vec!["openid".into(), "email".into(), "profile".into()],
            create_users,
            trust_email,
            allow_http: false,
        }];
    })
    .await
}

/// Both backends' apps, each with a provider of its own.
async fn each_backend(create_users: bool, trust_email: bool) -> Vec<(TestApp, TestProvider)> {
    let mut out = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let provider = TestProvider::start(false).await;
        if let Some(app) = app_with(backend, &provider, create_users, trust_email).await {
            out.push((app, provider));
        }
    }
    out
}

/// Runs one sign-in with the next token forged as `forge`; returns where the callback sent the
/// browser and the browser.
async fn sign_in(app: &TestApp, provider: &TestProvider, forge: Forge) -> (String, Browser) {
    let mut browser = Browser::new(&app.address);
    let url = browser.begin().await;
    let (code, state) = provider.issue_code(&url);
    provider.forge_next(forge);
    let answer = browser.get(&format!("/auth/oidc/test/callback?code={code}&state={state}")).await;
    assert_eq!(answer.status, 303);
    (answer.location.unwrap(), browser)
}

/// Successful sign-ins through a provider.
const SSO_SIGN_INS: &str = "audit_events WHERE action = 'auth.login_succeeded' AND CAST(changes AS TEXT) LIKE '%oidc%'";

/// Asserts a refusal with `reason`: sent to the sign-in page, no session, audited.
async fn assert_refused(app: &TestApp, location: &str, browser: &Browser, reason: &str) {
    assert_eq!(location, format!("/login?error={reason}"));
    assert!(!browser.cookies.contains_key("corkboard_session"), "no session cookie after a refusal");
    assert!(!browser.cookies.contains_key("corkboard_sso"), "the attempt cookie is cleared");
    assert_eq!(browser.me().await.0, 401);
    let audited = format!("audit_events WHERE action = 'auth.sso_failed' AND CAST(changes AS TEXT) LIKE '%{reason}%'");
    assert!(app.db.count(&audited).await >= 1, "refusal '{reason}' audited");
    assert_eq!(app.db.count(SSO_SIGN_INS).await, 0);
}

#[tokio::test]
async fn first_sign_in_creates_the_user_and_the_next_one_finds_it() {
    for (app, provider) in each_backend(true, false).await {
        let (location, browser) = sign_in(&app, &provider, Forge::default()).await;
        assert_eq!(location, "/");
        let (status, me) = browser.me().await;
        assert_eq!(status, 200);
        assert_eq!(me["user"]["email"], "sso-user@example.com");
        assert_eq!(me["user"]["display_name"], "Sso User");
        let (location, again) = sign_in(&app, &provider, Forge::default()).await;
        assert_eq!(location, "/");
        assert_eq!(again.me().await.1["user"]["id"], me["user"]["id"], "linked by (issuer, subject)");
        assert_eq!(app.db.count("users WHERE email = 'sso-user@example.com'").await, 1);
        assert_eq!(app.db.count("user_identities").await, 1);
        assert_eq!(app.db.count(SSO_SIGN_INS).await, 2);
    }
}

#[tokio::test]
async fn session_cookie_rotates_and_sign_out_ends_it_here_and_at_the_provider() {
    for (app, provider) in each_backend(true, false).await {
        let mut browser = Browser::new(&app.address);
        browser.cookies.insert("corkboard_session".into(), "stale-cookie-value".into());
        let url = browser.begin().await;
        let (code, state) = provider.issue_code(&url);
        let answer = browser.get(&format!("/auth/oidc/test/callback?code={code}&state={state}")).await;
        let cookie = answer.set_cookies.iter().find(|c| c.starts_with("corkboard_session=")).unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"));
        let session = browser.cookies["corkboard_session"].clone();
        assert_ne!(session, "stale-cookie-value");
        let (_, me) = browser.me().await;
        let csrf = me["csrf_token"].as_str().unwrap().to_owned();

        let answer = browser.request(reqwest::Method::POST, "/auth/logout", Some(&[("csrf_token", &csrf)])).await;
        assert_eq!(answer.status, 303);
        let end = reqwest::Url::parse(answer.location.as_deref().unwrap()).unwrap();
        assert_eq!(end.as_str().split('?').next(), Some(format!("{}/session/end", provider.issuer).as_str()));
        let params: HashMap<_, _> = end.query_pairs().into_owned().collect();
        assert_eq!(params["client_id"], CLIENT_ID);
        assert_eq!(params["post_logout_redirect_uri"], format!("{}/login", app.address));
        browser.cookies.insert("corkboard_session".into(), session);
        assert_eq!(browser.me().await.0, 401, "the old cookie is refused");
    }
}

#[tokio::test]
async fn sign_out_without_the_csrf_token_does_nothing() {
    for (app, provider) in each_backend(true, false).await {
        let (_, mut browser) = sign_in(&app, &provider, Forge::default()).await;
        let answer = browser.request(reqwest::Method::POST, "/auth/logout", Some(&[("csrf_token", "forged")])).await;
        assert_eq!(answer.status, 403);
        assert_eq!(browser.me().await.0, 200);
    }
}

#[tokio::test]
async fn forged_id_tokens_are_refused_without_a_session() {
    let forgeries = [
        ("wrong issuer", Forge { issuer: Some("http://127.0.0.1:1/evil".into()), ..Forge::default() }),
        ("wrong audience", Forge { audience: Some(vec!["someone-else".into()]), ..Forge::default() }),
        (
            "untrusted extra audience",
            Forge { audience: Some(vec![CLIENT_ID.into(), "someone-else".into()]), ..Forge::default() },
        ),
        ("foreign azp", Forge { authorized_party: Some("someone-else".into()), ..Forge::default() }),
        ("expired", Forge { expires_in: Some(-120), ..Forge::default() }),
        ("bad signature", Forge { signing: Signing::Broken, ..Forge::default() }),
        ("alg none", Forge { signing: Signing::AlgNone, ..Forge::default() }),
        ("HS256 with the client secret", Forge { signing: Signing::HmacWithClientSecret, ..Forge::default() }),
        ("wrong nonce", Forge { nonce: Some("another-nonce".into()), ..Forge::default() }),
        ("unknown key id", Forge { signing: Signing::SecondKey, ..Forge::default() }),
    ];
    for (app, provider) in each_backend(true, false).await {
        for (what, forge) in &forgeries {
            let (location, browser) = sign_in(&app, &provider, forge.clone()).await;
            assert_eq!(location, "/login?error=invalid_token", "{what} ({:?})", app.db.backend);
            assert_refused(&app, &location, &browser, "invalid_token").await;
        }
        assert_eq!(app.db.count("users WHERE email = 'sso-user@example.com'").await, 0);
    }
}

#[tokio::test]
async fn a_rotated_key_is_fetched_when_a_token_names_it() {
    for (app, provider) in each_backend(true, false).await {
        // Before rotation the key set lacks `key2`: refused even after fetching it again.
        let (location, _) = sign_in(&app, &provider, Forge { signing: Signing::SecondKey, ..Forge::default() }).await;
        assert_eq!(location, "/login?error=invalid_token");
        // The provider rotates; Corkboard still holds the old key set and must refresh it.
        provider.rotate_keys();
        let (location, browser) =
            sign_in(&app, &provider, Forge { signing: Signing::SecondKey, ..Forge::default() }).await;
        assert_eq!(location, "/");
        assert_eq!(browser.me().await.0, 200);
    }
}

#[tokio::test]
async fn replayed_missing_or_foreign_state_is_refused_before_the_code_is_used() {
    for (app, provider) in each_backend(true, false).await {
        // Missing state.
        let mut browser = Browser::new(&app.address);
        let url = browser.begin().await;
        let (code, _) = provider.issue_code(&url);
        let answer = browser.get(&format!("/auth/oidc/test/callback?code={code}")).await;
        assert_refused(&app, answer.location.as_deref().unwrap(), &browser, "invalid_state").await;

        // Another browser's state (a login CSRF attempt): this browser has no matching attempt.
        let mut victim = Browser::new(&app.address);
        let mut attacker = Browser::new(&app.address);
        let url = attacker.begin().await;
        let (code, state) = provider.issue_code(&url);
        let answer = victim.get(&format!("/auth/oidc/test/callback?code={code}&state={state}")).await;
        assert_refused(&app, answer.location.as_deref().unwrap(), &victim, "invalid_state").await;

        // Replay: the same callback twice with the same attempt cookie.
        let requests_before = provider.token_requests();
        let mut browser = Browser::new(&app.address);
        let url = browser.begin().await;
        let attempt = browser.cookies["corkboard_sso"].clone();
        let (code, state) = provider.issue_code(&url);
        provider.forge_next(Forge { expires_in: Some(-120), ..Forge::default() });
        let callback = format!("/auth/oidc/test/callback?code={code}&state={state}");
        browser.get(&callback).await;
        browser.cookies.insert("corkboard_sso".into(), attempt);
        let answer = browser.get(&callback).await;
        assert_refused(&app, answer.location.as_deref().unwrap(), &browser, "invalid_state").await;
        assert_eq!(provider.token_requests(), requests_before + 1, "a state refusal never reaches the provider");
    }
}

#[tokio::test]
async fn mixed_up_issuer_parameter_and_provider_errors_are_refused() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let provider = TestProvider::start(true).await;
        let Some(app) = app_with(backend, &provider, true, false).await else { continue };
        // RFC 9207: another issuer's response.
        let mut browser = Browser::new(&app.address);
        let url = browser.begin().await;
        let (code, state) = provider.issue_code(&url);
        let answer =
            browser.get(&format!("/auth/oidc/test/callback?code={code}&state={state}&iss=http://evil.example")).await;
        assert_refused(&app, answer.location.as_deref().unwrap(), &browser, "issuer_mismatch").await;
        // The provider promised `iss`, so its absence is refused too.
        let mut browser = Browser::new(&app.address);
        let url = browser.begin().await;
        let (code, state) = provider.issue_code(&url);
        let answer = browser.get(&format!("/auth/oidc/test/callback?code={code}&state={state}")).await;
        assert_refused(&app, answer.location.as_deref().unwrap(), &browser, "issuer_mismatch").await;
        // With the right `iss`, it works.
        let mut browser = Browser::new(&app.address);
        let url = browser.begin().await;
        let (code, state) = provider.issue_code(&url);
        let iss = provider.issuer.clone();
        let answer = browser.get(&format!("/auth/oidc/test/callback?code={code}&state={state}&iss={iss}")).await;
        assert_eq!(answer.location.as_deref(), Some("/"));
        // The user declined at the provider.
        let mut browser = Browser::new(&app.address);
        let url = browser.begin().await;
        let (_, state) = provider.issue_code(&url);
        let answer = browser.get(&format!("/auth/oidc/test/callback?error=access_denied&state={state}")).await;
        assert_eq!(answer.location.as_deref(), Some("/login?error=provider_error"));
        assert_eq!(browser.me().await.0, 401);
    }
}

#[tokio::test]
async fn email_links_only_when_trusted_and_verified() {
    for trust in [false, true] {
        for (app, provider) in each_backend(false, trust).await {
            app.user("taken@example.com", false).await;
            let unverified = Forge { email: Some(("taken@example.com".into(), false)), ..Forge::default() };
            let (location, browser) = sign_in(&app, &provider, unverified).await;
            assert_refused(&app, &location, &browser, "email_not_linkable").await;

            let verified = Forge { email: Some(("taken@example.com".into(), true)), ..Forge::default() };
            let (location, browser) = sign_in(&app, &provider, verified).await;
            if trust {
                assert_eq!(location, "/");
                assert_eq!(browser.me().await.1["user"]["email"], "taken@example.com");
            } else {
                assert_eq!(location, "/login?error=email_not_linkable");
            }

            let stranger = Forge {
                subject: Some("stranger".into()),
                email: Some(("new@example.com".into(), true)),
                ..Forge::default()
            };
            let (location, _) = sign_in(&app, &provider, stranger).await;
            assert_eq!(location, "/login?error=no_account", "create_users is off");
        }
    }
}

#[tokio::test]
async fn unknown_provider_is_sent_back_to_the_sign_in_page() {
    for (app, _provider) in each_backend(true, false).await {
        let mut browser = Browser::new(&app.address);
        let answer = browser.get("/auth/oidc/nope/login").await;
        assert_eq!(answer.location.as_deref(), Some("/login?error=unknown_provider"));
    }
}
