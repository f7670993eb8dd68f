//! The server-rendered pages (`/login`, `/`, `/settings/tokens`) as a browser uses them: form
//! posts, redirects, the session cookie, CSRF tokens in hidden fields, the origin check on the
//! sign-in form, and the Content-Security-Policy. Pages are outside the OpenAPI document, so
//! these requests go through a plain client that keeps cookies and does not follow redirects.

use chrono::{Duration, Utc};
use corkboard_tests::browser::{Browser, Page};
use corkboard_tests::{Session, TestApp};
use serde_json::json;

use crate::board_support::{board, column};

const PASSWORD: &str = "correct horse battery";

/// Signs in through the password form.
async fn sign_in(browser: &Browser, email: &str) -> Page {
    let page = browser.post("/login", &[("email", email), ("password", PASSWORD)]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    page
}

/// A user (signed in on the API, to arrange things) and a browser signed in as them.
async fn user_and_browser(app: &TestApp, email: &str) -> (Session, Browser) {
    let api = app.user(email, false).await;
    let browser = Browser::new(&app.address);
    sign_in(&browser, email).await;
    (api, browser)
}

#[tokio::test]
async fn signed_out_visitors_are_sent_to_the_sign_in_page_which_has_a_strict_policy() {
    for app in TestApp::each_backend().await {
        let browser = Browser::new(&app.address);
        let home = browser.get("/").await;
        assert_eq!((home.status, home.header("location")), (303, "/login"));
        let tokens = browser.get("/settings/tokens").await;
        assert_eq!((tokens.status, tokens.header("location")), (303, "/login?next=%2Fsettings%2Ftokens"));

        let login = browser.get("/login?next=%2Fsettings%2Ftokens").await;
        assert_eq!(login.status, 200);
        assert!(login.header("content-type").starts_with("text/html"));
        let csp = login.header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "style-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{directive} missing from {csp}");
        }
        assert!(!csp.contains("script-src") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(login.header("x-frame-options"), "DENY");
        assert!(login.body.contains(r#"<form class="card" method="post" action="/login">"#), "{}", login.body);
        assert!(login.body.contains(r#"name="next" value="/settings/tokens""#));
        assert!(!login.body.contains("<script"), "pages have no script");

        let css = browser.get("/assets/app.css").await;
        assert_eq!(css.status, 200);
        assert!(css.header("content-type").starts_with("text/css"));
    }
}

#[tokio::test]
async fn the_password_form_sets_the_session_cookie_and_goes_on_to_a_local_next_only() {
    for app in TestApp::each_backend().await {
        app.user("ann@x.io", false).await;
        let browser = Browser::new(&app.address);
        let page = sign_in(&browser, "ann@x.io").await;
        assert_eq!(page.header("location"), "/");
        let cookie = page.header("set-cookie");
        assert!(cookie.starts_with("corkboard_session="), "{cookie}");
        for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(cookie.contains(attribute), "{attribute} missing from {cookie}");
        }
        let home = browser.get("/").await;
        assert_eq!(home.status, 200, "{}", home.body);
        assert!(home.body.contains(r#"<strong id="user-name">ann@x.io</strong>"#), "{}", home.body);
        assert!(home.body.contains(r#"<form class="signout" method="post" action="/auth/logout">"#));

        let next = [("email", "ann@x.io"), ("password", PASSWORD), ("next", "/settings/tokens")];
        assert_eq!(browser.post("/login", &next).await.header("location"), "/settings/tokens");
        let away = [("email", "ann@x.io"), ("password", PASSWORD), ("next", "//evil.example/")];
        assert_eq!(browser.post("/login", &away).await.header("location"), "/");
        // Signed in already: the sign-in page moves on.
        assert_eq!(browser.get("/login").await.header("location"), "/");
    }
}

#[tokio::test]
async fn a_wrong_password_shows_the_form_again_with_401_and_no_cookie() {
    for app in TestApp::each_backend().await {
        app.user("ann@x.io", false).await;
        let browser = Browser::new(&app.address);
        let page = browser.post("/login", &[("email", "ann@x.io"), ("password", "wrong")]).await;
        assert_eq!(page.status, 401);
        assert!(page.headers.get("set-cookie").is_none());
        assert!(page.body.contains("The email or password is wrong."));
        assert!(page.body.contains(r#"value="ann@x.io""#), "the email is kept");
        assert!(page.header("content-type").starts_with("text/html"));
        assert_eq!(browser.get("/").await.status, 303);
    }
}

#[tokio::test]
async fn a_form_over_the_body_limit_is_refused_with_413_and_signs_nobody_in() {
    for app in TestApp::each_backend().await {
        app.user("ann@x.io", false).await;
        let browser = Browser::new(&app.address);
        // Over the server's 1 MiB limit, under axum's own default of 2 MB.
        let over = "x".repeat(1536 * 1024);
        let page = browser.post("/login", &[("email", "ann@x.io"), ("password", over.as_str())]).await;
        assert_eq!(page.status, 413);
        assert!(page.headers.get("set-cookie").is_none());
        assert!(page.header("content-type").starts_with("text/html"));
        assert_eq!(browser.get("/").await.status, 303, "still signed out");
    }
}

#[tokio::test]
async fn a_cross_origin_sign_in_post_is_refused() {
    for app in TestApp::each_backend().await {
        app.user("ann@x.io", false).await;
        let browser = Browser::new(&app.address);
        let fields = [("email", "ann@x.io"), ("password", PASSWORD)];
        for headers in [
            &[("origin", "http://evil.example")][..],
            &[("origin", "null")],
            &[("sec-fetch-site", "cross-site")],
            &[("referer", "http://evil.example/login")],
            &[],
        ] {
            let page = browser.post_with("/login", &fields, headers).await;
            assert_eq!(page.status, 403, "{headers:?}");
            assert!(page.headers.get("set-cookie").is_none(), "{headers:?}");
            assert!(page.header("content-type").starts_with("text/html"));
        }
        let same_site = browser.post_with("/login", &fields, &[("sec-fetch-site", "same-origin")]).await;
        assert_eq!(same_site.status, 303);
        let referer = format!("{}/login", app.address);
        assert_eq!(Browser::new(&app.address).post_with("/login", &fields, &[("referer", &referer)]).await.status, 303);
    }
}

#[tokio::test]
async fn the_dashboard_shows_the_users_boards_cards_due_soon_and_next_reminders() {
    for app in TestApp::each_backend().await {
        let (ann, browser) = user_and_browser(&app, "ann@x.io").await;
        let roadmap = board(&ann, "Roadmap <Q3>").await;
        board(&ann, "Second board").await;
        let todo = column(&ann, &roadmap, "To do", None).await;
        let soon = (Utc::now() + Duration::days(2)).to_rfc3339();
        let later = (Utc::now() + Duration::days(30)).to_rfc3339();
        let past = (Utc::now() - Duration::days(1)).to_rfc3339();
        for (title, due) in [("Ship it", &soon), ("Much later", &later), ("Late already", &past)] {
            let body = json!({"title": title, "column_id": todo, "due_at": due});
            ann.post(&format!("/api/v1/boards/{roadmap}/cards"), &body).await.expect(201);
        }
        // Someone else's board stays out of Ann's page.
        let bob = app.user("bob@x.io", false).await;
        let secret = board(&bob, "Bob's secret").await;
        let bobs = column(&bob, &secret, "Doing", None).await;
        let body = json!({"title": "Bob's card", "column_id": bobs, "due_at": soon});
        bob.post(&format!("/api/v1/boards/{secret}/cards"), &body).await.expect(201);
        let remind_at = (Utc::now() + Duration::days(1)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let reminder = json!({"title": "Call the printer", "remind_at": remind_at, "timezone": "Europe/Berlin"});
        ann.post("/api/v1/reminders", &reminder).await.expect(201);

        let home = browser.get("/").await;
        assert_eq!(home.status, 200, "{}", home.body);
        let body = &home.body;
        assert!(body.contains("Roadmap &lt;Q3&gt;") && !body.contains("Roadmap <Q3>"), "names are escaped: {body}");
        assert!(body.contains("Second board"));
        assert!(body.contains("Ship it") && body.contains("Late already") && body.contains("overdue"), "{body}");
        assert!(!body.contains("Much later"), "due in 30 days is not soon");
        assert!(!body.contains("Bob&#39;s") && !body.contains("Bob's"), "only Ann's boards: {body}");
        assert!(body.contains("Call the printer") && body.contains("Europe/Berlin"), "{body}");
        assert!(body.find("Late already") < body.find("Ship it"), "soonest first");
        let csp = home.header("content-security-policy");
        assert!(csp.contains("default-src 'none'") && csp.contains("form-action 'self'"), "{csp}");
    }
}

#[tokio::test]
async fn a_token_created_on_the_page_is_shown_once_works_as_a_bearer_and_can_be_revoked() {
    for app in TestApp::each_backend().await {
        let (ann, browser) = user_and_browser(&app, "ann@x.io").await;
        let page = browser.get("/settings/tokens").await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("You have no tokens."));
        assert!(!page.body.contains("users:manage"), "members are not offered the admin scope");
        let csrf = page.csrf_token();

        let fields = [
            ("csrf_token", csrf.as_str()),
            ("name", "deploy script"),
            ("scopes", "boards:read"),
            ("scopes", "notes:write"),
            ("expires_on", "2999-12-31"),
        ];
        let created = browser.post("/settings/tokens", &fields).await;
        assert_eq!(created.status, 200, "{}", created.body);
        let secret = created.new_token().expect("the new token is shown");
        assert!(secret.starts_with("cbp_"), "{secret}");

        let me = ann.with_bearer(&secret).get("/api/v1/me").await.expect(200);
        assert_eq!(me.body["user"]["email"], "ann@x.io");
        assert_eq!(me.body["scopes"], json!(["boards:read", "notes:write"]));
        let listed = ann.get("/api/v1/me/tokens").await.expect(200);
        assert_eq!(listed.body["items"][0]["expires_at"], "3000-01-01T00:00:00Z");

        let again = browser.get("/settings/tokens").await;
        assert!(again.body.contains("deploy script"));
        assert!(again.new_token().is_none() && !again.body.contains(&secret), "the secret is shown once only");

        let id = listed.body["items"][0]["id"].as_str().unwrap();
        let revoke = format!("/settings/tokens/{id}/revoke");
        let revoked = browser.post(&revoke, &[("csrf_token", csrf.as_str())]).await;
        assert_eq!((revoked.status, revoked.header("location")), (303, "/settings/tokens"));
        ann.with_bearer(&secret).get("/api/v1/me").await.expect_problem(401, "UNAUTHENTICATED");
        assert!(!browser.get("/settings/tokens").await.body.contains("deploy script"));
        assert_eq!(browser.post(&revoke, &[("csrf_token", csrf.as_str())]).await.status, 404);
        let bad = browser.post("/settings/tokens/not-a-uuid/revoke", &[("csrf_token", csrf.as_str())]).await;
        assert_eq!(bad.status, 404);
    }
}

#[tokio::test]
async fn page_forms_without_the_sessions_csrf_token_are_refused_and_change_nothing() {
    for app in TestApp::each_backend().await {
        let (ann, browser) = user_and_browser(&app, "ann@x.io").await;
        let created = ann.post("/api/v1/me/tokens", &json!({"name": "keep", "scopes": ["boards:read"]})).await;
        let created = created.expect(201);
        let id = created.body["id"].as_str().unwrap();
        let secret = created.body["token"].as_str().unwrap();

        let token = [("name", "sneaky"), ("scopes", "boards:read")];
        let with_wrong = [("csrf_token", "not-the-token"), ("name", "sneaky"), ("scopes", "boards:read")];
        for fields in [&token[..], &with_wrong[..]] {
            let page = browser.post("/settings/tokens", fields).await;
            assert_eq!(page.status, 403, "{}", page.body);
            assert!(page.header("content-type").starts_with("text/html"));
            assert!(page.new_token().is_none());
        }
        let revoke = format!("/settings/tokens/{id}/revoke");
        assert_eq!(browser.post(&revoke, &[]).await.status, 403);
        assert_eq!(browser.post(&revoke, &[("csrf_token", "")]).await.status, 403);
        // Another session's token is not this session's token.
        let other = Browser::new(&app.address);
        sign_in(&other, "ann@x.io").await;
        let others = other.get("/settings/tokens").await.csrf_token();
        assert_eq!(browser.post(&revoke, &[("csrf_token", others.as_str())]).await.status, 403);

        let listed = ann.get("/api/v1/me/tokens").await.expect(200);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "nothing was created");
        ann.with_bearer(secret).get("/api/v1/me").await.expect(200);

        // Signed out, a form post goes to the sign-in page and does nothing either.
        let stranger = Browser::new(&app.address);
        let page = stranger.post("/settings/tokens", &token).await;
        assert_eq!((page.status, page.header("location")), (303, "/login"));
    }
}

#[tokio::test]
async fn a_refused_token_form_is_shown_again_with_its_errors() {
    for app in TestApp::each_backend().await {
        let (ann, browser) = user_and_browser(&app, "ann@x.io").await;
        let csrf = browser.get("/settings/tokens").await.csrf_token();
        let page = browser
            .post("/settings/tokens", &[("csrf_token", csrf.as_str()), ("name", "<b>x</b>"), ("expires_on", "soon")])
            .await;
        assert_eq!(page.status, 422, "{}", page.body);
        assert!(page.body.contains("Scopes: at least one scope is required."), "{}", page.body);
        assert!(page.body.contains("Expiry: must be a date"), "{}", page.body);
        assert!(page.body.contains(r#"value="&lt;b&gt;x&lt;/b&gt;""#), "the name is kept, escaped: {}", page.body);
        let past =
            [("csrf_token", csrf.as_str()), ("name", "x"), ("scopes", "boards:read"), ("expires_on", "2001-01-01")];
        let page = browser.post("/settings/tokens", &past).await;
        assert_eq!(page.status, 422);
        assert!(page.body.contains("Expiry: must be in the future."), "{}", page.body);
        let admin_scope = [("csrf_token", csrf.as_str()), ("name", "x"), ("scopes", "users:manage")];
        assert_eq!(browser.post("/settings/tokens", &admin_scope).await.status, 422);
        let listed = ann.get("/api/v1/me/tokens").await.expect(200);
        assert!(listed.body["items"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_sign_in_page_names_errors_from_a_fixed_list() {
    for app in TestApp::each_backend().await {
        let browser = Browser::new(&app.address);
        let page = browser.get("/login?error=no_account").await;
        assert!(page.body.contains("No account is linked to that identity."));
        let page = browser.get("/login?error=%3Cscript%3Ealert(1)%3C%2Fscript%3E").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Sign-in failed. Please try again."));
        assert!(!page.body.contains("alert(1)"), "the query is never echoed");
        assert_eq!(browser.get("/login?error=a&error=b&next=1&x[]=&&").await.status, 200);
    }
}

#[tokio::test]
async fn the_sign_in_page_offers_each_provider_and_lets_their_origins_receive_the_sign_out() {
    let Some(app) = TestApp::spawn_with(corkboard_tests::Backend::Sqlite, |c| {
        c.oidc.providers = vec![app::config::OidcProviderConfig {
            id: "corp".into(),
            display_name: "Corp <SSO>".into(),
            // Never contacted: discovery happens when someone chooses the provider.
            issuer: "https://idp.example.com/realms/corp".into(),
            client_id: "corkboard".into(),
            client_secret: None,
            scopes: vec!["openid".into()],
            create_users: false,
            trust_email: false,
            allow_http: false,
        }];
    })
    .await
    else {
        return;
    };
    let browser = Browser::new(&app.address);
    let login = browser.get("/login").await;
    assert!(
        login.body.contains(r#"<a class="button" href="/auth/oidc/corp/login">Sign in with Corp &lt;SSO&gt;</a>"#),
        "{}",
        login.body
    );
    assert!(login.body.contains(r#"action="/login""#), "password sign-in is on by default");
    let csp = login.header("content-security-policy");
    assert!(csp.contains("form-action 'self' https://idp.example.com;"), "{csp}");
}

#[tokio::test]
async fn without_password_sign_in_the_form_is_gone_and_its_target_refuses() {
    let Some(app) = TestApp::spawn_with(corkboard_tests::Backend::Sqlite, |c| c.auth.password_login = false).await
    else {
        return;
    };
    let browser = Browser::new(&app.address);
    let login = browser.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(!login.body.contains(r#"action="/login""#), "{}", login.body);
    assert!(login.body.contains("No sign-in method is configured."));
    let page = browser.post("/login", &[("email", "root@corkboard.test"), ("password", "root password")]).await;
    assert_eq!(page.status, 403);
    assert!(page.headers.get("set-cookie").is_none());
}
