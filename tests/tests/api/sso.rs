//! Single sign-on against an OpenID provider the test controls (`corkboard_tests::oidc`): the
//! happy path, account linking rules, RP-initiated sign-out, and every forged or replayed
//! answer refused without a session.

use std::collections::HashMap;

use corkboard_tests::browser::Browser;
use corkboard_tests::oidc::{CLIENT_ID, CLIENT_SECRET, Forge, Signing, TestProvider};
use corkboard_tests::{Backend, TestApp};

/// `GET /api/v1/me`'s status and body with the browser's cookies.
async fn whoami(browser: &Browser) -> (u16, serde_json::Value) {
    let page = browser.get("/api/v1/me").await;
    (page.status, page.json())
}

/// Starts a sign-in and returns the authorization URL it was sent to.
async fn begin(browser: &Browser) -> String {
    let page = browser.get("/auth/oidc/test/login").await;
    assert_eq!(page.status, 303);
    let cookies = page.set_cookies();
    let cookie = cookies.iter().find(|c| c.starts_with("corkboard_sso=")).expect("attempt cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    page.location().expect("authorization URL").to_owned()
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
    let browser = Browser::new(&app.address);
    let url = begin(&browser).await;
    let (code, state) = provider.issue_code(&url);
    provider.forge_next(forge);
    let answer = browser.get(&format!("/auth/oidc/test/callback?code={code}&state={state}")).await;
    assert_eq!(answer.status, 303);
    (answer.location().unwrap().to_owned(), browser)
}

/// Successful sign-ins through a provider.
const SSO_SIGN_INS: &str = "audit_events WHERE action = 'auth.login_succeeded' AND CAST(changes AS TEXT) LIKE '%oidc%'";

/// Asserts a refusal with `reason`: sent to the sign-in page, no session, audited.
async fn assert_refused(app: &TestApp, location: &str, browser: &Browser, reason: &str) {
    assert_eq!(location, format!("/login?error={reason}"));
    assert!(browser.cookie("corkboard_session").is_none(), "no session cookie after a refusal");
    assert!(browser.cookie("corkboard_sso").is_none(), "the attempt cookie is cleared");
    assert_eq!(whoami(browser).await.0, 401);
    let audited = format!("audit_events WHERE action = 'auth.sso_failed' AND CAST(changes AS TEXT) LIKE '%{reason}%'");
    assert!(app.db.count(&audited).await >= 1, "refusal '{reason}' audited");
    assert_eq!(app.db.count(SSO_SIGN_INS).await, 0);
}

#[tokio::test]
async fn first_sign_in_creates_the_user_and_the_next_one_finds_it() {
    for (app, provider) in each_backend(true, false).await {
        let (location, browser) = sign_in(&app, &provider, Forge::default()).await;
        assert_eq!(location, "/");
        let (status, me) = whoami(&browser).await;
        assert_eq!(status, 200);
        assert_eq!(me["user"]["email"], "sso-user@example.com");
        assert_eq!(me["user"]["display_name"], "Sso User");
        let (location, again) = sign_in(&app, &provider, Forge::default()).await;
        assert_eq!(location, "/");
        assert_eq!(whoami(&again).await.1["user"]["id"], me["user"]["id"], "linked by (issuer, subject)");
        assert_eq!(app.db.count("users WHERE email = 'sso-user@example.com'").await, 1);
        assert_eq!(app.db.count("user_identities").await, 1);
        assert_eq!(app.db.count(SSO_SIGN_INS).await, 2);
    }
}

#[tokio::test]
async fn session_cookie_rotates_and_sign_out_ends_it_here_and_at_the_provider() {
    for (app, provider) in each_backend(true, false).await {
        let browser = Browser::new(&app.address);
        browser.set_cookie("corkboard_session", "stale-cookie-value");
        let url = begin(&browser).await;
        let (code, state) = provider.issue_code(&url);
        let answer = browser.get(&format!("/auth/oidc/test/callback?code={code}&state={state}")).await;
        let cookie = answer.set_cookies().into_iter().find(|c| c.starts_with("corkboard_session=")).unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"));
        let session = browser.cookie("corkboard_session").unwrap();
        assert_ne!(session, "stale-cookie-value");
        let (_, me) = whoami(&browser).await;
        let csrf = me["csrf_token"].as_str().unwrap().to_owned();

        let answer = browser.post("/auth/logout", &[("csrf_token", &csrf)]).await;
        assert_eq!(answer.status, 303);
        let end = reqwest::Url::parse(answer.location().unwrap()).unwrap();
        assert_eq!(end.as_str().split('?').next(), Some(format!("{}/session/end", provider.issuer).as_str()));
        let params: HashMap<_, _> = end.query_pairs().into_owned().collect();
        assert_eq!(params["client_id"], CLIENT_ID);
        assert_eq!(params["post_logout_redirect_uri"], format!("{}/login", app.address));
        browser.set_cookie("corkboard_session", &session);
        assert_eq!(whoami(&browser).await.0, 401, "the old cookie is refused");
    }
}

#[tokio::test]
async fn sign_out_without_the_csrf_token_does_nothing() {
    for (app, provider) in each_backend(true, false).await {
        let (_, browser) = sign_in(&app, &provider, Forge::default()).await;
        let answer = browser.post("/auth/logout", &[("csrf_token", "forged")]).await;
        assert_eq!(answer.status, 403);
        assert_eq!(whoami(&browser).await.0, 200);
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
        assert_eq!(whoami(&browser).await.0, 200);
    }
}

#[tokio::test]
async fn replayed_missing_or_foreign_state_is_refused_before_the_code_is_used() {
    for (app, provider) in each_backend(true, false).await {
        // Missing state.
        let browser = Browser::new(&app.address);
        let url = begin(&browser).await;
        let (code, _) = provider.issue_code(&url);
        let answer = browser.get(&format!("/auth/oidc/test/callback?code={code}")).await;
        assert_refused(&app, answer.location().unwrap(), &browser, "invalid_state").await;

        // Another browser's state (a login CSRF attempt): this browser has no matching attempt.
        let victim = Browser::new(&app.address);
        let attacker = Browser::new(&app.address);
        let url = begin(&attacker).await;
        let (code, state) = provider.issue_code(&url);
        let answer = victim.get(&format!("/auth/oidc/test/callback?code={code}&state={state}")).await;
        assert_refused(&app, answer.location().unwrap(), &victim, "invalid_state").await;

        // Replay: the same callback twice with the same attempt cookie.
        let requests_before = provider.token_requests();
        let browser = Browser::new(&app.address);
        let url = begin(&browser).await;
        let attempt = browser.cookie("corkboard_sso").unwrap();
        let (code, state) = provider.issue_code(&url);
        provider.forge_next(Forge { expires_in: Some(-120), ..Forge::default() });
        let callback = format!("/auth/oidc/test/callback?code={code}&state={state}");
        browser.get(&callback).await;
        browser.set_cookie("corkboard_sso", &attempt);
        let answer = browser.get(&callback).await;
        assert_refused(&app, answer.location().unwrap(), &browser, "invalid_state").await;
        assert_eq!(provider.token_requests(), requests_before + 1, "a state refusal never reaches the provider");
    }
}

#[tokio::test]
async fn mixed_up_issuer_parameter_and_provider_errors_are_refused() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let provider = TestProvider::start(true).await;
        let Some(app) = app_with(backend, &provider, true, false).await else { continue };
        // RFC 9207: another issuer's response.
        let browser = Browser::new(&app.address);
        let url = begin(&browser).await;
        let (code, state) = provider.issue_code(&url);
        let answer =
            browser.get(&format!("/auth/oidc/test/callback?code={code}&state={state}&iss=http://evil.example")).await;
        assert_refused(&app, answer.location().unwrap(), &browser, "issuer_mismatch").await;
        // The provider promised `iss`, so its absence is refused too.
        let browser = Browser::new(&app.address);
        let url = begin(&browser).await;
        let (code, state) = provider.issue_code(&url);
        let answer = browser.get(&format!("/auth/oidc/test/callback?code={code}&state={state}")).await;
        assert_refused(&app, answer.location().unwrap(), &browser, "issuer_mismatch").await;
        // With the right `iss`, it works.
        let browser = Browser::new(&app.address);
        let url = begin(&browser).await;
        let (code, state) = provider.issue_code(&url);
        let iss = provider.issuer.clone();
        let answer = browser.get(&format!("/auth/oidc/test/callback?code={code}&state={state}&iss={iss}")).await;
        assert_eq!(answer.location(), Some("/"));
        // The user declined at the provider.
        let browser = Browser::new(&app.address);
        let url = begin(&browser).await;
        let (_, state) = provider.issue_code(&url);
        let answer = browser.get(&format!("/auth/oidc/test/callback?error=access_denied&state={state}")).await;
        assert_eq!(answer.location(), Some("/login?error=provider_error"));
        assert_eq!(whoami(&browser).await.0, 401);
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
                assert_eq!(whoami(&browser).await.1["user"]["email"], "taken@example.com");
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
        let browser = Browser::new(&app.address);
        let answer = browser.get("/auth/oidc/nope/login").await;
        assert_eq!(answer.location(), Some("/login?error=unknown_provider"));
    }
}
